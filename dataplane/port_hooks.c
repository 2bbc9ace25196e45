/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A port's captures and policers around the pipeline (port_hooks.h).  PMDs
 * only.  The order on each side is what an operator expects to see: an rx
 * capture shows what the guest sent, policed or not; a tx capture shows
 * what the port was given, after its egress policer.
 */
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "dataplane/capture.h"
#include "dataplane/police.h"
#include "dataplane/port_hooks.h"

uint16_t dp_port_rx_hooks(struct dp_port *p, unsigned int pmd, struct dp_rxq_stats *st,
			  struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_police *pol = __atomic_load_n(&p->police[DP_POLICE_INGRESS], __ATOMIC_ACQUIRE);
	struct rte_mbuf *over[DP_BURST];
	uint16_t k, i;

	dp_capture_port(p, DP_CAPTURE_RX, pkts, n);
	if (pol == NULL)
		return n;
	k = dp_police_burst(pol, pmd, rte_rdtsc(), pkts, n, over);
	/* received all the same: rx counts them, as any frame dropped */
	for (i = 0; i < n - k; i++)
		st->bytes += over[i]->pkt_len;
	st->packets += n - k;
	st->drops[DP_DROP_POLICED_INGRESS] += n - k;
	rte_pktmbuf_free_bulk(over, n - k);
	return k;
}

uint16_t dp_port_tx_hooks(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_police *pol = __atomic_load_n(&p->police[DP_POLICE_EGRESS], __ATOMIC_ACQUIRE);
	struct rte_mbuf *over[DP_BURST];
	uint16_t k = n;

	if (pol != NULL) {
		k = dp_police_burst(pol, pmd, rte_rdtsc(), pkts, n, over);
		dp_port_drop_tx(p, pmd, DP_DROP_POLICED_EGRESS, over, n - k);
	}
	if (k != 0)
		dp_capture_port(p, DP_CAPTURE_TX, pkts, k);
	return k;
}
