/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_hooks: what a port runs on a burst besides switching it, on both
 * sides of the pipeline (pipeline.c is the only caller; PMDs only):
 * - received: its captures see what the guest or device sent, then its
 *   ingress policer meters it;
 * - about to be sent: its egress policer meters it, then its captures see
 *   what the port is really given.
 * A port with none of them pays, per burst and direction, two loads and one
 * branch (dp_port_*_hooked): the hooks are out of line so that the pipeline's
 * code stays as it was (bench/micro: a separate test per hook cost up to 3
 * instructions a frame in register pressure, not in the test).
 */
#ifndef KVS_DP_PORT_HOOKS_H
#define KVS_DP_PORT_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>

#include "dataplane/port.h"

struct rte_mbuf;

static inline bool dp_port_rx_hooked(const struct dp_port *p)
{
	return unlikely(
		((uintptr_t)__atomic_load_n(&p->capture, __ATOMIC_RELAXED) |
		 (uintptr_t)__atomic_load_n(&p->police[DP_POLICE_INGRESS], __ATOMIC_RELAXED)) != 0);
}

static inline bool dp_port_tx_hooked(const struct dp_port *p)
{
	return unlikely(
		((uintptr_t)__atomic_load_n(&p->capture, __ATOMIC_RELAXED) |
		 (uintptr_t)__atomic_load_n(&p->police[DP_POLICE_EGRESS], __ATOMIC_RELAXED)) != 0);
}

/* PMD slot pmd: p's rx captures then ingress policer on pkts[0..n), n <=
 * DP_BURST, counted in st.  The frames let through stay at the front, their count returned; the
 * others are counted (rx packets and bytes, policed_ingress) and freed. */
uint16_t dp_port_rx_hooks(struct dp_port *p, unsigned int pmd, struct dp_rxq_stats *st,
			  struct rte_mbuf **pkts, uint16_t n);
/* PMD slot pmd: p's egress policer then tx captures on pkts[0..n) about to
 * go to p's tx_burst.  Same contract; the others are counted in p->tx[pmd]
 * as policed_egress and freed. */
uint16_t dp_port_tx_hooks(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n);

#endif
