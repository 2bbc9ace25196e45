/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pipeline: what a PMD does with one received burst: validate and classify
 * (VLAN), filter, learn source MACs and look up destinations in the bridge's
 * MAC table, then send each frame to its one known port or flood it to the
 * ports of its VLAN, buffering per output port and transmitting each port's
 * frames as one burst.
 *
 * Mbuf ownership: dp_process_burst() takes all n frames.  Each ends up sent,
 * or freed and counted under a named drop (ingress reasons on the ingress
 * rx queue, egress reasons on the output port's tx slot of this PMD).  When
 * it returns, nothing is buffered: the PMD may report a quiescent state.
 *
 * A dp_pmd_ctx is private to one PMD thread (never shared, no locks).
 */
#ifndef KVS_DP_PIPELINE_H
#define KVS_DP_PIPELINE_H

#include <stdint.h>

#include "dataplane/fdb_table.h"
#include "dataplane/port.h"

struct rte_mbuf;
struct rte_mempool;
struct filter;

/*
 * An output port as this PMD sees it during one burst: resolved (port, conf,
 * egress filter) the first time a frame goes to it and forgotten when the
 * burst is flushed, so every frame of a burst sees one conf and one egress
 * policy, and a port costs its lookups once per burst, not once per frame.
 */
struct dp_txbuf {
	struct dp_port *port; /* NULL: not resolved in this burst */
	const struct dp_port_conf *conf;
	const struct filter *egress;
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST];
};

struct dp_pmd_ctx {
	unsigned int pmd;         /* PMD slot: index into port->tx[] */
	uint32_t now;             /* seconds (dp_now), set by the PMD loop */
	struct rte_mempool *pool; /* for tagged copies of flooded frames */
	uint16_t n_touched;
	uint16_t touched[DP_MAX_PORTS];
	struct fdb_asked asked; /* learn requests this PMD made this second */
	/* The flood targets of one VLAN, resolved once per burst: untagged
	 * receivers from the front, tagged ones from the back. */
	uint32_t flood_tci; /* TCI they were resolved for; UINT32_MAX = none */
	uint16_t flood_in;  /* ingress port they exclude */
	uint16_t n_plain, n_tag;
	bool flood_egress; /* some target has an egress filter */
	bool flood_ok[DP_MAX_PORTS];
	struct dp_txbuf *targets[DP_MAX_PORTS];
	struct dp_txbuf txb[DP_MAX_PORTS];
	struct dp_trace *trace; /* dp_trace_frame's context only: NULL on a PMD's */
} __rte_cache_aligned;

/* Control thread. NULL + errno. */
struct dp_pmd_ctx *dp_pmd_ctx_create(unsigned int pmd, int numa, struct rte_mempool *pool);
void dp_pmd_ctx_destroy(struct dp_pmd_ctx *c);

/* PMD: switch a burst received on (in, qid). Takes ownership of pkts. */
void dp_process_burst(struct dp_pmd_ctx *c, struct dp_port *in, uint16_t qid,
		      struct rte_mbuf **pkts, uint16_t n);

/* Control thread: what the pipeline would do with m (ownership taken)
 * received on `in`, into *tr (trace.h), without sending, counting, learning
 * or refreshing anything.  c: a context of the caller's, never a PMD's. */
struct dp_trace;
void dp_trace_frame(struct dp_pmd_ctx *c, struct dp_port *in, struct rte_mbuf *m,
		    struct dp_trace *tr);

#endif
