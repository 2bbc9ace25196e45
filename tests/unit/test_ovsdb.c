/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of OVSDB mode's pure parts: control/ovsdb_map.c (rows as
 * ovsdb-server sends them, RFC 7047 encodings, into kvswitch's db: what is
 * taken, what is refused per interface, what is noted as ignored) and
 * control/jsonrpc.c (framing of concatenated JSON on a socket pair: split,
 * glued, broken and closed streams).  No DPDK, no ovsdb-server.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "control/db.h"
#include "control/jsonrpc.h"
#include "control/ovsdb_map.h"

#define assert_has(text, sub)                                                                      \
	do {                                                                                       \
		if ((text) == NULL || strstr((text), (sub)) == NULL)                               \
			fail_msg("'%s' not found in '%s'", (sub), (text) ? (text) : "(null)");     \
	} while (0)

/* A replica in the shape the monitor builds, from single-quoted JSON. */
static json_t *replica(const char *text)
{
	char *t = strdup(text);
	json_error_t e;
	json_t *v;

	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(t, 0, &e);
	free(t);
	if (v == NULL)
		fail_msg("bad test JSON: %s at %d", e.text, e.position);
	return v;
}

/* Open_vSwitch -> br0 (netdev) -> ports p1 (vm1), p2 (vm2), br0 (internal) */
#define BASE_ROWS                                                                                  \
	"'Open_vSwitch': {'o1': {'bridges': ['uuid', 'b1'], 'next_cfg': 7, "                       \
	"  'other_config': ['map', [['pmd-cpu-mask', '0x2'], ['dpdk-init', 'true'], "              \
	"  ['pmd-maxsleep', '50'], ['vhost-sock-dir', 'vhu'], ['hw-offload', 'true'], "            \
	"  ['dpdk-socket-mem', '1024,0'], ['dpdk-hugepage-dir', '/dev/hugepages'], "               \
	"  ['dpdk-socket-limit', '2048 -d /tmp/evil.so']]]}},"                                     \
	"'Bridge': {'b1': {'name': 'br0', 'datapath_type': 'netdev', "                             \
	"  'ports': ['set', [['uuid', 'p1'], ['uuid', 'p2'], ['uuid', 'p3'], ['uuid', 'p0']]], "   \
	"  'other_config': ['map', [['mac-aging-time', '60']]], 'mirrors': ['set', []]}},"

static void test_map_bridge_ports_and_keys(void **state)
{
	struct ovsdb_map_result m;
	struct db_port_cfg pc;
	struct db_bridge_cfg bc;
	struct db_port *p;
	char err[DB_ERR_LEN];
	json_t *r = replica(
		"{" BASE_ROWS "'Port': {"
		" 'p1': {'name': 'vm1', 'interfaces': ['uuid', 'i1'], 'tag': 10, 'trunks': ['set', "
		"[]],"
		"        'vlan_mode': ['set', []], 'other_config': ['map', []]},"
		" 'p2': {'name': 'vm2', 'interfaces': ['uuid', 'i2'], 'tag': ['set', []],"
		"        'trunks': ['set', [20, 10]], 'vlan_mode': 'trunk'},"
		" 'p0': {'name': 'br0', 'interfaces': ['uuid', 'i0']},"
		" 'p3': {'name': 'vm3', 'interfaces': ['uuid', 'i3'], 'tag': 30, 'trunks': 40,"
		"        'vlan_mode': 'native-untagged'}},"
		"'Interface': {"
		" 'i3': {'name': 'vm3', 'type': 'dpdkvhostuser'},"
		" 'i1': {'name': 'vm1', 'type': 'dpdkvhostuser', 'options': ['map', []],"
		"        'mtu_request': 9000, 'external_ids': ['map', [['attached-mac', "
		"        '52:54:00:00:00:01'], ['iface-id', 'x']]],"
		"        'other_config': ['map', [['pmd-rxq-affinity', '0:1']]]},"
		" 'i2': {'name': 'vm2', 'type': 'dpdkvhostuserclient', 'options': ['map', "
		"        [['vhost-server-path', '/tmp/vm2.sock'], ['tx-retries-max', '4']]],"
		"        'mtu_request': ['set', []]},"
		" 'i0': {'name': 'br0', 'type': 'internal'}}}");

	(void)state;
	assert_int_equal(ovsdb_map_db(r, "/run/ovs", &m), 0);
	assert_int_equal(m.next_cfg, 7);
	assert_string_equal(m.ovs_uuid, "o1");
	assert_int_equal(json_object_size(m.iface_errors), 0);
	assert_int_equal(db_validate(m.db, err, sizeof(err)), 0);
	/* relative vhost-sock-dir is under OVS's run directory, as in OVS */
	assert_string_equal(smap_get(&m.db->other_config, "vhost-sock-dir"), "/run/ovs/vhu");
	assert_string_equal(smap_get(&m.db->other_config, "pmd-sleep-max"), "50");
	assert_string_equal(smap_get(&m.db->other_config, "pmd-cpu-mask"), "0x2");
	assert_null(smap_get(&m.db->other_config, "dpdk-init")); /* silent: EAL always runs */
	/* OVS's EAL keys become EAL arguments; a value that would add more is not */
	assert_string_equal(m.eal_args, "--socket-mem 1024,0 --huge-dir /dev/hugepages");
	assert_string_equal(json_string_value(json_object_get(m.local_ifaces, "br0")), "br0");
	/* an OVS key kvswitch lacks is noted, not silently dropped */
	if (json_array_size(m.ignored) != 2)
		fail_msg("notes: %s", json_dumps(m.ignored, 0));
	assert_has(json_string_value(json_array_get(m.ignored, 0)), "dpdk-socket-limit");
	assert_has(json_string_value(json_array_get(m.ignored, 1)), "hw-offload");

	assert_int_equal(m.db->n_bridges, 1);
	assert_int_equal(m.db->bridges[0]->n_ports, 3); /* not the internal br0 */
	db_bridge_cfg(m.db->bridges[0], &bc);
	assert_int_equal(bc.mac_aging_time, 60);
	p = db_port_find(m.db, "vm1", NULL);
	assert_non_null(p);
	db_port_cfg(p, &pc);
	assert_int_equal(pc.tag, 10);
	assert_int_equal(pc.mtu, 9000);
	assert_int_equal(pc.n_affinity, 1);
	assert_int_equal(pc.n_attached_macs, 1); /* from os-vif's external_ids */
	p = db_port_find(m.db, "vm3", NULL);
	assert_non_null(p);
	db_port_cfg(p, &pc);
	assert_int_equal(pc.tag, 0); /* a trunk... */
	assert_int_equal(pc.native_vlan, 30);
	assert_true(pc.native_untagged);
	assert_true(pc.trunks[0] & (1ull << 30)); /* ...that carries its native VLAN */
	assert_true(pc.trunks[0] & (1ull << 40));
	assert_false(pc.trunks[0] & (1ull << 41));
	p = db_port_find(m.db, "vm2", NULL);
	db_port_cfg(p, &pc);
	assert_int_equal(pc.type, DB_PORT_VHOST_CLIENT);
	assert_string_equal(pc.server_path, "/tmp/vm2.sock");
	assert_int_equal(pc.tx_retries_max, 4);
	assert_int_equal(pc.tag, 0);
	assert_true(pc.trunks[0] & (1ull << 10));
	assert_true(pc.trunks[0] & (1ull << 20));
	assert_false(pc.trunks[0] & (1ull << 11));
	ovsdb_map_result_free(&m);
	json_decref(r);
}

static void test_map_refuses_per_interface(void **state)
{
	struct ovsdb_map_result m;
	char err[DB_ERR_LEN];
	json_t *r = replica(
		"{" BASE_ROWS "'Port': {"
		" 'p1': {'name': 'vm1', 'interfaces': ['uuid', 'i1'], 'vlan_mode': 'dot1q-tunnel',"
		"        'tag': 5},"
		" 'p2': {'name': 'vm2', 'interfaces': ['uuid', 'i2']},"
		" 'p0': {'name': 'bond0', 'interfaces': ['set', [['uuid', 'i3'], ['uuid', "
		"'i4']]]}},"
		"'Interface': {"
		" 'i1': {'name': 'vm1', 'type': 'dpdkvhostuser'},"
		" 'i2': {'name': 'vm2', 'type': 'dpdkvhostuser', 'options': ['map', "
		"        [['tx-retries-max', '99'], ['no-such-option', 'x']]]},"
		" 'i3': {'name': 'e1', 'type': 'dpdk'}, 'i4': {'name': 'e2', 'type': ''}}}");

	(void)state;
	assert_int_equal(ovsdb_map_db(r, "/run/ovs", &m), 0);
	assert_has(json_string_value(json_object_get(m.iface_errors, "vm1")), "dot1q-tunnel");
	assert_has(json_string_value(json_object_get(m.iface_errors, "vm2")), "tx-retries-max");
	assert_has(json_string_value(json_object_get(m.iface_errors, "e1")), "no bonds");
	assert_has(json_string_value(json_object_get(m.iface_errors, "e2")), "no bonds");
	/* refused interfaces are left out; the bridge stays */
	assert_int_equal(m.db->n_bridges, 1);
	assert_int_equal(m.db->bridges[0]->n_ports, 0);
	assert_int_equal(db_validate(m.db, err, sizeof(err)), 0);
	ovsdb_map_result_free(&m);
	json_decref(r);

	/* the kernel datapath and unknown types say what kvswitch runs instead */
	r = replica(
		"{'Open_vSwitch': {'o': {'bridges': ['set', [['uuid', 'b1'], ['uuid', 'b2']]]}},"
		"'Bridge': {'b1': {'name': 'k', 'datapath_type': 'system', 'ports': ['uuid', "
		"'p1']},"
		"           'b2': {'name': 'u', 'datapath_type': '', 'ports': ['uuid', 'p2']}},"
		"'Port': {'p1': {'name': 'x', 'interfaces': ['uuid', 'i1']},"
		"         'p2': {'name': 'g', 'interfaces': ['uuid', 'i2']}},"
		"'Interface': {'i1': {'name': 'x', 'type': 'dpdkvhostuser'},"
		"              'i2': {'name': 'g', 'type': 'gre'}}}");
	assert_int_equal(ovsdb_map_db(r, "/run/ovs", &m), 0);
	assert_has(json_string_value(json_object_get(m.iface_errors, "x")), "datapath_type=system");
	assert_has(json_string_value(json_object_get(m.iface_errors, "g")), "type 'gre'");
	assert_int_equal(m.db->n_bridges, 1); /* u: no datapath_type is kvswitch's own */
	assert_string_equal(m.db->bridges[0]->name, "u");
	/* the default socket directory is OVS's run directory */
	assert_string_equal(smap_get(&m.db->other_config, "vhost-sock-dir"), "/run/ovs");
	ovsdb_map_result_free(&m);
	json_decref(r);
}

static void test_map_incomplete_rows(void **state)
{
	struct ovsdb_map_result m;
	/* a Bridge whose Port row has not arrived, an empty database */
	json_t *r = replica("{'Open_vSwitch': {'o': {'bridges': ['uuid', 'b1']}},"
			    "'Bridge': {'b1': {'name': 'br0', 'ports': ['uuid', 'gone']}}}");

	(void)state;
	assert_int_equal(ovsdb_map_db(r, "/run/ovs", &m), 0);
	assert_int_equal(m.db->n_bridges, 1);
	assert_int_equal(m.db->bridges[0]->n_ports, 0);
	ovsdb_map_result_free(&m);
	json_decref(r);
	r = json_object();
	assert_int_equal(ovsdb_map_db(r, "/run/ovs", &m), 0);
	assert_int_equal(m.db->n_bridges, 0);
	assert_string_equal(m.ovs_uuid, "");
	ovsdb_map_result_free(&m);
	json_decref(r);
}

/* The note of m.ignored that contains text, or a failure listing them. */
static const char *find_note(const json_t *ignored, const char *text)
{
	const json_t *n;
	size_t i;

	json_array_foreach(ignored, i, n)
	{
		if (strstr(json_string_value(n), text) != NULL)
			return json_string_value(n);
	}
	fail_msg("no note has '%s': %s", text, json_dumps(ignored, 0));
	return NULL;
}

static void test_map_mirrors(void **state)
{
	struct ovsdb_map_result m;
	struct db_bridge *br;
	struct db_mirror *mi;
	char err[DB_ERR_LEN];
	json_t *r = replica(
		"{'Open_vSwitch': {'o1': {'bridges': ['set', [['uuid', 'b1'], ['uuid', 'b2']]]}},"
		"'Bridge': {"
		" 'b1': {'name': 'br0', 'datapath_type': 'netdev',"
		"        'ports': ['set', [['uuid', 'p0'], ['uuid', 'p1'], ['uuid', 'p2'],"
		"                  ['uuid', 'p3'], ['uuid', 'p4'], ['uuid', 'p5']]],"
		"        'mirrors': ['set', [['uuid', 'mA'], ['uuid', 'mB'], ['uuid', 'mC'],"
		"                    ['uuid', 'mD'], ['uuid', 'mE'], ['uuid', 'mF'], ['uuid', "
		"'mG'],"
		"                    ['uuid', 'not-yet']]]},"
		" 'b2': {'name': 'br1', 'ports': ['set', [['uuid', 'p6'], ['uuid', 'p7']]],"
		"        'mirrors': ['uuid', 'mH']}},"
		"'Port': {"
		" 'p0': {'name': 'br0', 'interfaces': ['uuid', 'i0']},"
		" 'p1': {'name': 'vm1', 'interfaces': ['uuid', 'i1']},"
		" 'p2': {'name': 'vm2', 'interfaces': ['uuid', 'i2']},"
		" 'p3': {'name': 'vm3', 'interfaces': ['uuid', 'i3']},"
		" 'p4': {'name': 'port-mon', 'interfaces': ['uuid', 'i4']},"
		" 'p5': {'name': 'g', 'interfaces': ['uuid', 'i5']},"
		" 'p6': {'name': 'vm6', 'interfaces': ['uuid', 'i6']},"
		" 'p7': {'name': 'vm7', 'interfaces': ['uuid', 'i7']}},"
		"'Interface': {"
		" 'i0': {'name': 'br0', 'type': 'internal'},"
		" 'i1': {'name': 'vm1', 'type': 'dpdkvhostuser'},"
		" 'i2': {'name': 'vm2', 'type': 'dpdkvhostuser'},"
		" 'i3': {'name': 'vm3', 'type': 'dpdkvhostuser'},"
		" 'i4': {'name': 'mon', 'type': 'dpdkvhostuser'},"
		" 'i5': {'name': 'g', 'type': 'gre'},"
		" 'i6': {'name': 'vm6', 'type': 'dpdkvhostuser'},"
		" 'i7': {'name': 'vm7', 'type': 'dpdkvhostuser'}},"
		"'Mirror': {"
		/* ports by uuid, a set of one as the bare atom, VLANs */
		" 'mA': {'name': 'm0', 'select_all': false, 'select_src_port': ['uuid', 'p1'],"
		"        'select_dst_port': ['set', [['uuid', 'p2'], ['uuid', 'p5']]],"
		"        'select_vlan': ['set', [20, 10]], 'output_port': ['uuid', 'p4'],"
		"        'output_vlan': ['set', []], 'statistics': ['map', [['tx_packets', 5]]]},"
		" 'mB': {'name': 'all', 'select_all': true, 'select_src_port': ['set', []],"
		"        'select_dst_port': ['set', []], 'select_vlan': 10,"
		"        'output_port': ['uuid', 'p3'], 'output_vlan': ['set', []]},"
		/* no output: the port was deleted (a weak reference), or RSPAN */
		" 'mC': {'name': 'gone', 'select_all': true, 'output_port': ['set', []]},"
		" 'mD': {'name': 'rspan', 'select_all': true, 'output_port': ['set', []],"
		"        'output_vlan': 5},"
		/* an output kvswitch does not run */
		" 'mE': {'name': 'to-gre', 'select_all': true, 'output_port': ['uuid', 'p5']},"
		/* db_validate() would refuse it: m0's output is its selected port */
		" 'mF': {'name': 'loop', 'select_src_port': ['uuid', 'p4'],"
		"        'output_port': ['uuid', 'p1']},"
		/* both outputs: OVS takes the port */
		" 'mG': {'name': 'both', 'select_all': true, 'output_port': ['uuid', 'p3'],"
		"        'output_vlan': 7},"
		/* a port of another bridge is not this bridge's */
		" 'mH': {'name': 'x', 'select_src_port': ['set', [['uuid', 'p1'], ['uuid', 'p6']]],"
		"        'output_port': ['uuid', 'p7']}}}");

	(void)state;
	assert_int_equal(ovsdb_map_db(r, "/run/ovs", &m), 0);
	assert_int_equal(db_validate(m.db, err, sizeof(err)), 0);
	br = db_bridge_find(m.db, "br0");
	assert_non_null(br);
	assert_int_equal(br->n_ports, 4);
	assert_int_equal(br->n_mirrors, 3); /* all, both, m0 */
	mi = db_mirror_find(br, "m0");
	assert_non_null(mi);
	assert_false(mi->select_all);
	assert_int_equal(mi->n_src, 1);
	assert_string_equal(mi->src_ports[0], "vm1");
	/* the gre interface is not a port: left out of the selection */
	assert_int_equal(mi->n_dst, 1);
	assert_string_equal(mi->dst_ports[0], "vm2");
	assert_int_equal(mi->n_vlans, 2);
	assert_int_equal(mi->select_vlans[0], 10);
	assert_int_equal(mi->select_vlans[1], 20);
	/* named by the Interface, as every kvswitch port */
	assert_string_equal(mi->output_port, "mon");
	assert_int_equal(mi->output_vlan, 0);
	mi = db_mirror_find(br, "all");
	assert_true(mi->select_all);
	assert_int_equal(mi->n_vlans, 1);
	assert_int_equal(mi->select_vlans[0], 10);
	assert_string_equal(mi->output_port, "vm3");
	mi = db_mirror_find(br, "both");
	assert_string_equal(mi->output_port, "vm3");
	assert_int_equal(mi->output_vlan, 0);
	br = db_bridge_find(m.db, "br1");
	mi = db_mirror_find(br, "x");
	assert_non_null(mi);
	assert_int_equal(mi->n_src, 1);
	assert_string_equal(mi->src_ports[0], "vm6");

	/* what was not taken says why; the column is no longer ignored as a whole */
	find_note(m.ignored, "Mirror gone of bridge br0: no output_port (the mirror is not "
			     "created)");
	find_note(m.ignored, "Mirror rspan of bridge br0: output_vlan 5 (kvswitch does not run "
			     "RSPAN; the mirror is not created)");
	find_note(m.ignored, "Mirror to-gre of bridge br0: output_port g is not a port of this "
			     "bridge that kvswitch runs (the mirror is not created)");
	find_note(m.ignored,
		  "Mirror m0 of bridge br0: select_dst_port g (not a port of this bridge");
	find_note(m.ignored,
		  "Mirror x of bridge br1: select_src_port vm1 (not a port of this bridge");
	find_note(m.ignored, "Mirror both of bridge br0: output_vlan (output_port is set)");
	assert_has(find_note(m.ignored, "mirror 'loop'"), "(the mirror is not created)");
	assert_has(find_note(m.ignored, "mirror 'loop'"), "is also a selected port");
	if (json_array_size(m.ignored) != 7)
		fail_msg("notes: %s", json_dumps(m.ignored, 0));
	assert_int_equal(json_object_size(m.iface_errors), 1); /* g: gre */
	ovsdb_map_result_free(&m);
	json_decref(r);
}

static void test_map_qos(void **state)
{
	struct ovsdb_map_result m;
	struct db_port *p;
	char err[DB_ERR_LEN];
	json_t *r = replica(
		"{'Open_vSwitch': {'o1': {'bridges': ['uuid', 'b1']}},"
		"'Bridge': {'b1': {'name': 'br0', 'ports': ['set', [['uuid', 'p1'], ['uuid', "
		"'p2'], ['uuid', 'p3'], ['uuid', 'p4'], ['uuid', 'p5']]]}},"
		"'Port': {"
		" 'p1': {'name': 'vm1', 'interfaces': ['uuid', 'i1'], 'qos': ['uuid', 'q1']},"
		" 'p2': {'name': 'vm2', 'interfaces': ['uuid', 'i2'], 'qos': ['uuid', 'q2']},"
		" 'p3': {'name': 'vm3', 'interfaces': ['uuid', 'i3'], 'qos': ['uuid', 'q3']},"
		" 'p4': {'name': 'vm4', 'interfaces': ['uuid', 'i4'], 'qos': ['uuid', 'q4']},"
		" 'p5': {'name': 'vm5', 'interfaces': ['uuid', 'i5'], 'qos': ['set', []]}},"
		"'Interface': {"
		" 'i1': {'name': 'vm1', 'type': 'dpdkvhostuser'},"
		" 'i2': {'name': 'vm2', 'type': 'dpdkvhostuser'},"
		" 'i3': {'name': 'vm3', 'type': 'dpdkvhostuser'},"
		" 'i4': {'name': 'vm4', 'type': 'dpdkvhostuser'},"
		" 'i5': {'name': 'vm5', 'type': 'dpdkvhostuser'}},"
		"'QoS': {"
		" 'q1': {'type': 'egress-policer', 'other_config': ['map', [['cir', '125000'],"
		"        ['cbs', '3000']]], 'queues': ['map', []]},"
		" 'q2': {'type': 'trtcm-policer', 'other_config': ['map', [['cir', '1000'],"
		"        ['cbs', '2000'], ['eir', '500'], ['ebs', '1600']]],"
		"        'queues': ['map', [[0, ['uuid', 'qq']]]]},"
		" 'q3': {'type': 'linux-htb', 'other_config': ['map', [['max-rate', '1']]]},"
		" 'q4': {'type': 'egress-policer', 'other_config': ['map', [['cir', '1000'],"
		"        ['cbs', '100'], ['eir', '5']]]}}}");

	(void)state;
	assert_int_equal(ovsdb_map_db(r, "/run/ovs", &m), 0);
	assert_int_equal(db_validate(m.db, err, sizeof(err)), 0);
	p = db_port_find(m.db, "vm1", NULL);
	assert_int_equal(p->qos.type, DB_QOS_EGRESS_POLICER);
	assert_int_equal(p->qos.cir, 125000);
	assert_int_equal(p->qos.cbs, 3000);
	p = db_port_find(m.db, "vm2", NULL);
	assert_int_equal(p->qos.type, DB_QOS_TRTCM_POLICER);
	assert_int_equal(p->qos.eir, 500);
	assert_int_equal(p->qos.ebs, 1600);
	find_note(m.ignored, "Port vm2: qos trtcm-policer: queues (kvswitch runs the port's "
			     "policer only)");
	/* refused rows: the port runs, without QoS, and the note says why */
	p = db_port_find(m.db, "vm3", NULL);
	assert_non_null(p);
	assert_int_equal(p->qos.type, DB_QOS_NONE);
	find_note(m.ignored, "Port vm3: qos: type 'linux-htb' is not one kvswitch runs");
	/* as ovs-vswitchd: a key the type does not take is ignored, and a bucket
	 * below one frame is raised to one rather than the port left unpoliced */
	p = db_port_find(m.db, "vm4", NULL);
	assert_int_equal(p->qos.type, DB_QOS_EGRESS_POLICER);
	assert_int_equal(p->qos.cbs, 1504);
	assert_int_equal(p->qos.eir, 0);
	find_note(m.ignored, "Port vm4: qos egress-policer: other_config:eir");
	find_note(m.ignored, "Port vm4: qos egress-policer: other_config:cbs 100 raised to one "
			     "frame, 1504");
	assert_int_equal(db_port_find(m.db, "vm5", NULL)->qos.type, DB_QOS_NONE);
	ovsdb_map_result_free(&m);
	json_decref(r);
}

static void test_jsonrpc_framing(void **state)
{
	const char *glued =
		"{\"id\":1,\"result\":[]} \n{\"id\":2,\"result\":{\"a\":\"}\"}}{\"id\":";
	struct jsonrpc *rpc;
	json_t *msg;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	rpc = jsonrpc_open(sv[0]);
	assert_non_null(rpc);
	assert_int_equal(jsonrpc_recv(rpc, &msg), 0); /* nothing yet */
	/* two whole messages and the start of a third in one read */
	assert_int_equal(write(sv[1], glued, strlen(glued)), (ssize_t)strlen(glued));
	assert_int_equal(jsonrpc_recv(rpc, &msg), 1);
	assert_int_equal(json_integer_value(json_object_get(msg, "id")), 1);
	json_decref(msg);
	assert_int_equal(jsonrpc_recv(rpc, &msg), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(msg, "result"), "a")),
			    "}");
	json_decref(msg);
	assert_int_equal(jsonrpc_recv(rpc, &msg), 0); /* the third is incomplete */
	assert_int_equal(write(sv[1], "3}", 2), 2);
	assert_int_equal(jsonrpc_recv(rpc, &msg), 1);
	assert_int_equal(json_integer_value(json_object_get(msg, "id")), 3);
	json_decref(msg);
	/* sending: what the peer reads is one compact object */
	assert_int_equal(jsonrpc_send(rpc, json_pack("{s:s}", "method", "echo")), 0);
	{
		char buf[64] = "";
		ssize_t n = read(sv[1], buf, sizeof(buf) - 1);

		assert_true(n > 0);
		assert_string_equal(buf, "{\"method\":\"echo\"}");
	}
	/* an error in the last byte is an error, not a message still arriving */
	assert_int_equal(write(sv[1], "{\"id\":1,\"method\":}", 18), 18);
	assert_int_equal(jsonrpc_recv(rpc, &msg), -EPROTO);
	jsonrpc_close(rpc);
	close(sv[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	rpc = jsonrpc_open(sv[0]);
	/* not JSON: the connection is broken, not a crash or a hang */
	assert_int_equal(write(sv[1], "]garbage", 8), 8);
	assert_int_equal(jsonrpc_recv(rpc, &msg), -EPROTO);
	assert_null(msg);
	jsonrpc_close(rpc);
	close(sv[1]);

	/* text that is not UTF-8 (an error cut in the middle of a character) */
	msg = jsonrpc_string("caf\xc3");
	assert_non_null(msg);
	assert_string_equal(json_string_value(msg), "caf?");
	json_decref(msg);
	/* a peer that closes mid-message */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	rpc = jsonrpc_open(sv[0]);
	assert_int_equal(write(sv[1], "{\"id\":", 6), 6);
	close(sv[1]);
	assert_int_equal(jsonrpc_recv(rpc, &msg), -EPIPE);
	jsonrpc_close(rpc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_bridge_ports_and_keys),
		cmocka_unit_test(test_map_refuses_per_interface),
		cmocka_unit_test(test_map_incomplete_rows),
		cmocka_unit_test(test_map_mirrors),
		cmocka_unit_test(test_map_qos),
		cmocka_unit_test(test_jsonrpc_framing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
