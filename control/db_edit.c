/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db_edit: the generic edits of the configuration model (control/db.h),
 * db_set/db_clear/db_get in ovs-vsctl's words, used by the control thread's
 * command handlers (control/cmd.c), the config file loader
 * (control/conf_file.c) and OVSDB mode (control/ovsdb_map.c).
 *
 * Only syntax is checked here (known table and column, numbers that parse,
 * known port type); ranges that need other keys and every cross-record rule
 * are db_validate()'s job (control/db_schema.c), so that a transaction can
 * pass through invalid intermediate states and be judged once at the end.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/db.h"
#include "control/db_priv.h"

#define TAG_MIN  1
#define TAG_MAX  4094
#define VLAN_MAX 4095
#define MTU_MIN  68
#define MTU_MAX  9710

#define fail db_fail

static const char *const vlan_modes[] = {
	[DB_VLAN_MODE_ACCESS] = "access",
	[DB_VLAN_MODE_TRUNK] = "trunk",
	[DB_VLAN_MODE_NATIVE_TAGGED] = "native-tagged",
	[DB_VLAN_MODE_NATIVE_UNTAGGED] = "native-untagged",
};

const char *db_vlan_mode_name(enum db_vlan_mode m)
{
	return m > DB_VLAN_MODE_NONE && m <= DB_VLAN_MODE_NATIVE_UNTAGGED ? vlan_modes[m] : NULL;
}

int db_vlan_mode_parse(const char *s, enum db_vlan_mode *out)
{
	for (int m = DB_VLAN_MODE_ACCESS; m <= DB_VLAN_MODE_NATIVE_UNTAGGED; m++)
		if (strcmp(s, vlan_modes[m]) == 0) {
			*out = (enum db_vlan_mode)m;
			return 0;
		}
	return -EINVAL;
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
	C_VLAN_MODE,
	C_MTU,
	C_POLICING_RATE,
	C_POLICING_BURST,
	C_DATAPATH_TYPE,
	C_QOS,
	C_MIRRORS
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
	{"vlan_mode", C_VLAN_MODE, T_PORT, false, false},
	{"mtu_request", C_MTU, T_PORT, false, false},
	{"ingress_policing_rate", C_POLICING_RATE, T_PORT, false, false},
	{"ingress_policing_burst", C_POLICING_BURST, T_PORT, false, false},
	/* OVS-DPDK guides start with datapath_type=netdev: the only kind
	 * kvswitch has, so it is accepted and not stored */
	{"datapath_type", C_DATAPATH_TYPE, T_BRIDGE, false, false},
	/* references in OVS: set only with one (control/cmd_ref.c), cleared
	 * and read here */
	{"qos", C_QOS, T_PORT, false, false},
	{"mirrors", C_MIRRORS, T_BRIDGE, false, false},
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
	/* a key of trunks (a set) is one of its VLANs: db_clear removes it */
	if (!c->is_map && key != NULL && !(c->col == C_TRUNKS && !set && write))
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

/* The record now differs from what the file said: a later validation error
 * about it must not point the user at a config file line. */
static void edited(struct target *t)
{
	if (t->br != NULL)
		t->br->line = 0;
	if (t->port != NULL)
		t->port->line = 0;
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
	case C_VLAN_MODE: {
		enum db_vlan_mode m;

		if (db_vlan_mode_parse(value, &m) < 0)
			return fail(
				err, errlen, -EINVAL,
				"%s: vlan_mode '%s' is not one of access, trunk, native-tagged, "
				"native-untagged",
				t.what, value);
		t.port->vlan_mode = (uint8_t)m;
		break;
	}
	case C_DATAPATH_TYPE:
		if (value[0] != '\0' && strcmp(value, "netdev") != 0)
			return fail(err, errlen, -EINVAL,
				    "%s: datapath_type '%s': kvswitch runs only the netdev "
				    "(userspace) datapath",
				    t.what, value);
		return 0;
	case C_MTU:
		rc = parse_ranged(t.what, "mtu_request", value, MTU_MIN, MTU_MAX, &num, err,
				  errlen);
		if (rc)
			return rc;
		t.port->mtu_request = (uint32_t)num;
		break;
	case C_POLICING_RATE:
	case C_POLICING_BURST:
		rc = parse_ranged(t.what, column, value, 0, UINT32_MAX, &num, err, errlen);
		if (rc)
			return rc;
		*(c->col == C_POLICING_RATE ? &t.port->policing_rate : &t.port->policing_burst) =
			(uint32_t)num;
		break;
	case C_QOS:
	case C_MIRRORS:
		return fail(err, errlen, -EINVAL,
			    "%s: column '%s' takes a record created in the same command, as "
			    "%s=@name after -- --id=@name create %s ... (kvsctl --help)",
			    t.what, column, column, c->col == C_QOS ? "QoS" : "Mirror");
	default:
		return fail(err, errlen, -EINVAL, "%s: column '%s' is read-only", t.what, column);
	}
	edited(&t);
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
		if (key != NULL) { /* remove one VLAN of the set */
			uint64_t vlan;
			uint16_t k = 0;

			if (db_parse_uint(key, VLAN_MAX, &vlan) != 0)
				return fail(err, errlen, -EINVAL,
					    "%s: trunks: '%s' is not a VLAN 0..%d", t.what, key,
					    VLAN_MAX);
			for (uint16_t i = 0; i < t.port->n_trunks; i++)
				if (t.port->trunks[i] != vlan)
					t.port->trunks[k++] = t.port->trunks[i];
			t.port->n_trunks = k;
			break;
		}
		free(t.port->trunks);
		t.port->trunks = NULL;
		t.port->n_trunks = 0;
		break;
	case C_VLAN_MODE:
		t.port->vlan_mode = DB_VLAN_MODE_NONE;
		break;
	case C_DATAPATH_TYPE:
		return 0;
	case C_MTU:
		t.port->mtu_request = 0;
		break;
	case C_POLICING_RATE:
		t.port->policing_rate = 0;
		break;
	case C_POLICING_BURST:
		t.port->policing_burst = 0;
		break;
	case C_QOS:
		t.port->qos = (struct db_qos){0};
		break;
	case C_MIRRORS:
		db_mirror_del(db, t.br->name, NULL);
		return 0;
	default:
		return fail(err, errlen, -EINVAL, "%s: column '%s' is read-only", t.what, column);
	}
	edited(&t);
	return 0;
}

int db_add(struct db *db, const char *table, const char *record, const char *column,
	   const char *value, char *err, size_t errlen)
{
	const struct column_def *c;
	struct target t;
	int rc;

	rc = resolve(db, table, record, &t, err, errlen);
	if (rc == 0)
		rc = find_column(&t, column, NULL, true, false, &c, err, errlen);
	if (rc)
		return rc;
	if (value == NULL)
		return fail(err, errlen, -EINVAL, "%s: no value to add to '%s'", t.what, column);
	if (c->col == C_TRUNKS) {
		char text[8 * (VLAN_MAX + 1) + 32];
		size_t pos = 0;
		uint16_t *v = NULL, n = 0;

		for (uint16_t i = 0; i < t.port->n_trunks; i++)
			pos += (size_t)snprintf(text + pos, sizeof(text) - pos, "%u,",
						(unsigned int)t.port->trunks[i]);
		snprintf(text + pos, sizeof(text) - pos, "%s", value);
		rc = parse_trunks(t.what, text, &v, &n, err, errlen);
		if (rc)
			return rc;
		free(t.port->trunks);
		t.port->trunks = v;
		t.port->n_trunks = n;
	} else if (c->is_map) {
		/* ovs-vsctl add: KEY=VALUE, and an existing key keeps its value */
		const char *eq = strchr(value, '=');
		char key[256];

		if (eq == NULL || eq == value || (size_t)(eq - value) >= sizeof(key))
			return fail(err, errlen, -EINVAL, "%s: add to map '%s' takes KEY=VALUE",
				    t.what, column);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - value), value);
		if (smap_get(target_map(&t, c->col), key) == NULL &&
		    smap_set(target_map(&t, c->col), key, eq + 1))
			return fail(err, errlen, -ENOMEM, "out of memory");
	} else {
		return fail(err, errlen, -EINVAL,
			    "%s: column '%s' is neither a set nor a map: use set", t.what, column);
	}
	edited(&t);
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
	case C_VLAN_MODE:
		if (t.port->vlan_mode == DB_VLAN_MODE_NONE)
			return fail(err, errlen, -ENOENT, "%s: vlan_mode is not set", t.what);
		ok = append(out, outlen, &pos, "%s", db_vlan_mode_name(t.port->vlan_mode));
		break;
	case C_DATAPATH_TYPE:
		ok = append(out, outlen, &pos, "netdev");
		break;
	case C_MTU:
		if (t.port->mtu_request == 0)
			return fail(err, errlen, -ENOENT, "%s: mtu_request is not set", t.what);
		ok = append(out, outlen, &pos, "%u", (unsigned int)t.port->mtu_request);
		break;
	case C_POLICING_RATE:
		ok = append(out, outlen, &pos, "%u", (unsigned int)t.port->policing_rate);
		break;
	case C_POLICING_BURST:
		ok = append(out, outlen, &pos, "%u", (unsigned int)t.port->policing_burst);
		break;
	case C_QOS: {
		struct smap oc;

		if (t.port->qos.type == DB_QOS_NONE)
			return fail(err, errlen, -ENOENT, "%s: qos is not set", t.what);
		smap_init(&oc);
		ok = db_qos_other_config(&t.port->qos, &oc) == 0 &&
		     append(out, outlen, &pos, "type=%s other_config={",
			    db_qos_type_name(t.port->qos.type));
		for (size_t i = 0; ok && i < oc.n; i++)
			ok = append(out, outlen, &pos, "%s%s=%s", i ? ", " : "", oc.nodes[i].key,
				    oc.nodes[i].value);
		ok = ok && append(out, outlen, &pos, "}");
		smap_destroy(&oc);
		break;
	}
	case C_MIRRORS:
		ok = append(out, outlen, &pos, "[");
		for (size_t i = 0; ok && i < t.br->n_mirrors; i++)
			ok = append(out, outlen, &pos, "%s%s", i ? ", " : "",
				    t.br->mirrors[i]->name);
		ok = ok && append(out, outlen, &pos, "]");
		break;
	}
	if (!ok)
		return fail(err, errlen, -ENOSPC, "%s: value of '%s' does not fit in %zu bytes",
			    t.what, column, outlen);
	return 0;
}
