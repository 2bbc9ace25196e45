/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf_file: the YAML configuration file, read at kvswitchd start and
 * rewritten (atomically) after every committed change; the unit tests use
 * the string variants.  Parsing goes through libyaml's document loader so
 * every node keeps its line and every error can say "FILE:LINE: message".
 * Values go into the db through db_set() (syntax) and the schema's per-key
 * check (ranges), then db_validate() judges the whole; records keep the line
 * they were defined on for db_validate()'s messages.
 *
 * Format (every section optional; an empty file is an empty config):
 *
 *   open_vswitch:
 *     other_config:            # Open_vSwitch other_config, KEY: VALUE
 *       pmd-cpu-mask: "0x2"
 *   bridges:
 *     br0:                     # bridge name
 *       other_config:          # Bridge other_config
 *         mac-aging-time: 300
 *       ports:
 *         vm1:                 # port (= interface) name
 *           type: dpdkvhostuser
 *           options: {}        # Interface options, KEY: VALUE
 *           other_config: {}   # Port/Interface other_config, KEY: VALUE
 *           filter:            # frame filter (docs/filters.md), KEY: VALUE
 *             ingress-rules: "allow src 52:54:00:00:00:01"
 *             ingress-default: deny
 *           tag: 10            # access VLAN
 *           trunks: [10, 20]   # or "10,20"; exclusive with tag
 *           mtu_request: 9000
 *
 * Scalars may be plain or quoted; all values are kept as text.  Unknown
 * keys, duplicate keys and a node of the wrong kind are errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "control/db.h"

/* db module internal, defined in db_schema.c (no private header). */
int db_schema_check_key(const char *table, const char *record, const char *type, const char *column,
			const char *key, const char *value, char *err, size_t errlen);

#define HEADER                                                                                     \
	"# kvswitch configuration: rewritten by kvswitchd on every change (comments are not "      \
	"kept).\n"

struct loader {
	const char *name;
	yaml_document_t *doc;
	struct db *db;
	char *err;
	size_t errlen;
};

static int lerr(struct loader *l, unsigned int line, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int lerr(struct loader *l, unsigned int line, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->err == NULL || l->errlen == 0)
		return rc;
	if (line != 0)
		n = snprintf(l->err, l->errlen, "%s:%u: ", l->name, line);
	else
		n = snprintf(l->err, l->errlen, "%s: ", l->name);
	if (n < 0 || (size_t)n >= l->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

static unsigned int line_of(const yaml_node_t *node)
{
	return (unsigned int)node->start_mark.line + 1;
}

static const char *text_of(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

/* "key:" with nothing after it, which we read as an empty section. */
static bool is_empty(const yaml_node_t *node)
{
	const char *s;

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = text_of(node);
	return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

static const char *kind_name(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static yaml_node_t *node(struct loader *l, int id)
{
	return yaml_document_get_node(l->doc, id);
}

/* A mapping (or an empty value) with scalar, unique keys; n is its size. */
static int check_mapping(struct loader *l, yaml_node_t *m, const char *what, size_t *n)
{
	yaml_node_pair_t *start, *top;

	*n = 0;
	if (is_empty(m))
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return lerr(l, line_of(m), -EINVAL, "%s must be a mapping, not %s", what,
			    kind_name(m));
	start = m->data.mapping.pairs.start;
	top = m->data.mapping.pairs.top;
	for (yaml_node_pair_t *p = start; p < top; p++) {
		yaml_node_t *k = node(l, p->key);

		if (k->type != YAML_SCALAR_NODE)
			return lerr(l, line_of(k), -EINVAL, "keys in %s must be scalars, not %s",
				    what, kind_name(k));
		for (yaml_node_pair_t *q = start; q < p; q++)
			if (strcmp(text_of(node(l, q->key)), text_of(k)) == 0)
				return lerr(l, line_of(k), -EINVAL, "duplicate key '%s' in %s",
					    text_of(k), what);
	}
	*n = (size_t)(top - start);
	return 0;
}

static yaml_node_pair_t *pair(yaml_node_t *m, size_t i)
{
	return &m->data.mapping.pairs.start[i];
}

static int scalar_value(struct loader *l, yaml_node_t *k, yaml_node_t *v, const char *what,
			const char **out)
{
	if (v->type != YAML_SCALAR_NODE)
		return lerr(l, line_of(v), -EINVAL, "%s '%s' must be a scalar, not %s", what,
			    text_of(k), kind_name(v));
	if (v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && text_of(v)[0] == '\0')
		return lerr(l, line_of(k), -EINVAL, "%s '%s' has no value", what, text_of(k));
	*out = text_of(v);
	return 0;
}

/* Sets db column, and checks the value, with the value's line on errors. */
static int set(struct loader *l, yaml_node_t *at, const char *table, const char *record,
	       const char *column, const char *key, const char *value, const char *type)
{
	char msg[DB_ERR_LEN];
	int rc = db_set(l->db, table, record, column, key, value, msg, sizeof(msg));

	if (rc == 0 && key != NULL)
		rc = db_schema_check_key(table, record, type, column, key, value, msg, sizeof(msg));
	return rc ? lerr(l, line_of(at), rc, "%s", msg) : 0;
}

static int load_map(struct loader *l, yaml_node_t *m, const char *what, const char *table,
		    const char *record, const char *type, const char *column)
{
	size_t n;
	int rc = check_mapping(l, m, what, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		yaml_node_t *k = node(l, pair(m, i)->key), *v = node(l, pair(m, i)->value);
		const char *value;

		rc = scalar_value(l, k, v, what, &value);
		if (rc == 0)
			rc = set(l, v, table, record, column, text_of(k), value, type);
	}
	return rc;
}

static int load_ovs(struct loader *l, yaml_node_t *m)
{
	size_t n;
	int rc = check_mapping(l, m, "open_vswitch", &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		yaml_node_t *k = node(l, pair(m, i)->key), *v = node(l, pair(m, i)->value);

		if (strcmp(text_of(k), "other_config") != 0)
			return lerr(l, line_of(k), -EINVAL,
				    "unknown key '%s' in open_vswitch (expected other_config)",
				    text_of(k));
		rc = load_map(l, v, "open_vswitch other_config", "Open_vSwitch", ".", NULL,
			      "other_config");
	}
	return rc;
}

/* trunks: [10, 20] or the text forms db_set() takes. */
static int load_trunks(struct loader *l, const char *port, yaml_node_t *k, yaml_node_t *v)
{
	yaml_node_item_t *it;
	char *text;
	size_t len = 0, cap;
	int rc;

	if (v->type == YAML_SCALAR_NODE)
		return set(l, v, "Port", port, "trunks", NULL, text_of(v), NULL);
	if (v->type != YAML_SEQUENCE_NODE)
		return lerr(l, line_of(v), -EINVAL, "port '%s': trunks must be a list, not %s",
			    port, kind_name(v));
	cap = 1;
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
		cap += node(l, *it)->type == YAML_SCALAR_NODE ? strlen(text_of(node(l, *it))) + 1
							      : 0;
	text = malloc(cap);
	if (text == NULL)
		return lerr(l, line_of(k), -ENOMEM, "out of memory");
	text[0] = '\0';
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = node(l, *it);

		if (item->type != YAML_SCALAR_NODE) {
			free(text);
			return lerr(l, line_of(item), -EINVAL,
				    "port '%s': trunks items must be VLAN numbers, not %s", port,
				    kind_name(item));
		}
		len += (size_t)snprintf(text + len, cap - len, "%s%s", len ? "," : "",
					text_of(item));
	}
	rc = set(l, v, "Port", port, "trunks", NULL, text, NULL);
	free(text);
	return rc;
}

static int load_port(struct loader *l, const char *bridge, yaml_node_t *name, yaml_node_t *m)
{
	const char *port = text_of(name), *value, *type = NULL;
	char what[96], msg[DB_ERR_LEN];
	size_t n;
	int rc;

	rc = db_port_add(l->db, bridge, port, msg, sizeof(msg));
	if (rc)
		return lerr(l, line_of(name), rc, "%s", msg);
	snprintf(what, sizeof(what), "port '%s'", port);
	rc = check_mapping(l, m, what, &n);
	/* options are checked against the type, which may come after them. */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		yaml_node_t *k = node(l, pair(m, i)->key), *v = node(l, pair(m, i)->value);

		if (strcmp(text_of(k), "type") != 0)
			continue;
		rc = scalar_value(l, k, v, what, &type);
		if (rc == 0)
			rc = set(l, v, "Port", port, "type", NULL, type, NULL);
	}
	if (rc)
		return rc;
	if (type == NULL)
		return lerr(l, line_of(name), -EINVAL, "port '%s' has no type", port);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		yaml_node_t *k = node(l, pair(m, i)->key), *v = node(l, pair(m, i)->value);
		const char *key = text_of(k);
		char sub[128];

		if (strcmp(key, "type") == 0)
			continue;
		if (strcmp(key, "options") == 0 || strcmp(key, "other_config") == 0 ||
		    strcmp(key, "filter") == 0) {
			snprintf(sub, sizeof(sub), "port '%s' %s", port, key);
			rc = load_map(l, v, sub, "Port", port, type, key);
		} else if (strcmp(key, "tag") == 0 || strcmp(key, "mtu_request") == 0) {
			rc = scalar_value(l, k, v, what, &value);
			if (rc == 0)
				rc = set(l, v, "Port", port, key, NULL, value, NULL);
		} else if (strcmp(key, "trunks") == 0) {
			rc = load_trunks(l, port, k, v);
		} else {
			rc = lerr(l, line_of(k), -EINVAL,
				  "port '%s': unknown key '%s' (expected type, options, "
				  "other_config, filter, tag, trunks or mtu_request)",
				  port, key);
		}
	}
	if (rc == 0)
		db_port_find(l->db, port, NULL)->line = line_of(name);
	return rc;
}

static int load_bridge(struct loader *l, yaml_node_t *name, yaml_node_t *m)
{
	const char *br = text_of(name);
	char what[96], msg[DB_ERR_LEN];
	size_t n, np;
	int rc;

	rc = db_bridge_add(l->db, br, msg, sizeof(msg));
	if (rc)
		return lerr(l, line_of(name), rc, "%s", msg);
	snprintf(what, sizeof(what), "bridge '%s'", br);
	rc = check_mapping(l, m, what, &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		yaml_node_t *k = node(l, pair(m, i)->key), *v = node(l, pair(m, i)->value);

		if (strcmp(text_of(k), "other_config") == 0) {
			snprintf(what, sizeof(what), "bridge '%s' other_config", br);
			rc = load_map(l, v, what, "Bridge", br, NULL, "other_config");
		} else if (strcmp(text_of(k), "ports") == 0) {
			snprintf(what, sizeof(what), "bridge '%s' ports", br);
			rc = check_mapping(l, v, what, &np);
			for (size_t j = 0; rc == 0 && j < np; j++)
				rc = load_port(l, br, node(l, pair(v, j)->key),
					       node(l, pair(v, j)->value));
		} else {
			rc = lerr(l, line_of(k), -EINVAL,
				  "bridge '%s': unknown key '%s' (expected other_config or ports)",
				  br, text_of(k));
		}
	}
	if (rc == 0)
		db_bridge_find(l->db, br)->line = line_of(name);
	return rc;
}

static int load_root(struct loader *l, yaml_node_t *root)
{
	size_t n, nb;
	int rc = check_mapping(l, root, "the top level", &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		yaml_node_t *k = node(l, pair(root, i)->key), *v = node(l, pair(root, i)->value);

		if (strcmp(text_of(k), "open_vswitch") == 0) {
			rc = load_ovs(l, v);
		} else if (strcmp(text_of(k), "bridges") == 0) {
			rc = check_mapping(l, v, "bridges", &nb);
			for (size_t j = 0; rc == 0 && j < nb; j++)
				rc = load_bridge(l, node(l, pair(v, j)->key),
						 node(l, pair(v, j)->value));
		} else {
			rc = lerr(l, line_of(k), -EINVAL,
				  "unknown top-level key '%s' (expected open_vswitch or bridges)",
				  text_of(k));
		}
	}
	return rc;
}

static int syntax_error(struct loader *l, const yaml_parser_t *p, const char *text)
{
	const char *problem = p->problem ? p->problem : "invalid YAML";
	/* The most common YAML mistake, and libyaml does not name it. */
	const char *hint =
		p->problem_mark.index < strlen(text) && text[p->problem_mark.index] == '\t'
			? "; indent with spaces, not tabs"
			: "";

	if (p->error == YAML_MEMORY_ERROR)
		return lerr(l, 0, -ENOMEM, "out of memory");
	if (p->context != NULL)
		return lerr(l, (unsigned int)p->problem_mark.line + 1, -EINVAL,
			    "%s (%s at line %u)%s", problem, p->context,
			    (unsigned int)p->context_mark.line + 1, hint);
	return lerr(l, (unsigned int)p->problem_mark.line + 1, -EINVAL, "%s%s", problem, hint);
}

/* db_validate() says "line N: msg"; the file's errors say "NAME:N: msg". */
static int validate(struct loader *l)
{
	char msg[DB_ERR_LEN];
	unsigned int line = 0;
	int skip = 0;
	int rc = db_validate(l->db, msg, sizeof(msg));

	if (rc == 0)
		return 0;
	if (sscanf(msg, "line %u: %n", &line, &skip) < 1 || skip == 0) {
		line = 0;
		skip = 0;
	}
	return lerr(l, line, rc, "%s", msg + skip);
}

struct db *conf_load_string(const char *text, const char *name, char *err, size_t errlen)
{
	struct loader l = {.name = name ? name : "<string>", .err = err, .errlen = errlen};
	yaml_document_t doc, extra;
	yaml_parser_t parser;
	yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_initialize(&parser)) {
		errno = ENOMEM;
		lerr(&l, 0, -ENOMEM, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
	if (!yaml_parser_load(&parser, &doc)) {
		rc = syntax_error(&l, &parser, text);
		yaml_parser_delete(&parser);
		errno = -rc;
		return NULL;
	}
	l.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	/* A second document would be silently ignored; refuse it instead. */
	if (root != NULL) {
		if (!yaml_parser_load(&parser, &extra)) {
			rc = syntax_error(&l, &parser, text);
			goto out;
		}
		if (yaml_document_get_root_node(&extra) != NULL)
			rc = lerr(&l, (unsigned int)extra.start_mark.line + 1, -EINVAL,
				  "more than one YAML document");
		yaml_document_delete(&extra);
		if (rc)
			goto out;
	}
	l.db = db_create();
	if (l.db == NULL) {
		rc = lerr(&l, 0, -ENOMEM, "out of memory");
		goto out;
	}
	rc = root ? load_root(&l, root) : 0;
	if (rc == 0)
		rc = validate(&l);
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc) {
		db_destroy(l.db);
		errno = -rc;
		return NULL;
	}
	return l.db;
}

struct db *conf_load(const char *path, char *err, size_t errlen)
{
	struct db *db;
	char *text = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "re");
	int e;

	if (f == NULL)
		goto fail;
	errno = 0;
	for (;;) {
		if (cap - len < 4096) {
			char *t = realloc(text, cap += 65536);

			if (t == NULL) {
				errno = ENOMEM;
				goto fail;
			}
			text = t;
		}
		size_t got = fread(text + len, 1, cap - len - 1, f);

		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		errno = errno ? errno : EIO;
		goto fail;
	}
	fclose(f);
	text[len] = '\0';
	if (strlen(text) != len) {
		free(text);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: file contains a NUL byte", path);
		errno = EINVAL;
		return NULL;
	}
	db = conf_load_string(text, path, err, errlen);
	e = errno;
	free(text);
	errno = e;
	return db;
fail:
	e = errno;
	if (f != NULL)
		fclose(f);
	free(text);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, strerror(e));
	errno = e;
	return NULL;
}

/* ---- writing ---- */

struct outbuf {
	char *buf;
	size_t len, cap;
	bool failed;
};

static bool out_append(struct outbuf *o, const void *data, size_t n)
{
	if (o->failed)
		return false;
	if (o->cap - o->len <= n) {
		size_t cap = o->cap ? o->cap : 4096;
		char *b;

		while (cap - o->len <= n)
			cap *= 2;
		b = realloc(o->buf, cap);
		if (b == NULL) {
			o->failed = true;
			return false;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, data, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return true;
}

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	return out_append(data, buffer, size);
}

struct emit {
	yaml_emitter_t e;
	bool ok;
};

static void emit_event(struct emit *em, yaml_event_t *ev, int initialized)
{
	if (!initialized || !em->ok) {
		if (initialized)
			yaml_event_delete(ev);
		em->ok = false;
		return;
	}
	/* yaml_emitter_emit() takes ownership of the event, even on failure. */
	if (!yaml_emitter_emit(&em->e, ev))
		em->ok = false;
}

/*
 * Decimal numbers and true/false go out plain; other text that a YAML
 * reader would take for a number, bool or null ("0x6", "0660", "0:1",
 * "yes") is quoted so the file means the same to any YAML tool; everything
 * else is left to the emitter, which quotes only when the syntax needs it.
 */
static yaml_scalar_style_t style_of(const char *s)
{
	static const char *const special[] = {"~", "null", "yes", "no", "on", "off", "y", "n"};
	bool decimal = s[0] != '\0' && (s[0] != '0' || s[1] == '\0');

	for (const char *c = s; decimal && *c; c++)
		decimal = *c >= '0' && *c <= '9';
	if (decimal || strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
		return YAML_PLAIN_SCALAR_STYLE;
	if (s[0] == '\0' || (s[0] >= '0' && s[0] <= '9') || strchr("+-.", s[0]) != NULL)
		return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (strcasecmp(s, special[i]) == 0 || strcasecmp(s, "true") == 0 ||
		    strcasecmp(s, "false") == 0)
			return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	return YAML_ANY_SCALAR_STYLE;
}

static void scalar(struct emit *em, const char *s)
{
	yaml_event_t ev;

	emit_event(em, &ev,
		   yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
						1, 1, style_of(s)));
}

static void mapping_start(struct emit *em)
{
	yaml_event_t ev;

	emit_event(
		em, &ev,
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

static void mapping_end(struct emit *em)
{
	yaml_event_t ev;

	emit_event(em, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void emit_smap(struct emit *em, const char *name, const struct smap *m)
{
	if (m->n == 0)
		return;
	scalar(em, name);
	mapping_start(em);
	for (size_t i = 0; i < m->n; i++) {
		scalar(em, m->nodes[i].key);
		scalar(em, m->nodes[i].value);
	}
	mapping_end(em);
}

static void emit_uint(struct emit *em, const char *name, unsigned int v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	scalar(em, name);
	scalar(em, buf);
}

static void emit_port(struct emit *em, const struct db_port *p)
{
	yaml_event_t ev;

	scalar(em, p->name);
	mapping_start(em);
	/* A fixed, readable order: type first, then what it configures. */
	if (p->type != NULL && p->type[0] != '\0') {
		scalar(em, "type");
		scalar(em, p->type);
	}
	emit_smap(em, "options", &p->options);
	emit_smap(em, "other_config", &p->other_config);
	emit_smap(em, "filter", &p->filter);
	if (p->tag != 0)
		emit_uint(em, "tag", p->tag);
	if (p->n_trunks != 0) {
		scalar(em, "trunks");
		emit_event(em, &ev,
			   yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
								YAML_FLOW_SEQUENCE_STYLE));
		for (size_t i = 0; i < p->n_trunks; i++) {
			char buf[8];

			snprintf(buf, sizeof(buf), "%u", (unsigned int)p->trunks[i]);
			scalar(em, buf);
		}
		emit_event(em, &ev, yaml_sequence_end_event_initialize(&ev));
	}
	if (p->mtu_request != 0)
		emit_uint(em, "mtu_request", p->mtu_request);
	mapping_end(em);
}

static void emit_db(struct emit *em, const struct db *db)
{
	mapping_start(em);
	if (db->other_config.n != 0) {
		scalar(em, "open_vswitch");
		mapping_start(em);
		emit_smap(em, "other_config", &db->other_config);
		mapping_end(em);
	}
	if (db->n_bridges != 0) {
		scalar(em, "bridges");
		mapping_start(em);
	}
	for (size_t i = 0; i < db->n_bridges; i++) {
		const struct db_bridge *br = db->bridges[i];

		scalar(em, br->name);
		mapping_start(em);
		emit_smap(em, "other_config", &br->other_config);
		if (br->n_ports != 0) {
			scalar(em, "ports");
			mapping_start(em);
			for (size_t j = 0; j < br->n_ports; j++)
				emit_port(em, br->ports[j]);
			mapping_end(em);
		}
		mapping_end(em);
	}
	if (db->n_bridges != 0)
		mapping_end(em);
	mapping_end(em);
}

char *conf_dump(const struct db *db)
{
	struct outbuf o = {0};
	struct emit em = {.ok = true};
	yaml_event_t ev;

	out_append(&o, HEADER, strlen(HEADER));
	if (!yaml_emitter_initialize(&em.e)) {
		free(o.buf);
		errno = ENOMEM;
		return NULL;
	}
	yaml_emitter_set_output(&em.e, write_handler, &o);
	yaml_emitter_set_indent(&em.e, 2);
	yaml_emitter_set_width(&em.e, -1);
	yaml_emitter_set_unicode(&em.e, 1);
	yaml_emitter_set_break(&em.e, YAML_LN_BREAK);
	emit_event(&em, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit_event(&em, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	emit_db(&em, db);
	emit_event(&em, &ev, yaml_document_end_event_initialize(&ev, 1));
	emit_event(&em, &ev, yaml_stream_end_event_initialize(&ev));
	if (em.ok && !yaml_emitter_flush(&em.e))
		em.ok = false;
	yaml_emitter_delete(&em.e);
	if (!em.ok || o.failed) {
		free(o.buf);
		/* Our events are well-formed, so libyaml refused the text: not UTF-8. */
		errno = o.failed ? ENOMEM : EILSEQ;
		return NULL;
	}
	return o.buf;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync of the directory makes the rename itself survive a crash. */
static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int tmp_path(const char *path, char *tmp, size_t len, char *err, size_t errlen)
{
	if ((size_t)snprintf(tmp, len, "%s.tmp", path) >= len) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	return 0;
}

/*
 * PATH.tmp is created, never reused: whatever a crash (or anyone who can
 * write in the directory) left there is unlinked first (unlink removes the
 * name only, it follows no symlink and opens no FIFO), then O_EXCL|O_NOFOLLOW
 * makes sure the file written is the one just created.
 */
int conf_save_prepare(const struct db *db, const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	const char *step;
	struct stat st;
	char *text;
	int fd, rc;

	rc = tmp_path(path, tmp, sizeof(tmp), err, errlen);
	if (rc < 0)
		return rc;
	text = conf_dump(db);
	if (text == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot format the configuration: %s", path,
			 strerror(-rc));
		return rc;
	}
	if (unlink(tmp) < 0 && errno != ENOENT) {
		rc = -errno;
		free(text);
		snprintf(err, errlen, "%s: cannot remove the stale file: %s", tmp, strerror(-rc));
		return rc;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		rc = -errno;
		free(text);
		if (rc == -ENOENT)
			snprintf(err, errlen, "%s: cannot create: its directory does not exist",
				 tmp);
		else
			snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(-rc));
		return rc;
	}
	/* Keep the permissions an administrator gave the file. */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		(void)fchmod(fd, st.st_mode & 07777);
	step = "cannot write";
	rc = write_all(fd, text, strlen(text));
	free(text);
	if (rc == 0 && fsync(fd) < 0) {
		step = "cannot fsync";
		rc = -errno;
	}
	if (close(fd) < 0 && rc == 0) {
		step = "cannot close";
		rc = -errno;
	}
	if (rc) {
		unlink(tmp);
		snprintf(err, errlen, "%s: %s: %s", tmp, step, strerror(-rc));
	}
	return rc;
}

int conf_save_commit(const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int rc;

	rc = tmp_path(path, tmp, sizeof(tmp), err, errlen);
	if (rc < 0)
		return rc;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		unlink(tmp);
		snprintf(err, errlen, "%s: cannot rename over the configuration file: %s", tmp,
			 strerror(-rc));
		return rc;
	}
	rc = sync_dir(path);
	if (rc)
		snprintf(err, errlen, "%s: saved, but cannot fsync its directory: %s", path,
			 strerror(-rc));
	return rc;
}

void conf_save_abort(const char *path)
{
	char tmp[PATH_MAX], err[64];

	if (tmp_path(path, tmp, sizeof(tmp), err, sizeof(err)) == 0)
		unlink(tmp);
}

int conf_save(const struct db *db, const char *path, char *err, size_t errlen)
{
	int rc = conf_save_prepare(db, path, err, errlen);

	return rc < 0 ? rc : conf_save_commit(path, err, errlen);
}
