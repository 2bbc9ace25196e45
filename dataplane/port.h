/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port: what every kvswitch port is to the dataplane, whatever drives it
 * (librte_vhost for guests, an ethdev for NICs/VFs/virtual devices).
 *
 * Ownership and thread rules:
 * - A port is created and destroyed by the control thread.  PMDs find it
 *   through dp_port_get(id), an RCU-protected table: the control thread
 *   clears the slot, waits for a grace period (dp_rcu_flush), then frees.
 * - port->conf (VLAN, MTU, bridge) is immutable once published; a change
 *   publishes a new one and frees the old after a grace period.
 * - rx queue statistics have a single writer: the PMD polling that queue
 *   (queues move between PMDs only across a grace period).  tx statistics
 *   are per PMD slot.  Readers (the control thread) may see counters a few
 *   packets old; they are never torn on x86-64.
 * - rx/tx burst functions run on PMDs only.
 */
#ifndef KVS_DP_PORT_H
#define KVS_DP_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_spinlock.h>

#include "dataplane/drop.h"
#include "dataplane/vlan.h"

struct rte_mbuf;
struct dp_bridge;
struct dp_capture_set;
struct dp_police;
struct dp_txhold;

#define DP_MAX_PORTS  1024
#define DP_MAX_PMDS   64
#define DP_MAX_QUEUES 128 /* queue pairs per port: librte_vhost's maximum */
#define DP_BURST      32

enum dp_port_kind { DP_PORT_VHOST, DP_PORT_ETHDEV, DP_PORT_TEST };

/* A port's policers (police.h), by what they meter: what it receives, what
 * it is about to send. */
enum dp_police_dir { DP_POLICE_INGRESS, DP_POLICE_EGRESS, DP_POLICE_DIR_MAX };

struct dp_rxq_stats {
	uint64_t packets, bytes;
	uint64_t drops[DP_DROP_MAX];
	uint64_t cycles;     /* PMD cycles spent on this queue's bursts */
	uint64_t polls_busy; /* polls that returned packets */
} __rte_cache_aligned;

struct dp_tx_stats {
	uint64_t packets, bytes;
	uint64_t retries;       /* vhost: enqueue tries after the first (a full ring) */
	uint64_t held;          /* frames a full queue refused that went into the hold */
	struct dp_txhold *hold; /* this slot's hold (txhold.h); NULL = none.  On the
				 * line the PMD writes every burst (packets) */
	uint64_t drops[DP_DROP_MAX];
} __rte_cache_aligned;

/* Immutable per-port forwarding configuration (published via RCU). */
struct dp_port_conf {
	struct dp_bridge *bridge; /* NULL: not switched */
	uint32_t max_len;         /* MTU + Ethernet header */
	uint16_t tx_retries_max;
	uint16_t tx_hold_ms; /* longest a frame waits for a full queue (txhold.h);
			      * 0: a full queue drops at once */
	bool mirror_out;     /* a mirror's output port: sends mirrored frames only
			      * (mirror.h); dp_port_set_conf clears its VLANs */
	/* Set by dp_port_set_conf, not by the caller: */
	bool rx_refused;       /* no bridge, or mirror_out: received frames are dropped */
	uint16_t untagged_tci; /* VLAN of an untagged frame (access or native VLAN, or 0) */
	bool untagged_ok;      /* untagged frames accepted (access, native, or trunk with 0) */
	uint32_t gen;          /* unique per published conf: flood lists built
				* from an older conf re-check the port */
	struct vlan_port vlan;
};

/*
 * Per-PMD transmit queue map (published via RCU).
 *
 * The rule every tx queue follows: a queue that more than one PMD can reach
 * is locked by all of them (p->txq_lock[q]); a queue one PMD alone reaches is
 * not locked.  It holds by construction:
 * - a PMD reaches a queue only through its own slot's entry: a slot >= n, or
 *   a vhost entry whose queue the guest has disabled since, sends nothing and
 *   counts tx_no_queue.  There is no fallback queue, because a fallback is a
 *   queue the map's owner believes it has alone;
 * - shared[i] is true when any other slot below n has the same queue
 *   (dp_txmap_mark_shared), so every sender of a shared queue knows it;
 * - the control thread publishes tx maps before it gives PMDs new rx queues
 *   (control/rxq_plan.c), so a PMD never has frames to send before its slot
 *   is in the map, and a PMD loses its rx queues (and a grace period passes)
 *   before its slot leaves the map.
 * A queue's lock is uncontended when its PMDs are not sending at once: about
 * 20 cycles per burst, not per frame.
 */
struct dp_txmap {
	uint16_t n; /* entries valid for PMD slots < n */
	uint16_t qid[DP_MAX_PMDS];
	bool shared[DP_MAX_PMDS]; /* queue also used by another PMD: lock */
};

struct dp_port;

struct dp_port_ops {
	/* Receive up to n frames from rx queue qid; the caller owns them. */
	uint16_t (*rx_burst)(struct dp_port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n);
	/*
	 * Transmit n frames from PMD slot `pmd`.  Takes ownership of all n:
	 * frames that could not be sent are freed here and counted under
	 * their reason in p->tx[pmd].  Returns the number sent.
	 */
	uint16_t (*tx_burst)(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts,
			     uint16_t n);
	/*
	 * Optional (NULL: the queue cannot wake a PMD).  The PMD polling rx
	 * queue qid, on its idle path only (pmd/pmd_wake.h): on = true asks
	 * the peer to signal new frames and returns an fd that a signal makes
	 * readable (watched edge triggered: a kick eventfd nobody reads, a tap
	 * queue's fd that rx_burst reads; unless rx_wake_fd_stable, the peer
	 * may close and replace it at any time, so the number may already be
	 * stale), or
	 * -errno when the queue cannot signal now; on = false asks it to stop
	 * signalling again (returns 0 or -errno).
	 */
	int (*rx_wake)(struct dp_port *p, uint16_t qid, bool on);
	/*
	 * rx_wake's fd is the same file for as long as the port lives (an
	 * ethdev's rx interrupt fd): the PMD keeps its dup without checking
	 * that a ring reset replaced it, whatever kind of file it is.  false:
	 * a vhost-user kick eventfd, which a guest can replace at any time.
	 */
	bool rx_wake_fd_stable;
	/*
	 * Optional (NULL: a full queue drops).  The PMD in slot `pmd`, from
	 * its loop (dp_txhold_flush): send what the port holds for this slot
	 * (txhold.h), as far as the queue takes it; dropped under its reason
	 * if the port cannot send now.  A port that sets it makes tx_burst
	 * keep what its queue refused in the slot's hold.
	 */
	void (*tx_flush)(struct dp_port *p, unsigned int pmd);
};

struct dp_port {
	/* read-mostly, by PMDs */
	uint16_t id;
	enum dp_port_kind kind;
	const struct dp_port_ops *ops;
	struct dp_capture_set *capture;              /* RCU; NULL = none (capture.h) */
	struct dp_police *police[DP_POLICE_DIR_MAX]; /* RCU, by enum dp_police_dir;
						      * NULL = not policed (police.h) */
	struct dp_port_conf *conf;                   /* RCU */
	struct dp_txmap *txmap;                      /* RCU */
	struct filter *filter[2];                    /* RCU, by enum filter_dir; NULL = pass all */
	void *priv;                                  /* the driver's state */
	char name[32];
	int numa;            /* node of the queues, SOCKET_ID_ANY if unknown */
	uint32_t ol_caps;    /* DP_OFL_* the output takes (offload.h); written by
				the control thread or a vhost callback, atomic */
	uint32_t hold_stale; /* frames held for it from generations before this
				are stale (txhold.h); atomic */
	uint16_t n_rxq;      /* rx queues to poll (control thread) */
	uint16_t n_txq;      /* tx queues usable */

	rte_spinlock_t txq_lock[DP_MAX_QUEUES];
	struct dp_rxq_stats rxq[DP_MAX_QUEUES];
	struct dp_tx_stats tx[DP_MAX_PMDS];
};

/* Control thread.  Allocates a port with a free id. NULL + errno. */
struct dp_port *dp_port_alloc(const char *name, enum dp_port_kind kind,
			      const struct dp_port_ops *ops, int numa);
/* Control thread: make it visible to PMDs / hide it.  After dp_port_unpublish
 * the caller must dp_rcu_flush() before dp_port_free(). */
void dp_port_publish(struct dp_port *p);
void dp_port_unpublish(struct dp_port *p);
void dp_port_free(struct dp_port *p);

/* PMD or control: the port with this id, NULL if none.  Valid until the
 * caller's next quiescent state. */
struct dp_port *dp_port_get(uint16_t id);

/* Control thread: replace conf / txmap; the old one is freed after the next
 * grace period (dp_rcu_flush). */
int dp_port_set_conf(struct dp_port *p, const struct dp_port_conf *c);
int dp_port_set_txmap(struct dp_port *p, const struct dp_txmap *m);
/*
 * Control thread: give ps[i] the map maps[i], for n ports, keeping the
 * rule of port.h across the change.  PMDs still in a burst with the old map
 * and PMDs already on the new one send at the same time, so a queue may pass
 * from one PMD that does not lock it to another: the maps that changed are
 * first republished with every slot locking (old queues, then new queues, a
 * grace period after each), then exact.  Ports whose map is unchanged are
 * left alone, and no grace period is spent when none changed.  -ENOMEM if a
 * map could not be allocated (the ports keep locked maps: safe, slower).
 */
int dp_port_replace_txmaps(struct dp_port *const *ps, const struct dp_txmap *maps, unsigned int n);
/* Control thread: install (or with NULL remove) the port's filter for one
 * direction; the old one is destroyed after the next grace period. */
struct filter;
void dp_port_set_filter(struct dp_port *p, int dir, struct filter *f);
/* Build a txmap spreading n_pmds PMD slots over n_txq queues. */
void dp_txmap_build(struct dp_txmap *m, unsigned int n_pmds, uint16_t n_txq);
/* Set m->shared[] from m->qid[] for slots < m->n: true when another slot has
 * the same queue.  Builders of maps call it last. */
void dp_txmap_mark_shared(struct dp_txmap *m);
/* PMD: the tx queue of slot pmd in map, and whether to lock it; false when
 * the slot has no queue (the caller counts tx_no_queue or tx_down). */
static inline bool dp_txmap_queue(const struct dp_txmap *map, unsigned int pmd, uint16_t *q,
				  bool *shared)
{
	if (map == NULL || pmd >= map->n)
		return false;
	*q = map->qid[pmd];
	*shared = map->shared[pmd];
	return true;
}

/* PMD, in a burst: the reason for frames a full queue refused (a mirror's
 * output port counts its own). */
static inline enum dp_drop dp_port_full_reason(const struct dp_port *p)
{
	const struct dp_port_conf *c = __atomic_load_n(&p->conf, __ATOMIC_ACQUIRE);

	return c != NULL && c->mirror_out ? DP_DROP_MIRROR_FULL : DP_DROP_TX_RING_FULL;
}

/* PMD: count and free frames that will not be sent. */
void dp_port_drop_tx(struct dp_port *p, unsigned int pmd, enum dp_drop r, struct rte_mbuf **pkts,
		     uint16_t n);

/* Totals over queues and PMD slots, for the control thread. */
struct dp_port_totals {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, tx_retries, tx_held;
	uint64_t rx_drops[DP_DROP_MAX];
	uint64_t tx_drops[DP_DROP_MAX];
};
void dp_port_totals(const struct dp_port *p, struct dp_port_totals *t);

/* ---- RCU: one QSBR variable for all PMDs ---- */
struct rte_rcu_qsbr;
int dp_rcu_init(unsigned int max_threads);
struct rte_rcu_qsbr *dp_rcu(void);
/* Control thread: free fn(ptr) after the next grace period. */
void dp_rcu_defer(void *ptr, void (*fn)(void *));
/* Control thread: wait for a grace period (always: callers use it as a
 * barrier), then run deferred frees. */
void dp_rcu_flush(void);
/* Any non-PMD thread: wait for a grace period (no deferred frees). */
void dp_rcu_synchronize(void);

#endif
