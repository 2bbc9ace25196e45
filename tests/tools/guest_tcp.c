/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * guest_tcp: kvs-guest's TCP frames with offloads, to test a switch's handling of virtio-net
 * headers. It sends TCP segments as a guest kernel would hand them to its virtio-net device
 * (one large GSO frame with an MSS, or a frame with a partial checksum, or both complete), plus
 * the malformed variants a broken guest could send, and accounts every TCP frame it receives:
 * GSO or not, its MSS, whether its checksums are partial, valid or wrong, and whether sequence
 * numbers follow each other. Called from the command handlers and the receive path of
 * kvs_guest.c / guest_traffic.c, on the guest's one lcore.
 */
#include <inttypes.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>

#include "guest.h"

#define TCP_SEQ0 1000000u

static struct {
	uint64_t frames, payload, gso, partial, good, bad_ip, bad_l4, max_len, max_payload;
	uint64_t seq_breaks, last_mss;
	uint32_t next_seq;
	bool have_seq;
} tst;

/* Append len payload bytes (byte i of the stream is i & 0xff) to m's chain. */
static int fill_payload(struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	struct rte_mbuf *tail = rte_pktmbuf_lastseg(m);

	while (len > 0) {
		uint16_t room = rte_pktmbuf_tailroom(tail), k, j;
		uint8_t *d;

		if (room == 0) {
			struct rte_mbuf *t = rte_pktmbuf_alloc(pool);

			if (t == NULL)
				return -1;
			tail->next = t;
			tail = t;
			m->nb_segs++;
			room = rte_pktmbuf_tailroom(tail);
		}
		k = (uint16_t)RTE_MIN((uint32_t)room, len);
		d = rte_pktmbuf_mtod_offset(tail, uint8_t *, tail->data_len);
		for (j = 0; j < k; j++)
			d[j] = (uint8_t)(off + j);
		tail->data_len = (uint16_t)(tail->data_len + k);
		m->pkt_len += k;
		off += k;
		len -= k;
	}
	return 0;
}

static struct rte_mbuf *build(const struct tcp_spec *ts, uint32_t seq)
{
	uint16_t l2 = ts->fs.vlan >= 0 ? 18 : 14, l3 = ts->v6 ? 40 : 20, l4 = 20;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eh;
	struct rte_tcp_hdr *th;
	uint8_t *p;

	if (m == NULL || (p = (uint8_t *)rte_pktmbuf_append(m, l2 + l3 + l4)) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, l2 + l3 + l4);
	eh = (struct rte_ether_hdr *)p;
	eh->dst_addr = ts->fs.dst;
	eh->src_addr = ts->fs.src;
	eh->ether_type = rte_cpu_to_be_16(ts->v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	if (ts->fs.vlan >= 0) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);

		vh->eth_proto = eh->ether_type;
		vh->vlan_tci = rte_cpu_to_be_16((uint16_t)ts->fs.vlan);
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
	}
	if (ts->v6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p + l2);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(l4 + ts->payload));
		ip->proto = ts->bad == TCP_BAD_NOT_TCP ? IPPROTO_UDP : IPPROTO_TCP;
		ip->hop_limits = 64;
		ip->src_addr[0] = ip->dst_addr[0] = 0xfd;
		ip->src_addr[15] = 1;
		ip->dst_addr[15] = 2;
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + l2);

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 + ts->payload));
		ip->time_to_live = 64;
		ip->next_proto_id = ts->bad == TCP_BAD_NOT_TCP ? IPPROTO_UDP : IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(0x0a000001);
		ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	th = (struct rte_tcp_hdr *)(p + l2 + l3);
	th->src_port = rte_cpu_to_be_16(40000);
	th->dst_port = rte_cpu_to_be_16(5201);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->data_off = 5 << 4;
	th->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	th->rx_win = rte_cpu_to_be_16(65535);
	if (fill_payload(m, seq - TCP_SEQ0, ts->payload) < 0) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	m->l2_len = l2;
	m->l3_len = l3;
	m->l4_len = l4;
	m->ol_flags = ts->v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4;
	if (ts->gso) {
		m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM;
		m->tso_segsz = ts->bad == TCP_BAD_MSS0 ? 0 : ts->mss;
	} else if (ts->partial) {
		m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
	}
	if (m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM) {
		/* what a kernel leaves for its device: the pseudo-header sum */
		void *ip = p + l2;

		th->cksum = ts->v6 ? rte_ipv6_phdr_cksum(ip, m->ol_flags)
				   : rte_ipv4_phdr_cksum(ip, m->ol_flags);
	} else {
		th->cksum = ts->v6 ? rte_ipv6_udptcp_cksum_mbuf(m, (void *)(p + l2), l2 + l3)
				   : rte_ipv4_udptcp_cksum_mbuf(m, (void *)(p + l2), l2 + l3);
		m->ol_flags = 0;
	}
	/* csum_start (l2_len + l3_len in the virtio-net header) past the frame's end */
	if (ts->bad == TCP_BAD_CSUM_START)
		m->l3_len = 400;
	return m;
}

int tcp_send(const struct tcp_spec *ts, uint64_t *sent)
{
	uint32_t seq = TCP_SEQ0;
	uint64_t i;

	*sent = 0;
	for (i = 0; i < ts->count; i++, seq += ts->payload) {
		struct rte_mbuf *m = build(ts, seq);
		uint64_t deadline = rte_rdtsc() + ms_to_tsc(1000);

		if (m == NULL)
			return -1;
		while (rte_eth_tx_burst(port_id, 0, &m, 1) == 0) {
			if (rte_rdtsc() > deadline) {
				rte_pktmbuf_free(m);
				return 0;
			}
			service(1);
		}
		(*sent)++;
		service(1);
	}
	return 0;
}

/* A received frame whose L3 starts at l3_off; counted if it is TCP. */
void tcp_rx(struct rte_mbuf *m, uint16_t l3_off, uint16_t ethertype)
{
	uint8_t hdrs[128];
	const uint8_t *p;
	const struct rte_tcp_hdr *th;
	uint32_t l3, hlen, payload, seq;
	bool v4 = ethertype == RTE_ETHER_TYPE_IPV4, partial;
	uint64_t l4_flags = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	if (!v4 && ethertype != RTE_ETHER_TYPE_IPV6)
		return;
	p = rte_pktmbuf_read(m, l3_off, RTE_MIN(m->pkt_len - l3_off, (uint32_t)sizeof(hdrs)), hdrs);
	if (p == NULL || m->pkt_len < l3_off + 60u)
		return;
	if (v4) {
		const struct rte_ipv4_hdr *ip = (const void *)p;

		if (ip->next_proto_id != IPPROTO_TCP)
			return;
		l3 = rte_ipv4_hdr_len(ip);
		if (rte_ipv4_cksum(ip) != 0)
			tst.bad_ip++;
	} else {
		if (((const struct rte_ipv6_hdr *)p)->proto != IPPROTO_TCP)
			return;
		l3 = sizeof(struct rte_ipv6_hdr);
	}
	th = (const void *)(p + l3);
	hlen = l3_off + l3 + (uint32_t)(th->data_off >> 4) * 4;
	payload = m->pkt_len > hlen ? m->pkt_len - hlen : 0;
	tst.frames++;
	tst.payload += payload;
	tst.max_len = RTE_MAX(tst.max_len, (uint64_t)m->pkt_len);
	tst.max_payload = RTE_MAX(tst.max_payload, (uint64_t)payload);
	if (m->ol_flags & RTE_MBUF_F_RX_LRO) {
		tst.gso++;
		tst.last_mss = m->tso_segsz;
	}
	/* a partial sum (NEEDS_CSUM) cannot be verified: the device would finish it */
	partial = l4_flags == RTE_MBUF_F_RX_L4_CKSUM_NONE;
	if (partial) {
		tst.partial++;
	} else {
		uint16_t bad =
			v4 ? rte_ipv4_udptcp_cksum_mbuf_verify(
				     m, rte_pktmbuf_mtod_offset(m, void *, l3_off), l3_off + l3)
			   : rte_ipv6_udptcp_cksum_mbuf_verify(
				     m, rte_pktmbuf_mtod_offset(m, void *, l3_off), l3_off + l3);
		if (bad)
			tst.bad_l4++;
		else
			tst.good++;
	}
	seq = rte_be_to_cpu_32(th->sent_seq);
	if (tst.have_seq && seq != tst.next_seq)
		tst.seq_breaks++;
	tst.next_seq = seq + payload;
	tst.have_seq = true;
}

void tcp_stats_json(void)
{
	jprintf("{\"frames\": %" PRIu64 ", \"payload\": %" PRIu64 ", \"gso\": %" PRIu64
		", \"mss\": %" PRIu64 ", \"partial\": %" PRIu64 ", \"good\": %" PRIu64
		", \"bad_ip\": %" PRIu64 ", \"bad_l4\": %" PRIu64 ", \"max_len\": %" PRIu64
		", \"max_payload\": %" PRIu64 ", \"seq_breaks\": %" PRIu64 "}",
		tst.frames, tst.payload, tst.gso, tst.last_mss, tst.partial, tst.good, tst.bad_ip,
		tst.bad_l4, tst.max_len, tst.max_payload, tst.seq_breaks);
}

void tcp_stats_reset(void)
{
	memset(&tst, 0, sizeof(tst));
}
