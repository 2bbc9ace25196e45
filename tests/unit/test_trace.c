/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_trace_frame (dataplane/trace.h) says what the pipeline does: for random
 * frames (sources, destinations, tags, lengths) on a bridge of access and
 * trunk ports with an egress filter, the trace's outputs, tags, lengths and
 * drop reason are exactly what the real pipeline then does with the same
 * frame, and the trace itself sends, counts and learns nothing.  Teardown
 * checks no mbuf leaked.
 */
#include "tests/unit/dp_test.h"

#include <stdlib.h>

#include "dataplane/fdb.h"
#include "dataplane/filter.h"
#include "dataplane/trace.h"

#define NPORTS 4
#define ROUNDS 2000

struct seen {
	unsigned int n;
	uint32_t len;
	int vid;
};

static struct dp_port *ports[NPORTS];
static struct dp_bridge *br;
static struct dp_pmd_ctx *ctx, *tctx;
static struct seen seen[NPORTS];

static uint16_t seen_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n)
{
	struct seen *s = p->priv;

	(void)pmd;
	for (uint16_t i = 0; i < n; i++) {
		s->n++;
		s->len += pkts[i]->pkt_len;
		s->vid = test_frame_vlan(pkts[i]);
	}
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

static const struct dp_port_ops ops = {.rx_burst = test_rx_none, .tx_burst = seen_tx};

static int setup(void **state)
{
	void *priv[NPORTS] = {&seen[0], &seen[1], &seen[2], &seen[3]};
	const uint16_t t1020[] = {10, 20};
	struct filter_rules deny_b = {.n = 1, .default_allow = true};
	struct filter *f;
	char err[256];

	(void)state;
	br = test_bridge_create(NPORTS, &ops, priv, ports, &ctx);
	test_port_vlan(ports[1], br, 10, NULL, 0); /* access 10 */
	test_port_vlan(ports[2], br, 0, t1020, 2); /* trunk 10, 20 */
	test_port_vlan(ports[3], br, 20, NULL, 0); /* access 20 */
	/* p2 refuses frames to 52:54:00:00:00:0b */
	rte_ether_unformat_addr("52:54:00:00:00:0b", &deny_b.r[0].mac);
	memset(&deny_b.r[0].mask, 0xff, sizeof(deny_b.r[0].mask));
	deny_b.r[0].match_dst = true;
	f = filter_from_rules(&deny_b, err, sizeof(err));
	assert_non_null(f);
	dp_port_set_filter(ports[2], FILTER_DIR_EGRESS, f);
	tctx = dp_pmd_ctx_create(1, SOCKET_ID_ANY, test_pool);
	assert_non_null(tctx);
	dp_rcu_flush();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dp_pmd_ctx_destroy(tctx);
	test_bridge_destroy(br, NPORTS, ports, ctx);
	return 0;
}

static const char *const macs[] = {"52:54:00:00:00:0a", "52:54:00:00:00:0b", "52:54:00:00:00:0c",
				   "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "52:54:00:00:00:0d"};

/* The rx drop reason whose count moved from t0 to p's totals now, or
 * DP_DROP_MAX. */
static enum dp_drop rx_drop_since(const struct dp_port *p, const struct dp_port_totals *t0)
{
	struct dp_port_totals t;

	dp_port_totals(p, &t);
	for (int r = 0; r < DP_DROP_MAX; r++)
		if (t.rx_drops[r] != t0->rx_drops[r])
			return (enum dp_drop)r;
	return DP_DROP_MAX;
}

static void test_trace_agrees_with_the_pipeline(void **state)
{
	static const int vids[] = {-1, 10, 20, 30};
	struct dp_trace tr;
	unsigned int agreed_out = 0, agreed_drop = 0;
	uint64_t egress_drops = 0;

	(void)state;
	srand(7);
	for (int round = 0; round < ROUNDS; round++) {
		int in = rand() % NPORTS, vid = vids[rand() % 4];
		const char *src = macs[rand() % 3], *dst = macs[rand() % 6];
		uint16_t len = (uint16_t)(60 + rand() % 1400);
		struct rte_mbuf *m = test_frame(dst, src, vid, 0x88b5, len);
		struct rte_mbuf *copy = rte_pktmbuf_copy(m, test_pool, 0, UINT32_MAX);
		struct dp_port_totals before[NPORTS];
		enum dp_drop dropped;
		unsigned int p, n_out = 0;

		assert_non_null(copy);
		for (p = 0; p < NPORTS; p++)
			dp_port_totals(ports[p], &before[p]);
		struct fdb_stats f0, f1;

		tctx->now = ctx->now;
		fdb_stats_get(br->fdb, &f0);
		dp_trace_frame(tctx, ports[in], copy, &tr);
		fdb_learn_drain(br->fdb, ctx->now); /* had the trace asked, it would show */
		fdb_stats_get(br->fdb, &f1);
		assert_memory_equal(&f0, &f1, sizeof(f0));
		/* the trace sent and counted nothing */
		for (p = 0; p < NPORTS; p++) {
			struct dp_port_totals t;

			dp_port_totals(ports[p], &t);
			assert_memory_equal(&t, &before[p], sizeof(t));
			assert_int_equal(seen[p].n, 0);
		}
		dp_process_burst(ctx, ports[in], 0, &m, 1);
		dropped = rx_drop_since(ports[in], &before[in]);
		assert_int_equal(tr.rx_drop, dropped);
		for (p = 0; p < NPORTS; p++) {
			const struct dp_trace_out *o = NULL;

			for (uint16_t i = 0; i < tr.n_out; i++)
				if (tr.out[i].port == ports[p]->id && tr.out[i].why == DP_DROP_MAX)
					o = &tr.out[i];
			{ /* drops counted against outputs: the same ports and reasons */
				struct dp_port_totals t;

				dp_port_totals(ports[p], &t);
				for (int r = 0; r < DP_DROP_MAX; r++) {
					uint64_t want = t.tx_drops[r] - before[p].tx_drops[r],
						 got = 0;

					for (uint16_t i = 0; i < tr.n_out; i++)
						if (tr.out[i].port == ports[p]->id &&
						    (int)tr.out[i].why == r)
							got += tr.out[i].frames;
					assert_int_equal(got, want);
					egress_drops += want;
				}
			}
			if (seen[p].n == 0) {
				assert_null(o);
				continue;
			}
			n_out++;
			assert_non_null(o);
			assert_int_equal(o->frames, seen[p].n);
			assert_int_equal(o->len, seen[p].len);
			assert_int_equal(o->vid, seen[p].vid);
			seen[p] = (struct seen){0};
		}
		agreed_out += n_out > 0;
		agreed_drop += dropped != DP_DROP_MAX;
		fdb_learn_drain(br->fdb, ctx->now); /* what the real frame asked */
	}
	/* the random mix covered both outcomes well */
	assert_true(agreed_out > ROUNDS / 4);
	assert_true(agreed_drop > ROUNDS / 10);
	assert_true(egress_drops > 0); /* p2's egress rule was met */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trace_agrees_with_the_pipeline, setup,
						teardown),
	};

	test_eal_init("test_trace");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
