/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The capture stream between kvswitchd (control/capture.c) and kvsctl
 * (control/capture_cli.c).  kvsctl asks {"method": "capture", "params":
 * {"port", "direction": "rx"|"tx"|"both", "snaplen", "count", "duration",
 * "expression"}} on the control socket; after the one-line JSON answer the
 * same connection carries records, each a header and len bytes:
 * - CAPTURE_REC_FRAME: struct capture_rec_frame, then the frame's first
 *   caplen bytes (caplen = len - sizeof(struct capture_rec_frame));
 * - CAPTURE_REC_END, last: a JSON object, why the capture ended and its
 *   counts ("reason", "written", "selected", "dropped_ring",
 *   "dropped_reader").
 * kvsctl ends a capture early by shutting down its side for writing; the
 * daemon answers with the end record.  Both ends run on one host: the
 * numbers are in its byte order.
 */
#ifndef KVS_CONTROL_CAPTURE_PROTO_H
#define KVS_CONTROL_CAPTURE_PROTO_H

#include <stdint.h>

enum capture_rec_type { CAPTURE_REC_FRAME = 1, CAPTURE_REC_END = 2 };

struct capture_rec_hdr {
	uint32_t type;
	uint32_t len; /* bytes after this header */
};

struct capture_rec_frame {
	uint64_t ts_ns;    /* CLOCK_REALTIME, nanoseconds */
	uint32_t wire_len; /* the frame's length; caplen may be less */
	uint32_t dir;      /* 1 rx (the port received it), 2 tx (sent on it) */
};

/* The largest record kvsctl accepts: a snaplen-long frame, or the summary. */
#define CAPTURE_REC_MAX (sizeof(struct capture_rec_frame) + 262144)

#endif
