/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture_cli: `kvsctl capture`, the client end of the capture stream
 * (capture_proto.h).  Called by kvsctl's main with a connected control
 * socket.
 */
#ifndef KVS_CONTROL_CAPTURE_CLI_H
#define KVS_CONTROL_CAPTURE_CLI_H

#include <stdint.h>

#include <jansson.h>

#include "control/capture_proto.h"

/* A frame of the stream, for a caller that does its own thing with it. */
typedef void (*capture_frame_fn)(const struct capture_rec_frame *f, const uint8_t *frame,
				 uint32_t caplen, void *arg);

/* req: cli_parse's capture request (its "write" is the -w output).  Runs
 * the capture to its end; returns kvsctl's exit status (0 done, 1 refused,
 * 3 the daemon failed us).  each: NULL, or called for every frame instead
 * of writing it (kvsctl trace). */
int capture_cli_run(int fd, json_t *req, int timeout_s, capture_frame_fn each, void *arg);

#endif
