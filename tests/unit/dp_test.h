/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for dataplane component tests: an EAL without hugepages, an mbuf
 * pool whose in-use count every test checks at teardown, frame builders, and
 * a bridge of "test ports" whose tx side (the test's) keeps or counts frames
 * instead of sending them.
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

#include "dataplane/bridge.h"
#include "dataplane/fdb.h"
#include "dataplane/pipeline.h"
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

/* A test port's rx: nothing (tests hand bursts to dp_process_burst). */
static inline uint16_t test_rx_none(struct dp_port *p, uint16_t q, struct rte_mbuf **pkts,
				    uint16_t n)
{
	(void)p, (void)q, (void)pkts, (void)n;
	return 0;
}

/* A test port's tx that counts the frames in *(unsigned int *)p->priv and
 * frees them (it owns them, as a real port's tx does). */
static inline uint16_t test_tx_count(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts,
				     uint16_t n)
{
	(void)pmd;
	*(unsigned int *)p->priv += n;
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

/* A test port's tx that keeps up to `limit` frames (the test frees them),
 * refusing the rest as a full queue does: p->priv is a struct test_sink. */
struct test_sink {
	struct rte_mbuf *pkts[512];
	unsigned int n;
	unsigned int limit; /* accept at most this many in total */
};

static inline uint16_t test_sink_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts,
				    uint16_t n)
{
	struct test_sink *c = p->priv;
	uint16_t i, ok = 0;

	for (i = 0; i < n && c->n < c->limit; i++, ok++) {
		c->pkts[c->n++] = pkts[i];
		p->tx[pmd].packets++;
		p->tx[pmd].bytes += pkts[i]->pkt_len;
	}
	if (ok < n)
		dp_port_drop_tx(p, pmd, dp_port_full_reason(p), pkts + ok, n - ok);
	return ok;
}

/* p in br, access VLAN tag, or (tag 0) trunk of the VLANs trunks[] (NULL:
 * every VLAN). */
static inline void test_port_vlan(struct dp_port *p, struct dp_bridge *br, uint16_t tag,
				  const uint16_t *trunks, int n_trunks)
{
	struct dp_port_conf c = {.max_len = 1500 + RTE_ETHER_HDR_LEN, .bridge = br};
	int k;

	c.vlan.tag = tag;
	if (tag)
		c.vlan.trunks[tag >> 6] |= 1ULL << (tag & 63);
	else if (trunks == NULL)
		vlan_set_all(c.vlan.trunks);
	for (k = 0; k < n_trunks; k++)
		c.vlan.trunks[trunks[k] >> 6] |= 1ULL << (trunks[k] & 63);
	assert_int_equal(dp_port_set_conf(p, &c), 0);
}

/* A bridge "br0" of n test ports p0.. driven by ops, ports[i]->priv =
 * priv[i], each an untagged member of every VLAN (tests change that),
 * published; *ctx a PMD context at second 1000.  A grace period has passed. */
static inline struct dp_bridge *test_bridge_create(unsigned int n, const struct dp_port_ops *ops,
						   void *const *priv, struct dp_port **ports,
						   struct dp_pmd_ctx **ctx)
{
	struct fdb_params fp = {.name = "t",
				.max_entries = 64,
				.aging_s = 300,
				.max_ports = DP_MAX_PORTS,
				.socket_id = SOCKET_ID_ANY};
	struct dp_bridge *br = dp_bridge_create("br0", &fp);
	uint16_t ids[DP_MAX_PORTS];
	char name[8];
	unsigned int i;

	assert_non_null(br);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "p%u", i);
		ports[i] = dp_port_alloc(name, DP_PORT_TEST, ops, SOCKET_ID_ANY);
		assert_non_null(ports[i]);
		ports[i]->priv = priv[i];
		test_port_vlan(ports[i], br, 0, NULL, 0);
		dp_port_publish(ports[i]);
		ids[i] = ports[i]->id;
	}
	assert_int_equal(dp_bridge_set_members(br, ids, (uint16_t)n), 0);
	*ctx = dp_pmd_ctx_create(0, SOCKET_ID_ANY, test_pool);
	assert_non_null(*ctx);
	(*ctx)->now = 1000;
	dp_rcu_flush();
	return br;
}

/* Undo test_bridge_create, then the check every test gets: no mbuf leaked. */
static inline void test_bridge_destroy(struct dp_bridge *br, unsigned int n, struct dp_port **ports,
				       struct dp_pmd_ctx *ctx)
{
	unsigned int i;

	dp_pmd_ctx_destroy(ctx);
	for (i = 0; i < n; i++) {
		dp_port_unpublish(ports[i]);
		dp_port_free(ports[i]);
	}
	dp_bridge_destroy(br);
	dp_rcu_flush();
	assert_int_equal(test_in_use(), 0);
}

#endif
