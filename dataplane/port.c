/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port table and the RCU plumbing every shared dataplane structure uses.
 *
 * Writers (the control thread, and vhost callbacks for flags only) build a
 * new object, swap the pointer with a release store, and hand the old one to
 * dp_rcu_defer(); dp_rcu_flush() waits until every PMD has passed a
 * quiescent state (they report one per poll loop, after flushing their tx
 * buffers) and frees.  PMDs never lock, never wait.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/filter.h"
#include "dataplane/port.h"
#include "dataplane/txhold.h"

static struct dp_port *ports[DP_MAX_PORTS];     /* RCU: read by PMDs */
static struct dp_port *allocated[DP_MAX_PORTS]; /* control thread: id owner */

struct deferred {
	void *ptr;
	void (*fn)(void *);
};
static struct deferred *deferred;
static size_t n_deferred, cap_deferred;
static struct rte_rcu_qsbr *qsv;

int dp_rcu_init(unsigned int max_threads)
{
	size_t sz = rte_rcu_qsbr_get_memsize(max_threads);

	qsv = rte_zmalloc("kvs_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (qsv == NULL)
		return -ENOMEM;
	return rte_rcu_qsbr_init(qsv, max_threads);
}

struct rte_rcu_qsbr *dp_rcu(void)
{
	return qsv;
}

void dp_rcu_defer(void *ptr, void (*fn)(void *))
{
	if (ptr == NULL)
		return;
	if (n_deferred == cap_deferred) {
		size_t cap = cap_deferred ? cap_deferred * 2 : 64;
		struct deferred *d = realloc(deferred, cap * sizeof(*d));
		if (d == NULL) {
			/* No memory to defer: wait now rather than leak or race. */
			dp_rcu_synchronize();
			fn(ptr);
			return;
		}
		deferred = d;
		cap_deferred = cap;
	}
	deferred[n_deferred++] = (struct deferred){ptr, fn};
}

void dp_rcu_synchronize(void)
{
	if (qsv != NULL)
		rte_rcu_qsbr_synchronize(qsv, RTE_QSBR_THRID_INVALID);
}

void dp_rcu_flush(void)
{
	size_t i, n = n_deferred;

	dp_rcu_synchronize();
	for (i = 0; i < n; i++)
		deferred[i].fn(deferred[i].ptr);
	n_deferred = 0;
}

struct dp_port *dp_port_alloc(const char *name, enum dp_port_kind kind,
			      const struct dp_port_ops *ops, int numa)
{
	struct dp_port *p;
	uint16_t id, q;

	for (id = 0; id < DP_MAX_PORTS && allocated[id] != NULL; id++)
		;
	if (id == DP_MAX_PORTS) {
		errno = ENOSPC;
		return NULL;
	}
	p = rte_zmalloc_socket("kvs_port", sizeof(*p), RTE_CACHE_LINE_SIZE, numa);
	if (p == NULL)
		p = rte_zmalloc("kvs_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	p->id = id;
	p->kind = kind;
	p->ops = ops;
	p->numa = numa;
	snprintf(p->name, sizeof(p->name), "%s", name);
	for (q = 0; q < DP_MAX_QUEUES; q++)
		rte_spinlock_init(&p->txq_lock[q]);
	allocated[id] = p;
	return p;
}

void dp_port_publish(struct dp_port *p)
{
	__atomic_store_n(&ports[p->id], p, __ATOMIC_RELEASE);
}

void dp_port_unpublish(struct dp_port *p)
{
	__atomic_store_n(&ports[p->id], NULL, __ATOMIC_RELEASE);
}

void dp_port_free(struct dp_port *p)
{
	if (p == NULL)
		return;
	allocated[p->id] = NULL;
	dp_txhold_free_port(p);
	filter_destroy(p->filter[FILTER_DIR_INGRESS]);
	filter_destroy(p->filter[FILTER_DIR_EGRESS]);
	rte_free(p->capture); /* its captures belong to their sessions */
	rte_free(p->police[DP_POLICE_INGRESS]);
	rte_free(p->police[DP_POLICE_EGRESS]);
	rte_free(p->conf);
	rte_free(p->txmap);
	rte_free(p);
}

struct dp_port *dp_port_get(uint16_t id)
{
	if (id >= DP_MAX_PORTS)
		return NULL;
	return __atomic_load_n(&ports[id], __ATOMIC_ACQUIRE);
}

static void *dup_obj(const void *src, size_t sz, int numa)
{
	void *o = rte_malloc_socket("kvs_rcu_obj", sz, RTE_CACHE_LINE_SIZE, numa);

	if (o == NULL)
		o = rte_malloc("kvs_rcu_obj", sz, RTE_CACHE_LINE_SIZE);
	if (o != NULL)
		memcpy(o, src, sz);
	return o;
}

int dp_port_set_conf(struct dp_port *p, const struct dp_port_conf *c)
{
	static uint32_t conf_gen;
	struct dp_port_conf *n = dup_obj(c, sizeof(*c), p->numa), *old;

	if (n == NULL)
		return -ENOMEM;
	n->gen = ++conf_gen;
	if (n->mirror_out) /* in no flood list, never a destination */
		memset(&n->vlan, 0, sizeof(n->vlan));
	n->rx_refused = n->bridge == NULL || n->mirror_out;
	n->untagged_tci = n->vlan.tag ? n->vlan.tag : n->vlan.native;
	n->untagged_ok = n->untagged_tci != 0 || vlan_bit(n->vlan.trunks, 0);
	old = __atomic_exchange_n(&p->conf, n, __ATOMIC_ACQ_REL);
	/* after the new conf: frames held under an old one that decided
	 * differently who gets what are not sent (a transaction republishes
	 * every port's conf, most of them unchanged) */
	if (old != NULL && (old->bridge != n->bridge || old->mirror_out != n->mirror_out ||
			    old->vlan.tag != n->vlan.tag || old->vlan.native != n->vlan.native ||
			    old->vlan.native_untagged != n->vlan.native_untagged ||
			    memcmp(old->vlan.trunks, n->vlan.trunks, sizeof(n->vlan.trunks)) != 0))
		dp_txhold_invalidate(p);
	dp_rcu_defer(old, rte_free);
	return 0;
}

int dp_port_set_txmap(struct dp_port *p, const struct dp_txmap *m)
{
	struct dp_txmap *n = dup_obj(m, sizeof(*m), p->numa), *old;

	if (n == NULL)
		return -ENOMEM;
	/* before the map: a slot finds its hold as soon as it finds its queue;
	 * a slot without one only drops as it did before holds */
	(void)dp_txhold_alloc(p, m->n);
	old = __atomic_exchange_n(&p->txmap, n, __ATOMIC_ACQ_REL);
	dp_rcu_defer(old, rte_free);
	return 0;
}

static bool txmap_equal(const struct dp_txmap *a, const struct dp_txmap *b)
{
	unsigned int i;

	if (a == NULL || a->n != b->n)
		return a == NULL && b->n == 0;
	for (i = 0; i < a->n; i++)
		if (a->qid[i] != b->qid[i] || a->shared[i] != b->shared[i])
			return false;
	return true;
}

static int set_all_locked(struct dp_port *p, const struct dp_txmap *m)
{
	struct dp_txmap l = *m;

	memset(l.shared, 1, sizeof(l.shared));
	return dp_port_set_txmap(p, &l);
}

int dp_port_replace_txmaps(struct dp_port *const *ps, const struct dp_txmap *maps, unsigned int n)
{
	bool changed[DP_MAX_PORTS] = {false}, any = false;
	unsigned int i;
	int rc = 0;

	for (i = 0; i < n && i < DP_MAX_PORTS; i++) {
		changed[i] = ps[i] != NULL && !txmap_equal(ps[i]->txmap, &maps[i]);
		any |= changed[i];
	}
	if (!any)
		return 0;
	/* every map swap defers the old map, so each flush below waits for a
	 * grace period */
	for (i = 0; i < n && i < DP_MAX_PORTS; i++)
		if (changed[i] && ps[i]->txmap != NULL)
			rc |= set_all_locked(ps[i], ps[i]->txmap);
	dp_rcu_flush();
	for (i = 0; i < n && i < DP_MAX_PORTS; i++)
		if (changed[i])
			rc |= set_all_locked(ps[i], &maps[i]);
	dp_rcu_flush();
	for (i = 0; rc == 0 && i < n && i < DP_MAX_PORTS; i++)
		if (changed[i])
			rc |= dp_port_set_txmap(ps[i], &maps[i]);
	return rc < 0 ? -ENOMEM : 0;
}

void dp_port_set_filter(struct dp_port *p, int dir, struct filter *f)
{
	struct filter *old = __atomic_exchange_n(&p->filter[dir], f, __ATOMIC_ACQ_REL);

	/* nothing held passes the old filter late: an egress filter decided
	 * for this port's holds, an ingress one for frames waiting anywhere
	 * (none before the port is published) */
	if (old != f && dp_port_get(p->id) == p)
		dp_txhold_invalidate(dir == FILTER_DIR_EGRESS ? p : NULL);
	dp_rcu_defer(old, filter_destroy_cb);
}

void dp_txmap_build(struct dp_txmap *m, unsigned int n_pmds, uint16_t n_txq)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	if (n_txq == 0)
		return;
	m->n = n_pmds > DP_MAX_PMDS ? DP_MAX_PMDS : n_pmds;
	for (i = 0; i < m->n; i++)
		m->qid[i] = i % n_txq;
	dp_txmap_mark_shared(m);
}

void dp_txmap_mark_shared(struct dp_txmap *m)
{
	unsigned int i, j;

	/* n <= 64: quadratic is a few thousand compares, on the control thread */
	for (i = 0; i < m->n; i++) {
		m->shared[i] = false;
		for (j = 0; j < m->n && !m->shared[i]; j++)
			m->shared[i] = j != i && m->qid[j] == m->qid[i];
	}
}

void dp_port_drop_tx(struct dp_port *p, unsigned int pmd, enum dp_drop r, struct rte_mbuf **pkts,
		     uint16_t n)
{
	if (n == 0)
		return;
	p->tx[pmd].drops[r] += n;
	rte_pktmbuf_free_bulk(pkts, n);
}

void dp_port_totals(const struct dp_port *p, struct dp_port_totals *t)
{
	unsigned int q, r;

	memset(t, 0, sizeof(*t));
	for (q = 0; q < DP_MAX_QUEUES; q++) {
		t->rx_packets += p->rxq[q].packets;
		t->rx_bytes += p->rxq[q].bytes;
		for (r = 0; r < DP_DROP_MAX; r++)
			t->rx_drops[r] += p->rxq[q].drops[r];
	}
	for (q = 0; q < DP_MAX_PMDS; q++) {
		t->tx_packets += p->tx[q].packets;
		t->tx_bytes += p->tx[q].bytes;
		t->tx_retries += p->tx[q].retries;
		t->tx_held += p->tx[q].held;
		for (r = 0; r < DP_DROP_MAX; r++)
			t->tx_drops[r] += p->tx[q].drops[r];
	}
}
