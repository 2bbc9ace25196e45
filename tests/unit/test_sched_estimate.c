/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for pmd/sched_estimate.c and the rebalancing it drives: on
 * synthetic 1-, 2- and 4-node topologies with given per-queue loads, queues
 * are first placed as they were before any load was measured, then
 * re-planned on the loads (what pmd-rxq-rebalance and pmd-auto-lb do).  The
 * estimate of the move is checked by hand, the new spread against the
 * optimal one found by brute force, and pmd-auto-lb's decision against its
 * thresholds; a second round on the same loads must move nothing, so an
 * automatic rebalance cannot ping-pong.  No DPDK: plain tables.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pmd/sched.h"

#define MAXP 8
#define MAXQ 16

struct topo {
	const char *name;
	unsigned int n_pmds, n_rxqs;
	struct sched_pmd pmds[MAXP];
	struct sched_rxq rxqs[MAXQ];
	int cur[MAXQ]; /* the placement in effect */
};

/* n_nodes nodes of per_node PMDs each, cores 10 * node + 1 .. */
static void topo_init(struct topo *t, const char *name, unsigned int n_nodes, unsigned int per_node)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->name = name;
	t->n_pmds = n_nodes * per_node;
	for (i = 0; i < t->n_pmds; i++) {
		t->pmds[i].core = 10 * (i / per_node) + 1 + i % per_node;
		t->pmds[i].numa = (int)(i / per_node);
	}
}

static void topo_rxq(struct topo *t, uint16_t port, int numa, uint64_t cycles)
{
	struct sched_rxq *q = &t->rxqs[t->n_rxqs];

	q->port = port;
	q->qid = (uint16_t)(t->n_rxqs);
	q->numa = numa;
	q->pinned_core = -1;
	q->cycles = cycles;
	t->n_rxqs++;
}

/* The placement made when the queues came up: nothing measured yet. */
static void topo_place_unmeasured(struct topo *t, enum sched_mode mode)
{
	struct sched_opts o = {.mode = mode, .isolate_pinned = true};
	uint64_t saved[MAXQ];
	unsigned int i;

	for (i = 0; i < t->n_rxqs; i++) {
		saved[i] = t->rxqs[i].cycles;
		t->rxqs[i].cycles = 0;
	}
	assert_int_equal(sched_assign(t->pmds, t->n_pmds, t->rxqs, t->n_rxqs, &o, NULL, NULL), 0);
	for (i = 0; i < t->n_rxqs; i++) {
		t->cur[i] = t->rxqs[i].pmd;
		t->rxqs[i].cycles = saved[i];
	}
}

/* Dry run on the measured loads, then the estimate of moving to it. */
static void topo_dry_run(struct topo *t, enum sched_mode mode, struct sched_estimate *est)
{
	struct sched_opts o = {.mode = mode, .isolate_pinned = true};

	assert_int_equal(sched_assign(t->pmds, t->n_pmds, t->rxqs, t->n_rxqs, &o, NULL, NULL), 0);
	assert_int_equal(sched_estimate(t->pmds, t->n_pmds, t->rxqs, t->n_rxqs, t->cur, est), 0);
}

static void topo_commit(struct topo *t)
{
	unsigned int i;

	for (i = 0; i < t->n_rxqs; i++)
		t->cur[i] = t->rxqs[i].pmd;
}

/* Optimal max PMD load with every queue on a PMD of its own node. */
static void brute_rec(const struct topo *t, unsigned int qi, uint64_t *load, uint64_t cur_max,
		      uint64_t *best)
{
	unsigned int p;

	if (cur_max >= *best)
		return;
	if (qi == t->n_rxqs) {
		*best = cur_max;
		return;
	}
	for (p = 0; p < t->n_pmds; p++) {
		if (t->pmds[p].numa != t->rxqs[qi].numa)
			continue;
		load[p] += t->rxqs[qi].cycles;
		brute_rec(t, qi + 1, load, load[p] > cur_max ? load[p] : cur_max, best);
		load[p] -= t->rxqs[qi].cycles;
	}
}

static uint64_t brute_opt(const struct topo *t)
{
	uint64_t load[MAXP] = {0}, best = UINT64_MAX;

	brute_rec(t, 0, load, 0, &best);
	return best;
}

/*
 * One rebalance on a topology: the estimate matches the expected max loads
 * before and after, the result is compared with the optimum, the default
 * thresholds (95 % busy, 25 % improvement) say rebalance, and a second dry
 * run after the move proposes nothing.  Prints one row of the table the
 * test log shows.
 */
static void rebalance_case(struct topo *t, enum sched_mode mode, uint64_t want_cur_max,
			   uint64_t want_next_max)
{
	uint64_t opt = brute_opt(t);
	struct sched_estimate est, again;

	topo_dry_run(t, mode, &est);
	print_message("%-28s %-7s max %5llu -> %5llu (optimal %5llu)  variance -%5.1f %%  "
		      "%u moves\n",
		      t->name, sched_mode_name(mode), (unsigned long long)est.cur.max,
		      (unsigned long long)est.next.max, (unsigned long long)opt, est.improvement,
		      est.moves);
	assert_true(est.cur.max == want_cur_max);
	assert_true(est.next.max == want_next_max);
	assert_true(est.next.max >= opt);
	assert_true(est.moves > 0);
	assert_true(est.improvement > 0 && est.improvement <= 100);
	assert_int_equal(sched_alb_decide(96, &est, 95, 25), SCHED_ALB_REBALANCE);
	assert_int_equal(sched_alb_decide(94, &est, 95, 25), SCHED_ALB_NOT_OVERLOADED);

	topo_commit(t);
	topo_dry_run(t, mode, &again);
	assert_int_equal(again.moves, 0);
	assert_true(again.cur.max == est.next.max && again.next.max == est.next.max);
	assert_true(again.improvement == 0);
	assert_int_equal(sched_alb_decide(100, &again, 95, 0), SCHED_ALB_NO_MOVE);
}

/*
 * 1 node, 2 PMDs.  Placed unmeasured (cycles: serpentine by qid) the two
 * heavy queues 0 and 3 share core 1: 150 against 10 on core 2.  Measured,
 * 80 and 70 go apart; group then puts both light queues with 70 (80 | 80,
 * optimal), cycles deals them one each way (85 | 75).
 */
static void test_one_node(void **state)
{
	static const uint64_t load[] = {80, 5, 5, 70};
	enum sched_mode m;
	struct topo t;
	unsigned int i;

	(void)state;
	for (m = SCHED_CYCLES; m <= SCHED_GROUP; m++) {
		if (m == SCHED_ROUNDROBIN)
			continue;
		topo_init(&t, "1 node x 2 PMDs, 4 queues", 1, 2);
		for (i = 0; i < 4; i++)
			topo_rxq(&t, 0, 0, load[i]);
		topo_place_unmeasured(&t, SCHED_CYCLES);
		assert_int_equal(t.cur[0], 0);
		assert_int_equal(t.cur[3], 0);
		rebalance_case(&t, m, 150, m == SCHED_GROUP ? 80 : 85);
		assert_true(brute_opt(&t) == 80);
	}
}

/*
 * 2 nodes x 2 PMDs.  Node 0 is lopsided as above; node 1 is already even
 * (40 | 40).  The improvement is node 0's own (node 1 cannot hide it), and
 * node 1's queues do not move.
 */
static void test_two_nodes(void **state)
{
	static const uint64_t load0[] = {80, 5, 5, 70};
	struct sched_estimate est;
	struct topo t;
	unsigned int i;

	(void)state;
	topo_init(&t, "2 nodes x 2 PMDs, 6 queues", 2, 2);
	for (i = 0; i < 4; i++)
		topo_rxq(&t, 0, 0, load0[i]);
	topo_rxq(&t, 1, 1, 40);
	topo_rxq(&t, 1, 1, 40);
	topo_place_unmeasured(&t, SCHED_CYCLES);
	topo_dry_run(&t, SCHED_GROUP, &est);
	/* node 0: variance 4900 -> 0 (80 | 80); node 1: 0 -> 0 */
	assert_true(est.cur.variance == 4900.0 && est.next.variance == 0.0);
	assert_true(est.improvement == 100.0);
	assert_int_equal(t.rxqs[4].pmd, t.cur[4]);
	assert_int_equal(t.rxqs[5].pmd, t.cur[5]);
	topo_place_unmeasured(&t, SCHED_CYCLES);
	rebalance_case(&t, SCHED_GROUP, 150, 80);
}

/*
 * 4 nodes x 2 PMDs, queues {700, 300, 300, 100} + 10n on node n, first
 * placed unmeasured (roundrobin: 700 and 300 on one PMD, 300 and 100 on the
 * other; node 3: 1060 | 460).  Group finds the optimum (worst node 3: 790);
 * cycles pairs 700 with 100 (860), still far better than 1060.
 */
static void test_four_nodes(void **state)
{
	static const uint64_t base[] = {700, 300, 300, 100};
	struct topo t;
	unsigned int i, n;

	(void)state;
	for (i = 0; i < 2; i++) {
		topo_init(&t, "4 nodes x 2 PMDs, 16 queues", 4, 2);
		for (n = 0; n < 4; n++) {
			unsigned int k;

			for (k = 0; k < 4; k++)
				topo_rxq(&t, (uint16_t)n, (int)n, base[k] + 10 * n);
		}
		topo_place_unmeasured(&t, SCHED_ROUNDROBIN);
		rebalance_case(&t, i ? SCHED_CYCLES : SCHED_GROUP, 1060, i ? 860 : 790);
		assert_true(brute_opt(&t) == 790);
	}
}

/*
 * A queue on a node with no PMD (node 3) is polled cross-NUMA; it counts in
 * the load of the PMD polling it, before and after, like any other.
 */
static void test_cross_numa_counts(void **state)
{
	struct sched_estimate est;
	struct topo t;

	(void)state;
	topo_init(&t, "2 nodes x 1 PMD + remote", 2, 1);
	topo_rxq(&t, 0, 0, 10);
	topo_rxq(&t, 0, 1, 10);
	topo_rxq(&t, 1, 3, 50);
	t.cur[0] = 0;
	t.cur[1] = 1;
	t.cur[2] = 1;
	topo_dry_run(&t, SCHED_GROUP, &est);
	assert_true(t.rxqs[2].cross_numa);
	/* Heaviest first: group gives it to core 1 (both empty, lower core). */
	assert_int_equal(t.rxqs[2].pmd, 0);
	assert_true(est.cur.max == 60);
	assert_true(est.next.max == 60);
	/* One PMD per node: no node has a variance to lower. */
	assert_true(est.improvement == 0);
	assert_int_equal(sched_alb_decide(100, &est, 10, 0), SCHED_ALB_SMALL_GAIN);
}

/*
 * Two PMDs whose measured loads differ by noise: 102 | 98, and a proposal
 * that evens them to 100 | 100.  Relative to the tiny variance (4) that is
 * a 100 % drop, but the node counts as balanced (sched.h,
 * SCHED_BALANCED_PCT): 4 / (5 % of 100)^2 = 16 %, below the default 25 %.
 * Far from balanced, the floor changes nothing (4900 -> 0 is 100 %).
 */
static void test_balanced_floor(void **state)
{
	struct sched_pmd pmds[2] = {{.core = 1}, {.core = 2}};
	struct sched_rxq rxqs[3] = {
		{.cycles = 100, .pmd = 0}, {.cycles = 98, .pmd = 1}, {.cycles = 2, .pmd = 1}};
	int cur[3] = {0, 1, 0};
	struct sched_estimate est;

	(void)state;
	assert_int_equal(sched_estimate(pmds, 2, rxqs, 3, cur, &est), 0);
	assert_true(est.cur.max == 102 && est.next.max == 100);
	assert_true(est.cur.variance == 4.0 && est.next.variance == 0.0);
	assert_true(est.improvement > 15.99 && est.improvement < 16.01);
	assert_int_equal(sched_alb_decide(100, &est, 10, 25), SCHED_ALB_SMALL_GAIN);
	assert_int_equal(sched_alb_decide(100, &est, 10, 10), SCHED_ALB_REBALANCE);

	/* 155 | 5 -> 80 | 80: the floor (4^2) is far below 75^2: 100 %. */
	rxqs[0] = (struct sched_rxq){.cycles = 80, .pmd = 0};
	rxqs[1] = (struct sched_rxq){.cycles = 75, .pmd = 1};
	rxqs[2] = (struct sched_rxq){.cycles = 5, .pmd = 1};
	cur[0] = cur[1] = 0;
	cur[2] = 1;
	assert_int_equal(sched_estimate(pmds, 2, rxqs, 3, cur, &est), 0);
	assert_true(est.cur.variance == 5625.0 && est.improvement == 100.0);
}

/* The decision's thresholds and its order of checks, on synthetic estimates. */
static void test_decide(void **state)
{
	struct sched_estimate e = {.cur = {.max = 100, .min = 0, .variance = 2500},
				   .next = {.max = 60, .min = 40, .variance = 100},
				   .moves = 2,
				   .improvement = 96};

	(void)state;
	assert_int_equal(sched_alb_decide(95, &e, 95, 25), SCHED_ALB_REBALANCE);
	assert_int_equal(sched_alb_decide(94, &e, 95, 25), SCHED_ALB_NOT_OVERLOADED);
	assert_int_equal(sched_alb_decide(100, &e, 100, 96), SCHED_ALB_REBALANCE);
	assert_int_equal(sched_alb_decide(100, &e, 100, 97), SCHED_ALB_SMALL_GAIN);
	e.improvement = 0.5;
	assert_int_equal(sched_alb_decide(50, &e, 10, 0), SCHED_ALB_REBALANCE);
	assert_int_equal(sched_alb_decide(50, &e, 10, 1), SCHED_ALB_SMALL_GAIN);
	e.improvement = 0; /* equal spread: never move, even with threshold 0 */
	assert_int_equal(sched_alb_decide(50, &e, 10, 0), SCHED_ALB_SMALL_GAIN);
	e.improvement = 50;
	e.next.max = 101; /* lower variance, busier busiest PMD: no */
	assert_int_equal(sched_alb_decide(100, &e, 10, 0), SCHED_ALB_WORSE_MAX);
	e.moves = 0;
	assert_int_equal(sched_alb_decide(100, &e, 10, 0), SCHED_ALB_NO_MOVE);
	/* The load check comes first. */
	assert_int_equal(sched_alb_decide(9, &e, 10, 0), SCHED_ALB_NOT_OVERLOADED);

	assert_string_equal(sched_alb_verdict_name(SCHED_ALB_REBALANCE), "rebalance");
	assert_string_equal(sched_alb_verdict_name(SCHED_ALB_NOT_OVERLOADED), "not overloaded");
	assert_string_equal(sched_alb_verdict_name((enum sched_alb_verdict)42), "unknown");
}

static void test_estimate_args(void **state)
{
	struct sched_pmd pmds[2] = {{.core = 1}, {.core = 2}};
	struct sched_rxq rxqs[2] = {{.cycles = 10, .pmd = 0}, {.cycles = 30, .pmd = 1}};
	int cur[2] = {1, 1};
	struct sched_estimate est;

	(void)state;
	assert_int_equal(sched_estimate(pmds, 2, rxqs, 2, cur, NULL), -EINVAL);
	assert_int_equal(sched_estimate(NULL, 2, rxqs, 2, cur, &est), -EINVAL);
	assert_int_equal(sched_estimate(pmds, 2, NULL, 2, cur, &est), -EINVAL);
	assert_int_equal(sched_estimate(pmds, 2, rxqs, 2, NULL, &est), -EINVAL);
	cur[0] = 2;
	assert_int_equal(sched_estimate(pmds, 2, rxqs, 2, cur, &est), -EINVAL);
	cur[0] = -2;
	assert_int_equal(sched_estimate(pmds, 2, rxqs, 2, cur, &est), -EINVAL);
	cur[0] = -1; /* not polled yet: no load now, a move */
	assert_int_equal(sched_estimate(pmds, 2, rxqs, 2, cur, &est), 0);
	assert_true(est.cur.max == 30 && est.cur.min == 0);
	assert_true(est.next.max == 30 && est.next.min == 10);
	assert_int_equal(est.moves, 1);
	/* variance 225 -> 100 */
	assert_true(est.improvement > 55.5 && est.improvement < 55.6);
	assert_int_equal(sched_estimate(NULL, 0, NULL, 0, NULL, &est), 0);
	assert_int_equal(est.moves, 0);
	assert_true(est.cur.max == 0 && est.improvement == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_node),       cmocka_unit_test(test_two_nodes),
		cmocka_unit_test(test_four_nodes),     cmocka_unit_test(test_cross_numa_counts),
		cmocka_unit_test(test_balanced_floor), cmocka_unit_test(test_decide),
		cmocka_unit_test(test_estimate_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
