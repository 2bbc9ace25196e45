/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the configuration model (control/smap.c, control/db.c,
 * control/db_schema.c): the sorted map, records, the generic edits, every
 * validation rule with the text of its error, clone independence, mirrors
 * and the typed views' defaults.  No DPDK; run by meson test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/db.h"

#define assert_has(text, sub)                                                                      \
	do {                                                                                       \
		if (strstr((text), (sub)) == NULL)                                                 \
			fail_msg("'%s' not found in '%s'", (sub), (text));                         \
	} while (0)

/* db with bridge br0 and an (invalid until typed) port vm1. */
static struct db *mkdb(void)
{
	char err[DB_ERR_LEN];
	struct db *db = db_create();

	assert_non_null(db);
	assert_int_equal(db_bridge_add(db, "br0", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br0", "vm1", err, sizeof(err)), 0);
	assert_int_equal(db_set(db, "Port", "vm1", "type", NULL, "dpdkvhostuser", err, sizeof(err)),
			 0);
	return db;
}

static void set_ok(struct db *db, const char *table, const char *rec, const char *col,
		   const char *key, const char *value)
{
	char err[DB_ERR_LEN] = "";

	if (db_set(db, table, rec, col, key, value, err, sizeof(err)) != 0)
		fail_msg("db_set %s %s %s:%s=%s: %s", table, rec, col, key ? key : "", value, err);
}

static void test_smap(void **state)
{
	struct smap m, c;
	char key[16];

	(void)state;
	smap_init(&m);
	assert_null(smap_get(&m, "a"));
	assert_false(smap_remove(&m, "a"));
	assert_int_equal(smap_set(&m, "b", "2"), 0);
	assert_int_equal(smap_set(&m, "a", "1"), 0);
	assert_int_equal(smap_set(&m, "c", "3"), 0);
	assert_int_equal(smap_set(&m, "b", "two"), 0);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.nodes[0].key, "a");
	assert_string_equal(m.nodes[1].key, "b");
	assert_string_equal(m.nodes[2].key, "c");
	assert_string_equal(smap_get(&m, "b"), "two");
	assert_true(smap_remove(&m, "b"));
	assert_null(smap_get(&m, "b"));
	assert_int_equal(m.n, 2);

	/* Growth keeps the order. */
	for (int i = 99; i >= 0; i--) {
		snprintf(key, sizeof(key), "k%03d", i);
		assert_int_equal(smap_set(&m, key, key), 0);
	}
	assert_int_equal(m.n, 102);
	for (size_t i = 1; i < m.n; i++)
		assert_true(strcmp(m.nodes[i - 1].key, m.nodes[i].key) < 0);

	assert_int_equal(smap_clone(&c, &m), 0);
	assert_int_equal(c.n, m.n);
	assert_int_equal(smap_set(&c, "a", "changed"), 0);
	assert_string_equal(smap_get(&m, "a"), "1");
	smap_destroy(&m);
	assert_int_equal(m.n, 0);
	assert_string_equal(smap_get(&c, "k050"), "k050");
	smap_destroy(&c);

	smap_init(&m);
	assert_int_equal(smap_clone(&c, &m), 0);
	assert_int_equal(c.n, 0);
	smap_destroy(&c);
}

static void test_bridges(void **state)
{
	char err[DB_ERR_LEN];
	struct db *db = db_create();

	(void)state;
	assert_int_equal(db_bridge_add(db, "br1", err, sizeof(err)), 0);
	assert_int_equal(db_bridge_add(db, "br0", err, sizeof(err)), 0);
	assert_int_equal(db->n_bridges, 2);
	assert_string_equal(db->bridges[0]->name, "br0");
	assert_non_null(db_bridge_find(db, "br1"));
	assert_null(db_bridge_find(db, "br2"));

	assert_int_equal(db_bridge_add(db, "br0", err, sizeof(err)), -EEXIST);
	assert_string_equal(err, "bridge 'br0' already exists");

	static const char *const bad[] = {
		"", "-br", "a b", "br/0", ".", "..", "abcdefghijklmnopqrstuvwxyz012345"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(db_bridge_add(db, bad[i], err, sizeof(err)), -EINVAL);
		assert_has(err, "bridge name");
	}
	assert_int_equal(db_bridge_add(db, "abcdefghijklmnopqrstuvwxyz01234", err, sizeof(err)), 0);
	assert_int_equal(db_bridge_add(db, "A_b.c-9", err, sizeof(err)), 0);

	assert_int_equal(db_bridge_del(db, "br9", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "bridge 'br9' does not exist");
	assert_int_equal(db_bridge_del(db, "br1", err, sizeof(err)), 0);
	assert_null(db_bridge_find(db, "br1"));
	assert_int_equal(db->n_bridges, 3);
	db_destroy(db);
	db_destroy(NULL);
}

static void test_ports(void **state)
{
	char err[DB_ERR_LEN];
	struct db *db = db_create();
	struct db_bridge *br;
	struct db_port *p;

	(void)state;
	assert_int_equal(db_bridge_add(db, "br0", err, sizeof(err)), 0);
	assert_int_equal(db_bridge_add(db, "br1", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br9", "vm1", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "bridge 'br9' does not exist");
	assert_int_equal(db_port_add(db, "br0", "vm2", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br0", "vm1", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br1", "vm3", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br1", "vm1", err, sizeof(err)), -EEXIST);
	assert_string_equal(err, "port 'vm1' already exists in bridge 'br0'");
	assert_int_equal(db_port_add(db, "br0", "vm1", err, sizeof(err)), -EEXIST);
	assert_int_equal(db_port_add(db, "br0", "bad name", err, sizeof(err)), -EINVAL);
	assert_has(err, "port name 'bad name'");

	p = db_port_find(db, "vm1", &br);
	assert_non_null(p);
	assert_string_equal(br->name, "br0");
	assert_string_equal(p->type, "");
	assert_int_equal(p->line, 0);
	assert_string_equal(br->ports[0]->name, "vm1"); /* sorted */
	assert_null(db_port_find(db, "vm9", &br));
	assert_null(br);
	assert_null(db_port_find(db, "vm9", NULL));

	assert_int_equal(db_port_del(db, "br1", "vm1", err, sizeof(err)), -ENOENT);
	assert_has(err, "not in bridge 'br1'");
	assert_int_equal(db_port_del(db, "br9", "vm1", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "bridge 'br9' does not exist");
	assert_int_equal(db_port_del(db, NULL, "vm9", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "port 'vm9' does not exist");
	assert_int_equal(db_port_del(db, NULL, "vm1", err, sizeof(err)), 0);
	assert_null(db_port_find(db, "vm1", NULL));
	assert_int_equal(db_port_del(db, "br0", "vm2", err, sizeof(err)), 0);
	assert_int_equal(db_bridge_find(db, "br0")->n_ports, 0);

	/* Deleting a bridge deletes its ports, so the name is free again. */
	assert_int_equal(db_bridge_del(db, "br1", err, sizeof(err)), 0);
	assert_null(db_port_find(db, "vm3", NULL));
	assert_int_equal(db_port_add(db, "br0", "vm3", err, sizeof(err)), 0);
	db_destroy(db);
}

static void get_is(const struct db *db, const char *table, const char *rec, const char *col,
		   const char *key, const char *expect)
{
	char out[256], err[DB_ERR_LEN] = "";

	if (db_get(db, table, rec, col, key, out, sizeof(out), err, sizeof(err)) != 0)
		fail_msg("db_get %s %s %s: %s", table, rec, col, err);
	assert_string_equal(out, expect);
}

static int get_rc(const struct db *db, const char *table, const char *rec, const char *col,
		  const char *key)
{
	char out[256], err[DB_ERR_LEN];

	return db_get(db, table, rec, col, key, out, sizeof(out), err, sizeof(err));
}

static void test_set_get_clear(void **state)
{
	char err[DB_ERR_LEN], out[8];
	struct db *db = mkdb();
	struct db_port *p = db_port_find(db, "vm1", NULL);

	(void)state;
	assert_int_equal(db_port_add(db, "br0", "vm2", err, sizeof(err)), 0);

	/* Open_vSwitch other_config */
	set_ok(db, "Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "0x6");
	set_ok(db, "Open_vSwitch", ".", "other_config", "n-mbufs", "8192");
	get_is(db, "Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "0x6");
	get_is(db, "Open_vSwitch", ".", "other_config", NULL, "{n-mbufs=8192, pmd-cpu-mask=0x6}");
	assert_int_equal(
		db_clear(db, "Open_vSwitch", ".", "other_config", "n-mbufs", err, sizeof(err)), 0);
	assert_int_equal(get_rc(db, "Open_vSwitch", ".", "other_config", "n-mbufs"), -ENOENT);
	assert_int_equal(
		db_clear(db, "Open_vSwitch", ".", "other_config", "absent", err, sizeof(err)), 0);
	assert_int_equal(db_clear(db, "Open_vSwitch", ".", "other_config", NULL, err, sizeof(err)),
			 0);
	assert_int_equal(db->other_config.n, 0);
	get_is(db, "Open_vSwitch", ".", "other_config", NULL, "{}");
	assert_int_equal(
		db_set(db, "Open_vSwitch", "x", "other_config", "a", "b", err, sizeof(err)),
		-EINVAL);
	assert_has(err, "'.'");

	/* Bridge */
	set_ok(db, "Bridge", "br0", "other_config", "mac-aging-time", "60");
	get_is(db, "Bridge", "br0", "other_config", "mac-aging-time", "60");
	get_is(db, "Bridge", "br0", "name", NULL, "br0");
	get_is(db, "Bridge", "br0", "ports", NULL, "[vm1, vm2]");
	assert_int_equal(db_set(db, "Bridge", "br0", "name", NULL, "x", err, sizeof(err)), -EINVAL);
	assert_has(err, "read-only");
	assert_int_equal(db_set(db, "Bridge", "br9", "other_config", "a", "1", err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "bridge 'br9' does not exist");
	assert_int_equal(db_set(db, "Bridge", "br0", "tag", NULL, "1", err, sizeof(err)), -EINVAL);
	assert_has(err, "no column 'tag'");
	assert_int_equal(db_clear(db, "Bridge", "br0", "other_config", NULL, err, sizeof(err)), 0);
	assert_int_equal(db_bridge_find(db, "br0")->other_config.n, 0);

	/* Port / Interface: the same record */
	set_ok(db, "Interface", "vm1", "options", "tx-retries-max", "4");
	get_is(db, "Port", "vm1", "options", "tx-retries-max", "4");
	set_ok(db, "Port", "vm1", "other_config", "pmd-rxq-affinity", "0:1,1:2");
	set_ok(db, "Port", "vm1", "other_config", "note", "a b\"c");
	get_is(db, "Interface", "vm1", "other_config", NULL,
	       "{note=\"a b\\\"c\", pmd-rxq-affinity=\"0:1,1:2\"}");
	assert_int_equal(db_clear(db, "Port", "vm1", "other_config", "note", err, sizeof(err)), 0);
	get_is(db, "Port", "vm1", "name", NULL, "vm1");
	get_is(db, "Port", "vm1", "type", NULL, "dpdkvhostuser");
	set_ok(db, "Interface", "vm1", "type", NULL, "dpdkvhostuserclient");
	set_ok(db, "Interface", "vm1", "type", NULL, "dpdk");
	assert_int_equal(db_set(db, "Port", "vm1", "type", NULL, "internal", err, sizeof(err)),
			 -EINVAL);
	assert_has(err, "unknown type 'internal'");
	assert_string_equal(p->type, "dpdk");
	assert_int_equal(db_clear(db, "Port", "vm1", "type", NULL, err, sizeof(err)), 0);
	assert_int_equal(get_rc(db, "Port", "vm1", "type", NULL), -ENOENT);

	/* tag */
	assert_int_equal(get_rc(db, "Port", "vm1", "tag", NULL), -ENOENT);
	set_ok(db, "Port", "vm1", "tag", NULL, "10");
	get_is(db, "Port", "vm1", "tag", NULL, "10");
	assert_int_equal(db_set(db, "Port", "vm1", "tag", NULL, "ten", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "port 'vm1': tag 'ten' is not a number");
	assert_int_equal(db_set(db, "Port", "vm1", "tag", NULL, "-1", err, sizeof(err)), -EINVAL);
	assert_int_equal(db_set(db, "Port", "vm1", "tag", NULL, "0", err, sizeof(err)), -EINVAL);
	assert_has(err, "out of range 1..4094");
	assert_int_equal(db_set(db, "Port", "vm1", "tag", NULL, "4095", err, sizeof(err)), -EINVAL);
	assert_int_equal(p->tag, 10);
	assert_int_equal(db_clear(db, "Port", "vm1", "tag", NULL, err, sizeof(err)), 0);
	assert_int_equal(p->tag, 0);

	/* trunks, in every accepted spelling */
	set_ok(db, "Port", "vm1", "trunks", NULL, "20,10");
	get_is(db, "Port", "vm1", "trunks", NULL, "[10, 20]");
	set_ok(db, "Port", "vm1", "trunks", NULL, "[30, 10, 30]");
	get_is(db, "Port", "vm1", "trunks", NULL, "[10, 30]");
	set_ok(db, "Port", "vm1", "trunks", NULL, " 0 4095 7 ");
	assert_int_equal(p->n_trunks, 3);
	assert_int_equal(p->trunks[0], 0);
	assert_int_equal(p->trunks[2], 4095);
	assert_int_equal(db_set(db, "Port", "vm1", "trunks", NULL, "10,x", err, sizeof(err)),
			 -EINVAL);
	assert_has(err, "'x' is not a number");
	assert_int_equal(db_set(db, "Port", "vm1", "trunks", NULL, "4096", err, sizeof(err)),
			 -EINVAL);
	assert_has(err, "'4096' is out of range 0..4095");
	assert_int_equal(db_set(db, "Port", "vm1", "trunks", NULL, "[1,2", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(p->n_trunks, 3);
	set_ok(db, "Port", "vm1", "trunks", NULL, "[]");
	assert_int_equal(p->n_trunks, 0);
	assert_int_equal(get_rc(db, "Port", "vm1", "trunks", NULL), -ENOENT);
	set_ok(db, "Port", "vm1", "trunks", NULL, "5");
	assert_int_equal(db_clear(db, "Port", "vm1", "trunks", NULL, err, sizeof(err)), 0);
	assert_int_equal(p->n_trunks, 0);
	assert_null(p->trunks);

	/* mtu_request */
	set_ok(db, "Port", "vm1", "mtu_request", NULL, "9000");
	get_is(db, "Port", "vm1", "mtu_request", NULL, "9000");
	assert_int_equal(db_set(db, "Port", "vm1", "mtu_request", NULL, "9k", err, sizeof(err)),
			 -EINVAL);
	assert_has(err, "'9k' is not a number");
	assert_int_equal(db_set(db, "Port", "vm1", "mtu_request", NULL, "67", err, sizeof(err)),
			 -EINVAL);
	assert_has(err, "out of range 68..9710");
	assert_int_equal(db_clear(db, "Port", "vm1", "mtu_request", NULL, err, sizeof(err)), 0);
	assert_int_equal(get_rc(db, "Port", "vm1", "mtu_request", NULL), -ENOENT);

	/* Addressing errors */
	assert_int_equal(db_set(db, "Bridges", "br0", "other_config", "a", "1", err, sizeof(err)),
			 -EINVAL);
	assert_has(err, "unknown table 'Bridges'");
	assert_int_equal(db_set(db, "Port", "vm1", "colour", NULL, "1", err, sizeof(err)), -EINVAL);
	assert_has(err, "no column 'colour'");
	assert_int_equal(db_set(db, "Port", "vm1", "tag", "k", "1", err, sizeof(err)), -EINVAL);
	assert_has(err, "not a map");
	assert_int_equal(db_clear(db, "Port", "vm1", "tag", "k", err, sizeof(err)), -EINVAL);
	assert_has(err, "not a map");
	assert_int_equal(db_set(db, "Port", "vm1", "options", NULL, "1", err, sizeof(err)),
			 -EINVAL);
	assert_has(err, "is a map");
	assert_int_equal(db_set(db, "Port", "vm1", "options", "", "1", err, sizeof(err)), -EINVAL);
	assert_int_equal(db_set(db, "Port", "vm1", "options", "a", NULL, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(db_set(db, "Port", "vm1", "name", NULL, "x", err, sizeof(err)), -EINVAL);
	assert_int_equal(db_clear(db, "Port", "vm1", "name", NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(db_set(db, "Interface", "vm9", "tag", NULL, "1", err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "port 'vm9' does not exist");
	assert_int_equal(get_rc(db, "Port", "vm9", "tag", NULL), -ENOENT);
	assert_int_equal(get_rc(db, "Port", "vm1", "options", "nope"), -ENOENT);
	assert_int_equal(get_rc(db, "Nope", "vm1", "tag", NULL), -EINVAL);

	/* Output that does not fit is an error, not a truncated value. */
	set_ok(db, "Port", "vm1", "trunks", NULL, "100,200,300");
	assert_int_equal(
		db_get(db, "Port", "vm1", "trunks", NULL, out, sizeof(out), err, sizeof(err)),
		-ENOSPC);

	/* An edited record no longer points at its line in the file. */
	p->line = 7;
	db_bridge_find(db, "br0")->line = 3;
	set_ok(db, "Port", "vm1", "tag", NULL, "5");
	assert_int_equal(p->line, 0);
	assert_int_equal(db_bridge_find(db, "br0")->line, 3);
	db_destroy(db);
}

struct vcase {
	const char *table, *record, *column, *key, *value;
	const char *error; /* NULL: valid */
};

static const struct vcase vcases[] = {
	/* Open_vSwitch */
	{"Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "0x6", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "6", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "0xFFFFFFFFFFFFFFFF", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "0x000000000000000000001", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "0",
	 "Open_vSwitch other_config 'pmd-cpu-mask': '0' selects no CPU"},
	{"Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "0x", "'0x' is not a hexadecimal"},
	{"Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "0xg1", "'0xg1' is not a hex"},
	{"Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "0x10000000000000000",
	 "does not fit in 64 bits"},
	{"Open_vSwitch", ".", "other_config", "vhost-sock-dir", "/run/kvs", NULL},
	{"Open_vSwitch", ".", "other_config", "vhost-sock-dir", "run/kvs",
	 "'vhost-sock-dir': 'run/kvs' is not an absolute path"},
	{"Open_vSwitch", ".", "other_config", "vhost-sock-dir",
	 "/very/long/directory/name/that/leaves/no/room/for/a/port/name/in/the/sun/path/x",
	 "is longer than 75 characters"},
	{"Open_vSwitch", ".", "other_config", "vhost-sock-group", "root", NULL},
	{"Open_vSwitch", ".", "other_config", "vhost-sock-group", "no-such-group-kvs",
	 "'vhost-sock-group': group 'no-such-group-kvs' does not exist"},
	{"Open_vSwitch", ".", "other_config", "vhost-sock-mode", "0660", NULL},
	{"Open_vSwitch", ".", "other_config", "vhost-sock-mode", "777", NULL},
	{"Open_vSwitch", ".", "other_config", "vhost-sock-mode", "0", NULL},
	{"Open_vSwitch", ".", "other_config", "vhost-sock-mode", "0690", "'0690' is not an octal"},
	{"Open_vSwitch", ".", "other_config", "vhost-sock-mode", "01000",
	 "'01000' is out of range 0..0777"},
	{"Open_vSwitch", ".", "other_config", "pmd-rxq-assign", "roundrobin", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-rxq-assign", "group", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-rxq-assign", "cycle",
	 "'pmd-rxq-assign': 'cycle' is not one of cycles|roundrobin|group"},
	{"Open_vSwitch", ".", "other_config", "pmd-rxq-isolate", "false", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-rxq-isolate", "yes", "'yes' is not true or"},
	{"Open_vSwitch", ".", "other_config", "n-mbufs", "4096", NULL},
	{"Open_vSwitch", ".", "other_config", "n-mbufs", "1048576", NULL},
	{"Open_vSwitch", ".", "other_config", "n-mbufs", "4095",
	 "'n-mbufs': '4095' is out of range 4096..1048576"},
	{"Open_vSwitch", ".", "other_config", "n-mbufs", "1048577", "out of range"},
	{"Open_vSwitch", ".", "other_config", "n-mbufs", "99999999999999999999999", "out of range"},
	{"Open_vSwitch", ".", "other_config", "n-mbufs", "lots", "'lots' is not a number"},
	{"Open_vSwitch", ".", "other_config", "pmd-auto-lb", "true", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-auto-lb", "on", "'on' is not true or false"},
	{"Open_vSwitch", ".", "other_config", "pmd-auto-lb-load-threshold", "10", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-auto-lb-load-threshold", "9", "10..100"},
	{"Open_vSwitch", ".", "other_config", "pmd-auto-lb-load-threshold", "101", "10..100"},
	{"Open_vSwitch", ".", "other_config", "pmd-auto-lb-improvement-threshold", "0", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-auto-lb-improvement-threshold", "101", "0..100"},
	{"Open_vSwitch", ".", "other_config", "pmd-auto-lb-rebal-interval", "20000", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-auto-lb-rebal-interval", "0", "1..20000"},
	{"Open_vSwitch", ".", "other_config", "pmd-auto-lb-rebal-interval", "20001", "1..20000"},
	{"Open_vSwitch", ".", "other_config", "pmd-sleep-max", "10000", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-sleep-max", "10001", "0..10000"},
	{"Open_vSwitch", ".", "other_config", "pmd-auto-lb-rebal-interval-ms", "1000", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-auto-lb-rebal-interval-ms", "999",
	 "1000..3600000"},
	{"Open_vSwitch", ".", "other_config", "dpdk-extra", "-a 0000:01:00.0 --huge-unlink", NULL},
	{"Open_vSwitch", ".", "other_config", "pmd-cpu-maks", "1",
	 "Open_vSwitch: unknown other_config key 'pmd-cpu-maks'"},
	/* Bridge */
	{"Bridge", "br0", "other_config", "mac-aging-time", "1", NULL},
	{"Bridge", "br0", "other_config", "mac-aging-time", "86400", NULL},
	{"Bridge", "br0", "other_config", "mac-aging-time", "0",
	 "bridge 'br0' other_config 'mac-aging-time': '0' is out of range 1..86400"},
	{"Bridge", "br0", "other_config", "mac-aging-time", "86401", "1..86400"},
	{"Bridge", "br0", "other_config", "mac-table-size", "16", NULL},
	{"Bridge", "br0", "other_config", "mac-table-size", "15",
	 "'15' is out of range 16..1048576"},
	{"Bridge", "br0", "other_config", "mac-table-size", "1048577", "16..1048576"},
	{"Bridge", "br0", "other_config", "mac-port-limit", "8192", NULL},
	{"Bridge", "br0", "other_config", "mac-port-limit", "0", "'mac-port-limit': '0'"},
	{"Bridge", "br0", "other_config", "mac-port-limit", "8193",
	 "'mac-port-limit': '8193' is out of range 1..8192"},
	{"Bridge", "br0", "other_config", "mac-learning", "on",
	 "bridge 'br0': unknown other_config key 'mac-learning'"},
	/* Port options, dpdkvhostuser (vm1) */
	{"Interface", "vm1", "options", "tx-retries-max", "0", NULL},
	{"Interface", "vm1", "options", "tx-retries-max", "32", NULL},
	{"Interface", "vm1", "options", "tx-retries-max", "33",
	 "port 'vm1': option 'tx-retries-max': '33' is out of range 0..32"},
	{"Interface", "vm1", "options", "tx-hold-ms", "10000", NULL},
	{"Interface", "vm1", "options", "tx-hold-ms", "10001",
	 "port 'vm1': option 'tx-hold-ms': '10001' is out of range 0..10000"},
	{"Interface", "vm1", "options", "n_rxqq", "1",
	 "port 'vm1': unknown option 'n_rxqq' for type dpdkvhostuser"},
	{"Interface", "vm1", "options", "n_rxq", "1",
	 "port 'vm1': unknown option 'n_rxq' for type dpdkvhostuser"},
	{"Interface", "vm1", "options", "vhost-server-path", "/tmp/s",
	 "unknown option 'vhost-server-path' for type dpdkvhostuser"},
	/* Port options, dpdkvhostuserclient (cl) */
	{"Interface", "cl", "options", "vhost-server-path", "relative",
	 "port 'cl': option 'vhost-server-path': 'relative' is not an absolute path"},
	{"Interface", "cl", "options", "vhost-server-path",
	 "/a/path/that/is/much/too/long/for/a/unix/domain/socket/because/sun_path/is/only/one/"
	 "hundred/"
	 "and/eight/bytes/including/the/nul",
	 "longer than 107"},
	{"Interface", "cl", "options", "tx-retries-max", "2", NULL},
	{"Interface", "cl", "options", "dpdk-devargs", "x",
	 "unknown option 'dpdk-devargs' for type dpdkvhostuserclient"},
	/* Port options, dpdk (nic) */
	{"Interface", "nic", "options", "dpdk-devargs", "",
	 "port 'nic': option 'dpdk-devargs': must not be empty"},
	{"Interface", "nic", "options", "n_rxq", "1024", NULL},
	{"Interface", "nic", "options", "n_rxq", "0", "'n_rxq': '0' is out of range 1..1024"},
	{"Interface", "nic", "options", "n_rxq", "1025", "1..1024"},
	{"Interface", "nic", "options", "n_rxq_desc", "32", NULL},
	{"Interface", "nic", "options", "n_rxq_desc", "4096", NULL},
	{"Interface", "nic", "options", "n_rxq_desc", "1000", "'1000' is not a power of 2"},
	{"Interface", "nic", "options", "n_rxq_desc", "16", "'16' is out of range 32..4096"},
	{"Interface", "nic", "options", "n_txq_desc", "8192", "'n_txq_desc': '8192' is out of"},
	{"Interface", "nic", "options", "n_txq_desc", "0", "out of range"},
	{"Interface", "nic", "options", "tx-retries-max", "1",
	 "unknown option 'tx-retries-max' for type dpdk"},
	{"Interface", "nic", "options", "promiscuous", "false", NULL},
	{"Interface", "nic", "options", "promiscuous", "no",
	 "port 'nic': option 'promiscuous': 'no' is not true or false"},
	{"Interface", "nic", "options", "rx-interrupts", "1",
	 "port 'nic': option 'rx-interrupts': '1' is not true or false"},
	{"Interface", "vm1", "options", "rx-interrupts", "true",
	 "unknown option 'rx-interrupts' for type dpdkvhostuser"},
	{"Interface", "vm1", "options", "promiscuous", "true",
	 "unknown option 'promiscuous' for type dpdkvhostuser"},
	{"Interface", "nic", "options", "dpdk-devargs", "0000:03:00.0,representor=[0-3]", NULL},
	/* Port other_config */
	{"Port", "vm1", "other_config", "attached-mac", "52:54:00:00:00:01", NULL},
	{"Port", "vm1", "other_config", "attached-mac", "52:54:00:AA:bb:01, 52:54:00:00:00:02",
	 NULL},
	{"Port", "vm1", "other_config", "attached-mac", "52:54:00:00:00",
	 "port 'vm1': other_config 'attached-mac': '52:54:00:00:00' is not MAC[,MAC...]"},
	{"Port", "vm1", "other_config", "attached-mac", "52:54:00:00:00:01;", "is not MAC"},
	{"Port", "vm1", "other_config", "attached-mac", "52-54-00-00-00-01", "is not MAC"},
	{"Port", "vm1", "other_config", "attached-mac", "01:00:5e:00:00:01",
	 "'01:00:5e:00:00:01' is a multicast MAC"},
	{"Port", "vm1", "other_config", "attached-mac", "52:54:00:00:00:01,52:54:00:00:00:01",
	 "52:54:00:00:00:01 is listed twice"},
	{"Port", "vm1", "other_config", "attached-mac",
	 "02:00:00:00:00:01,02:00:00:00:00:02,02:00:00:00:00:03,02:00:00:00:00:04,"
	 "02:00:00:00:00:05,02:00:00:00:00:06,02:00:00:00:00:07,02:00:00:00:00:08,"
	 "02:00:00:00:00:09",
	 "more than 8 MACs"},
	{"Port", "vm1", "other_config", "pmd-rxq-affinity", "0:1", NULL},
	{"Port", "vm1", "other_config", "pmd-rxq-affinity", "0:3, 1:7,1023:127", NULL},
	{"Port", "vm1", "other_config", "pmd-rxq-affinity", "0:1,0:2",
	 "port 'vm1': other_config 'pmd-rxq-affinity': '0:1,0:2': queue 0 is listed twice"},
	{"Port", "vm1", "other_config", "pmd-rxq-affinity", "1024:1",
	 "queue 1024 is out of range 0..1023"},
	{"Port", "vm1", "other_config", "pmd-rxq-affinity", "0:128",
	 "core 128 is out of range 0..127"},
	{"Port", "vm1", "other_config", "pmd-rxq-affinity", "0-1", "is not QUEUE:CORE"},
	{"Port", "vm1", "other_config", "pmd-rxq-affinity", "0:1,", "is not QUEUE:CORE"},
	{"Port", "vm1", "other_config", "pmd-rxq-affinity", "", "is not QUEUE:CORE"},
	{"Port", "vm1", "other_config", "pmd-rxq-affinity", "0:-1", "is not QUEUE:CORE"},
	{"Port", "vm1", "other_config", "mac-limit", "1", NULL},
	{"Port", "vm1", "other_config", "mac-limit", "0",
	 "port 'vm1': other_config 'mac-limit': '0' is out of range 1..1048576"},
	{"Port", "vm1", "other_config", "mac-limit", "1048577", "1..1048576"},
	{"Port", "vm1", "other_config", "qos", "1", "port 'vm1': unknown other_config key 'qos'"},
	/* Cross-record rules */
	{"Interface", "nic2", "options", "dpdk-devargs", "0000:01:00.0",
	 "port 'nic2': dpdk-devargs '0000:01:00.0' is already used by port 'nic'"},
	{"Interface", "cl2", "options", "vhost-server-path", "/tmp/cl.sock",
	 "port 'cl2': vhost-server-path '/tmp/cl.sock' is already used by port 'cl'"},
	{"Port", "vm1", "trunks", NULL, "10,20", NULL},
	{"Port", "vm1", "tag", NULL, "4094", NULL},
};

/* br0: vm1 (server), cl (client), nic (dpdk); br1: cl2 (client), nic2 (dpdk). */
static struct db *mkdb_all_types(void)
{
	char err[DB_ERR_LEN];
	struct db *db = mkdb();

	assert_int_equal(db_bridge_add(db, "br1", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br0", "cl", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br0", "nic", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br1", "cl2", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br1", "nic2", err, sizeof(err)), 0);
	set_ok(db, "Port", "cl", "type", NULL, "dpdkvhostuserclient");
	set_ok(db, "Port", "cl", "options", "vhost-server-path", "/tmp/cl.sock");
	set_ok(db, "Port", "cl2", "type", NULL, "dpdkvhostuserclient");
	set_ok(db, "Port", "cl2", "options", "vhost-server-path", "/tmp/cl2.sock");
	set_ok(db, "Port", "nic", "type", NULL, "dpdk");
	set_ok(db, "Port", "nic", "options", "dpdk-devargs", "0000:01:00.0");
	set_ok(db, "Port", "nic2", "type", NULL, "dpdk");
	set_ok(db, "Port", "nic2", "options", "dpdk-devargs", "net_null0");
	return db;
}

static void test_validate_keys(void **state)
{
	char err[DB_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		const struct vcase *c = &vcases[i];
		struct db *db = mkdb_all_types();
		int rc;

		assert_int_equal(db_validate(db, err, sizeof(err)), 0);
		set_ok(db, c->table, c->record, c->column, c->key, c->value);
		err[0] = '\0';
		rc = db_validate(db, err, sizeof(err));
		if (c->error == NULL && rc != 0)
			fail_msg("case %zu (%s=%s): unexpected error: %s", i, c->key ? c->key : "",
				 c->value, err);
		if (c->error != NULL && rc != -EINVAL)
			fail_msg("case %zu (%s=%s): accepted, expected '%s'", i,
				 c->key ? c->key : "", c->value, c->error);
		if (c->error != NULL)
			assert_has(err, c->error);
		db_destroy(db);
	}
}

static void expect_invalid(struct db *db, const char *text)
{
	char err[DB_ERR_LEN] = "";

	assert_int_equal(db_validate(db, err, sizeof(err)), -EINVAL);
	assert_has(err, text);
}

static void test_validate_records(void **state)
{
	char err[DB_ERR_LEN];
	struct db *db = mkdb_all_types();
	struct db_port *vm1 = db_port_find(db, "vm1", NULL);
	struct db_port *cl = db_port_find(db, "cl", NULL);
	struct db_bridge *br1 = db_bridge_find(db, "br1");

	(void)state;
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	{
		struct db *empty = db_create();

		assert_int_equal(db_validate(empty, err, sizeof(err)), 0);
		db_destroy(empty);
	}

	/* Required type and options. */
	set_ok(db, "Port", "vm1", "tag", NULL, "10");
	assert_int_equal(db_clear(db, "Port", "vm1", "type", NULL, err, sizeof(err)), 0);
	expect_invalid(db, "port 'vm1' has no type");
	set_ok(db, "Port", "vm1", "type", NULL, "dpdkvhostuser");
	assert_int_equal(
		db_clear(db, "Port", "cl", "options", "vhost-server-path", err, sizeof(err)), 0);
	expect_invalid(db, "port 'cl': option 'vhost-server-path' is required for type "
			   "dpdkvhostuserclient");
	set_ok(db, "Port", "cl", "options", "vhost-server-path", "/tmp/cl.sock");
	assert_int_equal(db_clear(db, "Port", "nic", "options", NULL, err, sizeof(err)), 0);
	expect_invalid(db, "port 'nic': option 'dpdk-devargs' is required for type dpdk");
	set_ok(db, "Port", "nic", "options", "dpdk-devargs", "0000:01:00.0");
	/* Changing the type makes the old type's options unknown. */
	set_ok(db, "Port", "cl", "type", NULL, "dpdk");
	expect_invalid(db, "port 'cl': unknown option 'vhost-server-path' for type dpdk");
	set_ok(db, "Port", "cl", "type", NULL, "dpdkvhostuserclient");
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);

	/* tag and trunks */
	set_ok(db, "Port", "vm1", "trunks", NULL, "10,20");
	expect_invalid(db, "port 'vm1': tag and trunks are exclusive");
	/* ... unless the tag is a trunk's native VLAN */
	set_ok(db, "Port", "vm1", "vlan_mode", NULL, "native-untagged");
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	{
		struct db_port_cfg pc;
		char text[32];

		db_port_cfg(vm1, &pc);
		assert_int_equal(pc.tag, 0);
		assert_int_equal(pc.native_vlan, vm1->tag);
		assert_true(pc.native_untagged);
		assert_true(pc.trunks[vm1->tag / 64] & (1ULL << (vm1->tag % 64)));
		assert_int_equal(db_get(db, "Port", "vm1", "vlan_mode", NULL, text, sizeof(text),
					err, sizeof(err)),
				 0);
		assert_string_equal(text, "native-untagged");
	}
	{
		/* a native VLAN trunk of all VLANs still does not carry VLAN 0: its
		 * frames would leave untagged, like the native VLAN's (as OVS) */
		struct db_port_cfg pc;

		assert_int_equal(db_clear(db, "Port", "vm1", "trunks", NULL, err, sizeof(err)), 0);
		db_port_cfg(vm1, &pc);
		assert_false(pc.trunks[0] & 1ULL);
		assert_true(pc.trunks[0] & 2ULL);
		assert_true(pc.trunks[vm1->tag / 64] & (1ULL << (vm1->tag % 64)));
		set_ok(db, "Port", "vm1", "trunks", NULL, "0,10,20");
		db_port_cfg(vm1, &pc);
		assert_false(pc.trunks[0] & 1ULL);
	}
	set_ok(db, "Port", "vm1", "vlan_mode", NULL, "access");
	expect_invalid(db, "port 'vm1': vlan_mode access needs a tag and no trunks");
	set_ok(db, "Port", "vm1", "vlan_mode", NULL, "trunk");
	expect_invalid(db, "port 'vm1': vlan_mode trunk takes no tag");
	assert_int_equal(
		db_set(db, "Port", "vm1", "vlan_mode", NULL, "dot1q-tunnel", err, sizeof(err)),
		-EINVAL);
	assert_has(err, "vlan_mode 'dot1q-tunnel' is not one of access, trunk");
	assert_int_equal(db_clear(db, "Port", "vm1", "vlan_mode", NULL, err, sizeof(err)), 0);
	assert_int_equal(db_clear(db, "Port", "vm1", "trunks", NULL, err, sizeof(err)), 0);
	/* Values db_set refuses, as a caller editing the structs might leave them. */
	vm1->tag = 4095;
	expect_invalid(db, "port 'vm1': tag '4095' is out of range 1..4094");
	vm1->tag = 0;
	vm1->trunks = malloc(2 * sizeof(*vm1->trunks));
	vm1->n_trunks = 2;
	vm1->trunks[0] = 10;
	vm1->trunks[1] = 5000;
	expect_invalid(db, "VLAN '5000' is out of range 0..4095");
	vm1->trunks[1] = 10;
	expect_invalid(db, "port 'vm1': trunks are not sorted and unique");
	vm1->trunks[1] = 11;
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	vm1->mtu_request = 67;
	expect_invalid(db, "port 'vm1': mtu_request '67' is out of range 68..9710");
	vm1->mtu_request = 9711;
	expect_invalid(db, "mtu_request '9711'");
	vm1->mtu_request = 9710;
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	free(vm1->type);
	vm1->type = strdup("tap");
	expect_invalid(db, "port 'vm1': unknown type 'tap'");
	free(vm1->type);
	vm1->type = strdup("dpdkvhostuser");

	/* Names and uniqueness, broken behind db_*_add's back. */
	free(cl->name);
	cl->name = strdup("-cl");
	expect_invalid(db, "port name '-cl' must not start with '-'");
	free(cl->name);
	cl->name = strdup("cl2");
	expect_invalid(db, "port 'cl2' already exists in bridge 'br0'");
	free(cl->name);
	cl->name = strdup("cl");
	free(br1->name);
	br1->name = strdup("br0");
	expect_invalid(db, "bridge 'br0' is defined twice");
	free(br1->name);
	br1->name = strdup("br 1");
	expect_invalid(db, "bridge name 'br 1' has invalid character ' '");
	free(br1->name);
	br1->name = strdup("br1");
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);

	/* Records from a file carry their line. */
	vm1->line = 12;
	set_ok(db, "Bridge", "br1", "other_config", "mac-table-size", "64");
	set_ok(db, "Bridge", "br1", "other_config", "mac-port-limit", "100");
	br1->line = 30;
	expect_invalid(db, "line 30: bridge 'br1' other_config 'mac-port-limit': '100' is out of "
			   "range 1..64");
	assert_int_equal(
		db_clear(db, "Bridge", "br1", "other_config", "mac-port-limit", err, sizeof(err)),
		0);
	vm1->tag = 10;
	vm1->line = 12;
	expect_invalid(db, "line 12: port 'vm1': tag and trunks are exclusive");
	db_destroy(db);
}

/* The Port filter column: a map like options, checked by db_validate. */
static void test_filter_column(void **state)
{
	char err[DB_ERR_LEN] = "";
	struct db *db = mkdb(), *c;

	(void)state;
	assert_int_equal(get_rc(db, "Port", "vm1", "filter", "ingress-rules"), -ENOENT);
	set_ok(db, "Port", "vm1", "filter", "ingress-rules", "allow src 52:54:00:00:00:01");
	set_ok(db, "Port", "vm1", "filter", "ingress-default", "deny");
	get_is(db, "Port", "vm1", "filter", "ingress-default", "deny");
	get_is(db, "Port", "vm1", "filter", NULL,
	       "{ingress-default=deny, ingress-rules=\"allow src 52:54:00:00:00:01\"}");
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	/* Interface is the same record, as for options */
	get_is(db, "Interface", "vm1", "filter", "ingress-default", "deny");
	assert_int_equal(db_set(db, "Port", "vm1", "filter", NULL, "x", err, sizeof(err)), -EINVAL);
	assert_has(err, "column 'filter' is a map");
	assert_int_equal(db_set(db, "Bridge", "br0", "filter", "a", "b", err, sizeof(err)),
			 -EINVAL);
	assert_has(err, "table Bridge has no column 'filter'");

	/* the clone owns its map */
	c = db_clone(db);
	assert_non_null(c);
	assert_int_equal(db_clear(c, "Port", "vm1", "filter", "ingress-default", err, sizeof(err)),
			 0);
	get_is(db, "Port", "vm1", "filter", "ingress-default", "deny");
	assert_int_equal(get_rc(c, "Port", "vm1", "filter", "ingress-default"), -ENOENT);
	db_destroy(c);

	set_ok(db, "Port", "vm1", "filter", "ingress-expression", "arp");
	expect_invalid(db,
		       "port 'vm1': filter ingress: rules, program and expression are exclusive");
	assert_int_equal(db_clear(db, "Port", "vm1", "filter", NULL, err, sizeof(err)), 0);
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	set_ok(db, "Port", "vm1", "filter", "egress-rules", "deny dst 01:00:5e:00:00:00/zz");
	expect_invalid(db, "'zz' is not a MAC mask");
	assert_int_equal(db_clear(db, "Port", "vm1", "filter", NULL, err, sizeof(err)), 0);
	set_ok(db, "Port", "vm1", "filter", "egress-colour", "red");
	expect_invalid(db, "port 'vm1': unknown filter key 'egress-colour'");
	db_destroy(db);
}

static void test_clone(void **state)
{
	char err[DB_ERR_LEN];
	struct db *db = mkdb_all_types(), *c;
	char *before, *after, *cd;

	(void)state;
	set_ok(db, "Port", "vm1", "trunks", NULL, "1,2,3");
	set_ok(db, "Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "0x2");
	db_port_find(db, "vm1", NULL)->line = 5;
	before = conf_dump(db);
	c = db_clone(db);
	assert_non_null(c);
	cd = conf_dump(c);
	assert_string_equal(before, cd);
	free(cd);
	assert_int_equal(db_port_find(c, "vm1", NULL)->line, 5);
	assert_ptr_not_equal(db_port_find(c, "vm1", NULL)->trunks,
			     db_port_find(db, "vm1", NULL)->trunks);

	set_ok(c, "Port", "vm1", "trunks", NULL, "7");
	set_ok(c, "Port", "vm1", "other_config", "mac-limit", "5");
	set_ok(c, "Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "0x4");
	assert_int_equal(db_port_del(c, NULL, "nic", err, sizeof(err)), 0);
	assert_int_equal(db_bridge_del(c, "br1", err, sizeof(err)), 0);
	assert_int_equal(db_bridge_add(c, "br7", err, sizeof(err)), 0);
	after = conf_dump(db);
	assert_string_equal(before, after);
	db_destroy(db);
	assert_non_null(db_port_find(c, "vm1", NULL));
	db_destroy(c);
	free(before);
	free(after);

	db = db_create();
	c = db_clone(db);
	assert_non_null(c);
	assert_int_equal(c->n_bridges, 0);
	db_destroy(db);
	db_destroy(c);
}

/* br0 of mkdb_all_types() with vm2 and vm3 too: ports for mirrors. */
static struct db *mkdb_mirrors(void)
{
	char err[DB_ERR_LEN];
	struct db *db = mkdb_all_types();

	assert_int_equal(db_port_add(db, "br0", "vm2", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br0", "vm3", err, sizeof(err)), 0);
	set_ok(db, "Port", "vm2", "type", NULL, "dpdkvhostuser");
	set_ok(db, "Port", "vm3", "type", NULL, "dpdkvhostuser");
	return db;
}

static void put_ok(struct db *db, const char *bridge, const struct db_mirror *m)
{
	assert_int_equal(db_mirror_put(db, bridge, m), 0);
}

static void test_mirrors(void **state)
{
	char err[DB_ERR_LEN] = "";
	char *src[] = {"vm2", "vm1", "vm2"}, *dst[] = {"vm2"};
	uint16_t vlans[] = {20, 10, 20};
	struct db_mirror m1 = {.name = "m1",
			       .src_ports = src,
			       .n_src = 3,
			       .dst_ports = dst,
			       .n_dst = 1,
			       .select_vlans = vlans,
			       .n_vlans = 3,
			       .output_port = "vm3",
			       .line = 7};
	struct db_mirror m0 = {.name = "m0", .select_all = true, .output_port = "nic"};
	struct db *db = mkdb_mirrors(), *c;
	struct db_bridge *br = db_bridge_find(db, "br0");
	struct db_mirror *m;
	char *before, *after;

	(void)state;
	assert_int_equal(db_mirror_put(db, "br9", &m0), -ENOENT);
	assert_null(db_mirror_find(br, "m1"));
	put_ok(db, "br0", &m1);
	put_ok(db, "br0", &m0);
	assert_int_equal(br->n_mirrors, 2);
	assert_string_equal(br->mirrors[0]->name, "m0"); /* sorted by name */
	m = db_mirror_find(br, "m1");
	assert_ptr_equal(m, br->mirrors[1]);
	/* a copy, its lists made sorted sets; the caller's arrays are untouched */
	assert_ptr_not_equal(m->src_ports, src);
	assert_int_equal(m->n_src, 2);
	assert_string_equal(m->src_ports[0], "vm1");
	assert_string_equal(m->src_ports[1], "vm2");
	assert_string_equal(src[0], "vm2");
	assert_int_equal(m->n_dst, 1);
	assert_int_equal(m->n_vlans, 2);
	assert_int_equal(m->select_vlans[0], 10);
	assert_int_equal(m->select_vlans[1], 20);
	assert_int_equal(vlans[0], 20);
	assert_ptr_not_equal(m->output_port, m1.output_port);
	assert_string_equal(m->output_port, "vm3");
	assert_int_equal(m->line, 7);
	assert_false(m->select_all);
	assert_true(db_mirror_find(br, "m0")->select_all);
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);

	/* the same name replaces */
	m0.output_port = "vm3";
	put_ok(db, "br0", &m0);
	assert_int_equal(br->n_mirrors, 2);
	assert_string_equal(db_mirror_find(br, "m0")->output_port, "vm3");

	/* a clone owns its mirrors */
	before = conf_dump(db);
	c = db_clone(db);
	assert_non_null(c);
	m = db_mirror_find(db_bridge_find(c, "br0"), "m1");
	assert_ptr_not_equal(m, db_mirror_find(br, "m1"));
	assert_ptr_not_equal(m->src_ports, db_mirror_find(br, "m1")->src_ports);
	assert_int_equal(m->line, 7);
	assert_int_equal(db_mirror_del(c, "br0", "m1"), 1);
	assert_int_equal(db_port_del(c, NULL, "vm1", err, sizeof(err)), 0);
	after = conf_dump(db);
	assert_string_equal(before, after);
	free(after);
	/* a bridge deleted with its mirrors (and ASan counting what is left) */
	assert_int_equal(db_bridge_del(c, "br0", err, sizeof(err)), 0);
	db_destroy(c);
	c = db_clone(db);
	after = conf_dump(c);
	assert_string_equal(before, after);
	free(after);
	free(before);

	/* del: one, none, all */
	assert_int_equal(db_mirror_del(c, "br9", NULL), -ENOENT);
	assert_int_equal(db_mirror_del(c, "br0", "m9"), 0);
	assert_int_equal(db_mirror_del(c, "br0", "m0"), 1);
	assert_null(db_mirror_find(db_bridge_find(c, "br0"), "m0"));
	put_ok(c, "br0", &m0);
	assert_int_equal(db_mirror_del(c, "br0", NULL), 2);
	assert_int_equal(db_bridge_find(c, "br0")->n_mirrors, 0);
	db_destroy(c);

	/* A port that goes leaves every selection (weak references, as in
	 * OVS) and the record's file line with it; the mirror it was the
	 * output of goes too. */
	m0.output_port = "vm2";
	put_ok(db, "br0", &m0);
	assert_int_equal(db_port_del(db, "br0", "vm2", err, sizeof(err)), 0);
	assert_null(db_mirror_find(br, "m0"));
	m = db_mirror_find(br, "m1");
	assert_non_null(m);
	assert_int_equal(m->n_src, 1);
	assert_string_equal(m->src_ports[0], "vm1");
	assert_int_equal(m->n_dst, 0);
	assert_int_equal(m->line, 0);
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	/* the port name given may be the port's own */
	assert_int_equal(
		db_port_del(db, NULL, db_port_find(db, "vm3", NULL)->name, err, sizeof(err)), 0);
	assert_int_equal(br->n_mirrors, 0);
	/* a port of another bridge leaves br0's mirrors alone */
	put_ok(db, "br0", &(struct db_mirror){.name = "m2", .output_port = "vm1"});
	assert_int_equal(db_port_del(db, NULL, "cl2", err, sizeof(err)), 0);
	assert_int_equal(br->n_mirrors, 1);
	db_destroy(db);
}

static char *ports_vm1[] = {"vm1"}, *ports_vm3[] = {"vm3"}, *ports_vm9[] = {"vm9"},
	    *ports_cl2[] = {"cl2"};

/* A mirror db_validate() refuses, put next to the valid m0, idle and all. */
static const struct mirror_case {
	struct db_mirror m;
	const char *error;
} mirror_cases[] = {
	/* ports: of the same bridge, and existing */
	{{.name = "m0", .src_ports = ports_vm9, .n_src = 1, .output_port = "vm3"},
	 "mirror 'm0' of bridge 'br0': select_src_port 'vm9' is not a port of bridge 'br0'"},
	{{.name = "m0", .dst_ports = ports_cl2, .n_dst = 1, .output_port = "vm3"},
	 "mirror 'm0' of bridge 'br0': select_dst_port 'cl2' is a port of bridge 'br1'"},
	{{.name = "m0", .output_port = "nic2"},
	 "mirror 'm0' of bridge 'br0': output_port 'nic2' is a port of bridge 'br1'"},
	{{.name = "m0", .output_port = "vm9"}, "output_port 'vm9' is not a port of bridge 'br0'"},
	{{.name = "m0", .select_all = true}, "mirror 'm0' of bridge 'br0' has no output_port"},
	/* RSPAN: named, whether or not an output port is given too */
	{{.name = "m0", .select_all = true, .output_vlan = 10},
	 "mirror 'm0' of bridge 'br0': output_vlan 10: kvswitch does not run output_vlan (RSPAN, "
	 "mirroring into a VLAN); give output_port"},
	{{.name = "m0", .output_port = "vm3", .output_vlan = 4095},
	 "output_vlan 4095: kvswitch does not run output_vlan"},
	/* an output port is never a selected port, of any mirror */
	{{.name = "m0", .src_ports = ports_vm3, .n_src = 1, .output_port = "vm1"},
	 "mirror 'all' of bridge 'br0': output port 'vm3' is also a selected port "
	 "(select_src_port) of mirror 'm0'"},
	{{.name = "m0", .dst_ports = ports_vm1, .n_dst = 1, .output_port = "vm1"},
	 "mirror 'm0' of bridge 'br0': output port 'vm1' is also a selected port "
	 "(select_dst_port) of mirror 'm0'"},
	{{.output_port = "vm3"}, "bridge 'br0': a mirror has an empty name"},
};

static void test_validate_mirrors(void **state)
{
	char err[DB_ERR_LEN] = "", name[16];
	struct db *db = mkdb_mirrors(), *c;
	struct db_bridge *br = db_bridge_find(db, "br0");
	struct db_mirror m0 = {.name = "m0",
			       .src_ports = ports_vm1,
			       .n_src = 1,
			       .dst_ports = ports_vm1,
			       .n_dst = 1,
			       .output_port = "vm3"};
	struct db_mirror *m;
	int i;

	(void)state;
	put_ok(db, "br0", &m0);
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	/* selecting nothing is accepted: inert, as in OVS */
	put_ok(db, "br0", &(struct db_mirror){.name = "idle", .output_port = "vm3"});
	/* so is select_all, and a second mirror to the same output */
	put_ok(db, "br0",
	       &(struct db_mirror){.name = "all", .select_all = true, .output_port = "vm3"});
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	for (size_t k = 0; k < sizeof(mirror_cases) / sizeof(mirror_cases[0]); k++) {
		c = db_clone(db);
		assert_non_null(c);
		put_ok(c, "br0", &mirror_cases[k].m);
		expect_invalid(c, mirror_cases[k].error);
		db_destroy(c);
	}

	/* names are unique (broken behind db_mirror_put's back) */
	m = db_mirror_find(br, "idle");
	free(m->name);
	m->name = strdup("m0");
	expect_invalid(db, "bridge 'br0': mirror 'm0' is defined twice");
	free(m->name);
	m->name = strdup("idle");

	/* VLANs: 0..4095, a sorted set */
	put_ok(db, "br0",
	       &(struct db_mirror){.name = "v",
				   .select_vlans = (uint16_t[]){0, 4095},
				   .n_vlans = 2,
				   .output_port = "vm3"});
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	m = db_mirror_find(br, "v");
	m->select_vlans[1] = 4096;
	expect_invalid(db, "mirror 'v' of bridge 'br0': select_vlan: VLAN '4096' is out of range "
			   "0..4095");
	m->select_vlans[1] = 0;
	expect_invalid(db, "mirror 'v' of bridge 'br0': select_vlan is not sorted and unique");
	m->select_vlans[1] = 1;
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);

	/* records from a file carry their line */
	m->line = 40;
	m->select_vlans[1] = 4096;
	expect_invalid(db, "line 40: mirror 'v'");
	m->select_vlans[1] = 1;

	/* at most DB_MAX_MIRRORS per bridge */
	assert_int_equal(db_mirror_del(db, "br0", NULL), 4);
	for (i = 0; i < DB_MAX_MIRRORS; i++) {
		snprintf(name, sizeof(name), "m%02d", i);
		put_ok(db, "br0", &(struct db_mirror){.name = name, .output_port = "vm3"});
	}
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	put_ok(db, "br0", &(struct db_mirror){.name = "more", .output_port = "vm3"});
	br->line = 3;
	expect_invalid(db, "line 3: bridge 'br0': 17 mirrors: kvswitch runs at most 16 mirrors "
			   "per bridge");
	/* another bridge has its own 16 */
	assert_int_equal(db_mirror_del(db, "br0", "more"), 1);
	put_ok(db, "br1", &(struct db_mirror){.name = "m00", .output_port = "nic2"});
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	db_destroy(db);
}

static bool bit(const uint64_t *map, unsigned int i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

static void test_views(void **state)
{
	struct db *db = mkdb_all_types();
	struct db_ovs_cfg oc;
	struct db_bridge_cfg bc;
	struct db_port_cfg pc;
	unsigned int n;

	(void)state;
	db_ovs_cfg(db, &oc);
	assert_int_equal(oc.pmd_cpu_mask, 0);
	assert_string_equal(oc.vhost_sock_dir, "/var/run/kvswitch");
	assert_string_equal(oc.vhost_sock_group, "");
	assert_int_equal(oc.vhost_sock_mode, -1);
	assert_string_equal(oc.pmd_rxq_assign, "cycles");
	assert_true(oc.pmd_rxq_isolate);
	assert_int_equal(oc.n_mbufs, 65536);
	assert_false(oc.pmd_auto_lb);
	assert_int_equal(oc.pmd_auto_lb_load_threshold, 95);
	assert_int_equal(oc.pmd_auto_lb_improvement_threshold, 25);
	assert_int_equal(oc.pmd_auto_lb_rebal_interval, 1);
	assert_int_equal(oc.pmd_auto_lb_rebal_interval_ms, 0);
	assert_int_equal(oc.pmd_sleep_max, 0);

	set_ok(db, "Open_vSwitch", ".", "other_config", "pmd-cpu-mask", "0xA0000000000000F6");
	set_ok(db, "Open_vSwitch", ".", "other_config", "vhost-sock-dir", "/run/k");
	set_ok(db, "Open_vSwitch", ".", "other_config", "vhost-sock-group", "root");
	set_ok(db, "Open_vSwitch", ".", "other_config", "vhost-sock-mode", "0660");
	set_ok(db, "Open_vSwitch", ".", "other_config", "pmd-rxq-assign", "roundrobin");
	set_ok(db, "Open_vSwitch", ".", "other_config", "pmd-rxq-isolate", "false");
	set_ok(db, "Open_vSwitch", ".", "other_config", "n-mbufs", "4096");
	set_ok(db, "Open_vSwitch", ".", "other_config", "pmd-auto-lb", "true");
	set_ok(db, "Open_vSwitch", ".", "other_config", "pmd-auto-lb-load-threshold", "50");
	set_ok(db, "Open_vSwitch", ".", "other_config", "pmd-auto-lb-improvement-threshold", "0");
	set_ok(db, "Open_vSwitch", ".", "other_config", "pmd-auto-lb-rebal-interval", "5");
	set_ok(db, "Open_vSwitch", ".", "other_config", "pmd-auto-lb-rebal-interval-ms", "2000");
	set_ok(db, "Open_vSwitch", ".", "other_config", "pmd-sleep-max", "500");
	db_ovs_cfg(db, &oc);
	assert_true(oc.pmd_cpu_mask == 0xA0000000000000F6ULL);
	assert_string_equal(oc.vhost_sock_dir, "/run/k");
	assert_string_equal(oc.vhost_sock_group, "root");
	assert_int_equal(oc.vhost_sock_mode, 0660);
	assert_string_equal(oc.pmd_rxq_assign, "roundrobin");
	assert_false(oc.pmd_rxq_isolate);
	assert_int_equal(oc.n_mbufs, 4096);
	assert_true(oc.pmd_auto_lb);
	assert_int_equal(oc.pmd_auto_lb_load_threshold, 50);
	assert_int_equal(oc.pmd_auto_lb_improvement_threshold, 0);
	assert_int_equal(oc.pmd_auto_lb_rebal_interval, 5);
	assert_int_equal(oc.pmd_auto_lb_rebal_interval_ms, 2000);
	assert_int_equal(oc.pmd_sleep_max, 500);

	db_bridge_cfg(db_bridge_find(db, "br0"), &bc);
	assert_int_equal(bc.mac_aging_time, 300);
	assert_int_equal(bc.mac_table_size, 8192);
	assert_int_equal(bc.mac_port_limit, 4096);
	set_ok(db, "Bridge", "br0", "other_config", "mac-table-size", "1000");
	set_ok(db, "Bridge", "br0", "other_config", "mac-aging-time", "10");
	db_bridge_cfg(db_bridge_find(db, "br0"), &bc);
	assert_int_equal(bc.mac_aging_time, 10);
	assert_int_equal(bc.mac_table_size, 1000);
	assert_int_equal(bc.mac_port_limit, 500);
	set_ok(db, "Bridge", "br0", "other_config", "mac-port-limit", "7");
	db_bridge_cfg(db_bridge_find(db, "br0"), &bc);
	assert_int_equal(bc.mac_port_limit, 7);

	/* A bare vhost-user port: every default, all VLANs. */
	db_port_cfg(db_port_find(db, "vm1", NULL), &pc);
	assert_int_equal(pc.type, DB_PORT_VHOST_SERVER);
	assert_int_equal(pc.tx_retries_max, 8);
	assert_int_equal(pc.tx_hold_ms, 100);
	assert_int_equal(pc.n_rxq, 1);
	assert_int_equal(pc.n_rxq_desc, 2048);
	assert_int_equal(pc.n_txq_desc, 2048);
	assert_int_equal(pc.mtu, 1500);
	assert_int_equal(pc.tag, 0);
	assert_int_equal(pc.mac_limit, 0);
	assert_int_equal(pc.n_affinity, 0);
	assert_int_equal(pc.n_attached_macs, 0);
	for (n = 0; n < 4096 && bit(pc.trunks, n); n++)
		;
	assert_int_equal(n, 4096);

	/* Access port: only its VLAN. */
	set_ok(db, "Port", "vm1", "tag", NULL, "100");
	set_ok(db, "Port", "vm1", "mtu_request", NULL, "9000");
	set_ok(db, "Port", "vm1", "options", "tx-retries-max", "0");
	set_ok(db, "Port", "vm1", "options", "tx-hold-ms", "0");
	set_ok(db, "Port", "vm1", "other_config", "mac-limit", "64");
	set_ok(db, "Port", "vm1", "other_config", "pmd-rxq-affinity", "0:3,1:7");
	set_ok(db, "Port", "vm1", "other_config", "attached-mac",
	       "52:54:00:ab:CD:01,02:00:00:00:00:02");
	db_port_cfg(db_port_find(db, "vm1", NULL), &pc);
	assert_int_equal(pc.n_attached_macs, 2);
	assert_memory_equal(pc.attached_macs[0], ((uint8_t[]){0x52, 0x54, 0, 0xab, 0xcd, 1}), 6);
	assert_memory_equal(pc.attached_macs[1], ((uint8_t[]){2, 0, 0, 0, 0, 2}), 6);
	assert_int_equal(pc.tag, 100);
	for (n = 0; n < 4096; n++)
		assert_int_equal(bit(pc.trunks, n), n == 100);
	assert_int_equal(pc.mtu, 9000);
	assert_int_equal(pc.tx_retries_max, 0);
	assert_int_equal(pc.tx_hold_ms, 0);
	assert_int_equal(pc.mac_limit, 64);
	assert_int_equal(pc.n_affinity, 2);
	assert_int_equal(pc.affinity[0].qid, 0);
	assert_int_equal(pc.affinity[0].core, 3);
	assert_int_equal(pc.affinity[1].qid, 1);
	assert_int_equal(pc.affinity[1].core, 7);

	/* Trunk port: exactly its list. */
	set_ok(db, "Port", "cl", "trunks", NULL, "0,10,4095");
	db_port_cfg(db_port_find(db, "cl", NULL), &pc);
	assert_int_equal(pc.type, DB_PORT_VHOST_CLIENT);
	assert_string_equal(pc.server_path, "/tmp/cl.sock");
	for (n = 0; n < 4096; n++)
		assert_int_equal(bit(pc.trunks, n), n == 0 || n == 10 || n == 4095);

	set_ok(db, "Port", "nic", "options", "n_rxq", "4");
	set_ok(db, "Port", "nic", "options", "n_rxq_desc", "512");
	set_ok(db, "Port", "nic", "options", "n_txq_desc", "4096");
	db_port_cfg(db_port_find(db, "nic", NULL), &pc);
	assert_int_equal(pc.type, DB_PORT_DPDK);
	assert_string_equal(pc.devargs, "0000:01:00.0");
	assert_int_equal(pc.n_rxq, 4);
	assert_int_equal(pc.n_rxq_desc, 512);
	assert_int_equal(pc.n_txq_desc, 4096);
	assert_true(pc.promiscuous); /* the default */
	set_ok(db, "Port", "nic", "options", "promiscuous", "false");
	db_port_cfg(db_port_find(db, "nic", NULL), &pc);
	assert_false(pc.promiscuous);
	assert_int_equal(pc.rx_interrupts, -1); /* unset: the driver's default */
	set_ok(db, "Port", "nic", "options", "rx-interrupts", "true");
	db_port_cfg(db_port_find(db, "nic", NULL), &pc);
	assert_int_equal(pc.rx_interrupts, 1);
	set_ok(db, "Port", "nic", "options", "rx-interrupts", "false");
	db_port_cfg(db_port_find(db, "nic", NULL), &pc);
	assert_int_equal(pc.rx_interrupts, 0);
	db_destroy(db);
}

/* The limits apply's tables hold (issue 13: 65 bridges overflowed them). */
static void test_validate_limits(void **state)
{
	char err[DB_ERR_LEN] = "", name[32];
	struct db *db = db_create();
	int i;

	(void)state;
	for (i = 0; i < DB_MAX_BRIDGES; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		assert_int_equal(db_bridge_add(db, name, err, sizeof(err)), 0);
	}
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	assert_int_equal(db_bridge_add(db, "one-too-many", err, sizeof(err)), 0);
	assert_int_equal(db_validate(db, err, sizeof(err)), -EINVAL);
	assert_has(err, "65 bridges: kvswitch runs at most 64 bridges");
	db_destroy(db);

	db = db_create();
	assert_int_equal(db_bridge_add(db, "br0", err, sizeof(err)), 0);
	for (i = 0; i < DB_MAX_PORTS; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		assert_int_equal(db_port_add(db, "br0", name, err, sizeof(err)), 0);
		set_ok(db, "Port", name, "type", NULL, "dpdkvhostuser");
	}
	assert_int_equal(db_validate(db, err, sizeof(err)), 0);
	assert_int_equal(db_bridge_add(db, "br1", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(db, "br1", "last", err, sizeof(err)), 0);
	set_ok(db, "Port", "last", "type", NULL, "dpdkvhostuser");
	assert_int_equal(db_validate(db, err, sizeof(err)), -EINVAL);
	assert_has(err, "1025 ports: kvswitch runs at most 1024 ports");
	db_destroy(db);
}

static void test_devargs_allowlist(void **state)
{
	static const struct {
		const char *allow, *devargs, *error; /* error NULL: allowed */
	} cases[] = {
		{DB_DEVARGS_ALLOW_DEFAULT, "0000:03:00.0", NULL},
		{DB_DEVARGS_ALLOW_DEFAULT, "03:00.1,representor=[0-3]", NULL},
		{DB_DEVARGS_ALLOW_DEFAULT, "net_af_packet0,iface=veth0", NULL},
		{DB_DEVARGS_ALLOW_DEFAULT, "net_af_xdp1,iface=eth1,queue_count=2", NULL},
		{DB_DEVARGS_ALLOW_DEFAULT, "net_tap_x", NULL},
		{DB_DEVARGS_ALLOW_DEFAULT, "net_pcap0,rx_iface=lo,tx_pcap=/etc/shadow",
		 "its driver is not in dpdk-devargs-allow"},
		{DB_DEVARGS_ALLOW_DEFAULT, "net_vhost0,iface=/etc/passwd",
		 "its driver is not in dpdk-devargs-allow"},
		/* an alias of net_pcap, and bus or class syntax */
		{DB_DEVARGS_ALLOW_DEFAULT, "eth_pcap0,tx_pcap=/x", "not in dpdk-devargs-allow"},
		{DB_DEVARGS_ALLOW_DEFAULT, "vdev:net_pcap0", "a PCI address or a vdev name"},
		{DB_DEVARGS_ALLOW_DEFAULT, "bus=vdev,name=net_pcap0", "a PCI address or a vdev"},
		{DB_DEVARGS_ALLOW_DEFAULT, "0000:03:00", "a PCI address or a vdev name"},
		{"net_fakevf", "net_fakevf0,iface=v0", NULL},
		{"net_fakevf", "0000:03:00.0", "PCI devices are not in dpdk-devargs-allow"},
		{"net_fakevf,pci", "0000:03:00.0", NULL},
		{"", "net_null0", "not in dpdk-devargs-allow"},
		/* an entry longer than the device name does not match it */
		{"net_null_long", "net_null", "not in dpdk-devargs-allow"},
	};
	char err[DB_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		err[0] = '\0';
		rc = db_devargs_allowed(cases[i].allow, cases[i].devargs, err, sizeof(err));
		if (cases[i].error == NULL && rc != 0)
			fail_msg("'%s' refused by '%s': %s", cases[i].devargs, cases[i].allow, err);
		if (cases[i].error != NULL && rc != -EPERM)
			fail_msg("'%s' allowed by '%s'", cases[i].devargs, cases[i].allow);
		if (cases[i].error != NULL)
			assert_has(err, cases[i].error);
	}
}

/* What the control socket may not change although the file may. */
static void test_socket_change(void **state)
{
	char err[DB_ERR_LEN] = "";
	struct db *old = db_create(), *new;

	(void)state;
	/* as loaded from the file: EAL arguments, an allowlist, a pcap port */
	set_ok(old, "Open_vSwitch", ".", "other_config", "dpdk-extra", "-d /x.so");
	assert_int_equal(db_bridge_add(old, "br0", err, sizeof(err)), 0);
	assert_int_equal(db_port_add(old, "br0", "cap", err, sizeof(err)), 0);
	set_ok(old, "Port", "cap", "type", NULL, "dpdk");
	set_ok(old, "Port", "cap", "options", "dpdk-devargs", "net_pcap0,rx_iface=lo");

	/* unchanged file-only settings and an unchanged port pass */
	new = db_clone(old);
	set_ok(new, "Port", "cap", "tag", NULL, "5");
	assert_int_equal(db_check_socket_change(old, new, err, sizeof(err)), 0);
	db_destroy(new);

	/* dpdk-extra: not changed, not removed, not added */
	new = db_clone(old);
	set_ok(new, "Open_vSwitch", ".", "other_config", "dpdk-extra", "-d /evil.so");
	assert_int_equal(db_check_socket_change(old, new, err, sizeof(err)), -EPERM);
	assert_has(err, "other_config:dpdk-extra can be changed only in the configuration file");
	db_destroy(new);
	new = db_clone(old);
	assert_int_equal(
		db_clear(new, "Open_vSwitch", ".", "other_config", "dpdk-extra", err, sizeof(err)),
		0);
	assert_int_equal(db_check_socket_change(old, new, err, sizeof(err)), -EPERM);
	db_destroy(new);
	new = db_clone(old);
	set_ok(new, "Open_vSwitch", ".", "other_config", "dpdk-devargs-allow", "net_pcap");
	assert_int_equal(db_check_socket_change(old, new, err, sizeof(err)), -EPERM);
	assert_has(err, "dpdk-devargs-allow can be changed only in the configuration file");
	db_destroy(new);

	/* a new port, or new devargs, must name an allowed driver */
	new = db_clone(old);
	assert_int_equal(db_port_add(new, "br0", "cap2", err, sizeof(err)), 0);
	set_ok(new, "Port", "cap2", "type", NULL, "dpdk");
	set_ok(new, "Port", "cap2", "options", "dpdk-devargs", "net_pcap1,tx_pcap=/etc/shadow");
	assert_int_equal(db_check_socket_change(old, new, err, sizeof(err)), -EPERM);
	assert_has(err, "port 'cap2': dpdk-devargs 'net_pcap1,tx_pcap=/etc/shadow'");
	set_ok(new, "Port", "cap2", "options", "dpdk-devargs", "net_af_packet0,iface=v0");
	assert_int_equal(db_check_socket_change(old, new, err, sizeof(err)), 0);
	set_ok(new, "Port", "cap", "options", "dpdk-devargs", "net_pcap0,tx_pcap=/etc/shadow");
	assert_int_equal(db_check_socket_change(old, new, err, sizeof(err)), -EPERM);
	assert_has(err, "port 'cap'");
	db_destroy(new);

	/* the file's allowlist decides */
	set_ok(old, "Open_vSwitch", ".", "other_config", "dpdk-devargs-allow", "net_pcap");
	new = db_clone(old);
	assert_int_equal(db_port_add(new, "br0", "cap2", err, sizeof(err)), 0);
	set_ok(new, "Port", "cap2", "type", NULL, "dpdk");
	set_ok(new, "Port", "cap2", "options", "dpdk-devargs", "net_pcap1,rx_iface=lo");
	assert_int_equal(db_check_socket_change(old, new, err, sizeof(err)), 0);
	set_ok(new, "Port", "cap2", "options", "dpdk-devargs", "0000:03:00.0");
	assert_int_equal(db_check_socket_change(old, new, err, sizeof(err)), -EPERM);
	db_destroy(new);
	db_destroy(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smap),
		cmocka_unit_test(test_bridges),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_set_get_clear),
		cmocka_unit_test(test_validate_keys),
		cmocka_unit_test(test_validate_records),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_views),
		cmocka_unit_test(test_filter_column),
		cmocka_unit_test(test_validate_limits),
		cmocka_unit_test(test_devargs_allowlist),
		cmocka_unit_test(test_socket_change),
		cmocka_unit_test(test_mirrors),
		cmocka_unit_test(test_validate_mirrors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
