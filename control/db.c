/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db: records and generic edits of the configuration model (control/db.h):
 * create/clone/destroy, bridge and port add/del/find, and the ovs-vsctl-like
 * db_set/db_clear/db_get used by the control thread's command handlers
 * (control/cmd.c) and by the config file loader (control/conf_file.c).
 *
 * Only syntax is checked here (known table and column, numbers that parse,
 * known port type); ranges that need other keys and every cross-record rule
 * are db_validate()'s job (control/db_schema.c), so that a transaction can
 * pass through invalid intermediate states and be judged once at the end.
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

#define TAG_MIN      1
#define TAG_MAX      4094
#define VLAN_MAX     4095
#define MTU_MIN      68
#define MTU_MAX      9710
#define NAME_MAX_LEN 31

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
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
		return fail(err, errlen, -EINVAL, "%s name is empty", what);
	if (len > NAME_MAX_LEN)
		return fail(err, errlen, -EINVAL, "%s name '%s' is longer than %d characters", what,
			    name, NAME_MAX_LEN);
	/* Names end up in socket file names and on the kvsctl command line. */
	if (name[0] == '-')
		return fail(err, errlen, -EINVAL, "%s name '%s' must not start with '-'", what,
			    name);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return fail(err, errlen, -EINVAL, "%s name '%s' is not allowed", what, name);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return fail(err, errlen, -EINVAL,
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
	p->mtu_request = src->mtu_request;
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
		return fail(err, errlen, -EEXIST, "bridge '%s' already exists", name);
	br = calloc(1, sizeof(*br));
	if (br == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	smap_init(&br->other_config);
	br->name = strdup(name);
	if (br->name == NULL ||
	    sorted_insert((void ***)&db->bridges, &db->n_bridges, br, name, bridge_name_of)) {
		bridge_free(br);
		return fail(err, errlen, -ENOMEM, "out of memory");
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
	return fail(err, errlen, -ENOENT, "bridge '%s' does not exist", name);
}

int db_port_add(struct db *db, const char *bridge, const char *port, char *err, size_t errlen)
{
	struct db_bridge *br = db_bridge_find(db, bridge), *other;
	struct db_port *p;
	int rc;

	if (br == NULL)
		return fail(err, errlen, -ENOENT, "bridge '%s' does not exist", bridge);
	rc = db_check_name("port", port, err, errlen);
	if (rc)
		return rc;
	if (db_port_find(db, port, &other) != NULL)
		return fail(err, errlen, -EEXIST, "port '%s' already exists in bridge '%s'", port,
			    other->name);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	smap_init(&p->options);
	smap_init(&p->other_config);
	smap_init(&p->filter);
	p->name = strdup(port);
	p->type = strdup("");
	if (p->name == NULL || p->type == NULL ||
	    sorted_insert((void ***)&br->ports, &br->n_ports, p, port, port_name_of)) {
		port_free(p);
		return fail(err, errlen, -ENOMEM, "out of memory");
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
		return fail(err, errlen, -ENOENT, "bridge '%s' does not exist", bridge);
	p = db_port_find(db, port, &br);
	if (p == NULL)
		return fail(err, errlen, -ENOENT, "port '%s' does not exist", port);
	if (bridge != NULL && strcmp(br->name, bridge) != 0)
		return fail(err, errlen, -ENOENT, "port '%s' is not in bridge '%s' (it is in '%s')",
			    port, bridge, br->name);
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

/* ---- generic edits ---- */

enum table { T_OVS = 1, T_BRIDGE = 2, T_PORT = 4 };

enum column {
	C_NAME,
	C_PORTS,
	C_OTHER_CONFIG,
	C_OPTIONS,
	C_FILTER,
	C_TYPE,
	C_TAG,
	C_TRUNKS,
	C_MTU
};

struct column_def {
	const char *name;
	enum column col;
	unsigned int tables;
	bool is_map;
	bool read_only;
};

static const struct column_def columns[] = {
	{"name", C_NAME, T_BRIDGE | T_PORT, false, true},
	{"ports", C_PORTS, T_BRIDGE, false, true},
	{"other_config", C_OTHER_CONFIG, T_OVS | T_BRIDGE | T_PORT, true, false},
	{"options", C_OPTIONS, T_PORT, true, false},
	{"filter", C_FILTER, T_PORT, true, false},
	{"type", C_TYPE, T_PORT, false, false},
	{"tag", C_TAG, T_PORT, false, false},
	{"trunks", C_TRUNKS, T_PORT, false, false},
	{"mtu_request", C_MTU, T_PORT, false, false},
};

/* The record an edit addresses, and the words used to name it in errors. */
struct target {
	enum table table;
	const char *table_name;
	struct smap *ovs_other_config;
	struct db_bridge *br;
	struct db_port *port;
	char what[48];
};

static int resolve(const struct db *db, const char *table, const char *record, struct target *t,
		   char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (table == NULL || record == NULL)
		return fail(err, errlen, -EINVAL, "missing table or record");
	if (strcmp(table, "Open_vSwitch") == 0) {
		if (strcmp(record, ".") != 0)
			return fail(err, errlen, -EINVAL,
				    "table Open_vSwitch has a single record, '.' (not '%s')",
				    record);
		t->table = T_OVS;
		t->table_name = "Open_vSwitch";
		/* The only write path to db->other_config; db is not const there. */
		t->ovs_other_config = (struct smap *)&db->other_config;
		snprintf(t->what, sizeof(t->what), "Open_vSwitch");
	} else if (strcmp(table, "Bridge") == 0) {
		t->table = T_BRIDGE;
		t->table_name = "Bridge";
		t->br = db_bridge_find(db, record);
		if (t->br == NULL)
			return fail(err, errlen, -ENOENT, "bridge '%s' does not exist", record);
		snprintf(t->what, sizeof(t->what), "bridge '%s'", t->br->name);
	} else if (strcmp(table, "Port") == 0 || strcmp(table, "Interface") == 0) {
		t->table = T_PORT;
		t->table_name = table;
		t->port = db_port_find(db, record, NULL);
		if (t->port == NULL)
			return fail(err, errlen, -ENOENT, "port '%s' does not exist", record);
		snprintf(t->what, sizeof(t->what), "port '%s'", t->port->name);
	} else {
		return fail(err, errlen, -EINVAL,
			    "unknown table '%s' (expected Open_vSwitch, Bridge, Port or Interface)",
			    table);
	}
	return 0;
}

/* write: not a read-only column; set: a map column needs a key. */
static int find_column(const struct target *t, const char *column, const char *key, bool write,
		       bool set, const struct column_def **out, char *err, size_t errlen)
{
	const struct column_def *c = NULL;

	for (size_t i = 0; column != NULL && i < sizeof(columns) / sizeof(columns[0]); i++)
		if (strcmp(columns[i].name, column) == 0 && (columns[i].tables & t->table))
			c = &columns[i];
	if (c == NULL)
		return fail(err, errlen, -EINVAL, "table %s has no column '%s'", t->table_name,
			    column ? column : "(null)");
	if (write && c->read_only)
		return fail(err, errlen, -EINVAL, "%s: column '%s' is read-only", t->what, column);
	if (c->is_map && key == NULL && set)
		return fail(err, errlen, -EINVAL, "%s: column '%s' is a map; give a key (%s:KEY)",
			    t->what, column, column);
	if (!c->is_map && key != NULL)
		return fail(err, errlen, -EINVAL, "%s: column '%s' is not a map; it takes no key",
			    t->what, column);
	if (key != NULL && key[0] == '\0')
		return fail(err, errlen, -EINVAL, "%s: empty key for column '%s'", t->what, column);
	*out = c;
	return 0;
}

static struct smap *target_map(const struct target *t, enum column col)
{
	if (t->table == T_OVS)
		return t->ovs_other_config;
	if (t->table == T_BRIDGE)
		return &t->br->other_config;
	if (col == C_FILTER)
		return &t->port->filter;
	return col == C_OPTIONS ? &t->port->options : &t->port->other_config;
}

/* "10,20", "[10, 20]", "10 20", "" and "[]" (no VLANs): sorted, unique. */
static int parse_trunks(const char *what, const char *text, uint16_t **out, uint16_t *n_out,
			char *err, size_t errlen)
{
	uint64_t bits[(VLAN_MAX + 1) / 64] = {0};
	const char *s = text, *end = text + strlen(text);
	unsigned int n = 0;
	uint16_t *v;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (s < end && *s == '[') {
		if (end[-1] != ']')
			return fail(err, errlen, -EINVAL, "%s: trunks '%s': missing ']'", what,
				    text);
		s++;
		end--;
	}
	while (s < end) {
		char tok[16];
		size_t len = 0;
		uint64_t vlan;

		if (*s == ',' || *s == ' ' || *s == '\t') {
			s++;
			continue;
		}
		while (s + len < end && s[len] != ',' && s[len] != ' ' && s[len] != '\t')
			len++;
		if (len < sizeof(tok)) {
			memcpy(tok, s, len);
			tok[len] = '\0';
		}
		if (len >= sizeof(tok) || db_parse_uint(tok, UINT64_MAX, &vlan) != 0)
			return fail(err, errlen, -EINVAL, "%s: trunks '%s': '%.*s' is not a number",
				    what, text, (int)len, s);
		if (vlan > VLAN_MAX)
			return fail(err, errlen, -EINVAL,
				    "%s: trunks: VLAN '%s' is out of range 0..%d", what, tok,
				    VLAN_MAX);
		if (!(bits[vlan / 64] & (1ULL << (vlan % 64))))
			n++;
		bits[vlan / 64] |= 1ULL << (vlan % 64);
		s += len;
	}
	v = n ? malloc(n * sizeof(*v)) : NULL;
	if (n && v == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	n = 0;
	for (unsigned int i = 0; i <= VLAN_MAX; i++)
		if (bits[i / 64] & (1ULL << (i % 64)))
			v[n++] = (uint16_t)i;
	*out = v;
	*n_out = (uint16_t)n;
	return 0;
}

static int parse_ranged(const char *what, const char *column, const char *value, uint64_t min,
			uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	if (db_parse_uint(value, UINT64_MAX, out) != 0)
		return fail(err, errlen, -EINVAL, "%s: %s '%s' is not a number", what, column,
			    value);
	/* 0 means "unset" in these columns, so an out-of-range value cannot be
	 * stored for db_validate() to catch later. */
	if (*out < min || *out > max)
		return fail(err, errlen, -EINVAL, "%s: %s '%s' is out of range %llu..%llu", what,
			    column, value, (unsigned long long)min, (unsigned long long)max);
	return 0;
}

int db_set(struct db *db, const char *table, const char *record, const char *column,
	   const char *key, const char *value, char *err, size_t errlen)
{
	const struct column_def *c;
	struct target t;
	uint64_t num;
	char *s;
	int rc;

	rc = resolve(db, table, record, &t, err, errlen);
	if (rc == 0)
		rc = find_column(&t, column, key, true, true, &c, err, errlen);
	if (rc)
		return rc;
	if (value == NULL)
		return fail(err, errlen, -EINVAL, "%s: no value for column '%s'", t.what, column);

	switch (c->col) {
	case C_OTHER_CONFIG:
	case C_OPTIONS:
	case C_FILTER:
		if (smap_set(target_map(&t, c->col), key, value))
			return fail(err, errlen, -ENOMEM, "out of memory");
		break;
	case C_TYPE:
		if (!db_schema_type_known(value))
			return fail(err, errlen, -EINVAL,
				    "%s: unknown type '%s' (expected dpdkvhostuser, "
				    "dpdkvhostuserclient or dpdk)",
				    t.what, value);
		s = strdup(value);
		if (s == NULL)
			return fail(err, errlen, -ENOMEM, "out of memory");
		free(t.port->type);
		t.port->type = s;
		break;
	case C_TAG:
		rc = parse_ranged(t.what, "tag", value, TAG_MIN, TAG_MAX, &num, err, errlen);
		if (rc)
			return rc;
		t.port->tag = (uint16_t)num;
		break;
	case C_TRUNKS: {
		uint16_t *v = NULL, n = 0;

		rc = parse_trunks(t.what, value, &v, &n, err, errlen);
		if (rc)
			return rc;
		free(t.port->trunks);
		t.port->trunks = v;
		t.port->n_trunks = n;
		break;
	}
	case C_MTU:
		rc = parse_ranged(t.what, "mtu_request", value, MTU_MIN, MTU_MAX, &num, err,
				  errlen);
		if (rc)
			return rc;
		t.port->mtu_request = (uint32_t)num;
		break;
	default:
		return fail(err, errlen, -EINVAL, "%s: column '%s' is read-only", t.what, column);
	}
	/* The record now differs from what the file said: a later validation
	 * error about it must not point the user at a config file line. */
	if (t.br != NULL)
		t.br->line = 0;
	if (t.port != NULL)
		t.port->line = 0;
	return 0;
}

int db_clear(struct db *db, const char *table, const char *record, const char *column,
	     const char *key, char *err, size_t errlen)
{
	const struct column_def *c;
	struct target t;
	char *s;
	int rc;

	rc = resolve(db, table, record, &t, err, errlen);
	if (rc == 0)
		rc = find_column(&t, column, key, true, false, &c, err, errlen);
	if (rc)
		return rc;

	switch (c->col) {
	case C_OTHER_CONFIG:
	case C_OPTIONS:
	case C_FILTER:
		/* Removing an absent key is not an error, as with ovs-vsctl remove. */
		if (key != NULL)
			smap_remove(target_map(&t, c->col), key);
		else
			smap_destroy(target_map(&t, c->col));
		break;
	case C_TYPE:
		s = strdup("");
		if (s == NULL)
			return fail(err, errlen, -ENOMEM, "out of memory");
		free(t.port->type);
		t.port->type = s;
		break;
	case C_TAG:
		t.port->tag = 0;
		break;
	case C_TRUNKS:
		free(t.port->trunks);
		t.port->trunks = NULL;
		t.port->n_trunks = 0;
		break;
	case C_MTU:
		t.port->mtu_request = 0;
		break;
	default:
		return fail(err, errlen, -EINVAL, "%s: column '%s' is read-only", t.what, column);
	}
	if (t.br != NULL)
		t.br->line = 0;
	if (t.port != NULL)
		t.port->line = 0;
	return 0;
}

/* Appends to out at *pos; returns false once out is full. */
static bool append(char *out, size_t outlen, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool append(char *out, size_t outlen, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos >= outlen)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(out + *pos, outlen - *pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outlen - *pos) {
		*pos = outlen;
		return false;
	}
	*pos += (size_t)n;
	return true;
}

/* Whole-map text as ovs-vsctl prints it: {k=v, k2="v w"}. */
static bool needs_quotes(const char *s)
{
	if (*s == '\0')
		return true;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.-:/+@", *s)))
			return true;
	return false;
}

static bool append_atom(char *out, size_t outlen, size_t *pos, const char *s)
{
	if (!needs_quotes(s))
		return append(out, outlen, pos, "%s", s);
	if (!append(out, outlen, pos, "\""))
		return false;
	for (; *s; s++)
		if (!append(out, outlen, pos, (*s == '"' || *s == '\\') ? "\\%c" : "%c", *s))
			return false;
	return append(out, outlen, pos, "\"");
}

int db_get(const struct db *db, const char *table, const char *record, const char *column,
	   const char *key, char *out, size_t outlen, char *err, size_t errlen)
{
	const struct column_def *c;
	const struct smap *m;
	const char *v;
	struct target t;
	size_t pos = 0;
	bool ok = true;
	int rc;

	if (out == NULL || outlen == 0)
		return fail(err, errlen, -EINVAL, "no output buffer");
	out[0] = '\0';
	rc = resolve(db, table, record, &t, err, errlen);
	if (rc == 0)
		rc = find_column(&t, column, key, false, false, &c, err, errlen);
	if (rc)
		return rc;

	switch (c->col) {
	case C_NAME:
		ok = append(out, outlen, &pos, "%s", t.port ? t.port->name : t.br->name);
		break;
	case C_PORTS:
		ok = append(out, outlen, &pos, "[");
		for (size_t i = 0; ok && i < t.br->n_ports; i++)
			ok = append(out, outlen, &pos, "%s%s", i ? ", " : "", t.br->ports[i]->name);
		ok = ok && append(out, outlen, &pos, "]");
		break;
	case C_OTHER_CONFIG:
	case C_OPTIONS:
	case C_FILTER:
		m = target_map(&t, c->col);
		if (key != NULL) {
			v = smap_get(m, key);
			if (v == NULL)
				return fail(err, errlen, -ENOENT, "%s: %s has no key '%s'", t.what,
					    column, key);
			ok = append(out, outlen, &pos, "%s", v);
			break;
		}
		ok = append(out, outlen, &pos, "{");
		for (size_t i = 0; ok && i < m->n; i++)
			ok = append(out, outlen, &pos, "%s", i ? ", " : "") &&
			     append_atom(out, outlen, &pos, m->nodes[i].key) &&
			     append(out, outlen, &pos, "=") &&
			     append_atom(out, outlen, &pos, m->nodes[i].value);
		ok = ok && append(out, outlen, &pos, "}");
		break;
	case C_TYPE:
		if (t.port->type == NULL || t.port->type[0] == '\0')
			return fail(err, errlen, -ENOENT, "%s: type is not set", t.what);
		ok = append(out, outlen, &pos, "%s", t.port->type);
		break;
	case C_TAG:
		if (t.port->tag == 0)
			return fail(err, errlen, -ENOENT, "%s: tag is not set", t.what);
		ok = append(out, outlen, &pos, "%u", (unsigned int)t.port->tag);
		break;
	case C_TRUNKS:
		if (t.port->n_trunks == 0)
			return fail(err, errlen, -ENOENT, "%s: trunks is not set", t.what);
		ok = append(out, outlen, &pos, "[");
		for (size_t i = 0; ok && i < t.port->n_trunks; i++)
			ok = append(out, outlen, &pos, "%s%u", i ? ", " : "",
				    (unsigned int)t.port->trunks[i]);
		ok = ok && append(out, outlen, &pos, "]");
		break;
	case C_MTU:
		if (t.port->mtu_request == 0)
			return fail(err, errlen, -ENOENT, "%s: mtu_request is not set", t.what);
		ok = append(out, outlen, &pos, "%u", (unsigned int)t.port->mtu_request);
		break;
	}
	if (!ok)
		return fail(err, errlen, -ENOSPC, "%s: value of '%s' does not fit in %zu bytes",
			    t.what, column, outlen);
	return 0;
}
