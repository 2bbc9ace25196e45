/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Component tests of eBPF frame filters: the built-in MAC rule program run by
 * librte_bpf, a user's object file (the worked example in configs/filters),
 * a tcpdump expression, refusal of an invalid program, and the filters in
 * the pipeline (ingress before learning, egress per output port), with the
 * mbuf-leak check of dp_test.h.
 */
#include "tests/unit/dp_test.h"

#include "dataplane/bridge.h"
#include "dataplane/fdb.h"
#include "dataplane/filter.h"
#include "dataplane/pipeline.h"

#define MAC_A "52:54:00:00:00:0a"
#define MAC_B "52:54:00:00:00:0b"
#define MAC_X "02:11:22:33:44:55"
#define BCAST "ff:ff:ff:ff:ff:ff"

static char err[512];

static struct filter_rule rule(const char *mac, const char *mask, bool dst, bool allow)
{
	struct filter_rule r = {.match_dst = dst, .allow = allow};

	assert_int_equal(rte_ether_unformat_addr(mac, &r.mac), 0);
	assert_int_equal(rte_ether_unformat_addr(mask, &r.mask), 0);
	return r;
}

static bool pass(const struct filter *f, const char *dst, const char *src, uint16_t type)
{
	struct rte_mbuf *m = test_frame(dst, src, -1, type, 60);
	bool ok = filter_pass(f, m);

	rte_pktmbuf_free(m);
	return ok;
}

static void test_rules_exact_mask_default(void **state)
{
	struct filter_rules r = {.n = 3, .default_allow = false};
	struct filter *f;

	(void)state;
	r.r[0] = rule(MAC_A, "ff:ff:ff:ff:ff:ff", false, true);               /* allow src A */
	r.r[1] = rule(MAC_X, "ff:ff:ff:ff:ff:ff", true, false);               /* deny dst X */
	r.r[2] = rule("02:11:00:00:00:00", "ff:ff:00:00:00:00", false, true); /* allow OUI */
	f = filter_from_rules(&r, err, sizeof(err));
	assert_non_null(f);
	assert_true(pass(f, BCAST, MAC_A, RTE_ETHER_TYPE_IPV4));
	assert_false(pass(f, BCAST, MAC_B, RTE_ETHER_TYPE_IPV4));              /* default deny */
	assert_true(pass(f, BCAST, "02:11:aa:bb:cc:dd", RTE_ETHER_TYPE_IPV4)); /* mask */
	assert_false(pass(f, BCAST, "02:12:aa:bb:cc:dd", RTE_ETHER_TYPE_IPV4));
	/* first match wins: src A allowed even towards X */
	assert_true(pass(f, MAC_X, MAC_A, RTE_ETHER_TYPE_IPV4));
	assert_false(pass(f, MAC_X, "02:11:aa:bb:cc:dd", RTE_ETHER_TYPE_IPV4));
	filter_destroy(f);
	assert_int_equal(test_in_use(), 0);
}

static void test_rules_limits(void **state)
{
	struct filter_rules r = {.n = FILTER_MAX_RULES, .default_allow = true};
	struct filter *f;
	int i;

	(void)state;
	for (i = 0; i < FILTER_MAX_RULES; i++) {
		char mac[18];
		snprintf(mac, sizeof(mac), "02:00:00:00:00:%02x", i);
		r.r[i] = rule(mac, "ff:ff:ff:ff:ff:ff", false, false);
	}
	f = filter_from_rules(&r, err, sizeof(err));
	assert_non_null(f);
	assert_false(pass(f, BCAST, "02:00:00:00:00:1f", RTE_ETHER_TYPE_IPV4)); /* last slot */
	assert_true(pass(f, BCAST, "02:00:00:00:00:20", RTE_ETHER_TYPE_IPV4));
	filter_destroy(f);
	r.n = FILTER_MAX_RULES + 1;
	assert_null(filter_from_rules(&r, err, sizeof(err)));
	assert_non_null(strstr(err, "at most"));
}

/* The rule semantics, written as plainly as possible: the first rule whose
 * field, masked, equals its MAC decides; else the default. */
static bool reference_pass(const struct filter_rules *r, const struct rte_ether_addr *dst,
			   const struct rte_ether_addr *src)
{
	unsigned int i, b;

	for (i = 0; i < r->n; i++) {
		const struct rte_ether_addr *v = r->r[i].match_dst ? dst : src;
		bool hit = true;

		for (b = 0; b < RTE_ETHER_ADDR_LEN; b++)
			if ((v->addr_bytes[b] & r->r[i].mask.addr_bytes[b]) !=
			    (r->r[i].mac.addr_bytes[b] & r->r[i].mask.addr_bytes[b]))
				hit = false;
		if (hit)
			return r->r[i].allow;
	}
	return r->default_allow;
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* MACs from a small universe so rules and frames collide often: duplicates,
 * the same MAC under two masks, runs interrupted by another field. */
static void random_mac(uint64_t *s, struct rte_ether_addr *a)
{
	static const uint8_t oui[3][3] = {
		{0x52, 0x54, 0x00}, {0x02, 0x42, 0xac}, {0xff, 0xff, 0xff}};
	const uint8_t *o = oui[lcg(s) % 3];

	*a = (struct rte_ether_addr){
		{o[0], o[1], o[2], 0, (uint8_t)(lcg(s) % 3), (uint8_t)(lcg(s) % 6)}};
	if (o[0] == 0xff)
		a->addr_bytes[3] = a->addr_bytes[4] = a->addr_bytes[5] = 0xff;
}

/* The compiled runs (filter_abi.h) against reference_pass on random policies
 * of 1 to 32 rules and every mask kind, and random frames. */
static void test_rules_match_reference(void **state)
{
	static const char *masks[] = {"ff:ff:ff:ff:ff:ff", "ff:ff:ff:00:00:00", "ff:ff:ff:ff:00:00",
				      "01:00:00:00:00:00", "00:00:00:00:00:00"};
	uint64_t seed = 42;
	unsigned int policy, i, frames = 0, denied = 0;

	(void)state;
	for (policy = 0; policy < 300; policy++) {
		struct filter_rules r = {.n = (uint16_t)(1 + lcg(&seed) % FILTER_MAX_RULES),
					 .default_allow = lcg(&seed) & 1};
		struct filter *f;

		for (i = 0; i < r.n; i++) {
			random_mac(&seed, &r.r[i].mac);
			/* mostly exact, so long runs form; sometimes a mask */
			rte_ether_unformat_addr(masks[lcg(&seed) % 4 ? 0 : 1 + lcg(&seed) % 4],
						&r.r[i].mask);
			r.r[i].match_dst = lcg(&seed) % 5 == 0;
			r.r[i].allow = lcg(&seed) & 1;
		}
		f = filter_from_rules(&r, err, sizeof(err));
		assert_non_null(f);
		for (i = 0; i < 64; i++) {
			struct rte_ether_addr d, s;
			char ds[RTE_ETHER_ADDR_FMT_SIZE], ss[RTE_ETHER_ADDR_FMT_SIZE];
			bool want;

			/* half the frames carry a rule's own MAC */
			if (i & 1)
				s = r.r[lcg(&seed) % r.n].mac;
			else
				random_mac(&seed, &s);
			random_mac(&seed, &d);
			rte_ether_format_addr(ds, sizeof(ds), &d);
			rte_ether_format_addr(ss, sizeof(ss), &s);
			want = reference_pass(&r, &d, &s);
			if (pass(f, ds, ss, RTE_ETHER_TYPE_IPV4) != want)
				fail_msg("policy %u (%u rules): dst %s src %s: want %s", policy,
					 r.n, ds, ss, want ? "pass" : "drop");
			frames++;
			denied += !want;
		}
		filter_destroy(f);
	}
	/* the draw exercised both verdicts */
	assert_true(denied > frames / 10 && denied < frames - frames / 10);
	assert_int_equal(test_in_use(), 0);
}

static void test_object_file(void **state)
{
	struct filter *f = filter_from_object(SAMPLE_OBJ, NULL, err, sizeof(err));

	(void)state;
	assert_non_null(f);
	assert_non_null(strstr(f->what, "ipv4_arp_only"));
	assert_true(pass(f, BCAST, MAC_A, RTE_ETHER_TYPE_IPV4));
	assert_true(pass(f, BCAST, MAC_A, RTE_ETHER_TYPE_ARP));
	assert_false(pass(f, BCAST, MAC_A, RTE_ETHER_TYPE_IPV6));
	filter_destroy(f);
	assert_null(filter_from_object(SAMPLE_OBJ, "nosuchsection", err, sizeof(err)));
	assert_non_null(strstr(err, "no program in section nosuchsection"));
	assert_null(filter_from_object("/nonexistent.o", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open eBPF object '/nonexistent.o'"));
}

static void test_invalid_program_refused_with_reason(void **state)
{
	(void)state;
	assert_null(filter_from_object(BAD_OBJ, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "refused by the validator"));
	/* the validator's own words, not just "Invalid argument" */
	assert_non_null(strstr(err, "external function"));
}

static void test_expression(void **state)
{
	struct filter *f = filter_from_expression("not ether src " MAC_B, err, sizeof(err));

	(void)state;
	assert_non_null(f);
	assert_true(pass(f, BCAST, MAC_A, RTE_ETHER_TYPE_IPV4));
	assert_false(pass(f, BCAST, MAC_B, RTE_ETHER_TYPE_IPV4));
	filter_destroy(f);
	assert_null(filter_from_expression("ether src not-a-mac", err, sizeof(err)));
	assert_non_null(strstr(err, "expression 'ether src not-a-mac'"));
}

/* ---- in the pipeline ---- */

static struct rte_mbuf *captured[3][64];
static unsigned int n_cap[3];

static uint16_t cap_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n)
{
	unsigned int i, k = *(unsigned int *)p->priv;

	for (i = 0; i < n; i++)
		captured[k][n_cap[k]++] = pkts[i];
	p->tx[pmd].packets += n;
	return n;
}

static uint16_t cap_rx(struct dp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	(void)p, (void)q, (void)pkts, (void)n;
	return 0;
}

static const struct dp_port_ops cap_ops = {.rx_burst = cap_rx, .tx_burst = cap_tx};

static void test_pipeline_ingress_and_egress(void **state)
{
	struct fdb_params fp = {.name = "tf",
				.max_entries = 64,
				.aging_s = 300,
				.max_ports = DP_MAX_PORTS,
				.socket_id = SOCKET_ID_ANY};
	static unsigned int idx[3] = {0, 1, 2};
	struct filter_rules lock = {.n = 1, .default_allow = false};
	struct filter_rules deny_x = {.n = 1, .default_allow = true};
	struct dp_bridge *br = dp_bridge_create("brf", &fp);
	struct dp_pmd_ctx *ctx = dp_pmd_ctx_create(0, SOCKET_ID_ANY, test_pool);
	struct dp_port *p[3];
	struct rte_ether_addr b;
	uint16_t ids[3];
	int i;

	(void)state;
	assert_non_null(br);
	for (i = 0; i < 3; i++) {
		struct dp_port_conf c = {.max_len = 1514, .bridge = br};
		char name[8];

		vlan_set_all(c.vlan.trunks);
		snprintf(name, sizeof(name), "f%d", i);
		p[i] = dp_port_alloc(name, DP_PORT_TEST, &cap_ops, SOCKET_ID_ANY);
		p[i]->priv = &idx[i];
		dp_port_set_conf(p[i], &c);
		dp_port_publish(p[i]);
		ids[i] = p[i]->id;
	}
	dp_bridge_set_members(br, ids, 3);
	/* port 0 may only send from A; port 2 must never receive frames for X */
	lock.r[0] = rule(MAC_A, "ff:ff:ff:ff:ff:ff", false, true);
	deny_x.r[0] = rule(MAC_X, "ff:ff:ff:ff:ff:ff", true, false);
	dp_port_set_filter(p[0], FILTER_DIR_INGRESS, filter_from_rules(&lock, err, sizeof(err)));
	dp_port_set_filter(p[2], FILTER_DIR_EGRESS, filter_from_rules(&deny_x, err, sizeof(err)));
	dp_rcu_flush();

	struct rte_mbuf *burst[4] = {
		test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60),
		test_frame(BCAST, MAC_B, -1, RTE_ETHER_TYPE_ARP, 60), /* spoofed */
		test_frame(MAC_X, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 60),
		test_frame(BCAST, MAC_B, -1, RTE_ETHER_TYPE_ARP, 60), /* spoofed */
	};
	dp_process_burst(ctx, p[0], 0, burst, 4);
	fdb_learn_drain(br->fdb, 1);
	assert_int_equal(p[0]->rxq[0].drops[DP_DROP_FILTER_INGRESS], 2);
	assert_int_equal(n_cap[1], 2); /* A's broadcast and A -> X */
	assert_int_equal(n_cap[2], 1); /* A -> X kept away from port 2 */
	assert_int_equal(p[2]->tx[0].drops[DP_DROP_FILTER_EGRESS], 1);
	rte_ether_unformat_addr(MAC_B, &b);
	assert_int_equal(fdb_lookup(br->fdb, &b, 0), FDB_PORT_NONE); /* never learned */

	/* a filter removed is a filter gone: B passes now */
	dp_port_set_filter(p[0], FILTER_DIR_INGRESS, NULL);
	dp_rcu_flush();
	burst[0] = test_frame(BCAST, MAC_B, -1, RTE_ETHER_TYPE_ARP, 60);
	dp_process_burst(ctx, p[0], 0, burst, 1);
	assert_int_equal(n_cap[1], 3);

	for (i = 0; i < 3; i++) {
		rte_pktmbuf_free_bulk(captured[i], n_cap[i]);
		dp_port_unpublish(p[i]);
		dp_port_free(p[i]);
	}
	dp_pmd_ctx_destroy(ctx);
	dp_bridge_destroy(br);
	dp_rcu_flush();
	assert_int_equal(test_in_use(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_exact_mask_default),
		cmocka_unit_test(test_rules_limits),
		cmocka_unit_test(test_rules_match_reference),
		cmocka_unit_test(test_object_file),
		cmocka_unit_test(test_invalid_program_refused_with_reason),
		cmocka_unit_test(test_expression),
		cmocka_unit_test(test_pipeline_ingress_and_egress),
	};

	test_eal_init("test_filter");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
