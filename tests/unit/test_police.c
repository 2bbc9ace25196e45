/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Component tests of ingress policers (dataplane/police.h) with an injected
 * clock (TSC values handed to dp_police_burst): the bucket, its refill, the
 * split over PMDs, each PMD's own meter, what is metered, and the policer in
 * the pipeline with its drops counted.  Teardown checks no mbuf leaked.
 */
#include "tests/unit/dp_test.h"

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "dataplane/police.h"

#define MAC_A  "52:54:00:00:00:0a"
#define BCAST  "ff:ff:ff:ff:ff:ff"
#define NPORTS 2
#define LEN    114 /* 100 bytes metered: the Ethernet header is not */

static struct dp_port *ports[NPORTS];

static struct dp_police *make(uint64_t rate, uint64_t burst, unsigned int share, uint32_t min)
{
	struct dp_police_params p = {rate, burst, share, min};

	return dp_police_create(&p);
}
static struct dp_bridge *br;
static struct dp_pmd_ctx *ctx;
static unsigned int sent[NPORTS];

static const struct dp_port_ops ops = {.rx_burst = test_rx_none, .tx_burst = test_tx_count};

static int setup(void **state)
{
	void *priv[NPORTS] = {&sent[0], &sent[1]};

	(void)state;
	sent[0] = sent[1] = 0;
	br = test_bridge_create(NPORTS, &ops, priv, ports, &ctx);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_bridge_destroy(br, NPORTS, ports, ctx);
	return 0;
}

static void burst_of(struct rte_mbuf **pkts, uint16_t n, uint16_t len)
{
	for (uint16_t i = 0; i < n; i++) {
		pkts[i] = test_frame(BCAST, MAC_A, -1, 0x88b5, len);
		*rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, RTE_ETHER_HDR_LEN) = (uint8_t)i;
	}
}

/* Meter a burst of 32 frames of LEN bytes on slot pmd at tsc: frames kept. */
static uint16_t meter(struct dp_police *pol, unsigned int pmd, uint64_t tsc,
		      struct dp_rxq_stats *st)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint16_t k, i;

	burst_of(pkts, DP_BURST, LEN);
	k = dp_police_burst(pol, pmd, tsc, st, pkts, DP_BURST);
	for (i = 0; i < k; i++) /* the first ones, in order */
		assert_int_equal(*rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, RTE_ETHER_HDR_LEN),
				 i);
	rte_pktmbuf_free_bulk(pkts, k);
	return k;
}

static void test_bucket_refill_and_pmds(void **state)
{
	/* 800 kbit/s = 100000 B/s, burst 8 kbit = 1000 B: 10 frames */
	struct dp_police *pol = make(800, 8, 1, LEN);
	struct dp_rxq_stats st = {0};
	uint64_t hz = rte_get_tsc_hz(), t0;

	(void)state;
	assert_non_null(pol);
	t0 = rte_get_tsc_cycles() + hz; /* after the meters were filled */
	assert_int_equal(meter(pol, 0, t0, &st), 10);
	assert_int_equal(st.drops[DP_DROP_POLICED_INGRESS], 22);
	assert_int_equal(st.packets, 22); /* received, though dropped */
	assert_int_equal(st.bytes, 22 * LEN);
	/* empty now: nothing at the same time, 10 ms later 1000 B more */
	assert_int_equal(meter(pol, 0, t0, &st), 0);
	assert_int_equal(meter(pol, 0, t0 + hz / 100, &st), 10);
	/* never more than the burst, however long the pause */
	assert_int_equal(meter(pol, 0, t0 + 100 * hz, &st), 10);
	/* PMD slot 1 has its own meter, still full */
	assert_int_equal(meter(pol, 1, t0, &st), 10);
	rte_free(pol);
}

static void test_split_over_pmds_and_defaults(void **state)
{
	struct dp_police *pol = make(800, 8, 2, LEN); /* per PMD: 50000 B/s, 500 B */
	struct dp_rxq_stats st = {0};
	uint64_t hz = rte_get_tsc_hz(), t0;

	(void)state;
	assert_non_null(pol);
	t0 = rte_get_tsc_cycles() + hz;
	assert_int_equal(meter(pol, 0, t0, &st), 5);
	assert_int_equal(meter(pol, 0, t0 + hz / 100, &st), 5);
	rte_free(pol);
	/* each meter's bucket holds the largest frame, split or not (here 10
	 * of ours: as if the port took 1000-byte frames) */
	pol = make(800, 8, 2, 1000);
	assert_non_null(pol);
	assert_int_equal(meter(pol, 0, rte_get_tsc_cycles() + hz, &st), 10);
	assert_int_equal(dp_police_params(pol)->min_bucket, 1000);
	rte_free(pol);
	/* burst 0: OVS's 8000 kbit, a million bytes: 32 frames pass at once */
	pol = make(800, 0, 1, LEN);
	assert_non_null(pol);
	assert_int_equal(meter(pol, 0, rte_get_tsc_cycles() + hz, &st), DP_BURST);
	rte_free(pol);
	errno = 0;
	assert_null(make(0, 8, 1, LEN));
	assert_int_equal(errno, EINVAL);
}

static void test_policer_in_the_pipeline(void **state)
{
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_port_totals t;

	(void)state;
	/* 8 kbit/s: the clock is real here, and 1 byte a millisecond cannot
	 * let a frame more through however slow the run */
	dp_port_set_police(ports[0], make(8, 8, 1, LEN));
	dp_rcu_flush();
	burst_of(pkts, DP_BURST, LEN);
	dp_process_burst(ctx, ports[0], 0, pkts, DP_BURST);
	assert_int_equal(sent[1], 10); /* the bucket's worth was flooded to p1 */
	dp_port_totals(ports[0], &t);
	assert_int_equal(t.rx_packets, DP_BURST);
	assert_int_equal(t.rx_drops[DP_DROP_POLICED_INGRESS], 22);
	/* the other direction is not policed */
	burst_of(pkts, DP_BURST, LEN);
	dp_process_burst(ctx, ports[1], 0, pkts, DP_BURST);
	assert_int_equal(sent[0], DP_BURST);
	/* removed: everything passes again */
	dp_port_set_police(ports[0], NULL);
	dp_rcu_flush();
	burst_of(pkts, DP_BURST, LEN);
	dp_process_burst(ctx, ports[0], 0, pkts, DP_BURST);
	assert_int_equal(sent[1], 10 + DP_BURST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_refill_and_pmds),
		cmocka_unit_test(test_split_over_pmds_and_defaults),
		cmocka_unit_test_setup_teardown(test_policer_in_the_pipeline, setup, teardown),
	};

	test_eal_init("test_police");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
