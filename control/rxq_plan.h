/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rxq_plan: which PMD polls which rx queue, for the running switch.  Feeds
 * pmd/sched.c the PMDs and every rx queue to poll, each with its NUMA node,
 * its pmd-rxq-affinity pin and its measured load over the recent window
 * (control/rxq_load.h), then publishes the result in two phases so that no
 * queue is ever polled by two PMDs and no frame is lost while queues move.
 * Also the dry run that pmd-rxq-rebalance reports and pmd-auto-lb decides on.
 *
 * Control thread only.  rxq_plan_apply() is what apply_replan() runs, on
 * every configuration change and vhost event, and what pmd-rxq-rebalance
 * and pmd-auto-lb run with force.
 *
 * Without force, queues are placed again only if what placement depends on
 * changed since the last plan: the PMDs, the ports and their queues (and
 * their NUMA nodes), pins, pmd-rxq-assign, pmd-rxq-isolate.  Then every
 * queue is placed by its measured load, as OVS does on such a change.  Any
 * other change (a VLAN, a MAC table size, pmd-auto-lb itself) leaves queues
 * where they are: moving them is lossless but not free, and a rebalance is
 * what the rebalance commands are for.
 */
#ifndef KVS_CONTROL_RXQ_PLAN_H
#define KVS_CONTROL_RXQ_PLAN_H

#include <stdbool.h>

#include "pmd/sched.h"

/* What a re-plan on the current loads would change. */
struct rxq_plan_report {
	unsigned int n_rxqs;       /* queues planned */
	struct sched_estimate est; /* proposal vs placement in effect, in cycles */
	double busiest_pct;        /* busiest PMD's measured busy %, over the window */
	double max_cur_pct;        /* busiest PMD's queue load, % of the window, now */
	double max_next_pct;       /* the same after the re-plan */
};

/* Re-plan rx queues over PMDs on measured loads (if the inputs changed, or
 * force), publish, rebuild tx maps. */
void rxq_plan_apply(bool force);
/* Dry run of rxq_plan_apply(): nothing changes, nothing is logged.  -errno. */
int rxq_plan_estimate(struct rxq_plan_report *r);
/* Did the plan in effect isolate the PMD in this slot (pmd-rxq-isolate)? */
bool rxq_plan_isolated(unsigned int slot);

#endif
