/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Component tests of port mirroring (dataplane/mirror.h): a real bridge,
 * MAC table, pipeline and mbufs, with test ports whose tx keeps what it is
 * given.  Port 4 is the mirrors' output port.  Every test ends with the mbuf
 * pool back at zero in use, so a reference a mirror took and nobody gave
 * back fails the test that made it.
 */
#include "tests/unit/dp_test.h"

#include "dataplane/mirror.h"

#define MAC_A      "52:54:00:00:00:0a"
#define MAC_B      "52:54:00:00:00:0b"
#define MAC_C      "52:54:00:00:00:0c"
#define BCAST      "ff:ff:ff:ff:ff:ff"
#define NPORTS     6
#define SINK_PORTS NPORTS
#include "tests/unit/dp_sink.h"
#define OUT 4

/* Port i's conf: access VLAN tag (0: trunk of trunks[], NULL all), and
 * whether it is a mirror's output port. */
static void port_conf(int i, uint16_t tag, const uint16_t *trunks, int n_trunks, bool mirror_out)
{
	struct dp_port_conf c;

	test_port_vlan(ports[i], br, tag, trunks, n_trunks);
	c = *ports[i]->conf;
	c.mirror_out = mirror_out;
	assert_int_equal(dp_port_set_conf(ports[i], &c), 0);
}

static void publish(void)
{
	uint16_t ids[NPORTS];
	int i;

	for (i = 0; i < NPORTS; i++)
		ids[i] = ports[i]->id;
	assert_int_equal(dp_bridge_set_members(br, ids, NPORTS), 0);
	dp_rcu_flush();
}

/* A mirror to port `out` (its VLANs as configured: access tag or trunk). */
static struct dp_mirror mirror_to(int out, uint16_t out_tag)
{
	struct dp_mirror m;

	memset(&m, 0, sizeof(m));
	m.out = ports[out]->id;
	m.out_vlan.tag = out_tag;
	m.any_vlan = true;
	return m;
}

static void set_mirrors(const struct dp_mirror *m, uint16_t n)
{
	assert_int_equal(dp_bridge_set_mirrors(br, m, n), 0);
	dp_rcu_flush();
}

/* Port OUT as the output port of the mirrors m[0..n). */
static void use_mirrors(const struct dp_mirror *m, uint16_t n)
{
	port_conf(OUT, 0, NULL, 0, true);
	publish();
	set_mirrors(m, n);
}

/* MAC_A on port 0, MAC_B on port 1, MAC_C on port 2, learned; sinks empty. */
static void learn_abc(void)
{
	send1(0, test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60));
	send1(1, test_frame(BCAST, MAC_B, -1, RTE_ETHER_TYPE_ARP, 60));
	send1(2, test_frame(BCAST, MAC_C, -1, RTE_ETHER_TYPE_ARP, 60));
	learn();
	free_sinks();
}

static uint64_t rx_drops(int i, enum dp_drop r)
{
	struct dp_port_totals t;

	dp_port_totals(ports[i], &t);
	return t.rx_drops[r];
}

/* src: what port 0 receives, unicast or flooded, by reference; nothing
 * else; and the output port carries nothing but mirrored frames. */
static void test_mirror_src(void **state)
{
	struct dp_mirror m;

	(void)state;
	m = mirror_to(OUT, 0);
	dp_mirror_add_port(m.src, ports[0]->id);
	use_mirrors(&m, 1);
	learn_abc();
	assert_int_equal(sinks[OUT].n, 0); /* learning frames of 1 and 2: not selected */

	send1(0, test_frame(MAC_B, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 100));
	assert_int_equal(sinks[1].n, 1);
	assert_int_equal(sinks[OUT].n, 1);
	assert_ptr_equal(sinks[OUT].pkts[0], sinks[1].pkts[0]); /* shared, not copied */
	assert_int_equal(rte_mbuf_refcnt_read(sinks[1].pkts[0]), 2);
	free_sinks();

	send1(1, test_frame(MAC_A, MAC_B, -1, RTE_ETHER_TYPE_IPV4, 100));
	send1(2, test_frame(BCAST, MAC_C, -1, RTE_ETHER_TYPE_ARP, 60));
	assert_int_equal(sinks[OUT].n, 0); /* neither is from port 0, and port 4
					    * is in no flood list */
	assert_int_equal(sinks[0].n, 2);
	free_sinks();

	send1(0, test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60));
	assert_int_equal(sinks[OUT].n, 1);
	assert_int_equal(sinks[1].n + sinks[2].n + sinks[3].n + sinks[5].n, 4);
	free_sinks();

	/* what the output port receives is dropped, named, never learned */
	send1(OUT, test_frame(MAC_A, "52:54:00:00:00:44", -1, RTE_ETHER_TYPE_IPV4, 60));
	assert_int_equal(rx_drops(OUT, DP_DROP_MIRROR_RX), 1);
	learn();
	{
		struct rte_ether_addr mac;

		rte_ether_unformat_addr("52:54:00:00:00:44", &mac);
		assert_int_equal(fdb_lookup(br->fdb, &mac, 0), FDB_PORT_NONE);
	}
	assert_int_equal(sinks[0].n, 0);
}

/* dst: frames that go to port 1, unicast or flooded, and only those. */
static void test_mirror_dst(void **state)
{
	struct dp_mirror m;

	(void)state;
	m = mirror_to(OUT, 0);
	dp_mirror_add_port(m.dst, ports[1]->id);
	m.has_dst = true;
	use_mirrors(&m, 1);
	learn_abc();

	send1(0, test_frame(MAC_B, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 100)); /* to 1 */
	send1(0, test_frame(MAC_C, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 100)); /* to 2 */
	send1(2, test_frame(MAC_B, MAC_C, -1, RTE_ETHER_TYPE_IPV4, 100)); /* to 1 */
	assert_int_equal(sinks[OUT].n, 2);
	assert_ptr_equal(sinks[OUT].pkts[0], sinks[1].pkts[0]);
	assert_ptr_equal(sinks[OUT].pkts[1], sinks[1].pkts[1]);
	free_sinks();
	/* flooded: from 0 it reaches 1 (selected), from 1 it does not */
	send1(0, test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60));
	assert_int_equal(sinks[OUT].n, 1);
	send1(1, test_frame(BCAST, MAC_B, -1, RTE_ETHER_TYPE_ARP, 60));
	assert_int_equal(sinks[OUT].n, 1);
	free_sinks();
	/* a unicast frame to an unknown MAC floods, so it reaches port 1 */
	send1(2, test_frame("52:54:00:00:00:99", MAC_C, -1, RTE_ETHER_TYPE_IPV4, 60));
	assert_int_equal(sinks[OUT].n, 1);
}

/* select_vlan with select_all: only VLAN 10; the output port, a trunk,
 * takes VLAN 10 tagged (a copy) and an access output port takes it, and
 * any other VLAN's frames, untagged, by reference. */
static void test_mirror_vlan(void **state)
{
	uint16_t t[] = {10, 20};
	struct dp_mirror m;
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		port_conf(i, 0, t, 2, false);
	m = mirror_to(OUT, 0);
	m.all = true;
	m.any_vlan = false;
	m.vlans[0] |= 1ULL << 10;
	use_mirrors(&m, 1);

	send1(0, test_frame(BCAST, MAC_A, 10, RTE_ETHER_TYPE_ARP, 64));
	send1(0, test_frame(BCAST, MAC_A, 20, RTE_ETHER_TYPE_ARP, 64));
	assert_int_equal(sinks[1].n, 2);
	assert_int_equal(sinks[OUT].n, 1);
	assert_int_equal(test_frame_vlan(sinks[OUT].pkts[0]), 10);
	assert_int_equal(sinks[OUT].pkts[0]->pkt_len, 64);
	assert_ptr_not_equal(sinks[OUT].pkts[0], sinks[1].pkts[0]);
	free_sinks();

	m.out_vlan.tag = 10; /* an access port of VLAN 10 */
	set_mirrors(&m, 1);
	send1(0, test_frame(BCAST, MAC_A, 10, RTE_ETHER_TYPE_ARP, 64));
	assert_int_equal(sinks[OUT].n, 1);
	assert_int_equal(test_frame_vlan(sinks[OUT].pkts[0]), -1);
	assert_int_equal(sinks[OUT].pkts[0]->pkt_len, 60);
	/* the trunks got the tagged copy, untouched by the mirror's share */
	assert_int_equal(test_frame_vlan(sinks[1].pkts[0]), 10);
	assert_int_equal(sinks[1].pkts[0]->pkt_len, 64);
	free_sinks();

	/* an access port takes every VLAN's frames untagged, as in OVS */
	m.vlans[0] |= 1ULL << 20;
	set_mirrors(&m, 1);
	send1(0, test_frame(BCAST, MAC_A, 20, RTE_ETHER_TYPE_ARP, 64));
	assert_int_equal(sinks[OUT].n, 1);
	assert_int_equal(test_frame_vlan(sinks[OUT].pkts[0]), -1);
	assert_int_equal(sinks[OUT].pkts[0]->pkt_len, 60);
}

/* A frame the decide pass tagged in place (unicast to a trunk) reaches an
 * output port that takes its VLAN untagged as an untagged copy, and a frame
 * flooded only to trunks keeps the mirror's reference untagged. */
static void test_mirror_retag(void **state)
{
	uint16_t t[] = {10};
	struct dp_mirror m;

	(void)state;
	port_conf(0, 10, NULL, 0, false);
	port_conf(1, 0, t, 1, false);
	port_conf(2, 0, t, 1, false);
	port_conf(3, 20, NULL, 0, false);
	port_conf(5, 20, NULL, 0, false);
	m = mirror_to(OUT, 10);
	dp_mirror_add_port(m.src, ports[0]->id);
	use_mirrors(&m, 1);
	send1(1, test_frame(BCAST, MAC_B, 10, RTE_ETHER_TYPE_ARP, 64));
	learn();
	free_sinks();

	send1(0, test_frame(MAC_B, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 100));
	assert_int_equal(sinks[1].n, 1);
	assert_int_equal(test_frame_vlan(sinks[1].pkts[0]), 10);
	assert_int_equal(sinks[OUT].n, 1);
	assert_int_equal(test_frame_vlan(sinks[OUT].pkts[0]), -1);
	assert_int_equal(sinks[OUT].pkts[0]->pkt_len, 100);
	free_sinks();

	/* flooded to trunks 1 and 2 only: tagged copy for them, the mirror's
	 * reference stays untagged */
	send1(0, test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60));
	assert_int_equal(sinks[1].n, 1);
	assert_int_equal(sinks[2].n, 1);
	assert_int_equal(test_frame_vlan(sinks[1].pkts[0]), 10);
	assert_int_equal(sinks[OUT].n, 1);
	assert_int_equal(test_frame_vlan(sinks[OUT].pkts[0]), -1);
	assert_int_equal(sinks[OUT].pkts[0]->pkt_len, 60);
}

/* A full output port drops copies as mirror_full; the mirrored ports lose
 * nothing. */
static void test_mirror_full(void **state)
{
	struct rte_mbuf *burst[DP_BURST];
	struct dp_mirror m;
	int i;

	(void)state;
	m = mirror_to(OUT, 0);
	m.all = true;
	use_mirrors(&m, 1);
	sinks[OUT].limit = 3;
	for (i = 0; i < DP_BURST; i++)
		burst[i] = test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60);
	dp_process_burst(ctx, ports[0], 0, burst, DP_BURST);
	for (i = 1; i < NPORTS; i++)
		if (i != OUT)
			assert_int_equal(sinks[i].n, DP_BURST);
	assert_int_equal(sinks[OUT].n, 3);
	assert_int_equal(ports[OUT]->tx[0].drops[DP_DROP_MIRROR_FULL], DP_BURST - 3);
	assert_int_equal(ports[OUT]->tx[0].drops[DP_DROP_TX_RING_FULL], 0);
	/* a full ordinary port still says tx_ring_full */
	sinks[1].limit = 0;
	send1(0, test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60));
	assert_int_equal(ports[1]->tx[0].drops[DP_DROP_TX_RING_FULL], 1);
}

/* Two mirrors to one output port send one copy; a second output port gets
 * its own; removing the set stops mirroring. */
static void test_mirror_dedup_and_remove(void **state)
{
	struct dp_mirror m[3];

	(void)state;
	m[0] = mirror_to(OUT, 0);
	m[0].all = true;
	m[1] = mirror_to(OUT, 0);
	dp_mirror_add_port(m[1].src, ports[0]->id);
	m[2] = mirror_to(5, 0);
	dp_mirror_add_port(m[2].src, ports[0]->id);
	port_conf(5, 0, NULL, 0, true);
	use_mirrors(m, 3);

	send1(0, test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60));
	assert_int_equal(sinks[OUT].n, 1);
	assert_int_equal(sinks[5].n, 1);
	assert_int_equal(sinks[1].n + sinks[2].n + sinks[3].n, 3);
	assert_int_equal(rte_mbuf_refcnt_read(sinks[1].pkts[0]), 5);
	free_sinks();

	set_mirrors(NULL, 0);
	assert_null(br->mirrors);
	send1(0, test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60));
	assert_int_equal(sinks[OUT].n + sinks[5].n, 0);
	assert_int_equal(dp_bridge_set_mirrors(br, m, DP_MAX_MIRRORS + 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mirror_src, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mirror_dst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mirror_vlan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mirror_retag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mirror_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mirror_dedup_and_remove, setup, teardown),
	};

	test_eal_init("test_mirror");
	if (dp_rcu_init(1) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
