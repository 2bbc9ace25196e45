/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of kvs-bench-gen's frames (bench/gen/gen_frame.h): the udp shape is a valid IPv4/UDP
 * frame (header checksum checked with a sum written here, lengths), every flow is a distinct
 * 5-tuple on the MAC pair the scheme says, B->A is the reverse 5-tuple, the raw shape is today's
 * 0x88b5 frame, and what a frame carries parses back. No EAL: the mbufs are plain memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../bench/gen/gen.h"

struct gen_opts gen_opt;

static struct rte_mbuf mb;
static uint8_t room[2048];

static struct rte_mbuf *fresh(void)
{
	memset(&mb, 0, sizeof(mb));
	memset(room, 0, sizeof(room));
	mb.buf_addr = room;
	mb.buf_len = sizeof(room);
	mb.data_off = RTE_PKTMBUF_HEADROOM;
	return &mb;
}

static void opts(enum gen_shape shape, uint32_t macs, uint32_t flows)
{
	memset(&gen_opt, 0, sizeof(gen_opt));
	gen_opt.shape = shape;
	gen_opt.size = 64;
	gen_opt.macs = macs;
	gen_opt.flows = flows;
}

/* RFC 1071, independent of DPDK's helpers: 0 over a header with a correct checksum. */
static uint16_t ones_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

struct tuple {
	uint32_t src, dst;
	uint16_t sport, dport;
};

static int tuple_cmp(const void *x, const void *y)
{
	const struct tuple *a = x, *b = y;

	if (a->src != b->src)
		return a->src < b->src ? -1 : 1;
	if (a->dst != b->dst)
		return a->dst < b->dst ? -1 : 1;
	if (a->sport != b->sport)
		return a->sport < b->sport ? -1 : 1;
	return a->dport < b->dport ? -1 : a->dport > b->dport;
}

static struct tuple tuple_of(struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct tuple t;

	t.src = (uint32_t)f[26] << 24 | (uint32_t)f[27] << 16 | (uint32_t)f[28] << 8 | f[29];
	t.dst = (uint32_t)f[30] << 24 | (uint32_t)f[31] << 16 | (uint32_t)f[32] << 8 | f[33];
	t.sport = (uint16_t)(f[34] << 8 | f[35]);
	t.dport = (uint16_t)(f[36] << 8 | f[37]);
	return t;
}

static void udp_frame_is_valid_ipv4_udp(void **state)
{
	struct rte_mbuf *m = fresh();
	const uint8_t *f;

	(void)state;
	opts(GEN_SHAPE_UDP, 10, 100);
	gen_frame_build(m, GEN_A, 3, 7, 0x0001, 42);
	gen_frame_set_tsc(m, 0x1122334455667788ull);
	f = rte_pktmbuf_mtod(m, const uint8_t *);
	assert_int_equal(m->data_len, 60);
	assert_int_equal(m->pkt_len, 60);
	assert_int_equal(f[12] << 8 | f[13], 0x0800);
	assert_int_equal(f[14], 0x45);
	assert_int_equal(f[16] << 8 | f[17], 46); /* IP total length: 60 - 14 */
	assert_int_equal(f[22], 64);              /* TTL */
	assert_int_equal(f[23], 17);              /* UDP */
	assert_int_equal(ones_sum(f + 14, 20), 0);
	assert_int_equal(f[38] << 8 | f[39], 26); /* UDP length: 60 - 34 */
	/* MACs and IPs of pair 3, ports of connection 7 */
	assert_memory_equal(f, "\x02\x00\x0b\x00\x00\x03", 6);
	assert_memory_equal(f + 6, "\x02\x00\x0a\x00\x00\x03", 6);
	assert_memory_equal(f + 26, "\x0a\x00\x00\x03\x0b\x00\x00\x03", 8);
	assert_int_equal(tuple_of(m).sport, 1024 + 7);
	assert_int_equal(tuple_of(m).dport, 1024);

	/* a readdress (closed loop) keeps the checksum right, even of a frame a switch changed:
	 * it rewrites every field the checksum covers (the checksum is not read back) */
	((uint8_t *)f)[22] = 63;   /* TTL */
	((uint8_t *)f)[15] = 0xb8; /* TOS */
	gen_frame_readdress(m, GEN_B, 0xabcdef, 70000);
	assert_int_equal(ones_sum(f + 14, 20), 0);
	assert_int_equal(f[22], 64);
	assert_int_equal(f[15], 0);
	assert_memory_equal(f + 26, "\x0b\xab\xcd\xef\x0a\xab\xcd\xef", 8);
	assert_int_equal(tuple_of(m).sport, 1024 + 1);
	assert_int_equal(tuple_of(m).dport, 1024 + 70000 % 64512);
}

static void udp_flows_are_distinct_5_tuples(void **state)
{
	enum { MACS = 10, FLOWS = 100000 };
	struct tuple *seen = calloc(FLOWS, sizeof(*seen));
	struct gen_flow fl = {0};
	uint32_t i, j;

	(void)state;
	assert_non_null(seen);
	opts(GEN_SHAPE_UDP, MACS, FLOWS);
	for (i = 0; i < FLOWS; i++) {
		struct rte_mbuf *m = fresh();
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

		assert_int_equal(fl.t, i);
		gen_frame_build(m, GEN_A, fl.p, fl.k, 0, 0);
		seen[i] = tuple_of(m);
		/* the MAC pair is t % macs, and the IPs say the same pair */
		assert_int_equal(f[5], i % MACS);
		assert_int_equal(seen[i].src & 0xffffff, i % MACS);
		gen_flow_next(&fl);
	}
	assert_int_equal(fl.t, 0); /* wrapped */
	assert_int_equal(fl.p, 0);
	assert_int_equal(fl.k, 0);
	/* distinct: sorted, no two neighbours equal */
	qsort(seen, FLOWS, sizeof(*seen), tuple_cmp);
	for (j = 0, i = 1; i < FLOWS; i++)
		j += tuple_cmp(&seen[i - 1], &seen[i]) == 0;
	assert_int_equal(j, 0);
	free(seen);
}

static void udp_reverse_direction_is_reverse_tuple(void **state)
{
	struct tuple a, b;

	(void)state;
	opts(GEN_SHAPE_UDP, 4, 400);
	gen_frame_build(fresh(), GEN_A, 2, 65000, 0, 0);
	a = tuple_of(&mb);
	gen_frame_build(fresh(), GEN_B, 2, 65000, 0, 0);
	b = tuple_of(&mb);
	assert_int_equal(a.src, b.dst);
	assert_int_equal(a.dst, b.src);
	assert_int_equal(a.sport, b.dport);
	assert_int_equal(a.dport, b.sport);
	assert_int_not_equal(a.sport, a.dport);
}

static void flow_walk_wraps_at_flows(void **state)
{
	struct gen_flow fl = {0};
	uint32_t i;

	(void)state;
	opts(GEN_SHAPE_UDP, 3, 7);
	for (i = 0; i < 15; i++) {
		assert_int_equal(fl.t, i % 7);
		assert_int_equal(fl.p, (i % 7) % 3);
		assert_int_equal(fl.k, (i % 7) / 3);
		gen_flow_next(&fl);
	}
	/* fewer flows than MAC pairs: only the first pairs carry traffic */
	opts(GEN_SHAPE_UDP, 10, 1);
	memset(&fl, 0, sizeof(fl));
	gen_flow_next(&fl);
	assert_int_equal(fl.t, 0);
	assert_int_equal(fl.p, 0);
}

static void shapes_parse_back(void **state)
{
	static const enum gen_shape shapes[] = {GEN_SHAPE_UDP, GEN_SHAPE_RAW};
	struct gen_meta md;
	bool runt;
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct rte_mbuf *m = fresh();
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

		opts(shapes[i], 1, 1);
		gen_frame_build(m, GEN_B, 0, 0, 0x0102, 123456);
		gen_frame_set_tsc(m, 987654321);
		assert_true(gen_frame_parse(m, &md, &runt));
		assert_false(runt);
		assert_int_equal(md.stream, 0x0102);
		assert_int_equal(md.seq, 123456);
		assert_int_equal(md.tsc, 987654321);
		gen_frame_stamp(m, 0x0003, 5);
		assert_true(gen_frame_parse(m, &md, &runt));
		assert_int_equal(md.stream, 3);
		assert_int_equal(md.tsc, 5);
		if (shapes[i] == GEN_SHAPE_RAW)
			assert_int_equal(f[12] << 8 | f[13], 0x88b5);
		/* a runt is malformed, somebody else's frame is not ours */
		m->data_len = 30;
		assert_false(gen_frame_parse(m, &md, &runt));
		assert_true(runt);
		m->data_len = 60;
		room[RTE_PKTMBUF_HEADROOM + 12] = 0x86;
		assert_false(gen_frame_parse(m, &md, &runt));
		assert_false(runt);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(udp_frame_is_valid_ipv4_udp),
		cmocka_unit_test(udp_flows_are_distinct_5_tuples),
		cmocka_unit_test(udp_reverse_direction_is_reverse_tuple),
		cmocka_unit_test(flow_walk_wraps_at_flows),
		cmocka_unit_test(shapes_parse_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
