/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Component tests of policers (dataplane/police.h) with an injected clock
 * (TSC values handed to dp_police_burst): the bucket, its refill, each
 * PMD's own meter or one shared meter, the limits librte_meter can time, what is metered, srTCM and RFC 4115
 * trTCM, and both directions in the pipeline (port_hooks.h) with their drops
 * counted where the operator looks for them.  Teardown checks no mbuf
 * leaked.
 */
#include "tests/unit/dp_test.h"

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "dataplane/bridge.h"
#include "dataplane/fdb.h"
#include "dataplane/police.h"

#define MAC_A  "52:54:00:00:00:0a"
#define MAC_B  "52:54:00:00:00:0b"
#define BCAST  "ff:ff:ff:ff:ff:ff"
#define NPORTS 2
#define LEN    114 /* 100 bytes metered: the Ethernet header is not */

static struct dp_port *ports[NPORTS];

/* An srTCM policer: rate kbit/s, burst kbit, as ingress policing gives them. */
static struct dp_police *make(uint64_t rate, uint64_t burst, bool shared, uint32_t min)
{
	struct dp_police_params p = {.kind = DP_POLICE_SRTCM,
				     .cir = rate * 1000 / 8,
				     .cbs = burst * 1000 / 8,
				     .shared = shared,
				     .min_bucket = min};

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
static uint16_t meter(struct dp_police *pol, unsigned int pmd, uint64_t tsc)
{
	struct rte_mbuf *pkts[DP_BURST], *over[DP_BURST];
	uint16_t k, i;

	burst_of(pkts, DP_BURST, LEN);
	k = dp_police_burst(pol, pmd, tsc, pkts, DP_BURST, over);
	for (i = 0; i < k; i++) /* the first ones, in order */
		assert_int_equal(*rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, RTE_ETHER_HDR_LEN),
				 i);
	for (i = 0; i < DP_BURST - k; i++) /* the rest, in order, for the caller */
		assert_int_equal(*rte_pktmbuf_mtod_offset(over[i], uint8_t *, RTE_ETHER_HDR_LEN),
				 k + i);
	rte_pktmbuf_free_bulk(pkts, k);
	rte_pktmbuf_free_bulk(over, DP_BURST - k);
	return k;
}

static void test_bucket_refill_and_pmds(void **state)
{
	/* 800 kbit/s = 100000 B/s, burst 8 kbit = 1000 B: 10 frames */
	struct dp_police *pol = make(800, 8, false, LEN);
	uint64_t hz = rte_get_tsc_hz(), t0;

	(void)state;
	assert_non_null(pol);
	t0 = rte_get_tsc_cycles() + hz; /* after the meters were filled */
	assert_int_equal(meter(pol, 0, t0), 10);
	/* empty now: nothing at the same time, 10 ms later 1000 B more */
	assert_int_equal(meter(pol, 0, t0), 0);
	assert_int_equal(meter(pol, 0, t0 + hz / 100), 10);
	/* never more than the burst, however long the pause */
	assert_int_equal(meter(pol, 0, t0 + 100 * hz), 10);
	/* PMD slot 1 has its own meter, still full */
	assert_int_equal(meter(pol, 1, t0), 10);
	rte_free(pol);
}

static void test_shared_meter_and_limits(void **state)
{
	/* 800 kbit/s, 1000 B, more than one PMD: one bucket for all, whole rate */
	struct dp_police *pol = make(800, 8, true, LEN);
	struct dp_police_params prm = {.kind = DP_POLICE_SRTCM, .cbs = 4000, .min_bucket = LEN};
	uint64_t hz = rte_get_tsc_hz(), t0;

	(void)state;
	assert_non_null(pol);
	t0 = rte_get_tsc_cycles() + hz;
	assert_int_equal(meter(pol, 0, t0), 10);
	assert_int_equal(meter(pol, 1, t0), 0); /* the same bucket, empty */
	assert_int_equal(meter(pol, 1, t0 + hz / 200), 5);
	/* a PMD whose reading is older than the last one does not turn the
	 * meter's clock back (which would refill it) */
	assert_int_equal(meter(pol, 0, t0), 0);
	assert_int_equal(meter(pol, 0, t0 + hz / 100), 5);
	rte_free(pol);
	/* the bucket holds the largest frame (here 10 of ours: as if the port
	 * took 1000-byte frames) */
	pol = make(800, 1, false, 1000);
	assert_non_null(pol);
	assert_int_equal(meter(pol, 0, rte_get_tsc_cycles() + hz), 10);
	assert_int_equal(dp_police_params(pol)->min_bucket, 1000);
	rte_free(pol);
	errno = 0;
	assert_null(make(0, 8, false, LEN));
	assert_int_equal(errno, EINVAL);
	/* rates librte_meter cannot time (a period of 0: a division by zero on
	 * every frame) and buckets near its wrap are refused */
	prm.cir = DP_POLICE_RATE_MAX;
	pol = dp_police_create(&prm);
	assert_non_null(pol);
	assert_int_equal(meter(pol, 0, rte_get_tsc_cycles() + hz), DP_BURST);
	rte_free(pol);
	for (int i = 0; i < 4; i++) {
		prm = (struct dp_police_params){.kind = i < 2 ? DP_POLICE_SRTCM : DP_POLICE_TRTCM,
						.cir = 1000,
						.cbs = 2000,
						.ebs = 2000,
						.min_bucket = LEN};
		if (i == 0)
			prm.cir = UINT64_MAX;
		else if (i == 1)
			prm.cbs = DP_POLICE_BUCKET_MAX + 1;
		else if (i == 2)
			prm.eir = 1ull << 63;
		else
			prm.cir = 184467440737095516ull;
		errno = 0;
		assert_null(dp_police_create(&prm));
		assert_int_equal(errno, EINVAL);
	}
}

static void test_trtcm_passes_green_and_yellow(void **state)
{
	/* committed 100000 B/s, 1000 B (10 frames); excess 50000 B/s, 500 B (5) */
	struct dp_police_params prm = {.kind = DP_POLICE_TRTCM,
				       .cir = 100000,
				       .cbs = 1000,
				       .eir = 50000,
				       .ebs = 500,
				       .min_bucket = LEN};
	struct dp_police *pol = dp_police_create(&prm);
	uint64_t hz = rte_get_tsc_hz(), t0;

	(void)state;
	assert_non_null(pol);
	t0 = rte_get_tsc_cycles() + hz;
	assert_int_equal(meter(pol, 0, t0), 15); /* red only is dropped */
	assert_int_equal(meter(pol, 0, t0), 0);
	/* 10 ms: 1000 B committed and 500 B excess come back */
	assert_int_equal(meter(pol, 0, t0 + hz / 100), 15);
	rte_free(pol);
	/* shared by PMDs: one pair of buckets for all */
	prm.shared = true;
	pol = dp_police_create(&prm);
	assert_non_null(pol);
	t0 = rte_get_tsc_cycles() + hz;
	assert_int_equal(meter(pol, 1, t0), 15);
	assert_int_equal(meter(pol, 0, t0), 0);
	rte_free(pol);
	/* no excess rate: the committed bucket alone, as srTCM */
	prm.shared = false;
	prm.eir = prm.ebs = 0;
	pol = dp_police_create(&prm);
	assert_non_null(pol);
	assert_int_equal(meter(pol, 0, rte_get_tsc_cycles() + hz), 10);
	rte_free(pol);
	prm.cir = 0;
	errno = 0;
	assert_null(dp_police_create(&prm));
	assert_int_equal(errno, EINVAL);
}

static void test_policer_in_the_pipeline(void **state)
{
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_port_totals t;

	(void)state;
	/* 8 kbit/s: the clock is real here, and 1 byte a millisecond cannot
	 * let a frame more through however slow the run */
	dp_port_set_police(ports[0], DP_POLICE_INGRESS, make(8, 8, false, LEN));
	dp_rcu_flush();
	burst_of(pkts, DP_BURST, LEN);
	dp_process_burst(ctx, ports[0], 0, pkts, DP_BURST);
	assert_int_equal(sent[1], 10); /* the bucket's worth was flooded to p1 */
	dp_port_totals(ports[0], &t);
	assert_int_equal(t.rx_packets, DP_BURST); /* received, though dropped */
	assert_int_equal(t.rx_bytes, DP_BURST * LEN);
	assert_int_equal(t.rx_drops[DP_DROP_POLICED_INGRESS], 22);
	/* the other direction is not policed */
	burst_of(pkts, DP_BURST, LEN);
	dp_process_burst(ctx, ports[1], 0, pkts, DP_BURST);
	assert_int_equal(sent[0], DP_BURST);
	/* removed: everything passes again */
	dp_port_set_police(ports[0], DP_POLICE_INGRESS, NULL);
	dp_rcu_flush();
	burst_of(pkts, DP_BURST, LEN);
	dp_process_burst(ctx, ports[0], 0, pkts, DP_BURST);
	assert_int_equal(sent[1], 10 + DP_BURST);
}

static void test_egress_policer_in_the_pipeline(void **state)
{
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_port_totals t;

	(void)state;
	/* p1's egress: 10 frames' bucket, 1 byte a millisecond (real clock) */
	dp_port_set_police(ports[1], DP_POLICE_EGRESS, make(8, 8, false, LEN));
	dp_rcu_flush();
	burst_of(pkts, DP_BURST, LEN);
	dp_process_burst(ctx, ports[0], 0, pkts, DP_BURST);
	assert_int_equal(sent[1], 10);
	dp_port_totals(ports[1], &t);
	assert_int_equal(t.tx_drops[DP_DROP_POLICED_EGRESS], 22); /* on the sender's side */
	assert_int_equal(t.rx_drops[DP_DROP_POLICED_INGRESS], 0);
	dp_port_totals(ports[0], &t); /* p0 received all, dropped nothing */
	assert_int_equal(t.rx_packets, DP_BURST);
	for (int r = 0; r < DP_DROP_MAX; r++)
		assert_int_equal(t.rx_drops[r], 0);
	/* what p1 sends is policed, not what it receives */
	burst_of(pkts, DP_BURST, LEN);
	dp_process_burst(ctx, ports[1], 0, pkts, DP_BURST);
	assert_int_equal(sent[0], DP_BURST);
	/* unicast handed over as a whole burst goes through it too */
	dp_port_set_police(ports[1], DP_POLICE_EGRESS, make(8, 8, false, LEN));
	dp_rcu_flush();
	pkts[0] = test_frame(BCAST, MAC_B, -1, 0x88b5, LEN); /* MAC_B is on p1 */
	dp_process_burst(ctx, ports[1], 0, pkts, 1);
	fdb_learn_drain(br->fdb, ctx->now);
	for (uint16_t i = 0; i < DP_BURST; i++)
		pkts[i] = test_frame(MAC_B, MAC_A, -1, 0x88b5, LEN);
	dp_process_burst(ctx, ports[0], 0, pkts, DP_BURST);
	assert_int_equal(sent[1], 20);
	dp_port_totals(ports[1], &t);
	assert_int_equal(t.tx_drops[DP_DROP_POLICED_EGRESS], 44);
	dp_port_set_police(ports[1], DP_POLICE_EGRESS, NULL);
	dp_rcu_flush();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_refill_and_pmds),
		cmocka_unit_test(test_shared_meter_and_limits),
		cmocka_unit_test(test_trtcm_passes_green_and_yellow),
		cmocka_unit_test_setup_teardown(test_policer_in_the_pipeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_egress_policer_in_the_pipeline, setup,
						teardown),
	};

	test_eal_init("test_police");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
