/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sched.c: the rx queue to PMD placement decision described in sched.h.
 *
 * This file owns only the decision: it reads the PMD and rx queue tables its
 * caller filled and writes back their out fields.  It starts no thread, touches
 * no queue and keeps no state between calls.  The control thread calls it on
 * every configuration or queue change (PMD mask, port added or removed, queue
 * count, pmd-rxq-affinity, pmd-rxq-assign, pmd-rxq-isolate) and then applies
 * the result; the auto load balancer will later call it for dry runs on
 * measured cycles, which is why it must stay a pure function of its arguments.
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
 * Does PMD a beat PMD b (b < 0: no candidate yet) for a queue of `cycles`?
 * Roundrobin compares queue counts only, so that queues taken in (port, qid)
 * order are dealt to the PMDs in turn, and a PMD that already polls pinned
 * queues waits for the others to catch up.  Cycles compares the load so far;
 * group compares the load including the queue, as sched.h defines it.  Every
 * mode ends on core then index so that the result depends on neither the
 * order of the pmds array nor anything but the input.
 *
 * Note that adding the same `cycles` to every candidate cannot reorder them,
 * so group, as sched.h words it, chooses exactly what cycles chooses.  The
 * sum is still computed (saturating) to follow the declared rule literally.
 */
static bool pmd_better(const struct sched_pmd *pmds, unsigned int a, int b, enum sched_mode mode,
                       uint64_t cycles)
{
	const struct sched_pmd *pa = &pmds[a];
	const struct sched_pmd *pb;
	int c = 0;

	if (b < 0)
		return true;
	pb = &pmds[b];
	if (mode == SCHED_CYCLES)
		c = cmp_u64(pa->load, pb->load);
	else if (mode == SCHED_GROUP)
		c = cmp_u64(sat_add(pa->load, cycles), sat_add(pb->load, cycles));
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

/*
 * Choose the PMD for one unpinned queue in a single pass over the PMDs,
 * keeping the best candidate of each fallback level at once so that the
 * whole assignment stays O(n_rxqs * n_pmds):
 *   0. non-isolated, same node (rule 2);
 *   1. non-isolated, any node: cross-NUMA rather than unpolled;
 *   2. same node, isolated or not: every PMD is isolated, and breaking
 *      isolation beats leaving the queue unpolled;
 *   3. any PMD: every PMD is isolated and none is on the queue's node.
 * Returns the level used; *pmd gets the chosen index.
 */
static int choose_pmd(const struct sched_pmd *pmds, unsigned int n_pmds, const struct sched_rxq *q,
                      enum sched_mode mode, unsigned int *pmd)
{
	int best[4] = {-1, -1, -1, -1};
	unsigned int i;
	int lvl;

	for (i = 0; i < n_pmds; i++) {
		bool local = numa_local(q, &pmds[i]);
		bool free_ = !pmds[i].isolated;

		if (free_ && local && pmd_better(pmds, i, best[0], mode, q->cycles))
			best[0] = (int)i;
		if (free_ && pmd_better(pmds, i, best[1], mode, q->cycles))
			best[1] = (int)i;
		if (local && pmd_better(pmds, i, best[2], mode, q->cycles))
			best[2] = (int)i;
		if (pmd_better(pmds, i, best[3], mode, q->cycles))
			best[3] = (int)i;
	}
	/* n_pmds > 0, so level 3 always has a candidate. */
	lvl = 0;
	while (best[lvl] < 0)
		lvl++;
	*pmd = (unsigned int)best[lvl];
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

int sched_assign(struct sched_pmd *pmds, unsigned int n_pmds, struct sched_rxq *rxqs,
                 unsigned int n_rxqs, const struct sched_opts *opts, sched_warn_fn warn,
                 void *warn_arg)
{
	struct sched_order *order;
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
	 * The one temporary array: the queues left to the scheduler, in placement
	 * order.  Sized for every queue and taken before anything is written or
	 * warned about, so that a failure has no side effect at all.
	 */
	order = NULL;
	if (n_pmds > 0 && n_rxqs > 0) {
		order = malloc((size_t)n_rxqs * sizeof(*order));
		if (order == NULL)
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

	place_pinned(pmds, n_pmds, rxqs, n_rxqs, opts, warn, warn_arg);
	for (i = 0, n = 0; i < n_rxqs; i++) {
		if (rxqs[i].pmd >= 0)
			continue;
		order[n].cycles = opts->mode == SCHED_ROUNDROBIN ? 0 : rxqs[i].cycles;
		order[n].port = rxqs[i].port;
		order[n].qid = rxqs[i].qid;
		order[n].idx = i;
		n++;
	}
	/* Largest first is what keeps the cycles modes within 4/3 of optimal (LPT). */
	qsort(order, n, sizeof(*order), order_cmp);

	for (i = 0; i < n; i++) {
		struct sched_rxq *q = &rxqs[order[i].idx];
		unsigned int pmd;
		int lvl;

		lvl = choose_pmd(pmds, n_pmds, q, opts->mode, &pmd);
		place(pmds, pmd, q);
		warn_fallback(pmds, q, lvl, warn, warn_arg);
	}
	free(order);
	return 0;
}
