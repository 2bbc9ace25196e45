/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rxq_load: how busy every rx queue and every PMD has been lately.
 *
 * PMDs keep cumulative counters (port->rxq[q].cycles, pmd->stats) since
 * they started.  The scheduler wants a recent window instead, as OVS uses
 * the last minute: a queue that was busy an hour ago and idle since must not
 * weigh on today's placement.  So the control thread samples the counters
 * every interval (10 s) and keeps the last RXQ_LOAD_INTERVALS (6) deltas of
 * each queue and PMD; the window is those plus the interval in progress, so
 * a fresh load shows at once and an old one is gone after a minute.
 *
 * With other_config:pmd-auto-lb-rebal-interval-ms (tests) the interval is
 * that / RXQ_LOAD_INTERVALS (at least 1 s), so the window matches the
 * rebalancing period as it does by default (6 x 10 s = 1 min).
 *
 * Control thread only: rxq_load_tick() from the once-a-second tick
 * (control/balance.c), the readers from the re-plan (control/rxq_plan.c) and
 * pmd-rxq-show (control/cmd_show.c).  Memory: 7 KiB per port (128 queues x 7
 * counters), taken when a port is first sampled and given back when it goes.
 */
#ifndef KVS_CONTROL_RXQ_LOAD_H
#define KVS_CONTROL_RXQ_LOAD_H

#include <stdint.h>

#include "pmd/pmd.h"

struct dp_port;

#define RXQ_LOAD_INTERVALS   6
#define RXQ_LOAD_INTERVAL_MS 10000

/* Length of one sampling interval in ms; 0 restores the default. */
void rxq_load_set_interval(uint32_t ms);
/* Take a sample if an interval has passed since the last one. */
void rxq_load_tick(void);
/* TSC cycles the window spans now: complete intervals + the one in progress. */
uint64_t rxq_load_window(void);
/* Processing cycles of rx queue qid of port p over the window. */
uint64_t rxq_load_queue(const struct dp_port *p, uint16_t qid);
/* A PMD's busy, idle and sleep cycles and sleeps over the window (the other
 * fields are 0). */
void rxq_load_pmd(const struct pmd *pmd, struct pmd_stats *out);
/* cycles as a percentage of the window (0 while the window is empty). */
double rxq_load_pct(uint64_t cycles);

#endif
