/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Component tests of the switching pipeline: real bridge, MAC table,
 * ports and mbufs, driven burst by burst on the test thread with an injected
 * clock.  Ports are "test ports" whose tx captures frames.  Every test ends
 * by freeing what it captured and checking the mbuf pool is back to zero in
 * use, so a leaked or double-freed mbuf fails the test that caused it.
 */
#include "tests/unit/dp_test.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <rte_rcu_qsbr.h>

#include "dataplane/bridge.h"
#include "dataplane/fdb.h"
#include "dataplane/filter.h"
#include "dataplane/pipeline.h"

#define MAC_A      "52:54:00:00:00:0a"
#define MAC_B      "52:54:00:00:00:0b"
#define MAC_C      "52:54:00:00:00:0c"
#define BCAST      "ff:ff:ff:ff:ff:ff"
#define NPORTS     4
#define SINK_PORTS NPORTS
#include "tests/unit/dp_sink.h"

/* tag: access VLAN or 0; trunks: NULL = all VLANs */
static void port_conf(int i, uint16_t tag, const uint16_t *trunks, int n_trunks)
{
	test_port_vlan(ports[i], br, tag, trunks, n_trunks);
}

static void test_flood_then_unicast(void **state)
{
	(void)state;
	send1(0, test_frame(MAC_B, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 60));
	assert_int_equal(sinks[0].n, 0); /* never back to the ingress port */
	assert_int_equal(sinks[1].n, 1);
	assert_int_equal(sinks[2].n, 1);
	assert_int_equal(sinks[3].n, 1);
	free_sinks();
	learn();
	/* B answers A: A is known, so only port 0 gets it */
	send1(1, test_frame(MAC_A, MAC_B, -1, RTE_ETHER_TYPE_IPV4, 60));
	assert_int_equal(sinks[0].n, 1);
	assert_int_equal(sinks[2].n + sinks[3].n, 0);
	free_sinks();
	learn();
	/* and now A -> B is unicast too: learning from both directions */
	send1(0, test_frame(MAC_B, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 60));
	assert_int_equal(sinks[1].n, 1);
	assert_int_equal(sinks[0].n + sinks[2].n + sinks[3].n, 0);
	assert_int_equal(
		fdb_lookup(br->fdb,
			   &rte_pktmbuf_mtod(sinks[1].pkts[0], struct rte_ether_hdr *)->src_addr,
			   0),
		ports[0]->id);
}

static void test_broadcast_and_multicast_flood(void **state)
{
	(void)state;
	send1(2, test_frame(BCAST, MAC_C, -1, RTE_ETHER_TYPE_ARP, 60));
	send1(2, test_frame("01:00:5e:01:02:03", MAC_C, -1, RTE_ETHER_TYPE_IPV4, 60));
	learn();
	assert_int_equal(sinks[0].n, 2);
	assert_int_equal(sinks[1].n, 2);
	assert_int_equal(sinks[2].n, 0);
	assert_int_equal(sinks[3].n, 2);
	/* the flooded frame is shared, not copied, between untagged ports */
	assert_ptr_equal(sinks[0].pkts[0], sinks[1].pkts[0]);
}

static void test_vlan_isolation_and_trunk_tagging(void **state)
{
	uint16_t t[] = {10, 20};

	(void)state;
	port_conf(0, 10, NULL, 0); /* access 10 */
	port_conf(1, 10, NULL, 0); /* access 10 */
	port_conf(2, 20, NULL, 0); /* access 20 */
	port_conf(3, 0, t, 2);     /* trunk 10,20 */
	dp_rcu_flush();
	send1(0, test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60));
	assert_int_equal(sinks[1].n, 1);
	assert_int_equal(sinks[2].n, 0); /* other VLAN: isolated */
	assert_int_equal(sinks[3].n, 1);
	assert_int_equal(test_frame_vlan(sinks[1].pkts[0]), -1); /* access: untagged */
	assert_int_equal(test_frame_vlan(sinks[3].pkts[0]), 10); /* trunk: tagged 10 */
	assert_int_equal(sinks[3].pkts[0]->pkt_len, 64);
	free_sinks();
	/* tagged 20 from the trunk reaches only access port 20, untagged */
	send1(3, test_frame(BCAST, MAC_C, 20, RTE_ETHER_TYPE_ARP, 64));
	assert_int_equal(sinks[0].n + sinks[1].n, 0);
	assert_int_equal(sinks[2].n, 1);
	assert_int_equal(test_frame_vlan(sinks[2].pkts[0]), -1);
	assert_int_equal(sinks[2].pkts[0]->pkt_len, 60);
	free_sinks();
	/* a VLAN the trunk does not carry is dropped and counted */
	send1(3, test_frame(BCAST, MAC_C, 30, RTE_ETHER_TYPE_ARP, 64));
	assert_int_equal(ports[3]->rxq[0].drops[DP_DROP_VLAN_NOT_ALLOWED], 1);
	/* same MAC in two VLANs is two entries */
	send1(0, test_frame(BCAST, MAC_B, -1, RTE_ETHER_TYPE_ARP, 60));
	send1(2, test_frame(BCAST, MAC_B, -1, RTE_ETHER_TYPE_ARP, 60));
	learn();
	{
		struct rte_ether_addr b;
		rte_ether_unformat_addr(MAC_B, &b);
		assert_int_equal(fdb_lookup(br->fdb, &b, 10), ports[0]->id);
		assert_int_equal(fdb_lookup(br->fdb, &b, 20), ports[2]->id);
	}
}

static void test_unicast_to_trunk_gets_tag(void **state)
{
	uint16_t t[] = {10};

	(void)state;
	port_conf(0, 10, NULL, 0);
	port_conf(1, 0, t, 1);
	dp_rcu_flush();
	send1(1, test_frame(BCAST, MAC_B, 10, RTE_ETHER_TYPE_ARP, 64));
	learn();
	free_sinks();
	send1(0, test_frame(MAC_B, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 100));
	assert_int_equal(sinks[1].n, 1);
	assert_int_equal(test_frame_vlan(sinks[1].pkts[0]), 10);
	assert_int_equal(sinks[1].pkts[0]->pkt_len, 104);
}

static void test_flood_mixed_tagged_untagged_no_leak(void **state)
{
	uint16_t t[] = {0, 10};
	struct rte_mbuf *burst[DP_BURST];
	int i;

	(void)state;
	port_conf(0, 0, t, 2); /* trunk 0,10: sends untagged VLAN 0 frames */
	port_conf(1, 0, t, 2);
	port_conf(2, 0, NULL, 0);
	port_conf(3, 10, NULL, 0);
	dp_rcu_flush();
	for (i = 0; i < DP_BURST; i++)
		burst[i] = test_frame(BCAST, MAC_A, 10, RTE_ETHER_TYPE_ARP, 64);
	dp_process_burst(ctx, ports[0], 0, burst, DP_BURST);
	for (i = 1; i < NPORTS; i++)
		assert_int_equal(sinks[i].n, DP_BURST);
	/* ports 1 and 2 share one tagged copy, port 3 the untagged original */
	assert_ptr_equal(sinks[1].pkts[5], sinks[2].pkts[5]);
	assert_ptr_not_equal(sinks[1].pkts[5], sinks[3].pkts[5]);
	assert_int_equal(test_frame_vlan(sinks[1].pkts[5]), 10);
	assert_int_equal(test_frame_vlan(sinks[3].pkts[5]), -1);
}

static void test_malformed_counted_forwarding_continues(void **state)
{
	struct rte_mbuf *b[6];
	const struct dp_rxq_stats *st = &ports[0]->rxq[0];

	(void)state;
	b[0] = test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 14);
	rte_pktmbuf_trim(b[0], 2);                                      /* runt */
	b[1] = test_frame(BCAST, MAC_A, -1, 1400, 60);                  /* bad length */
	b[2] = test_frame(BCAST, MAC_A, 5, RTE_ETHER_TYPE_QINQ, 68);    /* double tag */
	b[3] = test_frame(BCAST, MAC_A, 5, RTE_ETHER_TYPE_VLAN, 68);    /* double tag */
	b[4] = test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 1600); /* oversize */
	b[5] = test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 60);   /* good */
	dp_process_burst(ctx, ports[0], 0, b, 6);
	assert_int_equal(st->packets, 6);
	assert_int_equal(st->drops[DP_DROP_RUNT], 1);
	assert_int_equal(st->drops[DP_DROP_BAD_LENGTH], 1);
	assert_int_equal(st->drops[DP_DROP_DOUBLE_VLAN], 2);
	assert_int_equal(st->drops[DP_DROP_OVERSIZE], 1);
	assert_int_equal(sinks[1].n, 1);
	assert_int_equal(sinks[2].n, 1);
}

static void test_hairpin_and_move(void **state)
{
	struct rte_ether_addr a;

	(void)state;
	rte_ether_unformat_addr(MAC_A, &a);
	send1(0, test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60));
	send1(1, test_frame(BCAST, MAC_B, -1, RTE_ETHER_TYPE_ARP, 60));
	learn();
	free_sinks();
	/* a frame to A arriving on A's own port is dropped as hairpin */
	send1(0, test_frame(MAC_A, MAC_C, -1, RTE_ETHER_TYPE_IPV4, 60));
	assert_int_equal(ports[0]->rxq[0].drops[DP_DROP_HAIRPIN], 1);
	assert_int_equal(sinks[1].n + sinks[2].n + sinks[3].n, 0);
	/* A moves to port 2 */
	send1(2, test_frame(MAC_B, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 60));
	learn();
	assert_int_equal(fdb_lookup(br->fdb, &a, 0), ports[2]->id);
	free_sinks();
	send1(1, test_frame(MAC_A, MAC_B, -1, RTE_ETHER_TYPE_IPV4, 60));
	assert_int_equal(sinks[2].n, 1);
	assert_int_equal(sinks[0].n + sinks[3].n, 0);
}

static void test_ageing_with_injected_clock(void **state)
{
	struct rte_ether_addr a;

	(void)state;
	rte_ether_unformat_addr(MAC_A, &a);
	send1(0, test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60));
	learn();
	free_sinks();
	ctx->now += 299;
	assert_int_equal(fdb_age(br->fdb, ctx->now), 0);
	send1(1, test_frame(MAC_A, MAC_B, -1, RTE_ETHER_TYPE_IPV4, 60));
	assert_int_equal(sinks[0].n, 1);
	assert_int_equal(sinks[2].n, 0);
	free_sinks();
	ctx->now += 301;
	fdb_learn_drain(br->fdb, ctx->now);
	assert_true(fdb_age(br->fdb, ctx->now) >= 1);
	assert_int_equal(fdb_lookup(br->fdb, &a, 0), FDB_PORT_NONE);
	/* unknown again: flooded */
	send1(1, test_frame(MAC_A, MAC_B, -1, RTE_ETHER_TYPE_IPV4, 60));
	assert_int_equal(sinks[0].n, 1);
	assert_int_equal(sinks[2].n, 1);
}

static void test_tx_full_counted_and_freed(void **state)
{
	struct rte_mbuf *burst[DP_BURST];
	int i;

	(void)state;
	sinks[1].limit = 5;
	for (i = 0; i < DP_BURST; i++)
		burst[i] = test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60);
	dp_process_burst(ctx, ports[0], 0, burst, DP_BURST);
	assert_int_equal(sinks[1].n, 5);
	assert_int_equal(ports[1]->tx[0].drops[DP_DROP_TX_RING_FULL], DP_BURST - 5);
	assert_int_equal(sinks[2].n, DP_BURST);
}

static void test_no_bridge_and_no_output(void **state)
{
	struct dp_port_conf c = {.max_len = 1514, .bridge = NULL};
	uint16_t only[] = {0};

	(void)state;
	vlan_set_all(c.vlan.trunks);
	assert_int_equal(dp_bridge_set_members(br, only, 0), 0);
	dp_rcu_flush();
	send1(0, test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60));
	assert_int_equal(ports[0]->rxq[0].drops[DP_DROP_NO_OUTPUT], 1);
	dp_port_set_conf(ports[0], &c);
	dp_rcu_flush();
	send1(0, test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60));
	assert_int_equal(ports[0]->rxq[0].drops[DP_DROP_NO_BRIDGE], 1);
}

/* Set the PCP and DEI bits of a tagged test frame's TCI. */
static struct rte_mbuf *with_prio(struct rte_mbuf *m, uint16_t pcp, uint16_t dei)
{
	struct rte_vlan_hdr *vh =
		rte_pktmbuf_mtod_offset(m, struct rte_vlan_hdr *, sizeof(struct rte_ether_hdr));
	uint16_t tci = rte_be_to_cpu_16(vh->vlan_tci);

	vh->vlan_tci = rte_cpu_to_be_16((uint16_t)(pcp << 13 | dei << 12 | (tci & 0xfff)));
	return m;
}

static uint16_t frame_tci(const struct rte_mbuf *m)
{
	const struct rte_vlan_hdr *vh = rte_pktmbuf_mtod_offset(m, const struct rte_vlan_hdr *,
								sizeof(struct rte_ether_hdr));

	return rte_be_to_cpu_16(vh->vlan_tci);
}

/* 802.1p priority and DEI cross the switch: trunk to trunk, flooded and
 * unicast; a priority tag on an access port carries its PCP to a trunk. */
static void test_priority_kept(void **state)
{
	uint16_t t[] = {10};

	(void)state;
	port_conf(0, 0, t, 1);
	port_conf(1, 0, t, 1);
	port_conf(2, 10, NULL, 0);
	port_conf(3, 0, t, 1);
	dp_rcu_flush();
	send1(0, with_prio(test_frame(BCAST, MAC_A, 10, RTE_ETHER_TYPE_ARP, 64), 5, 1));
	assert_int_equal(sinks[1].n, 1);
	assert_int_equal(frame_tci(sinks[1].pkts[0]), 5 << 13 | 1 << 12 | 10);
	assert_int_equal(sinks[2].n, 1);
	assert_int_equal(test_frame_vlan(sinks[2].pkts[0]), -1);
	learn();
	free_sinks();
	send1(1, with_prio(test_frame(MAC_A, MAC_B, 10, RTE_ETHER_TYPE_IPV4, 100), 3, 0));
	assert_int_equal(sinks[0].n, 1);
	assert_int_equal(frame_tci(sinks[0].pkts[0]), 3 << 13 | 10);
	free_sinks();
	/* access port: priority-tagged (VID 0) frame keeps its PCP on a trunk */
	send1(2, with_prio(test_frame(MAC_A, MAC_C, 0, RTE_ETHER_TYPE_IPV4, 100), 6, 0));
	assert_int_equal(sinks[0].n, 1);
	assert_int_equal(frame_tci(sinks[0].pkts[0]), 6 << 13 | 10);
}

/* A port moved to another VLAN after the flood lists were built (they are
 * rebuilt when the members are published) is re-checked against its
 * current conf: a stale list never leaks a frame into a VLAN it left. */
static void test_flood_list_stale_conf(void **state)
{
	uint16_t ids[NPORTS];
	int i;

	(void)state;
	for (i = 0; i < NPORTS; i++) {
		port_conf(i, 10, NULL, 0);
		ids[i] = ports[i]->id;
	}
	assert_int_equal(dp_bridge_set_members(br, ids, NPORTS), 0);
	port_conf(3, 20, NULL, 0); /* not republished yet */
	dp_rcu_flush();
	send1(0, test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60));
	assert_int_equal(sinks[1].n, 1);
	assert_int_equal(sinks[2].n, 1);
	assert_int_equal(sinks[3].n, 0);
	free_sinks();
	port_conf(1, 20, NULL, 0);
	assert_int_equal(dp_bridge_set_members(br, ids, NPORTS), 0);
	dp_rcu_flush();
	send1(3, test_frame(BCAST, MAC_B, -1, RTE_ETHER_TYPE_ARP, 60));
	assert_int_equal(sinks[1].n, 1);
	assert_int_equal(sinks[0].n + sinks[2].n, 0);
}

/* The egress policy is read once per burst: a writer swapping it as fast as
 * it can never splits a burst between the old and the new policy. */
struct swapper {
	struct dp_port *p;
	struct filter *f[2];
	uint32_t stop; /* atomic */
	uint64_t swaps;
};

static void *swapper_main(void *arg)
{
	struct swapper *sw = arg;

	while (!__atomic_load_n(&sw->stop, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&sw->p->filter[FILTER_DIR_EGRESS], sw->f[sw->swaps & 1],
				 __ATOMIC_RELEASE);
		sw->swaps++;
	}
	return NULL;
}

static void test_egress_policy_per_burst(void **state)
{
	struct filter_rules allow = {.n = 0, .default_allow = true};
	struct filter_rules deny = {.n = 0, .default_allow = false};
	struct rte_mbuf *burst[DP_BURST];
	struct swapper sw = {.p = ports[1]};
	unsigned int round, i, mixed = 0, full = 0, none = 0;
	char err[256];
	pthread_t th;
	time_t t0;

	(void)state;
	sw.f[0] = filter_from_rules(&allow, err, sizeof(err));
	sw.f[1] = filter_from_rules(&deny, err, sizeof(err));
	assert_non_null(sw.f[0]);
	assert_non_null(sw.f[1]);
	send1(1, test_frame(BCAST, MAC_B, -1, RTE_ETHER_TYPE_ARP, 60));
	learn();
	free_sinks();
	assert_int_equal(pthread_create(&th, NULL, swapper_main, &sw), 0);
	/* at least 2000 bursts, and on until both policies were seen whole (a
	 * loaded machine may not run the swapper for a while), 60 s at most */
	t0 = time(NULL);
	for (round = 0; round < 2000 || ((full == 0 || none == 0) && time(NULL) - t0 < 60);
	     round++) {
		for (i = 0; i < DP_BURST; i++)
			burst[i] = test_frame(MAC_B, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 60);
		dp_process_burst(ctx, ports[0], 0, burst, DP_BURST);
		if (sinks[1].n == DP_BURST)
			full++;
		else if (sinks[1].n == 0)
			none++;
		else
			mixed++;
		free_sinks();
	}
	__atomic_store_n(&sw.stop, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(th, NULL), 0);
	ports[1]->filter[FILTER_DIR_EGRESS] = NULL;
	filter_destroy(sw.f[0]);
	filter_destroy(sw.f[1]);
	print_message("egress swaps %" PRIu64 ": bursts passed %u, denied %u, mixed %u\n", sw.swaps,
		      full, none, mixed);
	assert_int_equal(mixed, 0);
	assert_true(full > 0);
	assert_true(none > 0);
}

/* A flooded burst with egress filters: the targets are resolved once per
 * burst, the filters asked per frame and per port. */
static void test_flood_egress_per_frame(void **state)
{
	struct filter_rules deny_all = {.n = 0, .default_allow = false};
	struct filter_rules deny_c = {.n = 1, .default_allow = true};
	struct rte_mbuf *burst[DP_BURST];
	struct filter *f2, *f3;
	char err[256];
	int i;

	(void)state;
	rte_ether_unformat_addr(MAC_C, &deny_c.r[0].mac);
	memset(&deny_c.r[0].mask, 0xff, sizeof(deny_c.r[0].mask));
	deny_c.r[0].allow = false;
	f2 = filter_from_rules(&deny_all, err, sizeof(err));
	f3 = filter_from_rules(&deny_c, err, sizeof(err));
	assert_non_null(f2);
	assert_non_null(f3);
	dp_port_set_filter(ports[2], FILTER_DIR_EGRESS, f2);
	dp_port_set_filter(ports[3], FILTER_DIR_EGRESS, f3);
	dp_rcu_flush();
	for (i = 0; i < DP_BURST; i++)
		burst[i] = test_frame(BCAST, i % 2 ? MAC_C : MAC_A, -1, RTE_ETHER_TYPE_ARP, 60);
	dp_process_burst(ctx, ports[0], 0, burst, DP_BURST);
	assert_int_equal(sinks[1].n, DP_BURST);
	assert_int_equal(sinks[2].n, 0);
	assert_int_equal(sinks[3].n, DP_BURST / 2);
	assert_int_equal(ports[2]->tx[0].drops[DP_DROP_FILTER_EGRESS], DP_BURST);
	assert_int_equal(ports[3]->tx[0].drops[DP_DROP_FILTER_EGRESS], DP_BURST / 2);
	for (i = 0; i < DP_BURST / 2; i++)
		assert_int_equal(rte_pktmbuf_mtod(sinks[3].pkts[i], struct rte_ether_hdr *)
					 ->src_addr.addr_bytes[5],
				 0x0a);
	dp_port_set_filter(ports[2], FILTER_DIR_EGRESS, NULL);
	dp_port_set_filter(ports[3], FILTER_DIR_EGRESS, NULL);
	dp_rcu_flush();
}

/* dp_rcu_flush is a barrier even when nothing was deferred: callers rely on
 * it to know no PMD still uses what they just unpublished. */
static uint32_t reader_reported; /* atomic */

static void *slow_reader_main(void *arg)
{
	struct rte_rcu_qsbr *qsv = arg;

	usleep(100 * 1000);
	__atomic_store_n(&reader_reported, 1, __ATOMIC_RELEASE);
	rte_rcu_qsbr_quiescent(qsv, 0);
	return NULL;
}

static void test_rcu_flush_is_a_barrier(void **state)
{
	struct rte_rcu_qsbr *qsv = dp_rcu();
	pthread_t th;

	(void)state;
	assert_non_null(qsv);
	assert_int_equal(rte_rcu_qsbr_thread_register(qsv, 0), 0);
	rte_rcu_qsbr_thread_online(qsv, 0);
	assert_int_equal(pthread_create(&th, NULL, slow_reader_main, qsv), 0);
	dp_rcu_flush(); /* nothing deferred */
	assert_int_equal(__atomic_load_n(&reader_reported, __ATOMIC_ACQUIRE), 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	rte_rcu_qsbr_thread_offline(qsv, 0);
	rte_rcu_qsbr_thread_unregister(qsv, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flood_then_unicast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_and_multicast_flood, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vlan_isolation_and_trunk_tagging, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unicast_to_trunk_gets_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_mixed_tagged_untagged_no_leak, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed_counted_forwarding_continues, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hairpin_and_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ageing_with_injected_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_full_counted_and_freed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_bridge_and_no_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_list_stale_conf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_egress_policy_per_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_egress_per_frame, setup, teardown),
		cmocka_unit_test(test_rcu_flush_is_a_barrier),
	};

	test_eal_init("test_pipeline");
	if (dp_rcu_init(1) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
