/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture: the daemon's side of `kvsctl capture` (control/capture_proto.h).
 * A capture session is a port's dp_capture (dataplane/capture.h) and the
 * control connection of the kvsctl that asked for it; the control thread
 * moves the copies PMDs made from the capture's ring onto that connection as
 * records.  It never blocks: a reader that does not keep up loses frames
 * (counted, and reported in the end record), not the switch's time.
 * Control thread only.
 */
#ifndef KVS_CONTROL_CAPTURE_H
#define KVS_CONTROL_CAPTURE_H

#include <stddef.h>

#include <jansson.h>

struct dp_port;

/* The "capture" method (cmd.c): check the request, start copying, and take
 * the connection once the answer is out (rpc_hand_over). */
json_t *capture_start(json_t *params, int *code, char *err, size_t errlen);
/* Main loop, every iteration: move copies to readers, end captures whose
 * count, duration or reader is done. */
void capture_run(void);
/* apply: p is closing (unpublished, a grace period passed): end its captures. */
void capture_port_closing(struct dp_port *p);
/* Exit: end every capture and tell its reader. */
void capture_shutdown(void);
/* Captures running now. */
unsigned int capture_count(void);

#endif
