/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The measured-load window of rx queues and PMDs (rxq_load.h).
 *
 * One ring of RXQ_LOAD_INTERVALS slots is shared by every counter: slot j
 * of a queue holds what its cumulative counter grew during the interval that
 * slot j of `len` times.  A counter first seen mid-history has zeros in the
 * slots before it, which is what it did then.  A port or PMD is known by its
 * pointer as well as its id or slot, so one that is closed and reopened under
 * the same id starts a fresh history; a counter that went backwards is a
 * restart too, and counts from 0.
 *
 * Cost: a sample reads 128 queue counters per port and the stats of each PMD,
 * once per interval (10 s by default); a read sums 7 numbers.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "control/rxq_load.h"
#include "control/state.h"
#include "dataplane/port.h"

struct port_hist {
	const struct dp_port *dp;
	uint64_t last[DP_MAX_QUEUES];
	uint64_t iv[RXQ_LOAD_INTERVALS][DP_MAX_QUEUES];
};

struct pmd_hist {
	const struct pmd *pmd;
	struct pmd_stats last;
	struct pmd_stats iv[RXQ_LOAD_INTERVALS];
};

static struct port_hist *ports[DP_MAX_PORTS];
static struct pmd_hist pmds[DP_MAX_PMDS];
static uint64_t len[RXQ_LOAD_INTERVALS]; /* TSC cycles each slot covers */
static unsigned int head;                /* slot the next sample fills */
static uint64_t t_last;                  /* TSC of the last sample (0: none yet) */
static uint32_t interval_ms = RXQ_LOAD_INTERVAL_MS;

void rxq_load_set_interval(uint32_t ms)
{
	interval_ms = ms ? ms : RXQ_LOAD_INTERVAL_MS;
}

/* Growth of a cumulative counter; a counter that went back restarted at 0. */
static uint64_t grew(uint64_t cur, uint64_t last)
{
	return cur >= last ? cur - last : cur;
}

static void sample_port(const struct dp_port *dp, bool *seen)
{
	struct port_hist *h = ports[dp->id];
	uint16_t q;

	seen[dp->id] = true;
	if (h == NULL || h->dp != dp) {
		/* New here: its history starts now, from what it counted so far. */
		if (h == NULL)
			h = malloc(sizeof(*h));
		if (h == NULL)
			return; /* no history: readers fall back to the counters */
		memset(h, 0, sizeof(*h));
		h->dp = dp;
		ports[dp->id] = h;
		for (q = 0; q < DP_MAX_QUEUES; q++)
			h->iv[head][q] = dp->rxq[q].cycles;
	} else {
		for (q = 0; q < DP_MAX_QUEUES; q++)
			h->iv[head][q] = grew(dp->rxq[q].cycles, h->last[q]);
	}
	for (q = 0; q < DP_MAX_QUEUES; q++)
		h->last[q] = dp->rxq[q].cycles;
}

static void sample_pmd(unsigned int s)
{
	struct pmd_hist *h = &pmds[s];
	struct pmd_stats now, *iv = &h->iv[head];

	if (sw.pmds[s] == NULL) {
		memset(h, 0, sizeof(*h));
		return;
	}
	if (h->pmd != sw.pmds[s]) {
		memset(h, 0, sizeof(*h));
		h->pmd = sw.pmds[s];
	}
	pmd_stats_raw(sw.pmds[s], &now);
	iv->busy_cycles = grew(now.busy_cycles, h->last.busy_cycles);
	iv->idle_cycles = grew(now.idle_cycles, h->last.idle_cycles);
	iv->sleep_cycles = grew(now.sleep_cycles, h->last.sleep_cycles);
	iv->sleeps = grew(now.sleeps, h->last.sleeps);
	h->last = now;
}

void rxq_load_tick(void)
{
	static bool seen[DP_MAX_PORTS];
	uint64_t now = rte_rdtsc();
	unsigned int i;

	if (t_last == 0) {
		t_last = now;
		return;
	}
	if (now - t_last < rte_get_tsc_hz() / 1000 * interval_ms)
		return;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < sw.n_ports; i++)
		if (sw.ports[i]->dp != NULL)
			sample_port(sw.ports[i]->dp, seen);
	/* Ports that went away: their id may come back as another port. */
	for (i = 0; i < DP_MAX_PORTS; i++)
		if (!seen[i] && ports[i] != NULL) {
			free(ports[i]);
			ports[i] = NULL;
		}
	for (i = 0; i < DP_MAX_PMDS; i++)
		sample_pmd(i);
	len[head] = now - t_last;
	t_last = now;
	head = (head + 1) % RXQ_LOAD_INTERVALS;
}

uint64_t rxq_load_window(void)
{
	uint64_t w = t_last ? rte_rdtsc() - t_last : 0;
	unsigned int j;

	for (j = 0; j < RXQ_LOAD_INTERVALS; j++)
		w += len[j];
	return w;
}

uint64_t rxq_load_queue(const struct dp_port *p, uint16_t qid)
{
	const struct port_hist *h = ports[p->id];
	uint64_t c;
	unsigned int j;

	if (qid >= DP_MAX_QUEUES)
		return 0;
	/* Not sampled yet: it is younger than one interval, all it did is recent. */
	if (h == NULL || h->dp != p)
		return p->rxq[qid].cycles;
	c = grew(p->rxq[qid].cycles, h->last[qid]);
	for (j = 0; j < RXQ_LOAD_INTERVALS; j++)
		c += h->iv[j][qid];
	return c;
}

void rxq_load_pmd(const struct pmd *pmd, struct pmd_stats *out)
{
	const struct pmd_hist *h = &pmds[pmd->slot];
	struct pmd_stats now;
	unsigned int j;

	memset(out, 0, sizeof(*out));
	pmd_stats_raw(pmd, &now);
	if (h->pmd != pmd) {
		*out = (struct pmd_stats){.busy_cycles = now.busy_cycles,
					  .idle_cycles = now.idle_cycles,
					  .sleep_cycles = now.sleep_cycles,
					  .sleeps = now.sleeps};
		return;
	}
	out->busy_cycles = grew(now.busy_cycles, h->last.busy_cycles);
	out->idle_cycles = grew(now.idle_cycles, h->last.idle_cycles);
	out->sleep_cycles = grew(now.sleep_cycles, h->last.sleep_cycles);
	out->sleeps = grew(now.sleeps, h->last.sleeps);
	for (j = 0; j < RXQ_LOAD_INTERVALS; j++) {
		out->busy_cycles += h->iv[j].busy_cycles;
		out->idle_cycles += h->iv[j].idle_cycles;
		out->sleep_cycles += h->iv[j].sleep_cycles;
		out->sleeps += h->iv[j].sleeps;
	}
}

double rxq_load_pct(uint64_t cycles)
{
	uint64_t w = rxq_load_window();

	return w ? RTE_MIN(100.0, 100.0 * (double)cycles / (double)w) : 0;
}
