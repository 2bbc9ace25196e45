/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fdb_reader: the PMD side of the MAC table that is not inline in the
 * pipeline: learn requests (with the per-PMD memory of what was asked) and
 * lookups by MAC for callers that hold rte_ether_addr (tests, tools).
 * Lock-free; thread rules in fdb.h.
 */
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dataplane/fdb.h"
#include "dataplane/doorbell.h"
#include "dataplane/fdb_priv.h"
#include "dataplane/fdb_table.h"

static void fdb_req_put(struct fdb *f, uint64_t key, uint16_t port, bool *queued)
{
	struct fdb_req req = {.key = key, .port = port};

	*queued = rte_ring_mp_enqueue_elem(f->req, &req, sizeof(req)) == 0;
	if (*queued)
		dp_doorbell_ring(); /* the control thread may be asleep for 100 ms */
	else
		__atomic_fetch_add(&f->requests_lost, 1, __ATOMIC_RELAXED);
}

void fdb_learn_ask(struct fdb *f, struct fdb_asked *a, uint64_t key, uint16_t port, uint32_t now)
{
	uint32_t h = fdb_hash(key) ^ port, i = h & (FDB_ASKED_SIZE - 1), j = i ^ 1;
	bool queued;

	if (a->key[i] == key && a->port[i] == port && a->sec[i] == now)
		return;
	if (a->key[j] == key && a->port[j] == port && a->sec[j] == now)
		return;
	fdb_req_put(f, key, port, &queued);
	/* replace the older of the two ways (on a tie, pick by a hash bit) */
	if (a->sec[j] != a->sec[i] ? (int32_t)(a->sec[j] - a->sec[i]) < 0 : (h >> 16) & 1)
		i = j;
	/* A lost request is asked again at the next frame, not next second. */
	if (queued) {
		a->key[i] = key;
		a->port[i] = port;
		a->sec[i] = now;
	}
}

static uint16_t fdb_lookup_key(const struct fdb_tbl *t, uint64_t key)
{
	unsigned int w;
	const struct fdb_bucket *b = fdb_find(t, key, &w);

	return b ? __atomic_load_n(&b->port[w], __ATOMIC_RELAXED) : FDB_PORT_NONE;
}

void fdb_lookup_bulk(const struct fdb *f, const struct rte_ether_addr *const macs[],
		     const uint16_t vlans[], unsigned int n, uint16_t ports[])
{
	const struct fdb_tbl *t = fdb_tbl_get(f);
	uint64_t keys[64];
	unsigned int i, done, m;

	for (done = 0; done < n; done += m) {
		m = RTE_MIN(n - done, 64u);
		for (i = 0; i < m; i++) {
			keys[i] = fdb_key_of_mac(macs[done + i], vlans[done + i]);
			rte_prefetch0(fdb_bucket_of(t, keys[i]));
		}
		for (i = 0; i < m; i++)
			ports[done + i] = fdb_lookup_key(t, keys[i]);
	}
}

uint16_t fdb_lookup(const struct fdb *f, const struct rte_ether_addr *mac, uint16_t vlan)
{
	return fdb_lookup_key(fdb_tbl_get(f), fdb_key_of_mac(mac, vlan));
}

bool fdb_learn_request(struct fdb *f, const struct rte_ether_addr *mac, uint16_t vlan,
		       uint16_t port, uint32_t now)
{
	const struct fdb_tbl *t = fdb_tbl_get(f);
	uint64_t key = fdb_key_of_mac(mac, vlan);
	struct fdb_bucket *b;
	unsigned int w;
	bool queued;

	b = fdb_find(t, key, &w);
	if (b != NULL && __atomic_load_n(&b->port[w], __ATOMIC_RELAXED) == port) {
		fdb_touch(b, w, now);
		return true;
	}
	fdb_req_put(f, key, port, &queued);
	return false;
}
