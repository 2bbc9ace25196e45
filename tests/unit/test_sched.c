/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for pmd/sched.c: rx queue to PMD placement on synthetic 1-, 2-
 * and 4-node topologies.  No DPDK, no EAL: the scheduler is a pure function,
 * so every test builds tables, calls sched_assign() and checks the result
 * against the rules of sched.h, and the load-based modes against an optimal
 * placement found by brute force: group (least loaded PMD, LPT) within
 * Graham's 4/3 bound, cycles (serpentine deal) within one queue of even.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "pmd/sched.h"

#define MAXP    8
#define MAXQ    32
#define MAXW    (2 * MAXQ)
#define MSG_LEN 256

/* Every warning, in call order, so tests can check who got one and why. */
struct warn_log {
	unsigned int n;
	const struct sched_rxq *q[MAXW];
	char msg[MAXW][MSG_LEN];
};

static void record_warn(void *arg, const struct sched_rxq *q, const char *msg)
{
	struct warn_log *w = arg;

	assert_non_null(q);
	assert_non_null(msg);
	assert_true(w->n < MAXW);
	w->q[w->n] = q;
	snprintf(w->msg[w->n], MSG_LEN, "%s", msg);
	w->n++;
}

static unsigned int warns_for(const struct warn_log *w, const struct sched_rxq *q)
{
	unsigned int i, n = 0;

	for (i = 0; i < w->n; i++)
		if (w->q[i] == q)
			n++;
	return n;
}

static const char *warn_msg_for(const struct warn_log *w, const struct sched_rxq *q)
{
	unsigned int i;

	for (i = 0; i < w->n; i++)
		if (w->q[i] == q)
			return w->msg[i];
	return NULL;
}

/*
 * Builders fill the out fields with junk first: sched_assign() must write
 * every one of them, whatever the caller left there.
 */
static void set_pmd(struct sched_pmd *p, unsigned int core, int numa)
{
	memset(p, 0x5a, sizeof(*p));
	p->core = core;
	p->numa = numa;
}

static void set_rxq(struct sched_rxq *q, uint16_t port, uint16_t qid, int numa, int pinned,
		    uint64_t cycles)
{
	memset(q, 0x5a, sizeof(*q));
	q->port = port;
	q->qid = qid;
	q->numa = numa;
	q->pinned_core = pinned;
	q->cycles = cycles;
}

static int pmd_of_core(const struct sched_pmd *pmds, unsigned int n_pmds, int core)
{
	unsigned int i;

	for (i = 0; i < n_pmds; i++)
		if ((int)pmds[i].core == core)
			return (int)i;
	return -1;
}

static bool has_free_pmd(const struct sched_pmd *pmds, unsigned int n_pmds, int numa, bool any_node)
{
	unsigned int i;

	for (i = 0; i < n_pmds; i++)
		if (!pmds[i].isolated && (any_node || numa < 0 || pmds[i].numa == numa))
			return true;
	return false;
}

static bool has_pmd_on(const struct sched_pmd *pmds, unsigned int n_pmds, int numa)
{
	unsigned int i;

	for (i = 0; i < n_pmds; i++)
		if (numa < 0 || pmds[i].numa == numa)
			return true;
	return false;
}

/*
 * The rules every result must satisfy, whatever the mode: all queues
 * placed, pins honoured, isolation right, same node whenever possible,
 * cross_numa and warnings consistent, PMD totals right, inputs intact.
 */
static void check_rules(const struct sched_pmd *pmds, unsigned int n_pmds,
			const struct sched_rxq *rxqs, unsigned int n_rxqs,
			const struct sched_opts *opts, const struct warn_log *w)
{
	uint64_t load[MAXP] = {0};
	unsigned int n_rxq[MAXP] = {0};
	bool want_iso[MAXP] = {false};
	unsigned int i, expected_warns = 0;

	for (i = 0; i < n_rxqs; i++) {
		int p = rxqs[i].pinned_core >= 0 ? pmd_of_core(pmds, n_pmds, rxqs[i].pinned_core)
						 : -1;

		if (p >= 0 && opts->isolate_pinned)
			want_iso[p] = true;
	}
	for (i = 0; i < n_pmds; i++)
		assert_int_equal(pmds[i].isolated, want_iso[i]);

	for (i = 0; i < n_rxqs; i++) {
		const struct sched_rxq *q = &rxqs[i];
		int pin = q->pinned_core >= 0 ? pmd_of_core(pmds, n_pmds, q->pinned_core) : -1;
		unsigned int warns = 0;
		const struct sched_pmd *p;

		assert_in_range(q->pmd, 0, (int)n_pmds - 1);
		p = &pmds[q->pmd];
		load[q->pmd] += q->cycles;
		n_rxq[q->pmd]++;
		assert_int_equal(q->cross_numa, q->numa >= 0 && p->numa != q->numa);

		if (q->pinned_core >= 0 && pin < 0)
			warns++; /* the unusable pin */
		if (pin >= 0) {
			assert_int_equal(q->pmd, pin);
			if (q->cross_numa)
				warns++;
		} else if (has_free_pmd(pmds, n_pmds, q->numa, false)) {
			/* Rule 2: same node whenever it has a non-isolated PMD. */
			assert_false(q->cross_numa);
			assert_false(p->isolated);
		} else if (has_free_pmd(pmds, n_pmds, q->numa, true)) {
			assert_true(q->cross_numa);
			assert_false(p->isolated);
			warns++;
		} else {
			/* All isolated: own node if it has a PMD, anywhere otherwise. */
			assert_int_equal(q->cross_numa, !has_pmd_on(pmds, n_pmds, q->numa));
			warns++;
		}
		if (w != NULL)
			assert_int_equal(warns_for(w, q), warns);
		expected_warns += warns;
	}
	if (w != NULL)
		assert_int_equal(w->n, expected_warns);
	for (i = 0; i < n_pmds; i++) {
		assert_true(pmds[i].load == load[i]);
		assert_int_equal(pmds[i].n_rxq, n_rxq[i]);
	}
}

/* Inputs of the tables, to prove sched_assign() leaves them alone. */
struct inputs {
	unsigned int core[MAXP];
	int pnuma[MAXP];
	uint16_t port[MAXQ], qid[MAXQ];
	int qnuma[MAXQ], pinned[MAXQ];
	uint64_t cycles[MAXQ];
};

static void save_inputs(struct inputs *in, const struct sched_pmd *pmds, unsigned int n_pmds,
			const struct sched_rxq *rxqs, unsigned int n_rxqs)
{
	unsigned int i;

	for (i = 0; i < n_pmds; i++) {
		in->core[i] = pmds[i].core;
		in->pnuma[i] = pmds[i].numa;
	}
	for (i = 0; i < n_rxqs; i++) {
		in->port[i] = rxqs[i].port;
		in->qid[i] = rxqs[i].qid;
		in->qnuma[i] = rxqs[i].numa;
		in->pinned[i] = rxqs[i].pinned_core;
		in->cycles[i] = rxqs[i].cycles;
	}
}

static void check_inputs(const struct inputs *in, const struct sched_pmd *pmds, unsigned int n_pmds,
			 const struct sched_rxq *rxqs, unsigned int n_rxqs)
{
	unsigned int i;

	for (i = 0; i < n_pmds; i++) {
		assert_int_equal(in->core[i], pmds[i].core);
		assert_int_equal(in->pnuma[i], pmds[i].numa);
	}
	for (i = 0; i < n_rxqs; i++) {
		assert_int_equal(in->port[i], rxqs[i].port);
		assert_int_equal(in->qid[i], rxqs[i].qid);
		assert_int_equal(in->qnuma[i], rxqs[i].numa);
		assert_int_equal(in->pinned[i], rxqs[i].pinned_core);
		assert_true(in->cycles[i] == rxqs[i].cycles);
	}
}

/* Assign, expect success, and check every generic rule.  `w` is reset here. */
static void assign_ok(struct sched_pmd *pmds, unsigned int n_pmds, struct sched_rxq *rxqs,
		      unsigned int n_rxqs, enum sched_mode mode, bool isolate, struct warn_log *w)
{
	struct sched_opts opts = {.mode = mode, .isolate_pinned = isolate};
	struct inputs in;

	assert_true(n_pmds <= MAXP && n_rxqs <= MAXQ);
	save_inputs(&in, pmds, n_pmds, rxqs, n_rxqs);
	if (w != NULL)
		memset(w, 0, sizeof(*w));
	assert_int_equal(
		sched_assign(pmds, n_pmds, rxqs, n_rxqs, &opts, w != NULL ? record_warn : NULL, w),
		0);
	check_inputs(&in, pmds, n_pmds, rxqs, n_rxqs);
	check_rules(pmds, n_pmds, rxqs, n_rxqs, &opts, w);
}

static uint64_t max_load(const struct sched_pmd *pmds, unsigned int n_pmds)
{
	uint64_t m = 0;
	unsigned int i;

	for (i = 0; i < n_pmds; i++)
		if (pmds[i].load > m)
			m = pmds[i].load;
	return m;
}

/*
 * Optimal max PMD load over every placement that keeps each queue on a PMD
 * of its own node (the constraint the scheduler works under when every node
 * has a PMD and nothing is pinned).  Exhaustive: keep instances small.
 */
static void brute_rec(const struct sched_pmd *pmds, unsigned int n_pmds,
		      const struct sched_rxq *rxqs, unsigned int n_rxqs, unsigned int qi,
		      uint64_t *load, uint64_t cur_max, uint64_t *best)
{
	unsigned int p;

	if (cur_max >= *best)
		return; /* cannot improve: the max only grows */
	if (qi == n_rxqs) {
		*best = cur_max;
		return;
	}
	for (p = 0; p < n_pmds; p++) {
		uint64_t l;

		if (rxqs[qi].numa >= 0 && pmds[p].numa != rxqs[qi].numa)
			continue;
		load[p] += rxqs[qi].cycles;
		l = load[p] > cur_max ? load[p] : cur_max;
		brute_rec(pmds, n_pmds, rxqs, n_rxqs, qi + 1, load, l, best);
		load[p] -= rxqs[qi].cycles;
	}
}

static uint64_t brute_opt(const struct sched_pmd *pmds, unsigned int n_pmds,
			  const struct sched_rxq *rxqs, unsigned int n_rxqs)
{
	uint64_t load[MAXP] = {0};
	uint64_t best = UINT64_MAX;

	brute_rec(pmds, n_pmds, rxqs, n_rxqs, 0, load, 0, &best);
	assert_true(best != UINT64_MAX);
	return best;
}

/* Largest number of PMDs on one node: the m of Graham's LPT bound. */
static unsigned int max_pmds_per_node(const struct sched_pmd *pmds, unsigned int n_pmds)
{
	unsigned int i, j, m = 0;

	for (i = 0; i < n_pmds; i++) {
		unsigned int c = 0;

		for (j = 0; j < n_pmds; j++)
			if (pmds[j].numa == pmds[i].numa)
				c++;
		if (c > m)
			m = c;
	}
	return m;
}

/*
 * Cycles' bound: dealt in serpentine order from queues sorted heaviest first,
 * the PMDs of one node (one eligible set, when nothing is pinned and every
 * node has a PMD) end within the heaviest queue of that node of each other.
 */
static void check_serpentine_bound(const struct sched_pmd *pmds, unsigned int n_pmds,
				   const struct sched_rxq *rxqs, unsigned int n_rxqs)
{
	unsigned int i, j, k;

	for (i = 0; i < n_pmds; i++) {
		uint64_t heaviest = 0;

		for (k = 0; k < n_rxqs; k++)
			if (rxqs[k].numa == pmds[i].numa && rxqs[k].cycles > heaviest)
				heaviest = rxqs[k].cycles;
		for (j = 0; j < n_pmds; j++)
			if (pmds[j].numa == pmds[i].numa && pmds[i].load > pmds[j].load + heaviest)
				fail_msg("cycles: core %u load %llu, core %u load %llu, heaviest "
					 "%llu",
					 pmds[i].core, (unsigned long long)pmds[i].load,
					 pmds[j].core, (unsigned long long)pmds[j].load,
					 (unsigned long long)heaviest);
	}
}

/*
 * Run group and cycles on one instance and compare with the optimum.
 * Group is LPT: Graham's bound says max load <= (4/3 - 1/(3m)) * optimal on
 * m machines.  Placement is independent per node, each node's queues forming
 * an LPT instance, so the bound holds for the whole with m the largest PMD
 * count on a node.  Cycles is checked against its own bound (above).
 * expect_optimal: group must reach the optimum.  group_max / cycles_max, if
 * not 0, are the exact max loads each mode must reach.
 */
static void check_vs_optimal(struct sched_pmd *pmds, unsigned int n_pmds, struct sched_rxq *rxqs,
			     unsigned int n_rxqs, bool expect_optimal, uint64_t group_max,
			     uint64_t cycles_max)
{
	uint64_t opt = brute_opt(pmds, n_pmds, rxqs, n_rxqs);
	uint64_t m = max_pmds_per_node(pmds, n_pmds);
	struct warn_log w;
	uint64_t got;

	assign_ok(pmds, n_pmds, rxqs, n_rxqs, SCHED_GROUP, true, &w);
	assert_int_equal(w.n, 0);
	got = max_load(pmds, n_pmds);
	assert_true(got >= opt);
	if (3 * m * got > (4 * m - 1) * opt)
		fail_msg("group: max load %llu above LPT bound, optimal %llu",
			 (unsigned long long)got, (unsigned long long)opt);
	if (expect_optimal)
		assert_true(got == opt);
	if (group_max != 0)
		assert_true(got == group_max);

	assign_ok(pmds, n_pmds, rxqs, n_rxqs, SCHED_CYCLES, true, &w);
	assert_int_equal(w.n, 0);
	got = max_load(pmds, n_pmds);
	assert_true(got >= opt);
	check_serpentine_bound(pmds, n_pmds, rxqs, n_rxqs);
	if (cycles_max != 0)
		assert_true(got == cycles_max);
}

/* ------------------------------------------------------------------------ */

static void test_mode_names(void **state)
{
	static const char *const names[] = {"cycles", "roundrobin", "group"};
	static const enum sched_mode modes[] = {SCHED_CYCLES, SCHED_ROUNDROBIN, SCHED_GROUP};
	enum sched_mode m;
	unsigned int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		m = (enum sched_mode)99;
		assert_int_equal(sched_mode_parse(names[i], &m), 0);
		assert_int_equal(m, modes[i]);
		assert_string_equal(sched_mode_name(modes[i]), names[i]);
	}
	m = SCHED_GROUP;
	assert_int_equal(sched_mode_parse("", &m), -EINVAL);
	assert_int_equal(sched_mode_parse("Cycles", &m), -EINVAL);
	assert_int_equal(sched_mode_parse("rr", &m), -EINVAL);
	assert_int_equal(sched_mode_parse("cycles ", &m), -EINVAL);
	assert_int_equal(sched_mode_parse(NULL, &m), -EINVAL);
	assert_int_equal(m, SCHED_GROUP); /* untouched on failure */
	assert_int_equal(sched_mode_parse("cycles", NULL), -EINVAL);
	assert_string_equal(sched_mode_name((enum sched_mode)99), "unknown");
	assert_string_equal(sched_mode_name((enum sched_mode) - 1), "unknown");
}

static void test_bad_args(void **state)
{
	struct sched_opts opts = {.mode = SCHED_CYCLES, .isolate_pinned = true};
	struct sched_opts bad_mode = {.mode = (enum sched_mode)7, .isolate_pinned = true};
	struct sched_pmd pmds[2], pmds0[2];
	struct sched_rxq rxqs[2], rxqs0[2];
	struct warn_log w;

	(void)state;
	set_pmd(&pmds[0], 1, 0);
	set_pmd(&pmds[1], 2, 0);
	set_rxq(&rxqs[0], 0, 0, 0, -1, 10);
	set_rxq(&rxqs[1], 0, 1, 0, -1, 10);
	memcpy(pmds0, pmds, sizeof(pmds));
	memcpy(rxqs0, rxqs, sizeof(rxqs));
	memset(&w, 0, sizeof(w));

	assert_int_equal(sched_assign(pmds, 2, rxqs, 2, NULL, record_warn, &w), -EINVAL);
	assert_int_equal(sched_assign(pmds, 2, rxqs, 2, &bad_mode, record_warn, &w), -EINVAL);
	assert_int_equal(sched_assign(NULL, 2, rxqs, 2, &opts, record_warn, &w), -EINVAL);
	assert_int_equal(sched_assign(pmds, 2, NULL, 2, &opts, record_warn, &w), -EINVAL);
	/* Counts beyond what the int results can express. */
	assert_int_equal(sched_assign(pmds, 1u + (unsigned int)INT_MAX, rxqs, 2, &opts, NULL, NULL),
			 -EINVAL);
	assert_int_equal(sched_assign(pmds, 2, rxqs, 1u + (unsigned int)INT_MAX, &opts, NULL, NULL),
			 -EINVAL);
	rxqs[1].pinned_core = -2; /* only -1 means "not pinned" */
	rxqs0[1].pinned_core = -2;
	assert_int_equal(sched_assign(pmds, 2, rxqs, 2, &opts, record_warn, &w), -EINVAL);

	/* A rejected call writes nothing and warns about nothing. */
	assert_memory_equal(pmds, pmds0, sizeof(pmds));
	assert_memory_equal(rxqs, rxqs0, sizeof(rxqs));
	assert_int_equal(w.n, 0);
}

static void test_no_pmds(void **state)
{
	struct sched_opts opts = {.mode = SCHED_CYCLES, .isolate_pinned = true};
	struct sched_pmd pmds[1];
	struct sched_rxq rxqs[3];
	struct warn_log w;
	unsigned int i;

	(void)state;
	set_pmd(&pmds[0], 1, 0);
	set_rxq(&rxqs[0], 0, 0, 0, -1, 10);
	set_rxq(&rxqs[1], 0, 1, 1, 5, 10); /* pinned: still nowhere to go */
	set_rxq(&rxqs[2], 1, 0, -1, -1, 0);
	memset(&w, 0, sizeof(w));

	assert_int_equal(sched_assign(NULL, 0, rxqs, 3, &opts, record_warn, &w), 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(rxqs[i].pmd, -1);
		assert_false(rxqs[i].cross_numa);
	}
	assert_int_equal(w.n, 0);

	/* A non-NULL array with a zero count is the same thing. */
	for (i = 0; i < 3; i++)
		memset(&rxqs[i].pmd, 0x5a, sizeof(rxqs[i].pmd));
	opts.mode = SCHED_ROUNDROBIN;
	assert_int_equal(sched_assign(pmds, 0, rxqs, 3, &opts, NULL, NULL), 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(rxqs[i].pmd, -1);
	assert_int_equal(pmds[0].core, 1); /* not counted, not touched */

	assert_int_equal(sched_assign(NULL, 0, NULL, 0, &opts, NULL, NULL), 0);
}

static void test_no_rxqs(void **state)
{
	struct sched_opts opts = {.mode = SCHED_GROUP, .isolate_pinned = true};
	struct sched_pmd pmds[2];
	unsigned int i;

	(void)state;
	set_pmd(&pmds[0], 1, 0);
	set_pmd(&pmds[1], 2, 1);
	assert_int_equal(sched_assign(pmds, 2, NULL, 0, &opts, NULL, NULL), 0);
	for (i = 0; i < 2; i++) {
		assert_false(pmds[i].isolated);
		assert_true(pmds[i].load == 0);
		assert_int_equal(pmds[i].n_rxq, 0);
	}
}

/*
 * Roundrobin on one node: queues given in scrambled order and with cycles
 * that must be ignored are dealt in (port, qid) order to the PMDs in core
 * order, whatever the order of the pmds array.
 */
static void test_rr_dealing_1node(void **state)
{
	/* (port, qid) in dealing order and the core each must land on. */
	static const uint16_t port[] = {1, 1, 1, 2, 2, 2, 2};
	static const uint16_t qid[] = {0, 1, 2, 0, 1, 2, 3};
	static const unsigned int core[] = {3, 5, 9, 3, 5, 9, 3};
	static const unsigned int scramble[] = {4, 0, 6, 2, 5, 1, 3};
	struct sched_pmd pmds[3];
	struct sched_rxq rxqs[7];
	struct warn_log w;
	unsigned int i, j;

	(void)state;
	set_pmd(&pmds[0], 5, 0);
	set_pmd(&pmds[1], 9, 0);
	set_pmd(&pmds[2], 3, 0);
	for (i = 0; i < 7; i++) {
		j = scramble[i];
		set_rxq(&rxqs[i], port[j], qid[j], 0, -1, 1000 * (j % 3) + 7);
	}
	assign_ok(pmds, 3, rxqs, 7, SCHED_ROUNDROBIN, true, &w);
	assert_int_equal(w.n, 0);
	for (i = 0; i < 7; i++) {
		j = scramble[i];
		assert_int_equal(pmds[rxqs[i].pmd].core, core[j]);
	}
	assert_int_equal(pmds[2].n_rxq, 3);
	assert_int_equal(pmds[0].n_rxq, 2);
	assert_int_equal(pmds[1].n_rxq, 2);
}

/* Roundrobin on two nodes: each node deals its own queues in turn. */
static void test_rr_dealing_2nodes(void **state)
{
	struct sched_pmd pmds[4];
	struct sched_rxq rxqs[8];
	struct warn_log w;
	unsigned int i;

	(void)state;
	set_pmd(&pmds[0], 12, 1);
	set_pmd(&pmds[1], 2, 0);
	set_pmd(&pmds[2], 11, 1);
	set_pmd(&pmds[3], 1, 0);
	/* Port 0 on node 0, port 1 on node 1, four queues each. */
	for (i = 0; i < 8; i++)
		set_rxq(&rxqs[i], (uint16_t)(i / 4), (uint16_t)(i % 4), (int)(i / 4), -1, 0);
	assign_ok(pmds, 4, rxqs, 8, SCHED_ROUNDROBIN, true, &w);
	assert_int_equal(w.n, 0);
	for (i = 0; i < 8; i++) {
		static const unsigned int want[] = {1, 2, 1, 2, 11, 12, 11, 12};

		assert_int_equal(pmds[rxqs[i].pmd].core, want[i]);
	}
}

/* Roundrobin evens out queue counts around a PMD that polls a pinned queue. */
static void test_rr_with_pin_not_isolated(void **state)
{
	struct sched_pmd pmds[2];
	struct sched_rxq rxqs[4];
	struct warn_log w;

	(void)state;
	set_pmd(&pmds[0], 1, 0);
	set_pmd(&pmds[1], 2, 0);
	set_rxq(&rxqs[0], 0, 0, 0, 1, 0); /* pinned to core 1 */
	set_rxq(&rxqs[1], 0, 1, 0, -1, 0);
	set_rxq(&rxqs[2], 0, 2, 0, -1, 0);
	set_rxq(&rxqs[3], 0, 3, 0, -1, 0);
	assign_ok(pmds, 2, rxqs, 4, SCHED_ROUNDROBIN, false, &w);
	assert_int_equal(rxqs[0].pmd, 0);
	assert_int_equal(rxqs[1].pmd, 1);
	assert_int_equal(rxqs[2].pmd, 0);
	assert_int_equal(rxqs[3].pmd, 1);
	assert_int_equal(pmds[0].n_rxq, 2);
	assert_int_equal(pmds[1].n_rxq, 2);
}

/*
 * 4 nodes x 2 PMDs, 4 queues per node with uneven loads: every queue stays
 * on its node in every mode; the load-based modes are compared with the
 * brute-force optimum over the 2^16 same-node placements.
 */
static void test_same_numa_4nodes(void **state)
{
	static const enum sched_mode modes[] = {SCHED_CYCLES, SCHED_ROUNDROBIN, SCHED_GROUP};
	struct sched_pmd pmds[8];
	struct sched_rxq rxqs[16];
	struct warn_log w;
	unsigned int i, m;

	(void)state;
	for (i = 0; i < 8; i++)
		set_pmd(&pmds[i], 2 + 8 * (i / 2) + (i % 2), (int)(i / 2));
	for (i = 0; i < 16; i++) {
		static const uint64_t cyc[] = {700, 300, 300, 100};

		set_rxq(&rxqs[i], (uint16_t)(i % 4), (uint16_t)(i / 4), (int)(i % 4), -1,
			cyc[i / 4] + 10 * (i % 4));
	}
	for (m = 0; m < 3; m++) {
		assign_ok(pmds, 8, rxqs, 16, modes[m], true, &w);
		assert_int_equal(w.n, 0);
		for (i = 0; i < 16; i++) {
			assert_false(rxqs[i].cross_numa);
			assert_int_equal(pmds[rxqs[i].pmd].numa, rxqs[i].numa);
		}
		if (modes[m] == SCHED_ROUNDROBIN)
			for (i = 0; i < 8; i++)
				assert_int_equal(pmds[i].n_rxq, 2);
	}
	/*
	 * Node n: {700, 300, 300, 100} + 10n.  Group leaves 700 alone against
	 * 300+300+100, which is optimal (worst node 3: 790); cycles deals
	 * 700, 300 | 300, 100 back to the first PMD, pairing 700+100 against
	 * 300+300: 860.
	 */
	assert_true(brute_opt(pmds, 8, rxqs, 16) == 790);
	check_vs_optimal(pmds, 8, rxqs, 16, true, 790, 860);
}

/*
 * Node 3 has queues but no PMD: its queues are polled cross-NUMA by the
 * least loaded PMD anywhere, each with one warning; the others stay home.
 */
static void test_cross_numa_4nodes(void **state)
{
	struct sched_pmd pmds[6];
	struct sched_rxq rxqs[9];
	struct warn_log w;
	unsigned int i, m;

	(void)state;
	for (i = 0; i < 6; i++)
		set_pmd(&pmds[i], 1 + i, (int)(i / 2));
	/* Two queues on each of nodes 0..2, loaded so core 6 (node 2) is lightest. */
	for (i = 0; i < 6; i++)
		set_rxq(&rxqs[i], 0, (uint16_t)i, (int)(i / 2), -1, 100 - (i / 2) * 30);
	set_rxq(&rxqs[6], 3, 0, 3, -1, 50);
	set_rxq(&rxqs[7], 3, 1, 3, -1, 40);
	set_rxq(&rxqs[8], 3, 2, 3, -1, 5);

	assign_ok(pmds, 6, rxqs, 9, SCHED_GROUP, true, &w);
	assert_int_equal(w.n, 3);
	for (i = 6; i < 9; i++) {
		assert_true(rxqs[i].cross_numa);
		assert_int_equal(warns_for(&w, &rxqs[i]), 1);
		assert_non_null(strstr(warn_msg_for(&w, &rxqs[i]), "cross-NUMA"));
	}
	/*
	 * Heaviest first across nodes: 100,100 -> cores 1,2; 70,70 -> 3,4; 50 (node 3)
	 * -> core 5 (all of 5, 6 empty, lower core); 40,40 (node 2) -> core 6 twice;
	 * 40 (node 3) -> core 5 (50 < 80); 5 (node 3) -> core 3 (70, ties core 4 on
	 * load and queue count, lower core).
	 */
	assert_int_equal(pmds[rxqs[6].pmd].core, 5);
	assert_int_equal(pmds[rxqs[7].pmd].core, 5);
	assert_int_equal(pmds[rxqs[8].pmd].core, 3);

	/*
	 * Cycles deals a remote queue on the node whose PMDs have the least
	 * average load, with that node's own turn counter: 100,100 -> cores 1,2;
	 * 70,70 -> 3,4; 50 (node 3) -> node 2 (average 0), its first turn: core
	 * 5; 40,40 (node 2) -> turns 2 and 3: core 6 twice; 40 (node 3) -> node 2
	 * (65 < 70), turn 4: back to core 5; 5 (node 3) -> node 1 (70 < 85),
	 * its turn 3: core 4.
	 */
	assign_ok(pmds, 6, rxqs, 9, SCHED_CYCLES, true, &w);
	assert_int_equal(w.n, 3);
	assert_int_equal(pmds[rxqs[4].pmd].core, 6);
	assert_int_equal(pmds[rxqs[5].pmd].core, 6);
	assert_int_equal(pmds[rxqs[6].pmd].core, 5);
	assert_int_equal(pmds[rxqs[7].pmd].core, 5);
	assert_int_equal(pmds[rxqs[8].pmd].core, 4);

	/* Same placement without a warn callback, in every mode. */
	for (m = 0; m < 3; m++) {
		assign_ok(pmds, 6, rxqs, 9, (enum sched_mode)m, true, NULL);
		for (i = 6; i < 9; i++)
			assert_true(rxqs[i].cross_numa);
	}
}

/* Pins go to their core; with isolation that PMD gets nothing else. */
static void test_pin_isolation(void **state)
{
	struct sched_pmd pmds[4];
	struct sched_rxq rxqs[6];
	struct warn_log w;
	unsigned int i, m;

	(void)state;
	set_pmd(&pmds[0], 1, 0);
	set_pmd(&pmds[1], 2, 0);
	set_pmd(&pmds[2], 11, 1);
	set_pmd(&pmds[3], 12, 1);
	set_rxq(&rxqs[0], 0, 0, 0, 2, 10); /* pinned, light */
	for (i = 1; i < 5; i++)
		set_rxq(&rxqs[i], 1, (uint16_t)i, 0, -1, 100);
	set_rxq(&rxqs[5], 2, 0, 1, 12, 500); /* pinned on node 1 */

	for (m = 0; m < 3; m++) {
		assign_ok(pmds, 4, rxqs, 6, (enum sched_mode)m, true, &w);
		assert_int_equal(w.n, 0);
		assert_int_equal(rxqs[0].pmd, 1);
		assert_int_equal(rxqs[5].pmd, 3);
		assert_true(pmds[1].isolated);
		assert_true(pmds[3].isolated);
		assert_false(pmds[0].isolated);
		assert_false(pmds[2].isolated);
		for (i = 1; i < 5; i++)
			assert_int_equal(rxqs[i].pmd, 0);
		assert_int_equal(pmds[1].n_rxq, 1);
		assert_true(pmds[1].load == 10);
		assert_true(pmds[3].load == 500);
	}

	/* Without isolation the pinned PMD shares, and its pinned load counts. */
	assign_ok(pmds, 4, rxqs, 6, SCHED_GROUP, false, &w);
	assert_false(pmds[1].isolated);
	assert_int_equal(rxqs[0].pmd, 1);
	/* 100s: core 1 (0) ; core 2 (10) ; then core 1 (100 vs 110) ; core 2. */
	assert_int_equal(pmds[0].n_rxq, 2);
	assert_int_equal(pmds[1].n_rxq, 3);
	assert_true(pmds[0].load == 200);
	assert_true(pmds[1].load == 210);
	/* Cycles ignores the pinned load and deals core 1, 2, 2, 1: the same. */
	assign_ok(pmds, 4, rxqs, 6, SCHED_CYCLES, false, &w);
	assert_int_equal(rxqs[1].pmd, 0);
	assert_int_equal(rxqs[2].pmd, 1);
	assert_int_equal(rxqs[3].pmd, 1);
	assert_int_equal(rxqs[4].pmd, 0);
}

/* A pin crosses nodes if asked to: honoured, flagged and warned about. */
static void test_pin_cross_numa(void **state)
{
	struct sched_pmd pmds[2];
	struct sched_rxq rxqs[2];
	struct warn_log w;

	(void)state;
	set_pmd(&pmds[0], 1, 0);
	set_pmd(&pmds[1], 11, 1);
	set_rxq(&rxqs[0], 0, 0, 1, 1, 10); /* node 1 queue pinned to node 0 core */
	set_rxq(&rxqs[1], 0, 1, 1, -1, 10);
	assign_ok(pmds, 2, rxqs, 2, SCHED_CYCLES, true, &w);
	assert_int_equal(rxqs[0].pmd, 0);
	assert_true(rxqs[0].cross_numa);
	assert_int_equal(rxqs[1].pmd, 1);
	assert_false(rxqs[1].cross_numa);
	assert_int_equal(w.n, 1);
	assert_ptr_equal(w.q[0], &rxqs[0]);
	assert_non_null(strstr(w.msg[0], "pmd-rxq-affinity"));
}

/* A pin to a core without a PMD is dropped with the documented warning. */
static void test_pin_missing_core(void **state)
{
	struct sched_pmd pmds[4];
	struct sched_rxq rxqs[4];
	struct warn_log w;

	(void)state;
	set_pmd(&pmds[0], 1, 0);
	set_pmd(&pmds[1], 2, 0);
	set_pmd(&pmds[2], 11, 1);
	set_pmd(&pmds[3], 12, 1);
	set_rxq(&rxqs[0], 0, 0, 1, 42, 300);
	set_rxq(&rxqs[1], 0, 1, 1, -1, 200);
	set_rxq(&rxqs[2], 0, 2, 1, -1, 100);
	set_rxq(&rxqs[3], 0, 3, 5, 77, 50); /* bad pin and no PMD on node 5 */
	assign_ok(pmds, 4, rxqs, 4, SCHED_CYCLES, true, &w);
	assert_int_equal(w.n, 3);
	assert_ptr_equal(w.q[0], &rxqs[0]);
	assert_string_equal(w.msg[0],
			    "pmd-rxq-affinity: core 42 has no PMD; queue placed by the scheduler");
	/* Placed like any node-1 queue: heaviest first on core 11, then 12, then 12. */
	assert_int_equal(pmds[rxqs[0].pmd].core, 11);
	assert_int_equal(pmds[rxqs[1].pmd].core, 12);
	assert_int_equal(pmds[rxqs[2].pmd].core, 12);
	/* Two warnings for the last one: the pin, then the cross-NUMA placement. */
	assert_int_equal(warns_for(&w, &rxqs[3]), 2);
	assert_string_equal(w.msg[1],
			    "pmd-rxq-affinity: core 77 has no PMD; queue placed by the scheduler");
	assert_true(rxqs[3].cross_numa);
	assert_int_equal(pmds[rxqs[3].pmd].core, 1);
	assert_false(pmds[0].isolated || pmds[1].isolated || pmds[2].isolated || pmds[3].isolated);
}

/* Every PMD of node 0 isolated: node 0's other queues go cross-NUMA. */
static void test_node_all_isolated(void **state)
{
	struct sched_pmd pmds[4];
	struct sched_rxq rxqs[5];
	struct warn_log w;
	unsigned int m;

	(void)state;
	set_pmd(&pmds[0], 1, 0);
	set_pmd(&pmds[1], 2, 0);
	set_pmd(&pmds[2], 11, 1);
	set_pmd(&pmds[3], 12, 1);
	set_rxq(&rxqs[0], 0, 0, 0, 1, 10);
	set_rxq(&rxqs[1], 0, 1, 0, 2, 10);
	set_rxq(&rxqs[2], 1, 0, 0, -1, 30);
	set_rxq(&rxqs[3], 1, 1, 0, -1, 20);
	set_rxq(&rxqs[4], 2, 0, 1, -1, 25);
	for (m = 0; m < 2; m++) {
		assign_ok(pmds, 4, rxqs, 5, m ? SCHED_CYCLES : SCHED_GROUP, true, &w);
		assert_true(rxqs[2].cross_numa);
		assert_true(rxqs[3].cross_numa);
		assert_false(rxqs[4].cross_numa);
		assert_int_equal(w.n, 2);
		/*
		 * Group: 30 -> core 11, 25 (node 1) -> core 12, 20 -> core 12 (25 <
		 * 30).  Cycles: node 1's one turn counter deals 30, 25, 20 to cores
		 * 11, 12, 12: the same.
		 */
		assert_int_equal(pmds[rxqs[2].pmd].core, 11);
		assert_int_equal(pmds[rxqs[4].pmd].core, 12);
		assert_int_equal(pmds[rxqs[3].pmd].core, 12);
	}
}

/*
 * Every PMD everywhere isolated: rather than leave queues unpolled, the
 * least loaded PMD of the queue's own node takes it, isolation or not,
 * with a warning; a queue on a node with no PMD at all goes anywhere.
 */
static void test_all_isolated(void **state)
{
	struct sched_pmd pmds[4];
	struct sched_rxq rxqs[8];
	struct warn_log w;
	unsigned int i;

	(void)state;
	set_pmd(&pmds[0], 1, 0);
	set_pmd(&pmds[1], 2, 0);
	set_pmd(&pmds[2], 11, 1);
	set_pmd(&pmds[3], 12, 1);
	set_rxq(&rxqs[0], 0, 0, 0, 1, 50);
	set_rxq(&rxqs[1], 0, 1, 0, 2, 10);
	set_rxq(&rxqs[2], 0, 2, 1, 11, 5);
	set_rxq(&rxqs[3], 0, 3, 1, 12, 7);
	set_rxq(&rxqs[4], 1, 0, 0, -1, 30); /* -> core 2 (10 < 50) */
	set_rxq(&rxqs[5], 1, 1, 0, -1, 20); /* -> core 2 again (40 < 50) */
	set_rxq(&rxqs[6], 1, 2, 3, -1, 8);  /* node 3: no PMD -> core 11 (5) */
	set_rxq(&rxqs[7], 1, 3, 1, -1, 1);  /* -> core 12 (7 < 13) */
	assign_ok(pmds, 4, rxqs, 8, SCHED_GROUP, true, &w);
	for (i = 0; i < 4; i++)
		assert_true(pmds[i].isolated);
	assert_int_equal(pmds[rxqs[4].pmd].core, 2);
	assert_int_equal(pmds[rxqs[5].pmd].core, 2);
	assert_int_equal(pmds[rxqs[6].pmd].core, 11);
	assert_int_equal(pmds[rxqs[7].pmd].core, 12);
	assert_false(rxqs[4].cross_numa);
	assert_true(rxqs[6].cross_numa);
	assert_int_equal(w.n, 4);
	for (i = 4; i < 8; i++)
		assert_non_null(strstr(warn_msg_for(&w, &rxqs[i]), "isolated"));
	/*
	 * Cycles deals node 0's 30, 20 to cores 1, 2 regardless of the pinned
	 * loads; 8 (node 3) goes to node 1, the least loaded on average
	 * (6 < 55), first turn: core 11; then 1 (node 1), second turn: core 12.
	 */
	assign_ok(pmds, 4, rxqs, 8, SCHED_CYCLES, true, &w);
	assert_int_equal(pmds[rxqs[4].pmd].core, 1);
	assert_int_equal(pmds[rxqs[5].pmd].core, 2);
	assert_int_equal(pmds[rxqs[6].pmd].core, 11);
	assert_int_equal(pmds[rxqs[7].pmd].core, 12);
	assert_int_equal(w.n, 4);
}

/*
 * Group: heaviest first, ties by (port, qid); PMD ties by queues, then core.
 * Cycles: the same queue order, dealt in serpentine core order.
 */
static void test_cycles_tie_breaks(void **state)
{
	struct sched_pmd pmds[3];
	struct sched_rxq rxqs[5];
	struct warn_log w;

	(void)state;
	set_pmd(&pmds[0], 2, 0);
	set_pmd(&pmds[1], 7, 0);
	set_pmd(&pmds[2], 1, 0);
	set_rxq(&rxqs[0], 9, 0, 0, 2, 0); /* pinned, not isolating: core 2 has 1 queue */
	set_rxq(&rxqs[1], 3, 1, 0, -1, 10);
	set_rxq(&rxqs[2], 3, 0, 0, -1, 10);
	set_rxq(&rxqs[3], 1, 0, 0, -1, 4);
	set_rxq(&rxqs[4], 0, 0, 0, -1, 10);
	assign_ok(pmds, 3, rxqs, 5, SCHED_GROUP, false, &w);
	/*
	 * Order: (0,0) (3,0) (3,1) at 10, then (1,0) at 4.  All loads 0: core 1
	 * and core 7 have no queue, core 2 has one, so (0,0) -> core 1 (lower),
	 * (3,0) -> core 7, (3,1) -> core 2 (load 0), (1,0) -> ... all at 10:
	 * core 1 and 7 have one queue, core 2 two: core 1.
	 */
	assert_int_equal(pmds[rxqs[4].pmd].core, 1);
	assert_int_equal(pmds[rxqs[2].pmd].core, 7);
	assert_int_equal(pmds[rxqs[1].pmd].core, 2);
	assert_int_equal(pmds[rxqs[3].pmd].core, 1);
	/* Cycles: the same order dealt to cores 1, 2, 7, 7. */
	assign_ok(pmds, 3, rxqs, 5, SCHED_CYCLES, false, &w);
	assert_int_equal(pmds[rxqs[4].pmd].core, 1);
	assert_int_equal(pmds[rxqs[2].pmd].core, 2);
	assert_int_equal(pmds[rxqs[1].pmd].core, 7);
	assert_int_equal(pmds[rxqs[3].pmd].core, 7);
}

/*
 * Cycles deals sorted queues back and forth over each node's PMDs in core
 * order, one counter per node: 9 queues of 90..10 on 3 PMDs go
 * 1 2 3 3 2 1 1 2 3, giving 160 / 150 / 140; node 1's queues are dealt on
 * node 1 from its own first PMD.
 */
static void test_cycles_serpentine(void **state)
{
	static const unsigned int want[] = {1, 2, 3, 3, 2, 1, 1, 2, 3};
	struct sched_pmd pmds[5];
	struct sched_rxq rxqs[12];
	struct warn_log w;
	unsigned int i;

	(void)state;
	set_pmd(&pmds[0], 3, 0);
	set_pmd(&pmds[1], 21, 1);
	set_pmd(&pmds[2], 1, 0);
	set_pmd(&pmds[3], 2, 0);
	set_pmd(&pmds[4], 22, 1);
	for (i = 0; i < 9; i++)
		set_rxq(&rxqs[i], 0, (uint16_t)(8 - i), 0, -1, 90 - 10 * i);
	for (i = 9; i < 12; i++)
		set_rxq(&rxqs[i], 1, (uint16_t)i, 1, -1, 5);
	assign_ok(pmds, 5, rxqs, 12, SCHED_CYCLES, true, &w);
	assert_int_equal(w.n, 0);
	for (i = 0; i < 9; i++)
		assert_int_equal(pmds[rxqs[i].pmd].core, want[i]);
	assert_true(pmds[2].load == 160 && pmds[3].load == 150 && pmds[0].load == 140);
	/* Equal loads on node 1 sort by qid: 9 -> 21, 10 -> 22, 11 -> 22. */
	assert_int_equal(pmds[rxqs[9].pmd].core, 21);
	assert_int_equal(pmds[rxqs[10].pmd].core, 22);
	assert_int_equal(pmds[rxqs[11].pmd].core, 22);

	/*
	 * Group: 90 80 70 on 1 2 3, then 60 -> 3, 50 -> 2, 40 -> 1 (all 130),
	 * then 30 20 10 on 1 2 3 by tie-breaks: the same loads.  Neither finds
	 * the optimum 150 (90+40+20 | 80+60+10 | 70+50+30).
	 */
	assign_ok(pmds, 5, rxqs, 12, SCHED_GROUP, true, &w);
	assert_true(pmds[2].load == 160 && pmds[3].load == 150 && pmds[0].load == 140);
	assert_true(brute_opt(pmds, 5, rxqs, 12) == 150);
}

/* Cycles unknown (all 0): the load-based modes still spread queue counts. */
static void test_zero_cycles_spread(void **state)
{
	struct sched_pmd pmds[3];
	struct sched_rxq rxqs[7];
	struct warn_log w;
	unsigned int i, m;

	(void)state;
	for (i = 0; i < 3; i++)
		set_pmd(&pmds[i], 4 - i, 0);
	for (i = 0; i < 7; i++)
		set_rxq(&rxqs[i], (uint16_t)(6 - i), 0, 0, -1, 0);
	for (m = 0; m < 3; m++) {
		assign_ok(pmds, 3, rxqs, 7, (enum sched_mode)m, true, &w);
		/* 7 queues on cores 2,3,4 in turn: 3 on core 2, 2 on each other. */
		assert_int_equal(pmds[2].n_rxq, 3);
		assert_int_equal(pmds[1].n_rxq, 2);
		assert_int_equal(pmds[0].n_rxq, 2);
	}
}

/* Hand-picked instances vs brute force, with the greedy result known. */
static void test_load_vs_optimal_fixed(void **state)
{
	struct sched_pmd pmds[3];
	struct sched_rxq rxqs[8];
	unsigned int i;

	(void)state;
	for (i = 0; i < 3; i++)
		set_pmd(&pmds[i], 10 + i, 0);

	/* Equal loads: both optimal (8 x 100 on 3 -> 300). */
	for (i = 0; i < 8; i++)
		set_rxq(&rxqs[i], 0, (uint16_t)i, 0, -1, 100);
	check_vs_optimal(pmds, 3, rxqs, 8, true, 300, 300);

	/* No more queues than PMDs: one each, optimal. */
	for (i = 0; i < 3; i++)
		set_rxq(&rxqs[i], 0, (uint16_t)i, 0, -1, 100 * (i + 1));
	check_vs_optimal(pmds, 3, rxqs, 3, true, 300, 300);

	/* Classic LPT miss on 2 PMDs: {3,3,2,2,2} -> 7, optimal 6 (3+3 | 2+2+2). */
	{
		static const uint64_t c[] = {3, 3, 2, 2, 2};

		for (i = 0; i < 5; i++)
			set_rxq(&rxqs[i], 0, (uint16_t)i, 0, -1, c[i]);
		assert_true(brute_opt(pmds, 2, rxqs, 5) == 6);
		check_vs_optimal(pmds, 2, rxqs, 5, false, 7, 7);
	}
	/*
	 * Graham's tight case on 3 PMDs: {5,5,4,4,3,3,3} -> 11, optimal 9.
	 * Cycles: 5 4 3 3 | 5 3 | 4: also 11.
	 */
	{
		static const uint64_t c[] = {3, 5, 4, 3, 5, 3, 4};

		for (i = 0; i < 7; i++)
			set_rxq(&rxqs[i], (uint16_t)i, 0, 0, -1, c[i]);
		assert_true(brute_opt(pmds, 3, rxqs, 7) == 9);
		check_vs_optimal(pmds, 3, rxqs, 7, false, 11, 11);
	}
	/*
	 * One dominant queue: group gives it a PMD to itself and the rest share
	 * (optimal, 1000); cycles deals the dominant PMD two more queues on the
	 * way back: 1000 + 30 + 20 = 1050.  Why group exists.
	 */
	{
		static const uint64_t c[] = {1000, 10, 20, 30, 40, 50, 60, 70};

		for (i = 0; i < 8; i++)
			set_rxq(&rxqs[i], 0, (uint16_t)i, 0, -1, c[i]);
		check_vs_optimal(pmds, 3, rxqs, 8, true, 1000, 1050);
	}
}

/* Small deterministic pseudo-random generator (LCG) for reproducible cases. */
static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

/*
 * Many generated instances, up to 8 queues on up to 3 PMDs per node, one or
 * two nodes: group always within the LPT bound, optimal when loads are all
 * equal or there are no more queues than PMDs on each node; cycles always
 * within one queue of even on each node.
 */
static void test_load_vs_optimal_generated(void **state)
{
	struct sched_pmd pmds[6];
	struct sched_rxq rxqs[8];
	uint32_t seed = 12345;
	unsigned int iter, i;

	(void)state;
	for (iter = 0; iter < 400; iter++) {
		unsigned int nodes = 1 + iter % 2;
		unsigned int per_node = 1 + lcg(&seed) % 3;
		unsigned int n_pmds = nodes * per_node;
		unsigned int n_rxqs = 1 + lcg(&seed) % 8;
		bool equal = lcg(&seed) % 4 == 0;
		unsigned int per_q_node[2] = {0, 0};
		bool few = true;

		for (i = 0; i < n_pmds; i++)
			set_pmd(&pmds[i], 100 - i, (int)(i % nodes));
		for (i = 0; i < n_rxqs; i++) {
			int numa = (int)(lcg(&seed) % nodes);
			uint64_t c = equal ? 500 : 1 + lcg(&seed) % (iter % 3 == 0 ? 10 : 1000);

			per_q_node[numa]++;
			set_rxq(&rxqs[i], (uint16_t)(lcg(&seed) % 4), (uint16_t)i, numa, -1, c);
		}
		for (i = 0; i < nodes; i++)
			if (per_q_node[i] > per_node)
				few = false;
		check_vs_optimal(pmds, n_pmds, rxqs, n_rxqs, equal || few, 0, 0);
	}
}

/* A queue on an unknown node (-1) is local to every PMD: no cross-NUMA. */
static void test_unknown_numa(void **state)
{
	struct sched_pmd pmds[2];
	struct sched_rxq rxqs[3];
	struct warn_log w;

	(void)state;
	set_pmd(&pmds[0], 1, 0);
	set_pmd(&pmds[1], 11, 1);
	set_rxq(&rxqs[0], 0, 0, 0, -1, 100);
	set_rxq(&rxqs[1], 1, 0, -1, -1, 50);
	set_rxq(&rxqs[2], 1, 1, -1, -1, 40);
	assign_ok(pmds, 2, rxqs, 3, SCHED_GROUP, true, &w);
	assert_int_equal(w.n, 0);
	assert_int_equal(rxqs[0].pmd, 0);
	assert_int_equal(rxqs[1].pmd, 1);
	assert_int_equal(rxqs[2].pmd, 1);
	assert_false(rxqs[1].cross_numa || rxqs[2].cross_numa);
	/* Cycles: node 0 deals 100 to core 1; the unknown-node queues share one
	 * counter over both PMDs: 50 -> core 1, 40 -> core 11. */
	assign_ok(pmds, 2, rxqs, 3, SCHED_CYCLES, true, &w);
	assert_int_equal(w.n, 0);
	assert_int_equal(rxqs[0].pmd, 0);
	assert_int_equal(rxqs[1].pmd, 0);
	assert_int_equal(rxqs[2].pmd, 1);
}

/*
 * A mixed 4-node case (pins, isolation, a bad pin, cross-NUMA, equal
 * loads): the same input gives the same output twice, and reordering the
 * arrays changes nothing but the indices.
 */
static void build_mixed(struct sched_pmd *pmds, struct sched_rxq *rxqs)
{
	unsigned int i;

	/* Nodes 0..2 with 2 PMDs each; node 3 has queues only. */
	for (i = 0; i < 6; i++)
		set_pmd(&pmds[i], 3 + 10 * (i / 2) + (i % 2), (int)(i / 2));
	for (i = 0; i < 14; i++)
		set_rxq(&rxqs[i], (uint16_t)(i % 5), (uint16_t)(i / 5), (int)(i % 4), -1,
			i % 3 == 0 ? 100 : 10 * i);
	rxqs[1].pinned_core = 13; /* node 1 PMD: isolates it */
	rxqs[6].pinned_core = 99; /* no such core */
	rxqs[11].pinned_core = 4; /* node 3 queue pinned to node 0 */
}

static void test_determinism(void **state)
{
	static const enum sched_mode modes[] = {SCHED_CYCLES, SCHED_ROUNDROBIN, SCHED_GROUP};
	struct sched_pmd pmds[6], pmds2[6], pmds_r[6];
	struct sched_rxq rxqs[14], rxqs2[14], rxqs_r[14];
	struct warn_log w, w2, w_r;
	unsigned int i, j, m;

	(void)state;
	for (m = 0; m < 3; m++) {
		build_mixed(pmds, rxqs);
		build_mixed(pmds2, rxqs2);
		assign_ok(pmds, 6, rxqs, 14, modes[m], true, &w);
		assign_ok(pmds2, 6, rxqs2, 14, modes[m], true, &w2);
		for (i = 0; i < 14; i++) {
			assert_int_equal(rxqs[i].pmd, rxqs2[i].pmd);
			assert_int_equal(rxqs[i].cross_numa, rxqs2[i].cross_numa);
		}
		for (i = 0; i < 6; i++) {
			assert_true(pmds[i].load == pmds2[i].load);
			assert_int_equal(pmds[i].n_rxq, pmds2[i].n_rxq);
			assert_int_equal(pmds[i].isolated, pmds2[i].isolated);
		}
		assert_int_equal(w.n, w2.n);
		for (i = 0; i < w.n; i++) {
			assert_int_equal(w.q[i] - rxqs, w2.q[i] - rxqs2);
			assert_string_equal(w.msg[i], w2.msg[i]);
		}

		/* Reversed queues, rotated PMDs: same (port, qid) -> core mapping. */
		build_mixed(pmds2, rxqs2);
		for (i = 0; i < 6; i++)
			pmds_r[i] = pmds2[(i + 4) % 6];
		for (i = 0; i < 14; i++)
			rxqs_r[i] = rxqs2[13 - i];
		assign_ok(pmds_r, 6, rxqs_r, 14, modes[m], true, &w_r);
		assert_int_equal(w_r.n, w.n);
		for (i = 0; i < 14; i++) {
			j = 13 - i;
			assert_int_equal(pmds_r[rxqs_r[i].pmd].core, pmds[rxqs[j].pmd].core);
			assert_int_equal(rxqs_r[i].cross_numa, rxqs[j].cross_numa);
		}
	}
	/* The mixed case also shows every kind of warning at once. */
	assert_int_equal(rxqs[1].pmd, 2);
	assert_true(pmds[2].isolated);
	assert_true(rxqs[11].cross_numa);
	assert_int_equal(warns_for(&w, &rxqs[6]), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_names),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_no_pmds),
		cmocka_unit_test(test_no_rxqs),
		cmocka_unit_test(test_rr_dealing_1node),
		cmocka_unit_test(test_rr_dealing_2nodes),
		cmocka_unit_test(test_rr_with_pin_not_isolated),
		cmocka_unit_test(test_same_numa_4nodes),
		cmocka_unit_test(test_cross_numa_4nodes),
		cmocka_unit_test(test_pin_isolation),
		cmocka_unit_test(test_pin_cross_numa),
		cmocka_unit_test(test_pin_missing_core),
		cmocka_unit_test(test_node_all_isolated),
		cmocka_unit_test(test_all_isolated),
		cmocka_unit_test(test_cycles_tie_breaks),
		cmocka_unit_test(test_cycles_serpentine),
		cmocka_unit_test(test_zero_cycles_spread),
		cmocka_unit_test(test_load_vs_optimal_fixed),
		cmocka_unit_test(test_load_vs_optimal_generated),
		cmocka_unit_test(test_unknown_numa),
		cmocka_unit_test(test_determinism),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
