/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-bench-gen: what its files share. gen_main.c owns the process (EAL, ports, the learning
 * phase, the report), gen_opts.c the options, gen_frame.h the frame shapes and flow scheme,
 * gen_hist.c the latency histogram, gen_closed.c and gen_open.c the two measurement loops.
 *
 * Threads: everything runs on the main lcore; nothing here is shared with another thread
 * except gen_stop, which the signal handler sets.
 */
#ifndef KVS_BENCH_GEN_H
#define KVS_BENCH_GEN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#define GEN_BURST      32
#define GEN_MAX_QUEUES 16
#define GEN_MAX_MACS   (1u << 24) /* the MAC scheme has 24 bits of flow index */

enum gen_mode { GEN_CLOSED, GEN_OPEN };
enum gen_shape { GEN_SHAPE_UDP, GEN_SHAPE_RAW }; /* gen_frame.h */

struct gen_opts {
	enum gen_mode mode;
	uint32_t size; /* --size: frame length with FCS */
	uint16_t queues;
	enum gen_shape shape;
	uint32_t macs;  /* MAC pairs */
	uint32_t flows; /* 5-tuples per direction, over the MAC pairs (default: macs) */
	double duration, warmup, link_timeout;
	uint32_t inflight; /* closed: per direction, over all queues */
	uint64_t rate;     /* open: frames/s per direction, over all queues */
	uint32_t learn_rounds;
	bool bidir, progress, events, event_ack;
};

/* Latency histogram in TSC cycles: exact below 64, then 64 log-linear buckets per power of two
 * (1.6% wide), up to 2^48 cycles. 18 KiB, written once per received frame. */
#define GEN_HIST_SUB     64
#define GEN_HIST_BUCKETS (GEN_HIST_SUB + (48 - 6) * GEN_HIST_SUB)

struct gen_hist {
	uint64_t count, sum, max;
	uint64_t b[GEN_HIST_BUCKETS];
};

/* What a measurement loop counts. rx/tx_q are by port (A, B) and queue. */
struct gen_stats {
	uint64_t tx_frames, rx_frames, tx_fail, foreign, malformed, reordered, duplicates;
	uint64_t lost_in_flight; /* closed */
	uint64_t rx_q[2][GEN_MAX_QUEUES], tx_q[2][GEN_MAX_QUEUES];
	uint64_t start_tsc, end_tsc; /* the measurement window */
	uint64_t idle_tsc;           /* of it, in loop passes that found nothing to do */
	uint64_t rx_bursts;          /* rx bursts that returned frames, in the window */
	struct gen_hist lat;
} __rte_cache_aligned;

extern struct gen_opts gen_opt;
extern struct gen_stats gen_st;
extern uint16_t gen_port[2];
extern struct rte_mempool *gen_pool;
extern uint64_t gen_tsc_hz;
extern volatile sig_atomic_t gen_stop;

/* gen_hist.c; adding is inline, once per received frame */
static inline unsigned int gen_hist_bucket(uint64_t v)
{
	unsigned int e, i;

	if (v < GEN_HIST_SUB)
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v); /* >= 6 */
	i = GEN_HIST_SUB * (e - 5) + (unsigned int)((v >> (e - 6)) & (GEN_HIST_SUB - 1));
	return RTE_MIN(i, GEN_HIST_BUCKETS - 1u);
}

static inline void gen_hist_add(struct gen_hist *h, uint64_t cycles)
{
	h->b[gen_hist_bucket(cycles)]++;
	h->count++;
	h->sum += cycles;
	if (cycles > h->max)
		h->max = cycles;
}

json_t *gen_hist_json(const struct gen_hist *h, uint64_t tsc_hz);

/* gen_main.c: helpers the loops share */
static inline uint64_t gen_sec_to_tsc(double s)
{
	return (uint64_t)(s * (double)gen_tsc_hz);
}
/* Ends a pass of a measurement loop that started at TSC start and did busy things (frames,
 * 0 = idle): accounts idle time, prints progress when due; returns the TSC now. */
uint64_t gen_pass_done(uint64_t start, uint64_t busy);
/* With --events: one line {"event": name} on stdout, flushed at once, so that whoever reads
 * the report can act at the edges of the window (e.g. read a switch's counters). */
void gen_event(const char *name);
/* gen_event, then with --event-ack a wait for one line on stdin: for the edges where no
 * frame is in flight, so the reader's work (a switch's counters read by a process on this
 * core) cannot stall the generator mid-window and cost frames at a full guest ring. */
void gen_event_quiet(const char *name);
/* Polls every rx queue of both ports once, frees what arrived; returns how many. */
uint64_t gen_rx_discard(void);
/* Calls poll until idle_ms pass without a frame or max_ms pass; returns the frames it got. */
uint64_t gen_drain(uint64_t (*poll)(void), uint64_t idle_ms, uint64_t max_ms);

#include "gen_frame.h"

/* gen_opts.c: fills gen_opt from argv after "--"; exits with status 2 on a usage error. */
void gen_opts_parse(int argc, char **argv);
/* Prints "kvs-bench-gen: " and the message, then the usage text, on stderr; exits 2. */
void __attribute__((noreturn, format(printf, 1, 2))) gen_usage_error(const char *fmt, ...);

/* gen_closed.c, gen_open.c: run the measurement window, fill gen_st; 0 or -errno. */
int gen_closed_run(void);
int gen_open_run(void);

#endif
