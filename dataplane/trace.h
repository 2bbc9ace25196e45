/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * trace: what the pipeline decides for one frame, for `kvsctl trace`.
 * dp_trace_frame (pipeline.h) runs a frame through the pipeline's own code
 * (pipeline.c, the same passes a PMD runs, specialised at compile time so a
 * PMD's code is unchanged) with a context of the caller's whose tx and drop
 * counting land here instead: nothing is sent, counted, learned or
 * refreshed.  The control thread calls it; the record is the caller's.
 */
#ifndef KVS_DP_TRACE_H
#define KVS_DP_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/drop.h"

struct rte_mbuf;

#define DP_TRACE_MAX_OUT 1024 /* DP_MAX_PORTS: a flood can reach every port */

struct dp_trace_out {
	uint16_t port;    /* dataplane port id */
	enum dp_drop why; /* DP_DROP_MAX: sent */
	uint32_t len;     /* bytes as sent (tag included) */
	int vid;          /* VLAN tag as sent, -1 untagged */
	uint16_t frames;  /* 1, or the segments of a frame cut for this port */
};

struct dp_trace {
	enum dp_drop rx_drop; /* DP_DROP_MAX: not dropped on receive */
	uint16_t tci;         /* the VLAN (and PCP) it was classified into */
	bool classified;      /* tci is valid */
	bool filtered;        /* the ingress filter ran, and passed it */
	int src_port;         /* where the MAC table has the source, -1 nowhere */
	bool dst_group;       /* broadcast or multicast destination */
	int dst_port;         /* where the MAC table has the destination, -1 nowhere */
	bool flooded;
	uint16_t n_out;
	struct dp_trace_out out[DP_TRACE_MAX_OUT];
};

/* pipeline.c, under a trace only: frames handed to port id (freed here),
 * and a drop counted against an output. */
void dp_trace_tx(struct dp_trace *tr, uint16_t port, struct rte_mbuf **pkts, uint16_t n);
void dp_trace_tx_drop(struct dp_trace *tr, uint16_t port, enum dp_drop why);

#endif
