/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_parse: kvsctl's command line, in ovs-vsctl/ovs-appctl words, turned
 * into one control-socket request.  Write commands may be chained with "--"
 * and become one all-or-nothing "transact"; a read command stands alone.
 * Only syntax is checked here; the daemon checks names and values.
 */
#ifndef KVS_CONTROL_CLI_PARSE_H
#define KVS_CONTROL_CLI_PARSE_H

#include <stddef.h>

#include <jansson.h>

/* argv holds the command words only (no program name or global options).
 * Returns {"method":..., "params":...} or NULL with err set.  capture's
 * request also has "write", the -w output, for kvsctl itself. */
json_t *cli_parse(int argc, char **argv, char *err, size_t errlen);

/* The usage text listing every command. */
const char *cli_usage(void);

#endif
