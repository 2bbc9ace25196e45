/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The record of a traced frame (trace.h), filled by pipeline.c when a trace
 * context hands frames to a port or counts a drop against one.  Control
 * thread (whoever called dp_trace_frame).
 */
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/port.h"
#include "dataplane/trace.h"

_Static_assert(DP_TRACE_MAX_OUT >= DP_MAX_PORTS, "a flood can reach every port");

static struct dp_trace_out *out_of(struct dp_trace *tr, uint16_t port, enum dp_drop why)
{
	uint16_t i;

	for (i = 0; i < tr->n_out; i++)
		if (tr->out[i].port == port && tr->out[i].why == why)
			return &tr->out[i];
	if (tr->n_out == DP_TRACE_MAX_OUT)
		return NULL;
	tr->out[tr->n_out] = (struct dp_trace_out){.port = port, .why = why, .vid = -1};
	return &tr->out[tr->n_out++];
}

void dp_trace_tx(struct dp_trace *tr, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		const struct rte_ether_hdr *eh =
			rte_pktmbuf_mtod(pkts[i], const struct rte_ether_hdr *);
		struct dp_trace_out *o = out_of(tr, port, DP_DROP_MAX);

		if (o != NULL) {
			/* segments of one frame add up under one entry */
			o->frames++;
			o->len += pkts[i]->pkt_len;
			if (eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN))
				o->vid =
					rte_be_to_cpu_16(
						((const struct rte_vlan_hdr *)(eh + 1))->vlan_tci) &
					0xfff;
		}
		rte_pktmbuf_free(pkts[i]); /* one reference: a flood shares it */
	}
}

void dp_trace_tx_drop(struct dp_trace *tr, uint16_t port, enum dp_drop why)
{
	struct dp_trace_out *o = out_of(tr, port, why);

	if (o != NULL)
		o->frames++;
}
