/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture_cli: `kvsctl capture`, the client end of the capture stream
 * (capture_proto.h).  Called by kvsctl's main with a connected control
 * socket.
 */
#ifndef KVS_CONTROL_CAPTURE_CLI_H
#define KVS_CONTROL_CAPTURE_CLI_H

#include <jansson.h>

/* req: cli_parse's capture request (its "write" is the -w output).  Runs
 * the capture to its end; returns kvsctl's exit status (0 done, 1 refused,
 * 3 the daemon failed us). */
int capture_cli_run(int fd, json_t *req, int timeout_s);

#endif
