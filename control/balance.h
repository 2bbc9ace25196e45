/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * balance: keeping rx queues spread over PMDs by what they measure.
 *
 * - Once a second (balance_tick(), the last call of apply_tick()) the load
 *   window is sampled (control/rxq_load.h) and, with other_config:pmd-auto-lb
 *   =true, every pmd-auto-lb-rebal-interval minutes a dry run of the re-plan
 *   is judged by sched_alb_decide(): the busiest PMD at least
 *   pmd-auto-lb-load-threshold % busy over the window and the variance of
 *   PMD loads on some node lower by at least
 *   pmd-auto-lb-improvement-threshold %.  Then queues move (two-phase, no
 *   loss) and the log says why; a verdict not to move is logged when it
 *   changes, not every interval.  Roundrobin placement ignores loads, so
 *   auto-lb does nothing with it (as in OVS), and says so once.
 * - balance_rebalance() is pmd-rxq-rebalance: re-plan now, whatever the
 *   thresholds, and report what moved.
 *
 * Control thread only.
 */
#ifndef KVS_CONTROL_BALANCE_H
#define KVS_CONTROL_BALANCE_H

#include "control/rxq_plan.h"

/* Once a second: sample loads, run the auto load balancer when due. */
void balance_tick(void);
/* pmd-rxq-rebalance: re-plan on measured loads now.  *r is the dry run that
 * preceded it (what moved, spread before and after).  -errno. */
int balance_rebalance(struct rxq_plan_report *r);
/* Automatic rebalances since start (for pmd-rxq-show). */
unsigned int balance_auto_count(void);

#endif
