/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Copies of a port's frames for captures (capture.h).  dp_capture_burst runs
 * on PMDs; everything else on the control thread.
 *
 * Copies, not references: a reference would keep a frame (and, for a flood,
 * every receiver's share of it) alive for as long as the control thread and
 * the capture's reader take, and the pipeline's pool would run dry behind a
 * slow `tcpdump -r -`.  A copy of a 64-byte frame costs about as much as the
 * ring slot a reference would take; big frames copy snaplen bytes only.
 *
 * All captures share one pool, made at the first capture and kept: a
 * capture whose reader is slow holds at most its ring (DP_CAPTURE_RING copies),
 * and the control side drops what it cannot write rather than leave copies
 * on the ring, so one stalled reader does not starve another capture.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_memcpy.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/capture.h"
#include "dataplane/filter.h"

#define CAPTURE_POOL       16383
#define CAPTURE_POOL_CACHE 256
#define CAPTURE_ROOM       (RTE_PKTMBUF_HEADROOM + 2048) /* longer copies chain */

struct dp_capture {
	struct rte_ring *ring; /* MP: any PMD; SC: the control thread */
	struct filter *match;  /* NULL: every frame */
	uint32_t snaplen;
	uint8_t dirs;
	/* PMDs add once per burst; the control thread reads */
	uint64_t selected __rte_cache_aligned;
	uint64_t dropped;
};

static struct rte_mempool *capture_pool;

_Static_assert(sizeof(struct dp_capture_meta) % RTE_MBUF_PRIV_ALIGN == 0,
	       "the mbuf private area must stay aligned");

static int pool_get(void)
{
	if (capture_pool != NULL)
		return 0;
	capture_pool = rte_pktmbuf_pool_create("kvs_capture", CAPTURE_POOL, CAPTURE_POOL_CACHE,
					       sizeof(struct dp_capture_meta), CAPTURE_ROOM,
					       SOCKET_ID_ANY);
	return capture_pool ? 0 : -ENOMEM;
}

void dp_capture_pool_info(unsigned int *in_use, unsigned int *size)
{
	*in_use = capture_pool ? rte_mempool_in_use_count(capture_pool) : 0;
	*size = capture_pool ? capture_pool->size : 0;
}

struct dp_capture *dp_capture_create(unsigned int dirs, uint32_t snaplen, struct filter *match)
{
	static unsigned int seq;
	struct dp_capture *c;
	char name[RTE_RING_NAMESIZE];

	if ((dirs & DP_CAPTURE_BOTH) == 0 || (dirs & ~DP_CAPTURE_BOTH) || snaplen == 0 ||
	    snaplen > DP_CAPTURE_SNAPLEN) {
		filter_destroy(match);
		errno = EINVAL;
		return NULL;
	}
	if (pool_get() < 0) {
		filter_destroy(match);
		errno = ENOMEM;
		return NULL;
	}
	c = rte_zmalloc("kvs_capture", sizeof(*c), RTE_CACHE_LINE_SIZE);
	snprintf(name, sizeof(name), "kvs_capture%u", seq++);
	if (c != NULL)
		c->ring = rte_ring_create(name, DP_CAPTURE_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (c == NULL || c->ring == NULL) {
		rte_free(c);
		filter_destroy(match);
		errno = ENOMEM;
		return NULL;
	}
	c->match = match;
	c->snaplen = snaplen;
	c->dirs = (uint8_t)dirs;
	return c;
}

static uint8_t set_dirs(const struct dp_capture_set *s)
{
	uint8_t d = 0;

	for (unsigned int i = 0; i < s->n; i++)
		d |= s->c[i]->dirs;
	return d;
}

/* Publish s (copied; an empty set publishes NULL) in place of p's set. */
static int set_publish(struct dp_port *p, const struct dp_capture_set *s)
{
	struct dp_capture_set *n = NULL, *old;

	if (s->n > 0) {
		n = rte_malloc("kvs_capture_set", sizeof(*n), RTE_CACHE_LINE_SIZE);
		if (n == NULL)
			return -ENOMEM;
		*n = *s;
		n->dirs = set_dirs(n);
	}
	old = __atomic_exchange_n(&p->capture, n, __ATOMIC_ACQ_REL);
	dp_rcu_defer(old, rte_free);
	return 0;
}

int dp_capture_attach(struct dp_port *p, struct dp_capture *c)
{
	struct dp_capture_set s = {0};

	if (p->capture != NULL)
		s = *p->capture;
	if (s.n == DP_CAPTURE_PER_PORT)
		return -ENOSPC;
	s.c[s.n++] = c;
	return set_publish(p, &s);
}

int dp_capture_detach(struct dp_port *p, struct dp_capture *c)
{
	struct dp_capture_set s = {0};
	unsigned int i, k = 0;

	if (p->capture == NULL)
		return 0;
	for (i = 0; i < p->capture->n; i++)
		if (p->capture->c[i] != c)
			s.c[k++] = p->capture->c[i];
	s.n = (uint8_t)k;
	if (k == p->capture->n)
		return 0;
	if (set_publish(p, &s) < 0) {
		/* No memory for the smaller set: c stays reachable; it selects
		 * nothing from now on, and the caller tries again later. */
		__atomic_store_n(&c->dirs, 0, __ATOMIC_RELEASE);
		return -ENOMEM;
	}
	return 0;
}

void dp_capture_destroy(struct dp_capture *c)
{
	struct rte_mbuf *m[64];
	unsigned int n;

	if (c == NULL)
		return;
	while ((n = rte_ring_dequeue_burst(c->ring, (void **)m, RTE_DIM(m), NULL)) > 0)
		rte_pktmbuf_free_bulk(m, n);
	rte_ring_free(c->ring);
	filter_destroy(c->match);
	rte_free(c);
}

unsigned int dp_capture_dequeue(struct dp_capture *c, struct rte_mbuf **m, unsigned int n)
{
	return rte_ring_dequeue_burst(c->ring, (void **)m, n, NULL);
}

void dp_capture_counts(const struct dp_capture *c, uint64_t *selected, uint64_t *dropped)
{
	*selected = __atomic_load_n(&c->selected, __ATOMIC_RELAXED);
	*dropped = __atomic_load_n(&c->dropped, __ATOMIC_RELAXED);
}

/* A copy of m's first snaplen bytes into cp, fresh from the capture pool. */
static inline bool copy_into(struct rte_mbuf *cp, const struct rte_mbuf *m, uint32_t snaplen)
{
	uint32_t len = RTE_MIN(m->pkt_len, snaplen);

	if (m->nb_segs > 1 || len > rte_pktmbuf_tailroom(cp))
		return false; /* the caller copies segment by segment */
	rte_memcpy(rte_pktmbuf_mtod(cp, void *), rte_pktmbuf_mtod(m, const void *), len);
	cp->data_len = (uint16_t)len;
	cp->pkt_len = len;
	return true;
}

static void capture_one(struct dp_capture *c, unsigned int dir, uint64_t tsc,
			struct rte_mbuf *const *pkts, uint16_t n)
{
	struct rte_mbuf *sel[DP_BURST], *copies[DP_BURST];
	unsigned int k = 0, selected = 0, sent, i;

	RTE_ASSERT(n <= DP_BURST);
	for (i = 0; i < n; i++)
		if (c->match == NULL || filter_pass(c->match, pkts[i]))
			sel[selected++] = pkts[i];
	if (selected == 0)
		return;
	/* one bulk get for the burst; the usual frame is one segment and one
	 * memcpy, the rest goes through rte_pktmbuf_copy's chaining */
	if (rte_pktmbuf_alloc_bulk(capture_pool, copies, selected) == 0) {
		for (i = 0; i < selected; i++) {
			struct rte_mbuf *cp = copies[i];
			struct dp_capture_meta *meta;

			if (!copy_into(cp, sel[i], c->snaplen)) {
				rte_pktmbuf_free(cp);
				cp = rte_pktmbuf_copy(sel[i], capture_pool, 0, c->snaplen);
				if (cp == NULL)
					continue; /* counted below: selected, not sent */
			}
			meta = rte_mbuf_to_priv(cp);
			meta->tsc = tsc;
			meta->wire_len = sel[i]->pkt_len;
			meta->dir = (uint8_t)dir;
			copies[k++] = cp; /* k <= i: copies[] is read ahead of this */
		}
	}
	sent = k ? rte_ring_mp_enqueue_burst(c->ring, (void **)copies, k, NULL) : 0;
	if (sent < k)
		/* the copies only: the capture counts them as dropped */
		rte_pktmbuf_free_bulk(copies + sent, k - sent);
	__atomic_fetch_add(&c->selected, selected, __ATOMIC_RELAXED);
	if (sent < selected)
		__atomic_fetch_add(&c->dropped, selected - sent, __ATOMIC_RELAXED);
}

void dp_capture_burst(const struct dp_capture_set *s, unsigned int dir,
		      struct rte_mbuf *const *pkts, uint16_t n)
{
	uint64_t tsc = rte_rdtsc();
	unsigned int i;

	for (i = 0; i < s->n; i++) {
		struct dp_capture *c = s->c[i];

		uint16_t off;

		if (!(__atomic_load_n(&c->dirs, __ATOMIC_ACQUIRE) & dir))
			continue;
		for (off = 0; off < n; off += DP_BURST)
			capture_one(c, dir, tsc, pkts + off, (uint16_t)RTE_MIN(n - off, DP_BURST));
	}
}
