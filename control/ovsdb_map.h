/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovsdb_map: Open vSwitch's database, as kvswitchd's OVSDB client holds it,
 * turned into kvswitch's configuration model (control/db.h).  Pure: no
 * socket, no DPDK, so unit tests feed it rows as ovsdb-server sends them.
 * Control thread (control/ovsdb_client.c) and tests.
 *
 * The replica is {"Open_vSwitch": {UUID: row}, "Bridge": {...}, "Port":
 * {...}, "Interface": {...}, "Mirror": {...}, "QoS": {...}} with rows in RFC 7047's <row>
 * encoding.  What kvswitch cannot run is left out of the result and said so:
 * an interface it cannot run gets an entry in iface_errors (what
 * ovs-vswitchd would write to its error column), a column or key it does not
 * implement, or a Mirror it cannot run, an entry in ignored (logged once by
 * the caller).  docs/ovs-compat.md is the table of both.
 */
#ifndef KVS_CONTROL_OVSDB_MAP_H
#define KVS_CONTROL_OVSDB_MAP_H

#include <stdint.h>

#include <jansson.h>

struct db;

/* Where OVS puts its run-time files, and vhost-user server sockets by
 * default (other_config:vhost-sock-dir is relative to it, as in OVS). */
#define OVSDB_DEFAULT_RUNDIR "/var/run/openvswitch"

struct ovsdb_map_result {
	struct db *db;             /* NULL + errno only when out of memory */
	json_t *iface_errors;      /* {"Interface name": "why it is not running"} */
	json_t *ignored;           /* ["Bridge br0: column netflow", ...], sorted */
	json_t *local_ifaces;      /* {"br0": "br0"}: each bridge's own (internal)
				      interface, which kvswitch does not create */
	int64_t stats_interval_ms; /* other_config:stats-update-interval, 5000 default */
	/* EAL arguments OVS's other_config asks for (dpdk-socket-mem,
	 * dpdk-socket-limit, dpdk-hugepage-dir), used at start only */
	char eal_args[512];
	int64_t next_cfg;  /* Open_vSwitch next_cfg, 0 if none */
	char ovs_uuid[40]; /* the Open_vSwitch row, "" if none yet */
};

/* 0, or -ENOMEM.  The caller frees out with ovsdb_map_result_free(). */
int ovsdb_map_db(const json_t *replica, const char *rundir, struct ovsdb_map_result *out);
void ovsdb_map_result_free(struct ovsdb_map_result *out);

/* RFC 7047 values (exported for the client and tests). */
/* A <set> as an array of atoms (a new reference; a lone atom is a set of one). */
json_t *ovsdb_set_atoms(const json_t *v);
/* A <map> entry's value by key, NULL if absent or not a map. */
const char *ovsdb_map_get(const json_t *map, const char *key);
/* The uuid string of ["uuid", "..."], NULL otherwise. */
const char *ovsdb_uuid(const json_t *v);

#endif
