/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture: copies of a port's frames for `kvsctl capture` (control/capture.c
 * turns them into pcap records).  A capture selects a direction, optionally a
 * tcpdump expression (a struct filter from filter_from_expression, used here
 * only to select), and a snap length.  PMDs copy the first snaplen bytes of
 * each selected frame into an mbuf of the capture pool, stamp it (TSC, length
 * on the wire, direction) and put it on the capture's ring; the control
 * thread takes them off.  A full ring or an empty pool drops the copy, never
 * the frame, and counts it in the capture: a capture cannot slow or stall
 * the switch beyond the copies it asks for.
 *
 * Where frames are seen: rx as the port delivered them (before VLAN
 * classification and filters), tx as the pipeline hands them to the port
 * (tags pushed; before librte_gso cuts a large frame for an output that
 * cannot take it whole, as tcpdump on a Linux interface shows TSO frames).
 *
 * Thread rules:
 * - port->capture (struct dp_capture_set) is RCU-published by the control
 *   thread: attach/detach build a new set and defer-free the old.  NULL when
 *   the port has no capture, so a port without one pays one load and one
 *   predictable branch per burst in each direction.
 * - struct dp_capture is created and destroyed by the control thread; PMDs
 *   only enqueue to its ring (multi-producer) and add to its counters
 *   (atomics, once per burst).  The control thread is the ring's only
 *   consumer.  Destroy only after detach and a grace period (dp_rcu_flush).
 */
#ifndef KVS_DP_CAPTURE_H
#define KVS_DP_CAPTURE_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "dataplane/port.h"

enum { DP_CAPTURE_RX = 1, DP_CAPTURE_TX = 2, DP_CAPTURE_BOTH = 3 };

#define DP_CAPTURE_PER_PORT 8      /* captures on one port at once */
#define DP_CAPTURE_SNAPLEN  262144 /* the largest snap length, tcpdump's default */
#define DP_CAPTURE_RING     8192   /* copies waiting for the control thread: 8 ms at 1 Mpps */

struct filter;
struct dp_capture;

/* What a PMD tells the control thread about a copy (its mbuf's private area). */
struct dp_capture_meta {
	uint64_t tsc;      /* rte_rdtsc() at the burst */
	uint32_t wire_len; /* the frame's length; the copy may be shorter */
	uint8_t dir;       /* DP_CAPTURE_RX or DP_CAPTURE_TX */
	uint8_t pad[3];
};

struct dp_capture_set {
	uint8_t dirs; /* union of the captures' directions */
	uint8_t n;
	struct dp_capture *c[DP_CAPTURE_PER_PORT];
};

/* Control thread.  A capture of direction dirs (DP_CAPTURE_*), frames
 * selected by match (NULL: all; ownership taken, also on failure), copies of
 * at most snaplen bytes.  NULL + errno (ENOMEM: no memory for the ring or
 * the capture pool). */
struct dp_capture *dp_capture_create(unsigned int dirs, uint32_t snaplen, struct filter *match);
/* Control thread: start/stop copying p's frames into c.  Attach: -ENOSPC when
 * p has DP_CAPTURE_PER_PORT captures, -ENOMEM.  Detach: 0, then PMDs may
 * still enqueue until the next grace period; -ENOMEM: c stays on p,
 * selecting nothing, and must not be destroyed (try again later). */
int dp_capture_attach(struct dp_port *p, struct dp_capture *c);
int dp_capture_detach(struct dp_port *p, struct dp_capture *c);
/* Control thread: free c and the copies still on its ring.  c must be
 * detached, and a grace period passed since. */
void dp_capture_destroy(struct dp_capture *c);
/* Control thread: take up to n copies off the ring; the caller frees them. */
unsigned int dp_capture_dequeue(struct dp_capture *c, struct rte_mbuf **m, unsigned int n);
/* Control thread: the capture pool's copies in use and its size (0, 0
 * before the first capture). */
void dp_capture_pool_info(unsigned int *in_use, unsigned int *size);
/* Any thread: frames selected, and copies lost (ring full, pool empty). */
void dp_capture_counts(const struct dp_capture *c, uint64_t *selected, uint64_t *dropped);

static inline const struct dp_capture_meta *dp_capture_meta(const struct rte_mbuf *copy)
{
	return (const struct dp_capture_meta *)rte_mbuf_to_priv((struct rte_mbuf *)(uintptr_t)copy);
}

/* PMD: copy what the captures of s in direction dir select from pkts; the
 * frames themselves are only read. */
void dp_capture_burst(const struct dp_capture_set *s, unsigned int dir,
		      struct rte_mbuf *const *pkts, uint16_t n);

/* PMD: the hook on a port's rx or tx path. */
static inline void dp_capture_port(const struct dp_port *p, unsigned int dir,
				   struct rte_mbuf *const *pkts, uint16_t n)
{
	const struct dp_capture_set *s = __atomic_load_n(&p->capture, __ATOMIC_ACQUIRE);

	if (unlikely(s != NULL) && (s->dirs & dir))
		dp_capture_burst(s, dir, pkts, n);
}

#endif
