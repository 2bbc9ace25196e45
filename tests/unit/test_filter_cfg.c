/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the Port `filter` map: rule syntax, keys, exclusivity, the
 * edits behind the kvsctl filter commands (control/filter_cfg.c), and
 * building the filter a map asks for (control/filter_build.c). */
#include "tests/unit/dp_test.h"

#include "control/db.h"
#include "control/filter_cfg.h"

static char err[512];

static void test_parse_rules(void **state)
{
	struct filter_rules r;

	(void)state;
	assert_int_equal(filter_cfg_parse_rules("allow src 52:54:00:00:00:01, "
						"deny dst 01:00:5e:00:00:00/ff:ff:ff:80:00:00;"
						"  allow src 02:00:00:00:00:00/ff:00:00:00:00:00 ",
						&r, err, sizeof(err)),
			 0);
	assert_int_equal(r.n, 3);
	assert_true(r.r[0].allow);
	assert_false(r.r[0].match_dst);
	assert_false(r.r[1].allow);
	assert_true(r.r[1].match_dst);
	assert_int_equal(r.r[1].mask.addr_bytes[3], 0x80);
	assert_int_equal(r.r[0].mask.addr_bytes[5], 0xff);
	assert_int_equal(filter_cfg_parse_rules("", &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 0);
}

static void test_rule_errors(void **state)
{
	struct filter_rules r;

	(void)state;
	assert_int_equal(
		filter_cfg_parse_rules("permit src 52:54:00:00:00:01", &r, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "'permit src 52:54:00:00:00:01'"));
	assert_int_equal(
		filter_cfg_parse_rules("allow src 52:54:00:zz:00:01", &r, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "not a MAC address"));
	assert_int_equal(
		filter_cfg_parse_rules("allow dst 52:54:00:00:00:01/nope", &r, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "not a MAC mask"));
	assert_int_equal(filter_cfg_parse_rules("allow src", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(
		filter_cfg_parse_rules("allow src 52:54:00:00:00:01 extra", &r, err, sizeof(err)),
		-EINVAL);
	assert_int_equal(
		filter_cfg_parse_rules("allow src 52:54:00:00:00:011", &r, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "not a MAC address"));
}

static void test_too_many_rules(void **state)
{
	char text[4000] = "";
	struct filter_rules r;
	size_t off = 0;

	(void)state;
	for (int i = 0; i <= FILTER_MAX_RULES; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"deny src 02:00:00:00:00:%02x,", i);
	assert_int_equal(filter_cfg_parse_rules(text, &r, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "more than 32 rules"));
}

static void test_format_round_trip(void **state)
{
	struct filter_rules r, back;
	char one[64];

	(void)state;
	assert_int_equal(filter_cfg_parse_rules("deny dst 01:00:5E:00:00:00/FF:FF:FF:80:00:00, "
						"allow src 52:54:00:00:00:01/ff:ff:ff:ff:ff:ff",
						&r, err, sizeof(err)),
			 0);
	filter_cfg_format_rule(&r.r[0], one, sizeof(one));
	assert_string_equal(one, "deny dst 01:00:5e:00:00:00/ff:ff:ff:80:00:00");
	filter_cfg_format_rule(&r.r[1], one, sizeof(one));
	assert_string_equal(one, "allow src 52:54:00:00:00:01"); /* exact: no mask shown */
	assert_int_equal(filter_cfg_parse_rules(one, &back, err, sizeof(err)), 0);
	assert_memory_equal(&back.r[0], &r.r[1], sizeof(r.r[1]));
}

static void test_check_key(void **state)
{
	(void)state;
	assert_int_equal(filter_cfg_check_key("egress-default", "deny", err, sizeof(err)), 0);
	assert_int_equal(filter_cfg_check_key("egress-default", "drop", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "filter egress-default: 'drop' is not allow or deny"));
	assert_int_equal(filter_cfg_check_key("ingress-expression", "  ", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "ingress-expression is empty"));
	assert_int_equal(filter_cfg_check_key("ingress-program", "/a/b.o:sec", err, sizeof(err)),
			 0);
	{
		/* too long to be copied whole: refused, not cut to another name */
		static char longpath[4200];

		memset(longpath, 'a', sizeof(longpath) - 1);
		longpath[0] = '/';
		assert_int_equal(
			filter_cfg_check_key("ingress-program", longpath, err, sizeof(err)),
			-ENAMETOOLONG);
		assert_non_null(strstr(err, "4199 characters, more than 4095"));
	}
	assert_int_equal(filter_cfg_check_key("both-rules", "", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown filter key 'both-rules'"));
}

/* lock-port, add/del-filter-rule, set-filter-default, unlock-port. */
static void test_edits(void **state)
{
	struct filter_rules r;
	struct smap m;

	(void)state;
	smap_init(&m);
	smap_set(&m, "ingress-expression", "arp");
	assert_int_equal(
		filter_cfg_lock(&m, "52:54:00:00:00:01, 52:54:00:00:00:02", err, sizeof(err)), 0);
	assert_null(smap_get(&m, "ingress-expression")); /* lock replaces the direction */
	assert_string_equal(smap_get(&m, "ingress-rules"),
			    "allow src 52:54:00:00:00:01, allow src 52:54:00:00:00:02");
	assert_string_equal(smap_get(&m, "ingress-default"), "deny");
	assert_int_equal(filter_cfg_check(&m, err, sizeof(err)), 0);
	assert_int_equal(filter_cfg_rules(&m, FILTER_DIR_INGRESS, &r), FILTER_CFG_RULES);
	assert_int_equal(r.n, 2);
	assert_false(r.default_allow);
	assert_int_equal(filter_cfg_rules(&m, FILTER_DIR_EGRESS, &r), FILTER_CFG_NONE);
	assert_int_equal(filter_cfg_lock(&m, "52:54:00:00:00", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'52:54:00:00:00' is not a MAC address"));
	assert_int_equal(filter_cfg_lock(&m, "", err, sizeof(err)), -EINVAL);

	assert_int_equal(filter_cfg_add_rule(&m, FILTER_DIR_EGRESS,
					     "deny src 02:42:00:00:00:00/ff:ff:ff:00:00:00", err,
					     sizeof(err)),
			 0);
	assert_int_equal(filter_cfg_add_rule(&m, FILTER_DIR_EGRESS, "allow dst ff:ff:ff:ff:ff:ff",
					     err, sizeof(err)),
			 0);
	assert_string_equal(smap_get(&m, "egress-rules"),
			    "deny src 02:42:00:00:00:00/ff:ff:ff:00:00:00, "
			    "allow dst ff:ff:ff:ff:ff:ff");
	assert_int_equal(
		filter_cfg_add_rule(&m, FILTER_DIR_EGRESS, "allow dst 1", err, sizeof(err)),
		-EINVAL);
	assert_int_equal(filter_cfg_add_rule(&m, FILTER_DIR_EGRESS,
					     "allow dst ff:ff:ff:ff:ff:ff, allow src "
					     "02:00:00:00:00:01",
					     err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "give one rule"));
	/* by number (from 1) and by text */
	assert_int_equal(filter_cfg_del_rule(&m, FILTER_DIR_EGRESS, "3", err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "filter egress has no rule 3 (it has 2)"));
	assert_int_equal(filter_cfg_del_rule(&m, FILTER_DIR_EGRESS, "0", err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(filter_cfg_del_rule(&m, FILTER_DIR_EGRESS, "1", err, sizeof(err)), 0);
	assert_string_equal(smap_get(&m, "egress-rules"), "allow dst ff:ff:ff:ff:ff:ff");
	assert_int_equal(filter_cfg_del_rule(&m, FILTER_DIR_EGRESS, "deny dst ff:ff:ff:ff:ff:ff",
					     err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(filter_cfg_del_rule(&m, FILTER_DIR_EGRESS, "allow dst FF:ff:ff:ff:ff:ff",
					     err, sizeof(err)),
			 0);
	assert_null(smap_get(&m, "egress-rules")); /* none left: the key goes */

	assert_int_equal(filter_cfg_set_default(&m, FILTER_DIR_EGRESS, "deny", err, sizeof(err)),
			 0);
	assert_string_equal(smap_get(&m, "egress-default"), "deny");
	assert_int_equal(filter_cfg_set_default(&m, FILTER_DIR_EGRESS, "no", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(filter_cfg_rules(&m, FILTER_DIR_EGRESS, &r), FILTER_CFG_RULES);
	assert_int_equal(r.n, 0);
	assert_false(r.default_allow);

	filter_cfg_unlock(&m);
	assert_null(smap_get(&m, "ingress-rules"));
	assert_null(smap_get(&m, "ingress-default"));
	assert_string_equal(smap_get(&m, "egress-default"), "deny"); /* egress untouched */
	smap_destroy(&m);
}

static void test_same(void **state)
{
	struct smap a, b;

	(void)state;
	smap_init(&a);
	smap_init(&b);
	assert_true(filter_cfg_same(&a, &b, FILTER_DIR_INGRESS));
	smap_set(&a, "egress-default", "deny");
	assert_true(filter_cfg_same(&a, &b, FILTER_DIR_INGRESS));
	assert_false(filter_cfg_same(&a, &b, FILTER_DIR_EGRESS));
	smap_set(&b, "egress-default", "deny");
	assert_true(filter_cfg_same(&a, &b, FILTER_DIR_EGRESS));
	smap_destroy(&a);
	smap_destroy(&b);
}

/* Programs and expressions: built, or refused with the loader's reason. */
static void test_build_program_and_expression(void **state)
{
	struct rte_mbuf *arp, *ip6;
	struct filter *f = NULL;
	struct smap m;

	(void)state;
	arp = test_frame("ff:ff:ff:ff:ff:ff", "52:54:00:00:00:0a", -1, RTE_ETHER_TYPE_ARP, 60);
	ip6 = test_frame("ff:ff:ff:ff:ff:ff", "52:54:00:00:00:0a", -1, RTE_ETHER_TYPE_IPV6, 60);
	smap_init(&m);
	smap_set(&m, "ingress-program", SAMPLE_OBJ);
	assert_int_equal(filter_cfg_build(&m, FILTER_DIR_INGRESS, &f, err, sizeof(err)), 0);
	assert_non_null(f);
	assert_true(filter_pass(f, arp));
	assert_false(filter_pass(f, ip6));
	filter_destroy(f);

	smap_set(&m, "ingress-program", BAD_OBJ);
	assert_true(filter_cfg_build(&m, FILTER_DIR_INGRESS, &f, err, sizeof(err)) < 0);
	assert_null(f);
	assert_non_null(strstr(err, "refused by the validator"));

	smap_remove(&m, "ingress-program");
	smap_set(&m, "egress-expression", "not ether src 52:54:00:00:00:0a");
	assert_int_equal(filter_cfg_build(&m, FILTER_DIR_EGRESS, &f, err, sizeof(err)), 0);
	assert_false(filter_pass(f, arp));
	filter_destroy(f);
	/* a read past the end of the frame ends the program with 0, whatever the
	 * expression says (docs/filters.md) */
	smap_set(&m, "egress-expression", "not ether[200] = 1");
	assert_int_equal(filter_cfg_build(&m, FILTER_DIR_EGRESS, &f, err, sizeof(err)), 0);
	assert_false(filter_pass(f, arp));
	filter_destroy(f);
	smap_set(&m, "egress-expression", "not ether[20] = 1");
	assert_int_equal(filter_cfg_build(&m, FILTER_DIR_EGRESS, &f, err, sizeof(err)), 0);
	assert_true(filter_pass(f, arp));
	filter_destroy(f);
	smap_set(&m, "egress-expression", "ether src nonsense and");
	assert_true(filter_cfg_build(&m, FILTER_DIR_EGRESS, &f, err, sizeof(err)) < 0);
	assert_null(f);
	assert_true(strlen(err) > 0);
	smap_destroy(&m);
	rte_pktmbuf_free(arp);
	rte_pktmbuf_free(ip6);
	assert_int_equal(test_in_use(), 0);
}

static void test_map_check_and_build(void **state)
{
	struct filter *f = NULL;
	struct smap m;

	(void)state;
	smap_init(&m);
	smap_set(&m, "ingress-rules", "allow src 52:54:00:00:00:0a");
	smap_set(&m, "ingress-default", "deny");
	assert_int_equal(filter_cfg_check(&m, err, sizeof(err)), 0);
	assert_int_equal(filter_cfg_build(&m, FILTER_DIR_INGRESS, &f, err, sizeof(err)), 0);
	assert_non_null(f);
	{
		struct rte_mbuf *a = test_frame("ff:ff:ff:ff:ff:ff", "52:54:00:00:00:0a", -1,
						RTE_ETHER_TYPE_ARP, 60);
		struct rte_mbuf *b = test_frame("ff:ff:ff:ff:ff:ff", "52:54:00:00:00:0b", -1,
						RTE_ETHER_TYPE_ARP, 60);
		assert_true(filter_pass(f, a));
		assert_false(filter_pass(f, b));
		rte_pktmbuf_free(a);
		rte_pktmbuf_free(b);
	}
	filter_destroy(f);
	/* nothing asked for egress */
	assert_int_equal(filter_cfg_build(&m, FILTER_DIR_EGRESS, &f, err, sizeof(err)), 0);
	assert_null(f);

	smap_set(&m, "ingress-expression", "arp");
	assert_int_equal(filter_cfg_check(&m, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "exclusive"));
	smap_remove(&m, "ingress-expression");
	smap_set(&m, "ingress-defualt", "deny");
	assert_int_equal(filter_cfg_check(&m, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown filter key 'ingress-defualt'"));
	smap_remove(&m, "ingress-defualt");
	smap_set(&m, "egress-program", "relative.o");
	assert_int_equal(filter_cfg_check(&m, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "absolute path"));
	smap_set(&m, "egress-program", "/nonexistent.o");
	assert_int_equal(filter_cfg_check(&m, err, sizeof(err)), 0); /* syntax is fine */
	assert_true(filter_cfg_build(&m, FILTER_DIR_EGRESS, &f, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent.o"));
	smap_destroy(&m);
	assert_int_equal(test_in_use(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rules),
		cmocka_unit_test(test_rule_errors),
		cmocka_unit_test(test_map_check_and_build),
		cmocka_unit_test(test_too_many_rules),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_check_key),
		cmocka_unit_test(test_edits),
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_build_program_and_expression),
	};

	test_eal_init("test_filter_cfg");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
