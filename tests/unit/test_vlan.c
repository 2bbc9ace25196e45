/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of 802.1Q classification, stripping and tagging (dataplane/vlan.c)
 * and of the malformed-frame checks that share its parser. */
#include "tests/unit/dp_test.h"

#include "dataplane/vlan.h"

#define A "52:54:00:00:00:0a"
#define B "52:54:00:00:00:0b"

static struct vlan_port access10 = {.tag = 10};
static struct vlan_port trunk_all;
static struct vlan_port trunk_10_20;

static int setup(void **state)
{
	(void)state;
	vlan_set_all(trunk_all.trunks);
	memset(trunk_10_20.trunks, 0, sizeof(trunk_10_20.trunks));
	trunk_10_20.trunks[0] = (1ULL << 10) | (1ULL << 20);
	return 0;
}

static enum dp_drop classify(const struct vlan_port *p, struct rte_mbuf *m, uint16_t *vid)
{
	return vlan_ingress(p, m, 1500 + RTE_ETHER_HDR_LEN, vid);
}

static void test_access_untagged(void **state)
{
	struct rte_mbuf *m = test_frame(B, A, -1, RTE_ETHER_TYPE_IPV4, 60);
	uint16_t vid = 0;

	(void)state;
	assert_int_equal(classify(&access10, m, &vid), DP_DROP_MAX);
	assert_int_equal(vid, 10);
	assert_int_equal(m->pkt_len, 60);
	rte_pktmbuf_free(m);
	assert_int_equal(test_in_use(), 0);
}

static void test_access_priority_tag_and_foreign_tag(void **state)
{
	struct rte_mbuf *m = test_frame(B, A, 0, RTE_ETHER_TYPE_IPV4, 64);
	uint16_t vid = 0;

	(void)state;
	assert_int_equal(classify(&access10, m, &vid), DP_DROP_MAX);
	assert_int_equal(vid, 10);
	assert_int_equal(m->pkt_len, 60); /* priority tag stripped */
	assert_int_equal(test_frame_vlan(m), -1);
	rte_pktmbuf_free(m);

	m = test_frame(B, A, 20, RTE_ETHER_TYPE_IPV4, 64);
	assert_int_equal(classify(&access10, m, &vid), DP_DROP_VLAN_NOT_ALLOWED);
	rte_pktmbuf_free(m);
	assert_int_equal(test_in_use(), 0);
}

static void test_trunk_pop_keeps_addresses(void **state)
{
	struct rte_mbuf *m = test_frame(B, A, 20, RTE_ETHER_TYPE_IPV4, 64);
	struct rte_ether_addr a, b;
	struct rte_ether_hdr *eh;
	uint16_t vid = 0;

	(void)state;
	rte_ether_unformat_addr(A, &a);
	rte_ether_unformat_addr(B, &b);
	assert_int_equal(classify(&trunk_10_20, m, &vid), DP_DROP_MAX);
	assert_int_equal(vid, 20);
	assert_int_equal(m->pkt_len, 60);
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	assert_true(rte_is_same_ether_addr(&eh->src_addr, &a));
	assert_true(rte_is_same_ether_addr(&eh->dst_addr, &b));
	assert_int_equal(rte_be_to_cpu_16(eh->ether_type), RTE_ETHER_TYPE_IPV4);
	rte_pktmbuf_free(m);
}

static void test_trunk_filters(void **state)
{
	struct rte_mbuf *m;
	uint16_t vid = 99;

	(void)state;
	m = test_frame(B, A, 30, RTE_ETHER_TYPE_IPV4, 64);
	assert_int_equal(classify(&trunk_10_20, m, &vid), DP_DROP_VLAN_NOT_ALLOWED);
	rte_pktmbuf_free(m);
	/* untagged on a trunk without VLAN 0 */
	m = test_frame(B, A, -1, RTE_ETHER_TYPE_IPV4, 60);
	assert_int_equal(classify(&trunk_10_20, m, &vid), DP_DROP_VLAN_NOT_ALLOWED);
	rte_pktmbuf_free(m);
	/* untagged on a trunk of all VLANs is VLAN 0 */
	m = test_frame(B, A, -1, RTE_ETHER_TYPE_IPV4, 60);
	assert_int_equal(classify(&trunk_all, m, &vid), DP_DROP_MAX);
	assert_int_equal(vid, 0);
	rte_pktmbuf_free(m);
	assert_int_equal(test_in_use(), 0);
}

static void test_push(void **state)
{
	struct rte_mbuf *m = test_frame(B, A, -1, RTE_ETHER_TYPE_ARP, 60);
	uint16_t vid;

	(void)state;
	assert_int_equal(vlan_push(m, 42), 0);
	assert_int_equal(m->pkt_len, 64);
	assert_int_equal(test_frame_vlan(m), 42);
	/* and it pops back to the same frame */
	assert_int_equal(classify(&trunk_all, m, &vid), DP_DROP_MAX);
	assert_int_equal(vid, 42);
	assert_int_equal(m->pkt_len, 60);
	rte_pktmbuf_free(m);
	assert_int_equal(test_in_use(), 0);
}

/* Every TPID is a tag: as the outer tag, as the tag inside an 802.1Q tag,
 * and as the type of an untagged frame on an access port (0x9300 was once
 * missing, and such a frame left a trunk double-tagged). */
static void test_every_tpid(void **state)
{
	const uint16_t tpids[] = {0x8100, 0x88a8, 0x9100, 0x9200, 0x9300};
	struct rte_mbuf *m;
	uint16_t tci;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(tpids); i++) {
		assert_true(vlan_is_tpid(tpids[i]));
		/* 0x8100 outermost is the one tag we switch; the others are
		 * S-tags or pre-standard QinQ tags: always a stack */
		if (tpids[i] != RTE_ETHER_TYPE_VLAN) {
			m = test_frame(B, A, -1, tpids[i], 64);
			assert_int_equal(classify(&access10, m, &tci), DP_DROP_DOUBLE_VLAN);
			rte_pktmbuf_free(m);
			m = test_frame(B, A, -1, tpids[i], 64);
			assert_int_equal(classify(&trunk_all, m, &tci), DP_DROP_DOUBLE_VLAN);
			rte_pktmbuf_free(m);
		}
		m = test_frame(B, A, 5, tpids[i], 68);
		assert_int_equal(classify(&trunk_all, m, &tci), DP_DROP_DOUBLE_VLAN);
		rte_pktmbuf_free(m);
	}
	assert_false(vlan_is_tpid(0x9000));
	assert_false(vlan_is_tpid(0x9101));
	assert_false(vlan_is_tpid(0x9400));
	assert_false(vlan_is_tpid(0x0800));
	assert_false(vlan_is_tpid(0x86dd));
	assert_int_equal(test_in_use(), 0);
}

/* The TCI keeps PCP and DEI: from a trunk as tagged, from an access port's
 * priority tag with the access VLAN. */
static void test_tci_keeps_priority(void **state)
{
	struct rte_mbuf *m = test_frame(B, A, 5 << 13 | 1 << 12 | 20, RTE_ETHER_TYPE_IPV4, 64);
	uint16_t tci = 0;

	(void)state;
	assert_int_equal(classify(&trunk_all, m, &tci), DP_DROP_MAX);
	assert_int_equal(tci, 5 << 13 | 1 << 12 | 20);
	assert_int_equal(vlan_push(m, tci), 0);
	assert_int_equal(test_frame_vlan(m), 20);
	rte_pktmbuf_free(m);
	m = test_frame(B, A, 3 << 13, RTE_ETHER_TYPE_IPV4, 64);
	assert_int_equal(classify(&access10, m, &tci), DP_DROP_MAX);
	assert_int_equal(tci, 3 << 13 | 10);
	rte_pktmbuf_free(m);
	assert_int_equal(test_in_use(), 0);
}

/* A guest's GSO frame is as long as the segments it will become, not as
 * its 64 KB: accepted when headers plus MSS fit the MTU, oversize when not. */
static void test_gso_frame_length(void **state)
{
	struct rte_mbuf *m = test_frame(B, A, -1, RTE_ETHER_TYPE_IPV4, 100);
	uint16_t tci;

	(void)state;
	m->pkt_len = 65000; /* as a chained 64 KB frame would say */
	assert_int_equal(classify(&access10, m, &tci), DP_DROP_OVERSIZE);
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	m->l2_len = 14;
	m->l3_len = 20;
	m->l4_len = 32;
	m->tso_segsz = 1448;
	assert_int_equal(classify(&access10, m, &tci), DP_DROP_MAX);
	m->tso_segsz = 1449; /* 1515-byte segments on a 1500 MTU */
	assert_int_equal(classify(&access10, m, &tci), DP_DROP_OVERSIZE);
	m->pkt_len = m->data_len;
	rte_pktmbuf_free(m);
	assert_int_equal(test_in_use(), 0);
}

static void test_port_predicates(void **state)
{
	(void)state;
	assert_true(vlan_port_carries(&access10, 10));
	assert_false(vlan_port_carries(&access10, 0));
	assert_false(vlan_port_tags(&access10, 10));
	assert_true(vlan_port_carries(&trunk_10_20, 20));
	assert_false(vlan_port_carries(&trunk_10_20, 0));
	assert_true(vlan_port_tags(&trunk_10_20, 20));
	assert_false(vlan_port_tags(&trunk_all, 0));
}

/* vlan_mode native-untagged/-tagged: a trunk of 20 whose native VLAN is 30 */
static void test_native_vlan(void **state)
{
	struct vlan_port nu = {.native = 30, .native_untagged = true};
	struct vlan_port nt = {.native = 30};
	struct rte_mbuf *m;
	uint16_t tci = 0;

	(void)state;
	nu.trunks[0] = (1ULL << 20) | (1ULL << 30);
	nt.trunks[0] = nu.trunks[0];
	/* untagged and priority-tagged frames belong to the native VLAN */
	m = test_frame(B, A, -1, RTE_ETHER_TYPE_IPV4, 60);
	assert_int_equal(classify(&nu, m, &tci), DP_DROP_MAX);
	assert_int_equal(tci, 30);
	rte_pktmbuf_free(m);
	m = test_frame(B, A, 0, RTE_ETHER_TYPE_IPV4, 64);
	assert_int_equal(classify(&nt, m, &tci), DP_DROP_MAX);
	assert_int_equal(tci & VLAN_VID_MASK, 30);
	assert_int_equal(test_frame_vlan(m), -1);
	rte_pktmbuf_free(m);
	/* tagged frames of a trunked VLAN, the native one included, pass as tagged */
	m = test_frame(B, A, 20, RTE_ETHER_TYPE_IPV4, 64);
	assert_int_equal(classify(&nu, m, &tci), DP_DROP_MAX);
	assert_int_equal(tci, 20);
	rte_pktmbuf_free(m);
	m = test_frame(B, A, 30, RTE_ETHER_TYPE_IPV4, 64);
	assert_int_equal(classify(&nt, m, &tci), DP_DROP_MAX);
	assert_int_equal(tci, 30);
	rte_pktmbuf_free(m);
	m = test_frame(B, A, 40, RTE_ETHER_TYPE_IPV4, 64);
	assert_int_equal(classify(&nu, m, &tci), DP_DROP_VLAN_NOT_ALLOWED);
	rte_pktmbuf_free(m);
	/* egress: native-untagged sends its native VLAN untagged, native-tagged tagged */
	assert_true(vlan_port_carries(&nu, 30) && vlan_port_carries(&nu, 20));
	assert_false(vlan_port_carries(&nu, 0));
	assert_false(vlan_port_tags(&nu, 30));
	assert_true(vlan_port_tags(&nu, 20));
	assert_true(vlan_port_tags(&nt, 30));
	assert_int_equal(test_in_use(), 0);
}

static void test_malformed(void **state)
{
	struct rte_mbuf *m;
	uint16_t vid;

	(void)state;
	/* runt: 10 bytes */
	m = test_frame(B, A, -1, RTE_ETHER_TYPE_IPV4, 14);
	rte_pktmbuf_trim(m, 4);
	assert_int_equal(classify(&trunk_all, m, &vid), DP_DROP_RUNT);
	rte_pktmbuf_free(m);
	/* tagged runt: 16 bytes */
	m = test_frame(B, A, 5, RTE_ETHER_TYPE_IPV4, 18);
	rte_pktmbuf_trim(m, 2);
	assert_int_equal(classify(&trunk_all, m, &vid), DP_DROP_RUNT);
	rte_pktmbuf_free(m);
	/* 802.3 length larger than the frame */
	m = test_frame(B, A, -1, 1000, 60);
	assert_int_equal(classify(&trunk_all, m, &vid), DP_DROP_BAD_LENGTH);
	rte_pktmbuf_free(m);
	/* 802.3 length that fits is fine */
	m = test_frame(B, A, -1, 46, 60);
	assert_int_equal(classify(&trunk_all, m, &vid), DP_DROP_MAX);
	rte_pktmbuf_free(m);
	/* neither length nor type */
	m = test_frame(B, A, -1, 1530, 60);
	assert_int_equal(classify(&trunk_all, m, &vid), DP_DROP_BAD_ETHERTYPE);
	rte_pktmbuf_free(m);
	/* QinQ: a tag inside a tag, and an 802.1ad outer tag */
	m = test_frame(B, A, 5, RTE_ETHER_TYPE_VLAN, 68);
	assert_int_equal(classify(&trunk_all, m, &vid), DP_DROP_DOUBLE_VLAN);
	rte_pktmbuf_free(m);
	m = test_frame(B, A, -1, RTE_ETHER_TYPE_QINQ, 68);
	assert_int_equal(classify(&trunk_all, m, &vid), DP_DROP_DOUBLE_VLAN);
	rte_pktmbuf_free(m);
	/* 1519 bytes untagged on a 1500 MTU; 1518 tagged is fine */
	m = test_frame(B, A, -1, RTE_ETHER_TYPE_IPV4, 1515);
	assert_int_equal(classify(&trunk_all, m, &vid), DP_DROP_OVERSIZE);
	rte_pktmbuf_free(m);
	m = test_frame(B, A, 7, RTE_ETHER_TYPE_IPV4, 1518);
	assert_int_equal(classify(&trunk_all, m, &vid), DP_DROP_MAX);
	rte_pktmbuf_free(m);
	/* multicast source */
	m = test_frame(B, "01:00:5e:00:00:01", -1, RTE_ETHER_TYPE_IPV4, 60);
	assert_int_equal(classify(&trunk_all, m, &vid), DP_DROP_SRC_MULTICAST);
	rte_pktmbuf_free(m);
	assert_int_equal(test_in_use(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_untagged),
		cmocka_unit_test(test_access_priority_tag_and_foreign_tag),
		cmocka_unit_test(test_trunk_pop_keeps_addresses),
		cmocka_unit_test(test_trunk_filters),
		cmocka_unit_test(test_push),
		cmocka_unit_test(test_port_predicates),
		cmocka_unit_test(test_native_vlan),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_every_tpid),
		cmocka_unit_test(test_tci_keeps_priority),
		cmocka_unit_test(test_gso_frame_length),
	};

	test_eal_init("test_vlan");
	return cmocka_run_group_tests(tests, setup, NULL);
}
