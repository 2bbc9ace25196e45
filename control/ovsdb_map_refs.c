/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovsdb_map_refs: the rows a Bridge or a Port references rather than holds
 * (Mirror, QoS), into the bridge or port ovsdb_map.c is building.  A row
 * kvswitch cannot run is left out and noted, and the bridge or port runs on
 * without it, as ovs-vswitchd does.  Called by ovsdb_map.c only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/db.h"
#include "control/ovsdb_map.h"
#include "control/ovsdb_map_priv.h"

/*
 * The QoS row a Port references into the port.  As ovs-vswitchd does:
 * other_config keys its type does not take are ignored (noted), and a row it
 * cannot run (a type kvswitch lacks, no cir) leaves the port running without
 * QoS (noted).  A bucket smaller than one frame at the port's MTU is raised
 * to one frame (noted) rather than leaving the port unpoliced; kvsctl and
 * the file refuse it instead.  A trtcm-policer's queues (OVS's per-queue
 * policers) are noted and left out.
 */
/* A bucket (given, or needed since its rate is) smaller than one frame is
 * raised to one, with a note. */
static void raise_to_frame(struct ovsdb_map_result *out, const char *what, const char *type,
			   const char *key, bool needed, uint64_t *bucket, uint64_t frame)
{
	if (!needed || *bucket >= frame)
		return;
	ovsdb_map_note(out, "%s %s: other_config:%s %llu raised to one frame, %llu", what, type,
		       key, (unsigned long long)*bucket, (unsigned long long)frame);
	*bucket = frame;
}

void ovsdb_map_qos(struct ovsdb_map_result *out, const json_t *replica, const char *name,
		   const json_t *port)
{
	json_t *refs = ovsdb_set_atoms(json_object_get(port, "qos"));
	const json_t *row = ovsdb_row_by_uuid(replica, "QoS", json_array_get(refs, 0));
	struct db_port *p = db_port_find(out->db, name, NULL);
	const json_t *pairs; /* borrowed from the row */
	json_t *kv;
	char err[DB_ERR_LEN], what[64];
	const char *type;
	uint64_t frame;
	struct smap oc;
	struct db_qos q;
	size_t i;

	if (row == NULL || p == NULL)
		goto out;
	smap_init(&oc);
	type = ovsdb_row_string(row, "type");
	snprintf(what, sizeof(what), "Port %s: qos", name);
	pairs = ovsdb_map_pairs(json_object_get(row, "other_config"));
	json_array_foreach(pairs, i, kv)
	{
		const char *k, *v;

		if (!ovsdb_map_pair(kv, &k, &v))
			continue;
		if (db_qos_type_of(type) != DB_QOS_NONE && !db_qos_key_known(type, k))
			ovsdb_map_note(out, "%s %s: other_config:%s", what, type, k);
		else if (smap_set(&oc, k, v) != 0)
			break;
	}
	if (db_qos_parse(type, &oc, &q, what, err, sizeof(err)) == 0) {
		frame = (p->mtu_request ? p->mtu_request : 1500) + 4u;
		raise_to_frame(out, what, type, "cbs", q.cbs != 0, &q.cbs, frame);
		raise_to_frame(out, what, type, "ebs", q.eir != 0, &q.ebs, frame);
		p->qos = q;
		if (db_qos_check(p, err, sizeof(err)) < 0)
			p->qos = (struct db_qos){0};
	}
	if (p->qos.type == DB_QOS_NONE)
		ovsdb_map_note(out, "%s (the port runs without QoS)", err);
	else if (ovsdb_row_nonempty(row, "queues"))
		ovsdb_map_note(out,
			       "Port %s: qos %s: queues (kvswitch runs the port's policer only)",
			       name, db_qos_type_name(q.type));
	smap_destroy(&oc);
out:
	json_decref(refs);
}

/* The kvswitch port a Port reference of a Mirror names (its Interface's
 * name, as map_port() names it), if bridge has it; else NULL, and *what says
 * which port it was, for the note. */
static const char *mirror_port(const json_t *replica, const struct db_bridge *br, const json_t *ref,
			       const char **what)
{
	const json_t *port = ovsdb_row_by_uuid(replica, "Port", ref);
	json_t *ifaces = ovsdb_set_atoms(json_object_get(port, "interfaces"));
	const json_t *iface = ovsdb_row_by_uuid(replica, "Interface", json_array_get(ifaces, 0));
	const char *name = json_string_value(json_object_get(iface, "name"));
	size_t n = json_array_size(ifaces);

	json_decref(ifaces); /* name points into the replica */
	*what = json_string_value(json_object_get(port, "name"));
	if (*what == NULL)
		*what = ovsdb_uuid(ref) ? ovsdb_uuid(ref) : "?";
	if (n != 1 || name == NULL)
		return NULL;
	for (size_t i = 0; i < br->n_ports; i++)
		if (strcmp(br->ports[i]->name, name) == 0)
			return br->ports[i]->name;
	return NULL;
}

/* A Mirror's select_src_port or select_dst_port into *names (an array the
 * caller frees, of names the db owns): the ports kvswitch runs; the others
 * are noted and left out.  0 or -ENOMEM. */
static int mirror_ports(struct ovsdb_map_result *out, const json_t *replica,
			const struct db_bridge *br, const char *mirror, const json_t *row,
			const char *col, char ***names, size_t *n)
{
	json_t *refs = ovsdb_set_atoms(json_object_get(row, col)), *ref;
	size_t i;

	*n = 0;
	*names = calloc(json_array_size(refs) + 1, sizeof(**names));
	if (*names == NULL) {
		json_decref(refs);
		return -ENOMEM;
	}
	json_array_foreach(refs, i, ref)
	{
		const char *what, *name = mirror_port(replica, br, ref, &what);

		if (name != NULL)
			(*names)[(*n)++] = (char *)name;
		else
			ovsdb_map_note(
				out,
				"Mirror %s of bridge %s: %s %s (not a port of this bridge that "
				"kvswitch runs)",
				mirror, br->name, col, what);
	}
	json_decref(refs);
	return 0;
}

/*
 * One Mirror row into bridge br, or a note saying why not: OVS skips a
 * mirror with no usable output the same way and keeps the bridge running,
 * and so does kvswitch with one db_validate() would refuse (checked here,
 * against the mirrors taken so far, so that it does not block the rest).
 */
void ovsdb_map_mirror(struct ovsdb_map_result *out, const json_t *replica, struct db_bridge *br,
		      const json_t *row)
{
	const char *name = json_string_value(json_object_get(row, "name"));
	json_t *outs = ovsdb_set_atoms(json_object_get(row, "output_port"));
	json_t *vlans = ovsdb_set_atoms(json_object_get(row, "select_vlan")), *v;
	struct db_mirror m = {.select_all = json_is_true(json_object_get(row, "select_all"))};
	char err[DB_ERR_LEN];
	const char *what = NULL;
	json_int_t ovlan = 0;
	bool has_ovlan = ovsdb_row_int(row, "output_vlan", &ovlan);
	int rc = 0;
	size_t i;

	if (name == NULL)
		goto out; /* a row still arriving */
	m.name = (char *)name;
	if (json_array_size(outs) > 0)
		m.output_port = (char *)mirror_port(replica, br, json_array_get(outs, 0), &what);
	if (json_array_size(outs) == 0 && has_ovlan) {
		ovsdb_map_note(
			out,
			"Mirror %s of bridge %s: output_vlan %lld (kvswitch does not run RSPAN; "
			"the mirror is not created)",
			name, br->name, (long long)ovlan);
		goto out;
	}
	if (json_array_size(outs) == 0) {
		ovsdb_map_note(out,
			       "Mirror %s of bridge %s: no output_port (the mirror is not created)",
			       name, br->name);
		goto out;
	}
	if (m.output_port == NULL) {
		ovsdb_map_note(
			out,
			"Mirror %s of bridge %s: output_port %s is not a port of this bridge that "
			"kvswitch runs (the mirror is not created)",
			name, br->name, what);
		goto out;
	}
	/* OVS too takes output_port and leaves output_vlan aside when both are set */
	if (has_ovlan)
		ovsdb_map_note(out, "Mirror %s of bridge %s: output_vlan (output_port is set)",
			       name, br->name);
	if (db_mirror_find(br, name) != NULL) {
		/* OVS's names need not be unique; kvswitch's do */
		ovsdb_map_note(out,
			       "Mirror %s of bridge %s: a second mirror of that name (not created)",
			       name, br->name);
		goto out;
	}
	m.select_vlans = calloc(json_array_size(vlans) + 1, sizeof(*m.select_vlans));
	rc = m.select_vlans == NULL ? -ENOMEM : 0;
	json_array_foreach(vlans, i, v)
	{
		/* OVS's schema holds them to 0..4095 */
		if (rc == 0 && json_is_integer(v) && json_integer_value(v) >= 0 &&
		    json_integer_value(v) <= 4095)
			m.select_vlans[m.n_vlans++] = (uint16_t)json_integer_value(v);
	}
	if (rc == 0)
		rc = mirror_ports(out, replica, br, name, row, "select_src_port", &m.src_ports,
				  &m.n_src);
	if (rc == 0)
		rc = mirror_ports(out, replica, br, name, row, "select_dst_port", &m.dst_ports,
				  &m.n_dst);
	if (rc == 0)
		rc = db_mirror_put(out->db, br->name, &m);
	if (rc < 0)
		ovsdb_map_note(out, "Mirror %s of bridge %s: out of memory (not created)", name,
			       br->name);
	else if (db_mirrors_check(out->db, br, err, sizeof(err)) < 0) {
		ovsdb_map_note(out, "%s (the mirror is not created)", err);
		db_mirror_del(out->db, br->name, name);
	}
out:
	free(m.src_ports);
	free(m.dst_ports);
	free(m.select_vlans);
	json_decref(outs);
	json_decref(vlans);
}
