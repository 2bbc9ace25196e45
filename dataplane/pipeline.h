/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pipeline: what a PMD does with one received burst: validate and classify
 * (vlan_ingress), learn source MACs, look up destinations in bulk, then
 * either send to the one known port or flood to every other port carrying
 * the VLAN, buffering per output port and transmitting each port's frames as
 * one burst.
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

#include "dataplane/port.h"

struct rte_mbuf;
struct rte_mempool;

struct dp_txbuf {
	struct dp_port *port;
	uint16_t n;
	struct rte_mbuf *pkts[DP_BURST];
};

struct dp_pmd_ctx {
	unsigned int pmd;         /* PMD slot: index into port->tx[] */
	uint32_t now;             /* seconds (dp_now), set by the PMD loop */
	struct rte_mempool *pool; /* for tagged copies of flooded frames */
	uint16_t n_touched;
	uint16_t touched[DP_MAX_PORTS];
	struct dp_port *targets[DP_MAX_PORTS];
	struct dp_txbuf txb[DP_MAX_PORTS];
} __rte_cache_aligned;

/* Control thread. NULL + errno. */
struct dp_pmd_ctx *dp_pmd_ctx_create(unsigned int pmd, int numa, struct rte_mempool *pool);
void dp_pmd_ctx_destroy(struct dp_pmd_ctx *c);

/* PMD: switch a burst received on (in, qid). Takes ownership of pkts. */
void dp_process_burst(struct dp_pmd_ctx *c, struct dp_port *in, uint16_t qid,
		      struct rte_mbuf **pkts, uint16_t n);

#endif
