/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmd-rxq-rebalance and pmd-auto-lb (balance.h).
 *
 * The decision itself is pmd/sched_estimate.c's, unit-tested on synthetic
 * loads; this file only times it, feeds it the dry run of the real re-plan
 * and acts.  A check costs one dry run of the scheduler (microseconds for a
 * few hundred queues) per rebalance interval, a minute by default.
 */
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_log.h>

#include "control/balance.h"
#include "control/mono_clock.h"
#include "control/police.h"
#include "control/rxq_load.h"
#include "control/state.h"

#define BAL_LOG(lvl, ...) rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_USER2, "control: " __VA_ARGS__)

static unsigned int n_auto;

unsigned int balance_auto_count(void)
{
	return n_auto;
}

/* The rebalance period in ms: the test key if set, else the minutes. */
static uint64_t period_ms(void)
{
	if (sw.ovs.pmd_auto_lb_rebal_interval_ms)
		return sw.ovs.pmd_auto_lb_rebal_interval_ms;
	return (uint64_t)sw.ovs.pmd_auto_lb_rebal_interval * 60000;
}

/* Say when auto-lb is switched on or off or retuned, as OVS does. */
static void log_settings(void)
{
	static struct {
		bool on;
		uint32_t load, impr;
		uint64_t period;
	} was;
	uint64_t period = period_ms();

	if (was.on == sw.ovs.pmd_auto_lb && was.load == sw.ovs.pmd_auto_lb_load_threshold &&
	    was.impr == sw.ovs.pmd_auto_lb_improvement_threshold && was.period == period)
		return;
	if (sw.ovs.pmd_auto_lb)
		BAL_LOG(INFO,
			"pmd-auto-lb enabled: every %lu ms, busiest PMD at least %u%% busy, "
			"improvement at least %u%%\n",
			period, sw.ovs.pmd_auto_lb_load_threshold,
			sw.ovs.pmd_auto_lb_improvement_threshold);
	else if (was.on)
		BAL_LOG(INFO, "pmd-auto-lb disabled\n");
	was.on = sw.ovs.pmd_auto_lb;
	was.load = sw.ovs.pmd_auto_lb_load_threshold;
	was.impr = sw.ovs.pmd_auto_lb_improvement_threshold;
	was.period = period;
}

static void auto_check(void)
{
	static int last = -1;
	struct rxq_plan_report r;
	enum sched_alb_verdict v;
	enum sched_mode mode;

	if (sched_mode_parse(sw.ovs.pmd_rxq_assign, &mode) == 0 && mode == SCHED_ROUNDROBIN) {
		if (last != -2)
			BAL_LOG(INFO, "pmd-auto-lb: inactive with pmd-rxq-assign=roundrobin, "
				      "which ignores loads (cycles or group act on them)\n");
		last = -2;
		return;
	}
	if (rxq_plan_estimate(&r) < 0)
		return;
	v = sched_alb_decide((unsigned int)r.busiest_pct, &r.est, sw.ovs.pmd_auto_lb_load_threshold,
			     sw.ovs.pmd_auto_lb_improvement_threshold);
	if (v == SCHED_ALB_REBALANCE) {
		rxq_plan_apply(true);
		police_apply(); /* a port may now be polled by more or fewer PMDs */
		n_auto++;
		BAL_LOG(INFO,
			"pmd-auto-lb: rebalanced: %u of %u rx queues moved; busiest PMD %.0f%% "
			"busy; heaviest PMD load %.0f%% -> %.0f%%; variance -%.0f%%\n",
			r.est.moves, r.n_rxqs, r.busiest_pct, r.max_cur_pct, r.max_next_pct,
			r.est.improvement);
	} else if ((int)v != last) {
		BAL_LOG(INFO,
			"pmd-auto-lb: not rebalancing: %s (busiest PMD %.0f%% busy, %u queues "
			"would move, variance -%.0f%%)\n",
			sched_alb_verdict_name(v), r.busiest_pct, r.est.moves, r.est.improvement);
	}
	last = (int)v;
}

void balance_tick(void)
{
	static uint64_t last_check;
	uint64_t now = mono_clock_ms();
	uint32_t ms = sw.ovs.pmd_auto_lb_rebal_interval_ms;

	/* With the test key the window shrinks with the period (rxq_load.h). */
	rxq_load_set_interval(ms ? RTE_MAX(1000u, ms / RXQ_LOAD_INTERVALS) : 0);
	rxq_load_tick();
	log_settings();
	if (!sw.ovs.pmd_auto_lb || now - last_check < period_ms()) {
		/* Not enabled: the first check comes one full period after it is. */
		if (!sw.ovs.pmd_auto_lb)
			last_check = now;
		return;
	}
	last_check = now;
	auto_check();
}

int balance_rebalance(struct rxq_plan_report *r)
{
	int rc = rxq_plan_estimate(r);

	if (rc < 0)
		return rc;
	rxq_plan_apply(true);
	police_apply();
	BAL_LOG(INFO,
		"pmd-rxq-rebalance: %u of %u rx queues moved; heaviest PMD load %.0f%% -> "
		"%.0f%%\n",
		r->est.moves, r->n_rxqs, r->max_cur_pct, r->max_next_pct);
	return 0;
}
