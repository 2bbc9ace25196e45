/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fdb: the writer side of a bridge's MAC table (interface and thread rules in
 * fdb.h, layout in fdb_table.h).  Control thread only: create, learn (from
 * drained requests or directly), age, flush, resize, walk.  The PMD side is
 * fdb_reader.c and the inline probes of fdb_table.h.
 *
 * Slot reuse is deferred without blocking: a delete turns the key into a
 * tombstone and records the slot; once per call the writer polls an RCU token
 * and frees the tombstones whose grace period is over.  Only when an insert
 * finds no free slot in its chain and no free overflow bucket does it wait for
 * a grace period (or, with no tombstone to free, rebuild the table, which
 * compacts the overflow chains).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dataplane/fdb.h"
#include "dataplane/fdb_priv.h"
#include "dataplane/fdb_table.h"

/* Learn requests in flight between the PMDs and one control-loop turn.  A
 * turn that learned is followed by one at most 1 ms later (kvswitchd.c's
 * loop_timeout), so the ring absorbs 4M new MACs/s before requests are lost
 * (and counted). */
#define FDB_DRAIN_BURST 32

/* Multipliers a rebuild draws before giving up on fitting the old entries. */
#define FDB_REBUILD_DRAWS 8

/* A name must fit the request ring's name ("FDBQ_" + name). */
#define FDB_NAME_MAX 18

/* Upper bound on max_entries: 16M MACs per bridge is already about 1.5 GB of
 * buckets, far beyond any sane mac-table-size. */
#define FDB_ENTRIES_MAX (1u << 24)

/* Seconds since `seen`, modulo 2^32 so the clock may wrap.  A timestamp up to
 * 2^31 s in the future (a PMD refreshed with a slightly newer clock reading
 * than the control thread's) counts as age 0 instead of a huge age. */
static inline uint32_t fdb_age_of(uint32_t now, uint32_t seen)
{
	int32_t d = (int32_t)(now - seen);

	return d < 0 ? 0 : (uint32_t)d;
}

static uint32_t fdb_limit_of(const struct fdb *f, uint16_t port)
{
	uint32_t lim = f->port_lim[port];

	if (lim == 0)
		lim = f->port_limit;
	if (lim == 0 || lim > f->max_entries)
		lim = f->max_entries;
	return lim;
}

int fdb_learn_check(const struct fdb *f, uint16_t port, bool moving)
{
	if (port >= f->max_ports)
		return -EINVAL;
	if (!moving && f->entries >= f->max_entries)
		return -ENOSPC;
	return f->port_cnt[port] >= fdb_limit_of(f, port) ? -EDQUOT : 0;
}

static void fdb_tbl_free(struct fdb_tbl *t)
{
	if (t == NULL)
		return;
	rte_free(t->b);
	rte_free(t->ovf_free);
	rte_free(t);
}

/*
 * A new empty table for max_entries.  Primary buckets: a power of two with
 * at most 2 entries per 4-way bucket on average at full load, so about 5% of
 * buckets overflow (Poisson).  The overflow pool holds max_entries / 4
 * buckets: a table built from scratch links an overflow bucket only behind 4
 * full ways, so a rebuild of any max_entries keys always fits.  NULL + errno.
 */
static struct fdb_tbl *fdb_tbl_create(const struct fdb *f, uint32_t max_entries)
{
	uint32_t n_primary = rte_align32pow2(RTE_MAX(max_entries / 2, 8u));
	uint32_t n_ovf = max_entries / 4 + 16, i;
	struct fdb_tbl *t;

	t = rte_zmalloc_socket("fdb_tbl", sizeof(*t), RTE_CACHE_LINE_SIZE, f->socket_id);
	if (t == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	t->mult = rte_rand() | 1;
	t->shift = 64 - rte_log2_u32(n_primary);
	t->mask = n_primary - 1;
	t->ovf_first = n_primary;
	t->n_buckets = n_primary + n_ovf;
	t->b = rte_zmalloc_socket("fdb_buckets", (size_t)t->n_buckets * sizeof(t->b[0]),
				  RTE_CACHE_LINE_SIZE, f->socket_id);
	/* rte_malloc like the rest: LeakSanitizer cannot follow pointers
	 * stored in DPDK memory */
	t->ovf_free = rte_malloc_socket("fdb_ovf", (size_t)n_ovf * sizeof(t->ovf_free[0]), 0,
					f->socket_id);
	if (t->b == NULL || t->ovf_free == NULL) {
		fdb_tbl_free(t);
		errno = ENOMEM;
		return NULL;
	}
	/* popped from the end: the lowest index first */
	for (i = 0; i < n_ovf; i++)
		t->ovf_free[i] = t->n_buckets - 1 - i;
	t->n_ovf_free = n_ovf;
	return t;
}

/* Writer: store key into a free way of its chain.  0, -ENOSPC (the chain is
 * at FDB_CHAIN_MAX and full) or -ENOBUFS (no free overflow bucket). */
static int fdb_tbl_insert(struct fdb_tbl *t, uint64_t key, uint16_t port, uint32_t seen)
{
	struct fdb_bucket *b = fdb_bucket_of(t, key);
	unsigned int chain = 0, w;
	uint32_t nb;

	for (;;) {
		for (w = 0; w < FDB_WAYS; w++) {
			if (b->key[w] != FDB_KEY_FREE)
				continue;
			b->port[w] = port;
			__atomic_store_n(&b->seen[w], seen, __ATOMIC_RELAXED);
			/* publishes port and time with the key */
			__atomic_store_n(&b->key[w], key, __ATOMIC_RELEASE);
			return 0;
		}
		if (b->next == 0)
			break;
		b = &t->b[b->next];
		chain++;
	}
	if (chain >= FDB_CHAIN_MAX)
		return -ENOSPC;
	if (t->n_ovf_free == 0)
		return -ENOBUFS;
	nb = t->ovf_free[--t->n_ovf_free];
	/* A pooled bucket was never linked, or comes from a fresh table: all
	 * ways free.  Fill it before linking so readers see it whole. */
	t->b[nb].port[0] = port;
	t->b[nb].seen[0] = seen;
	t->b[nb].key[0] = key;
	__atomic_store_n(&b->next, nb, __ATOMIC_RELEASE);
	return 0;
}

/* ---- tombstones: slot reuse after a grace period ---- */

static int fdb_tomb_push(uint32_t **arr, uint32_t *n, uint32_t *cap, uint32_t ref)
{
	if (*n == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 256;
		uint32_t *a = rte_realloc(*arr, (size_t)nc * sizeof(*a), 0);

		if (a == NULL)
			return -ENOMEM;
		*arr = a;
		*cap = nc;
	}
	(*arr)[(*n)++] = ref;
	return 0;
}

static void fdb_tomb_free(struct fdb_tbl *t, const uint32_t *refs, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct fdb_bucket *b = &t->b[refs[i] / FDB_WAYS];

		__atomic_store_n(&b->key[refs[i] % FDB_WAYS], FDB_KEY_FREE, __ATOMIC_RELAXED);
	}
}

/* Writer: free tombstones whose grace period is over; with `wait`, wait for
 * one so that every tombstone is freed.  Non-blocking without `wait`. */
static void fdb_tombs_reclaim(struct fdb *f, bool wait)
{
	struct fdb_tbl *t = f->tbl;
	uint32_t *tmp, tcap;

	if (f->n_tomb_wait && (wait || rte_rcu_qsbr_check(f->qsv, f->tomb_token, false) == 1)) {
		if (wait)
			rte_rcu_qsbr_check(f->qsv, f->tomb_token, true);
		fdb_tomb_free(t, f->tomb_wait, f->n_tomb_wait);
		f->n_tomb_wait = 0;
	}
	if (f->n_tomb_wait == 0 && f->n_tomb_new) {
		tmp = f->tomb_wait;
		tcap = f->cap_tomb_wait;
		f->tomb_wait = f->tomb_new;
		f->cap_tomb_wait = f->cap_tomb_new;
		f->n_tomb_wait = f->n_tomb_new;
		f->tomb_new = tmp;
		f->cap_tomb_new = tcap;
		f->n_tomb_new = 0;
		f->tomb_token = rte_rcu_qsbr_start(f->qsv);
		if (wait) {
			rte_rcu_qsbr_check(f->qsv, f->tomb_token, true);
			fdb_tomb_free(t, f->tomb_wait, f->n_tomb_wait);
			f->n_tomb_wait = 0;
		}
	}
}

/* Writer: remove the entry at (b, w). */
static void fdb_del_way(struct fdb *f, struct fdb_bucket *b, unsigned int w)
{
	struct fdb_tbl *t = f->tbl;
	uint16_t port = b->port[w];
	uint32_t ref = (uint32_t)(b - t->b) * FDB_WAYS + w;

	/* Readers that found the key before this store may still read its
	 * port; the slot is reused only after their grace period. */
	__atomic_store_n(&b->key[w], f->qsv ? FDB_KEY_TOMB : FDB_KEY_FREE, __ATOMIC_RELEASE);
	if (f->qsv != NULL &&
	    fdb_tomb_push(&f->tomb_new, &f->n_tomb_new, &f->cap_tomb_new, ref) < 0) {
		/* no memory to defer: wait now rather than race */
		rte_rcu_qsbr_synchronize(f->qsv, RTE_QSBR_THRID_INVALID);
		__atomic_store_n(&b->key[w], FDB_KEY_FREE, __ATOMIC_RELAXED);
	}
	if (port < f->max_ports && f->port_cnt[port] > 0)
		f->port_cnt[port]--;
	if (f->entries > 0)
		f->entries--;
}

/* ---- rebuild: resize, and compaction of the overflow pool ---- */

/* Writer: a new table for max_entries, with a new multiplier, holding old's
 * entries; NULL with errno ENOMEM, or ENOSPC when this multiplier piles more
 * than a chain holds into one bucket. */
static struct fdb_tbl *fdb_tbl_copy(struct fdb *f, const struct fdb_tbl *old, uint32_t max_entries)
{
	const struct fdb_bucket *b;
	struct fdb_tbl *nt;
	unsigned int w;
	uint32_t i;

	nt = fdb_tbl_create(f, max_entries);
	if (nt == NULL)
		return NULL;
	for (i = 0; i < old->n_buckets; i++) {
		b = &old->b[i];
		for (w = 0; w < FDB_WAYS; w++) {
			if (!(b->key[w] & FDB_KEY_VALID))
				continue;
			if (fdb_tbl_insert(nt, b->key[w], b->port[w],
					   __atomic_load_n(&b->seen[w], __ATOMIC_RELAXED)) < 0) {
				fdb_tbl_free(nt);
				errno = ENOSPC;
				return NULL;
			}
		}
	}
	return nt;
}

/*
 * Writer: replace the table by a new one for max_entries holding the same
 * entries.  Readers switch over at their next burst; until the grace period
 * is over some may still refresh timestamps in the old table, so those are
 * merged back afterwards.  Costs one full copy per multiplier drawn and, with
 * RCU, one blocking grace period.  Tombstones of the old table simply vanish
 * with it.  A multiplier that cannot hold the old entries (as likely as the
 * bad draws fdb_add_key rehashes for: 1 in 20000 growths of
 * test_set_params failed with a single draw) is drawn again, up to
 * FDB_REBUILD_DRAWS times; then -ENOSPC and the old table stays.
 */
static int fdb_rebuild(struct fdb *f, uint32_t max_entries)
{
	struct fdb_tbl *old = f->tbl, *nt = NULL;
	struct fdb_bucket *b;
	unsigned int w, d;
	uint32_t i;

	errno = ENOSPC;
	for (d = 0; d < FDB_REBUILD_DRAWS && nt == NULL && errno == ENOSPC; d++)
		nt = fdb_tbl_copy(f, old, max_entries);
	if (nt == NULL)
		return -errno;
	__atomic_store_n(&f->tbl, nt, __ATOMIC_RELEASE);
	f->n_tomb_new = f->n_tomb_wait = 0;

	if (f->qsv != NULL) {
		rte_rcu_qsbr_synchronize(f->qsv, RTE_QSBR_THRID_INVALID);
		for (i = 0; i < old->n_buckets; i++) {
			b = &old->b[i];
			for (w = 0; w < FDB_WAYS; w++) {
				struct fdb_bucket *nb;
				unsigned int nw;
				uint32_t seen;

				if (!(b->key[w] & FDB_KEY_VALID))
					continue;
				nb = fdb_find(nt, b->key[w], &nw);
				if (nb == NULL)
					continue;
				seen = __atomic_load_n(&b->seen[w], __ATOMIC_RELAXED);
				if ((int32_t)(seen - nb->seen[nw]) > 0)
					__atomic_store_n(&nb->seen[nw], seen, __ATOMIC_RELAXED);
			}
		}
	}
	fdb_tbl_free(old);
	return 0;
}

/* Writer: insert a key known to be absent, making room as needed (see the
 * file comment).  0 or -ENOSPC (its chain is full: counted by the caller). */
static int fdb_add_key(struct fdb *f, uint64_t key, uint16_t port, uint32_t now)
{
	int rc = fdb_tbl_insert(f->tbl, key, port, now);

	if (rc < 0 && f->qsv != NULL && (f->n_tomb_new || f->n_tomb_wait)) {
		fdb_tombs_reclaim(f, true);
		rc = fdb_tbl_insert(f->tbl, key, port, now);
	}
	if (rc == -ENOBUFS) {
		/* Overflow buckets are only ever returned by a rebuild.  It
		 * needs memory; without it the MAC is refused as if full. */
		/* at the current size: after a shrink, a smaller table
		 * could not hold chains the larger one does */
		if (fdb_rebuild(f, RTE_MAX(f->max_entries, (f->tbl->mask + 1) * 2)) < 0)
			return -ENOSPC;
		rc = fdb_tbl_insert(f->tbl, key, port, now);
	}
	if (rc == -ENOSPC && now != f->rehash_sec) {
		f->rehash_sec = now;
		f->rehash_left = FDB_REHASH_PER_S;
	}
	/*
	 * A full chain (FDB_CHAIN_MAX + 1 buckets) in a table with room: with
	 * 2 keys per bucket on average that is the multiplier this table drew
	 * piling keys together.  Multiply-shift does that to an arithmetic run
	 * of keys (sequential MACs) for a few multipliers in a thousand,
	 * refusing MACs in a table almost empty.  A rebuild draws another.
	 * Several a second, as one draw a second left 1 table in 20000
	 * refusing a MAC of a sequential run learnt within a second, and a
	 * budget so that a guest filling a chain on purpose costs a few
	 * rebuilds a second, not one a frame.  A draw that cannot hold the
	 * old keys leaves the table as it was.
	 */
	while (rc == -ENOSPC && f->rehash_left > 0) {
		f->rehash_left--;
		f->rehashes++;
		if (fdb_rebuild(f, RTE_MAX(f->max_entries, (f->tbl->mask + 1) * 2)) == -ENOMEM)
			break;
		rc = fdb_tbl_insert(f->tbl, key, port, now);
	}
	return rc == -ENOBUFS ? -ENOSPC : rc;
}

/* ---- lifecycle ---- */

struct fdb *fdb_create(const struct fdb_params *p)
{
	char rname[RTE_RING_NAMESIZE];
	struct fdb *f;
	size_t len;
	int err;

	if (p == NULL || p->name == NULL || p->max_entries < 16 ||
	    p->max_entries > FDB_ENTRIES_MAX || p->aging_s < 1 || p->max_ports < 1) {
		errno = EINVAL;
		return NULL;
	}
	len = strlen(p->name);
	if (len == 0 || len > FDB_NAME_MAX || p->name[0] == '~') {
		errno = EINVAL;
		return NULL;
	}
	snprintf(rname, sizeof(rname), "FDBQ_%s", p->name);
	/* A duplicate name would also fail below with EEXIST, but only after
	 * DPDK logged allocation errors. */
	if (rte_ring_lookup(rname) != NULL) {
		errno = EEXIST;
		return NULL;
	}

	f = rte_zmalloc_socket("fdb", sizeof(*f), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (f == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(f->name, p->name, len + 1);
	f->rehash_left = FDB_REHASH_PER_S; /* for second 0 */
	f->qsv = p->qsv;
	f->socket_id = p->socket_id;
	f->max_entries = p->max_entries;
	f->port_limit = p->port_limit;
	f->aging_s = p->aging_s;
	f->max_ports = p->max_ports;

	f->port_cnt = rte_zmalloc_socket("fdb_ports", 2 * (size_t)p->max_ports * sizeof(uint32_t),
					 RTE_CACHE_LINE_SIZE, p->socket_id);
	if (f->port_cnt == NULL) {
		err = ENOMEM;
		goto fail;
	}
	f->port_lim = f->port_cnt + p->max_ports;

	f->tbl = fdb_tbl_create(f, p->max_entries);
	if (f->tbl == NULL) {
		err = errno;
		goto fail;
	}

	rte_errno = 0;
	/* EXACT_SZ: exactly FDB_REQ_RING_SIZE requests fit (not size - 1). */
	f->req = rte_ring_create_elem(rname, sizeof(struct fdb_req), FDB_REQ_RING_SIZE,
				      p->socket_id, RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (f->req == NULL) {
		err = rte_errno ? rte_errno : ENOMEM;
		goto fail;
	}
	return f;
fail:
	fdb_tbl_free(f->tbl);
	rte_free(f->port_cnt);
	rte_free(f);
	errno = err;
	return NULL;
}

void fdb_destroy(struct fdb *f)
{
	if (f == NULL)
		return;
	/* The caller has already unpublished the fdb from the PMDs and waited
	 * for a grace period: nothing reads the table any more. */
	fdb_tbl_free(f->tbl);
	rte_free(f->tomb_new);
	rte_free(f->tomb_wait);
	rte_ring_free(f->req);
	rte_free(f->port_cnt);
	rte_free(f);
}

/* ---- limits ---- */

struct fdb_age_ref {
	uint32_t age;
	uint32_t ref; /* bucket * FDB_WAYS + way */
};

static int fdb_cmp_oldest_first(const void *a, const void *b)
{
	const struct fdb_age_ref *x = a, *y = b;

	if (x->age != y->age)
		return x->age > y->age ? -1 : 1;
	return x->ref < y->ref ? -1 : (x->ref > y->ref);
}

/* Writer: remove the `excess` oldest entries.  -ENOMEM. */
static int fdb_evict_oldest(struct fdb *f, uint32_t excess)
{
	struct fdb_tbl *t = f->tbl;
	struct fdb_age_ref *refs;
	uint32_t i, n = 0;
	unsigned int w;

	refs = malloc((size_t)f->entries * sizeof(*refs));
	if (refs == NULL)
		return -ENOMEM;
	for (i = 0; i < t->n_buckets && n < f->entries; i++) {
		for (w = 0; w < FDB_WAYS && n < f->entries; w++) {
			if (!(t->b[i].key[w] & FDB_KEY_VALID))
				continue;
			refs[n].age = fdb_age_of(
				f->last_now, __atomic_load_n(&t->b[i].seen[w], __ATOMIC_RELAXED));
			refs[n].ref = i * FDB_WAYS + w;
			n++;
		}
	}
	qsort(refs, n, sizeof(*refs), fdb_cmp_oldest_first);
	for (i = 0; i < excess && i < n; i++)
		fdb_del_way(f, &t->b[refs[i].ref / FDB_WAYS], refs[i].ref % FDB_WAYS);
	free(refs);
	return 0;
}

int fdb_set_params(struct fdb *f, uint32_t max_entries, uint32_t port_limit, uint32_t aging_s)
{
	int ret;

	if (f == NULL || max_entries < 16 || max_entries > FDB_ENTRIES_MAX || aging_s < 1)
		return -EINVAL;
	if (max_entries > f->max_entries) {
		/* the table was sized for the old maximum: rebuild for the new */
		ret = fdb_rebuild(f, max_entries);
		if (ret < 0)
			return ret;
	} else if (f->entries > max_entries) {
		ret = fdb_evict_oldest(f, f->entries - max_entries);
		if (ret < 0)
			return ret;
	}
	/* A smaller port limit drops nothing: the port just cannot learn new
	 * MACs until ageing brings it under the limit. */
	f->max_entries = max_entries;
	f->port_limit = port_limit;
	f->aging_s = aging_s;
	return 0;
}

void fdb_set_port_limit(struct fdb *f, uint16_t port, uint32_t limit)
{
	if (f == NULL || port >= f->max_ports)
		return;
	f->port_lim[port] = limit;
}

/* ---- learning ---- */

unsigned int fdb_learn_drain(struct fdb *f, uint32_t now)
{
	struct fdb_req reqs[FDB_DRAIN_BURST];
	unsigned int total = 0, n, i;

	if (f->qsv != NULL)
		fdb_tombs_reclaim(f, false);
	/* Bounded to one ring's worth so PMDs that keep enqueueing cannot hold
	 * the control thread here; the rest waits for the next turn, 1 ms
	 * later at most. */
	while (total < FDB_REQ_RING_SIZE) {
		n = rte_ring_sc_dequeue_burst_elem(f->req, reqs, sizeof(reqs[0]), FDB_DRAIN_BURST,
						   NULL);
		if (n == 0)
			break;
		/* The writer's clock, not the PMD's: a request is at most a few
		 * ms old, and ageing compares against this same clock. */
		for (i = 0; i < n; i++)
			fdb_learn_key(f, reqs[i].key, reqs[i].port, now);
		total += n;
	}
	return total;
}

bool fdb_learn_queued(const struct fdb *f)
{
	return rte_ring_count(f->req) > 0;
}

int fdb_learn_key(struct fdb *f, uint64_t key, uint16_t port, uint32_t now)
{
	struct fdb_bucket *b;
	unsigned int w;
	uint16_t old;
	int rc;

	if (port >= f->max_ports)
		return -EINVAL;
	f->last_now = now;
	b = fdb_find(f->tbl, key, &w);
	if (b != NULL) {
		old = b->port[w];
		if (old == port) {
			__atomic_store_n(&b->seen[w], now, __ATOMIC_RELAXED);
			return 0;
		}
		/* Moved: the new port must have room, or the entry stays put. */
		if (f->port_cnt[port] >= fdb_limit_of(f, port)) {
			f->refused_limit++;
			return -EDQUOT;
		}
		__atomic_store_n(&b->seen[w], now, __ATOMIC_RELAXED);
		__atomic_store_n(&b->port[w], port, __ATOMIC_RELEASE);
		if (old < f->max_ports && f->port_cnt[old] > 0)
			f->port_cnt[old]--;
		f->port_cnt[port]++;
		f->moved++;
		return 0;
	}

	if (f->entries >= f->max_entries) {
		f->refused_full++;
		return -ENOSPC;
	}
	if (f->port_cnt[port] >= fdb_limit_of(f, port)) {
		f->refused_limit++;
		return -EDQUOT;
	}
	rc = fdb_add_key(f, key, port, now);
	if (rc < 0) {
		f->refused_chain++;
		return -ENOSPC;
	}
	f->port_cnt[port]++;
	f->entries++;
	f->learned++;
	return 0;
}

int fdb_learn(struct fdb *f, const struct rte_ether_addr *mac, uint16_t vlan, uint16_t port,
	      uint32_t now)
{
	return fdb_learn_key(f, fdb_key_of_mac(mac, vlan), port, now);
}

/* ---- ageing, flushing, walking: linear scans of the bucket array ---- */

/* Writer: delete every entry for which match(…) is true; how many. */
static unsigned int fdb_delete_if(struct fdb *f,
				  bool (*match)(const struct fdb_bucket *b, unsigned int w,
						const void *arg),
				  const void *arg)
{
	struct fdb_tbl *t = f->tbl;
	unsigned int n = 0, w;
	uint32_t i;

	/* Deleting while scanning is safe: slots never move. */
	for (i = 0; i < t->n_buckets && f->entries > 0; i++) {
		struct fdb_bucket *b = &t->b[i];

		for (w = 0; w < FDB_WAYS; w++) {
			if (!(b->key[w] & FDB_KEY_VALID) || !match(b, w, arg))
				continue;
			fdb_del_way(f, b, w);
			n++;
		}
	}
	return n;
}

struct fdb_age_arg {
	uint32_t now, aging_s;
};

static bool fdb_is_old(const struct fdb_bucket *b, unsigned int w, const void *arg)
{
	const struct fdb_age_arg *a = arg;

	return fdb_age_of(a->now, __atomic_load_n(&b->seen[w], __ATOMIC_RELAXED)) >= a->aging_s;
}

unsigned int fdb_age(struct fdb *f, uint32_t now)
{
	struct fdb_age_arg a = {now, f->aging_s};
	unsigned int n;

	f->last_now = now;
	if (f->qsv != NULL)
		fdb_tombs_reclaim(f, false);
	n = fdb_delete_if(f, fdb_is_old, &a);
	f->aged += n;
	return n;
}

static bool fdb_any(const struct fdb_bucket *b, unsigned int w, const void *arg)
{
	RTE_SET_USED(b), RTE_SET_USED(w), RTE_SET_USED(arg);
	return true;
}

static bool fdb_on_port(const struct fdb_bucket *b, unsigned int w, const void *arg)
{
	return b->port[w] == *(const uint16_t *)arg;
}

unsigned int fdb_flush(struct fdb *f)
{
	return fdb_delete_if(f, fdb_any, NULL);
}

unsigned int fdb_flush_port(struct fdb *f, uint16_t port)
{
	if (port >= f->max_ports)
		return 0;
	return fdb_delete_if(f, fdb_on_port, &port);
}

void fdb_walk(const struct fdb *f, uint32_t now,
	      int (*cb)(const struct fdb_entry_info *e, void *arg), void *arg)
{
	const struct fdb_tbl *t = f->tbl;
	struct fdb_entry_info e;
	unsigned int w;
	uint32_t i;

	for (i = 0; i < t->n_buckets; i++) {
		const struct fdb_bucket *b = &t->b[i];

		for (w = 0; w < FDB_WAYS; w++) {
			uint64_t k = b->key[w];

			if (!(k & FDB_KEY_VALID))
				continue;
			fdb_key_to_mac(k, &e.mac);
			e.vlan = (uint16_t)(k >> 48) & 0xfff;
			e.port = b->port[w];
			e.age_s = fdb_age_of(now, __atomic_load_n(&b->seen[w], __ATOMIC_RELAXED));
			if (cb(&e, arg) != 0)
				return;
		}
	}
}

void fdb_stats_get(const struct fdb *f, struct fdb_stats *st)
{
	st->entries = f->entries;
	st->learned = f->learned;
	st->moved = f->moved;
	st->aged = f->aged;
	st->refused_full = f->refused_full;
	st->refused_limit = f->refused_limit;
	st->refused_chain = f->refused_chain;
	st->rehashes = f->rehashes;
	st->requests_lost = __atomic_load_n(&f->requests_lost, __ATOMIC_RELAXED);
}

uint32_t fdb_port_count(const struct fdb *f, uint16_t port)
{
	if (port >= f->max_ports)
		return 0;
	return f->port_cnt[port];
}
