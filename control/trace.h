/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * trace: the "trace" method of the control socket (control/trace.c): a frame
 * given in hex, received on a port, through the pipeline without being sent;
 * the answer says what each step decided.  Control thread only.
 */
#ifndef KVS_CONTROL_TRACE_H
#define KVS_CONTROL_TRACE_H

#include <stddef.h>

#include <jansson.h>

/* params {"port": NAME, "frame": HEX}; a view ({"text", "data"}) or NULL
 * with *code and err. */
json_t *trace_frame(json_t *params, int *code, char *err, size_t errlen);

#endif
