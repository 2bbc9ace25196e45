/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-bench-gen's closed loop (--mode closed), called by gen_main.c after learning and warm-up.
 *
 * --inflight frames are injected from each side (A->B and B->A, spread over the queues); from
 * then on every frame received on a port is sent straight back out of that port, on the tx
 * queue of the rx queue it came in on, so the switch carries it to the other side again: the
 * rate is whatever the switch and this loop sustain together, like testpmd's mac forwarding
 * with --tx-first. Each time a frame goes back out it takes the next flow of its new side
 * (addresses rewritten, not swapped), so every --flows flow is exercised even when --inflight
 * is smaller than --flows, and its TSC is rewritten, so the histogram is one trip through the
 * switch under full load.
 *
 * Nothing is dropped here: what a tx queue does not take waits in that queue's backlog, and
 * the queue is not polled again until the backlog has gone out (the frames wait in its rx ring
 * meanwhile, where the switch may drop them: that is the switch's loss). At the end the loop
 * stops forwarding and counts what still circulates: lost_in_flight = 2 x inflight - that.
 */

#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "gen.h"

struct backlog {
	uint16_t n, off;
	struct rte_mbuf *m[GEN_BURST];
};

static struct backlog backlog[2][GEN_MAX_QUEUES];
static struct gen_flow flow[2];

/* Sends what q's backlog holds; true when it is empty. */
static bool backlog_flush(enum gen_side s, uint16_t q)
{
	struct backlog *b = &backlog[s][q];
	uint16_t k;

	if (b->n == 0)
		return true;
	k = rte_eth_tx_burst(gen_port[s], q, b->m + b->off, b->n);
	gen_st.tx_frames += k;
	gen_st.tx_q[s][q] += k;
	b->off = (uint16_t)(b->off + k);
	b->n = (uint16_t)(b->n - k);
	if (b->n != 0)
		return false;
	b->off = 0;
	return true;
}

static void backlog_add(enum gen_side s, uint16_t q, struct rte_mbuf **m, uint16_t n)
{
	struct backlog *b = &backlog[s][q];
	uint16_t i;

	for (i = 0; i < n; i++)
		b->m[b->n + i] = m[i];
	b->n = (uint16_t)(b->n + n);
}

/* Injects up to one burst from side s; returns how many are still to inject. */
static uint32_t inject(enum gen_side s, uint32_t left)
{
	static uint16_t rr[2];
	struct rte_mbuf *m[GEN_BURST];
	uint16_t n = (uint16_t)RTE_MIN(left, (uint32_t)GEN_BURST), q = rr[s], i, k;
	uint64_t now;

	if (n == 0 || rte_pktmbuf_alloc_bulk(gen_pool, m, n) != 0)
		return left;
	for (i = 0; i < n; i++) {
		gen_frame_build(m[i], s, flow[s].p, flow[s].k, (uint16_t)(s << 8 | q), 0);
		gen_flow_next(&flow[s]);
	}
	now = rte_rdtsc();
	for (i = 0; i < n; i++)
		gen_frame_set_tsc(m[i], now);
	k = rte_eth_tx_burst(gen_port[s], q, m, n);
	if (k < n)
		rte_pktmbuf_free_bulk(m + k, n - k); /* built again on the next call */
	rr[s] = (uint16_t)((q + 1) % gen_opt.queues);
	return left - k;
}

/* One rx burst of side s queue q, sent back out of the same port and queue. Returns how many
 * frames it received, or 1 when it is stuck on its backlog (busy, not idle). */
static uint16_t forward(enum gen_side s, uint16_t q)
{
	struct rte_mbuf *m[GEN_BURST], *out[GEN_BURST];
	struct gen_meta md;
	uint16_t n, i, nout = 0, k;
	uint64_t now;
	bool runt;

	if (!backlog_flush(s, q))
		return 1;
	n = rte_eth_rx_burst(gen_port[s], q, m, GEN_BURST);
	if (n == 0)
		return 0;
	gen_st.rx_bursts++;
	now = rte_rdtsc();
	/* read, rewritten and sent back: for writing, so no line is fetched shared first and
	 * upgraded later */
	gen_frames_prefetch_write(m, n);
	for (i = 0; i < n; i++) {
		if (!gen_frame_parse(m[i], &md, &runt) ||
		    (unsigned int)(md.stream >> 8) != ((unsigned int)s ^ 1u)) {
			/* not one of the frames in flight: it leaves the loop */
			if (runt)
				gen_st.malformed++;
			else
				gen_st.foreign++;
			rte_pktmbuf_free(m[i]);
			continue;
		}
		gen_hist_add(&gen_st.lat, now - md.tsc);
		gen_frame_readdress(m[i], s, flow[s].p, flow[s].k);
		gen_flow_next(&flow[s]);
		gen_frame_stamp(m[i], (uint16_t)(s << 8 | q), now);
		out[nout++] = m[i];
	}
	gen_st.rx_frames += nout;
	gen_st.rx_q[s][q] += nout;
	k = rte_eth_tx_burst(gen_port[s], q, out, nout);
	gen_st.tx_frames += k;
	gen_st.tx_q[s][q] += k;
	if (k < nout)
		backlog_add(s, q, out + k, (uint16_t)(nout - k));
	return n;
}

int gen_closed_run(void)
{
	uint32_t left[2] = {gen_opt.inflight, gen_opt.inflight};
	uint64_t now, end, in_backlog = 0, circulating;
	uint32_t busy;
	uint16_t q, s;

	/* injection takes microseconds; the window starts once everything is in flight */
	while ((left[GEN_A] | left[GEN_B]) != 0 && !gen_stop) {
		left[GEN_A] = inject(GEN_A, left[GEN_A]);
		left[GEN_B] = inject(GEN_B, left[GEN_B]);
		for (s = 0; s < 2; s++)
			for (q = 0; q < gen_opt.queues; q++)
				forward((enum gen_side)s, q);
	}
	gen_event("window_start");
	gen_st.start_tsc = now = rte_rdtsc();
	end = now + gen_sec_to_tsc(gen_opt.duration);
	gen_st.rx_frames = gen_st.tx_frames = gen_st.rx_bursts = 0;
	memset(gen_st.rx_q, 0, sizeof(gen_st.rx_q));
	memset(gen_st.tx_q, 0, sizeof(gen_st.tx_q));
	memset(&gen_st.lat, 0, sizeof(gen_st.lat));
	while (!gen_stop && now < end) {
		busy = 0;
		for (s = 0; s < 2; s++)
			for (q = 0; q < gen_opt.queues; q++)
				busy += forward((enum gen_side)s, q);
		now = gen_pass_done(now, busy);
	}
	gen_st.end_tsc = now;
	gen_event("window_end");
	for (s = 0; s < 2; s++) {
		for (q = 0; q < gen_opt.queues; q++) {
			struct backlog *b = &backlog[s][q];

			in_backlog += b->n;
			rte_pktmbuf_free_bulk(b->m + b->off, b->n);
			b->n = b->off = 0;
		}
	}
	circulating = in_backlog + gen_drain(gen_rx_discard, 50, 2000);
	gen_st.lost_in_flight =
		2ull * gen_opt.inflight - RTE_MIN(circulating, 2ull * gen_opt.inflight);
	return 0;
}
