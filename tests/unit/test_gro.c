/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Component tests of dataplane/gro.c on real mbufs: wire TCP/IPv4 segments
 * as a `dpdk` port receives them are merged into one TSO-described frame,
 * which offload.c then cuts back into the very same segments (checksums,
 * sequence numbers, bytes).  What must not merge is left alone and in
 * order: a segment with a bad checksum, PSH, another flow, a VLAN tag,
 * Ethernet padding.  Every test ends with the pool back to zero in use.
 */
#include <rte_ip.h>
#include <rte_tcp.h>

#include "tests/unit/dp_test.h"

#include "dataplane/gro.h"
#include "dataplane/offload.h"

#define MSS  1448
#define HDR  (14 + 20 + 20)
#define SEQ0 1000u

/* One wire segment of flow `flow` at byte offset off: complete checksums,
 * payload p[i] = (off + i) & 0xff; pad bytes of Ethernet padding after it. */
static struct rte_mbuf *segment(int flow, uint32_t off, uint16_t payload, uint8_t flags, int vid,
				uint16_t pad)
{
	uint16_t l2 = vid >= 0 ? 18 : 14;
	struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool);
	uint8_t *p;
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint16_t i;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(l2 + 40 + payload + pad));
	assert_non_null(p);
	memset(p, 0, m->data_len);
	eh = (void *)p;
	rte_ether_unformat_addr("52:54:00:00:00:02", &eh->dst_addr);
	rte_ether_unformat_addr("52:54:00:00:00:01", &eh->src_addr);
	if (vid >= 0) {
		struct rte_vlan_hdr *vh = (void *)(eh + 1);

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16((uint16_t)vid);
		vh->eth_proto = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	} else {
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	}
	ip = (void *)(p + l2);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(40 + payload));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(0x0a000001);
	ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th = (void *)(ip + 1);
	th->src_port = rte_cpu_to_be_16((uint16_t)(40000 + flow));
	th->dst_port = rte_cpu_to_be_16(5201);
	th->sent_seq = rte_cpu_to_be_32(SEQ0 + off);
	th->recv_ack = rte_cpu_to_be_32(77);
	th->data_off = 5 << 4;
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(65535);
	for (i = 0; i < payload; i++)
		p[l2 + 40 + i] = (uint8_t)(off + i);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return m;
}

/* Port and first sequence byte of a frame; its payload length. */
static void flow_of(const struct rte_mbuf *m, int *flow, uint32_t *off, uint32_t *payload)
{
	uint8_t buf[70000];
	const uint8_t *p = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	const struct rte_tcp_hdr *th = (const void *)(p + 34);

	*flow = rte_be_to_cpu_16(th->src_port) - 40000;
	*off = rte_be_to_cpu_32(th->sent_seq) - SEQ0;
	*payload = m->pkt_len - HDR;
}

static void free_all(struct rte_mbuf **m, uint16_t n)
{
	rte_pktmbuf_free_bulk(m, n);
	assert_int_equal(test_in_use(), 0);
}

/* 20 back-to-back segments become one frame described as TSO; cut for a
 * plain wire it gives back 20 segments equal to the originals. */
static void test_merge_and_cut_back(void **state)
{
	struct rte_mbuf *pkts[DP_BURST], *out[DP_OFL_MAX_SEGS];
	enum dp_drop why = DP_DROP_MAX;
	uint8_t want[20][HDR + MSS], buf[HDR + MSS];
	uint64_t absorbed;
	uint16_t i, n;

	(void)state;
	for (i = 0; i < 20; i++) {
		pkts[i] = segment(0, i * MSS, MSS, RTE_TCP_ACK_FLAG, -1, 0);
		memcpy(want[i], rte_pktmbuf_mtod(pkts[i], void *), HDR + MSS);
	}
	n = dp_gro_burst(pkts, 20, &absorbed);
	assert_int_equal(n, 1);
	assert_int_equal(pkts[0]->pkt_len, HDR + 20 * MSS);
	assert_int_equal(absorbed, 19 * HDR);
	assert_true(pkts[0]->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_int_equal(pkts[0]->tso_segsz, MSS);

	n = dp_offload_fit(pkts[0], 0, out, &why);
	assert_int_equal(why, DP_DROP_MAX);
	assert_int_equal(n, 20);
	for (i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_read(out[i], 0, out[i]->pkt_len, buf);
		const struct rte_ipv4_hdr *ip = (const void *)(p + 14);

		assert_int_equal(out[i]->pkt_len, HDR + MSS);
		assert_int_equal(rte_ipv4_cksum(ip), 0);
		assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, p + 34), 0);
		/* the IPv4 id is the segmenter's; everything else as sent */
		assert_memory_equal(p, want[i], 18);
		assert_memory_equal(p + 20, want[i] + 20, 4);
		assert_memory_equal(p + 26, want[i] + 26, HDR + MSS - 26);
	}
	free_all(out, n);
}

/* A segment with a bad TCP checksum is not merged, nor are its
 * neighbours across it: each flow keeps its order. */
static void test_bad_checksum_splits_run_in_order(void **state)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint32_t off, len, expect = 0;
	uint64_t absorbed;
	int flow;
	uint16_t i, n;

	(void)state;
	for (i = 0; i < 8; i++)
		pkts[i] = segment(0, i * MSS, MSS, RTE_TCP_ACK_FLAG, -1, 0);
	rte_pktmbuf_mtod_offset(pkts[3], uint8_t *, HDR)[5] ^= 0xff; /* corrupt payload */
	n = dp_gro_burst(pkts, 8, &absorbed);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		flow_of(pkts[i], &flow, &off, &len);
		assert_int_equal(off, expect);
		expect += len;
	}
	flow_of(pkts[1], &flow, &off, &len);
	assert_int_equal(len, MSS); /* the bad one, alone and unflagged */
	assert_int_equal(pkts[1]->ol_flags & RTE_MBUF_F_TX_TCP_SEG, 0);
	assert_int_equal(absorbed, 2 * HDR + 3 * HDR);
	free_all(pkts, n);
}

/* PSH ends what can merge; two interleaved flows merge each on its own. */
static void test_psh_and_two_flows(void **state)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint32_t off, len;
	uint64_t absorbed;
	int flow, seen[2] = {0, 0};
	uint32_t next[2] = {0, 0};
	uint16_t i, n;

	(void)state;
	for (i = 0; i < 12; i++)
		pkts[i] = segment(i & 1, (i / 2) * MSS, MSS,
				  RTE_TCP_ACK_FLAG | (i == 11 ? RTE_TCP_PSH_FLAG : 0), -1, 0);
	n = dp_gro_burst(pkts, 12, &absorbed);
	assert_int_equal(n, 3); /* flow 0 merged, flow 1's 5 merged, its PSH last */
	for (i = 0; i < n; i++) {
		flow_of(pkts[i], &flow, &off, &len);
		assert_int_equal(off, next[flow]);
		next[flow] += len;
		seen[flow]++;
	}
	assert_int_equal(next[0], 6 * MSS);
	assert_int_equal(next[1], 6 * MSS);
	assert_int_equal(seen[1], 2);
	free_all(pkts, n);
}

/* Tagged frames (librte_gro's key has no VLAN), padded frames and pure
 * ACKs pass untouched; a burst without two candidates costs one pass. */
static void test_left_alone(void **state)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t absorbed = 99;
	uint16_t i, n;

	(void)state;
	for (i = 0; i < 4; i++)
		pkts[i] = segment(0, i * 100, 100, RTE_TCP_ACK_FLAG, 10, 0);
	for (; i < 8; i++)
		pkts[i] = segment(1, (i - 4) * 6, 6, RTE_TCP_ACK_FLAG, -1, 4); /* padded to 60 */
	for (; i < 12; i++)
		pkts[i] = segment(2, 0, 0, RTE_TCP_ACK_FLAG, -1, 6);
	n = dp_gro_burst(pkts, 12, &absorbed);
	assert_int_equal(n, 12);
	assert_int_equal(absorbed, 0);
	for (i = 0; i < n; i++)
		assert_int_equal(pkts[i]->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK, 0);
	free_all(pkts, n);
}

/* ---- review: attacks ---- */

/* A wire segment of flow 0 like segment(), with `opt` bytes of IPv4 options
 * (NOPs, then EOL) and IPv4 TOS `tos`; checksums complete. */
static struct rte_mbuf *segment_ip(uint32_t off, uint16_t payload, uint8_t tos, uint8_t opt)
{
	uint16_t l3 = (uint16_t)(20 + opt), i;
	struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool);
	struct rte_ether_hdr *eh;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint8_t *p;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + l3 + 20 + payload));
	assert_non_null(p);
	memset(p, 0, m->data_len);
	eh = (void *)p;
	rte_ether_unformat_addr("52:54:00:00:00:02", &eh->dst_addr);
	rte_ether_unformat_addr("52:54:00:00:00:01", &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (void *)(p + 14);
	ip->version_ihl = (uint8_t)(0x40 | (l3 / 4));
	ip->type_of_service = tos;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + 20 + payload));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(0x0a000001);
	ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
	for (i = 0; i < opt; i++)
		p[14 + 20 + i] = i + 1 < opt ? 0x01 : 0x00;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th = (void *)(p + 14 + l3);
	th->src_port = rte_cpu_to_be_16(40000);
	th->dst_port = rte_cpu_to_be_16(5201);
	th->sent_seq = rte_cpu_to_be_32(SEQ0 + off);
	th->recv_ack = rte_cpu_to_be_32(77);
	th->data_off = 5 << 4;
	th->tcp_flags = RTE_TCP_ACK_FLAG;
	th->rx_win = rte_cpu_to_be_16(65535);
	for (i = 0; i < payload; i++)
		p[14 + l3 + 20 + i] = (uint8_t)(off + i);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	return m;
}

/* The TCP payload of each frame, parsed from its own headers, is the
 * stream's bytes at its sequence number; returns the payload bytes seen. */
static uint32_t stream_check(struct rte_mbuf **pkts, uint16_t n)
{
	static uint8_t buf[70000];
	uint32_t total = 0;
	uint16_t k;

	for (k = 0; k < n; k++) {
		const uint8_t *p = rte_pktmbuf_read(pkts[k], 0, pkts[k]->pkt_len, buf);
		const struct rte_ipv4_hdr *ip = (const void *)(p + 14);
		uint32_t l3 = rte_ipv4_hdr_len(ip), tot = rte_be_to_cpu_16(ip->total_length);
		const struct rte_tcp_hdr *th = (const void *)(p + 14 + l3);
		uint32_t l4 = (th->data_off >> 4) * 4u, off = rte_be_to_cpu_32(th->sent_seq) - SEQ0;
		uint32_t i, len = pkts[k]->pkt_len - 14 - l3 - l4;

		assert_int_equal(tot, pkts[k]->pkt_len - 14);
		for (i = 0; i < len; i++)
			if (p[14 + l3 + l4 + i] != (uint8_t)(off + i))
				fail_msg("frame %u: payload byte %u of %u is 0x%02x, stream has "
					 "0x%02x",
					 k, i, len, p[14 + l3 + l4 + i], (uint8_t)(off + i));
		total += len;
	}
	return total;
}

/* Two segments of one flow whose IPv4 headers have head_opt and tail_opt
 * bytes of options: the stream must come out whole. */
static void ip_options(uint8_t head_opt, uint8_t tail_opt)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t absorbed;
	uint16_t n;

	pkts[0] = segment_ip(0, MSS, 0, head_opt);
	pkts[1] = segment_ip(MSS, MSS, 0, tail_opt);
	n = dp_gro_burst(pkts, 2, &absorbed);
	assert_int_equal(stream_check(pkts, n), 2 * MSS);
	free_all(pkts, n);
}

/* librte_gro compares TCP header lengths but not IPv4 header lengths, and
 * strips a merged tail by the HEAD's header length: a tail with 4 bytes of
 * IP options leaves 4 bytes of its TCP header (checksum, urgent pointer) in
 * the payload.  The guest gets a frame with NEEDS_CSUM and a corrupt
 * stream; the cut-back segments carry valid checksums over wrong bytes. */
static void test_ip_options_length_mismatch_corrupts_stream(void **state)
{
	(void)state;
	ip_options(0, 4);
}

/* The reverse: the head has options, the tail not; 4 payload bytes of the
 * tail vanish. */
static void test_ip_options_on_head_loses_tail_bytes(void **state)
{
	(void)state;
	ip_options(4, 0);
}

/* librte_gro does not compare TOS: a segment marked CE (congestion
 * experienced) merges into an ECT(0) head and the mark is gone, both for a
 * TSO guest (one header) and cut back (every segment copies the head's). */
static void test_ecn_ce_mark_survives(void **state)
{
	struct rte_mbuf *pkts[DP_BURST], *out[DP_OFL_MAX_SEGS];
	enum dp_drop why = DP_DROP_MAX;
	uint8_t buf[HDR + MSS];
	uint64_t absorbed;
	uint16_t i, n, k, ce = 0;

	(void)state;
	for (i = 0; i < 4; i++)
		pkts[i] = segment_ip(i * MSS, MSS, i == 2 ? 0x03 : 0x02, 0);
	n = dp_gro_burst(pkts, 4, &absorbed);
	for (i = 0; i < n; i++) {
		k = dp_offload_fit(pkts[i], 0, out, &why);
		assert_int_not_equal(k, 0);
		while (k--) {
			const uint8_t *p = rte_pktmbuf_read(out[k], 0, 15 + 1, buf);

			ce += (p[15] & 3) == 3;
			rte_pktmbuf_free(out[k]);
		}
	}
	assert_int_equal(ce, 1);
	assert_int_equal(test_in_use(), 0);
}

/* Cut every frame of pkts[0..n) back for a plain wire: the stream must be
 * whole, and no more frames leave than the wire carried. */
static void cut_back_all(struct rte_mbuf **pkts, uint16_t n, uint32_t bytes, uint16_t wire)
{
	struct rte_mbuf *out[DP_OFL_MAX_SEGS];
	uint32_t total = 0;
	uint16_t i, k, frames = 0;

	for (i = 0; i < n; i++) {
		enum dp_drop why = DP_DROP_MAX;

		k = dp_offload_fit(pkts[i], 0, out, &why);
		assert_int_not_equal(k, 0);
		total += stream_check(out, k);
		frames += k;
		rte_pktmbuf_free_bulk(out, k);
	}
	assert_int_equal(total, bytes);
	assert_int_equal(frames, wire);
	assert_int_equal(test_in_use(), 0);
}

/* librte_gro appends full-sized segments to a short head, and the merged
 * frame's MSS is the head's payload: cut back, 100 + 19 x 1448 bytes would
 * be 277 segments (more than DP_OFL_MAX_SEGS: the frame dropped).  A head
 * under 536 bytes is not merged at all, and one shorter than what follows
 * stays alone: the wire's 20 frames leave as 20. */
static void short_head(uint16_t head)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t absorbed;
	uint16_t i, n;

	pkts[0] = segment(0, 0, head, RTE_TCP_ACK_FLAG, -1, 0);
	for (i = 1; i < 20; i++)
		pkts[i] = segment(0, head + (i - 1) * MSS, MSS, RTE_TCP_ACK_FLAG, -1, 0);
	n = dp_gro_burst(pkts, 20, &absorbed);
	assert_int_equal(n, 2);
	assert_int_equal(pkts[0]->pkt_len, HDR + head);
	cut_back_all(pkts, n, head + 19 * MSS, 20);
}

static void test_short_first_segment_cut_back(void **state)
{
	(void)state;
	short_head(100);
}

static void test_short_first_segment_amplifies(void **state)
{
	(void)state;
	short_head(1000);
}

/* A short segment ends a run and is its last: merged with what came before,
 * it gives back the same segments. */
static void test_short_last_segment_merges(void **state)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t absorbed;
	uint16_t i, n;

	(void)state;
	for (i = 0; i < 9; i++)
		pkts[i] = segment(0, i * MSS, MSS, RTE_TCP_ACK_FLAG, -1, 0);
	pkts[9] = segment(0, 9 * MSS, 700, RTE_TCP_ACK_FLAG, -1, 0);
	pkts[10] = segment(0, 9 * MSS + 700, MSS, RTE_TCP_ACK_FLAG, -1, 0);
	n = dp_gro_burst(pkts, 11, &absorbed);
	assert_int_equal(n, 2);
	assert_int_equal(pkts[0]->pkt_len, HDR + 9 * MSS + 700);
	cut_back_all(pkts, n, 10 * MSS + 700, 11);
}

/* A short segment that arrives after the full one it precedes in sequence:
 * librte_gro would put it in front and the merged frame would announce its
 * 600 bytes as the MSS, so 600 + 1448 bytes cut back into four segments
 * (fuzz_gro, regressions/gro/prepended-short-head).  Out of order, nothing
 * merges: the two frames leave as they came. */
static void test_out_of_order_short_segment_stays_alone(void **state)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t absorbed;
	uint16_t n;

	(void)state;
	pkts[0] = segment(0, 600, MSS, RTE_TCP_ACK_FLAG, -1, 0);
	pkts[1] = segment(0, 0, 600, RTE_TCP_ACK_FLAG, -1, 0);
	n = dp_gro_burst(pkts, 2, &absorbed);
	assert_int_equal(n, 2);
	assert_int_equal(absorbed, 0);
	cut_back_all(pkts, n, 600 + MSS, 2);
}

/* Two flows interleaved segment by segment, each in sequence: each merges
 * into one frame, and cut back the wire's 16 frames leave as 16. */
static void test_interleaved_flows_merge_each(void **state)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t absorbed;
	uint16_t i, n;

	(void)state;
	for (i = 0; i < 16; i++)
		pkts[i] = segment(i % 2, (i / 2) * MSS, MSS, RTE_TCP_ACK_FLAG, -1, 0);
	n = dp_gro_burst(pkts, 16, &absorbed);
	assert_int_equal(n, 2);
	assert_int_equal(absorbed, 14 * HDR);
	cut_back_all(pkts, n, 16 * MSS, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_and_cut_back),
		cmocka_unit_test(test_bad_checksum_splits_run_in_order),
		cmocka_unit_test(test_psh_and_two_flows),
		cmocka_unit_test(test_left_alone),
		cmocka_unit_test(test_ip_options_length_mismatch_corrupts_stream),
		cmocka_unit_test(test_ip_options_on_head_loses_tail_bytes),
		cmocka_unit_test(test_ecn_ce_mark_survives),
		cmocka_unit_test(test_short_first_segment_cut_back),
		cmocka_unit_test(test_short_first_segment_amplifies),
		cmocka_unit_test(test_short_last_segment_merges),
		cmocka_unit_test(test_out_of_order_short_segment_stays_alone),
		cmocka_unit_test(test_interleaved_flows_merge_each),
	};

	test_eal_init("test_gro");
	if (dp_offload_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
