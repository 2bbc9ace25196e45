/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the configuration file (control/conf_file.c): loading from
 * strings (every section, scalar styles, empty files) and every kind of
 * error with its line, save/load round trips, the atomicity of conf_save,
 * and the example files under configs/.  Temp files only; run by meson test.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/db.h"

#define assert_has(text, sub)                                                                      \
	do {                                                                                       \
		if (strstr((text), (sub)) == NULL)                                                 \
			fail_msg("'%s' not found in '%s'", (sub), (text));                         \
	} while (0)

static char *get(const struct db *db, const char *table, const char *rec, const char *col,
		 const char *key)
{
	static char out[1024];
	char err[DB_ERR_LEN];

	if (db_get(db, table, rec, col, key, out, sizeof(out), err, sizeof(err)) != 0)
		fail_msg("db_get %s %s %s: %s", table, rec, col, err);
	return out;
}

static struct db *load_ok(const char *text)
{
	char err[DB_ERR_LEN] = "";
	struct db *db = conf_load_string(text, "t.yaml", err, sizeof(err));

	if (db == NULL)
		fail_msg("load failed: %s\n--- text ---\n%s", err, text);
	return db;
}

static void test_load(void **state)
{
	static const char text[] =
		"# a comment\n"
		"open_vswitch:\n"
		"  other_config:\n"
		"    pmd-cpu-mask: \"0x2\"\n"
		"    vhost-sock-dir: /var/run/kvswitch\n"
		"    vhost-sock-mode: '0660'\n"
		"    pmd-rxq-isolate: false\n"
		"bridges:\n"
		"  br0:\n"
		"    other_config:\n"
		"      mac-aging-time: 300\n"
		"    ports:\n"
		"      vm1:\n"
		"        type: dpdkvhostuser\n"
		"        tag: 10\n"
		"      vm2:\n"
		"        options:\n"
		"          vhost-server-path: /tmp/vm2.sock\n"
		"        type: dpdkvhostuserclient\n"
		"        trunks: [10, 20]\n"
		"        mtu_request: 9000\n"
		"        other_config:\n"
		"          pmd-rxq-affinity: \"0:1\"\n"
		"  br1:\n"
		"    ports:\n"
		"      nic0: {type: dpdk, options: {dpdk-devargs: \"0000:03:00.0\", "
		"n_rxq: 2}, trunks: \"30 10\"}\n"
		"      vm3:\n"
		"        type: \"dpdkvhostuser\"\n"
		"        trunks:\n"
		"          - 5\n"
		"          - \"6\"\n";
	struct db *db = load_ok(text);
	struct db_bridge *br;
	struct db_port *p;

	(void)state;
	assert_int_equal(db->n_bridges, 2);
	assert_string_equal(get(db, "Open_vSwitch", ".", "other_config", "pmd-cpu-mask"), "0x2");
	assert_string_equal(get(db, "Open_vSwitch", ".", "other_config", "vhost-sock-mode"),
			    "0660");
	assert_string_equal(get(db, "Open_vSwitch", ".", "other_config", "pmd-rxq-isolate"),
			    "false");
	assert_string_equal(get(db, "Bridge", "br0", "other_config", "mac-aging-time"), "300");
	assert_string_equal(get(db, "Port", "vm1", "tag", NULL), "10");
	assert_string_equal(get(db, "Port", "vm2", "type", NULL), "dpdkvhostuserclient");
	assert_string_equal(get(db, "Port", "vm2", "options", "vhost-server-path"),
			    "/tmp/vm2.sock");
	assert_string_equal(get(db, "Port", "vm2", "trunks", NULL), "[10, 20]");
	assert_string_equal(get(db, "Port", "vm2", "mtu_request", NULL), "9000");
	assert_string_equal(get(db, "Port", "vm2", "other_config", "pmd-rxq-affinity"), "0:1");
	assert_string_equal(get(db, "Port", "nic0", "options", "n_rxq"), "2");
	assert_string_equal(get(db, "Port", "nic0", "trunks", NULL), "[10, 30]");
	assert_string_equal(get(db, "Port", "vm3", "trunks", NULL), "[5, 6]");

	/* Records remember where they were defined. */
	br = db_bridge_find(db, "br0");
	assert_int_equal(br->line, 9);
	p = db_port_find(db, "vm2", NULL);
	assert_int_equal(p->line, 16);
	assert_int_equal(db_port_find(db, "nic0", NULL)->line, 26);
	db_destroy(db);
}

static void test_load_empty(void **state)
{
	static const char *const texts[] = {
		"",
		"\n\n",
		"# only a comment\n# and another\n",
		"---\n",
		"{}\n",
		"open_vswitch:\nbridges:\n",
		"open_vswitch:\n  other_config:\nbridges: {}\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct db *db = load_ok(texts[i]);

		assert_int_equal(db->n_bridges, 0);
		assert_int_equal(db->other_config.n, 0);
		db_destroy(db);
	}

	/* A bridge with nothing under it. */
	struct db *db = load_ok("bridges:\n  br0:\n  br1:\n    ports:\n");

	assert_int_equal(db->n_bridges, 2);
	assert_int_equal(db_bridge_find(db, "br1")->n_ports, 0);
	db_destroy(db);
}

static void test_load_mirrors(void **state)
{
	static const char text[] = "bridges:\n"
				   "  br0:\n"
				   "    mirrors:\n"
				   "      m1:\n"
				   "        select_src_port: [vm2, vm1]\n"
				   "        select_dst_port:\n"
				   "          - vm1\n"
				   "        select_vlan: [20, \"10\", 20]\n"
				   "        output_port: mon\n"
				   "      m0: {select_all: true, output_port: mon}\n"
				   "      idle:\n"
				   "        select_src_port: []\n"
				   "        select_all: false\n"
				   "        output_port: mon\n"
				   "    ports:\n"
				   "      vm1: {type: dpdkvhostuser}\n"
				   "      vm2: {type: dpdkvhostuser}\n"
				   "      mon: {type: dpdkvhostuser}\n";
	struct db *db = load_ok(text), *back;
	struct db_bridge *br = db_bridge_find(db, "br0");
	char *dump, *dump2, err[DB_ERR_LEN] = "";

	(void)state;
	assert_int_equal(br->n_mirrors, 3);
	/* records remember where they were defined */
	assert_int_equal(db_mirror_find(br, "m1")->line, 4);
	assert_int_equal(db_mirror_find(br, "m0")->line, 10);
	assert_false(db_mirror_find(br, "idle")->select_all);

	/* what was read, in the dump's fixed order (names, the lists made
	 * sorted sets, no empty lists), and read back the same */
	dump = conf_dump(db);
	assert_has(dump, "    mirrors:\n"
			 "      idle:\n"
			 "        output_port: mon\n"
			 "      m0:\n"
			 "        select_all: true\n"
			 "        output_port: mon\n"
			 "      m1:\n"
			 "        select_src_port: [vm1, vm2]\n"
			 "        select_dst_port: [vm1]\n"
			 "        select_vlan: [10, 20]\n"
			 "        output_port: mon\n");
	back = conf_load_string(dump, "dump", err, sizeof(err));
	if (back == NULL)
		fail_msg("%s\n%s", err, dump);
	dump2 = conf_dump(back);
	assert_string_equal(dump, dump2);
	db_destroy(back);
	free(dump);
	free(dump2);
	db_destroy(db);
}

static void test_load_qos(void **state)
{
	static const char text[] =
		"bridges:\n"
		"  br0:\n"
		"    ports:\n"
		"      vm1:\n"
		"        type: dpdkvhostuser\n"
		"        qos:\n"
		"          type: trtcm-policer\n"
		"          other_config: {cir: 1000, cbs: \"2000\", eir: 5, ebs: 1600}\n"
		"      vm2:\n"
		"        type: dpdkvhostuser\n"
		"        qos: {type: egress-policer, other_config: {cir: 125000, "
		"cbs: 15000}}\n";
	struct db *db = load_ok(text), *back;
	const struct db_port *p = db_port_find(db, "vm1", NULL);
	char *dump, *dump2, err[DB_ERR_LEN] = "";

	(void)state;
	assert_int_equal(p->qos.type, DB_QOS_TRTCM_POLICER);
	assert_int_equal(p->qos.cir, 1000);
	assert_int_equal(p->qos.cbs, 2000);
	assert_int_equal(p->qos.eir, 5);
	assert_int_equal(p->qos.ebs, 1600);
	p = db_port_find(db, "vm2", NULL);
	assert_int_equal(p->qos.type, DB_QOS_EGRESS_POLICER);
	assert_int_equal(p->qos.eir, 0);
	dump = conf_dump(db);
	assert_has(dump, "      vm2:\n"
			 "        type: dpdkvhostuser\n"
			 "        qos:\n"
			 "          type: egress-policer\n"
			 "          other_config:\n"
			 "            cbs: 15000\n"
			 "            cir: 125000\n");
	back = conf_load_string(dump, "dump", err, sizeof(err));
	if (back == NULL)
		fail_msg("%s\n%s", err, dump);
	dump2 = conf_dump(back);
	assert_string_equal(dump, dump2);
	assert_memory_equal(&db_port_find(back, "vm1", NULL)->qos,
			    &db_port_find(db, "vm1", NULL)->qos, sizeof(struct db_qos));
	db_destroy(back);
	free(dump);
	free(dump2);
	db_destroy(db);
}

struct ecase {
	const char *text;
	const char *where; /* "t.yaml:LINE:" */
	const char *error;
	int err_no;
};

static const struct ecase ecases[] = {
	/* YAML syntax */
	{"bridges:\n  br0: [\n", "t.yaml:3:", "did not find expected", EINVAL},
	{"bridges:\n  br0:\n    ports: {a: 1\n", "t.yaml:4:", "did not find expected", EINVAL},
	{"bridges:\n\tbr0: {}\n", "t.yaml:2:", "indent with spaces, not tabs", EINVAL},
	{"open_vswitch:\n  other_config:\n  a: b\n    c: d\n",
	 "t.yaml:4:", "mapping values are not allowed", EINVAL},
	{"bridges: {}\n---\nbridges: {}\n", "t.yaml:2:", "more than one YAML document", EINVAL},
	{"\"unterminated\n", "t.yaml:2:", "found unexpected end of stream", EINVAL},
	/* Structure */
	{"bridges: {}\n\nbridgess: {}\n", "t.yaml:3:", "unknown top-level key 'bridgess'", EINVAL},
	{"open_vswitch:\n  other_conf:\n", "t.yaml:2:", "unknown key 'other_conf' in open_vswitch",
	 EINVAL},
	{"bridges:\n  br0:\n    port: {}\n", "t.yaml:3:", "bridge 'br0': unknown key 'port'",
	 EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n        vlan: 1\n",
	 "t.yaml:6:", "port 'vm1': unknown key 'vlan'", EINVAL},
	{"bridges:\n  - br0\n", "t.yaml:2:", "bridges must be a mapping, not a sequence", EINVAL},
	/* QoS: the line of the qos key for what its row says, of the key for its shape */
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        qos: {type: linux-htb}\n",
	 "t.yaml:6:", "port 'vm1': qos: type 'linux-htb' is not one kvswitch runs", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        qos:\n          type: egress-policer\n          rate: 5\n",
	 "t.yaml:8:", "port 'vm1': qos: unknown key 'rate' (expected type or other_config)",
	 EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        qos: {type: egress-policer, other_config: {cir: 1000, ebs: 2000}}\n",
	 "t.yaml:6:", "egress-policer has no other_config key 'ebs' (it takes cir and cbs)",
	 EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        qos: {type: egress-policer, other_config: {cir: 1000, cbs: 200}}\n",
	 "t.yaml:4:", "qos egress-policer: other_config:cbs 200 bytes is smaller than one frame",
	 EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        qos: {type: egress-policer, other_config: {cbs: 2000}}\n",
	 "t.yaml:4:", "other_config:cir (bytes/s) must be given and not 0", EINVAL},
	{"- a\n", "t.yaml:1:", "the top level must be a mapping, not a sequence", EINVAL},
	{"bridges: br0\n", "t.yaml:1:", "bridges must be a mapping, not a scalar", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        tag: {a: 1}\n",
	 "t.yaml:6:", "port 'vm1' 'tag' must be a scalar, not a mapping", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        trunks: [[1]]\n",
	 "t.yaml:6:", "trunks items must be VLAN numbers", EINVAL},
	{"open_vswitch:\n  other_config:\n    pmd-cpu-mask:\n",
	 "t.yaml:3:", "'pmd-cpu-mask' has no value", EINVAL},
	{"open_vswitch:\n  other_config:\n    [a]: 1\n", "t.yaml:3:", "keys in", EINVAL},
	/* Duplicates */
	{"bridges:\n  br0: {}\nbridges:\n  br1: {}\n", "t.yaml:3:", "duplicate key 'bridges'",
	 EINVAL},
	{"bridges:\n  br0:\n    other_config:\n      mac-aging-time: 1\n      mac-aging-time: 2\n",
	 "t.yaml:5:", "duplicate key 'mac-aging-time'", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1: {type: dpdkvhostuser}\n"
	 "  br1:\n    ports:\n      vm1: {type: dpdkvhostuser}\n",
	 "t.yaml:7:", "port 'vm1' already exists in bridge 'br0'", EEXIST},
	/* Values and names */
	{"bridges:\n  br0:\n    other_config:\n      mac-aging-time: 0\n", "t.yaml:4:",
	 "bridge 'br0' other_config 'mac-aging-time': '0' is out of range 1..86400", EINVAL},
	{"open_vswitch:\n  other_config:\n    pmd-cpu-mask: 0\n", "t.yaml:3:", "selects no CPU",
	 EINVAL},
	{"open_vswitch:\n  other_config:\n    pmd-cpu-mask: 0x1\n    colour: blue\n",
	 "t.yaml:4:", "unknown other_config key 'colour'", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        options:\n          n_rxqq: 2\n",
	 "t.yaml:7:", "port 'vm1': unknown option 'n_rxqq' for type dpdkvhostuser", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        options:\n          n_rxq: 2\n"
	 "        type: dpdkvhostuser\n",
	 "t.yaml:6:", "unknown option 'n_rxq' for type dpdkvhostuser", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        tag: 4095\n",
	 "t.yaml:6:", "tag '4095' is out of range 1..4094", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        mtu_request: big\n",
	 "t.yaml:6:", "mtu_request 'big' is not a number", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: vhost\n",
	 "t.yaml:5:", "unknown type 'vhost'", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        tag: 5\n",
	 "t.yaml:4:", "port 'vm1' has no type", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n", "t.yaml:4:", "port 'vm1' has no type",
	 EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuserclient\n",
	 "t.yaml:4:", "option 'vhost-server-path' is required", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        tag: 5\n        trunks: 6\n",
	 "t.yaml:4:", "port 'vm1': tag and trunks are exclusive", EINVAL},
	{"bridges:\n  br0:\n    other_config: {mac-table-size: 32, mac-port-limit: 33}\n",
	 "t.yaml:2:", "'mac-port-limit': '33' is out of range 1..32", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      a: {type: dpdk, options: {dpdk-devargs: x}}\n"
	 "      b: {type: dpdk, options: {dpdk-devargs: x}}\n",
	 "t.yaml:5:", "port 'b': dpdk-devargs 'x' is already used by port 'a'", EINVAL},
	{"bridges:\n  \"br 0\": {}\n", "t.yaml:2:", "bridge name 'br 0' has invalid character",
	 EINVAL},
	{"bridges:\n  br0:\n    ports:\n      -vm: {type: dpdk}\n",
	 "t.yaml:4:", "port name '-vm' must not start with '-'", EINVAL},
	/* Filters: each key at its own line, the whole map at the port's */
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        filter:\n          ingress-default: deny\n"
	 "          ingress-rules: \"allow src 52:54:00:00:00:01, permit dst 02:00:00:00:00:01\"\n",
	 "t.yaml:8:", "rule 'permit dst 02:00:00:00:00:01': expected 'allow|deny src|dst", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        filter:\n          egress-rules: deny src 52:54:00:00:00:zz\n",
	 "t.yaml:7:", "'52:54:00:00:00:zz' is not a MAC address", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        filter:\n          ingress-default: block\n",
	 "t.yaml:7:", "port 'vm1': filter ingress-default: 'block' is not allow or deny", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        filter:\n          ingress-prog: /x.o\n",
	 "t.yaml:7:", "unknown filter key 'ingress-prog'", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        filter:\n          egress-program: x.o\n",
	 "t.yaml:7:", "filter egress-program: 'x.o' is not an absolute path", EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        filter:\n          egress-program: /x.o\n          egress-expression: arp\n",
	 "t.yaml:4:", "port 'vm1': filter egress: rules, program and expression are exclusive",
	 EINVAL},
	{"bridges:\n  br0:\n    ports:\n      vm1:\n        type: dpdkvhostuser\n"
	 "        filter: deny\n",
	 "t.yaml:6:", "must be a mapping", EINVAL},
/* Mirrors: keys and types at their line, the rules at the mirror's */
#define MIRROR_PORTS                                                                               \
	"    ports:\n      vm1: {type: dpdkvhostuser}\n      vm2: {type: dpdkvhostuser}\n"
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0:\n        output_port: vm2\n"
	 "        select_port: [vm1]\n",
	 "t.yaml:9:",
	 "mirror 'm0' of bridge 'br0': unknown key 'select_port' (expected select_all, "
	 "select_src_port, select_dst_port, select_vlan or output_port)",
	 EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0:\n        output_port: vm2\n"
	 "        select_src_port: vm1\n",
	 "t.yaml:9:",
	 "mirror 'm0' of bridge 'br0': select_src_port must be a list of port names, not a scalar",
	 EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0:\n        output_port: vm2\n"
	 "        select_dst_port:\n          - [vm1]\n",
	 "t.yaml:10:", "select_dst_port items must be port names, not a sequence", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0:\n        output_port: vm2\n"
	 "        select_dst_port: [vm1, \"\"]\n",
	 "t.yaml:9:", "select_dst_port items must be port names, not an empty value", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0:\n        output_port: vm2\n"
	 "        select_all: yes\n",
	 "t.yaml:9:", "mirror 'm0' of bridge 'br0': select_all 'yes' is not true or false", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0:\n        output_port: vm2\n"
	 "        select_vlan:\n          - 10\n          - 4096\n",
	 "t.yaml:11:",
	 "mirror 'm0' of bridge 'br0': select_vlan: '4096' is not a VLAN number (0..4095)", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0:\n        output_port: vm2\n"
	 "        select_vlan: 10\n",
	 "t.yaml:9:", "select_vlan must be a list of VLAN numbers, not a scalar", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0:\n        output_port: [vm2]\n",
	 "t.yaml:8:", "mirror 'm0' of bridge 'br0' 'output_port' must be a scalar, not a sequence",
	 EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0:\n        output_vlan: 0\n",
	 "t.yaml:8:", "output_vlan '0' is not a VLAN number (1..4095)", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors: [m0]\n",
	 "t.yaml:6:", "bridge 'br0' mirrors must be a mapping, not a sequence", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0: vm2\n",
	 "t.yaml:7:", "mirror 'm0' of bridge 'br0' must be a mapping, not a scalar", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0: {output_port: vm2}\n"
	 "      m0: {output_port: vm2}\n",
	 "t.yaml:8:", "duplicate key 'm0' in bridge 'br0' mirrors", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0:\n        select_all: true\n"
	 "        output_vlan: 10\n",
	 "t.yaml:7:",
	 "mirror 'm0' of bridge 'br0': output_vlan 10: kvswitch does not run output_vlan", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0:\n        select_all: true\n",
	 "t.yaml:7:", "mirror 'm0' of bridge 'br0' has no output_port", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0:\n",
	 "t.yaml:7:", "mirror 'm0' of bridge 'br0' has no output_port", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n      m0: {output_port: vm3}\n",
	 "t.yaml:7:", "output_port 'vm3' is not a port of bridge 'br0'", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "  br1:\n    ports:\n      vm3: {type: dpdkvhostuser}\n"
	 "    mirrors:\n"
	 "      m9: {select_src_port: [vm1], output_port: vm3}\n",
	 "t.yaml:10:",
	 "mirror 'm9' of bridge 'br1': select_src_port 'vm1' is a port of bridge 'br0'", EINVAL},
	{"bridges:\n  br0:\n" MIRROR_PORTS "    mirrors:\n"
	 "      m0: {select_all: true, output_port: vm2}\n"
	 "      m1: {select_dst_port: [vm2], output_port: vm1}\n",
	 "t.yaml:7:",
	 "mirror 'm0' of bridge 'br0': output port 'vm2' is also a selected port (select_dst_port) "
	 "of mirror 'm1'",
	 EINVAL},
#undef MIRROR_PORTS
};

static void test_load_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ecases) / sizeof(ecases[0]); i++) {
		const struct ecase *c = &ecases[i];
		char err[DB_ERR_LEN] = "";
		struct db *db;

		errno = 0;
		db = conf_load_string(c->text, "t.yaml", err, sizeof(err));
		if (db != NULL)
			fail_msg("case %zu accepted:\n%s", i, c->text);
		if (strncmp(err, c->where, strlen(c->where)) != 0 || strstr(err, c->error) == NULL)
			fail_msg("case %zu: got '%s', expected '%s ...%s...'", i, err, c->where,
				 c->error);
		assert_int_equal(errno, c->err_no);
	}
}

/* A db with every column set and values that need quoting in YAML. */
static struct db *full_db(void)
{
	static const char *const sets[][5] = {
		{"Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "0x6"},
		{"Open_vSwitch", ".", "other_config", "vhost-sock-mode", "0660"},
		{"Open_vSwitch", ".", "other_config", "pmd-rxq-isolate", "false"},
		{"Open_vSwitch", ".", "other_config", "n-mbufs", "8192"},
		{"Open_vSwitch", ".", "other_config", "dpdk-extra",
		 "-a 0000:01:00.0 --log-level \"pmd: debug\" # not a comment: 'x' \\ é"},
		{"Bridge", "br0", "other_config", "mac-aging-time", "30"},
		{"Port", "vm1", "type", NULL, "dpdkvhostuser"},
		{"Port", "vm1", "tag", NULL, "10"},
		{"Port", "vm1", "other_config", "pmd-rxq-affinity", "0:1,1:2"},
		{"Port", "vm1", "filter", "ingress-rules",
		 "allow src 52:54:00:00:00:01, allow src 02:00:00:00:00:00/ff:00:00:00:00:00"},
		{"Port", "vm1", "filter", "ingress-default", "deny"},
		{"Port", "vm2", "filter", "egress-expression", "not ether src 52:54:00:00:00:01"},
		{"Port", "vm2", "type", NULL, "dpdkvhostuserclient"},
		{"Port", "vm2", "options", "vhost-server-path", "/tmp/a dir/vm2: sock"},
		{"Port", "vm2", "trunks", NULL, "1,2,4094"},
		{"Port", "vm2", "mtu_request", NULL, "9000"},
		{"Port", "nic", "type", NULL, "dpdk"},
		{"Port", "nic", "options", "dpdk-devargs", "net_null0,size=64"},
		{"Port", "nic", "options", "n_rxq_desc", "0512"},
	};
	char err[DB_ERR_LEN];
	struct db *db = db_create();

	assert_int_equal(db_bridge_add(db, "br0", err, sizeof(err)), 0);
	assert_int_equal(db_bridge_add(db, "br-empty", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br0", "vm1", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br0", "vm2", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br0", "nic", err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (db_set(db, sets[i][0], sets[i][1], sets[i][2], sets[i][3], sets[i][4], err,
			   sizeof(err)))
			fail_msg("%s", err);
	{
		char *src[] = {"vm2", "vm1"};
		struct db_mirror m = {.name = "to nic: all",
				      .select_all = true,
				      .src_ports = src,
				      .n_src = 2,
				      .select_vlans = (uint16_t[]){10, 0, 4095},
				      .n_vlans = 3,
				      .output_port = "nic"};

		assert_int_equal(db_mirror_put(db, "br0", &m), 0);
		m.name = "true";
		m.n_src = 0;
		assert_int_equal(db_mirror_put(db, "br0", &m), 0);
	}
	if (db_validate(db, err, sizeof(err)))
		fail_msg("%s", err);
	return db;
}

static char tmpdir[1024];

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/kvs-test-conf-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown_tmp(void **state)
{
	char cmd[PATH_MAX + 32];

	(void)state;
	chmod(tmpdir, 0700);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_save_roundtrip(void **state)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], err[DB_ERR_LEN] = "";
	struct db *db = full_db(), *back;
	char *dump, *dump2, *file;

	(void)state;
	snprintf(path, sizeof(path), "%s/kvswitch.yaml", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	dump = conf_dump(db);
	assert_non_null(dump);
	assert_int_equal(strncmp(dump, "# ", 2), 0);
	assert_has(dump, "rewritten by kvswitchd on every change");
	assert_has(dump, "pmd-cpu-mask: \"0x6\"");
	assert_has(dump, "trunks: [1, 2, 4094]");

	if (conf_save(db, path, err, sizeof(err)) != 0)
		fail_msg("conf_save: %s", err);
	assert_int_equal(access(tmp, F_OK), -1);
	file = slurp(path);
	assert_string_equal(file, dump);

	back = conf_load(path, err, sizeof(err));
	if (back == NULL)
		fail_msg("conf_load: %s\n%s", err, file);
	dump2 = conf_dump(back);
	assert_string_equal(dump, dump2);
	assert_string_equal(get(back, "Open_vSwitch", ".", "other_config", "dpdk-extra"),
			    "-a 0000:01:00.0 --log-level \"pmd: debug\" # not a comment: 'x' \\ é");
	assert_string_equal(get(back, "Port", "vm2", "options", "vhost-server-path"),
			    "/tmp/a dir/vm2: sock");
	assert_string_equal(get(back, "Port", "nic", "options", "n_rxq_desc"), "0512");
	assert_non_null(db_bridge_find(back, "br-empty"));
	assert_string_equal(get(back, "Port", "vm1", "filter", "ingress-default"), "deny");
	assert_string_equal(get(back, "Port", "vm2", "filter", "egress-expression"),
			    "not ether src 52:54:00:00:00:01");
	assert_has(dump, "filter:");
	/* a name that needs quoting, and one a YAML reader takes for a bool: read
	 * back as text, as every value */
	assert_has(dump,
		   "      true:\n        select_all: true\n        select_vlan: [0, 10, 4095]\n");
	assert_has(dump, "    mirrors:\n      'to nic: all':\n        select_all: true\n"
			 "        select_src_port: [vm1, vm2]\n        select_vlan: [0, 10, 4095]\n"
			 "        output_port: nic\n");
	assert_int_equal(db_bridge_find(back, "br0")->n_mirrors, 2);
	assert_non_null(db_mirror_find(db_bridge_find(back, "br0"), "true"));

	/* Saving again over the file gives the same bytes. */
	assert_int_equal(conf_save(back, path, err, sizeof(err)), 0);
	free(file);
	file = slurp(path);
	assert_string_equal(file, dump);

	/* An empty db saves and loads as empty. */
	db_destroy(back);
	back = db_create();
	assert_int_equal(conf_save(back, path, err, sizeof(err)), 0);
	db_destroy(back);
	back = conf_load(path, err, sizeof(err));
	assert_non_null(back);
	assert_int_equal(back->n_bridges, 0);

	db_destroy(back);
	db_destroy(db);
	free(dump);
	free(dump2);
	free(file);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_save_atomic(void **state)
{
	static const char old[] = "# the old file\nbridges: {}\n";
	char path[PATH_MAX], tmp[PATH_MAX + 8], sub[2048], err[DB_ERR_LEN];
	struct db *db = full_db();
	struct stat st;
	char *text;

	(void)state;
	/* Missing directory: an error, nothing created. */
	snprintf(path, sizeof(path), "%s/missing/kvswitch.yaml", tmpdir);
	err[0] = '\0';
	assert_int_equal(conf_save(db, path, err, sizeof(err)), -ENOENT);
	assert_has(err, "missing/kvswitch.yaml.tmp");
	assert_int_equal(access(path, F_OK), -1);

	/* The temp file cannot be created: the old file stays as it was. */
	snprintf(path, sizeof(path), "%s/a.yaml", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	write_file(path, old);
	assert_int_equal(mkdir(tmp, 0700), 0);
	err[0] = '\0';
	assert_true(conf_save(db, path, err, sizeof(err)) < 0);
	assert_has(err, "a.yaml.tmp");
	text = slurp(path);
	assert_string_equal(text, old);
	free(text);
	assert_int_equal(stat(tmp, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(rmdir(tmp), 0);

	/* The rename fails (the target is a non-empty directory): the temp
	 * file is removed and the directory untouched. */
	snprintf(path, sizeof(path), "%s/b.yaml", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/b.yaml/keep", tmpdir);
	write_file(sub, old);
	err[0] = '\0';
	assert_true(conf_save(db, path, err, sizeof(err)) < 0);
	assert_has(err, "rename");
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(access(sub, F_OK), 0);

	/* A read-only directory; root writes there anyway, so only as a user. */
	snprintf(sub, sizeof(sub), "%s/ro", tmpdir);
	snprintf(path, sizeof(path), "%s/c.yaml", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_file(path, old);
	assert_int_equal(chmod(sub, 0500), 0);
	if (access(sub, W_OK) != 0) {
		err[0] = '\0';
		assert_int_equal(conf_save(db, path, err, sizeof(err)), -EACCES);
		assert_has(err, "c.yaml.tmp");
		text = slurp(path);
		assert_string_equal(text, old);
		free(text);
	}
	assert_int_equal(chmod(sub, 0700), 0);

	/* And a save that works replaces the file, keeping its mode. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(conf_save(db, path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = slurp(path);
	assert_has(text, "vm2:");
	free(text);
	db_destroy(db);
}

static void test_load_file_errors(void **state)
{
	char path[PATH_MAX], err[DB_ERR_LEN] = "";

	(void)state;
	snprintf(path, sizeof(path), "%s/nope.yaml", tmpdir);
	errno = 0;
	assert_null(conf_load(path, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_has(err, "nope.yaml: No such file or directory");

	snprintf(path, sizeof(path), "%s/bad.yaml", tmpdir);
	write_file(path, "bridges:\n  br0:\n    other_config:\n      mac-table-size: 8\n");
	assert_null(conf_load(path, err, sizeof(err)));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_has(err, "bad.yaml:4: bridge 'br0' other_config 'mac-table-size': '8'");
}

/* Whatever sits at PATH.tmp (a crash's leftover, or planted by someone who
 * can write in the directory) is neither followed nor written through. */
static void test_save_stale_tmp(void **state)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], victim[PATH_MAX], err[DB_ERR_LEN] = "";
	struct db *db = full_db();
	struct stat st;
	char *text;

	(void)state;
	snprintf(path, sizeof(path), "%s/s.yaml", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", tmpdir);

	/* a hard link to another file: that file keeps its bytes */
	write_file(victim, "precious\n");
	assert_int_equal(link(victim, tmp), 0);
	if (conf_save(db, path, err, sizeof(err)) != 0)
		fail_msg("conf_save over a stale hard link: %s", err);
	text = slurp(victim);
	assert_string_equal(text, "precious\n");
	free(text);
	text = slurp(path);
	assert_has(text, "vm2:");
	free(text);

	/* a symlink: not followed, and no reason to refuse the save */
	assert_int_equal(symlink(victim, tmp), 0);
	if (conf_save(db, path, err, sizeof(err)) != 0)
		fail_msg("conf_save over a stale symlink: %s", err);
	text = slurp(victim);
	assert_string_equal(text, "precious\n");
	free(text);
	assert_int_equal(lstat(tmp, &st), -1);

	/* prepare writes PATH.tmp only; abort removes it; commit renames it */
	write_file(path, "# old\n");
	assert_int_equal(conf_save_prepare(db, path, err, sizeof(err)), 0);
	text = slurp(path);
	assert_string_equal(text, "# old\n");
	free(text);
	assert_int_equal(access(tmp, F_OK), 0);
	conf_save_abort(path);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(conf_save_prepare(db, path, err, sizeof(err)), 0);
	assert_int_equal(conf_save_commit(path, err, sizeof(err)), 0);
	text = slurp(path);
	assert_has(text, "vm2:");
	free(text);
	assert_int_equal(access(tmp, F_OK), -1);
	unlink(victim);
	db_destroy(db);
}

/* The repository root, from this file's path (absolute, or relative to the
 * build directory the tests run in). */
static const char *repo_file(const char *rel)
{
	static char path[PATH_MAX];
	const char *self = __FILE__;
	const char *tail = strstr(self, "tests/unit/test_conf.c");
	int root_len = tail ? (int)(tail - self) : 0;

	snprintf(path, sizeof(path), "%.*s%s", root_len, self, rel);
	if (access(path, R_OK) == 0)
		return path;
	/* Relative __FILE__ and a different working directory: search upwards. */
	for (int up = 0; up < 6; up++) {
		int n = 0;

		for (int i = 0; i < up; i++)
			n += snprintf(path + n, sizeof(path) - (size_t)n, "../");
		snprintf(path + n, sizeof(path) - (size_t)n, "%s", rel);
		if (access(path, R_OK) == 0)
			return path;
	}
	fail_msg("cannot find %s from %s", rel, self);
	return NULL;
}

static void test_demo_file(void **state)
{
	char err[DB_ERR_LEN] = "";
	struct db *db = conf_load(repo_file("configs/demo.yaml"), err, sizeof(err));
	struct db_bridge *br;

	(void)state;
	if (db == NULL)
		fail_msg("%s", err);
	assert_int_equal(db->n_bridges, 1);
	br = db_bridge_find(db, "br0");
	assert_non_null(br);
	assert_int_equal(br->n_ports, 2);
	assert_string_equal(get(db, "Port", "vm1", "type", NULL), "dpdkvhostuser");
	assert_string_equal(get(db, "Port", "vm2", "type", NULL), "dpdkvhostuser");
	db_destroy(db);
}

static void test_full_file(void **state)
{
	char err[DB_ERR_LEN] = "", *text, *p, *dump, *dump2;
	struct db_port_cfg pc;
	struct db_ovs_cfg oc;
	struct db *db, *back;

	(void)state;
	text = slurp(repo_file("configs/example-full.yaml"));
	/* The example names the usual "kvm" group; not every test host has it. */
	p = strstr(text, "vhost-sock-group: kvm\n");
	assert_non_null(p);
	if (getgrnam("kvm") == NULL)
		memcpy(p, "vhost-sock-group: bin\n", strlen("vhost-sock-group: bin\n"));
	db = conf_load_string(text, "example-full.yaml", err, sizeof(err));
	if (db == NULL)
		fail_msg("%s", err);

	/* Every Open_vSwitch key is there. */
	assert_int_equal(db->other_config.n, 16);
	db_ovs_cfg(db, &oc);
	assert_true(oc.pmd_cpu_mask == 0x6);
	assert_int_equal(oc.vhost_sock_mode, 0660);
	assert_string_equal(oc.metrics_address, "127.0.0.1:9473");
	assert_int_equal(db_bridge_find(db, "br0")->other_config.n, 3);
	db_port_cfg(db_port_find(db, "uplink", NULL), &pc);
	assert_int_equal(pc.type, DB_PORT_DPDK);
	assert_int_equal(pc.n_rxq, 2);
	assert_int_equal(pc.n_rxq_desc, 1024);
	db_port_cfg(db_port_find(db, "vm2", NULL), &pc);
	assert_int_equal(pc.type, DB_PORT_VHOST_CLIENT);
	assert_int_equal(pc.n_affinity, 2);
	assert_int_equal(pc.mtu, 9000);
	db_port_cfg(db_port_find(db, "vm1", NULL), &pc);
	assert_int_equal(pc.tag, 10);
	assert_int_equal(pc.mac_limit, 1024);
	assert_string_equal(get(db, "Port", "vm1", "filter", "ingress-default"), "deny");
	assert_int_equal(pc.policing_rate, 1000000);
	assert_int_equal(pc.qos.type, DB_QOS_EGRESS_POLICER);
	assert_int_equal(pc.qos.cbs, 12500000);
	assert_int_equal(db_bridge_find(db, "br0")->n_mirrors, 1);
	assert_string_equal(db_bridge_find(db, "br0")->mirrors[0]->output_port, "mon");

	dump = conf_dump(db);
	back = conf_load_string(dump, "dump", err, sizeof(err));
	if (back == NULL)
		fail_msg("%s", err);
	dump2 = conf_dump(back);
	assert_string_equal(dump, dump2);
	db_destroy(back);
	db_destroy(db);
	free(dump);
	free(dump2);
	free(text);
}

/* A select_vlan list longer than there are VLANs is refused: its count is
 * 16 bits, and 65536 items once loaded as none, i.e. every VLAN. */
static void test_mirror_vlan_list_bound(void **state)
{
	static const char head[] =
		"bridges:\n  br0:\n    ports:\n      vm1: {type: dpdkvhostuser}\n"
		"      vm2: {type: dpdkvhostuser}\n"
		"    mirrors:\n      m0:\n        output_port: vm2\n"
		"        select_vlan: [";
	size_t cap = sizeof(head) + 65536 * 3 + 8, len;
	char *text = malloc(cap), err[DB_ERR_LEN];
	struct db *db;

	(void)state;
	assert_non_null(text);
	len = (size_t)snprintf(text, cap, "%s", head);
	for (int i = 0; i < 65536; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s10", i ? "," : "");
	snprintf(text + len, cap - len, "]\n");
	db = conf_load_string(text, "t.yaml", err, sizeof(err));
	assert_null(db);
	assert_non_null(strstr(err, "select_vlan: 65536 items, at most 4096"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_empty),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_save_roundtrip),
		cmocka_unit_test(test_save_atomic),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_save_stale_tmp),
		cmocka_unit_test(test_demo_file),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_load_mirrors),
		cmocka_unit_test(test_load_qos),
		cmocka_unit_test(test_mirror_vlan_list_bound),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
