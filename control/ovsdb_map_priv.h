/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovsdb_map_priv: what the files of ovsdb_map share (ovsdb_map.c, which
 * maps Open_vSwitch, Bridge, Port and Interface rows, and ovsdb_map_refs.c,
 * which maps the Mirror and QoS rows they reference).  Pure functions on
 * RFC 7047 values as the replica holds them; nothing else calls them.
 */
#ifndef KVS_CONTROL_OVSDB_MAP_PRIV_H
#define KVS_CONTROL_OVSDB_MAP_PRIV_H

#include <stdbool.h>

#include <jansson.h>

#include "control/ovsdb_map.h"

struct db_bridge;

/* The [key, value] pairs of a <map> (borrowed from map), NULL if not one. */
json_t *ovsdb_map_pairs(const json_t *map);
/* One [key, value] of a string map: false if either is not a string. */
bool ovsdb_map_pair(const json_t *kv, const char **k, const char **v);
/* A column holding at most one string (borrowed from row), NULL if none. */
const char *ovsdb_row_string(const json_t *row, const char *col);
/* A column holding at most one integer into *out: false if none. */
bool ovsdb_row_int(const json_t *row, const char *col, json_int_t *out);
/* Does the column hold a non-empty set or map? */
bool ovsdb_row_nonempty(const json_t *row, const char *col);
/* The row of table a ["uuid", ...] reference names, NULL if none (yet). */
const json_t *ovsdb_row_by_uuid(const json_t *replica, const char *table, const json_t *ref);
/* One line of out->ignored: what kvswitch does not run, logged once. */
void ovsdb_map_note(struct ovsdb_map_result *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ovsdb_map_refs.c: the QoS row Port port (named name) references into
 * that port of out->db, and one Mirror row into bridge br. */
void ovsdb_map_qos(struct ovsdb_map_result *out, const json_t *replica, const char *name,
		   const json_t *port);
void ovsdb_map_mirror(struct ovsdb_map_result *out, const json_t *replica, struct db_bridge *br,
		      const json_t *row);

#endif
