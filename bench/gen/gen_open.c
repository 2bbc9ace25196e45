/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-bench-gen's open loop (--mode open), called by gen_main.c after learning and warm-up.
 *
 * Side A transmits at --rate frames/s (side B too with --bidir), paced by the TSC: the number
 * of frames due is computed from the time since the start, so the long-run rate is exact
 * (fixed point, 1/65536 of a frame period) and a burst is only what fell due since the last
 * pass of the loop, at most GEN_BURST: one or two frames at low rates. Bursts go round robin
 * over the --queues tx queues; each tx queue of each side is a stream with its own sequence.
 *
 * Both ports are polled on every queue. A frame of ours is checked against the last sequence
 * seen for its (stream, rx queue): lower is a reordering, equal a duplicate; its latency is
 * the rx burst's TSC minus the TSC written just before its tx burst (same process, same TSC).
 * Frames the tx ring refuses, or that find no mbuf, are freed and counted as tx_fail: the
 * generator falling behind, not the switch losing them. After the window, the ports are
 * drained so frames still in the switch count as received, and lost = tx - (rx - duplicates).
 * Both window events come while no frame flows (before the first is sent, after the drain),
 * and with --event-ack the window waits for the reader: a counter read that took this core
 * mid-window used to cost a few dozen frames at a full guest ring, charged to the switch.
 */

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "gen.h"

#define PACE_SHIFT 16

struct pacer {
	uint64_t t0, period_fp; /* TSC cycles per frame << PACE_SHIFT */
	uint64_t done;          /* frames sent or failed */
	uint64_t seq[GEN_MAX_QUEUES];
	struct gen_flow flow;
	uint16_t rr;
};

static struct pacer pacer[2];
/* last sequence seen by [rx side][tx queue of the sender][rx queue] */
static uint64_t last_seq[2][GEN_MAX_QUEUES][GEN_MAX_QUEUES];

/* Sends what fell due; returns how many frames that was. */
static uint16_t pacer_tick(enum gen_side s, uint64_t now)
{
	struct pacer *p = &pacer[s];
	struct rte_mbuf *m[GEN_BURST];
	uint64_t due = ((now - p->t0) << PACE_SHIFT) / p->period_fp + 1;
	uint16_t n, q = p->rr, i, k;
	uint64_t tsc;

	if (due <= p->done)
		return 0;
	n = (uint16_t)RTE_MIN(due - p->done, (uint64_t)GEN_BURST);
	p->done += n;
	p->rr = (uint16_t)((q + 1) % gen_opt.queues);
	if (rte_pktmbuf_alloc_bulk(gen_pool, m, n) != 0) {
		gen_st.tx_fail += n;
		return n;
	}
	gen_frames_prefetch_write(m, n); /* reused buffers: the switch's core wrote them */
	for (i = 0; i < n; i++) {
		gen_frame_build(m[i], s, p->flow.p, p->flow.k, (uint16_t)(s << 8 | q), ++p->seq[q]);
		gen_flow_next(&p->flow);
	}
	tsc = rte_rdtsc();
	for (i = 0; i < n; i++)
		gen_frame_set_tsc(m[i], tsc);
	k = rte_eth_tx_burst(gen_port[s], q, m, n);
	gen_st.tx_frames += k;
	gen_st.tx_q[s][q] += k;
	if (k < n) {
		gen_st.tx_fail += n - k;
		rte_pktmbuf_free_bulk(m + k, n - k);
	}
	return n;
}

static void account(enum gen_side s, uint16_t q, struct rte_mbuf *m, uint64_t now)
{
	struct gen_meta md;
	uint16_t stream, txq;
	uint64_t seq, tsc, *last;
	bool runt;

	if (!gen_frame_parse(m, &md, &runt)) {
		if (runt)
			gen_st.malformed++;
		else
			gen_st.foreign++;
		return;
	}
	stream = md.stream;
	txq = stream & 0xff;
	if ((unsigned int)stream >> 8 != ((unsigned int)s ^ 1u) || txq >= gen_opt.queues) {
		gen_st.foreign++; /* learning frames, or ours back on the port that sent them */
		return;
	}
	seq = md.seq;
	tsc = md.tsc;
	if (tsc > now) {
		gen_st.malformed++;
		return;
	}
	last = &last_seq[s][txq][q];
	if (seq < *last)
		gen_st.reordered++;
	else if (seq == *last)
		gen_st.duplicates++;
	else
		*last = seq;
	gen_st.rx_frames++;
	gen_st.rx_q[s][q]++;
	gen_hist_add(&gen_st.lat, now - tsc);
}

/* Polls every rx queue of both ports once; returns how many frames arrived. */
static uint64_t rx_all(void)
{
	struct rte_mbuf *m[GEN_BURST];
	uint64_t total = 0;
	uint16_t s, q, n, i;
	uint64_t now;

	for (s = 0; s < 2; s++) {
		for (q = 0; q < gen_opt.queues; q++) {
			n = rte_eth_rx_burst(gen_port[s], q, m, GEN_BURST);
			if (n == 0)
				continue;
			gen_st.rx_bursts++;
			now = rte_rdtsc();
			/* written by the switch's core: overlap the misses (see pacer_tick) */
			for (i = 0; i < n; i++)
				rte_prefetch0(rte_pktmbuf_mtod(m[i], void *));
			for (i = 0; i < n; i++)
				account((enum gen_side)s, q, m[i], now);
			rte_pktmbuf_free_bulk(m, n);
			total += n;
		}
	}
	return total;
}

int gen_open_run(void)
{
	uint64_t now, end;
	uint64_t busy;
	unsigned int s;

	gen_event_quiet("window_start");
	gen_st.start_tsc = now = rte_rdtsc();
	end = now + gen_sec_to_tsc(gen_opt.duration);
	for (s = 0; s < 2; s++) {
		pacer[s].t0 = now;
		pacer[s].period_fp = RTE_MAX((gen_tsc_hz << PACE_SHIFT) / gen_opt.rate, 1ull);
	}
	while (!gen_stop && now < end) {
		busy = pacer_tick(GEN_A, now);
		if (gen_opt.bidir)
			busy += pacer_tick(GEN_B, now);
		busy += rx_all();
		now = gen_pass_done(now, busy);
	}
	if (!gen_stop) {
		/* the last pass may have ended past the window: send what fell due before its end,
		 * so that exactly rate x duration frames were due */
		while (pacer_tick(GEN_A, end - 1) != 0)
			;
		while (gen_opt.bidir && pacer_tick(GEN_B, end - 1) != 0)
			;
		now = end;
	}
	gen_st.end_tsc = now;
	/* the rest of what is on its way, even after a signal */
	gen_drain(rx_all, 50, 2000);
	gen_event_quiet("window_end");
	return 0;
}
