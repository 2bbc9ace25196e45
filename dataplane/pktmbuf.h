/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pktmbuf: one mbuf pool per NUMA node, shared by every port and PMD on that
 * node, created on first use by the control thread.  Frames are received into
 * the pool of the queue's node (a vhost port's node is its guest memory's), so
 * a PMD on that node touches local memory only.
 */
#ifndef KVS_DP_PKTMBUF_H
#define KVS_DP_PKTMBUF_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

/* Control thread, before any pool exists. */
void dp_pool_configure(uint32_t n_mbufs);
/* Control thread: the pool of `numa` (SOCKET_ID_ANY: node 0), created if
 * needed. NULL + errno. */
struct rte_mempool *dp_pool_get(int numa);
/* Any thread: mbufs per pool (n-mbufs). */
uint32_t dp_pool_size(void);
/* Any thread: the pool if it exists, else NULL. */
struct rte_mempool *dp_pool_lookup(int numa);

struct dp_pool_info {
	int numa;
	uint32_t size, in_use;
};
/* Control thread: fill up to max entries; returns the count. */
unsigned int dp_pool_list(struct dp_pool_info *out, unsigned int max);

/*
 * PMD: free a burst of mbufs a port is done with.  The common burst (every
 * mbuf direct, unshared, one segment, from one pool) goes back to the pool
 * in one bulk put: about 10 instructions a frame where rte_pktmbuf_free_bulk
 * spends about 40 on per-mbuf checks and resets it does not need here.
 * Anything else takes the general path.
 */
static inline void dp_mbuf_free_burst(struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mempool *mp;
	uint16_t i;

	if (n == 0)
		return;
	mp = pkts[0]->pool;
	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];

		/* one segment implies no next */
		if (unlikely(m->pool != mp || rte_mbuf_refcnt_read(m) != 1 || m->nb_segs != 1 ||
			     !RTE_MBUF_DIRECT(m))) {
			rte_pktmbuf_free_bulk(pkts, n);
			return;
		}
	}
	rte_mempool_put_bulk(mp, (void **)pkts, n);
}

#endif
