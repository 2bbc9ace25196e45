/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Component tests of dataplane/offload.c on real mbufs: frames as
 * librte_vhost's compliant dequeue leaves them (RX flags, tso_segsz), turned
 * into TX flags, then fitted to outputs that take everything, some, or
 * nothing.  Every segment's IPv4/IPv6 and TCP checksums are verified, its
 * sequence number and length checked, and the pool must be back to zero in
 * use at the end of each test.
 */
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "tests/unit/dp_test.h"

#include "dataplane/offload.h"
#include "dataplane/port.h"

#define MSS  1448
#define SEQ0 0x12345678u

/* An Ethernet/IP/TCP frame with payload bytes p[i] = i & 0xff, its TCP
 * checksum as a guest leaves it for the device: the pseudo-header sum. */
static struct rte_mbuf *tcp_frame(bool v6, int vid, uint32_t payload, uint8_t tcp_flags)
{
	uint16_t l2 = vid >= 0 ? 18 : 14, l3 = v6 ? 40 : 20, l4 = 20;
	uint32_t hdr = l2 + l3 + l4, i;
	struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool), *tail = m;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)hdr);
	struct rte_ether_hdr *eh = (void *)p;
	struct rte_tcp_hdr *th = (void *)(p + l2 + l3);

	memset(p, 0, hdr);
	rte_ether_unformat_addr("52:54:00:00:00:02", &eh->dst_addr);
	rte_ether_unformat_addr("52:54:00:00:00:01", &eh->src_addr);
	if (vid >= 0) {
		struct rte_vlan_hdr *vh = (void *)(eh + 1);

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16((uint16_t)vid);
		vh->eth_proto = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	} else {
		eh->ether_type = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	}
	if (v6) {
		struct rte_ipv6_hdr *ip = (void *)(p + l2);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(l4 + payload));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		ip->src_addr[0] = 0xfd, ip->src_addr[15] = 1;
		ip->dst_addr[0] = 0xfd, ip->dst_addr[15] = 2;
	} else {
		struct rte_ipv4_hdr *ip = (void *)(p + l2);

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 + payload));
		ip->packet_id = rte_cpu_to_be_16(100);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(0x0a000001);
		ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	th->src_port = rte_cpu_to_be_16(40000);
	th->dst_port = rte_cpu_to_be_16(5201);
	th->sent_seq = rte_cpu_to_be_32(SEQ0);
	th->data_off = 5 << 4;
	th->tcp_flags = tcp_flags;
	th->rx_win = rte_cpu_to_be_16(65535);
	th->cksum = v6 ? rte_ipv6_phdr_cksum((void *)(p + l2), 0)
		       : rte_ipv4_phdr_cksum((void *)(p + l2), 0);
	/* payload in mbufs of the pool's size, as a dequeue chains them */
	for (i = 0; i < payload;) {
		uint16_t room = rte_pktmbuf_tailroom(tail), k, j;
		uint8_t *d;

		if (room == 0) {
			struct rte_mbuf *t = rte_pktmbuf_alloc(test_pool);

			assert_non_null(t);
			tail->next = t;
			tail = t;
			m->nb_segs++;
			room = rte_pktmbuf_tailroom(tail);
		}
		k = (uint16_t)RTE_MIN((uint32_t)room, payload - i);
		d = rte_pktmbuf_mtod_offset(tail, uint8_t *, tail->data_len);
		for (j = 0; j < k; j++)
			d[j] = (uint8_t)(i + j);
		tail->data_len = (uint16_t)(tail->data_len + k);
		m->pkt_len += k;
		i += k;
	}
	return m;
}

/* What librte_vhost's compliant dequeue sets for a GSO / partial frame. */
static void as_dequeued(struct rte_mbuf *m, uint16_t gso_size)
{
	m->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_NONE;
	if (gso_size) {
		m->ol_flags |= RTE_MBUF_F_RX_LRO;
		m->tso_segsz = gso_size;
	}
}

struct seg_info {
	uint32_t seq, payload;
	uint8_t flags;
};

/* Check one wire frame: valid IP and TCP checksums; its sequence, payload
 * length and bytes (p[i] = offset & 0xff). */
static void check_wire(struct rte_mbuf *m, bool v6, uint16_t l2, struct seg_info *si)
{
	uint8_t buf[10000];
	const uint8_t *p;
	uint16_t l3 = v6 ? 40 : 20;
	uint32_t hdr = l2 + l3 + 20, i, off;
	const struct rte_tcp_hdr *th;

	assert_true(m->pkt_len <= sizeof(buf));
	p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	assert_non_null(p);
	th = (const void *)(p + l2 + l3);
	if (v6) {
		const struct rte_ipv6_hdr *ip = (const void *)(p + l2);

		assert_int_equal(rte_be_to_cpu_16(ip->payload_len), m->pkt_len - l2 - l3);
		assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, th), 0);
	} else {
		const struct rte_ipv4_hdr *ip = (const void *)(p + l2);

		assert_int_equal(rte_be_to_cpu_16(ip->total_length), m->pkt_len - l2);
		assert_int_equal(rte_ipv4_cksum(ip), 0);
		assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, th), 0);
	}
	si->seq = rte_be_to_cpu_32(th->sent_seq);
	si->payload = m->pkt_len - hdr;
	si->flags = th->tcp_flags;
	off = si->seq - SEQ0;
	for (i = 0; i < si->payload; i++)
		if (p[hdr + i] != (uint8_t)(off + i))
			fail_msg("payload byte %u of segment at %u is wrong", i, off);
}

static uint16_t fit(struct rte_mbuf *m, uint32_t caps, struct rte_mbuf **out)
{
	enum dp_drop why = DP_DROP_MAX;
	uint16_t n = dp_offload_fit(m, caps, out, &why);

	assert_int_equal(why, DP_DROP_MAX);
	return n;
}

static void segments_to_plain_port(bool v6)
{
	const uint32_t payload = 65000;
	struct rte_mbuf *m = tcp_frame(v6, -1, payload, 0x18 /* PSH|ACK */ | 0x80 /* CWR */);
	struct rte_mbuf *out[DP_OFL_MAX_SEGS];
	struct seg_info si;
	uint32_t expect_seq = SEQ0, total = 0;
	uint16_t n, i;

	as_dequeued(m, MSS);
	assert_true(dp_offload_rx_prep(m));
	assert_true(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	n = fit(m, 0, out);
	assert_int_equal(n, (payload + MSS - 1) / MSS);
	for (i = 0; i < n; i++) {
		assert_true(out[i]->pkt_len <= 14u + (v6 ? 40 : 20) + 20 + MSS);
		assert_int_equal(out[i]->ol_flags & DP_OFL_TX_WORK, 0);
		check_wire(out[i], v6, 14, &si);
		assert_int_equal(si.seq, expect_seq);
		/* PSH only on the last, CWR only on the first */
		assert_int_equal(!!(si.flags & 0x08), i == n - 1);
		assert_int_equal(!!(si.flags & 0x80), i == 0);
		expect_seq += si.payload;
		total += si.payload;
	}
	assert_int_equal(total, payload);
	rte_pktmbuf_free_bulk(out, n);
	assert_int_equal(test_in_use(), 0);
}

static void test_gso_ipv4_to_plain_port(void **state)
{
	(void)state;
	segments_to_plain_port(false);
}

static void test_gso_ipv6_to_plain_port(void **state)
{
	(void)state;
	segments_to_plain_port(true);
}

/* A port that takes TSO and partial checksums gets the frame as it is. */
static void test_gso_passes_whole_to_tso_port(void **state)
{
	struct rte_mbuf *m = tcp_frame(false, -1, 60000, 0x10), *out[DP_OFL_MAX_SEGS];

	(void)state;
	as_dequeued(m, MSS);
	assert_true(dp_offload_rx_prep(m));
	assert_int_equal(fit(m, DP_OFL_CSUM | DP_OFL_TSO4 | DP_OFL_IPCSUM, out), 1);
	assert_ptr_equal(out[0], m);
	assert_int_equal(m->tso_segsz, MSS);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(m->l4_len, 20);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	/* IPv6 is not TSO4: segmented, checksums left to the port */
	rte_pktmbuf_free(m);
	m = tcp_frame(true, -1, 60000, 0x10);
	as_dequeued(m, MSS);
	assert_true(dp_offload_rx_prep(m));
	assert_int_equal(fit(m, DP_OFL_CSUM | DP_OFL_TSO4 | DP_OFL_IPCSUM, out), 42);
	assert_int_equal(out[0]->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_TCP_CKSUM);
	assert_false(out[0]->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	rte_pktmbuf_free_bulk(out, 42);
	assert_int_equal(test_in_use(), 0);
}

/* A frame flooded to several ports: segmenting and completing never change
 * what the other ports see. */
static void test_shared_frame_is_not_changed(void **state)
{
	struct rte_mbuf *m = tcp_frame(false, -1, 30000, 0x10), *out[DP_OFL_MAX_SEGS];
	struct seg_info si;
	uint16_t n;

	(void)state;
	as_dequeued(m, MSS);
	assert_true(dp_offload_rx_prep(m));
	rte_mbuf_refcnt_update(m, 1); /* a second port holds it */
	n = fit(m, 0, out);
	assert_int_equal(n, 21);
	rte_pktmbuf_free_bulk(out, n);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	rte_pktmbuf_free(m);

	/* partial checksum, shared: completed on a copy */
	m = tcp_frame(false, -1, 1000, 0x18);
	as_dequeued(m, 0);
	assert_true(dp_offload_rx_prep(m));
	rte_mbuf_refcnt_update(m, 1);
	assert_int_equal(fit(m, 0, out), 1);
	assert_ptr_not_equal(out[0], m);
	check_wire(out[0], false, 14, &si);
	assert_int_equal(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_TCP_CKSUM);
	rte_pktmbuf_free(out[0]);
	rte_pktmbuf_free(m);
	assert_int_equal(test_in_use(), 0);
}

/* Partial checksums completed for a port without checksum offload, left to
 * one with it; VLAN tags pushed or popped on the way are accounted for. */
static void test_partial_checksum(void **state)
{
	struct rte_mbuf *m, *out[DP_OFL_MAX_SEGS];
	struct seg_info si;
	int v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		m = tcp_frame(v6, -1, 1400, 0x18);
		as_dequeued(m, 0);
		assert_true(dp_offload_rx_prep(m));
		assert_false(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
		assert_int_equal(fit(m, 0, out), 1);
		assert_int_equal(out[0]->ol_flags & DP_OFL_TX_WORK, 0);
		check_wire(out[0], v6, 14, &si);
		assert_int_equal(si.payload, 1400);
		rte_pktmbuf_free(out[0]);

		m = tcp_frame(v6, -1, 1400, 0x18);
		as_dequeued(m, 0);
		assert_true(dp_offload_rx_prep(m));
		assert_int_equal(fit(m, DP_OFL_CSUM | DP_OFL_IPCSUM, out), 1);
		assert_int_equal(out[0]->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_TCP_CKSUM);
		rte_pktmbuf_free(out[0]);
	}
	/* received with a tag (l2_len 18), sent untagged after a pop */
	m = tcp_frame(false, 5, 1400, 0x18);
	as_dequeued(m, 0);
	assert_true(dp_offload_rx_prep(m));
	assert_int_equal(m->l2_len, 18);
	memmove(rte_pktmbuf_mtod_offset(m, char *, 4), rte_pktmbuf_mtod(m, char *), 12);
	rte_pktmbuf_adj(m, 4);
	assert_int_equal(fit(m, 0, out), 1);
	check_wire(out[0], false, 14, &si);
	rte_pktmbuf_free(out[0]);
	/* received untagged, a tag pushed on the way to a trunk */
	m = tcp_frame(false, -1, 30000, 0x18);
	as_dequeued(m, MSS);
	assert_true(dp_offload_rx_prep(m));
	m->vlan_tci = 7;
	assert_int_equal(rte_vlan_insert(&m), 0);
	assert_int_equal(fit(m, 0, out), 21);
	check_wire(out[20], false, 18, &si);
	rte_pktmbuf_free_bulk(out, 21);
	assert_int_equal(test_in_use(), 0);
}

/* Offload requests that make no sense are refused at input. */
static void test_bad_requests_refused(void **state)
{
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;

	(void)state;
	/* GSO on UDP */
	m = tcp_frame(false, -1, 20000, 0x10);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	ip->next_proto_id = IPPROTO_UDP;
	as_dequeued(m, MSS);
	assert_false(dp_offload_rx_prep(m));
	rte_pktmbuf_free(m);
	/* an MSS so small the frame would be more than DP_OFL_MAX_SEGS */
	m = tcp_frame(false, -1, 60000, 0x10);
	as_dequeued(m, 100);
	assert_false(dp_offload_rx_prep(m));
	rte_pktmbuf_free(m);
	/* TCP header cut short: data offset past the first segment's data */
	m = tcp_frame(false, -1, 0, 0x10);
	rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, 34)->data_off = 15 << 4;
	as_dequeued(m, MSS);
	assert_false(dp_offload_rx_prep(m));
	rte_pktmbuf_free(m);
	/* not IP at all */
	m = test_frame("52:54:00:00:00:02", "52:54:00:00:00:01", -1, 0x88b5, 64);
	as_dequeued(m, 0);
	assert_false(dp_offload_rx_prep(m));
	rte_pktmbuf_free(m);
	/* an IPv4 fragment */
	m = tcp_frame(false, -1, 1000, 0x10);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	ip->fragment_offset = rte_cpu_to_be_16(0x2000);
	as_dequeued(m, 0);
	assert_false(dp_offload_rx_prep(m));
	rte_pktmbuf_free(m);
	/* a GSO frame whose payload fits one segment is a plain frame */
	m = tcp_frame(false, -1, 1000, 0x10);
	as_dequeued(m, MSS);
	assert_true(dp_offload_rx_prep(m));
	assert_false(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
	rte_pktmbuf_free(m);
	assert_int_equal(test_in_use(), 0);
}

/* ---- a burst through dp_offload_tx: parts handed to the port in order ---- */

static unsigned int n_sends, n_got;
static uint32_t next_seq;

static uint16_t capture_send(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts,
			     uint16_t n, bool fitted)
{
	struct seg_info si;
	uint16_t i;

	(void)p, (void)pmd;
	assert_true(fitted);
	assert_true(n <= DP_OFL_OUT_ROOM);
	n_sends++;
	for (i = 0; i < n; i++) {
		if (pkts[i]->pkt_len > 200) {
			check_wire(pkts[i], false, 14, &si);
			/* frames of one burst are sent in their order */
			if (si.seq == SEQ0)
				next_seq = SEQ0;
			assert_int_equal(si.seq, next_seq);
			next_seq += si.payload;
		}
		n_got++;
	}
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

static void test_burst_of_gso_frames_sent_in_parts(void **state)
{
	struct rte_mbuf *pkts[8];
	struct dp_port port;
	unsigned int i;

	(void)state;
	memset(&port, 0, sizeof(port));
	port.ol_caps = 0; /* a plain wire: every sum made here */
	for (i = 0; i < 8; i++) {
		pkts[i] = i == 3 ? test_frame("52:54:00:00:00:02", "52:54:00:00:00:01", -1, 0x88b5,
					      64)
				 : tcp_frame(false, -1, 60000, 0x10);
		if (i != 3) {
			as_dequeued(pkts[i], MSS);
			assert_true(dp_offload_rx_prep(pkts[i]));
		}
	}
	n_sends = n_got = 0;
	assert_int_equal(dp_offload_tx(&port, 0, pkts, 8, capture_send), 7 * 42 + 1);
	assert_int_equal(n_got, 7 * 42 + 1);
	assert_true(n_sends >= 3); /* 294 frames do not fit one part of 160 */
	assert_int_equal(test_in_use(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gso_ipv4_to_plain_port),
		cmocka_unit_test(test_gso_ipv6_to_plain_port),
		cmocka_unit_test(test_gso_passes_whole_to_tso_port),
		cmocka_unit_test(test_shared_frame_is_not_changed),
		cmocka_unit_test(test_partial_checksum),
		cmocka_unit_test(test_bad_requests_refused),
		cmocka_unit_test(test_burst_of_gso_frames_sent_in_parts),
	};

	test_eal_init("test_offload");
	if (dp_offload_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
