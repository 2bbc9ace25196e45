/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovsdb_map: Open_vSwitch, Bridge, Port, Interface, QoS and Mirror rows into a
 * struct db (ovsdb_map.h).  One kvswitch port is one OVS Port with its one
 * Interface, named by the Interface (the vhost socket and the statistics are
 * the Interface's in OVS too); a Mirror's Port references are resolved to
 * those names.
 *
 * Keys are judged one by one (db_key_check), so one bad option takes out
 * its own interface and nothing else, as OVS keeps the rest of a bridge
 * running around a port that failed.  What spans records (a socket path used
 * twice) is left to db_validate(): the client drops the port it names and
 * tries again (control/ovsdb_client.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/db.h"
#include "control/ovsdb_map.h"
#include "control/ovsdb_map_priv.h"

json_t *ovsdb_set_atoms(const json_t *v)
{
	if (json_is_array(v) && json_array_size(v) == 2 && json_is_string(json_array_get(v, 0)) &&
	    strcmp(json_string_value(json_array_get(v, 0)), "set") == 0 &&
	    json_is_array(json_array_get(v, 1)))
		return json_incref(json_array_get(v, 1));
	if (v == NULL)
		return json_array();
	return json_pack("[O]", v);
}

json_t *ovsdb_map_pairs(const json_t *map)
{
	if (json_is_array(map) && json_array_size(map) == 2 &&
	    json_is_string(json_array_get(map, 0)) &&
	    strcmp(json_string_value(json_array_get(map, 0)), "map") == 0 &&
	    json_is_array(json_array_get(map, 1)))
		return json_array_get(map, 1);
	return NULL;
}

/* One [key, value] of a string map. */
bool ovsdb_map_pair(const json_t *kv, const char **k, const char **v)
{
	*k = json_string_value(json_array_get(kv, 0));
	*v = json_string_value(json_array_get(kv, 1));
	return *k != NULL && *v != NULL;
}

const char *ovsdb_map_get(const json_t *map, const char *key)
{
	json_t *pairs = ovsdb_map_pairs(map), *kv;
	size_t i;

	json_array_foreach(pairs, i, kv)
	{
		const char *k = json_string_value(json_array_get(kv, 0));

		if (k && strcmp(k, key) == 0)
			return json_string_value(json_array_get(kv, 1));
	}
	return NULL;
}

const char *ovsdb_uuid(const json_t *v)
{
	if (json_is_array(v) && json_array_size(v) == 2 && json_is_string(json_array_get(v, 0)) &&
	    strcmp(json_string_value(json_array_get(v, 0)), "uuid") == 0)
		return json_string_value(json_array_get(v, 1));
	return NULL;
}

/* A column holding at most one string or integer (optional, min 0 max 1). */
const char *ovsdb_row_string(const json_t *row, const char *col)
{
	json_t *atoms = ovsdb_set_atoms(json_object_get(row, col));
	const char *s = json_string_value(json_array_get(atoms, 0));

	json_decref(atoms); /* s points into row: the set shares its atoms */
	return s;
}

bool ovsdb_row_int(const json_t *row, const char *col, json_int_t *out)
{
	json_t *atoms = ovsdb_set_atoms(json_object_get(row, col));
	json_t *a = json_array_get(atoms, 0);
	bool ok = json_is_integer(a);

	if (ok)
		*out = json_integer_value(a);
	json_decref(atoms);
	return ok;
}

bool ovsdb_row_nonempty(const json_t *row, const char *col)
{
	const json_t *v = json_object_get(row, col);
	json_t *atoms;
	bool r;

	if (v == NULL)
		return false;
	if (ovsdb_map_pairs(v) != NULL)
		return json_array_size(ovsdb_map_pairs(v)) > 0;
	atoms = ovsdb_set_atoms(v);
	r = json_array_size(atoms) > 0;
	json_decref(atoms);
	return r;
}

const json_t *ovsdb_row_by_uuid(const json_t *replica, const char *table, const json_t *ref)
{
	const char *u = ovsdb_uuid(ref);

	return u ? json_object_get(json_object_get(replica, table), u) : NULL;
}

void ovsdb_map_note(struct ovsdb_map_result *out, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_array_append_new(out->ignored, json_string(text));
}

static void iface_error(struct ovsdb_map_result *out, const char *iface, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void iface_error(struct ovsdb_map_result *out, const char *iface, const char *fmt, ...)
{
	char text[DB_ERR_LEN];
	va_list ap;

	if (iface == NULL || json_object_get(out->iface_errors, iface) != NULL)
		return; /* the first reason is the one to fix first */
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_object_set_new(out->iface_errors, iface, json_string(text));
}

/* OVS's other_config keys that kvswitch spells differently. */
static const char *ovs_key_alias(const char *key)
{
	if (strcmp(key, "pmd-maxsleep") == 0) /* OVS 3.1's name of pmd-sleep-max */
		return "pmd-sleep-max";
	return key;
}

/* OVS keys that configure what kvswitch does by itself or not at all,
 * accepted without a note (docs/ovs-compat.md says why each). */
static bool ovs_key_silent(const char *key)
{
	static const char *const keys[] = {
		"dpdk-init",           "dpdk-lcore-mask",        "userspace-tso-enable",
		"vhost-iommu-support", "vhost-postcopy-support", "per-port-memory"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

/* Judge one map key and set it: 0; -ENOENT when kvswitch has no such key
 * (noted as ignored); another -errno with err naming the record and key. */
static int take_key(struct ovsdb_map_result *out, const char *table, const char *record,
		    const char *type, const char *column, const char *k, const char *v, char *err,
		    size_t errlen)
{
	int rc = db_key_check(table, record, type, column, k, v, err, errlen);

	if (rc == -ENOENT) {
		ovsdb_map_note(out, "%s %s %s:%s", table, record, column, k);
		return rc;
	}
	return rc < 0 ? rc : db_set(out->db, table, record, column, k, v, err, errlen);
}

/* OVS's keys that are EAL arguments, into out->eal_args: true if k is one.
 * Values are checked so that one cannot smuggle in more arguments. */
static bool eal_key(struct ovsdb_map_result *out, const char *k, const char *v)
{
	static const struct {
		const char *key, *arg, *chars;
	} keys[] = {
		{"dpdk-socket-mem", "--socket-mem", "0123456789,"},
		{"dpdk-socket-limit", "--socket-limit", "0123456789,"},
		{"dpdk-hugepage-dir", "--huge-dir", NULL},
	};
	size_t len = strlen(out->eal_args);

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(k, keys[i].key) != 0)
			continue;
		if (v[0] == '\0' || (keys[i].chars ? strspn(v, keys[i].chars) != strlen(v)
						   : v[0] != '/' || strpbrk(v, " \t") != NULL)) {
			ovsdb_map_note(out, "Open_vSwitch . other_config:%s '%s' (not %s)", k, v,
				       keys[i].chars ? "numbers separated by commas"
						     : "an absolute path");
			return true;
		}
		snprintf(out->eal_args + len, sizeof(out->eal_args) - len, "%s%s %s",
			 len ? " " : "", keys[i].arg, v);
		return true;
	}
	return false;
}

static int map_open_vswitch(const json_t *ovs, const char *rundir, struct ovsdb_map_result *out)
{
	json_t *pairs = ovsdb_map_pairs(json_object_get(ovs, "other_config")), *kv;
	char err[DB_ERR_LEN], path[PATH_MAX];
	bool sock_dir = false;
	size_t i;

	json_array_foreach(pairs, i, kv)
	{
		const char *k, *v;
		int rc;

		if (!ovsdb_map_pair(kv, &k, &v))
			continue;
		if (strcmp(k, "stats-update-interval") == 0) {
			/* OVS: milliseconds, at least 5000 */
			long long ms = strtoll(v, NULL, 10);

			out->stats_interval_ms = ms < 5000 ? 5000 : ms > 3600000 ? 3600000 : ms;
			continue;
		}
		if (eal_key(out, k, v))
			continue;
		if (ovs_key_silent(k))
			continue;
		k = ovs_key_alias(k);
		if (strcmp(k, "vhost-sock-dir") == 0 && v[0] != '/') {
			/* OVS: relative to its run directory */
			snprintf(path, sizeof(path), "%s/%s", rundir, v);
			v = path;
		}
		rc = take_key(out, "Open_vSwitch", ".", NULL, "other_config", k, v, err,
			      sizeof(err));
		if (rc == -ENOMEM)
			return rc;
		if (rc == -EINVAL)
			ovsdb_map_note(out, "%s (ignored)", err);
		if (rc < 0)
			continue;
		sock_dir = sock_dir || strcmp(k, "vhost-sock-dir") == 0;
	}
	if (!sock_dir && db_set(out->db, "Open_vSwitch", ".", "other_config", "vhost-sock-dir",
				rundir, err, sizeof(err)) < 0)
		return -ENOMEM;
	return 0;
}

/* Copy one map column of an Interface or Port into the port, key by key. */
static void map_keys(struct ovsdb_map_result *out, const char *iface, const char *type,
		     const char *column, const json_t *map, bool *bad)
{
	json_t *pairs = ovsdb_map_pairs(map), *kv;
	char err[DB_ERR_LEN];
	size_t i;

	json_array_foreach(pairs, i, kv)
	{
		const char *k, *v;
		int rc;

		if (!ovsdb_map_pair(kv, &k, &v))
			continue;
		rc = take_key(out, "Interface", iface, type, column, k, v, err, sizeof(err));
		if (rc == -ENOENT)
			continue;
		if (rc < 0) {
			iface_error(out, iface, "%s", err);
			*bad = true;
		}
	}
}

static const char *const supported_types = "dpdk, dpdkvhostuser, dpdkvhostuserclient";

/* The Port's VLAN columns: tag, trunks, vlan_mode.  As OVS: with no
 * vlan_mode, a tag makes an access port (its trunks ignored); vlan_mode
 * trunk ignores the tag. */
static void map_vlan(struct ovsdb_map_result *out, const char *iface, const json_t *port, bool *bad)
{
	const char *mode = ovsdb_row_string(port, "vlan_mode");
	json_t *trunks = ovsdb_set_atoms(json_object_get(port, "trunks")), *t;
	char err[DB_ERR_LEN], text[8 * 4096 + 1] = "", num[16];
	bool access = false, use_tag = true, use_trunks = true;
	json_int_t tag = 0;
	bool has_tag = ovsdb_row_int(port, "tag", &tag);
	int rc = 0;
	size_t i;

	if (mode != NULL) {
		enum db_vlan_mode m;

		rc = db_set(out->db, "Port", iface, "vlan_mode", NULL, mode, err, sizeof(err));
		if (rc == 0 && db_vlan_mode_parse(mode, &m) == 0) {
			access = m == DB_VLAN_MODE_ACCESS;
			use_tag = m != DB_VLAN_MODE_TRUNK;
		}
	} else {
		access = has_tag;
	}
	if (access && json_array_size(trunks) > 0) {
		ovsdb_map_note(out, "Port %s: trunks (an access port, as in OVS)", iface);
		use_trunks = false;
	}
	if (has_tag && !use_tag)
		ovsdb_map_note(out, "Port %s: tag (vlan_mode trunk)", iface);
	if (rc == 0 && has_tag && use_tag) {
		snprintf(num, sizeof(num), "%lld", (long long)tag);
		rc = db_set(out->db, "Port", iface, "tag", NULL, num, err, sizeof(err));
	}
	json_array_foreach(trunks, i, t)
	{
		if (!use_trunks || !json_is_integer(t))
			continue;
		snprintf(num, sizeof(num), "%s%lld", text[0] ? "," : "",
			 (long long)json_integer_value(t));
		strncat(text, num, sizeof(text) - strlen(text) - 1);
	}
	if (rc == 0 && text[0])
		rc = db_set(out->db, "Port", iface, "trunks", NULL, text, err, sizeof(err));
	if (rc < 0) {
		iface_error(out, iface, "%s", err);
		*bad = true;
	}
	json_decref(trunks);
}

/* Port columns whose OVS feature kvswitch lacks, noted when set. */
static void note_port_columns(struct ovsdb_map_result *out, const char *name, const json_t *port)
{
	static const char *const cols[] = {"bond_mode", "lacp", "mac", "fake_bridge"};

	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		const json_t *v = json_object_get(port, cols[i]);

		if (json_is_true(v) || (!json_is_boolean(v) && ovsdb_row_nonempty(port, cols[i])))
			ovsdb_map_note(out, "Port %s: column %s", name, cols[i]);
	}
}

static void map_port(struct ovsdb_map_result *out, const json_t *replica, const char *bridge,
		     const json_t *port)
{
	json_t *ifaces = ovsdb_set_atoms(json_object_get(port, "interfaces"));
	const char *pname = json_string_value(json_object_get(port, "name"));
	const json_t *iface = ovsdb_row_by_uuid(replica, "Interface", json_array_get(ifaces, 0));
	const char *name = json_string_value(json_object_get(iface, "name"));
	const char *type = json_string_value(json_object_get(iface, "type"));
	char err[DB_ERR_LEN], num[16];
	json_int_t mtu;
	bool bad = false;
	size_t i;

	if (pname == NULL || iface == NULL || name == NULL || type == NULL)
		goto out; /* a row still arriving: the next update completes it */
	if (json_array_size(ifaces) > 1) {
		for (i = 0; i < json_array_size(ifaces); i++) {
			const json_t *r =
				ovsdb_row_by_uuid(replica, "Interface", json_array_get(ifaces, i));

			iface_error(out, json_string_value(json_object_get(r, "name")),
				    "port %s has %zu interfaces: kvswitch has no bonds", pname,
				    json_array_size(ifaces));
		}
		goto out;
	}
	if (strcmp(type, "internal") == 0 && strcmp(name, bridge) == 0) {
		/* the bridge's own port: kvswitch bridges have none */
		json_object_set_new(out->local_ifaces, name, json_string(bridge));
		goto out;
	}
	if (!db_schema_type_known(type)) {
		iface_error(out, name, "interface type '%s' is not supported by kvswitch (%s)",
			    type[0] ? type : "system", supported_types);
		goto out;
	}
	if (db_port_add(out->db, bridge, name, err, sizeof(err)) < 0) {
		iface_error(out, name, "%s", err);
		goto out;
	}
	db_set(out->db, "Interface", name, "type", NULL, type, err, sizeof(err));
	map_keys(out, name, type, "options", json_object_get(iface, "options"), &bad);
	map_keys(out, name, type, "other_config", json_object_get(port, "other_config"), &bad);
	map_keys(out, name, type, "other_config", json_object_get(iface, "other_config"), &bad);
	/* os-vif writes the guest's MAC here; kvswitch programs it into VF filters */
	if (ovsdb_map_get(json_object_get(iface, "external_ids"), "attached-mac") != NULL &&
	    db_get(out->db, "Interface", name, "other_config", "attached-mac", err, sizeof(err),
		   err, sizeof(err)) == -ENOENT) {
		const char *mac =
			ovsdb_map_get(json_object_get(iface, "external_ids"), "attached-mac");

		if (db_key_check("Interface", name, type, "other_config", "attached-mac", mac, err,
				 sizeof(err)) == 0)
			db_set(out->db, "Interface", name, "other_config", "attached-mac", mac, err,
			       sizeof(err));
	}
	map_vlan(out, name, port, &bad);
	if (ovsdb_row_int(iface, "mtu_request", &mtu)) {
		snprintf(num, sizeof(num), "%lld", (long long)mtu);
		if (db_set(out->db, "Interface", name, "mtu_request", NULL, num, err, sizeof(err)) <
		    0) {
			iface_error(out, name, "%s", err);
			bad = true;
		}
	}
	/* OVS's defaults are 0: policing off, and the default burst */
	for (i = 0; i < 2; i++) {
		const char *col = i ? "ingress_policing_burst" : "ingress_policing_rate";
		json_int_t v;

		if (!ovsdb_row_int(iface, col, &v) || v == 0)
			continue;
		snprintf(num, sizeof(num), "%lld", (long long)v);
		if (db_set(out->db, "Interface", name, col, NULL, num, err, sizeof(err)) < 0) {
			iface_error(out, name, "%s", err);
			bad = true;
		}
	}
	if (!bad)
		ovsdb_map_qos(out, replica, name, port);
	note_port_columns(out, name, port);
	if (bad)
		db_port_del(out->db, bridge, name, err, sizeof(err));
out:
	json_decref(ifaces);
}

/* Every interface of a bridge that is not created says why. */
static void bridge_errors(struct ovsdb_map_result *out, const json_t *replica, json_t *ports,
			  const char *why)
{
	json_t *ref;
	size_t i;

	json_array_foreach(ports, i, ref)
	{
		const json_t *p = ovsdb_row_by_uuid(replica, "Port", ref);
		json_t *ifs = ovsdb_set_atoms(json_object_get(p, "interfaces")), *iref;
		size_t k;

		json_array_foreach(ifs, k, iref)
		{
			const json_t *ifr = ovsdb_row_by_uuid(replica, "Interface", iref);

			iface_error(out, json_string_value(json_object_get(ifr, "name")), "%s",
				    why);
		}
		json_decref(ifs);
	}
}

static void map_bridge(struct ovsdb_map_result *out, const json_t *replica, const json_t *br)
{
	static const char *const unsupported[] = {"netflow", "sflow", "ipfix", "controller",
						  "fail_mode"};
	const char *name = json_string_value(json_object_get(br, "name"));
	const char *dpt = ovsdb_row_string(br, "datapath_type");
	json_t *ports = ovsdb_set_atoms(json_object_get(br, "ports")), *ref;
	json_t *mirrors = ovsdb_set_atoms(json_object_get(br, "mirrors"));
	json_t *pairs = ovsdb_map_pairs(json_object_get(br, "other_config")), *kv;
	char err[DB_ERR_LEN];
	size_t i;

	if (name == NULL)
		goto out;
	if (dpt != NULL && dpt[0] && strcmp(dpt, "netdev") != 0) {
		/* OVS's kernel datapath: every interface of it says why */
		snprintf(err, sizeof(err),
			 "bridge %s has datapath_type=%s: kvswitch runs only the netdev "
			 "(userspace) datapath",
			 name, dpt);
		bridge_errors(out, replica, ports, err);
		ovsdb_map_note(out, "Bridge %s: datapath_type %s (the bridge is not created)", name,
			       dpt);
		goto out;
	}
	if (db_bridge_add(out->db, name, err, sizeof(err)) < 0) {
		char why[DB_ERR_LEN + 64];

		snprintf(why, sizeof(why), "bridge %s cannot be created: %s", name, err);
		bridge_errors(out, replica, ports, why);
		goto out;
	}
	json_array_foreach(pairs, i, kv)
	{
		const char *k, *v;
		int rc;

		if (!ovsdb_map_pair(kv, &k, &v))
			continue;
		rc = take_key(out, "Bridge", name, NULL, "other_config", k, v, err, sizeof(err));
		if (rc < 0 && rc != -ENOENT)
			ovsdb_map_note(out, "%s (ignored)", err);
	}
	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (ovsdb_row_nonempty(br, unsupported[i]))
			ovsdb_map_note(out, "Bridge %s: column %s", name, unsupported[i]);
	json_array_foreach(ports, i, ref)
	{
		const json_t *p = ovsdb_row_by_uuid(replica, "Port", ref);

		if (p != NULL)
			map_port(out, replica, name, p);
	}
	/* after the ports: a mirror names only ports that were taken */
	json_array_foreach(mirrors, i, ref)
	{
		const json_t *row = ovsdb_row_by_uuid(replica, "Mirror", ref);

		if (row != NULL)
			ovsdb_map_mirror(out, replica, db_bridge_find(out->db, name), row);
	}
out:
	json_decref(ports);
	json_decref(mirrors);
}

static int cmp_notes(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

int ovsdb_map_db(const json_t *replica, const char *rundir, struct ovsdb_map_result *out)
{
	const json_t *ovs_rows = json_object_get(replica, "Open_vSwitch"), *ovs = NULL;
	json_t *bridges, *ref, *sorted;
	const char *uuid;
	json_int_t cfg = 0;
	json_t *row;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	out->db = db_create();
	out->iface_errors = json_object();
	out->ignored = json_array();
	out->local_ifaces = json_object();
	out->stats_interval_ms = 5000;
	if (out->db == NULL || out->iface_errors == NULL || out->ignored == NULL ||
	    out->local_ifaces == NULL)
		goto nomem;
	json_object_foreach((json_t *)ovs_rows, uuid, row)
	{
		ovs = row; /* the schema allows one row (maxRows 1) */
		snprintf(out->ovs_uuid, sizeof(out->ovs_uuid), "%s", uuid);
	}
	if (ovs == NULL)
		return 0;
	if (ovsdb_row_int(ovs, "next_cfg", &cfg))
		out->next_cfg = cfg;
	if (map_open_vswitch(ovs, rundir, out) < 0)
		goto nomem;
	bridges = ovsdb_set_atoms(json_object_get(ovs, "bridges"));
	json_array_foreach(bridges, i, ref)
	{
		const json_t *br = ovsdb_row_by_uuid(replica, "Bridge", ref);

		if (br != NULL)
			map_bridge(out, replica, br);
	}
	json_decref(bridges);
	/* sorted, so that the caller logs each note once whatever the order of rows */
	n = json_array_size(out->ignored);
	if (n > 1) {
		json_t **v = calloc(n, sizeof(*v));

		if (v == NULL)
			goto nomem;
		for (i = 0; i < n; i++)
			v[i] = json_incref(json_array_get(out->ignored, i));
		qsort(v, n, sizeof(*v), cmp_notes);
		sorted = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(sorted, v[i]);
		free(v);
		json_decref(out->ignored);
		out->ignored = sorted;
	}
	return 0;
nomem:
	ovsdb_map_result_free(out);
	errno = ENOMEM;
	return -ENOMEM;
}

void ovsdb_map_result_free(struct ovsdb_map_result *out)
{
	db_destroy(out->db);
	json_decref(out->iface_errors);
	json_decref(out->ignored);
	json_decref(out->local_ifaces);
	memset(out, 0, sizeof(*out));
}
