/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sending to a guest: the tx_burst and tx_flush of vhost-user ports.  PMDs
 * call them through dp_port_ops (pipeline.c, txhold.c's flush); they take
 * every frame they are given and free what they copied or dropped (each
 * drop counted under its reason), or keep it in the slot's hold.
 *
 * vhost_send enqueues into the guest's rx vring of this PMD's tx queue
 * (port.h's rule: locked when another PMD can reach it), hands frames with
 * offload work to offload.c first, and keeps what a full ring refused in
 * the (port, PMD) hold (dataplane/txhold.h), whose frames it sends before
 * any new one.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "dataplane/clock.h"
#include "dataplane/offload.h"
#include "dataplane/pktmbuf.h"
#include "dataplane/txhold.h"
#include "vhost-user/vhost_priv.h"

/* Frames one rte_vhost_enqueue_burst takes at most (MAX_PKT_BURST in
 * librte_vhost): a call that took this many was not refused. */
#define ENQUEUE_MAX 32

/*
 * A try that moved nothing while the guest had buffers posted: is the head
 * frame one no buffer of this guest fits?  Without mergeable buffers a frame
 * takes one descriptor chain, so any free chain should take it.  The free
 * count is read first and the frame tried again: only we take from this ring
 * (under the queue's lock if shared) and the guest only adds, so the second
 * try had at least that many.  Split rings only (the count means nothing on
 * a packed one); not with mergeable buffers (a frame then fits once enough
 * are posted: a guest posting tiny ones only sees its hold expire); not
 * behind a vIOMMU (a refusal may be a translation miss; kvswitch does not
 * offer one today).  Rare: after a try that moved nothing.
 */
enum head_try { HEAD_FULL, HEAD_SENT, HEAD_NO_FIT };

static enum head_try head_try(const struct vhost_port *vp, int vid, uint16_t q, struct rte_mbuf *m)
{
	const uint64_t skip = (1ULL << VIRTIO_F_RING_PACKED) | (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
			      (1ULL << VIRTIO_NET_F_MRG_RXBUF);

	if ((vp->features & skip) || rte_vhost_avail_entries(vid, GUEST_RX_VRING(q)) == 0)
		return HEAD_FULL;
	return rte_vhost_enqueue_burst(vid, GUEST_RX_VRING(q), &m, 1) == 1 ? HEAD_SENT
									   : HEAD_NO_FIT;
}

/* The guest took run[0..s) from the front of h: count them, free them
 * (enqueue copied them), take them off the hold. */
static void hold_sent(struct dp_port *p, unsigned int pmd, struct dp_txhold *h,
		      struct rte_mbuf **run, uint16_t s)
{
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < s; i++)
		bytes += run[i]->pkt_len;
	p->tx[pmd].packets += s;
	p->tx[pmd].bytes += bytes;
	dp_mbuf_free_burst(run, s);
	dp_txhold_sent(pmd, h, s);
}

/*
 * Under the queue's lock if shared: send what the hold of this slot keeps,
 * oldest first, until the guest's ring refuses some.  Sent frames are
 * counted and freed (enqueue copied them).  After a try that moved nothing,
 * a head frame the guest cannot take goes as tx_no_fit (it would block the
 * rest); then frames older than max_ms go as tx_ring_full.  Returns the
 * frames sent.
 */
static uint16_t hold_send(struct dp_port *p, unsigned int pmd, struct dp_txhold *h, int vid,
			  uint16_t q, uint32_t max_ms)
{
	const struct vhost_port *vp = p->priv;
	struct rte_mbuf **run;
	uint16_t k, s, total = 0;
	uint64_t now;

	while ((k = dp_txhold_front(h, &run, ENQUEUE_MAX)) != 0) {
		s = rte_vhost_enqueue_burst(vid, GUEST_RX_VRING(q), run, k);
		hold_sent(p, pmd, h, run, s);
		total += s;
		if (s < k)
			break;
	}
	now = dp_now_ms();
	if (total != 0)
		dp_txhold_moved(h, now);
	if (h->n == 0)
		return total;
	if (total == 0) {
		dp_txhold_front(h, &run, 1);
		switch (head_try(vp, vid, q, run[0])) {
		case HEAD_NO_FIT:
			dp_port_drop_tx(p, pmd, DP_DROP_TX_NO_FIT, run, 1);
			dp_txhold_sent(pmd, h, 1);
			return 0;
		case HEAD_SENT:
			hold_sent(p, pmd, h, run, 1);
			dp_txhold_moved(h, now);
			return 1;
		case HEAD_FULL:
			break;
		}
	}
	dp_txhold_expire(p, pmd, h, now, max_ms, dp_port_full_reason(p));
	return total;
}

/*
 * fitted: offload flags left on the frames are ones the guest accepts.
 * n may be 0: the PMD loop flushing the hold (vhost_tx_flush).  Returns the
 * number of pkts sent; what the port held and sent is counted, not returned.
 *
 * What the guest's ring refuses waits in this slot's hold (txhold.h) for up
 * to tx-hold-ms, except on a mirror's output port (its copies are best
 * effort) and for a packed-ring guest without mergeable buffers (head_try
 * cannot tell a frame too big for its buffers from a full ring there).
 */
static uint16_t vhost_send(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n,
			   bool fitted)
{
	struct vhost_port *vp = p->priv;
	const struct dp_txmap *map = __atomic_load_n(&p->txmap, __ATOMIC_ACQUIRE);
	const struct dp_port_conf *conf = __atomic_load_n(&p->conf, __ATOMIC_ACQUIRE);
	int vid = __atomic_load_n(&vp->vid, __ATOMIC_ACQUIRE);
	struct dp_txhold *h = dp_txhold_of(p, pmd);
	unsigned int retries = 0, max_retries = conf ? conf->tx_retries_max : 0;
	uint32_t hold_ms = conf != NULL && !conf->mirror_out ? conf->tx_hold_ms : 0;
	uint16_t sent = 0, kept = 0, i;
	uint64_t bytes = 0, fl = 0;
	enum dp_drop why;
	bool shared;
	uint16_t q;

	if (unlikely(h != NULL && h->n != 0) && dp_txhold_stale(p, h))
		dp_txhold_drop(p, pmd, h, DP_DROP_TX_HELD_STALE);
	if (vid < 0) {
		why = DP_DROP_TX_DOWN;
		goto refuse;
	}
	if (map == NULL || map->n == 0) {
		/* built before the guest enabled a queue: every PMD is here, and
		 * every one locks (a map with entries replaces this one only
		 * through an all-locked map, port.h) */
		q = first_enabled(vp);
		shared = true;
		if (q == UINT16_MAX) {
			why = DP_DROP_TX_NO_QUEUE;
			goto refuse;
		}
	} else if (!dp_txmap_queue(map, pmd, &q, &shared) || !bits_get(vp->tx_enabled, q)) {
		/* A queue the guest disabled since the map was built is not
		 * replaced by another: that one's owner may send unlocked
		 * beside us (port.h).  The control thread remaps on the guest's
		 * change within a millisecond; until then, tx_no_queue. */
		why = DP_DROP_TX_NO_QUEUE;
		goto refuse;
	}
	if ((vp->features & (1ULL << VIRTIO_F_RING_PACKED)) &&
	    !(vp->features & (1ULL << VIRTIO_NET_F_MRG_RXBUF)))
		hold_ms = 0;
	/* bytes first: the flags of the burst come with them for one OR per
	 * frame, and frames with offload work go through offload.c first */
	for (i = 0; i < n; i++) {
		bytes += pkts[i]->pkt_len;
		fl |= pkts[i]->ol_flags;
	}
	if (unlikely(fl & DP_OFL_TX_WORK) && !fitted)
		return dp_offload_tx(p, pmd, pkts, n, vhost_send);
	if (shared)
		rte_spinlock_lock(&p->txq_lock[q]);
	/* held frames go first, and new ones only if none is left behind */
	if (unlikely(h != NULL && h->n != 0))
		hold_send(p, pmd, h, vid, q, hold_ms);
	/* Retry only after a try the ring refused part of but that moved
	 * frames (the guest is draining it), at most tx-retries-max times; a
	 * try that moved none ends the burst, as in OVS: a stopped guest would
	 * otherwise hold this PMD (and the queue's lock) for every retry of
	 * every burst.  A try that moved all enqueue takes at once (offload.c
	 * hands over more than that) is no retry. */
	while (n != 0 && (h == NULL || h->n == 0)) {
		uint16_t want = (uint16_t)RTE_MIN(n - sent, ENQUEUE_MAX);
		uint16_t k = rte_vhost_enqueue_burst(vid, GUEST_RX_VRING(q), pkts + sent, n - sent);

		sent += k;
		if (sent == n || k == 0)
			break;
		if (k < want) {
			if (retries == max_retries)
				break;
			retries++;
		}
	}
	if (shared)
		rte_spinlock_unlock(&p->txq_lock[q]);

	if (unlikely(h != NULL && h->blocked) && sent != 0)
		h->blocked = false; /* the guest takes frames again */
	if (unlikely(sent < n)) {
		for (i = sent; i < n; i++)
			bytes -= pkts[i]->pkt_len;
		/* the rest waits behind what is held, as far as the hold's
		 * bounds go; beyond them it is lost as before */
		if (h != NULL && hold_ms != 0)
			kept = dp_txhold_add(p, pmd, h, pkts + sent, n - sent, dp_now_ms());
		if (sent + kept < n)
			dp_port_drop_tx(p, pmd, dp_port_full_reason(p), pkts + sent + kept,
					n - sent - kept);
	}
	p->tx[pmd].packets += sent;
	p->tx[pmd].bytes += bytes;
	p->tx[pmd].retries += retries;
	/* enqueue copied the sent frames into guest memory: ours to free (in
	 * one bulk put when they are plain: 41 -> 15 instructions a frame) */
	dp_mbuf_free_burst(pkts, sent);
	return sent;

refuse:
	dp_port_drop_tx(p, pmd, why, pkts, n);
	if (unlikely(h != NULL && h->n != 0))
		dp_txhold_drop(p, pmd, h, why);
	return 0;
}

uint16_t vhost_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n)
{
	return vhost_send(p, pmd, pkts, n, false);
}

void vhost_tx_flush(struct dp_port *p, unsigned int pmd)
{
	vhost_send(p, pmd, NULL, 0, true);
}
