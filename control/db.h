/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db: the configuration model, i.e. what the user asked for, in OVS's terms:
 * the Open_vSwitch record (other_config), Bridges (other_config), and Ports
 * with their one Interface (type, options, tag, trunks, mtu_request,
 * other_config) and kvswitch's frame filter map (filter).  kvswitch merges Port and Interface: one
 * name, one record.
 *
 * Owned by the control thread only; PMDs never see it (control/apply.c turns
 * a db into dataplane state).  Every change is a transaction: clone the db,
 * edit the clone, db_validate() it, apply it, then swap it in and persist it.
 * A failure at any step drops the clone, so nothing is half-changed.
 *
 * Errors are -errno with a message in a caller-supplied buffer that names the
 * object and, for records read from a file, the line ("line 12: port 'vm1':
 * option 'n_rxq': '0' is out of range 1..1024").
 */
#ifndef KVS_CONTROL_DB_H
#define KVS_CONTROL_DB_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DB_ERR_LEN           512
#define DB_MAX_AFFINITY      64
#define DB_MAX_ATTACHED_MACS 8
/* What the switch can run (control/state.h SW_MAX_BRIDGES, dataplane/port.h
 * DP_MAX_PORTS): db_validate() refuses more, naming the limit. */
#define DB_MAX_BRIDGES 64
#define DB_MAX_PORTS   1024

/* String map, kept sorted by key. */
struct smap_node {
	char *key;
	char *value;
};
struct smap {
	struct smap_node *nodes;
	size_t n, cap;
};

void smap_init(struct smap *m);
void smap_destroy(struct smap *m);
int smap_clone(struct smap *dst, const struct smap *src);
const char *smap_get(const struct smap *m, const char *key);
int smap_set(struct smap *m, const char *key, const char *value);
bool smap_remove(struct smap *m, const char *key);

/* Port vlan_mode (OVS's words).  NONE: access if tag is set, else trunk. */
enum db_vlan_mode {
	DB_VLAN_MODE_NONE,
	DB_VLAN_MODE_ACCESS,
	DB_VLAN_MODE_TRUNK,
	DB_VLAN_MODE_NATIVE_TAGGED,   /* trunk; untagged frames are VLAN tag; sent tagged */
	DB_VLAN_MODE_NATIVE_UNTAGGED, /* the same, but VLAN tag is sent untagged */
};
/* "access", ... or NULL for NONE; parse: -EINVAL for an unknown word. */
const char *db_vlan_mode_name(enum db_vlan_mode m);
int db_vlan_mode_parse(const char *s, enum db_vlan_mode *out);

/*
 * A Port's QoS: the QoS row its qos column references in OVS, for the two
 * types OVS-DPDK runs and kvswitch too (control/db_qos.c):
 * - egress-policer: other_config cir (bytes/s) and cbs (bytes), srTCM;
 * - trtcm-policer: cir, cbs, eir, ebs, RFC 4115 trTCM (green and yellow
 *   pass).  Its per-queue policers (OVS's Queue rows) are not run.
 * Rates and bursts count bytes less the Ethernet header, as OVS's do.
 */
enum db_qos_type { DB_QOS_NONE, DB_QOS_EGRESS_POLICER, DB_QOS_TRTCM_POLICER };
/* Most a rate (bytes/s: 8.8 Tbit/s) or bucket (bytes) may be: what the
 * dataplane's policer takes (control/police.c asserts it), beyond which
 * librte_meter's arithmetic overflows. */
#define DB_QOS_VALUE_MAX (1ull << 40)
struct db_qos {
	uint8_t type;                /* enum db_qos_type */
	uint64_t cir, cbs, eir, ebs; /* 0 = not given */
};

struct db_port {
	char *name;
	char *type;               /* "dpdkvhostuser", "dpdkvhostuserclient", "dpdk" */
	struct smap options;      /* Interface options */
	struct smap other_config; /* Port + Interface other_config */
	struct smap filter;       /* Port filter (control/filter_cfg.h) */
	uint16_t tag;             /* access (or native) VLAN 1..4094; 0 = none */
	uint8_t vlan_mode;        /* enum db_vlan_mode */
	uint16_t n_trunks;
	uint16_t *trunks;     /* sorted, unique; none = all VLANs */
	uint32_t mtu_request; /* 0 = default (1500) */
	/* Interface ingress_policing_rate (kbit/s, 0 = not policed) and
	 * ingress_policing_burst (kbit, 0 = 8000), as in OVS */
	uint32_t policing_rate, policing_burst;
	struct db_qos qos; /* Port qos; type DB_QOS_NONE = none */
	unsigned int line; /* line in the config file, 0 if not from a file */
};

/* Most mirrors a bridge runs (dataplane/mirror.h DP_MAX_MIRRORS). */
#define DB_MAX_MIRRORS 16

/*
 * A bridge's Mirror, in OVS's columns: frames received on a src port, sent
 * to a dst port, or any frame (select_all), in one of select_vlans (none:
 * every VLAN), are copied to output_port, which then carries nothing else.
 * Ports are named, and must be ports of the same bridge; no port is both
 * an output port and a selected port of any mirror.  output_vlan is OVS's
 * column but kvswitch does not run it: db_validate() refuses it, naming it.
 */
struct db_mirror {
	char *name;
	bool select_all;
	char **src_ports, **dst_ports; /* sorted, unique */
	size_t n_src, n_dst;
	uint16_t *select_vlans; /* sorted, unique, 0..4095 */
	uint16_t n_vlans;
	char *output_port;    /* NULL: none (then db_validate refuses the mirror) */
	uint16_t output_vlan; /* 0 = unset */
	unsigned int line;
};

struct db_bridge {
	char *name;
	struct smap other_config;
	struct db_port **ports;
	size_t n_ports;
	struct db_mirror **mirrors; /* sorted by name */
	size_t n_mirrors;
	unsigned int line;
};

struct db {
	struct smap other_config; /* Open_vSwitch . other_config */
	struct db_bridge **bridges;
	size_t n_bridges;
	/* The file's "ovsdb: unix:PATH": run in OVSDB mode on that database
	 * (control/ovsdb_client.h); such a file holds nothing else.  NULL:
	 * standalone. */
	char *ovsdb;
};

struct db *db_create(void);
void db_destroy(struct db *db);
struct db *db_clone(const struct db *db); /* NULL + errno */

struct db_bridge *db_bridge_find(const struct db *db, const char *name);
/* Finds a port in any bridge; *br (if not NULL) receives its bridge. */
struct db_port *db_port_find(const struct db *db, const char *name, struct db_bridge **br);

/* -EEXIST, -ENOENT, -EINVAL (bad name) with a message in err. */
int db_bridge_add(struct db *db, const char *name, char *err, size_t errlen);
int db_bridge_del(struct db *db, const char *name, char *err, size_t errlen);
/* New port with type "" (must be set before validation passes). */
int db_port_add(struct db *db, const char *bridge, const char *port, char *err, size_t errlen);
/* A copy of src (a port of another db) into bridge: 0, -ENOENT (no such
 * bridge), -EEXIST (the name is taken), -ENOMEM. */
int db_port_copy(struct db *db, const char *bridge, const struct db_port *src);
/* A mirror of bridge: NULL if none. */
struct db_mirror *db_mirror_find(const struct db_bridge *br, const char *name);
/* Add a copy of m to bridge (replacing one of the same name): 0, -ENOENT
 * (no such bridge) or -ENOMEM; judged by db_validate(). */
int db_mirror_put(struct db *db, const char *bridge, const struct db_mirror *m);
/* Remove one mirror (name) or, with name NULL, all of bridge's: how many
 * went, or -ENOENT (no such bridge). */
int db_mirror_del(struct db *db, const char *bridge, const char *name);

/* "egress-policer", "trtcm-policer"; NULL for DB_QOS_NONE. */
const char *db_qos_type_name(enum db_qos_type t);
/* A QoS row as OVS has it (its type, and other_config cir, cbs, and for
 * trtcm-policer eir and ebs) into *out: 0, or -EINVAL with a message that
 * starts with what ("port 'vm1': qos") and names the type kvswitch does not
 * run, the key the type does not have, or the value that is not a number.
 * Ranges against the port are db_validate()'s. */
int db_qos_parse(const char *type, const struct smap *other_config, struct db_qos *out,
		 const char *what, char *err, size_t errlen);
/* db_validate()'s rule for p's QoS: a rate, and buckets that hold one frame
 * at p's MTU; 0 or -EINVAL naming the port and the key.  control/ovsdb_map.c
 * checks each QoS as it maps it, so that a bad one is left out alone. */
int db_qos_check(const struct db_port *p, char *err, size_t errlen);
/* The type a QoS type name means; DB_QOS_NONE for one kvswitch lacks. */
enum db_qos_type db_qos_type_of(const char *type);
/* Does a QoS of type take other_config key? */
bool db_qos_key_known(const char *type, const char *key);
/* Same type, rates and buckets. */
bool db_qos_equal(const struct db_qos *a, const struct db_qos *b);
/* q's other_config, OVS's keys with decimal values, into out (empty on
 * entry): 0 or -ENOMEM. */
int db_qos_other_config(const struct db_qos *q, struct smap *out);

/* bridge may be NULL: any bridge. */
int db_port_del(struct db *db, const char *bridge, const char *port, char *err, size_t errlen);

/*
 * Generic edits, in ovs-vsctl words.  table: "Open_vSwitch" (record "."),
 * "Bridge", "Port" or "Interface" (the same record for kvswitch).  column:
 * "other_config", "options", "filter" (with a key), "type", "tag", "trunks",
 * "vlan_mode", "mtu_request", "ingress_policing_rate", "ingress_policing_burst";
 * "name" is read-only; Port "qos" and Bridge "mirrors" are cleared and read
 * here, and set only with a record reference (control/cmd_ref.c).  key is
 * NULL for plain columns.
 * Values are text as typed on the command line ("10", "10,20", "[10,20]",
 * "0x6", "dpdk").  Syntax is checked here (unknown table/column, not a
 * number); ranges and cross-record rules in db_validate().
 */
int db_set(struct db *db, const char *table, const char *record, const char *column,
	   const char *key, const char *value, char *err, size_t errlen);
/* ovs-vsctl add: VLANs into trunks ("30" or "30,40"), or KEY=VALUE into a map
 * column unless KEY is there. */
int db_add(struct db *db, const char *table, const char *record, const char *column,
	   const char *value, char *err, size_t errlen);
/* Remove one key of a map column (or one VLAN of trunks), or reset a plain
 * column to its default. */
int db_clear(struct db *db, const char *table, const char *record, const char *column,
	     const char *key, char *err, size_t errlen);
/* Text of a column (or one key of it) into out. -ENOENT if unset. */
int db_get(const struct db *db, const char *table, const char *record, const char *column,
	   const char *key, char *out, size_t outlen, char *err, size_t errlen);

/* One map key as db_validate() will judge it, for callers that take keys
 * from elsewhere (control/ovsdb_map.c): 0; -ENOENT if the schema has no such
 * key in that place (for options: for that port type); -EINVAL with a
 * message naming record and key when the value is out of range or syntax.
 * table: "Open_vSwitch", "Bridge" or "Interface"; column: "other_config" or
 * "options". */
/* true if type is an Interface type kvswitch runs (dpdk, dpdkvhostuser,
 * dpdkvhostuserclient). */
bool db_schema_type_known(const char *type);
int db_key_check(const char *table, const char *record, const char *type, const char *column,
		 const char *key, const char *value, char *err, size_t errlen);

/* Every rule that spans records or needs a range: known keys per type,
 * ranges, unique names, unique socket paths and devargs, affinity syntax,
 * at most DB_MAX_BRIDGES bridges and DB_MAX_PORTS ports, mirrors. */
int db_validate(const struct db *db, char *err, size_t errlen);
/* db_validate()'s rules for the mirrors of br, a bridge of db: 0, or -EINVAL
 * with a message naming the mirror.  control/ovsdb_map.c checks each Mirror
 * row as it adds it, so that a bad one is left out, not the whole database. */
int db_mirrors_check(const struct db *db, const struct db_bridge *br, char *err, size_t errlen);

/*
 * What a control-socket client may not do, although the configuration file
 * may (control/db_socket.c; docs/operations.md, "The control socket is
 * root"): change a file-only key (dpdk-extra: EAL arguments, which can load
 * code; dpdk-devargs-allow: the list below), or give a dpdk port devargs
 * whose driver dpdk-devargs-allow does not name.  0, or -EPERM naming the
 * key or port.  old is the running configuration, new the changed clone.
 */
int db_check_socket_change(const struct db *old, const struct db *new, char *err, size_t errlen);
/* The drivers a socket client may name in dpdk-devargs when the file sets no
 * dpdk-devargs-allow ("pci" stands for any PCI address). */
#define DB_DEVARGS_ALLOW_DEFAULT "pci,net_af_packet,net_af_xdp,net_tap,net_ring,net_null"
/* Is devargs' device one of the comma-separated drivers of allow?  0, or
 * -EPERM with the reason. */
int db_devargs_allowed(const char *allow, const char *devargs, char *err, size_t errlen);

/* ---- Typed views, valid after db_validate() succeeded. ---- */

enum db_port_type { DB_PORT_VHOST_SERVER, DB_PORT_VHOST_CLIENT, DB_PORT_DPDK };

struct db_ovs_cfg {
	uint64_t pmd_cpu_mask;               /* pmd-cpu-mask; 0 = unset (one PMD on the
						lowest core not running the control thread) */
	char vhost_sock_dir[PATH_MAX];       /* vhost-sock-dir, default "/var/run/kvswitch" */
	char vhost_sock_group[64];           /* vhost-sock-group, "" = leave as created */
	int vhost_sock_mode;                 /* vhost-sock-mode (octal text), -1 = unset */
	char pmd_rxq_assign[16];             /* cycles (default) | roundrobin | group */
	bool pmd_rxq_isolate;                /* pmd-rxq-isolate, default true */
	bool pmd_auto_lb;                    /* pmd-auto-lb, default false */
	uint32_t pmd_auto_lb_load_threshold; /* %, default 95, 10..100 */
	uint32_t pmd_auto_lb_improvement_threshold; /* %, default 25, 0..100 */
	uint32_t pmd_auto_lb_rebal_interval;        /* minutes, default 1, 1..20000 */
	uint32_t pmd_auto_lb_rebal_interval_ms;     /* tests: ms, overrides the
						       minutes; 0 = unset */
	uint32_t pmd_sleep_max;                     /* us, default 0 = never sleep, 0..10000 */
	uint32_t n_mbufs;          /* n-mbufs per NUMA node, default 65536, 4096..1048576 */
	char metrics_address[128]; /* metrics-address HOST:PORT, "" = no metrics endpoint */
};

struct db_bridge_cfg {
	uint32_t mac_aging_time; /* mac-aging-time, seconds, default 300, 1..86400 */
	uint32_t mac_table_size; /* mac-table-size, default 8192, 16..1048576 */
	uint32_t mac_port_limit; /* mac-port-limit: default per-port limit,
				    default 0 = mac_table_size / 2, 1..mac_table_size */
};

struct db_affinity {
	uint16_t qid;
	uint16_t core;
};

/* vhost offloads a port's options turn off (all on by default). */
enum { DB_OFFLOAD_CSUM = 1, DB_OFFLOAD_TSO = 2, DB_OFFLOAD_ECN = 4 };

struct db_port_cfg {
	enum db_port_type type;
	char server_path[PATH_MAX]; /* options:vhost-server-path (client mode) */
	char devargs[512];          /* options:dpdk-devargs (dpdk) */
	uint16_t n_rxq;             /* options:n_rxq (dpdk), default 1, 1..1024 */
	uint16_t n_rxq_desc;        /* options:n_rxq_desc, default 2048, power of 2, 32..4096 */
	uint16_t n_txq_desc;        /* options:n_txq_desc, same */
	int8_t rx_interrupts;       /* options:rx-interrupts (dpdk): 1 true, 0 false, -1 unset:
				       the driver's default (ethdev_port.h) */
	uint16_t tx_retries_max;    /* options:tx-retries-max (vhost), default 8, 0..32 */
	uint16_t tx_hold_ms;        /* options:tx-hold-ms (vhost), default 100, 0..10000 */
	uint8_t offload_off;        /* DB_OFFLOAD_* turned off: options:csum, tso, ecn =false */
	uint16_t tag;               /* 0 = trunk port */
	uint16_t native_vlan;       /* a trunk's native VLAN (vlan_mode native-*), 0 = none */
	bool native_untagged;       /* native-untagged: that VLAN leaves untagged */
	uint64_t trunks[64];        /* bitmap of VLANs 0..4095 carried by a trunk port */
	uint32_t mtu;               /* mtu_request, default 1500, 68..9710 */
	uint32_t policing_rate;     /* ingress_policing_rate, kbit/s, 0 = off */
	uint32_t policing_burst;    /* ingress_policing_burst, kbit, 0 = 8000 */
	struct db_qos qos;          /* Port qos: the egress policer, if any */
	uint32_t mac_limit;         /* other_config:mac-limit, 0 = bridge default */
	uint16_t n_affinity;        /* other_config:pmd-rxq-affinity "0:3,1:7" */
	struct db_affinity affinity[DB_MAX_AFFINITY];
	bool promiscuous;        /* options:promiscuous (dpdk), default true */
	bool gro;                /* options:gro (dpdk), default false: merge TCP (gro.h) */
	uint8_t n_attached_macs; /* other_config:attached-mac "MAC[,MAC...]": the guest's */
	uint8_t attached_macs[DB_MAX_ATTACHED_MACS][6]; /* MACs, programmed into VF filters */
};

void db_ovs_cfg(const struct db *db, struct db_ovs_cfg *out);
void db_bridge_cfg(const struct db_bridge *br, struct db_bridge_cfg *out);
void db_port_cfg(const struct db_port *p, struct db_port_cfg *out);

/* ---- The configuration file (YAML), control/conf_file.c ---- */

/* Parse a file into a new db and validate it.  On any error: NULL, errno set,
 * and err holds "FILE:LINE: message"; nothing else happened. */
struct db *conf_load(const char *path, char *err, size_t errlen);
/* Same from a string (tests). */
struct db *conf_load_string(const char *text, const char *name, char *err, size_t errlen);
/* Write db to path atomically: PATH.tmp, fsync, rename, fsync of the dir. */
int conf_save(const struct db *db, const char *path, char *err, size_t errlen);
/* The same in two steps, so that a transaction writes PATH.tmp before it is
 * applied and renames it over PATH only once the apply succeeded: a change
 * that fails (or crashes the daemon) while applied is never in the file the
 * next start reads.  abort: remove PATH.tmp. */
int conf_save_prepare(const struct db *db, const char *path, char *err, size_t errlen);
int conf_save_commit(const char *path, char *err, size_t errlen);
void conf_save_abort(const char *path);
/* The YAML text conf_save() writes (malloc'd). */
char *conf_dump(const struct db *db);

#endif
