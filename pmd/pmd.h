/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmd: the poll-mode worker threads.  One per core of pmd-cpu-mask, pinned
 * to it, registered with EAL (rte_thread_register, for mempool caches) and
 * with the dataplane's RCU variable under its slot number.
 *
 * A PMD owns its poll list (RCU-published by the control thread), its
 * pipeline context and its statistics; it shares nothing writable with
 * other PMDs.  Once per loop, after every burst of the loop has been
 * switched and flushed, it reports a quiescent state: that is the only
 * synchronisation the control thread needs to change anything it reads.
 *
 * Idle sleep (other_config:pmd-sleep-max): a loop that received nothing
 * ends in a sleep, 1 us after the first empty loop, doubling with every
 * further one up to sleep_max_us; any frame ends the back-off.  The PMD
 * is RCU-offline while it sleeps, so grace periods never wait for it.  A
 * kick from a guest whose queue it polls, or an rx interrupt of a device
 * it polls, ends a sleep at once (pmd_wake.h).
 */
#ifndef KVS_PMD_PMD_H
#define KVS_PMD_PMD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

struct dp_port;
struct dp_pmd_ctx;

struct pmd_rxq {
	struct dp_port *port;
	uint16_t qid;
	uint16_t empty; /* PMD only: empty polls in a row, up to PMD_IDLE_AFTER */
};

/*
 * Idle queues under load.  A queue whose last PMD_IDLE_AFTER polls were empty
 * is idle.  While any queue of the list is not, an iteration polls at most
 * about PMD_IDLE_BUDGET idle queues, a window moving round the list, so 254
 * attached but silent guests cost a busy PMD 4 polls per iteration instead
 * of 254.  The price: a silent queue that starts sending waits up to
 * n_idle / PMD_IDLE_BUDGET iterations (64 for 254 idle queues, under a
 * millisecond at full load, where iterations are long; with every queue
 * idle, all are polled every iteration, as before, so an idle switch wakes as
 * fast as ever).  With PMD_IDLE_BUDGET idle queues or fewer nothing changes.
 */
#define PMD_IDLE_AFTER  64
#define PMD_IDLE_BUDGET 4

struct pmd_rxq_list {
	uint32_t gen; /* pmd_set_rxqs numbers the lists of a PMD: 1, 2, ... */
	uint16_t n;
	uint16_t cursor; /* PMD only: first list position of the idle window */
	uint16_t n_idle; /* PMD only: idle queues seen by the last iteration */
	struct pmd_rxq q[];
};

/* Histograms for dpif-netdev/pmd-perf-show: packets per busy poll (1..DP_BURST,
 * bin n-1), and TSC cycles per loop iteration by power of two (bin k: 2^k up
 * to 2^(k+1); the last bin takes everything longer).  One increment per busy
 * poll and one per iteration. */
#define PMD_HIST_BURST  32 /* DP_BURST (pmd.c checks) */
#define PMD_HIST_CYCLES 32

struct pmd_stats {
	uint64_t iterations;
	uint64_t busy_cycles;  /* polls that returned frames, and their switching */
	uint64_t idle_cycles;  /* empty polls */
	uint64_t sleep_cycles; /* asleep (pmd-sleep-max), TSC cycles */
	uint64_t sleeps;       /* iterations that ended in a sleep */
	uint64_t kick_wakes;   /* sleeps a kick or rx interrupt ended (pmd_wake.h) */
	uint64_t rx_packets;
	uint64_t busy_polls; /* polls that returned frames */
	uint64_t burst_hist[PMD_HIST_BURST];
	uint64_t iter_hist[PMD_HIST_CYCLES];
};

struct pmd {
	/* written by the PMD */
	struct pmd_stats stats;
	uint64_t tsc_mark; /* TSC where the last charged interval ended (0: none yet) */
	/* read by the PMD, written by the control thread */
	struct pmd_rxq_list *rxqs __rte_cache_aligned; /* RCU */
	bool stop;
	uint32_t sleep_max_us; /* pmd-sleep-max: longest idle sleep, 0 = never */
	/* an eventfd the control thread writes after changing the above, so a
	 * sleeping PMD takes the change at once (pmd_wake.h); -1: none.  Made
	 * by pmd_start, closed by pmd_stop after the join. */
	int bell;
	/* control thread only */
	uint32_t rxqs_gen; /* the last list's gen */
	unsigned int slot;
	unsigned int core;
	int numa;
	struct dp_pmd_ctx *ctx;
	pthread_t thread;
	struct pmd_stats base; /* snapshot at pmd-stats-clear */
} __rte_cache_aligned;

/* Control thread: start a PMD in `slot` pinned to `core`. NULL + errno. */
struct pmd *pmd_start(unsigned int slot, unsigned int core);
/* Control thread: stop and join (its queues must already be elsewhere). */
void pmd_stop(struct pmd *pmd);
/* Control thread: publish a new poll list; the old one is freed after the
 * next grace period (dp_rcu_flush). -errno. */
int pmd_set_rxqs(struct pmd *pmd, const struct pmd_rxq *q, uint16_t n);
/* The PMD thread's loop body (and component tests, on a struct pmd of their
 * own): one pass over l, PMD_IDLE_BUDGET saying which queues; returns the
 * frames received.  The frames are switched through pmd->ctx. */
unsigned int pmd_poll(struct pmd *pmd, struct pmd_rxq_list *l);
/* Control thread: longest idle sleep in microseconds (0: never sleep); a
 * sleeping PMD is woken (its bell) and reads it on its next empty loop.
 * This, pmd_set_rxqs and pmd_stop ring the bell: only on a struct pmd made
 * by pmd_start (a zeroed one, as component tests make, has bell 0). */
void pmd_set_sleep_max(struct pmd *pmd, uint32_t us);
/* Control thread: statistics since the last pmd_stats_clear. */
void pmd_stats_get(const struct pmd *pmd, struct pmd_stats *st);
void pmd_stats_clear(struct pmd *pmd);
/* Control thread: the counters since the PMD started (pmd-stats-clear does
 * not touch them), for load measurements over a window. */
void pmd_stats_raw(const struct pmd *pmd, struct pmd_stats *st);

/* NUMA node of a CPU (libnuma), 0 when unknown. */
int pmd_core_numa(unsigned int core);

#endif
