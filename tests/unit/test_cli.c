/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of kvsctl's command-line parsing (control/cli_parse.c): the
 * requests it builds and the errors it gives for malformed commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/cli_parse.h"

static char err[512];

static json_t *parse(const char *line)
{
	char buf[1024], *argv[64], *save = NULL, *tok;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	err[0] = '\0';
	return cli_parse(argc, argv, err, sizeof(err));
}

static const char *method(json_t *r)
{
	return json_string_value(json_object_get(r, "method"));
}

static json_t *op(json_t *r, size_t i)
{
	return json_array_get(json_object_get(r, "params"), i);
}

static const char *s(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_add_port_chain(void **state)
{
	json_t *r = parse("add-port br0 vm1 tag=10 -- set Interface vm1 type=dpdk "
			  "options:dpdk-devargs=net_af_packet0,iface=veth0 "
			  "other_config:pmd-rxq-affinity=0:1");
	json_t *sets;

	(void)state;
	assert_non_null(r);
	assert_string_equal(method(r), "transact");
	assert_string_equal(s(op(r, 0), "op"), "add-port");
	assert_string_equal(s(op(r, 0), "bridge"), "br0");
	assert_string_equal(s(op(r, 0), "port"), "vm1");
	sets = json_object_get(op(r, 0), "sets");
	assert_string_equal(s(json_array_get(sets, 0), "column"), "tag");
	assert_string_equal(s(json_array_get(sets, 0), "value"), "10");
	assert_string_equal(s(op(r, 1), "op"), "set");
	assert_string_equal(s(op(r, 1), "table"), "Interface");
	sets = json_object_get(op(r, 1), "sets");
	/* a value may contain '=' and ':' */
	assert_string_equal(s(json_array_get(sets, 1), "key"), "dpdk-devargs");
	assert_string_equal(s(json_array_get(sets, 1), "value"), "net_af_packet0,iface=veth0");
	assert_string_equal(s(json_array_get(sets, 2), "key"), "pmd-rxq-affinity");
	assert_string_equal(s(json_array_get(sets, 2), "value"), "0:1");
	json_decref(r);
}

static void test_options_and_quotes(void **state)
{
	json_t *r = parse("--may-exist add-br br0 -- --if-exists del-port br0 p1 -- set "
			  "Open_vSwitch . other_config:pmd-cpu-mask=\"0x6\"");

	(void)state;
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(op(r, 0), "may_exist")));
	assert_true(json_is_true(json_object_get(op(r, 1), "if_exists")));
	assert_string_equal(s(op(r, 1), "bridge"), "br0");
	assert_string_equal(s(op(r, 1), "port"), "p1");
	assert_string_equal(s(json_array_get(json_object_get(op(r, 2), "sets"), 0), "value"),
			    "0x6");
	json_decref(r);
}

static void test_reads(void **state)
{
	json_t *r;

	(void)state;
	r = parse("dpif-netdev/pmd-rxq-show");
	assert_string_equal(method(r), "pmd-rxq-show");
	json_decref(r);
	r = parse("pmd-rxq-rebalance");
	assert_string_equal(method(r), "pmd-rxq-rebalance");
	json_decref(r);
	r = parse("dpif-netdev/pmd-rxq-rebalance");
	assert_string_equal(method(r), "pmd-rxq-rebalance");
	json_decref(r);
	r = parse("fdb/show br0");
	assert_string_equal(method(r), "fdb/show");
	assert_string_equal(s(json_object_get(r, "params"), "bridge"), "br0");
	json_decref(r);
	r = parse("get Interface vm1 options:n_rxq");
	assert_string_equal(method(r), "get");
	assert_string_equal(s(json_object_get(r, "params"), "column"), "options");
	assert_string_equal(s(json_object_get(r, "params"), "key"), "n_rxq");
	json_decref(r);
	r = parse("port-stats");
	assert_string_equal(method(r), "port-stats");
	json_decref(r);
}

static void test_errors(void **state)
{
	(void)state;
	assert_null(parse("frobnicate br0"));
	assert_non_null(strstr(err, "unknown command 'frobnicate'"));
	assert_null(parse("add-br"));
	assert_non_null(strstr(err, "'add-br' takes at least 1 arguments, 0 given"));
	assert_null(parse("fdb/show"));
	assert_non_null(strstr(err, "'fdb/show' takes 1 argument, 0 given"));
	assert_null(parse("set Interface vm1 novalue"));
	assert_non_null(strstr(err, "'novalue': expected COLUMN[:KEY]=VALUE"));
	assert_null(parse("set Interface vm1 options:=3"));
	assert_non_null(strstr(err, "empty column or key"));
	assert_null(parse("add-br br0 -- -- add-br br1"));
	assert_non_null(strstr(err, "empty command"));
	assert_null(parse("--bogus add-br br0"));
	assert_non_null(strstr(err, "unknown option '--bogus'"));
	assert_null(parse("del-port a b c"));
	assert_non_null(strstr(err, "'del-port' takes 1 to 2 arguments, 3 given"));
	assert_null(parse(""));
	assert_non_null(strstr(err, "no command"));
	/* an argument that is not UTF-8 (found by fuzz_cli: the error was empty) */
	assert_null(parse("del-br /\xfe"));
	assert_non_null(strstr(err, "argument 2 is not valid UTF-8"));
	/* a column name cut in the middle of a UTF-8 character (fuzz_cli: the
	 * error was uninitialized bytes) */
	{
		char cmd[400];

		memset(cmd, 0, sizeof(cmd));
		strcpy(cmd, "set Bridge br0 ");
		memset(cmd + strlen(cmd), 't', 126);
		strcat(cmd, "\xef\xbf\x94x=1");
		assert_null(parse(cmd));
		assert_non_null(strstr(err, "too long"));
	}
}

/* The filter commands: transact operations, chainable with other writes. */
/* ovs-vsctl takes table names in any case and by unique prefix */
static void test_table_names(void **state)
{
	json_t *r;

	(void)state;
	r = parse("set int vm1 type=dpdk -- set PORT vm1 tag=5 -- set Br br0 other_config:a=b "
		  "-- set open . other_config:c=d");
	assert_non_null(r);
	assert_string_equal(s(op(r, 0), "table"), "Interface");
	assert_string_equal(s(op(r, 1), "table"), "Port");
	assert_string_equal(s(op(r, 2), "table"), "Bridge");
	assert_string_equal(s(op(r, 3), "table"), "Open_vSwitch");
	json_decref(r);
	r = parse("get interface vm1 ofport");
	assert_string_equal(s(json_object_get(r, "params"), "table"), "Interface");
	json_decref(r);
	assert_null(parse("set i vm1 type=dpdk")); /* Interface or IPFIX */
	assert_non_null(strstr(err, "'i' matches several tables"));
	assert_null(parse("set qos q1 type=linux-htb"));
	assert_non_null(strstr(err, "table 'QoS' is not supported by kvswitch"));
	assert_null(parse("clear Frobs x y"));
	assert_non_null(strstr(err, "unknown table 'Frobs'"));
}

static void test_list_find(void **state)
{
	json_t *r, *p;

	(void)state;
	r = parse("list Interface vm1 vm2");
	assert_string_equal(method(r), "list");
	p = json_object_get(r, "params");
	assert_string_equal(s(p, "table"), "Interface");
	assert_int_equal(json_array_size(json_object_get(p, "records")), 2);
	json_decref(r);
	r = parse("find int type=dpdkvhostuser options:n_rxq=2");
	assert_string_equal(method(r), "find");
	p = json_object_get(r, "params");
	assert_int_equal(json_array_size(json_object_get(p, "conditions")), 2);
	assert_string_equal(s(json_array_get(json_object_get(p, "conditions"), 1), "key"), "n_rxq");
	json_decref(r);
	r = parse("br-exists br0");
	assert_string_equal(method(r), "br-exists");
	json_decref(r);
	r = parse("iface-to-br vm1");
	assert_string_equal(method(r), "port-to-br");
	json_decref(r);
	assert_null(parse("list"));
}

static void test_filter_commands(void **state)
{
	json_t *r;

	(void)state;
	r = parse("lock-port vm1 52:54:00:00:00:01,52:54:00:00:00:02 -- unlock-port vm2");
	assert_non_null(r);
	assert_string_equal(method(r), "transact");
	assert_string_equal(s(op(r, 0), "op"), "lock-port");
	assert_string_equal(s(op(r, 0), "port"), "vm1");
	assert_string_equal(s(op(r, 0), "macs"), "52:54:00:00:00:01,52:54:00:00:00:02");
	assert_string_equal(s(op(r, 1), "op"), "unlock-port");
	assert_string_equal(s(op(r, 1), "port"), "vm2");
	json_decref(r);
	/* MACs as separate words too */
	r = parse("lock-port vm1 52:54:00:00:00:01 52:54:00:00:00:02");
	assert_string_equal(s(op(r, 0), "macs"), "52:54:00:00:00:01,52:54:00:00:00:02");
	json_decref(r);

	r = parse("add-filter-rule vm1 egress deny src 02:42:00:00:00:00/ff:ff:ff:00:00:00");
	assert_non_null(r);
	assert_string_equal(s(op(r, 0), "op"), "add-filter-rule");
	assert_string_equal(s(op(r, 0), "direction"), "egress");
	assert_string_equal(s(op(r, 0), "rule"), "deny src 02:42:00:00:00:00/ff:ff:ff:00:00:00");
	json_decref(r);
	r = parse("del-filter-rule vm1 ingress 2");
	assert_string_equal(s(op(r, 0), "op"), "del-filter-rule");
	assert_string_equal(s(op(r, 0), "rule"), "2");
	json_decref(r);
	r = parse("set-filter-default vm1 ingress deny");
	assert_string_equal(s(op(r, 0), "policy"), "deny");
	json_decref(r);
	r = parse("list-filter-rules vm1");
	assert_string_equal(method(r), "list-filter-rules");
	assert_string_equal(s(json_object_get(r, "params"), "port"), "vm1");
	json_decref(r);

	assert_null(parse("lock-port vm1"));
	assert_non_null(strstr(err, "'lock-port' takes at least 2 arguments, 1 given"));
	assert_null(parse("add-filter-rule vm1 inbound allow src 52:54:00:00:00:01"));
	assert_non_null(strstr(err, "'inbound': expected ingress or egress"));
	assert_null(parse("set-filter-default vm1 egress drop"));
	assert_non_null(strstr(err, "'drop': expected allow or deny"));
	assert_null(parse("del-filter-rule vm1 egress"));
	assert_non_null(strstr(err, "takes at least 3 arguments"));
	assert_null(parse("unlock-port"));
	assert_null(parse("list-filter-rules"));
}

static void test_capture(void **state)
{
	json_t *r, *p;

	(void)state;
	r = parse("capture vm1 -Q in -c 10 --duration 5 -s 96 -w /tmp/x.pcap tcp port 80");
	assert_non_null(r);
	assert_string_equal(method(r), "capture");
	p = json_object_get(r, "params");
	assert_string_equal(s(p, "port"), "vm1");
	assert_string_equal(s(p, "direction"), "rx");
	assert_int_equal(json_integer_value(json_object_get(p, "count")), 10);
	assert_int_equal(json_integer_value(json_object_get(p, "duration")), 5);
	assert_int_equal(json_integer_value(json_object_get(p, "snaplen")), 96);
	assert_string_equal(s(p, "expression"), "tcp port 80");
	assert_string_equal(s(r, "write"), "/tmp/x.pcap");
	assert_null(json_object_get(p, "write")); /* kvsctl's, not the daemon's */
	json_decref(r);

	r = parse("capture vm1 --direction tx -w - -- -1");
	assert_non_null(r);
	p = json_object_get(r, "params");
	assert_string_equal(s(p, "direction"), "tx");
	assert_string_equal(s(p, "expression"), "-1"); /* after --, an expression */
	assert_string_equal(s(r, "write"), "-");
	json_decref(r);

	r = parse("capture vm1");
	assert_non_null(r);
	p = json_object_get(r, "params");
	assert_null(json_object_get(p, "expression"));
	assert_null(json_object_get(p, "direction")); /* the daemon's default: both */
	json_decref(r);

	assert_null(parse("capture"));
	assert_non_null(strstr(err, "give a port"));
	assert_null(parse("capture -w x.pcap"));
	assert_null(parse("capture vm1 --snaplen 262145"));
	assert_non_null(strstr(err, "snaplen '262145'"));
	r = parse("capture vm1 -s 0 --direction=tx --count=3"); /* tcpdump's 0: all */
	assert_non_null(r);
	p = json_object_get(r, "params");
	assert_int_equal(json_integer_value(json_object_get(p, "snaplen")), 0);
	assert_string_equal(s(p, "direction"), "tx");
	assert_int_equal(json_integer_value(json_object_get(p, "count")), 3);
	json_decref(r);
	assert_null(parse("capture vm1 --help"));
	assert_non_null(strstr(err, "unknown option '--help'"));
	assert_null(parse("capture vm1 -n icmp"));
	assert_non_null(strstr(err, "unknown option '-n'"));
	assert_null(parse("capture vm1 --count 12x"));
	assert_non_null(strstr(err, "count '12x'"));
	assert_null(parse("capture vm1 --duration -3"));
	assert_null(parse("capture vm1 --direction sideways"));
	assert_non_null(strstr(err, "direction 'sideways'"));
	assert_null(parse("capture vm1 --bogus 1"));
	assert_non_null(strstr(err, "unknown option '--bogus'"));
	assert_null(parse("capture vm1 -w"));
	assert_non_null(strstr(err, "-w needs a value"));
}

static void test_records_by_id(void **state)
{
	json_t *r = parse("-- --id=@q create QoS type=egress-policer other-config:cir=10 -- set "
			  "Port vm1 qos=@q");
	json_t *sets;

	(void)state;
	assert_non_null(r);
	assert_string_equal(method(r), "transact");
	assert_int_equal(json_array_size(json_object_get(r, "params")), 2);
	assert_string_equal(s(op(r, 0), "op"), "create");
	assert_string_equal(s(op(r, 0), "table"), "QoS");
	assert_string_equal(s(op(r, 0), "id"), "@q");
	sets = json_object_get(op(r, 0), "sets");
	assert_string_equal(s(json_array_get(sets, 1), "column"), "other-config");
	assert_string_equal(s(json_array_get(sets, 1), "key"), "cir");
	assert_string_equal(s(op(r, 1), "op"), "set");
	assert_null(json_object_get(op(r, 1), "id"));
	json_decref(r);
	/* a get in a chain names a port; table names as ovs-vsctl takes them */
	r = parse("--id=@p get port vm4 -- --id=@m create mirror name=m0 output-port=@p");
	assert_non_null(r);
	assert_string_equal(s(op(r, 0), "op"), "get");
	assert_string_equal(s(op(r, 0), "table"), "Port");
	assert_string_equal(s(op(r, 0), "record"), "vm4");
	assert_string_equal(s(op(r, 1), "table"), "Mirror");
	json_decref(r);
	assert_null(parse("--id=@q set Port vm1 tag=1"));
	assert_string_equal(err, "--id names the record of a create or get, not of 'set'");
	assert_null(parse("--id=@q create Controller target=x"));
	assert_non_null(strstr(err, "'Controller' is not supported by kvswitch"));
	assert_null(parse("set QoS q1 type=x")); /* only create names those tables */
	assert_non_null(strstr(err, "'QoS' is not supported by kvswitch"));
	assert_null(parse("-- --"));
	assert_string_equal(err, "empty command between '--' separators");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_port_chain),  cmocka_unit_test(test_options_and_quotes),
		cmocka_unit_test(test_reads),           cmocka_unit_test(test_errors),
		cmocka_unit_test(test_filter_commands), cmocka_unit_test(test_capture),
		cmocka_unit_test(test_table_names),     cmocka_unit_test(test_list_find),
		cmocka_unit_test(test_records_by_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
