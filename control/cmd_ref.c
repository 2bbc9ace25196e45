/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cmd_ref: the records a transaction names with --id=@name, so that kvsctl
 * takes OVS's command shape for the rows kvswitch keeps inside others:
 *
 *   -- --id=@q create QoS type=egress-policer other-config:cir=N other-config:cbs=N
 *   -- set Port vm1 qos=@q
 *   -- --id=@p get Port vm4 -- --id=@m create Mirror name=m0 select-all=true
 *      output-port=@p -- set Bridge br0 mirrors=@m      (or add Bridge br0 mirrors @m)
 *
 * Called by cmd.c's transaction, on the clone it edits; control thread.
 * kvswitch has no QoS or Mirror table of its own: a QoS lives in the port
 * that references it and a Mirror in its bridge, so a created record that
 * nothing references when the transaction ends is refused rather than lost
 * (OVS would keep an unreferenced QoS row; its Mirror rows go the same way
 * as here).  A set or add that refers to records runs after every command
 * of the transaction, so it may come before the create it names, as
 * ovs-vsctl allows; a create that names @p (a Port) must come after the get
 * that defines it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/cmd_ref.h"
#include "control/db.h"

#define REF_MAX 64

enum ref_kind { REF_PORT, REF_QOS, REF_MIRROR };

struct ref {
	char name[64]; /* "@q" */
	enum ref_kind kind;
	bool used;
	char port[64];           /* REF_PORT: the port's name */
	struct db_qos qos;       /* REF_QOS */
	struct db_mirror mirror; /* REF_MIRROR: strings point into the request
				  * or into refs[], lists are malloc'd here */
};

/* A set or add that refers to records: applied when the transaction's
 * commands have all run, so that a reference may come before its create,
 * as ovs-vsctl takes it.  Strings point into the request. */
struct pending {
	const char *table, *record, *column, *value;
	bool add;
};

struct cmd_refs {
	struct ref r[REF_MAX];
	unsigned int n;
	struct pending pending[REF_MAX];
	unsigned int n_pending;
};

struct cmd_refs *cmd_refs_new(void)
{
	return calloc(1, sizeof(struct cmd_refs));
}

void cmd_refs_free(struct cmd_refs *t)
{
	if (t == NULL)
		return;
	for (unsigned int i = 0; i < t->n; i++) {
		free(t->r[i].mirror.src_ports);
		free(t->r[i].mirror.dst_ports);
		free(t->r[i].mirror.select_vlans);
	}
	free(t);
}

static struct ref *ref_find(struct cmd_refs *t, const char *name)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (strcmp(t->r[i].name, name) == 0)
			return &t->r[i];
	return NULL;
}

/* A new record named id, or NULL with err. */
static struct ref *ref_new(struct cmd_refs *t, const char *id, enum ref_kind kind, char *err,
			   size_t errlen)
{
	struct ref *r;

	if (id == NULL || id[0] != '@' || id[1] == '\0' || strlen(id) >= sizeof(r->name)) {
		snprintf(err, errlen, "'%s': a record's --id is @ and a name", id ? id : "");
		return NULL;
	}
	if (ref_find(t, id) != NULL) {
		snprintf(err, errlen, "row id \"%s\" may only be specified once", id);
		return NULL;
	}
	if (t->n == REF_MAX) {
		snprintf(err, errlen, "more than %d named records in one command", REF_MAX);
		return NULL;
	}
	r = &t->r[t->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", id);
	r->kind = kind;
	return r;
}

/* The record a value names, of kind want; NULL with err. */
static struct ref *ref_use(struct cmd_refs *t, const char *name, enum ref_kind want,
			   const char *what, char *err, size_t errlen)
{
	static const char *const kinds[] = {"Port", "QoS", "Mirror"};
	struct ref *r = ref_find(t, name);

	if (r == NULL) {
		snprintf(err, errlen, "%s: row id \"%s\" is referenced but never created", what,
			 name);
		return NULL;
	}
	if (r->kind != want) {
		snprintf(err, errlen, "%s: \"%s\" is a %s, not a %s", what, name, kinds[r->kind],
			 kinds[want]);
		return NULL;
	}
	r->used = true;
	return r;
}

/* ovs-vsctl takes '-' for '_' in column names. */
static void column_name(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < len; i++)
		out[i] = in[i] == '-' ? '_' : in[i];
	out[i] = '\0';
}

/* "@a", "@a,@b", "[@a, @b]", "[]" into the names of its items: calls fn(t,
 * item) for each, stopping at the first error. */
static int for_each_item(const char *value, int (*fn)(void *ctx, const char *item), void *ctx)
{
	char buf[4096], *save = NULL, *tok, *s;
	size_t len;
	int rc;

	snprintf(buf, sizeof(buf), "%s", value);
	s = buf;
	len = strlen(s);
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s[len - 1] = '\0';
		s++;
	}
	for (tok = strtok_r(s, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		rc = fn(ctx, tok);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* What for_each_item's callbacks work on: the mirror being created and its
 * column, or the db and bridge whose mirrors are being set. */
struct item_ctx {
	struct cmd_refs *t;
	struct db_mirror *m;
	const char *col;
	struct db *db;
	const char *bridge;
	bool add;
	char *err;
	size_t errlen;
};

/* ---- create ---- */

static int add_port_item(void *ctx, const char *item)
{
	struct item_ctx *b = ctx;
	bool src = strcmp(b->col, "select_src_port") == 0;
	char ***names = src ? &b->m->src_ports : &b->m->dst_ports;
	size_t *n = src ? &b->m->n_src : &b->m->n_dst;
	struct ref *r = ref_use(b->t, item, REF_PORT, b->col, b->err, b->errlen);
	char **grown;

	if (r == NULL)
		return -EINVAL;
	grown = realloc(*names, (*n + 1) * sizeof(**names));
	if (grown == NULL) {
		snprintf(b->err, b->errlen, "out of memory");
		return -ENOMEM;
	}
	grown[(*n)++] = r->port;
	*names = grown;
	return 0;
}

static int add_vlan_item(void *ctx, const char *item)
{
	struct item_ctx *b = ctx;
	uint16_t *grown;
	char *end;
	long v = strtol(item, &end, 10);

	if (*item == '\0' || *end != '\0' || v < 0 || v > 4095) {
		snprintf(b->err, b->errlen, "select_vlan: '%s' is not a VLAN 0..4095", item);
		return -EINVAL;
	}
	if (b->m->n_vlans == 4096) {
		snprintf(b->err, b->errlen, "select_vlan: more than 4096 VLANs");
		return -EINVAL;
	}
	grown = realloc(b->m->select_vlans, (b->m->n_vlans + 1u) * sizeof(*grown));
	if (grown == NULL) {
		snprintf(b->err, b->errlen, "out of memory");
		return -ENOMEM;
	}
	grown[b->m->n_vlans++] = (uint16_t)v;
	b->m->select_vlans = grown;
	return 0;
}

/* One COLUMN=VALUE of create Mirror. */
static int mirror_column(struct cmd_refs *t, struct db_mirror *m, const char *col, const char *val,
			 char *err, size_t errlen)
{
	struct item_ctx b = {.t = t, .m = m, .col = col, .err = err, .errlen = errlen};
	struct ref *r;
	char *end;
	long v;

	if (strcmp(col, "name") == 0) {
		m->name = (char *)val;
	} else if (strcmp(col, "select_all") == 0) {
		if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0) {
			snprintf(err, errlen, "select_all: '%s' is not true or false", val);
			return -EINVAL;
		}
		m->select_all = val[0] == 't';
	} else if (strcmp(col, "select_src_port") == 0 || strcmp(col, "select_dst_port") == 0) {
		return for_each_item(val, add_port_item, &b);
	} else if (strcmp(col, "select_vlan") == 0) {
		return for_each_item(val, add_vlan_item, &b);
	} else if (strcmp(col, "output_port") == 0) {
		r = ref_use(t, val, REF_PORT, col, err, errlen);
		if (r == NULL)
			return -EINVAL;
		m->output_port = r->port;
	} else if (strcmp(col, "output_vlan") == 0) {
		v = strtol(val, &end, 10);
		if (*val == '\0' || *end != '\0' || v < 1 || v > 4095) {
			snprintf(err, errlen, "output_vlan: '%s' is not a VLAN 1..4095", val);
			return -EINVAL;
		}
		m->output_vlan = (uint16_t)v; /* db_validate() says kvswitch does not run it */
	} else {
		snprintf(err, errlen,
			 "Mirror has no column '%s' kvswitch takes (name, select_all, "
			 "select_src_port, select_dst_port, select_vlan, output_port)",
			 col);
		return -EINVAL;
	}
	return 0;
}

int cmd_refs_create(struct cmd_refs *t, const char *table, const char *id, json_t *sets, char *err,
		    size_t errlen)
{
	bool qos = strcmp(table, "QoS") == 0;
	const char *type = NULL;
	struct smap oc;
	struct ref *r;
	json_t *s;
	size_t i;
	int rc = 0;

	if (!qos && strcmp(table, "Mirror") != 0) {
		snprintf(err, errlen, "create: kvswitch creates QoS and Mirror records, not %s",
			 table);
		return -EINVAL;
	}
	if (id == NULL) {
		snprintf(err, errlen,
			 "create %s: give it --id=@name and refer to it in the same command "
			 "(kvswitch keeps a %s in the %s that refers to it)",
			 table, table, qos ? "port" : "bridge");
		return -EINVAL;
	}
	r = ref_new(t, id, qos ? REF_QOS : REF_MIRROR, err, errlen);
	if (r == NULL)
		return -EINVAL;
	smap_init(&oc);
	json_array_foreach(sets, i, s)
	{
		const char *key = json_string_value(json_object_get(s, "key"));
		const char *val = json_string_value(json_object_get(s, "value"));
		const char *column = json_string_value(json_object_get(s, "column"));
		char col[64];

		column_name(column ? column : "", col, sizeof(col));
		if (val == NULL) {
			snprintf(err, errlen, "create %s: a column without a value", table);
			rc = -EINVAL;
		} else if (!qos) {
			rc = key == NULL ? mirror_column(t, &r->mirror, col, val, err, errlen)
					 : (snprintf(err, errlen,
						     "Mirror: '%s:%s': not a map column", col, key),
					    -EINVAL);
		} else if (strcmp(col, "type") == 0 && key == NULL) {
			type = val;
		} else if (strcmp(col, "other_config") == 0 && key != NULL) {
			rc = smap_set(&oc, key, val) == 0 ? 0 : -ENOMEM;
		} else {
			snprintf(err, errlen,
				 "QoS has no column '%s' kvswitch takes (type, other_config:KEY)",
				 col);
			rc = -EINVAL;
		}
		if (rc < 0)
			break;
	}
	if (rc == 0 && qos)
		rc = db_qos_parse(type, &oc, &r->qos, "create QoS", err, errlen);
	smap_destroy(&oc);
	return rc;
}

int cmd_refs_get(struct cmd_refs *t, const struct db *db, const char *table, const char *record,
		 const char *id, char *err, size_t errlen)
{
	struct ref *r;

	if (id == NULL) {
		snprintf(err, errlen,
			 "get inside a command chain needs --id=@name (alone, it is a read)");
		return -EINVAL;
	}
	if (strcmp(table, "Port") != 0 && strcmp(table, "Interface") != 0) {
		snprintf(err, errlen, "get --id: kvswitch names Port records, not %s", table);
		return -EINVAL;
	}
	if (db_port_find(db, record, NULL) == NULL) {
		snprintf(err, errlen, "port '%s' does not exist", record);
		return -ENOENT;
	}
	r = ref_new(t, id, REF_PORT, err, errlen);
	if (r == NULL)
		return -EINVAL;
	snprintf(r->port, sizeof(r->port), "%s", record);
	r->used = true; /* a get defines nothing that could be lost */
	return 0;
}

/* ---- set and add with references ---- */

static int put_mirror(void *ctx, const char *item)
{
	struct item_ctx *s = ctx;
	struct ref *r;
	const char *name;

	if (item[0] != '@') {
		snprintf(s->err, s->errlen,
			 "bridge '%s': mirrors takes records created in the same command, as "
			 "mirrors=@name after -- --id=@name create Mirror ... (kvsctl --help), "
			 "or []",
			 s->bridge);
		return -EINVAL;
	}
	r = ref_use(s->t, item, REF_MIRROR, "mirrors", s->err, s->errlen);
	if (r == NULL)
		return -EINVAL;
	name = r->mirror.name ? r->mirror.name : "";
	/* add beside the others: a second mirror of a name is refused, not
	 * taken for the first (kvswitch's mirror names are unique) */
	if (s->add && db_mirror_find(db_bridge_find(s->db, s->bridge), name) != NULL) {
		snprintf(s->err, s->errlen, "bridge '%s' already has a mirror named '%s'",
			 s->bridge, name);
		return -EEXIST;
	}
	if (db_mirror_put(s->db, s->bridge, &r->mirror) < 0) {
		snprintf(s->err, s->errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static bool ref_column(const char *table, const char *column)
{
	char col[64];

	column_name(column, col, sizeof(col));
	return ((strcmp(table, "Port") == 0 || strcmp(table, "Interface") == 0) &&
		strcmp(col, "qos") == 0) ||
	       (strcmp(table, "Bridge") == 0 && strcmp(col, "mirrors") == 0);
}

bool cmd_refs_is_ref(const char *table, const char *column, const char *value)
{
	return (value != NULL && (value[0] == '@' || (value[0] == '[' && value[1] == '@'))) ||
	       ref_column(table, column);
}

int cmd_refs_set(struct cmd_refs *t, const char *table, const char *record, const char *column,
		 const char *value, bool add, char *err, size_t errlen)
{
	struct pending *p;

	if (!ref_column(table, column) || (add && strcmp(table, "Bridge") != 0)) {
		snprintf(err, errlen,
			 "%s %s: '%s' is a record reference, which kvswitch takes for Port qos "
			 "(set) and Bridge mirrors (set, add) only",
			 table, record, value);
		return -EINVAL;
	}
	if (t->n_pending == REF_MAX) {
		snprintf(err, errlen, "more than %d references in one command", REF_MAX);
		return -EINVAL;
	}
	p = &t->pending[t->n_pending++];
	*p = (struct pending){table, record, column, value, add};
	return 0;
}

/* One set or add that refers to records, now that every record is made. */
static int apply_pending(struct cmd_refs *t, struct db *db, const struct pending *p, char *err,
			 size_t errlen)
{
	struct item_ctx ms = {
		.t = t, .db = db, .bridge = p->record, .add = p->add, .err = err, .errlen = errlen};
	bool none = strcmp(p->value, "[]") == 0;
	struct db_port *port;
	struct ref *r;

	if (strcmp(p->table, "Bridge") == 0) {
		if (db_bridge_find(db, p->record) == NULL) {
			snprintf(err, errlen, "bridge '%s' does not exist", p->record);
			return -ENOENT;
		}
		if (!p->add) /* set: the bridge's mirrors are these and no others */
			db_mirror_del(db, p->record, NULL);
		return for_each_item(p->value, put_mirror, &ms);
	}
	port = db_port_find(db, p->record, NULL);
	if (port == NULL) {
		snprintf(err, errlen, "port '%s' does not exist", p->record);
		return -ENOENT;
	}
	if (none) {
		port->qos = (struct db_qos){0};
		return 0;
	}
	if (p->value[0] != '@') {
		snprintf(err, errlen,
			 "port '%s': qos takes one record created in the same command, as "
			 "qos=@name after -- --id=@name create QoS ... (kvsctl --help), or []",
			 p->record);
		return -EINVAL;
	}
	r = ref_use(t, p->value, REF_QOS, "qos", err, errlen);
	if (r == NULL)
		return -EINVAL;
	port->qos = r->qos;
	return 0;
}

int cmd_refs_end(struct cmd_refs *t, struct db *db, char *err, size_t errlen)
{
	int rc;

	for (unsigned int i = 0; i < t->n_pending; i++) {
		rc = apply_pending(t, db, &t->pending[i], err, errlen);
		if (rc < 0)
			return rc;
	}
	for (unsigned int i = 0; i < t->n; i++)
		if (!t->r[i].used) {
			snprintf(err, errlen,
				 "%s %s is created but nothing refers to it (kvswitch keeps a %s "
				 "in its %s: add -- set %s)",
				 t->r[i].kind == REF_QOS ? "QoS" : "Mirror", t->r[i].name,
				 t->r[i].kind == REF_QOS ? "QoS" : "Mirror",
				 t->r[i].kind == REF_QOS ? "port" : "bridge",
				 t->r[i].kind == REF_QOS ? "Port PORT qos=@..."
							 : "Bridge BRIDGE mirrors=@...");
			return -EINVAL;
		}
	return 0;
}
