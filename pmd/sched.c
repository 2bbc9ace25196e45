/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sched.c: the rx queue to PMD placement decision described in sched.h.
 *
 * This file owns only the decision: it reads the PMD and rx queue tables its
 * caller filled and writes back their out fields.  It starts no thread, touches
 * no queue and keeps no state between calls.  The control thread calls it on
 * every configuration or queue change (PMD mask, port added or removed, queue
 * count, pmd-rxq-affinity, pmd-rxq-assign, pmd-rxq-isolate) and then applies
 * the result; pmd-rxq-rebalance and the auto load balancer also call it for
 * dry runs on measured cycles (control/rxq_plan.c), which is why it must stay
 * a pure function of its arguments.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"

/* Long enough for the longest message below with every number at its widest. */
#define SCHED_MSG_LEN 192

/*
 * Sort key of one unpinned queue.  The keys are copied out of the caller's
 * array so that qsort() needs no context pointer (qsort_r is not standard C).
 */
struct sched_order {
	uint64_t cycles;
	uint16_t port;
	uint16_t qid;
	unsigned int idx;
};

/* Sort key of one PMD for the serpentine deal: core, then array index. */
struct sched_core {
	unsigned int core;
	unsigned int idx;
};

/*
 * The one temporary block of a call: queues in placement order, PMDs in core
 * order, and the serpentine turn counters of the cycles mode, one per set of
 * eligible PMDs (turn_key()).
 */
struct sched_tmp {
	struct sched_order *order;  /* n_rxqs */
	struct sched_core *by_core; /* n_pmds */
	unsigned int *turn;         /* 2 * n_pmds + 2 */
};

static const char *const sched_mode_names[] = {
	[SCHED_CYCLES] = "cycles",
	[SCHED_ROUNDROBIN] = "roundrobin",
	[SCHED_GROUP] = "group",
};

static bool sched_mode_valid(enum sched_mode mode)
{
	/* The enum may be signed or unsigned depending on the ABI: test both ends. */
	return (int)mode >= 0 &&
	       (size_t)mode < sizeof(sched_mode_names) / sizeof(sched_mode_names[0]);
}

int sched_mode_parse(const char *s, enum sched_mode *mode)
{
	size_t i;

	if (s == NULL || mode == NULL)
		return -EINVAL;
	/* Exact, case-sensitive match: these are configuration values, not prose. */
	for (i = 0; i < sizeof(sched_mode_names) / sizeof(sched_mode_names[0]); i++) {
		if (strcmp(s, sched_mode_names[i]) == 0) {
			*mode = (enum sched_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sched_mode_name(enum sched_mode mode)
{
	/* Never NULL: callers print it straight into logs and the CLI. */
	return sched_mode_valid(mode) ? sched_mode_names[mode] : "unknown";
}

/* Loads are sums of cycle counters: saturate rather than wrap to a tiny load. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/*
 * Heaviest first, then (port, qid).  The array index is the last key so that
 * duplicate (port, qid) entries still sort the same way on every run: qsort()
 * is not stable.  Roundrobin reuses this order with every cycles key zeroed.
 */
static int order_cmp(const void *a, const void *b)
{
	const struct sched_order *x = a;
	const struct sched_order *y = b;
	int c;

	c = cmp_u64(y->cycles, x->cycles);
	if (c == 0)
		c = cmp_u64(x->port, y->port);
	if (c == 0)
		c = cmp_u64(x->qid, y->qid);
	if (c == 0)
		c = cmp_u64(x->idx, y->idx);
	return c;
}

/*
 * Does PMD a beat PMD b (b < 0: no candidate yet)?  Roundrobin compares queue
 * counts only, so that queues taken in (port, qid) order are dealt to the
 * PMDs in turn, and a PMD that already polls pinned queues waits for the
 * others to catch up.  Group compares the load so far (LPT).  Cycles only
 * uses this to find which fallback level has a candidate: its choice is the
 * serpentine deal.  Every mode ends on core then index so that the result
 * depends on neither the order of the pmds array nor anything but the input.
 */
static bool pmd_better(const struct sched_pmd *pmds, unsigned int a, int b, enum sched_mode mode)
{
	const struct sched_pmd *pa = &pmds[a];
	const struct sched_pmd *pb;
	int c = 0;

	if (b < 0)
		return true;
	pb = &pmds[b];
	if (mode == SCHED_GROUP)
		c = cmp_u64(pa->load, pb->load);
	if (c == 0)
		c = cmp_u64(pa->n_rxq, pb->n_rxq);
	if (c == 0)
		c = cmp_u64(pa->core, pb->core);
	if (c == 0)
		c = cmp_u64(a, (unsigned int)b);
	return c < 0;
}

/* A queue whose node is unknown (< 0, e.g. SOCKET_ID_ANY) is local everywhere. */
static bool numa_local(const struct sched_rxq *q, const struct sched_pmd *p)
{
	return q->numa < 0 || q->numa == p->numa;
}

static void place(struct sched_pmd *pmds, unsigned int pmd, struct sched_rxq *q)
{
	q->pmd = (int)pmd;
	q->cross_numa = !numa_local(q, &pmds[pmd]);
	pmds[pmd].load = sat_add(pmds[pmd].load, q->cycles);
	pmds[pmd].n_rxq++;
}

static int pmd_by_core(const struct sched_pmd *pmds, unsigned int n_pmds, int core)
{
	unsigned int i;

	/* Two PMDs on one core is a caller bug; the first one wins, deterministically. */
	for (i = 0; i < n_pmds; i++)
		if (pmds[i].core == (unsigned int)core)
			return (int)i;
	return -1;
}

/*
 * Place the pinned queues and mark the PMDs they isolate.  Done before any
 * other queue so that isolation is known when the others are placed.  A
 * queue pinned to a core without a PMD keeps pmd == -1 and is left to the
 * scheduler.
 */
static void place_pinned(struct sched_pmd *pmds, unsigned int n_pmds, struct sched_rxq *rxqs,
			 unsigned int n_rxqs, const struct sched_opts *opts, sched_warn_fn warn,
			 void *warn_arg)
{
	char msg[SCHED_MSG_LEN];
	unsigned int i;
	int p;

	for (i = 0; i < n_rxqs; i++) {
		struct sched_rxq *q = &rxqs[i];

		if (q->pinned_core < 0)
			continue;
		p = pmd_by_core(pmds, n_pmds, q->pinned_core);
		if (p < 0) {
			if (warn != NULL) {
				snprintf(msg, sizeof(msg),
					 "pmd-rxq-affinity: core %d has no PMD; queue placed by "
					 "the scheduler",
					 q->pinned_core);
				warn(warn_arg, q, msg);
			}
			continue;
		}
		place(pmds, (unsigned int)p, q);
		if (opts->isolate_pinned)
			pmds[p].isolated = true;
		/* The user asked for it, but a remote poll costs enough to say so. */
		if (q->cross_numa && warn != NULL) {
			snprintf(msg, sizeof(msg),
				 "pmd-rxq-affinity: core %u is on NUMA node %d, queue on node %d; "
				 "polled cross-NUMA as pinned",
				 pmds[p].core, pmds[p].numa, q->numa);
			warn(warn_arg, q, msg);
		}
	}
}

/* Is PMD p in the eligible set of fallback level lvl (choose_pmd()) for q? */
static bool eligible(const struct sched_pmd *p, const struct sched_rxq *q, int lvl)
{
	switch (lvl) {
	case 0:
		return !p->isolated && numa_local(q, p);
	case 1:
		return !p->isolated;
	case 2:
		return numa_local(q, p);
	default:
		return true;
	}
}

/*
 * Which serpentine counter deals for q at level 0 or 2: one per distinct set
 * of eligible PMDs.  Node N's sets are keyed by the first PMD of N in the
 * array (there is one: the level has a candidate).  A queue whose node is
 * unknown is local everywhere, so its sets are all non-isolated PMDs and all
 * PMDs, one counter each.
 */
static unsigned int turn_key(const struct sched_pmd *pmds, unsigned int n_pmds,
			     const struct sched_rxq *q, int lvl)
{
	unsigned int i;

	if (q->numa < 0)
		return 2 * n_pmds + (lvl == 0 ? 0 : 1);
	for (i = 0; pmds[i].numa != q->numa; i++)
		;
	return (lvl == 0 ? 0 : n_pmds) + i;
}

/*
 * Cycles, cross-NUMA (level 1 or 3): the node to deal the queue on, the one
 * whose PMDs of that level have the least average load (ties: lower node).
 * The queue then shares that node's own counter, so that local and remote
 * queues are dealt as one sequence instead of both starting on the first PMD.
 * O(n_pmds^2) per cross-NUMA queue: a misconfiguration's price, not the norm.
 */
static int remote_node(const struct sched_pmd *pmds, unsigned int n_pmds, int lvl)
{
	double best_avg = 0;
	int best = -1;
	unsigned int i, j;

	for (i = 0; i < n_pmds; i++) {
		double sum = 0;
		unsigned int k = 0;

		if (lvl == 1 && pmds[i].isolated)
			continue;
		for (j = 0; j < n_pmds; j++)
			if (pmds[j].numa == pmds[i].numa && !(lvl == 1 && pmds[j].isolated)) {
				sum += (double)pmds[j].load;
				k++;
			}
		if (best < 0 || sum / k < best_avg ||
		    (sum / k == best_avg && pmds[i].numa < best)) {
			best = pmds[i].numa;
			best_avg = sum / k;
		}
	}
	return best;
}

/*
 * The cycles mode's deal: the t-th queue of a set goes to its member at
 * position 0, 1, .. m-1, m-1, .. 0, 0, 1 .. in core order.  Going back and
 * forth rather than round and round is what keeps the busiest and the least
 * busy PMD within one queue's load of each other when queues come sorted.
 */
static unsigned int serpentine(const struct sched_pmd *pmds, unsigned int n_pmds,
			       const struct sched_rxq *q, int lvl, struct sched_tmp *tmp)
{
	struct sched_rxq local = *q;
	unsigned int *turn, i, m = 0, pos;

	if (lvl == 1 || lvl == 3) {
		local.numa = remote_node(pmds, n_pmds, lvl);
		lvl--;
	}
	turn = &tmp->turn[turn_key(pmds, n_pmds, &local, lvl)];
	for (i = 0; i < n_pmds; i++)
		if (eligible(&pmds[tmp->by_core[i].idx], &local, lvl))
			m++;
	pos = (*turn)++ % (2 * m);
	if (pos >= m)
		pos = 2 * m - 1 - pos;
	for (i = 0;; i++)
		if (eligible(&pmds[tmp->by_core[i].idx], &local, lvl) && pos-- == 0)
			return tmp->by_core[i].idx;
}

/*
 * Choose the PMD for one unpinned queue in a single pass over the PMDs,
 * keeping the best candidate of each fallback level at once so that the
 * whole assignment stays O(n_rxqs * n_pmds):
 *   0. non-isolated, same node (rule 2);
 *   1. non-isolated, any node: cross-NUMA rather than unpolled;
 *   2. same node, isolated or not: every PMD is isolated, and breaking
 *      isolation beats leaving the queue unpolled;
 *   3. any PMD: every PMD is isolated and none is on the queue's node.
 * The first level with a candidate is used; in cycles mode its set is then
 * dealt in serpentine order.  Returns the level; *pmd gets the chosen index.
 */
static int choose_pmd(const struct sched_pmd *pmds, unsigned int n_pmds, const struct sched_rxq *q,
		      enum sched_mode mode, struct sched_tmp *tmp, unsigned int *pmd)
{
	int best[4] = {-1, -1, -1, -1};
	unsigned int i;
	int lvl;

	for (i = 0; i < n_pmds; i++)
		for (lvl = 0; lvl < 4; lvl++)
			if (eligible(&pmds[i], q, lvl) && pmd_better(pmds, i, best[lvl], mode))
				best[lvl] = (int)i;
	/* n_pmds > 0, so level 3 always has a candidate. */
	lvl = 0;
	while (best[lvl] < 0)
		lvl++;
	*pmd = mode == SCHED_CYCLES ? serpentine(pmds, n_pmds, q, lvl, tmp)
				    : (unsigned int)best[lvl];
	return lvl;
}

static void warn_fallback(const struct sched_pmd *pmds, const struct sched_rxq *q, int lvl,
			  sched_warn_fn warn, void *warn_arg)
{
	const struct sched_pmd *p = &pmds[q->pmd];
	char msg[SCHED_MSG_LEN];

	if (lvl == 0 || warn == NULL)
		return;
	if (lvl == 1)
		snprintf(msg, sizeof(msg),
			 "no non-isolated PMD on NUMA node %d; queue polled cross-NUMA by core %u "
			 "on node %d",
			 q->numa, p->core, p->numa);
	else if (!q->cross_numa)
		snprintf(msg, sizeof(msg),
			 "every PMD is isolated by pmd-rxq-isolate; queue placed on isolated "
			 "core %u",
			 p->core);
	else
		snprintf(msg, sizeof(msg),
			 "every PMD is isolated by pmd-rxq-isolate and none is on NUMA node %d; "
			 "queue placed on isolated core %u on node %d (cross-NUMA)",
			 q->numa, p->core, p->numa);
	warn(warn_arg, q, msg);
}

static int core_cmp(const void *a, const void *b)
{
	const struct sched_core *x = a;
	const struct sched_core *y = b;
	int c = cmp_u64(x->core, y->core);

	return c ? c : cmp_u64(x->idx, y->idx);
}

/* One malloc for the three temporary arrays, so a failure has one place. */
static void *tmp_alloc(struct sched_tmp *tmp, unsigned int n_pmds, unsigned int n_rxqs)
{
	size_t o = (size_t)n_rxqs * sizeof(*tmp->order);
	size_t c = (size_t)n_pmds * sizeof(*tmp->by_core);
	size_t t = (2 * (size_t)n_pmds + 2) * sizeof(*tmp->turn);
	char *blk = calloc(1, o + c + t);

	if (blk == NULL)
		return NULL;
	/* order has the strictest alignment and comes first; the rest are ints. */
	tmp->order = (struct sched_order *)(void *)blk;
	tmp->by_core = (struct sched_core *)(void *)(blk + o);
	tmp->turn = (unsigned int *)(void *)(blk + o + c);
	return blk;
}

int sched_assign(struct sched_pmd *pmds, unsigned int n_pmds, struct sched_rxq *rxqs,
		 unsigned int n_rxqs, const struct sched_opts *opts, sched_warn_fn warn,
		 void *warn_arg)
{
	struct sched_tmp tmp = {0};
	void *blk = NULL;
	unsigned int i, n;

	/*
	 * Check everything before writing anything, so that a rejected call leaves
	 * the caller's tables as they were.  The counts must fit the int results
	 * (pmd index, number unassigned).
	 */
	if (opts == NULL || !sched_mode_valid(opts->mode))
		return -EINVAL;
	if ((pmds == NULL && n_pmds > 0) || (rxqs == NULL && n_rxqs > 0))
		return -EINVAL;
	if (n_pmds > INT_MAX || n_rxqs > INT_MAX)
		return -EINVAL;
	for (i = 0; i < n_rxqs; i++)
		if (rxqs[i].pinned_core < -1)
			return -EINVAL;

	/*
	 * The one temporary block, taken before anything is written or warned
	 * about, so that a failure has no side effect at all.
	 */
	if (n_pmds > 0 && n_rxqs > 0) {
		blk = tmp_alloc(&tmp, n_pmds, n_rxqs);
		if (blk == NULL)
			return -ENOMEM;
	}

	/* Every out field is written, whatever the caller left in it. */
	for (i = 0; i < n_pmds; i++) {
		pmds[i].isolated = false;
		pmds[i].load = 0;
		pmds[i].n_rxq = 0;
	}
	for (i = 0; i < n_rxqs; i++) {
		rxqs[i].pmd = -1;
		rxqs[i].cross_numa = false;
	}
	/*
	 * No PMD at all: nothing can be polled, and the return value says so.
	 * No per-queue warning, as neither a NUMA nor a pin choice was made.
	 */
	if (n_pmds == 0)
		return (int)n_rxqs;
	if (n_rxqs == 0)
		return 0;

	for (i = 0; i < n_pmds; i++)
		tmp.by_core[i] = (struct sched_core){.core = pmds[i].core, .idx = i};
	qsort(tmp.by_core, n_pmds, sizeof(*tmp.by_core), core_cmp);

	place_pinned(pmds, n_pmds, rxqs, n_rxqs, opts, warn, warn_arg);
	for (i = 0, n = 0; i < n_rxqs; i++) {
		if (rxqs[i].pmd >= 0)
			continue;
		tmp.order[n].cycles = opts->mode == SCHED_ROUNDROBIN ? 0 : rxqs[i].cycles;
		tmp.order[n].port = rxqs[i].port;
		tmp.order[n].qid = rxqs[i].qid;
		tmp.order[n].idx = i;
		n++;
	}
	/*
	 * Largest first: what keeps group within 4/3 of optimal (LPT), and
	 * cycles' serpentine within one queue of even.
	 */
	qsort(tmp.order, n, sizeof(*tmp.order), order_cmp);

	for (i = 0; i < n; i++) {
		struct sched_rxq *q = &rxqs[tmp.order[i].idx];
		unsigned int pmd;
		int lvl;

		lvl = choose_pmd(pmds, n_pmds, q, opts->mode, &tmp, &pmd);
		place(pmds, pmd, q);
		warn_fallback(pmds, q, lvl, warn, warn_arg);
	}
	free(blk);
	return 0;
}
