/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db: records of the configuration model (control/db.h): create, clone,
 * destroy, bridge and port add/del/find/copy, and a bridge's mirrors.  The
 * generic ovs-vsctl-like edits of their columns are control/db_edit.c.
 *
 * Bridges, the ports of a bridge, its mirrors and the port and VLAN lists of
 * a mirror are kept sorted, so everything derived from a db (show output,
 * the saved file) is in a stable order.
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

static void names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void mirror_free(struct db_mirror *m)
{
	if (m == NULL)
		return;
	free(m->name);
	names_free(m->src_ports, m->n_src);
	names_free(m->dst_ports, m->n_dst);
	free(m->select_vlans);
	free(m->output_port);
	free(m);
}

static void bridge_free(struct db_bridge *br)
{
	if (br == NULL)
		return;
	for (size_t i = 0; i < br->n_ports; i++)
		port_free(br->ports[i]);
	free(br->ports);
	for (size_t i = 0; i < br->n_mirrors; i++)
		mirror_free(br->mirrors[i]);
	free(br->mirrors);
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
	p->qos = src->qos;
	p->line = src->line;
	return p;
nomem:
	port_free(p);
	return NULL;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_vlan(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* A sorted set of copies of n names: 0 or -ENOMEM. */
static int names_copy(char ***out, size_t *n_out, char *const *src, size_t n)
{
	char **v;
	size_t k = 0;

	*out = NULL;
	*n_out = 0;
	if (n == 0) /* qsort's array must not be NULL, even empty */
		return 0;
	v = calloc(n, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	*out = v;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(src[i] ? src[i] : "");
		if (v[i] == NULL) {
			*n_out = i; /* what mirror_free() frees */
			return -ENOMEM;
		}
	}
	qsort(v, n, sizeof(*v), cmp_name);
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && strcmp(v[k - 1], v[i]) == 0)
			free(v[i]);
		else
			v[k++] = v[i];
	}
	*n_out = k;
	return 0;
}

/* A sorted set of the n VLANs of src: 0 or -ENOMEM. */
static int vlans_copy(uint16_t **out, uint16_t *n_out, const uint16_t *src, uint16_t n)
{
	uint16_t *v, k = 0;

	*out = NULL;
	*n_out = 0;
	if (n == 0) /* memcpy's and qsort's arrays must not be NULL, even empty */
		return 0;
	v = malloc(n * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	memcpy(v, src, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_vlan);
	for (uint16_t i = 0; i < n; i++)
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	*out = v;
	*n_out = k;
	return 0;
}

/* A deep copy of src with its lists made sorted sets (db_mirror_put's
 * contract, so a caller may give them in any order); NULL if out of memory. */
static struct db_mirror *mirror_clone(const struct db_mirror *src)
{
	struct db_mirror *m = malloc(sizeof(*m));

	if (m == NULL)
		return NULL;
	*m = (struct db_mirror){
		.select_all = src->select_all, .output_vlan = src->output_vlan, .line = src->line};
	/* a missing name is kept as "" for db_validate() to name */
	m->name = strdup(src->name ? src->name : "");
	if (m->name == NULL || names_copy(&m->src_ports, &m->n_src, src->src_ports, src->n_src) ||
	    names_copy(&m->dst_ports, &m->n_dst, src->dst_ports, src->n_dst) ||
	    vlans_copy(&m->select_vlans, &m->n_vlans, src->select_vlans, src->n_vlans))
		goto nomem;
	if (src->output_port != NULL && (m->output_port = strdup(src->output_port)) == NULL)
		goto nomem;
	return m;
nomem:
	mirror_free(m);
	return NULL;
}

static void *port_dup(const void *p)
{
	return port_clone(p);
}

static void *mirror_dup(const void *m)
{
	return mirror_clone(m);
}

/* Copies of a bridge's n records (ports or mirrors) into a new *out; *n_out
 * counts those made, so that bridge_free() frees them on a failure.  0 or
 * -ENOMEM. */
static int records_clone(void ***out, size_t *n_out, void *const *src, size_t n,
			 void *(*dup)(const void *))
{
	if (n > 0 && (*out = calloc(n, sizeof(**out))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		(*out)[i] = dup(src[i]);
		if ((*out)[i] == NULL)
			return -ENOMEM;
		(*n_out)++;
	}
	return 0;
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
	if (records_clone((void ***)&br->ports, &br->n_ports, (void *const *)src->ports,
			  src->n_ports, port_dup) ||
	    records_clone((void ***)&br->mirrors, &br->n_mirrors, (void *const *)src->mirrors,
			  src->n_mirrors, mirror_dup))
		goto nomem;
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

static const char *mirror_name_of(const void *p)
{
	return ((const struct db_mirror *)p)->name;
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

struct db_mirror *db_mirror_find(const struct db_bridge *br, const char *name)
{
	for (size_t i = 0; i < br->n_mirrors; i++)
		if (strcmp(br->mirrors[i]->name, name) == 0)
			return br->mirrors[i];
	return NULL;
}

int db_mirror_put(struct db *db, const char *bridge, const struct db_mirror *m)
{
	struct db_bridge *br = db_bridge_find(db, bridge);
	struct db_mirror *copy;

	if (br == NULL)
		return -ENOENT;
	copy = mirror_clone(m);
	if (copy == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < br->n_mirrors; i++) {
		if (strcmp(br->mirrors[i]->name, copy->name) != 0)
			continue;
		mirror_free(br->mirrors[i]);
		br->mirrors[i] = copy;
		return 0;
	}
	if (sorted_insert((void ***)&br->mirrors, &br->n_mirrors, copy, copy->name,
			  mirror_name_of)) {
		mirror_free(copy);
		return -ENOMEM;
	}
	return 0;
}

static void mirror_remove(struct db_bridge *br, size_t i)
{
	mirror_free(br->mirrors[i]);
	memmove(&br->mirrors[i], &br->mirrors[i + 1],
		(br->n_mirrors - i - 1) * sizeof(*br->mirrors));
	br->n_mirrors--;
}

int db_mirror_del(struct db *db, const char *bridge, const char *name)
{
	struct db_bridge *br = db_bridge_find(db, bridge);
	int n = 0;

	if (br == NULL)
		return -ENOENT;
	for (size_t i = br->n_mirrors; i-- > 0;) {
		if (name != NULL && strcmp(br->mirrors[i]->name, name) != 0)
			continue;
		mirror_remove(br, i);
		n++;
	}
	return n;
}

/* Takes name out of a sorted set of names: true if it was there. */
static bool names_remove(char **names, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(names[i], name) != 0)
			continue;
		free(names[i]);
		memmove(&names[i], &names[i + 1], (*n - i - 1) * sizeof(*names));
		(*n)--;
		return true;
	}
	return false;
}

/*
 * A port of br is going: OVS's Mirror columns are weak references, so it
 * leaves every selection, and a mirror that had it as output port has no
 * output left and goes too (db_validate() would refuse it).
 */
static void mirrors_forget_port(struct db_bridge *br, const char *port)
{
	for (size_t i = br->n_mirrors; i-- > 0;) {
		struct db_mirror *m = br->mirrors[i];
		bool src, dst;

		if (m->output_port != NULL && strcmp(m->output_port, port) == 0) {
			mirror_remove(br, i);
			continue;
		}
		src = names_remove(m->src_ports, &m->n_src, port);
		dst = names_remove(m->dst_ports, &m->n_dst, port);
		/* no longer what the file said: errors must not point at its line */
		if (src || dst)
			m->line = 0;
	}
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
	/* before port_free(): port may be p->name itself */
	mirrors_forget_port(br, port);
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
