/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db_mirror: the rules of a bridge's Mirror records (db.h struct
 * db_mirror), db_mirrors_check().  Called by db_validate() for every bridge
 * and by control/ovsdb_map.c for each mirror it takes, so a mirror from the
 * file and one from OVSDB are judged alike.  The records themselves (find,
 * put, delete, clone) are db.c's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "control/db.h"
#include "control/db_priv.h"

/* port as a mirror of br names it in column: 0 if it is a port of br. */
static int mirror_port_check(const struct db *db, const struct db_bridge *br,
			     const struct db_mirror *m, const char *column, const char *port,
			     char *err, size_t errlen)
{
	struct db_bridge *other = NULL;

	for (size_t i = 0; i < br->n_ports; i++)
		if (strcmp(br->ports[i]->name, port) == 0)
			return 0;
	if (db != NULL && db_port_find(db, port, &other) != NULL)
		return db_verr(err, errlen, m->line,
			       "mirror '%s' of bridge '%s': %s '%s' is a port of bridge '%s': a "
			       "mirror's ports are ports of its own bridge",
			       m->name, br->name, column, port, other->name);
	return db_verr(err, errlen, m->line,
		       "mirror '%s' of bridge '%s': %s '%s' is not a port of bridge '%s'", m->name,
		       br->name, column, port, br->name);
}

static bool names_have(char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* One mirror of br alone: name, output, ports, VLANs. */
static int validate_mirror(const struct db *db, const struct db_bridge *br,
			   const struct db_mirror *m, char *err, size_t errlen)
{
	int rc = 0;

	if (m->name == NULL || m->name[0] == '\0')
		return db_verr(err, errlen, m->line, "bridge '%s': a mirror has an empty name",
			       br->name);
	/* OVS sends such a mirror's copies to a VLAN on every other port */
	if (m->output_vlan != 0)
		return db_verr(
			err, errlen, m->line,
			"mirror '%s' of bridge '%s': output_vlan %u: kvswitch does not run "
			"output_vlan (RSPAN, mirroring into a VLAN); give output_port, the port "
			"that receives the copies",
			m->name, br->name, m->output_vlan);
	if (m->output_port == NULL || m->output_port[0] == '\0')
		return db_verr(err, errlen, m->line,
			       "mirror '%s' of bridge '%s' has no output_port", m->name, br->name);
	rc = mirror_port_check(db, br, m, "output_port", m->output_port, err, errlen);
	for (size_t i = 0; rc == 0 && i < m->n_src; i++)
		rc = mirror_port_check(db, br, m, "select_src_port", m->src_ports[i], err, errlen);
	for (size_t i = 0; rc == 0 && i < m->n_dst; i++)
		rc = mirror_port_check(db, br, m, "select_dst_port", m->dst_ports[i], err, errlen);
	if (rc)
		return rc;
	if (m->n_vlans > 0 && m->select_vlans == NULL)
		return db_verr(err, errlen, m->line,
			       "mirror '%s' of bridge '%s': select_vlan is missing", m->name,
			       br->name);
	for (uint16_t i = 0; i < m->n_vlans; i++) {
		if (m->select_vlans[i] > 4095)
			return db_verr(
				err, errlen, m->line,
				"mirror '%s' of bridge '%s': select_vlan: VLAN '%u' is out of "
				"range 0..4095",
				m->name, br->name, m->select_vlans[i]);
		if (i > 0 && m->select_vlans[i] <= m->select_vlans[i - 1])
			return db_verr(
				err, errlen, m->line,
				"mirror '%s' of bridge '%s': select_vlan is not sorted and unique",
				m->name, br->name);
	}
	return 0;
}

int db_mirrors_check(const struct db *db, const struct db_bridge *br, char *err, size_t errlen)
{
	int rc;

	/* apply builds each bridge's mirrors into a table of this size */
	if (br->n_mirrors > DB_MAX_MIRRORS)
		return db_verr(
			err, errlen, br->line,
			"bridge '%s': %zu mirrors: kvswitch runs at most %d mirrors per bridge",
			br->name, br->n_mirrors, DB_MAX_MIRRORS);
	for (size_t i = 0; i < br->n_mirrors; i++) {
		const struct db_mirror *m = br->mirrors[i];

		rc = validate_mirror(db, br, m, err, errlen);
		if (rc)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(br->mirrors[j]->name, m->name) == 0)
				return db_verr(err, errlen, m->line,
					       "bridge '%s': mirror '%s' is defined twice",
					       br->name, m->name);
	}
	/* An output port carries the copies and nothing else: copying its own
	 * traffic would feed the copies back into a mirror. */
	for (size_t i = 0; i < br->n_mirrors; i++) {
		const struct db_mirror *m = br->mirrors[i];

		for (size_t j = 0; j < br->n_mirrors; j++) {
			const struct db_mirror *o = br->mirrors[j];
			const char *col = names_have(o->src_ports, o->n_src, m->output_port)
						  ? "select_src_port"
					  : names_have(o->dst_ports, o->n_dst, m->output_port)
						  ? "select_dst_port"
						  : NULL;

			if (col != NULL)
				return db_verr(
					err, errlen, m->line,
					"mirror '%s' of bridge '%s': output port '%s' is also a "
					"selected port (%s) of mirror '%s'",
					m->name, br->name, m->output_port, col, o->name);
		}
	}
	return 0;
}
