/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-NUMA mbuf pools (pktmbuf.h).  Called by the control thread when a port
 * or PMD needs a pool; pools live until exit, so PMDs may keep pointers. */
#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dataplane/pktmbuf.h"

#define POOL_CACHE 256

static struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
static uint32_t pool_n_mbufs = 65536;

void dp_pool_configure(uint32_t n_mbufs)
{
	pool_n_mbufs = n_mbufs;
}

static int node_index(int numa)
{
	return (numa < 0 || numa >= RTE_MAX_NUMA_NODES) ? 0 : numa;
}

uint32_t dp_pool_size(void)
{
	return pool_n_mbufs;
}

struct rte_mempool *dp_pool_lookup(int numa)
{
	return __atomic_load_n(&pools[node_index(numa)], __ATOMIC_ACQUIRE);
}

struct rte_mempool *dp_pool_get(int numa)
{
	int n = node_index(numa);
	struct rte_mempool *mp = pools[n];
	char name[RTE_MEMPOOL_NAMESIZE];

	if (mp != NULL)
		return mp;
	snprintf(name, sizeof(name), "kvs_mbuf_%d", n);
	mp = rte_pktmbuf_pool_create(name, pool_n_mbufs, POOL_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     n);
	if (mp == NULL)
		/* node without (huge) memory: any node beats no pool */
		mp = rte_pktmbuf_pool_create(name, pool_n_mbufs, POOL_CACHE, 0,
					     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL) {
		errno = rte_errno;
		return NULL;
	}
	__atomic_store_n(&pools[n], mp, __ATOMIC_RELEASE);
	return mp;
}

unsigned int dp_pool_list(struct dp_pool_info *out, unsigned int max)
{
	unsigned int i, k = 0;

	for (i = 0; i < RTE_MAX_NUMA_NODES && k < max; i++) {
		if (pools[i] == NULL)
			continue;
		out[k].numa = (int)i;
		out[k].size = pools[i]->size;
		out[k].in_use = rte_mempool_in_use_count(pools[i]);
		k++;
	}
	return k;
}
