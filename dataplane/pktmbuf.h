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

struct rte_mempool;

/* Control thread, before any pool exists. */
void dp_pool_configure(uint32_t n_mbufs);
/* Control thread: the pool of `numa` (SOCKET_ID_ANY: node 0), created if
 * needed. NULL + errno. */
struct rte_mempool *dp_pool_get(int numa);
/* Any thread: the pool if it exists, else NULL. */
struct rte_mempool *dp_pool_lookup(int numa);

struct dp_pool_info {
	int numa;
	uint32_t size, in_use;
};
/* Control thread: fill up to max entries; returns the count. */
unsigned int dp_pool_list(struct dp_pool_info *out, unsigned int max);

#endif
