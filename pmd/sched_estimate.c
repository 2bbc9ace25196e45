/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sched_estimate.c: how two rx queue placements compare, and whether the
 * difference is worth moving queues for (sched.h, "Comparing two
 * placements").
 *
 * Pure arithmetic on the caller's tables, like sched.c: it keeps no state and
 * touches no queue.  The control thread calls it after a dry run of
 * sched_assign() on measured cycles, for pmd-rxq-rebalance's report and for
 * every pmd-auto-lb check (control/rxq_plan.c, control/balance.c), so its
 * cost is two passes over the queues and O(n_pmds^2) to group PMDs by node,
 * once a minute.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "sched.h"

static const char *const verdict_names[] = {
	[SCHED_ALB_REBALANCE] = "rebalance",
	[SCHED_ALB_NOT_OVERLOADED] = "not overloaded",
	[SCHED_ALB_NO_MOVE] = "no queue would move",
	[SCHED_ALB_WORSE_MAX] = "busiest PMD would get busier",
	[SCHED_ALB_SMALL_GAIN] = "improvement below threshold",
};

const char *sched_alb_verdict_name(enum sched_alb_verdict v)
{
	if ((int)v < 0 || (size_t)v >= sizeof(verdict_names) / sizeof(verdict_names[0]))
		return "unknown";
	return verdict_names[v];
}

static double max_d(double a, double b)
{
	return a > b ? a : b;
}

/* Loads are sums of cycle counters: saturate rather than wrap to a tiny load. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Population variance of the loads of the PMDs on node `numa`; *mean too. */
static double node_variance(const struct sched_pmd *pmds, unsigned int n_pmds, const uint64_t *load,
			    int numa, double *mean_out)
{
	double sum = 0, sq = 0, mean;
	unsigned int i, k = 0;

	for (i = 0; i < n_pmds; i++) {
		if (pmds[i].numa != numa)
			continue;
		sum += (double)load[i];
		k++;
	}
	mean = sum / k;
	*mean_out = mean;
	for (i = 0; i < n_pmds; i++)
		if (pmds[i].numa == numa)
			sq += ((double)load[i] - mean) * ((double)load[i] - mean);
	return sq / k;
}

static bool first_of_node(const struct sched_pmd *pmds, unsigned int i)
{
	unsigned int j;

	for (j = 0; j < i; j++)
		if (pmds[j].numa == pmds[i].numa)
			return false;
	return true;
}

int sched_estimate(const struct sched_pmd *pmds, unsigned int n_pmds, const struct sched_rxq *rxqs,
		   unsigned int n_rxqs, const int *cur_pmd, struct sched_estimate *est)
{
	uint64_t *cur, *next;
	unsigned int i;

	if (est == NULL || (pmds == NULL && n_pmds > 0) ||
	    (n_rxqs > 0 && (rxqs == NULL || cur_pmd == NULL)))
		return -EINVAL;
	for (i = 0; i < n_rxqs; i++)
		if (cur_pmd[i] < -1 || cur_pmd[i] >= (int)n_pmds || rxqs[i].pmd < -1 ||
		    rxqs[i].pmd >= (int)n_pmds)
			return -EINVAL;
	*est = (struct sched_estimate){0};
	if (n_pmds == 0) {
		for (i = 0; i < n_rxqs; i++)
			est->moves += cur_pmd[i] != rxqs[i].pmd;
		return 0;
	}
	cur = calloc(2 * (size_t)n_pmds, sizeof(*cur));
	if (cur == NULL)
		return -ENOMEM;
	next = cur + n_pmds;
	for (i = 0; i < n_rxqs; i++) {
		if (cur_pmd[i] >= 0)
			cur[cur_pmd[i]] = sat_add(cur[cur_pmd[i]], rxqs[i].cycles);
		if (rxqs[i].pmd >= 0)
			next[rxqs[i].pmd] = sat_add(next[rxqs[i].pmd], rxqs[i].cycles);
		est->moves += cur_pmd[i] != rxqs[i].pmd;
	}
	est->cur.min = est->next.min = UINT64_MAX;
	for (i = 0; i < n_pmds; i++) {
		double vc, vn, mean, unused, floor_;

		est->cur.max = cur[i] > est->cur.max ? cur[i] : est->cur.max;
		est->cur.min = cur[i] < est->cur.min ? cur[i] : est->cur.min;
		est->next.max = next[i] > est->next.max ? next[i] : est->next.max;
		est->next.min = next[i] < est->next.min ? next[i] : est->next.min;
		if (!first_of_node(pmds, i))
			continue;
		vc = node_variance(pmds, n_pmds, cur, pmds[i].numa, &mean);
		vn = node_variance(pmds, n_pmds, next, pmds[i].numa, &unused);
		est->cur.variance += vc;
		est->next.variance += vn;
		/* Relative, so a node's gain is judged against that node's own
		 * spread, but never against less than measurement noise (sched.h). */
		floor_ = mean * SCHED_BALANCED_PCT / 100.0;
		floor_ *= floor_;
		if (vc > 0 && vn < vc && 100.0 * (vc - vn) / max_d(vc, floor_) > est->improvement)
			est->improvement = 100.0 * (vc - vn) / max_d(vc, floor_);
	}
	free(cur);
	return 0;
}

enum sched_alb_verdict sched_alb_decide(unsigned int busiest_pct, const struct sched_estimate *est,
					unsigned int load_threshold,
					unsigned int improvement_threshold)
{
	if (busiest_pct < load_threshold)
		return SCHED_ALB_NOT_OVERLOADED;
	if (est->moves == 0)
		return SCHED_ALB_NO_MOVE;
	if (est->next.max > est->cur.max)
		return SCHED_ALB_WORSE_MAX;
	if (est->improvement <= 0 || est->improvement < (double)improvement_threshold)
		return SCHED_ALB_SMALL_GAIN;
	return SCHED_ALB_REBALANCE;
}
