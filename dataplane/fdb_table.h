/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fdb_table: the memory layout of a bridge's MAC table and the inline probes
 * PMDs run on it.  Included by the pipeline (readers) and by fdb.c and
 * fdb_reader.c (the writer and the slow PMD paths); nothing else should need
 * it.  The thread rules are those of fdb.h.
 *
 * Why this shape (it replaced an rte_hash plus a parallel slot array, which
 * cost ~146 instructions and three separate memory objects per key):
 * - A key is one 64-bit word: 48-bit MAC, 12-bit VLAN, a valid bit.  The
 *   pipeline builds it from one unaligned 8-byte load of the header, hashes
 *   it with one CRC32 instruction and compares it with one instruction.
 * - A bucket is one cache line holding 4 keys with their port and last-seen
 *   time inline, so a hit touches exactly one line, which the pipeline
 *   prefetches for the whole burst before it compares anything.
 * - A bucket that is full chains to an overflow bucket (at most
 *   FDB_CHAIN_MAX of them): inserts never fail while the table has room, and
 *   a guest that crafts colliding MACs can lengthen one chain by at most
 *   FDB_CHAIN_MAX lines before its MACs are refused (counted).
 * - Single writer, lock-free readers: the writer fills port and time, then
 *   publishes the key with a release store; a reader that matched a key
 *   reads the port that belongs to it.  A deleted key becomes FDB_KEY_TOMB
 *   and its slot is reused only after an RCU grace period, so a reader that
 *   matched just before the delete never reads a later key's port.
 */
#ifndef KVS_DP_FDB_TABLE_H
#define KVS_DP_FDB_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>
#ifdef __SSE4_2__
#include <nmmintrin.h>
#endif

#define FDB_WAYS      4
#define FDB_CHAIN_MAX 4 /* overflow buckets after a primary one */
/* New multipliers a table may draw in one second after full chains (see
 * fdb_add_key): what a guest crafting collisions can cost it. */
#define FDB_REHASH_PER_S 4

#define FDB_KEY_FREE  UINT64_C(0)
#define FDB_KEY_TOMB  UINT64_C(1) /* deleted, waiting for a grace period */
#define FDB_KEY_VALID (UINT64_C(1) << 63)
#define FDB_MAC_MASK  UINT64_C(0xffffffffffff)

struct fdb_bucket {
	uint64_t key[FDB_WAYS];  /* writer stores (release), readers load */
	uint32_t seen[FDB_WAYS]; /* last seen, seconds: writer and readers (relaxed) */
	uint16_t port[FDB_WAYS]; /* writer stores, readers load (relaxed) */
	uint32_t next;           /* overflow bucket index, 0 = none (release/acquire) */
	uint32_t reserved;
} __rte_cache_aligned;
_Static_assert(sizeof(struct fdb_bucket) == RTE_CACHE_LINE_SIZE, "one bucket, one line");

/* Read through one pointer by the PMDs; replaced whole (RCU) when the table
 * is resized or rebuilt. */
struct fdb_tbl {
	uint64_t mult;        /* random odd multiplier: the bucket hash's key */
	uint32_t shift;       /* 64 - log2(primary buckets) */
	uint32_t mask;        /* primary buckets - 1 (a power of two - 1) */
	uint32_t n_buckets;   /* primary + overflow */
	struct fdb_bucket *b; /* [0, mask] primary, then the overflow pool */
	uint32_t *ovf_free;   /* writer: stack of free overflow buckets */
	uint32_t n_ovf_free;
	uint32_t ovf_first; /* index of the first overflow bucket */
};

/* The VLAN half of a key, from a TCI (priority bits ignored). */
static inline uint64_t fdb_key_vlan(uint16_t tci)
{
	return (uint64_t)(tci & 0xfff) << 48 | FDB_KEY_VALID;
}

/* The key of (mac48, vlan); mac48 holds the MAC's 6 bytes in memory order in
 * its low 48 bits (as a little-endian 8-byte load gives them). */
static inline uint64_t fdb_key(uint64_t mac48, uint16_t vlan)
{
	return (mac48 & FDB_MAC_MASK) | fdb_key_vlan(vlan);
}

/* The destination and source MACs of an Ethernet header as mac48 values: two
 * unaligned 8-byte loads inside the 14-byte header. */
static inline uint64_t fdb_mac48_dst(const void *eh)
{
	uint64_t v;

	memcpy(&v, eh, sizeof(v));
	return v & FDB_MAC_MASK;
}

static inline uint64_t fdb_mac48_src(const void *eh)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)eh + 4, sizeof(v));
	return v >> 16;
}

/* CRC32-C of the key, for the per-PMD memory of learn requests (not for the
 * table's buckets, see fdb_bucket_of).  DPDK's build (and so ours) targets SSE4.2: one
 * instruction, without rte_hash_crc's run-time choice of algorithm (a load
 * and a branch per key). */
static inline uint32_t fdb_hash(uint64_t key)
{
#ifdef __SSE4_2__
	return (uint32_t)_mm_crc32_u64(0, key);
#else
	return rte_hash_crc_8byte(key, 0);
#endif
}

/*
 * The primary bucket of key: the top bits of key times a random odd number
 * drawn per table (multiply-shift, a universal hash), so a guest cannot
 * compute MACs that share a bucket and fill its chain to keep another MAC
 * out (CRC32 is linear: its collisions do not depend on a seed).  One
 * multiply and one shift, as cheap as the CRC32 it replaced.
 */
static inline struct fdb_bucket *fdb_bucket_of(const struct fdb_tbl *t, uint64_t key)
{
	return &t->b[(key * t->mult) >> t->shift];
}

/* The bucket and way holding key, starting at its primary bucket b, or
 * NULL.  Readers: valid until their next quiescent state. */
static inline struct fdb_bucket *fdb_find_from(const struct fdb_tbl *t, struct fdb_bucket *b,
					       uint64_t key, unsigned int *way)
{
	for (;;) {
		unsigned int w;
		uint32_t nx;

		for (w = 0; w < FDB_WAYS; w++) {
			if (__atomic_load_n(&b->key[w], __ATOMIC_ACQUIRE) == key) {
				*way = w;
				return b;
			}
		}
		nx = __atomic_load_n(&b->next, __ATOMIC_ACQUIRE);
		if (likely(nx == 0))
			return NULL;
		b = &t->b[nx];
	}
}

static inline struct fdb_bucket *fdb_find(const struct fdb_tbl *t, uint64_t key, unsigned int *way)
{
	return fdb_find_from(t, fdb_bucket_of(t, key), key, way);
}

/* A bridge's MAC table (opaque outside dataplane/fdb*.c and the pipeline). */
struct rte_ring;
struct rte_rcu_qsbr;

struct fdb {
	/* Read by the PMDs on every burst: on its own cache line so the
	 * writer's counter updates below do not invalidate it. */
	struct fdb_tbl *tbl; /* atomic: replaced when the table is rebuilt */
	struct rte_ring *req;

	/* Writer (control thread) only. */
	struct rte_rcu_qsbr *qsv __rte_cache_aligned;
	int socket_id;
	uint32_t max_entries;
	uint32_t port_limit;
	uint32_t aging_s;
	uint16_t max_ports;
	uint32_t entries;
	uint32_t last_now;  /* latest `now` the writer was given: the reference
			     * for "oldest" when fdb_set_params shrinks */
	uint32_t *port_cnt; /* [max_ports] entries held by each port */
	uint32_t *port_lim; /* [max_ports] override, 0 = bridge default */
	uint64_t learned, moved, aged, refused_full, refused_limit, refused_chain;
	uint64_t rehashes;        /* rebuilds with a new multiplier after a full chain */
	uint32_t rehash_sec;      /* the second rehash_left is for */
	unsigned int rehash_left; /* draws left in it, of FDB_REHASH_PER_S */
	/* Deleted slots (bucket * FDB_WAYS + way) waiting for a grace period:
	 * `tomb_new` since the last token, `tomb_wait` behind `tomb_token`. */
	uint32_t *tomb_new, *tomb_wait;
	uint32_t n_tomb_new, n_tomb_wait, cap_tomb_new, cap_tomb_wait;
	uint64_t tomb_token;
	char name[20];

	/* Written by the PMDs (atomic add), only when the request ring is full. */
	uint64_t requests_lost __rte_cache_aligned;
};

static inline struct fdb_tbl *fdb_tbl_get(const struct fdb *f)
{
	return __atomic_load_n(&f->tbl, __ATOMIC_ACQUIRE);
}

/*
 * Learn requests a PMD already queued: a 2-way memory of (key, port,
 * second), as large as the request ring, so a source waiting to be learned costs one ring enqueue
 * per second and per PMD instead of one per burst (a boot or migration storm would otherwise fill
 * the ring with duplicates and lose other MACs' requests).  Private to one PMD.
 */
#define FDB_ASKED_SIZE 4096 /* about 56 KB per PMD, touched on the learn path only */
struct fdb_asked {
	uint64_t key[FDB_ASKED_SIZE];
	uint32_t sec[FDB_ASKED_SIZE];
	uint16_t port[FDB_ASKED_SIZE];
};

/* Reader: the entry at (b, w) was seen now.  Stores only when the second
 * changed: every PMD that sees this MAC would otherwise dirty the line on
 * every frame. */
static inline void fdb_touch(struct fdb_bucket *b, unsigned int w, uint32_t now)
{
	if (__atomic_load_n(&b->seen[w], __ATOMIC_RELAXED) != now)
		__atomic_store_n(&b->seen[w], now, __ATOMIC_RELAXED);
}

#endif
