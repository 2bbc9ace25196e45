/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Held tx frames (txhold.h: why, bounds, thread rules).  PMDs call the
 * burst-side functions from their port drivers and dp_txhold_loop/flush from
 * their loop; the control thread allocates and empties holds and bumps the
 * generation; librte_vhost's thread bumps it when a guest goes.
 *
 * Each PMD slot keeps the ids of the ports it holds frames for.  An id stays
 * listed until a flush finds its hold empty, so a port freed (and its id
 * reused) in between is only a stale id, dropped at the next flush: the
 * frames themselves live in the port and go with it.
 */
#include <errno.h>

#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/pktmbuf.h"
#include "dataplane/txhold.h"

struct dp_txhold_pmd dp_txhold_pmds[DP_MAX_PMDS];
struct dp_txhold_gens dp_txhold_gens;

/* frames held by all PMDs: at most an eighth of a pool (atomic; written by
 * holding PMDs, so away from the generations every PMD reads) */
static uint32_t held_all __rte_cache_aligned;

static void held_sub(unsigned int pmd, uint16_t k)
{
	__atomic_fetch_sub(&dp_txhold_pmds[pmd].held, k, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&held_all, k, __ATOMIC_RELAXED);
}

void dp_txhold_sent(unsigned int pmd, struct dp_txhold *h, uint16_t k)
{
	if (k == 0)
		return;
	h->head = (uint16_t)((h->head + k) % DP_TXHOLD_LEN);
	h->n -= k;
	held_sub(pmd, k);
}

/* Frames a hold may keep: plain ones.  A GSO segment is indirect (it pins
 * the small indirect pool and its parent), a chain pins several mbufs. */
static inline bool holdable(const struct rte_mbuf *m)
{
	return RTE_MBUF_DIRECT(m) && m->nb_segs == 1;
}

uint16_t dp_txhold_add(struct dp_port *p, unsigned int pmd, struct dp_txhold *h,
		       struct rte_mbuf **pkts, uint16_t n, uint64_t now_ms)
{
	struct dp_txhold_pmd *s = &dp_txhold_pmds[pmd];
	uint32_t held, all, all_max = dp_pool_size() / 8, room;
	uint16_t k = 0, tail;

	if (unlikely(dp_txhold_stale(p, h)))
		dp_txhold_drop(p, pmd, h, DP_DROP_TX_HELD_STALE);
	if (h->blocked || n == 0)
		return 0;
	held = __atomic_load_n(&s->held, __ATOMIC_RELAXED);
	all = __atomic_load_n(&held_all, __ATOMIC_RELAXED);
	room = DP_TXHOLD_LEN - h->n;
	room = RTE_MIN(room, held < DP_TXHOLD_PMD_MAX ? DP_TXHOLD_PMD_MAX - held : 0u);
	room = RTE_MIN(room, all < all_max ? all_max - all : 0u);
	room = RTE_MIN(room, (uint32_t)n);
	while (k < room && holdable(pkts[k]))
		k++;
	if (k == 0)
		return 0;
	if (!h->listed) {
		if (s->n == DP_MAX_PORTS)
			return 0; /* only stale ids fill it; the next flush clears them */
		s->id[s->n++] = p->id;
		h->listed = true;
	}
	if (h->n == 0) {
		h->gen = s->gen;
		h->moved_ms = now_ms;
	}
	tail = (uint16_t)((h->head + h->n) % DP_TXHOLD_LEN);
	for (uint16_t i = 0; i < k; i++) {
		h->m[tail] = pkts[i];
		h->at[tail] = (uint32_t)now_ms;
		tail = (uint16_t)((tail + 1) % DP_TXHOLD_LEN);
	}
	h->n += k;
	__atomic_fetch_add(&s->held, k, __ATOMIC_RELAXED);
	__atomic_fetch_add(&held_all, k, __ATOMIC_RELAXED);
	p->tx[pmd].held += k;
	return k;
}

uint16_t dp_txhold_expire(struct dp_port *p, unsigned int pmd, struct dp_txhold *h, uint64_t now_ms,
			  uint32_t max_ms, enum dp_drop r)
{
	uint16_t k = 0;

	/* FIFO: the old ones are at the front */
	while (k < h->n && (uint32_t)now_ms - h->at[(h->head + k) % DP_TXHOLD_LEN] >= max_ms)
		k++;
	if (k == 0)
		return 0;
	for (uint16_t left = k; left != 0;) {
		struct rte_mbuf **run;
		uint16_t j = dp_txhold_front(h, &run, left);

		dp_port_drop_tx(p, pmd, r, run, j);
		dp_txhold_sent(pmd, h, j);
		left -= j;
	}
	if (now_ms - h->moved_ms >= max_ms)
		h->blocked = true;
	return k;
}

void dp_txhold_drop(struct dp_port *p, unsigned int pmd, struct dp_txhold *h, enum dp_drop r)
{
	struct rte_mbuf **run;
	uint16_t k;

	while ((k = dp_txhold_front(h, &run, DP_TXHOLD_LEN)) != 0) {
		dp_port_drop_tx(p, pmd, r, run, k);
		dp_txhold_sent(pmd, h, k);
	}
	h->head = 0;
}

unsigned int dp_txhold_flush(unsigned int pmd)
{
	struct dp_txhold_pmd *s = &dp_txhold_pmds[pmd];
	uint16_t i, n = s->n;

	/* Unlist all, flush, relist what is still held: a hold is flushed once
	 * even if a stale id of a freed port now names it too. */
	for (i = 0; i < n; i++) {
		struct dp_port *p = dp_port_get(s->id[i]);
		struct dp_txhold *h = p != NULL ? dp_txhold_of(p, pmd) : NULL;

		if (h != NULL)
			h->listed = false;
	}
	s->n = 0;
	for (i = 0; i < n; i++) {
		uint16_t id = s->id[i];
		struct dp_port *p = dp_port_get(id);
		struct dp_txhold *h = p != NULL ? dp_txhold_of(p, pmd) : NULL;

		if (h == NULL || h->listed || h->n == 0)
			continue;
		p->ops->tx_flush(p, pmd);
		if (h->n != 0) {
			h->listed = true;
			s->id[s->n++] = id;
		}
	}
	return __atomic_load_n(&s->held, __ATOMIC_RELAXED);
}

void dp_txhold_invalidate(struct dp_port *p)
{
	uint32_t g = __atomic_add_fetch(&dp_txhold_gens.now, 1, __ATOMIC_ACQ_REL);

	__atomic_store_n(p != NULL ? &p->hold_stale : &dp_txhold_gens.all_stale, g,
			 __ATOMIC_RELEASE);
}

int dp_txhold_alloc(struct dp_port *p, unsigned int n_pmds)
{
	unsigned int i;

	if (p->ops->tx_flush == NULL)
		return 0;
	for (i = 0; i < n_pmds && i < DP_MAX_PMDS; i++) {
		struct dp_txhold *h;

		if (p->tx[i].hold != NULL)
			continue;
		h = rte_zmalloc_socket("kvs_txhold", sizeof(*h), RTE_CACHE_LINE_SIZE, p->numa);
		if (h == NULL)
			h = rte_zmalloc("kvs_txhold", sizeof(*h), RTE_CACHE_LINE_SIZE);
		if (h == NULL) {
			rte_log(RTE_LOG_WARNING, RTE_LOGTYPE_USER1,
				"port %s: no memory to hold tx frames for PMD slot %u: a full "
				"queue drops them\n",
				p->name, i);
			return -ENOMEM;
		}
		__atomic_store_n(&p->tx[i].hold, h, __ATOMIC_RELEASE);
	}
	return 0;
}

void dp_txhold_free_port(struct dp_port *p)
{
	unsigned int i;

	for (i = 0; i < DP_MAX_PMDS; i++) {
		struct dp_txhold *h = p->tx[i].hold;

		if (h == NULL)
			continue;
		dp_txhold_drop(p, i, h, DP_DROP_TX_DOWN);
		p->tx[i].hold = NULL;
		rte_free(h);
	}
}

void dp_txhold_release_pmd(unsigned int pmd)
{
	uint16_t id;

	for (id = 0; id < DP_MAX_PORTS; id++) {
		struct dp_port *p = dp_port_get(id);
		struct dp_txhold *h = p != NULL ? p->tx[pmd].hold : NULL;

		if (h != NULL) {
			dp_txhold_drop(p, pmd, h, DP_DROP_TX_DOWN);
			h->listed = false;
			h->blocked = false;
		}
	}
	dp_txhold_pmds[pmd].n = 0;
}
