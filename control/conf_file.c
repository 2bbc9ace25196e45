/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf_file: reading the YAML configuration file at kvswitchd start and on
 * reload (conf_save.c writes it); the unit tests use the string variant.  Parsing goes through
 * libyaml's document loader so every node keeps its line and every error can say "FILE:LINE:
 * message". Values go into the db through db_set() (syntax) and the schema's per-key check
 * (ranges), then db_validate() judges the whole; records keep the line they were defined on for
 * db_validate()'s messages.
 *
 * Format (every section optional; an empty file is an empty config):
 *
 *   ovsdb: unix:/var/run/openvswitch/db.sock   # OVSDB mode: the configuration
 *                              # is that database; then the file holds nothing else
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
 *           tag: 10            # access VLAN (or native VLAN, see vlan_mode)
 *           trunks: [10, 20]   # or "10,20"; exclusive with tag
 *           vlan_mode: native-untagged  # access, trunk, native-tagged
 *           mtu_request: 9000
 *           ingress_policing_rate: 10000   # kbit/s (OVS's Interface column)
 *           ingress_policing_burst: 1000   # kbit
 *           qos:               # OVS's QoS row of the Port (docs/ovs-compat.md)
 *             type: egress-policer        # or trtcm-policer (cir cbs eir ebs)
 *             other_config: {cir: 1250000, cbs: 15000}   # bytes/s, bytes
 *       mirrors:
 *         m0:                  # mirror name (OVS's Mirror table)
 *           select_all: false  # every frame of the bridge
 *           select_src_port: [vm1]     # frames received on these ports
 *           select_dst_port: [vm1]     # frames sent to these ports
 *           select_vlan: [10]  # only in these VLANs (none: all)
 *           output_port: vm2   # required: where the copies go
 *           output_vlan: 10    # read, and refused by db_validate()
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
#include "control/db_priv.h"

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

static yaml_node_t *item(struct loader *l, yaml_node_t *seq, size_t i)
{
	return node(l, seq->data.sequence.items.start[i]);
}

/* A list of non-empty scalars, or nothing ("key:" alone, an empty list);
 * n is its length.  what names the record, k the key, items what it lists. */
static int check_list(struct loader *l, const char *what, yaml_node_t *k, yaml_node_t *v,
		      const char *items, size_t *n)
{
	*n = 0;
	if (is_empty(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return lerr(l, line_of(v), -EINVAL, "%s: %s must be a list of %s, not %s", what,
			    text_of(k), items, kind_name(v));
	for (size_t i = 0; v->data.sequence.items.start + i < v->data.sequence.items.top; i++) {
		yaml_node_t *it = item(l, v, i);

		if (it->type != YAML_SCALAR_NODE || text_of(it)[0] == '\0')
			return lerr(l, line_of(it), -EINVAL, "%s: %s items must be %s, not %s",
				    what, text_of(k), items,
				    it->type == YAML_SCALAR_NODE ? "an empty value"
								 : kind_name(it));
		(*n)++;
	}
	return 0;
}

/* trunks: [10, 20] or the text forms db_set() takes. */
static int load_trunks(struct loader *l, const char *what, const char *port, yaml_node_t *k,
		       yaml_node_t *v)
{
	char *text;
	size_t n, len = 0, cap = 1;
	int rc;

	if (v->type == YAML_SCALAR_NODE)
		return set(l, v, "Port", port, "trunks", NULL, text_of(v), NULL);
	rc = check_list(l, what, k, v, "VLAN numbers", &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		cap += strlen(text_of(item(l, v, i))) + 1;
	text = malloc(cap);
	if (text == NULL)
		return lerr(l, line_of(k), -ENOMEM, "out of memory");
	text[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s%s", len ? "," : "",
					text_of(item(l, v, i)));
	rc = set(l, v, "Port", port, "trunks", NULL, text, NULL);
	free(text);
	return rc;
}

/* qos: {type: egress-policer, other_config: {cir: N, cbs: N}}, OVS's QoS row
 * inline in its port. */
static int load_qos(struct loader *l, const char *port, yaml_node_t *at, yaml_node_t *m)
{
	const char *type = NULL, *value;
	char what[96], msg[DB_ERR_LEN];
	struct smap oc;
	size_t n, no;
	int rc;

	snprintf(what, sizeof(what), "port '%s': qos", port);
	rc = check_mapping(l, m, what, &n);
	smap_init(&oc);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		yaml_node_t *k = node(l, pair(m, i)->key), *v = node(l, pair(m, i)->value);

		if (strcmp(text_of(k), "type") == 0) {
			rc = scalar_value(l, k, v, what, &type);
		} else if (strcmp(text_of(k), "other_config") == 0) {
			rc = check_mapping(l, v, what, &no);
			for (size_t j = 0; rc == 0 && j < no; j++) {
				yaml_node_t *ok = node(l, pair(v, j)->key);

				rc = scalar_value(l, ok, node(l, pair(v, j)->value), what, &value);
				if (rc == 0 && smap_set(&oc, text_of(ok), value) != 0)
					rc = lerr(l, line_of(ok), -ENOMEM, "out of memory");
			}
		} else {
			rc = lerr(l, line_of(k), -EINVAL,
				  "%s: unknown key '%s' (expected type or other_config)", what,
				  text_of(k));
		}
	}
	if (rc == 0) {
		rc = db_qos_parse(type, &oc, &db_port_find(l->db, port, NULL)->qos, what, msg,
				  sizeof(msg));
		if (rc)
			rc = lerr(l, line_of(at), rc, "%s", msg);
	}
	smap_destroy(&oc);
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
		} else if (strcmp(key, "tag") == 0 || strcmp(key, "mtu_request") == 0 ||
			   strcmp(key, "vlan_mode") == 0 ||
			   strcmp(key, "ingress_policing_rate") == 0 ||
			   strcmp(key, "ingress_policing_burst") == 0) {
			rc = scalar_value(l, k, v, what, &value);
			if (rc == 0)
				rc = set(l, v, "Port", port, key, NULL, value, NULL);
		} else if (strcmp(key, "trunks") == 0) {
			rc = load_trunks(l, what, port, k, v);
		} else if (strcmp(key, "qos") == 0) {
			rc = load_qos(l, port, k, v);
		} else {
			rc = lerr(l, line_of(k), -EINVAL,
				  "port '%s': unknown key '%s' (expected type, options, "
				  "other_config, filter, tag, trunks, vlan_mode, mtu_request, "
				  "ingress_policing_rate, ingress_policing_burst or qos)",
				  port, key);
		}
	}
	if (rc == 0)
		db_port_find(l->db, port, NULL)->line = line_of(name);
	return rc;
}

/* select_src_port, select_dst_port: port names, pointing into the document
 * until db_mirror_put() copies them. */
static int load_names(struct loader *l, const char *what, yaml_node_t *k, yaml_node_t *v,
		      char ***out, size_t *n_out)
{
	size_t n;
	int rc = check_list(l, what, k, v, "port names", &n);

	if (rc || n == 0)
		return rc;
	*out = calloc(n, sizeof(**out));
	if (*out == NULL)
		return lerr(l, line_of(k), -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		(*out)[i] = (char *)text_of(item(l, v, i));
	*n_out = n;
	return 0;
}

static int load_vlans(struct loader *l, const char *what, yaml_node_t *k, yaml_node_t *v,
		      struct db_mirror *mi)
{
	size_t n;
	int rc = check_list(l, what, k, v, "VLAN numbers", &n);

	if (rc || n == 0)
		return rc;
	if (n > 4096) /* n_vlans is 16 bits; there are 4096 VLANs */
		return lerr(l, line_of(k), -EINVAL, "%s: select_vlan: %zu items, at most 4096",
			    what, n);
	mi->select_vlans = calloc(n, sizeof(*mi->select_vlans));
	if (mi->select_vlans == NULL)
		return lerr(l, line_of(k), -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = item(l, v, i);
		uint64_t vlan;

		if (db_parse_uint(text_of(it), 4095, &vlan) != 0)
			return lerr(l, line_of(it), -EINVAL,
				    "%s: select_vlan: '%s' is not a VLAN number (0..4095)", what,
				    text_of(it));
		mi->select_vlans[i] = (uint16_t)vlan;
	}
	mi->n_vlans = (uint16_t)n;
	return 0;
}

/* One key of a mirror into mi. */
static int load_mirror_key(struct loader *l, const char *what, yaml_node_t *k, yaml_node_t *v,
			   struct db_mirror *mi)
{
	const char *key = text_of(k), *value;
	uint64_t num;
	int rc;

	if (strcmp(key, "select_src_port") == 0)
		return load_names(l, what, k, v, &mi->src_ports, &mi->n_src);
	if (strcmp(key, "select_dst_port") == 0)
		return load_names(l, what, k, v, &mi->dst_ports, &mi->n_dst);
	if (strcmp(key, "select_vlan") == 0)
		return load_vlans(l, what, k, v, mi);
	if (strcmp(key, "select_all") != 0 && strcmp(key, "output_port") != 0 &&
	    strcmp(key, "output_vlan") != 0)
		return lerr(l, line_of(k), -EINVAL,
			    "%s: unknown key '%s' (expected select_all, select_src_port, "
			    "select_dst_port, select_vlan or output_port)",
			    what, key);
	rc = scalar_value(l, k, v, what, &value);
	if (rc)
		return rc;
	if (strcmp(key, "output_port") == 0) {
		mi->output_port = (char *)value;
	} else if (strcmp(key, "select_all") == 0) {
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return lerr(l, line_of(v), -EINVAL,
				    "%s: select_all '%s' is not true or false", what, value);
		mi->select_all = strcmp(value, "true") == 0;
	} else {
		/* read so that db_validate() says why it is refused */
		if (db_parse_uint(value, 4095, &num) != 0 || num == 0)
			return lerr(l, line_of(v), -EINVAL,
				    "%s: output_vlan '%s' is not a VLAN number (1..4095)", what,
				    value);
		mi->output_vlan = (uint16_t)num;
	}
	return 0;
}

static int load_mirror(struct loader *l, const char *bridge, yaml_node_t *name, yaml_node_t *m)
{
	struct db_mirror mi = {.name = (char *)text_of(name), .line = line_of(name)};
	char what[128];
	size_t n;
	int rc;

	snprintf(what, sizeof(what), "mirror '%s' of bridge '%s'", mi.name, bridge);
	rc = check_mapping(l, m, what, &n);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = load_mirror_key(l, what, node(l, pair(m, i)->key), node(l, pair(m, i)->value),
				     &mi);
	if (rc == 0 && db_mirror_put(l->db, bridge, &mi) < 0)
		rc = lerr(l, line_of(name), -ENOMEM, "out of memory");
	/* the names are the document's; only the arrays are ours */
	free(mi.src_ports);
	free(mi.dst_ports);
	free(mi.select_vlans);
	return rc;
}

/* A bridge's ports or mirrors: NAME: mapping, each given to load(). */
static int load_records(struct loader *l, const char *br, yaml_node_t *k, yaml_node_t *v,
			int (*load)(struct loader *, const char *, yaml_node_t *, yaml_node_t *))
{
	char what[96];
	size_t n;
	int rc;

	snprintf(what, sizeof(what), "bridge '%s' %s", br, text_of(k));
	rc = check_mapping(l, v, what, &n);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = load(l, br, node(l, pair(v, i)->key), node(l, pair(v, i)->value));
	return rc;
}

static int load_bridge(struct loader *l, yaml_node_t *name, yaml_node_t *m)
{
	const char *br = text_of(name);
	char what[96], msg[DB_ERR_LEN];
	size_t n;
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
			rc = load_records(l, br, k, v, load_port);
		} else if (strcmp(text_of(k), "mirrors") == 0) {
			rc = load_records(l, br, k, v, load_mirror);
		} else {
			rc = lerr(l, line_of(k), -EINVAL,
				  "bridge '%s': unknown key '%s' (expected other_config, ports or "
				  "mirrors)",
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

		if (strcmp(text_of(k), "ovsdb") == 0) {
			const char *remote;

			rc = scalar_value(l, k, v, "top-level key", &remote);
			if (rc == 0 && strncmp(remote, "unix:", 5) != 0)
				rc = lerr(l, line_of(v), -EINVAL,
					  "ovsdb '%s': kvswitchd connects to ovsdb-server by "
					  "unix:PATH only",
					  remote);
			if (rc == 0 && (l->db->ovsdb = strdup(remote)) == NULL)
				rc = lerr(l, line_of(v), -ENOMEM, "out of memory");
		} else if (strcmp(text_of(k), "open_vswitch") == 0) {
			rc = load_ovs(l, v);
		} else if (strcmp(text_of(k), "bridges") == 0) {
			rc = check_mapping(l, v, "bridges", &nb);
			for (size_t j = 0; rc == 0 && j < nb; j++)
				rc = load_bridge(l, node(l, pair(v, j)->key),
						 node(l, pair(v, j)->value));
		} else {
			rc = lerr(l, line_of(k), -EINVAL,
				  "unknown top-level key '%s' (expected ovsdb, open_vswitch or "
				  "bridges)",
				  text_of(k));
		}
	}
	if (rc == 0 && l->db->ovsdb != NULL && (l->db->n_bridges || l->db->other_config.n))
		rc = lerr(l, 0, -EINVAL,
			  "a file with 'ovsdb:' holds nothing else: the configuration is the "
			  "database at %s (change it with ovs-vsctl)",
			  l->db->ovsdb);
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
