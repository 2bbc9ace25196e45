/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for dataplane component tests: an EAL without hugepages, an mbuf
 * pool whose in-use count every test checks at teardown, frame builders, and
 * "test ports" whose tx side captures frames instead of sending them.
 */
#ifndef KVS_TEST_DP_TEST_H
#define KVS_TEST_DP_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/port.h"

static struct rte_mempool *test_pool;

static inline void test_eal_init(const char *name)
{
	char *argv[] = {(char *)name,
			"--no-huge",
			"-m",
			"256",
			"--no-pci",
			"--no-shconf",
			"--log-level=*:warning",
			NULL};

	if (rte_eal_init(7, argv) < 0) {
		fprintf(stderr, "%s: EAL init failed\n", name);
		exit(1);
	}
	test_pool = rte_pktmbuf_pool_create("test_pool", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					    SOCKET_ID_ANY);
	if (test_pool == NULL) {
		fprintf(stderr, "%s: no mbuf pool\n", name);
		exit(1);
	}
}

static inline unsigned int test_in_use(void)
{
	return rte_mempool_in_use_count(test_pool);
}

/* A frame dst <- src, optional 802.1Q tag (vid < 0: none), total length len. */
static inline struct rte_mbuf *test_frame(const char *dst, const char *src, int vid,
					  uint16_t ethertype, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool);
	struct rte_ether_hdr *eh;
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, len);
	assert_non_null(p);
	memset(p, 0xab, len);
	eh = (struct rte_ether_hdr *)p;
	assert_int_equal(rte_ether_unformat_addr(dst, &eh->dst_addr), 0);
	assert_int_equal(rte_ether_unformat_addr(src, &eh->src_addr), 0);
	if (vid >= 0) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16((uint16_t)vid);
		vh->eth_proto = rte_cpu_to_be_16(ethertype);
	} else {
		eh->ether_type = rte_cpu_to_be_16(ethertype);
	}
	return m;
}

/* VLAN of a captured frame: -1 untagged. */
static inline int test_frame_vlan(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN))
		return -1;
	return rte_be_to_cpu_16(((const struct rte_vlan_hdr *)(eh + 1))->vlan_tci) & 0xfff;
}

#endif
