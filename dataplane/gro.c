/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive-side TCP/IPv4 merging on `dpdk` ports (gro.h).  PMD threads.
 *
 * Cost: one header parse per frame of the burst (the candidate test), one
 * IPv4+TCP checksum pass over each candidate the device did not check (about
 * a nanosecond per 10 bytes on the host: far cheaper than the same sum in a
 * TCG guest), then librte_gro's per-burst table.  Only ports with
 * options:gro=true pay any of it.
 */
#include <stdbool.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_gro.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dataplane/gro.h"
#include "dataplane/port.h"

/* Smallest payload worth merging: below the IPv4 default MSS the segments
 * are not bulk data, and some TSO devices refuse smaller segment sizes. */
#define MIN_SEG 536

/* What run_end compares of a candidate: its TCP flow (addresses and ports)
 * and sequence number. */
struct seg {
	uint32_t saddr, daddr, ports, seq;
};

/* Checks one frame and, for a candidate, sets what librte_gro reads
 * (packet_type, l2/l3/l4_len), its payload in tso_segsz (the MSS the merged
 * frame will announce), *tos_ttl: TOS (ECN included) and TTL, which
 * librte_gro does not compare while a merged frame keeps only the head's, so
 * frames that differ never share a run (a CE mark must reach the receiver),
 * and *sg. */
static bool candidate(struct rte_mbuf *m, uint16_t *tos_ttl, struct seg *sg)
{
	const struct rte_ether_hdr *eh;
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *tcp;
	uint32_t l4, tot;
	uint64_t l4ok;

	if (m->nb_segs != 1 || m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK ||
	    m->data_len < RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*tcp))
		return false;
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return false; /* tagged, IPv6, ARP ... */
	ip = (const struct rte_ipv4_hdr *)(eh + 1);
	tot = rte_be_to_cpu_16(ip->total_length);
	/* no IPv4 options: librte_gro compares TCP header lengths but not IPv4
	 * ones, and cuts every merged tail by the head's */
	if (ip->version_ihl != RTE_IPV4_VHL_DEF || ip->next_proto_id != IPPROTO_TCP ||
	    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) ||
	    tot + RTE_ETHER_HDR_LEN != m->data_len || tot < sizeof(*ip) + sizeof(*tcp))
		return false;
	tcp = (const struct rte_tcp_hdr *)(ip + 1);
	l4 = (tcp->data_off >> 4) * 4u;
	if (tcp->tcp_flags != RTE_TCP_ACK_FLAG || l4 < sizeof(*tcp) ||
	    tot < sizeof(*ip) + l4 + MIN_SEG)
		return false; /* librte_gro merges pure ACK-flagged data segments only */
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	    rte_raw_cksum(ip, sizeof(*ip)) != 0xffff)
		return false;
	l4ok = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (l4ok != RTE_MBUF_F_RX_L4_CKSUM_GOOD && rte_ipv4_udptcp_cksum_verify(ip, tcp) != 0)
		return false;
	m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_TCP;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(*ip);
	m->l4_len = l4;
	m->tso_segsz = (uint16_t)(tot - sizeof(*ip) - l4);
	*tos_ttl = (uint16_t)(ip->type_of_service << 8 | ip->time_to_live);
	*sg = (struct seg){.saddr = ip->src_addr,
			   .daddr = ip->dst_addr,
			   .ports = (uint32_t)tcp->src_port << 16 | tcp->dst_port,
			   .seq = rte_be_to_cpu_32(tcp->sent_seq)};
	return true;
}

static bool same_flow(const struct seg *a, const struct seg *b)
{
	return a->saddr == b->saddr && a->daddr == b->daddr && a->ports == b->ports;
}

/* Does frame j continue, in sequence, the last frame of its flow in
 * [i, j)?  (Its first frame in the run always does.) */
static bool in_order(struct rte_mbuf **pkts, const struct seg *sg, uint16_t i, uint16_t j)
{
	for (uint16_t k = j; k-- > i;)
		if (same_flow(&sg[k], &sg[j]))
			return sg[j].seq == sg[k].seq + pkts[k]->tso_segsz;
	return true;
}

/*
 * The end of the run of candidates that starts at i.  Inside a run every
 * payload equals the first one's, which the merged frame announces as its
 * MSS, except that a shorter one may end the run (as Linux GRO does): cut
 * back, a merged frame gives exactly the segments it was made of.  librte_gro
 * itself would append full segments to a short head, and it also puts a
 * frame in front of an earlier one whose sequence it precedes: a short
 * segment that came last but belongs first would then head a merged frame
 * and announce its short payload as the MSS (fuzz_gro found it: 600 + 1448
 * bytes cut back into four segments).  So each frame of a run continues its
 * flow's sequence, and librte_gro only appends.
 */
static uint16_t run_end(struct rte_mbuf **pkts, const bool *cand, const uint16_t *key,
			const struct seg *sg, uint16_t i, uint16_t n)
{
	uint16_t mss = pkts[i]->tso_segsz, j;

	for (j = i + 1; j < n && cand[j]; j++) {
		if (key[j] != key[i] || pkts[j]->tso_segsz > mss || !in_order(pkts, sg, i, j))
			break;
		if (pkts[j]->tso_segsz < mss)
			return j + 1;
	}
	return j;
}

/* A frame librte_gro grew: describe it as a TSO frame (offload.h). */
static void describe_merged(struct rte_mbuf *m)
{
	uint32_t hdr = (uint32_t)m->l2_len + m->l3_len + m->l4_len;

	if (m->pkt_len - hdr <= m->tso_segsz)
		return; /* alone: sent as received */
	/* the IPv4 total length is rewritten by librte_gro but not its
	 * checksum; the TCP sum is left to the output (the guest's header
	 * says NEEDS_CSUM, or offload.c finishes each segment) */
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4 |
		       RTE_MBUF_F_TX_IP_CKSUM;
}

uint16_t dp_gro_burst(struct rte_mbuf **pkts, uint16_t n, uint64_t *absorbed_bytes)
{
	const struct rte_gro_param gp = {
		.gro_types = RTE_GRO_TCP_IPV4,
		.max_flow_num = DP_BURST,
		.max_item_per_flow = DP_BURST,
	};
	struct rte_mbuf *out[DP_BURST];
	uint16_t key[DP_BURST];
	struct seg sg[DP_BURST];
	bool cand[DP_BURST];
	uint64_t before = 0, after = 0;
	uint16_t i, j, merged, o = 0, n_cand = 0;

	*absorbed_bytes = 0;
	if (n < 2 || n > DP_BURST)
		return n;
	for (i = 0; i < n; i++) {
		cand[i] = candidate(pkts[i], &key[i], &sg[i]);
		n_cand += cand[i];
	}
	if (n_cand < 2)
		return n;
	for (i = 0; i < n; i = j) {
		if (!cand[i]) {
			out[o++] = pkts[i];
			j = i + 1;
			continue;
		}
		j = run_end(pkts, cand, key, sg, i, n);
		for (uint16_t x = i; x < j; x++)
			before += pkts[x]->pkt_len;
		merged = j - i > 1 ? rte_gro_reassemble_burst(pkts + i, j - i, &gp) : 1;
		while (merged--) {
			struct rte_mbuf *m = pkts[i++];

			describe_merged(m);
			after += m->pkt_len;
			out[o++] = m;
		}
	}
	memcpy(pkts, out, o * sizeof(*pkts));
	*absorbed_bytes = before - after;
	return o;
}
