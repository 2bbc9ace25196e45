/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dataplane/fdb.c: learning, lookups, limits, ageing with an
 * injected clock, the request ring, flushes, resizing, and a smoke test of
 * lock-free readers racing the writer.  Starts an in-memory EAL without
 * hugepages or PCI; never sleeps.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/doorbell.h"
#include "dataplane/fdb.h"
#include "dataplane/fdb_priv.h"
#include "dataplane/fdb_table.h"

/* Capacity of the request ring (FDB_REQ_RING_SIZE in fdb.c). */
#define REQ_RING_SIZE 4096

/* ---- helpers ---------------------------------------------------------- */

/* A MAC that encodes `idx`, so walks can tell which one they see. */
static struct rte_ether_addr mac_of(uint32_t idx)
{
	struct rte_ether_addr m = {{0x02, 0x00, (uint8_t)(idx >> 24), (uint8_t)(idx >> 16),
				    (uint8_t)(idx >> 8), (uint8_t)idx}};
	return m;
}

static uint32_t idx_of(const struct rte_ether_addr *m)
{
	return (uint32_t)m->addr_bytes[2] << 24 | (uint32_t)m->addr_bytes[3] << 16 |
	       (uint32_t)m->addr_bytes[4] << 8 | m->addr_bytes[5];
}

static uint32_t xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* A random-looking locally administered unicast MAC. */
static struct rte_ether_addr random_mac(uint32_t *s)
{
	struct rte_ether_addr m;
	uint32_t a = xorshift32(s), b = xorshift32(s);

	m.addr_bytes[0] = (uint8_t)((a & 0xfc) | 0x02);
	m.addr_bytes[1] = (uint8_t)(a >> 8);
	m.addr_bytes[2] = (uint8_t)(a >> 16);
	m.addr_bytes[3] = (uint8_t)(b);
	m.addr_bytes[4] = (uint8_t)(b >> 8);
	m.addr_bytes[5] = (uint8_t)(b >> 16);
	return m;
}

static struct fdb *mk_fdb(const char *name, uint32_t max_entries, uint32_t port_limit,
			  uint32_t aging_s, uint16_t max_ports, struct rte_rcu_qsbr *qsv)
{
	struct fdb_params p = {
		.name = name,
		.max_entries = max_entries,
		.port_limit = port_limit,
		.aging_s = aging_s,
		.max_ports = max_ports,
		.socket_id = SOCKET_ID_ANY,
		.qsv = qsv,
	};
	struct fdb *f = fdb_create(&p);

	assert_non_null(f);
	return f;
}

static int learn_idx(struct fdb *f, uint32_t idx, uint16_t vlan, uint16_t port, uint32_t now)
{
	struct rte_ether_addr m = mac_of(idx);

	return fdb_learn(f, &m, vlan, port, now);
}

static uint16_t lookup_idx(const struct fdb *f, uint32_t idx, uint16_t vlan)
{
	struct rte_ether_addr m = mac_of(idx);

	return fdb_lookup(f, &m, vlan);
}

static uint32_t sum_port_counts(const struct fdb *f, uint16_t max_ports)
{
	uint32_t sum = 0;
	uint16_t p;

	for (p = 0; p < max_ports; p++)
		sum += fdb_port_count(f, p);
	return sum;
}

static struct fdb_stats stats_of(const struct fdb *f)
{
	struct fdb_stats st;

	fdb_stats_get(f, &st);
	return st;
}

/* ---- tests ------------------------------------------------------------ */

static void test_learn_lookup(void **state)
{
	struct fdb *f = mk_fdb("t_learn", 64, 0, 300, 8, NULL);
	struct fdb_stats st;

	(void)state;
	assert_int_equal(learn_idx(f, 1, 10, 3, 0), 0);
	assert_int_equal(lookup_idx(f, 1, 10), 3);
	assert_int_equal(lookup_idx(f, 2, 10), FDB_PORT_NONE);
	/* Learning the same MAC on the same port again is a refresh. */
	assert_int_equal(learn_idx(f, 1, 10, 3, 5), 0);
	st = stats_of(f);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.learned, 1);
	assert_int_equal(st.moved, 0);
	assert_int_equal(fdb_port_count(f, 3), 1);
	assert_int_equal(fdb_port_count(f, 2), 0);
	/* Out-of-range ports are refused. */
	assert_int_equal(learn_idx(f, 9, 10, 8, 0), -EINVAL);
	assert_int_equal(fdb_port_count(f, 200), 0);
	fdb_destroy(f);
}

static void test_lookup_bulk(void **state)
{
	struct fdb *f = mk_fdb("t_bulk", 128, 0, 300, 8, NULL);
	struct rte_ether_addr macs[64];
	const struct rte_ether_addr *mp[64];
	uint16_t vlans[64], ports[64];
	unsigned int i;

	(void)state;
	for (i = 0; i < 64; i++) {
		macs[i] = mac_of(i);
		mp[i] = &macs[i];
		vlans[i] = 7;
		if (i % 2 == 0)
			assert_int_equal(fdb_learn(f, &macs[i], 7, (uint16_t)(i % 8), 0), 0);
	}
	fdb_lookup_bulk(f, mp, vlans, 64, ports);
	for (i = 0; i < 64; i++)
		assert_int_equal(ports[i], i % 2 == 0 ? i % 8 : FDB_PORT_NONE);

	/* A short burst, and the wrong VLAN for a known MAC. */
	vlans[0] = 8;
	fdb_lookup_bulk(f, mp, vlans, 3, ports);
	assert_int_equal(ports[0], FDB_PORT_NONE);
	assert_int_equal(ports[1], FDB_PORT_NONE);
	assert_int_equal(ports[2], 2);
	fdb_lookup_bulk(f, mp, vlans, 0, ports);
	fdb_destroy(f);
}

/* The PMD's slow half of learning: one request per (MAC, port) and second,
 * a lost request asked again at once. */
static void test_learn_ask(void **state)
{
	struct fdb *f = mk_fdb("t_ask", 8192, 0, 10, 8, NULL);
	struct rte_ether_addr m = mac_of(1);
	uint64_t key = fdb_key_of_mac(&m, 5);
	struct fdb_asked *a = calloc(1, sizeof(*a));
	uint32_t i;

	(void)state;
	assert_non_null(a);
	fdb_learn_ask(f, a, key, 1, 8);
	fdb_learn_ask(f, a, key, 1, 8);
	fdb_learn_ask(f, a, key, 1, 8);
	assert_int_equal(fdb_learn_drain(f, 8), 1);
	assert_int_equal(fdb_lookup(f, &m, 5), 1);
	/* the next second asks again (a refused MAC is retried once a second) */
	fdb_learn_ask(f, a, key, 1, 9);
	/* a move to another port is a new request */
	fdb_learn_ask(f, a, key, 2, 9);
	fdb_learn_ask(f, a, key, 2, 9);
	assert_int_equal(fdb_learn_drain(f, 9), 2);
	assert_int_equal(fdb_lookup(f, &m, 5), 2);
	assert_int_equal(stats_of(f).moved, 1);

	/* A storm of new MACs: each asked once however many bursts carry it,
	 * so the ring holds exactly the distinct ones. */
	for (i = 0; i < 3 * REQ_RING_SIZE; i++) {
		struct rte_ether_addr x = mac_of(1000 + i % 1000);

		fdb_learn_ask(f, a, fdb_key_of_mac(&x, 5), 3, 10);
	}
	assert_int_equal(stats_of(f).requests_lost, 0);
	/* the memory is direct-mapped: a few collisions may ask twice */
	assert_in_range(fdb_learn_drain(f, 10), 1000, 1300);
	assert_int_equal(fdb_port_count(f, 3), 1000);

	/* A request lost to a full ring is not remembered: asked again. */
	for (i = 0; i < REQ_RING_SIZE; i++) {
		struct rte_ether_addr x = mac_of(5000 + i);

		fdb_learn_ask(f, a, fdb_key_of_mac(&x, 6), 4, 11);
	}
	m = mac_of(99999);
	key = fdb_key_of_mac(&m, 6);
	fdb_learn_ask(f, a, key, 4, 11);
	fdb_learn_ask(f, a, key, 4, 11);
	assert_int_equal(stats_of(f).requests_lost, 2);
	fdb_learn_drain(f, 11);
	fdb_learn_ask(f, a, key, 4, 11);
	assert_int_equal(fdb_learn_drain(f, 11), 1);
	assert_int_equal(fdb_lookup(f, &m, 6), 4);
	free(a);
	fdb_destroy(f);
}

/* n MACs of one VLAN that land in one primary bucket of f's current table,
 * taken from index *next on; *next moves past the last one. */
static unsigned int colliding(const struct fdb *f, uint16_t vlan, uint32_t *next, uint32_t *idx,
			      unsigned int n)
{
	const struct fdb_tbl *t = fdb_tbl_get(f);
	uint32_t want = UINT32_MAX, i;
	unsigned int k = 0;

	for (i = *next; k < n && i < *next + 10000000; i++) {
		struct rte_ether_addr m = mac_of(i);
		uint32_t bkt = (uint32_t)(fdb_bucket_of(t, fdb_key_of_mac(&m, vlan)) - t->b);

		if (want == UINT32_MAX)
			want = bkt;
		if (bkt == want)
			idx[k++] = i;
	}
	*next = i;
	return k;
}

static uint32_t bucket_of_idx(const struct fdb *f, uint32_t i, uint16_t vlan)
{
	const struct fdb_tbl *t = fdb_tbl_get(f);
	struct rte_ether_addr m = mac_of(i);

	return (uint32_t)(fdb_bucket_of(t, fdb_key_of_mac(&m, vlan)) - t->b);
}

/* Learn idx[0..n) on vlan until one is refused: how many went in. */
static unsigned int learn_until_refused(struct fdb *f, const uint32_t *idx, unsigned int n,
					uint16_t vlan, uint32_t now)
{
	unsigned int i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = learn_idx(f, idx[i], vlan, (uint16_t)(i % 4), now);
		if (rc == -ENOSPC)
			break;
		assert_int_equal(rc, 0);
	}
	return i;
}

/*
 * A bucket overflows into chained buckets, up to FDB_CHAIN_MAX of them.  A
 * full chain in a table with room draws a new multiplier, FDB_REHASH_PER_S
 * times a second.  MACs crafted to collide (this test knows the multiplier, a
 * guest does not) past that budget are refused and counted, while the table
 * still has room for everyone else; the next second brings a new budget.
 */
static void test_bucket_chain(void **state)
{
	const unsigned int fit = FDB_WAYS * (1 + FDB_CHAIN_MAX);
	struct fdb *f = mk_fdb("t_chain", 4096, 0, 300, 4, NULL);
	uint32_t idx[64], next = 1, chain_bkt, other;
	unsigned int i, round, in = fit + 1;

	(void)state;
	/* Each round overflows one chain of the current table, which draws a
	 * new multiplier (or several, if a draw is bad for the new MAC), and
	 * the crafted MACs go in; until the budget is spent. */
	for (round = 0; round <= FDB_REHASH_PER_S && in == fit + 1; round++) {
		assert_int_equal(colliding(f, 1, &next, idx, fit + 1), fit + 1);
		chain_bkt = bucket_of_idx(f, idx[0], 1);
		in = learn_until_refused(f, idx, fit + 1, 1, 0);
	}
	assert_true(in <= fit);
	assert_true(in > 0); /* the chain held no leftovers of earlier rounds */
	assert_int_equal(stats_of(f).rehashes, FDB_REHASH_PER_S);
	assert_int_equal(stats_of(f).refused_chain, 1);
	assert_int_equal(stats_of(f).refused_full, 0);
	for (i = 0; i < in; i++)
		assert_int_equal(lookup_idx(f, idx[i], 1), i % 4);
	assert_int_equal(lookup_idx(f, idx[in], 1), FDB_PORT_NONE);
	/* another VLAN, another bucket: unaffected (and no draw left) */
	for (other = 2; bucket_of_idx(f, idx[in], (uint16_t)other) == chain_bkt; other++)
		;
	assert_int_equal(learn_idx(f, idx[in], (uint16_t)other, 0, 0), 0);
	assert_int_equal(stats_of(f).rehashes, FDB_REHASH_PER_S);
	/* the bucket hash is keyed per table: another table spreads them */
	{
		struct fdb *g = mk_fdb("t_chain2", 4096, 0, 300, 4, NULL);
		bool seen[4096] = {false};
		unsigned int spread = 0;

		for (i = 0; i <= in; i++) {
			uint32_t bk = bucket_of_idx(g, idx[i], 1);

			spread += !seen[bk];
			seen[bk] = true;
		}
		assert_true(spread > (in + 1) / 2);
		fdb_destroy(g);
	}
	/* a freed way in the chain takes the refused MAC, still in second 0
	 * with no draw left (no RCU here) */
	assert_true(fdb_flush_port(f, 0) >= 1); /* idx[0] was on port 0 */
	assert_int_equal(learn_idx(f, idx[in], 1, 3, 0), 0);
	assert_int_equal(lookup_idx(f, idx[in], 1), 3);
	assert_int_equal(stats_of(f).rehashes, FDB_REHASH_PER_S);
	/* the next second: a new budget, and crafted MACs go in again */
	assert_int_equal(colliding(f, 1, &next, idx, fit + 1), fit + 1);
	assert_int_equal(learn_until_refused(f, idx, fit + 1, 1, 1), fit + 1);
	assert_true(stats_of(f).rehashes > FDB_REHASH_PER_S);
	assert_int_equal(stats_of(f).refused_chain, 1);
	fdb_destroy(f);
}

/* With readers, a deleted way stays a tombstone until they pass a grace
 * period: a key inserted meanwhile goes elsewhere, so a reader that matched
 * the old key never reads the new key's port. */
static void test_tombstone_grace(void **state)
{
	struct rte_rcu_qsbr *qsv;
	struct fdb *f;
	const struct fdb_tbl *t;
	struct fdb_bucket *b;
	uint32_t idx[8], next = 1;
	unsigned int w, wa = 0;

	(void)state;
	qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	assert_non_null(qsv);
	assert_int_equal(rte_rcu_qsbr_init(qsv, 1), 0);
	f = mk_fdb("t_tomb", 64, 0, 300, 4, qsv);
	assert_int_equal(colliding(f, 0, &next, idx, 6), 6);
	/* a reader is online and has not reported a quiescent state */
	assert_int_equal(rte_rcu_qsbr_thread_register(qsv, 0), 0);
	rte_rcu_qsbr_thread_online(qsv, 0);
	for (w = 0; w < 4; w++)
		assert_int_equal(learn_idx(f, idx[w], 0, 1, 0), 0);
	t = fdb_tbl_get(f);
	{
		struct rte_ether_addr m0 = mac_of(idx[0]);
		uint64_t k0 = fdb_key_of_mac(&m0, 0);

		b = fdb_find(t, k0, &wa);
		assert_non_null(b);
	}
	assert_int_equal(fdb_flush_port(f, 1), 4);
	assert_true(b->key[wa] == FDB_KEY_TOMB);
	assert_int_equal(learn_idx(f, idx[4], 0, 2, 1), 0);
	fdb_age(f, 1); /* polls the token: the reader still holds it */
	assert_true(b->key[wa] == FDB_KEY_TOMB);
	assert_int_equal(b->next != 0, 1); /* idx[4] went to an overflow bucket */
	assert_int_equal(lookup_idx(f, idx[4], 0), 2);
	/* the reader passes a quiescent state: the next call frees the ways */
	rte_rcu_qsbr_quiescent(qsv, 0);
	fdb_age(f, 2);
	rte_rcu_qsbr_quiescent(qsv, 0);
	fdb_age(f, 3);
	assert_true(b->key[wa] == FDB_KEY_FREE);
	assert_int_equal(learn_idx(f, idx[5], 0, 3, 3), 0);
	assert_int_equal(lookup_idx(f, idx[5], 0), 3);
	assert_int_equal(lookup_idx(f, idx[0], 0), FDB_PORT_NONE);
	rte_rcu_qsbr_thread_offline(qsv, 0);
	rte_rcu_qsbr_thread_unregister(qsv, 0);
	fdb_destroy(f);
	rte_free(qsv);
}

static void test_vlans_distinct(void **state)
{
	struct fdb *f = mk_fdb("t_vlan", 64, 0, 300, 8, NULL);

	(void)state;
	assert_int_equal(learn_idx(f, 5, 1, 1, 0), 0);
	assert_int_equal(learn_idx(f, 5, 2, 2, 0), 0);
	assert_int_equal(lookup_idx(f, 5, 1), 1);
	assert_int_equal(lookup_idx(f, 5, 2), 2);
	assert_int_equal(lookup_idx(f, 5, 3), FDB_PORT_NONE);
	assert_int_equal(stats_of(f).entries, 2);
	assert_int_equal(stats_of(f).moved, 0);
	assert_int_equal(fdb_flush_port(f, 1), 1);
	assert_int_equal(lookup_idx(f, 5, 1), FDB_PORT_NONE);
	assert_int_equal(lookup_idx(f, 5, 2), 2);
	fdb_destroy(f);
}

static void test_refresh_keeps_alive(void **state)
{
	struct fdb *f = mk_fdb("t_refresh", 64, 0, 10, 8, NULL);
	struct rte_ether_addr a = mac_of(1), b = mac_of(2), c = mac_of(3);

	(void)state;
	assert_int_equal(fdb_learn(f, &a, 0, 1, 0), 0);
	assert_int_equal(fdb_learn(f, &b, 0, 2, 0), 0);
	/* A keeps sending: the PMD path refreshes it in place. */
	assert_true(fdb_learn_request(f, &a, 0, 1, 4));
	assert_true(fdb_learn_request(f, &a, 0, 1, 8));
	/* Seen on another port, or unknown: not refreshed, queued instead. */
	assert_false(fdb_learn_request(f, &b, 0, 3, 8));
	assert_false(fdb_learn_request(f, &c, 0, 3, 8));

	assert_int_equal(fdb_age(f, 10), 1); /* B: 10 s silent */
	assert_int_equal(fdb_lookup(f, &a, 0), 1);
	assert_int_equal(fdb_lookup(f, &b, 0), FDB_PORT_NONE);
	assert_int_equal(fdb_age(f, 17), 0); /* A: 9 s since its last frame */
	assert_int_equal(fdb_lookup(f, &a, 0), 1);
	assert_int_equal(fdb_age(f, 18), 1);
	assert_int_equal(fdb_lookup(f, &a, 0), FDB_PORT_NONE);
	assert_int_equal(stats_of(f).aged, 2);
	assert_int_equal(stats_of(f).entries, 0);
	assert_int_equal(fdb_port_count(f, 1), 0);
	fdb_destroy(f);
}

static void test_aging_boundary(void **state)
{
	struct fdb *f = mk_fdb("t_aging", 64, 0, 10, 8, NULL);

	(void)state;
	assert_int_equal(learn_idx(f, 1, 0, 1, 100), 0);
	assert_int_equal(fdb_age(f, 109), 0); /* aging_s - 1 old: kept */
	assert_int_equal(lookup_idx(f, 1, 0), 1);
	assert_int_equal(fdb_age(f, 110), 1); /* exactly aging_s old: removed */
	assert_int_equal(lookup_idx(f, 1, 0), FDB_PORT_NONE);

	/* The clock may wrap. */
	assert_int_equal(learn_idx(f, 2, 0, 1, UINT32_MAX - 2), 0);
	assert_int_equal(fdb_age(f, 6), 0); /* 9 s */
	assert_int_equal(lookup_idx(f, 2, 0), 1);
	assert_int_equal(fdb_age(f, 7), 1); /* 10 s */

	/* A timestamp slightly ahead of the ageing clock (a PMD read the clock
	 * later) is age 0, not a huge age. */
	assert_int_equal(learn_idx(f, 3, 0, 1, 200), 0);
	assert_int_equal(fdb_age(f, 195), 0);
	assert_int_equal(lookup_idx(f, 3, 0), 1);
	assert_int_equal(stats_of(f).aged, 2);
	fdb_destroy(f);
}

static void test_mac_move(void **state)
{
	struct fdb *f = mk_fdb("t_move", 64, 2, 300, 8, NULL);
	struct fdb_stats st;

	(void)state;
	assert_int_equal(learn_idx(f, 1, 0, 1, 0), 0);
	assert_int_equal(learn_idx(f, 1, 0, 2, 1), 0);
	assert_int_equal(lookup_idx(f, 1, 0), 2);
	assert_int_equal(fdb_port_count(f, 1), 0);
	assert_int_equal(fdb_port_count(f, 2), 1);
	st = stats_of(f);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.learned, 1);
	assert_int_equal(st.moved, 1);

	/* A move to a port at its limit is refused and the entry stays. */
	assert_int_equal(learn_idx(f, 10, 0, 3, 0), 0);
	assert_int_equal(learn_idx(f, 11, 0, 3, 0), 0);
	assert_int_equal(learn_idx(f, 1, 0, 3, 2), -EDQUOT);
	assert_int_equal(lookup_idx(f, 1, 0), 2);
	assert_int_equal(fdb_port_count(f, 2), 1);
	assert_int_equal(fdb_port_count(f, 3), 2);
	st = stats_of(f);
	assert_int_equal(st.moved, 1);
	assert_int_equal(st.refused_limit, 1);
	assert_int_equal(st.entries, 3);
	/* The move also refreshes: the old timestamp does not age it out. */
	assert_int_equal(learn_idx(f, 1, 0, 4, 250), 0);
	assert_int_equal(fdb_age(f, 300), 2);
	assert_int_equal(lookup_idx(f, 1, 0), 4);
	fdb_destroy(f);
}

static void test_table_full(void **state)
{
	struct fdb *f = mk_fdb("t_full", 16, 0, 300, 4, NULL);
	uint32_t i;

	(void)state;
	for (i = 0; i < 16; i++)
		assert_int_equal(learn_idx(f, i, 0, (uint16_t)(i % 4), 0), 0);
	assert_int_equal(learn_idx(f, 100, 0, 0, 0), -ENOSPC);
	assert_int_equal(learn_idx(f, 101, 0, 3, 0), -ENOSPC);
	for (i = 0; i < 16; i++)
		assert_int_equal(lookup_idx(f, i, 0), i % 4);
	assert_int_equal(lookup_idx(f, 100, 0), FDB_PORT_NONE);
	/* Refreshes and moves need no new slot and still work. */
	assert_int_equal(learn_idx(f, 0, 0, 0, 1), 0);
	assert_int_equal(learn_idx(f, 1, 0, 2, 1), 0);
	assert_int_equal(lookup_idx(f, 1, 0), 2);
	assert_int_equal(stats_of(f).refused_full, 2);
	assert_int_equal(stats_of(f).entries, 16);
	/* Room again after a delete: the freed slot is reusable. */
	assert_int_equal(fdb_flush_port(f, 3), 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(learn_idx(f, 200 + i, 0, 3, 2), 0);
	assert_int_equal(learn_idx(f, 300, 0, 3, 2), -ENOSPC);
	fdb_destroy(f);
}

static void test_port_spray(void **state)
{
	struct fdb *f = mk_fdb("t_spray", 256, 32, 300, 4, NULL);
	struct rte_ether_addr m;
	uint32_t seed = 0x12345678, i, ok = 0;
	int ret;

	(void)state;
	/* Port 1 has 20 well-behaved hosts. */
	for (i = 0; i < 20; i++)
		assert_int_equal(learn_idx(f, i, 0, 1, 0), 0);

	/* Port 0 sprays 10x its limit of random source MACs through the PMD path. */
	for (i = 0; i < 320; i++) {
		m = random_mac(&seed);
		assert_false(fdb_learn_request(f, &m, 0, 0, 1));
	}
	assert_int_equal(fdb_learn_drain(f, 1), 320);
	assert_int_equal(fdb_port_count(f, 0), 32);
	assert_int_equal(stats_of(f).refused_limit, 320 - 32);
	assert_int_equal(stats_of(f).refused_full, 0);

	/* Directly, too: every further new MAC of port 0 is refused. */
	for (i = 0; i < 50; i++) {
		m = random_mac(&seed);
		ret = fdb_learn(f, &m, 0, 0, 2);
		assert_int_equal(ret, -EDQUOT);
	}

	/* Nothing of port 1 was evicted, and port 2 learns its full quota. */
	for (i = 0; i < 20; i++)
		assert_int_equal(lookup_idx(f, i, 0), 1);
	assert_int_equal(fdb_port_count(f, 1), 20);
	for (i = 0; i < 40; i++)
		if (learn_idx(f, 1000 + i, 0, 2, 2) == 0)
			ok++;
	assert_int_equal(ok, 32);
	assert_int_equal(fdb_port_count(f, 2), 32);
	assert_int_equal(stats_of(f).entries, 20 + 32 + 32);
	assert_int_equal(sum_port_counts(f, 4), 20 + 32 + 32);
	fdb_destroy(f);
}

static void test_port_limit_override(void **state)
{
	struct fdb *f = mk_fdb("t_override", 64, 4, 300, 4, NULL);
	struct fdb *g;
	uint32_t i;

	(void)state;
	fdb_set_port_limit(f, 2, 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(learn_idx(f, 100 + i, 0, 2, 0), 0);
	assert_int_equal(learn_idx(f, 110, 0, 2, 0), -EDQUOT);
	for (i = 0; i < 4; i++)
		assert_int_equal(learn_idx(f, 200 + i, 0, 1, 0), 0);
	assert_int_equal(learn_idx(f, 204, 0, 1, 0), -EDQUOT);

	/* Back to the default: nothing is dropped, new MACs are refused. */
	fdb_set_port_limit(f, 2, 0);
	assert_int_equal(fdb_port_count(f, 2), 10);
	assert_int_equal(lookup_idx(f, 109, 0), 2);
	assert_int_equal(learn_idx(f, 111, 0, 2, 0), -EDQUOT);
	/* An override for an unknown port is ignored. */
	fdb_set_port_limit(f, 4, 1);
	fdb_destroy(f);

	/* port_limit 0 means max_entries: one port may fill the table. */
	g = mk_fdb("t_nolimit", 16, 0, 300, 4, NULL);
	for (i = 0; i < 16; i++)
		assert_int_equal(learn_idx(g, i, 0, 0, 0), 0);
	assert_int_equal(learn_idx(g, 16, 0, 0, 0), -ENOSPC);
	fdb_destroy(g);
}

static void test_request_drain(void **state)
{
	struct fdb *f = mk_fdb("t_drain", 8192, 0, 300, 4, NULL);
	struct rte_ether_addr m;
	struct fdb_stats st;
	uint32_t i;

	(void)state;
	for (i = 0; i < 100; i++) {
		m = mac_of(i);
		assert_false(fdb_learn_request(f, &m, 3, (uint16_t)(i % 4), 50));
	}
	/* Duplicates of one MAC within a burst are harmless. */
	m = mac_of(0);
	assert_false(fdb_learn_request(f, &m, 3, 0, 50));
	assert_int_equal(stats_of(f).entries, 0);
	assert_int_equal(lookup_idx(f, 0, 3), FDB_PORT_NONE);

	assert_int_equal(fdb_learn_drain(f, 51), 101);
	assert_int_equal(fdb_learn_drain(f, 51), 0);
	st = stats_of(f);
	assert_int_equal(st.entries, 100);
	assert_int_equal(st.learned, 100);
	for (i = 0; i < 100; i++) {
		assert_int_equal(lookup_idx(f, i, 3), i % 4);
		m = mac_of(i);
		assert_true(fdb_learn_request(f, &m, 3, (uint16_t)(i % 4), 52));
	}

	/* A move goes through the ring too. */
	m = mac_of(7);
	assert_false(fdb_learn_request(f, &m, 3, 0, 53));
	assert_int_equal(fdb_learn_drain(f, 53), 1);
	assert_int_equal(lookup_idx(f, 7, 3), 0);

	/* Overfill the ring: the excess is counted, not queued. */
	for (i = 0; i < REQ_RING_SIZE + 904; i++) {
		m = mac_of(10000 + i);
		assert_false(fdb_learn_request(f, &m, 3, 1, 60));
	}
	assert_int_equal(stats_of(f).requests_lost, 904);
	assert_int_equal(fdb_learn_drain(f, 60), REQ_RING_SIZE);
	st = stats_of(f);
	assert_int_equal(st.entries, 100 + REQ_RING_SIZE);
	assert_int_equal(st.requests_lost, 904);
	assert_int_equal(lookup_idx(f, 10000, 3), 1);
	assert_int_equal(lookup_idx(f, 10000 + REQ_RING_SIZE, 3), FDB_PORT_NONE);
	fdb_destroy(f);
}

/* A learn request wakes an armed control thread once (dataplane/doorbell.h),
 * and fdb_learn_queued() is what it looks at before blocking. */
static void test_request_rings_doorbell(void **state)
{
	struct fdb *f = mk_fdb("t_bell", 8192, 0, 300, 4, NULL);
	struct pollfd p = {.events = POLLIN};
	struct rte_ether_addr m;

	(void)state;
	assert_true(dp_doorbell_open() >= 0);
	p.fd = dp_doorbell_fd();
	dp_doorbell_arm();
	assert_false(fdb_learn_queued(f));
	m = mac_of(1);
	assert_false(fdb_learn_request(f, &m, 0, 1, 10));
	assert_true(fdb_learn_queued(f));
	assert_int_equal(poll(&p, 1, 0), 1);
	dp_doorbell_clear();
	/* not armed: queued, but no write */
	m = mac_of(2);
	assert_false(fdb_learn_request(f, &m, 0, 1, 10));
	assert_int_equal(poll(&p, 1, 0), 0);
	assert_int_equal(fdb_learn_drain(f, 10), 2);
	assert_false(fdb_learn_queued(f));
	/* a known source refreshes in place: nothing queued, nothing rung */
	dp_doorbell_arm();
	assert_true(fdb_learn_request(f, &m, 0, 1, 11));
	assert_false(fdb_learn_queued(f));
	assert_int_equal(poll(&p, 1, 0), 0);
	dp_doorbell_clear();
	dp_doorbell_close();
	fdb_destroy(f);
}

static void test_flush(void **state)
{
	struct fdb *f = mk_fdb("t_flush", 64, 0, 300, 3, NULL);
	uint32_t i;

	(void)state;
	for (i = 0; i < 30; i++)
		assert_int_equal(learn_idx(f, i, 0, (uint16_t)(i % 3), 0), 0);
	assert_int_equal(fdb_flush_port(f, 1), 10);
	assert_int_equal(fdb_flush_port(f, 1), 0);
	assert_int_equal(fdb_flush_port(f, 7), 0);
	assert_int_equal(fdb_port_count(f, 1), 0);
	for (i = 0; i < 30; i++)
		assert_int_equal(lookup_idx(f, i, 0), i % 3 == 1 ? FDB_PORT_NONE : i % 3);
	assert_int_equal(stats_of(f).entries, 20);
	assert_int_equal(fdb_flush(f), 20);
	assert_int_equal(stats_of(f).entries, 0);
	assert_int_equal(sum_port_counts(f, 3), 0);
	for (i = 0; i < 30; i++)
		assert_int_equal(lookup_idx(f, i, 0), FDB_PORT_NONE);
	/* Flushing does not count as ageing, and slots are reusable. */
	assert_int_equal(stats_of(f).aged, 0);
	for (i = 0; i < 64; i++)
		assert_int_equal(learn_idx(f, 500 + i, 0, (uint16_t)(i % 3), 1), 0);
	assert_int_equal(fdb_flush(f), 64);
	fdb_destroy(f);
}

struct walk_ctx {
	uint32_t seen;
	uint32_t stop_after;
	uint32_t now;
	uint32_t bad;
	uint8_t visited[256];
};

/* The walk test learns MAC idx on port idx % 4, VLAN idx % 5, at time 100 + idx. */
static int walk_cb(const struct fdb_entry_info *e, void *arg)
{
	struct walk_ctx *c = arg;
	uint32_t idx = idx_of(&e->mac);

	if (idx >= 256 || c->visited[idx] || e->port != idx % 4 || e->vlan != idx % 5 ||
	    e->age_s != c->now - (100 + idx))
		c->bad++;
	else
		c->visited[idx] = 1;
	c->seen++;
	return c->stop_after != 0 && c->seen >= c->stop_after;
}

static void test_walk(void **state)
{
	struct fdb *f = mk_fdb("t_walk", 64, 0, 300, 4, NULL);
	struct walk_ctx c;
	uint32_t i;

	(void)state;
	for (i = 0; i < 40; i++)
		assert_int_equal(learn_idx(f, i, (uint16_t)(i % 5), (uint16_t)(i % 4), 100 + i), 0);
	memset(&c, 0, sizeof(c));
	c.now = 200;
	fdb_walk(f, 200, walk_cb, &c);
	assert_int_equal(c.seen, 40);
	assert_int_equal(c.bad, 0);
	for (i = 0; i < 40; i++)
		assert_int_equal(c.visited[i], 1);

	memset(&c, 0, sizeof(c));
	c.now = 200;
	c.stop_after = 3;
	fdb_walk(f, 200, walk_cb, &c);
	assert_int_equal(c.seen, 3);
	assert_int_equal(c.bad, 0);
	fdb_destroy(f);
}

static int collect_cb(const struct fdb_entry_info *e, void *arg)
{
	uint8_t *present = arg;
	uint32_t idx = idx_of(&e->mac);

	if (idx < 1024)
		present[idx] = 1;
	return 0;
}

/* Sequential MACs (52:54:00:00:xx:yy, as hypervisors hand them out) fill a
 * table to its size whatever multiplier it drew.  Multiply-shift piles such
 * a run into a few chains for a few multipliers in a thousand (0.5% of these
 * tables refused MACs, some with 20 entries in): a full chain with room left
 * makes the table draw a new multiplier. */
static void test_sequential_macs_fill_any_table(void **state)
{
	(void)state;
	for (unsigned int t = 0; t < 200; t++) {
		struct fdb *f = mk_fdb("t_seq", 512, 0, 300, 4, NULL);

		for (uint32_t i = 0; i < 512; i++)
			if (learn_idx(f, i, 0, (uint16_t)(i % 4), 100 + i / 256) != 0)
				fail_msg("table %u: MAC %u of 512 refused (%u entries, "
					 "refused full %lu limit %lu chain %lu)",
					 t, i, stats_of(f).entries, stats_of(f).refused_full,
					 stats_of(f).refused_limit, stats_of(f).refused_chain);
		fdb_destroy(f);
	}
}

static void test_set_params(void **state)
{
	struct fdb *f = mk_fdb("t_params", 64, 0, 300, 4, NULL);
	uint8_t present[1024];
	struct fdb_params p = {
		.max_entries = 64,
		.aging_s = 300,
		.max_ports = 4,
		.socket_id = SOCKET_ID_ANY,
	};
	struct fdb_stats st;
	uint32_t i;

	(void)state;
	/* Entry i was last seen at 1000 + i: the lower i, the older. */
	for (i = 0; i < 40; i++)
		assert_int_equal(learn_idx(f, i, 0, (uint16_t)(i % 4), 1000 + i), 0);
	assert_int_equal(fdb_set_params(f, 8, 0, 300), -EINVAL);
	assert_int_equal(fdb_set_params(f, 64, 0, 0), -EINVAL);
	/* Same or larger size, other limits: nothing dropped. */
	assert_int_equal(fdb_set_params(f, 40, 5, 300), 0);
	assert_int_equal(stats_of(f).entries, 40);

	/* Shrink to 16: the 24 oldest go. */
	assert_int_equal(fdb_set_params(f, 16, 0, 300), 0);
	st = stats_of(f);
	assert_int_equal(st.entries, 16);
	assert_int_equal(sum_port_counts(f, 4), 16);
	for (i = 0; i < 40; i++)
		assert_int_equal(lookup_idx(f, i, 0), i < 24 ? FDB_PORT_NONE : i % 4);
	assert_int_equal(learn_idx(f, 100, 0, 0, 1100), -ENOSPC);

	/* Grow past the table created at first: a rebuilt table keeps every
	 * entry with its port and timestamp, and takes the new size. */
	assert_int_equal(fdb_set_params(f, 512, 0, 300), 0);
	assert_int_equal(stats_of(f).entries, 16);
	for (i = 24; i < 40; i++)
		assert_int_equal(lookup_idx(f, i, 0), i % 4);
	for (i = 0; i < 496; i++)
		assert_int_equal(learn_idx(f, 500 + i, 0, (uint16_t)(i % 4), 1200), 0);
	assert_int_equal(learn_idx(f, 1, 0, 0, 1200), -ENOSPC);
	assert_int_equal(stats_of(f).entries, 512);
	assert_int_equal(sum_port_counts(f, 4), 512);
	memset(present, 0, sizeof(present));
	fdb_walk(f, 1200, collect_cb, present);
	for (i = 24; i < 40; i++)
		assert_int_equal(present[i], 1);
	/* The timestamps survived the rebuild: entries 24..39 are the oldest. */
	assert_int_equal(fdb_age(f, 1000 + 39 + 300), 16);
	assert_int_equal(stats_of(f).entries, 496);

	/* The name stays taken after a rebuild. */
	p.name = "t_params";
	errno = 0;
	assert_null(fdb_create(&p));
	assert_int_equal(errno, EEXIST);

	/* A second growth. */
	assert_int_equal(fdb_set_params(f, 1024, 0, 300), 0);
	assert_int_equal(stats_of(f).entries, 496);
	assert_int_equal(lookup_idx(f, 500, 0), 0);
	fdb_destroy(f);
}

static void test_bad_params(void **state)
{
	struct fdb_params ok = {
		.name = "t_bad",
		.max_entries = 64,
		.aging_s = 300,
		.max_ports = 4,
		.socket_id = SOCKET_ID_ANY,
	};
	struct fdb_params p;
	struct fdb *f, *g;

	(void)state;
	errno = 0;
	assert_null(fdb_create(NULL));
	assert_int_equal(errno, EINVAL);

	p = ok;
	p.max_entries = 15;
	errno = 0;
	assert_null(fdb_create(&p));
	assert_int_equal(errno, EINVAL);

	p = ok;
	p.aging_s = 0;
	errno = 0;
	assert_null(fdb_create(&p));
	assert_int_equal(errno, EINVAL);

	p = ok;
	p.max_ports = 0;
	errno = 0;
	assert_null(fdb_create(&p));
	assert_int_equal(errno, EINVAL);

	p = ok;
	p.name = NULL;
	errno = 0;
	assert_null(fdb_create(&p));
	assert_int_equal(errno, EINVAL);

	p = ok;
	p.name = "";
	errno = 0;
	assert_null(fdb_create(&p));
	assert_int_equal(errno, EINVAL);

	p = ok;
	p.name = "a-name-far-too-long-for-an-fdb";
	errno = 0;
	assert_null(fdb_create(&p));
	assert_int_equal(errno, EINVAL);

	/* Names are unique. */
	f = fdb_create(&ok);
	assert_non_null(f);
	errno = 0;
	g = fdb_create(&ok);
	assert_null(g);
	assert_int_equal(errno, EEXIST);
	fdb_destroy(f);
	/* ...and free again once destroyed. */
	f = fdb_create(&ok);
	assert_non_null(f);
	fdb_destroy(f);
	fdb_destroy(NULL);
}

/* ---- concurrent readers (smoke) --------------------------------------- */

#define CC_MACS  8192
#define CC_PORTS 8

static struct rte_ether_addr cc_macs[CC_MACS];

static uint16_t cc_port_of(uint32_t idx)
{
	return (uint16_t)((idx * 7u) % CC_PORTS);
}

static uint16_t cc_vlan_of(uint32_t idx)
{
	return (uint16_t)(1 + idx % 3);
}

struct cc_reader {
	struct fdb *f;
	struct rte_rcu_qsbr *qsv;
	uint32_t stop;    /* atomic */
	uint32_t started; /* atomic */
	uint32_t now;     /* atomic: the main thread's clock */
	uint64_t loops;   /* atomic */
	uint64_t lookups;
	uint64_t hits;
	uint64_t bad;
};

static void *cc_reader_main(void *arg)
{
	struct cc_reader *c = arg;
	const struct rte_ether_addr *mp[64];
	uint32_t idx[64], seed = 0x9e3779b9, i;
	uint16_t vlans[64], ports[64], one;

	rte_rcu_qsbr_thread_register(c->qsv, 0);
	rte_rcu_qsbr_thread_online(c->qsv, 0);
	__atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < 64; i++) {
			idx[i] = xorshift32(&seed) % CC_MACS;
			mp[i] = &cc_macs[idx[i]];
			vlans[i] = cc_vlan_of(idx[i]);
		}
		fdb_lookup_bulk(c->f, mp, vlans, 64, ports);
		for (i = 0; i < 64; i++) {
			if (ports[i] == FDB_PORT_NONE)
				continue;
			c->hits++;
			if (ports[i] != cc_port_of(idx[i]))
				c->bad++;
		}
		c->lookups += 64;
		/* One learn per burst, always on the MAC's own port: refreshes
		 * known entries and queues requests for the others. */
		fdb_learn_request(c->f, mp[0], vlans[0], cc_port_of(idx[0]),
				  __atomic_load_n(&c->now, __ATOMIC_RELAXED));
		one = fdb_lookup(c->f, mp[1], vlans[1]);
		if (one != FDB_PORT_NONE && one != cc_port_of(idx[1]))
			c->bad++;
		rte_rcu_qsbr_quiescent(c->qsv, 0);
		__atomic_fetch_add(&c->loops, 1, __ATOMIC_RELEASE);
	}
	rte_rcu_qsbr_thread_offline(c->qsv, 0);
	rte_rcu_qsbr_thread_unregister(c->qsv, 0);
	return NULL;
}

static int cc_check_cb(const struct fdb_entry_info *e, void *arg)
{
	uint32_t *bad = arg;
	uint32_t idx = idx_of(&e->mac);

	if (idx >= CC_MACS || e->port != cc_port_of(idx) || e->vlan != cc_vlan_of(idx))
		(*bad)++;
	return 0;
}

static void cc_wait_loops(struct cc_reader *c, uint64_t n)
{
	uint64_t target = __atomic_load_n(&c->loops, __ATOMIC_ACQUIRE) + n;

	while (__atomic_load_n(&c->loops, __ATOMIC_ACQUIRE) < target)
		rte_pause();
}

static void test_concurrent_readers(void **state)
{
	struct rte_rcu_qsbr *qsv;
	struct cc_reader c;
	struct fdb_stats st;
	struct fdb *f;
	pthread_t th;
	uint32_t i, r, seed = 42, bad = 0, now;
	uint16_t p;

	(void)state;
	for (i = 0; i < CC_MACS; i++)
		cc_macs[i] = mac_of(i);
	qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	assert_non_null(qsv);
	assert_int_equal(rte_rcu_qsbr_init(qsv, 1), 0);
	f = mk_fdb("t_concur", 2048, 0, 5, CC_PORTS, qsv);

	memset(&c, 0, sizeof(c));
	c.f = f;
	c.qsv = qsv;
	assert_int_equal(pthread_create(&th, NULL, cc_reader_main, &c), 0);
	while (!__atomic_load_n(&c.started, __ATOMIC_ACQUIRE))
		rte_pause();

	for (r = 0; r < 400; r++) {
		now = r;
		__atomic_store_n(&c.now, now, __ATOMIC_RELAXED);
		for (i = 0; i < 200; i++) {
			uint32_t idx = xorshift32(&seed) % CC_MACS;

			fdb_learn(f, &cc_macs[idx], cc_vlan_of(idx), cc_port_of(idx), now);
		}
		fdb_learn_drain(f, now);
		fdb_age(f, now);
		if (r % 50 == 25)
			fdb_flush_port(f, (uint16_t)(r % CC_PORTS));
		if (r % 100 == 99)
			fdb_flush(f);
		/* Grow (rebuild and swap under the reader) and shrink. */
		if (r == 150)
			assert_int_equal(fdb_set_params(f, 4096, 0, 5), 0);
		if (r == 250)
			assert_int_equal(fdb_set_params(f, 1024, 0, 5), 0);
		if (r == 300)
			assert_int_equal(fdb_set_params(f, 6000, 300, 5), 0);
	}
	/* Leave a populated table and let the reader see it. */
	for (i = 0; i < 3000; i++)
		fdb_learn(f, &cc_macs[i], cc_vlan_of(i), cc_port_of(i), now);
	cc_wait_loops(&c, 200);

	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(th, NULL), 0);

	print_message("concurrent readers: %" PRIu64 " lookups, %" PRIu64 " hits, %" PRIu64
		      " reader loops\n",
		      c.lookups, c.hits, c.loops);
	assert_true(c.lookups > 0);
	assert_true(c.hits > 0);
	assert_int_equal(c.bad, 0);

	/* The writer's bookkeeping is consistent. */
	fdb_learn_drain(f, now);
	st = stats_of(f);
	fdb_walk(f, now, cc_check_cb, &bad);
	assert_int_equal(bad, 0);
	assert_int_equal(sum_port_counts(f, CC_PORTS), st.entries);
	for (p = 0; p < CC_PORTS; p++)
		assert_true(fdb_port_count(f, p) <= 300);
	fdb_destroy(f);
	rte_free(qsv);
}

int main(void)
{
	/* No --in-memory: DPDK 22.11 treats --no-huge as legacy memory and
	 * refuses the two together (and a failed rte_eal_init cannot be retried
	 * in the same process, its parsed options stick).  --no-shconf already
	 * keeps the runtime config out of shared files. */
	const char *args[] = {"test_fdb",
			      "--no-huge",
			      "-m",
			      "128",
			      "--no-pci",
			      "--no-shconf",
			      "--log-level=*:warning"};
	char *argv[RTE_DIM(args)];
	unsigned int i;
	int ret;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_lookup),
		cmocka_unit_test(test_lookup_bulk),
		cmocka_unit_test(test_learn_ask),
		cmocka_unit_test(test_bucket_chain),
		cmocka_unit_test(test_tombstone_grace),
		cmocka_unit_test(test_vlans_distinct),
		cmocka_unit_test(test_refresh_keeps_alive),
		cmocka_unit_test(test_aging_boundary),
		cmocka_unit_test(test_mac_move),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_port_spray),
		cmocka_unit_test(test_port_limit_override),
		cmocka_unit_test(test_request_drain),
		cmocka_unit_test(test_request_rings_doorbell),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_set_params),
		cmocka_unit_test(test_sequential_macs_fill_any_table),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_concurrent_readers),
	};

	for (i = 0; i < RTE_DIM(args); i++)
		argv[i] = (char *)(uintptr_t)args[i];
	ret = rte_eal_init((int)RTE_DIM(args), argv);
	if (ret < 0) {
		fprintf(stderr, "test_fdb: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return ret;
}
