/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db: records of the configuration model (control/db.h): create, clone,
 * destroy, and bridge and port add/del/find/copy.  The generic ovs-vsctl-like
 * edits of their columns are control/db_edit.c.
 *
 * Bridges and the ports of a bridge are kept sorted by name, so everything
 * derived from a db (show output, the saved file) is in a stable order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/db.h"
#include "control/db_priv.h"

#define NAME_MAX_LEN 31

int db_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int db_check_name(const char *what, const char *name, char *err, size_t errlen)
{
	size_t len = strlen(name);

	if (len == 0)
		return db_fail(err, errlen, -EINVAL, "%s name is empty", what);
	if (len > NAME_MAX_LEN)
		return db_fail(err, errlen, -EINVAL, "%s name '%s' is longer than %d characters",
			       what, name, NAME_MAX_LEN);
	/* Names end up in socket file names and on the kvsctl command line. */
	if (name[0] == '-')
		return db_fail(err, errlen, -EINVAL, "%s name '%s' must not start with '-'", what,
			       name);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return db_fail(err, errlen, -EINVAL, "%s name '%s' is not allowed", what, name);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return db_fail(err, errlen, -EINVAL,
				       "%s name '%s' has invalid character '%c' (allowed: "
				       "A-Z a-z 0-9 _ . -)",
				       what, name, c);
	}
	return 0;
}

/* ---- records ---- */

static void port_free(struct db_port *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->type);
	smap_destroy(&p->options);
	smap_destroy(&p->other_config);
	smap_destroy(&p->filter);
	free(p->trunks);
	free(p);
}

static void bridge_free(struct db_bridge *br)
{
	if (br == NULL)
		return;
	for (size_t i = 0; i < br->n_ports; i++)
		port_free(br->ports[i]);
	free(br->ports);
	free(br->name);
	smap_destroy(&br->other_config);
	free(br);
}

struct db *db_create(void)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db != NULL)
		smap_init(&db->other_config);
	return db;
}

void db_destroy(struct db *db)
{
	if (db == NULL)
		return;
	for (size_t i = 0; i < db->n_bridges; i++)
		bridge_free(db->bridges[i]);
	free(db->bridges);
	smap_destroy(&db->other_config);
	free(db->ovsdb);
	free(db);
}

static struct db_port *port_clone(const struct db_port *src)
{
	struct db_port *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	smap_init(&p->options);
	smap_init(&p->other_config);
	smap_init(&p->filter);
	p->name = strdup(src->name);
	p->type = strdup(src->type ? src->type : "");
	if (p->name == NULL || p->type == NULL || smap_clone(&p->options, &src->options) ||
	    smap_clone(&p->other_config, &src->other_config) ||
	    smap_clone(&p->filter, &src->filter))
		goto nomem;
	if (src->n_trunks > 0) {
		p->trunks = malloc(src->n_trunks * sizeof(*p->trunks));
		if (p->trunks == NULL)
			goto nomem;
		memcpy(p->trunks, src->trunks, src->n_trunks * sizeof(*p->trunks));
	}
	p->n_trunks = src->n_trunks;
	p->tag = src->tag;
	p->vlan_mode = src->vlan_mode;
	p->mtu_request = src->mtu_request;
	p->policing_rate = src->policing_rate;
	p->policing_burst = src->policing_burst;
	p->line = src->line;
	return p;
nomem:
	port_free(p);
	return NULL;
}

static struct db_bridge *bridge_clone(const struct db_bridge *src)
{
	struct db_bridge *br = calloc(1, sizeof(*br));

	if (br == NULL)
		return NULL;
	smap_init(&br->other_config);
	br->name = strdup(src->name);
	if (br->name == NULL || smap_clone(&br->other_config, &src->other_config))
		goto nomem;
	if (src->n_ports > 0) {
		br->ports = calloc(src->n_ports, sizeof(*br->ports));
		if (br->ports == NULL)
			goto nomem;
	}
	for (size_t i = 0; i < src->n_ports; i++) {
		br->ports[i] = port_clone(src->ports[i]);
		if (br->ports[i] == NULL)
			goto nomem;
		br->n_ports++;
	}
	br->line = src->line;
	return br;
nomem:
	bridge_free(br);
	return NULL;
}

struct db *db_clone(const struct db *src)
{
	struct db *db = db_create();

	if (db == NULL)
		goto nomem;
	if (smap_clone(&db->other_config, &src->other_config))
		goto nomem;
	if (src->ovsdb != NULL && (db->ovsdb = strdup(src->ovsdb)) == NULL)
		goto nomem;
	if (src->n_bridges > 0) {
		db->bridges = calloc(src->n_bridges, sizeof(*db->bridges));
		if (db->bridges == NULL)
			goto nomem;
	}
	for (size_t i = 0; i < src->n_bridges; i++) {
		db->bridges[i] = bridge_clone(src->bridges[i]);
		if (db->bridges[i] == NULL)
			goto nomem;
		db->n_bridges++;
	}
	return db;
nomem:
	db_destroy(db);
	errno = ENOMEM;
	return NULL;
}

struct db_bridge *db_bridge_find(const struct db *db, const char *name)
{
	for (size_t i = 0; i < db->n_bridges; i++)
		if (strcmp(db->bridges[i]->name, name) == 0)
			return db->bridges[i];
	return NULL;
}

struct db_port *db_port_find(const struct db *db, const char *name, struct db_bridge **brp)
{
	for (size_t i = 0; i < db->n_bridges; i++) {
		struct db_bridge *br = db->bridges[i];

		for (size_t j = 0; j < br->n_ports; j++) {
			if (strcmp(br->ports[j]->name, name) == 0) {
				if (brp != NULL)
					*brp = br;
				return br->ports[j];
			}
		}
	}
	if (brp != NULL)
		*brp = NULL;
	return NULL;
}

/* Inserts item into a name-sorted array of records; realloc, so may fail. */
static int sorted_insert(void ***arr, size_t *n, void *item, const char *name,
			 const char *(*name_of)(const void *))
{
	void **a = realloc(*arr, (*n + 1) * sizeof(*a));
	size_t pos = 0;

	if (a == NULL)
		return -ENOMEM;
	*arr = a;
	while (pos < *n && strcmp(name_of(a[pos]), name) < 0)
		pos++;
	memmove(&a[pos + 1], &a[pos], (*n - pos) * sizeof(*a));
	a[pos] = item;
	(*n)++;
	return 0;
}

static const char *bridge_name_of(const void *p)
{
	return ((const struct db_bridge *)p)->name;
}

static const char *port_name_of(const void *p)
{
	return ((const struct db_port *)p)->name;
}

int db_bridge_add(struct db *db, const char *name, char *err, size_t errlen)
{
	struct db_bridge *br;
	int rc = db_check_name("bridge", name, err, errlen);

	if (rc)
		return rc;
	if (db_bridge_find(db, name) != NULL)
		return db_fail(err, errlen, -EEXIST, "bridge '%s' already exists", name);
	br = calloc(1, sizeof(*br));
	if (br == NULL)
		return db_fail(err, errlen, -ENOMEM, "out of memory");
	smap_init(&br->other_config);
	br->name = strdup(name);
	if (br->name == NULL ||
	    sorted_insert((void ***)&db->bridges, &db->n_bridges, br, name, bridge_name_of)) {
		bridge_free(br);
		return db_fail(err, errlen, -ENOMEM, "out of memory");
	}
	return 0;
}

int db_bridge_del(struct db *db, const char *name, char *err, size_t errlen)
{
	for (size_t i = 0; i < db->n_bridges; i++) {
		if (strcmp(db->bridges[i]->name, name) != 0)
			continue;
		bridge_free(db->bridges[i]);
		memmove(&db->bridges[i], &db->bridges[i + 1],
			(db->n_bridges - i - 1) * sizeof(*db->bridges));
		db->n_bridges--;
		return 0;
	}
	return db_fail(err, errlen, -ENOENT, "bridge '%s' does not exist", name);
}

int db_port_add(struct db *db, const char *bridge, const char *port, char *err, size_t errlen)
{
	struct db_bridge *br = db_bridge_find(db, bridge), *other;
	struct db_port *p;
	int rc;

	if (br == NULL)
		return db_fail(err, errlen, -ENOENT, "bridge '%s' does not exist", bridge);
	rc = db_check_name("port", port, err, errlen);
	if (rc)
		return rc;
	if (db_port_find(db, port, &other) != NULL)
		return db_fail(err, errlen, -EEXIST, "port '%s' already exists in bridge '%s'",
			       port, other->name);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return db_fail(err, errlen, -ENOMEM, "out of memory");
	smap_init(&p->options);
	smap_init(&p->other_config);
	smap_init(&p->filter);
	p->name = strdup(port);
	p->type = strdup("");
	if (p->name == NULL || p->type == NULL ||
	    sorted_insert((void ***)&br->ports, &br->n_ports, p, port, port_name_of)) {
		port_free(p);
		return db_fail(err, errlen, -ENOMEM, "out of memory");
	}
	return 0;
}

int db_port_copy(struct db *db, const char *bridge, const struct db_port *src)
{
	struct db_bridge *br = db_bridge_find(db, bridge);
	struct db_port *p;

	if (br == NULL)
		return -ENOENT;
	if (db_port_find(db, src->name, NULL) != NULL)
		return -EEXIST;
	p = port_clone(src);
	if (p == NULL)
		return -ENOMEM;
	if (sorted_insert((void ***)&br->ports, &br->n_ports, p, p->name, port_name_of)) {
		port_free(p);
		return -ENOMEM;
	}
	return 0;
}

int db_port_del(struct db *db, const char *bridge, const char *port, char *err, size_t errlen)
{
	struct db_bridge *br = NULL;
	struct db_port *p;

	if (bridge != NULL && db_bridge_find(db, bridge) == NULL)
		return db_fail(err, errlen, -ENOENT, "bridge '%s' does not exist", bridge);
	p = db_port_find(db, port, &br);
	if (p == NULL)
		return db_fail(err, errlen, -ENOENT, "port '%s' does not exist", port);
	if (bridge != NULL && strcmp(br->name, bridge) != 0)
		return db_fail(err, errlen, -ENOENT,
			       "port '%s' is not in bridge '%s' (it is in '%s')", port, bridge,
			       br->name);
	for (size_t i = 0; i < br->n_ports; i++) {
		if (br->ports[i] != p)
			continue;
		port_free(p);
		memmove(&br->ports[i], &br->ports[i + 1],
			(br->n_ports - i - 1) * sizeof(*br->ports));
		br->n_ports--;
		break;
	}
	return 0;
}
