/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * txhold: frames a port's tx queue refused, kept in order for the next try
 * instead of dropped.
 *
 * Why.  A guest whose vCPU stops for a moment (the host runs something else
 * on its core, a long interrupt) stops emptying its rx ring.  Its ring fills
 * and, without a hold, the next burst for it is lost: one 32-frame burst is
 * what ended most zero-loss trials of 2026-12-04 for every switch measured
 * (bench/results/2026-12-04/README.md).  With a hold, such a stall costs the
 * frames behind it latency, not loss.  OVS-DPDK drops there.
 *
 * Who calls it.  A port driver that can hold (ops->tx_flush set; today the
 * vhost-user ports) sends from the hold before anything new, so frames a PMD
 * sends to a port leave in the order they came (across PMDs there is no
 * order, as without holds), and puts what its queue refused into it.  The
 * PMD loop calls dp_txhold_loop() once per iteration and dp_txhold_flush()
 * while it holds anything, so held frames leave even when no new frame comes
 * for that port.
 *
 * Bounds, so a stopped guest costs neither the pool nor the PMD for long:
 * - DP_TXHOLD_LEN frames per (port, PMD), DP_TXHOLD_PMD_MAX per PMD, and an
 *   eighth of an mbuf pool's size over all PMDs; only direct one-segment
 *   mbufs (no GSO segment, which would pin the small indirect pool);
 * - a frame waits at most the port's tx-hold-ms (the driver calls
 *   dp_txhold_expire); frames that expire after the queue took nothing for
 *   tx-hold-ms make the hold "blocked": it holds nothing more until its
 *   queue takes a frame again.  A PMD does not sleep while it holds frames,
 *   so a stopped guest keeps its PMD awake for tx-hold-ms, not for as long
 *   as it is stopped (a guest that reads, slowly, keeps it awake as any
 *   traffic would).
 * What does not fit is dropped as it was without a hold (tx_ring_full).
 *
 * Nothing held outlives the settings it was switched under: the control
 * thread calls dp_txhold_invalidate(p) after it publishes a new VLAN, bridge
 * or mirror role or egress filter for p, and librte_vhost's thread when p's
 * guest goes; dp_txhold_invalidate(NULL), for every port, after an ingress
 * filter changes (frames it let through may wait on any port).  A PMD drops
 * what it held from before (tx_held_stale) at its next try.  Each PMD reads
 * the generation counter at the start of its loop, before it reads any conf,
 * and stamps what it holds with it; an invalidation takes a new value and
 * marks the port (or all) stale below it, so a frame switched under old
 * settings always carries an older stamp.  Frames switched under the new
 * settings in the same loop may be dropped too: they were held across the
 * change.
 *
 * Cost: with nothing held, a load and a compare per tx burst, and one load of
 * the generation per PMD loop.
 *
 * Thread rules.  The hold of (port, PMD slot) is used by that PMD alone while
 * it runs.  The control thread allocates holds when it publishes a tx map
 * (dp_port_set_txmap, before the map) and only grows them; it empties a slot's
 * holds once its PMD has stopped (dp_txhold_release_pmd) and a port's when the
 * port is freed after its grace period (both counted as tx_down).  A port is
 * never published again after dp_port_unpublish, so a hold listed by a PMD
 * is either flushed or freed with its port.
 */
#ifndef KVS_DP_TXHOLD_H
#define KVS_DP_TXHOLD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "dataplane/port.h"

#define DP_TXHOLD_LEN     256  /* frames per (port, PMD): 8 bursts */
#define DP_TXHOLD_PMD_MAX 2048 /* frames per PMD, over all its ports */

struct dp_txhold {
	uint16_t head, n;           /* FIFO: m[head], m[head + 1], ... modulo LEN */
	bool listed;                /* on its PMD's list of holds to flush */
	bool blocked;               /* expired with no progress: hold nothing more */
	uint32_t gen;               /* generation of the oldest held frame's loop */
	uint64_t moved_ms;          /* dp_now_ms() the queue last took a held frame, or
				     * the hold last started */
	uint32_t at[DP_TXHOLD_LEN]; /* dp_now_ms() each frame came, low bits */
	struct rte_mbuf *m[DP_TXHOLD_LEN];
};

/* Per PMD slot: what it holds, its generation, its ports with frames held. */
struct dp_txhold_pmd {
	uint32_t held; /* frames, all ports; atomic: a freed port's go from here */
	uint32_t gen;  /* dp_txhold_gen read at the start of this loop */
	uint16_t n;
	uint16_t id[DP_MAX_PORTS]; /* ports with listed holds, each once */
} __rte_cache_aligned;

/* The generation counter, and the generation below which every port's held
 * frames are stale (an ingress filter changed): read by every PMD each loop,
 * written rarely, on a line of their own. */
struct dp_txhold_gens {
	uint32_t now;
	uint32_t all_stale;
} __rte_cache_aligned;

extern struct dp_txhold_pmd dp_txhold_pmds[DP_MAX_PMDS];
extern struct dp_txhold_gens dp_txhold_gens;

/* PMD, at the start of each loop, before it reads any conf. */
static inline void dp_txhold_loop(unsigned int pmd)
{
	dp_txhold_pmds[pmd].gen = __atomic_load_n(&dp_txhold_gens.now, __ATOMIC_ACQUIRE);
}

/* PMD: does this PMD hold frames for any port? */
static inline bool dp_txhold_pending(unsigned int pmd)
{
	return dp_txhold_pmds[pmd].n != 0;
}

/* PMD: the hold of (p, slot pmd); NULL when the port has none for it. */
static inline struct dp_txhold *dp_txhold_of(const struct dp_port *p, unsigned int pmd)
{
	return __atomic_load_n(&p->tx[pmd].hold, __ATOMIC_ACQUIRE);
}

/* PMD: were the frames h holds for p switched under settings replaced since? */
static inline bool dp_txhold_stale(const struct dp_port *p, const struct dp_txhold *h)
{
	uint32_t port = __atomic_load_n(&p->hold_stale, __ATOMIC_ACQUIRE);
	uint32_t all = __atomic_load_n(&dp_txhold_gens.all_stale, __ATOMIC_ACQUIRE);

	return h->n != 0 && ((int32_t)(port - h->gen) > 0 || (int32_t)(all - h->gen) > 0);
}

/* PMD: the oldest held frames that sit next to each other, at most max;
 * *run points at the first.  Send them, then dp_txhold_sent(). */
static inline uint16_t dp_txhold_front(struct dp_txhold *h, struct rte_mbuf ***run, uint16_t max)
{
	uint16_t k = (uint16_t)(DP_TXHOLD_LEN - h->head);

	if (k > h->n)
		k = h->n;
	if (k > max)
		k = max;
	*run = &h->m[h->head];
	return k;
}

/* PMD: the first k frames of the front left the hold (sent, or dropped and
 * counted by the caller); the caller owns them again. */
void dp_txhold_sent(unsigned int pmd, struct dp_txhold *h, uint16_t k);

/*
 * PMD: keep pkts[0..n), which the queue refused, behind what h holds,
 * stamped now_ms.  Returns how many were kept: the first ones, within the
 * bounds above, none while h is blocked; the caller still owns and drops the
 * rest.  The port's tx `held` counter counts the kept ones.
 */
uint16_t dp_txhold_add(struct dp_port *p, unsigned int pmd, struct dp_txhold *h,
		       struct rte_mbuf **pkts, uint16_t n, uint64_t now_ms);

/* PMD: the queue took frames from h at now_ms; h may hold again. */
static inline void dp_txhold_moved(struct dp_txhold *h, uint64_t now_ms)
{
	h->moved_ms = now_ms;
	h->blocked = false;
}

/* PMD: drop, as r, the held frames that have waited max_ms or longer; if
 * any, and the queue has taken none for max_ms, block h.  Returns how many. */
uint16_t dp_txhold_expire(struct dp_port *p, unsigned int pmd, struct dp_txhold *h, uint64_t now_ms,
			  uint32_t max_ms, enum dp_drop r);

/* PMD (or control thread under the rules above): drop all that h holds,
 * counted on p under r. */
void dp_txhold_drop(struct dp_port *p, unsigned int pmd, struct dp_txhold *h, enum dp_drop r);

/* PMD loop: try every port this PMD holds frames for (ops->tx_flush).
 * Returns the frames still held afterwards. */
unsigned int dp_txhold_flush(unsigned int pmd);

/* Any thread, after the change is published: settings the frames held for
 * p (NULL: for every port) were switched under changed (see above); they
 * are dropped at their PMD's next try. */
void dp_txhold_invalidate(struct dp_port *p);

/* Control thread: give p holds for slots < n_pmds (no-op for ports that
 * cannot hold).  -ENOMEM leaves the slots without one: they drop as before. */
int dp_txhold_alloc(struct dp_port *p, unsigned int n_pmds);
/* Control thread, port unpublished and a grace period past: empty and free
 * p's holds. */
void dp_txhold_free_port(struct dp_port *p);
/* Control thread, PMD slot pmd stopped: empty its hold on every port. */
void dp_txhold_release_pmd(unsigned int pmd);

#endif
