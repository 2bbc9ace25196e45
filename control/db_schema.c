/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db_schema: what a valid configuration is (db_validate); the typed views
 * with defaults filled in that control/apply.c reads are db_cfg.c.  One table of known keys per
 * place (Open_vSwitch other_config, Bridge other_config, Interface options
 * per port type, Port other_config) holds each key's syntax and range, so a
 * new key is one line here.  control/conf_file.c also checks single keys
 * through db_schema_check_key() so that file errors point at the key's line.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/db.h"
#include "control/db_priv.h"
#include "control/filter_cfg.h"

/* A unix socket path is at most 107 bytes (sun_path); a server port's socket
 * is vhost-sock-dir + "/" + a name of up to 31 characters. */
#define SUN_PATH_MAX 107
#define SOCK_DIR_MAX (SUN_PATH_MAX - 1 - 31)

enum kind {
	K_UINT,     /* decimal in min..max */
	K_BOOL,     /* true | false */
	K_CHOICE,   /* one of choices ("a|b|c") */
	K_MASK,     /* non-zero 64-bit hex CPU mask, "0x" optional */
	K_MODE,     /* octal file mode 0..0777 */
	K_ABSPATH,  /* absolute path of at most max characters */
	K_GROUP,    /* an existing group name */
	K_TEXT,     /* anything */
	K_NONEMPTY, /* non-empty, at most max characters */
	K_POW2,     /* power of 2 in min..max */
	K_AFFINITY, /* Q:CORE[,Q:CORE...] */
	K_MACS,     /* unicast MAC[,MAC...], at most DB_MAX_ATTACHED_MACS */
};

#define T_SERVER (1u << DB_PORT_VHOST_SERVER)
#define T_CLIENT (1u << DB_PORT_VHOST_CLIENT)
#define T_DPDK   (1u << DB_PORT_DPDK)

struct key_def {
	const char *key;
	enum kind kind;
	uint64_t min, max;
	const char *choices;
	unsigned int types; /* options only: the port types that take this key */
	bool required;      /* options only: required for those types */
};

static const struct key_def ovs_keys[] = {
	{"dpdk-devargs-allow", K_TEXT},          /* file only (control/db_socket.c) */
	{"dpdk-extra", K_TEXT},                  /* file only */
	{"metrics-address", K_NONEMPTY, 0, 127}, /* HOST:PORT, checked when bound */
	{"n-mbufs", K_UINT, 4096, 1048576},
	{"pmd-auto-lb", K_BOOL},
	{"pmd-auto-lb-improvement-threshold", K_UINT, 0, 100},
	{"pmd-auto-lb-load-threshold", K_UINT, 10, 100},
	{"pmd-auto-lb-rebal-interval", K_UINT, 1, 20000},
	/* For tests: the interval in milliseconds (also shortens the load
	 * window to match, see control/rxq_load.h). */
	{"pmd-auto-lb-rebal-interval-ms", K_UINT, 1000, 3600000},
	{"pmd-cpu-mask", K_MASK},
	{"pmd-rxq-assign", K_CHOICE, .choices = "cycles|roundrobin|group"},
	{"pmd-rxq-isolate", K_BOOL},
	{"pmd-sleep-max", K_UINT, 0, 10000},
	{"vhost-sock-dir", K_ABSPATH, 0, SOCK_DIR_MAX},
	{"vhost-sock-group", K_GROUP},
	{"vhost-sock-mode", K_MODE},
	{NULL},
};

static const struct key_def bridge_keys[] = {
	{"mac-aging-time", K_UINT, 1, 86400},
	/* The upper bound is the effective mac-table-size, checked in validate_bridge. */
	{"mac-port-limit", K_UINT, 1, 1048576},
	{"mac-table-size", K_UINT, 16, 1048576},
	{NULL},
};

static const struct key_def port_options[] = {
	{"dpdk-devargs", K_NONEMPTY, 0, 511, .types = T_DPDK, .required = true},
	{"gro", K_BOOL, .types = T_DPDK},
	{"n_rxq", K_UINT, 1, 1024, .types = T_DPDK},
	{"n_rxq_desc", K_POW2, 32, 4096, .types = T_DPDK},
	{"n_txq_desc", K_POW2, 32, 4096, .types = T_DPDK},
	{"promiscuous", K_BOOL, .types = T_DPDK},
	{"rx-interrupts", K_BOOL, .types = T_DPDK},
	{"csum", K_BOOL, .types = T_SERVER | T_CLIENT},
	{"ecn", K_BOOL, .types = T_SERVER | T_CLIENT},
	{"tso", K_BOOL, .types = T_SERVER | T_CLIENT},
	{"tx-retries-max", K_UINT, 0, 32, .types = T_SERVER | T_CLIENT},
	{"tx-hold-ms", K_UINT, 0, 10000, .types = T_SERVER | T_CLIENT},
	{"vhost-server-path", K_ABSPATH, 0, SUN_PATH_MAX, .types = T_CLIENT, .required = true},
	{NULL},
};

static const struct key_def port_other_config[] = {
	{"attached-mac", K_MACS},
	{"mac-limit", K_UINT, 1, 1048576},
	{"pmd-rxq-affinity", K_AFFINITY},
	{NULL},
};

static const char *const type_names[] = {
	[DB_PORT_VHOST_SERVER] = "dpdkvhostuser",
	[DB_PORT_VHOST_CLIENT] = "dpdkvhostuserclient",
	[DB_PORT_DPDK] = "dpdk",
};

#define N_TYPES ((int)(sizeof(type_names) / sizeof(type_names[0])))

static int type_of(const char *type)
{
	for (int i = 0; type != NULL && i < N_TYPES; i++)
		if (strcmp(type, type_names[i]) == 0)
			return i;
	return -1;
}

int db_schema_type_of(const char *type)
{
	return type_of(type);
}

bool db_schema_type_known(const char *type)
{
	return type_of(type) >= 0;
}

int db_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int db_parse_mask(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		if (v != 0 || d != 0)
			digits++;
		if (digits > 16)
			return -ERANGE;
		v = (v << 4) | (uint64_t)d;
	}
	*out = v;
	return 0;
}

int db_parse_mode(const char *s, int *out)
{
	long v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return -EINVAL;
		v = v * 8 + (*s - '0');
		if (v > 0777)
			return -ERANGE;
	}
	*out = (int)v;
	return 0;
}

int db_parse_affinity(const char *s, struct db_affinity *out, uint16_t *n_out, char *why,
		      size_t len)
{
	uint64_t seen[1024 / 64] = {0};
	const char *p = s;
	uint16_t n = 0;

	for (;;) {
		uint64_t q, core;
		char *end;

		while (*p == ' ')
			p++;
		if (*p < '0' || *p > '9')
			goto syntax;
		q = strtoull(p, &end, 10);
		p = end;
		if (*p != ':' || p[1] < '0' || p[1] > '9')
			goto syntax;
		core = strtoull(p + 1, &end, 10);
		p = end;
		while (*p == ' ')
			p++;
		if (*p != ',' && *p != '\0')
			goto syntax;
		if (q > 1023) {
			snprintf(why, len, "'%s': queue %llu is out of range 0..1023", s,
				 (unsigned long long)q);
			return -EINVAL;
		}
		if (core > 127) {
			snprintf(why, len, "'%s': core %llu is out of range 0..127", s,
				 (unsigned long long)core);
			return -EINVAL;
		}
		if (seen[q / 64] & (1ULL << (q % 64))) {
			snprintf(why, len, "'%s': queue %llu is listed twice", s,
				 (unsigned long long)q);
			return -EINVAL;
		}
		if (n == DB_MAX_AFFINITY) {
			snprintf(why, len, "'%s': more than %d queues", s, DB_MAX_AFFINITY);
			return -EINVAL;
		}
		seen[q / 64] |= 1ULL << (q % 64);
		if (out != NULL)
			out[n] = (struct db_affinity){.qid = (uint16_t)q, .core = (uint16_t)core};
		n++;
		if (*p == '\0')
			break;
		p++;
	}
	if (n_out != NULL)
		*n_out = n;
	return 0;
syntax:
	snprintf(why, len, "'%s' is not QUEUE:CORE[,QUEUE:CORE...]", s);
	return -EINVAL;
}

/* "52:54:00:00:00:01[,52:54:00:00:00:02...]": unicast MACs, each once. */
int db_parse_macs(const char *s, uint8_t (*out)[6], uint8_t *n_out, char *why, size_t len)
{
	uint8_t macs[DB_MAX_ATTACHED_MACS][6];
	const char *p = s;
	unsigned int n = 0, i, k;

	for (;;) {
		while (*p == ' ')
			p++;
		/* exactly xx:xx:xx:xx:xx:xx, hex digits in either case */
		for (k = 0; k < 17; k++)
			if (k % 3 == 2 ? p[k] != ':' : !isxdigit((unsigned char)p[k]))
				break;
		if (k < 17) {
			snprintf(why, len, "'%s' is not MAC[,MAC...] (xx:xx:xx:xx:xx:xx)", s);
			return -EINVAL;
		}
		if (n == DB_MAX_ATTACHED_MACS) {
			snprintf(why, len, "'%s': more than %d MACs", s, DB_MAX_ATTACHED_MACS);
			return -EINVAL;
		}
		for (k = 0; k < 6; k++)
			macs[n][k] =
				(uint8_t)strtoul((char[3]){p[3 * k], p[3 * k + 1], 0}, NULL, 16);
		if (macs[n][0] & 1) {
			snprintf(why, len, "'%.17s' is a multicast MAC", p);
			return -EINVAL;
		}
		for (i = 0; i < n; i++)
			if (memcmp(macs[i], macs[n], 6) == 0) {
				snprintf(why, len, "'%s': %.17s is listed twice", s, p);
				return -EINVAL;
			}
		n++;
		p += 17;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (*p != ',') {
			snprintf(why, len, "'%s' is not MAC[,MAC...] (xx:xx:xx:xx:xx:xx)", s);
			return -EINVAL;
		}
		p++;
	}
	if (out != NULL)
		memcpy(out, macs, n * sizeof(macs[0]));
	if (n_out != NULL)
		*n_out = (uint8_t)n;
	return 0;
}

/* Checks one value against its key's definition; why gets the reason. */
static int check_value(const struct key_def *d, const char *v, char *why, size_t len)
{
	uint64_t u;
	int mode;
	size_t vlen = strlen(v);

	switch (d->kind) {
	case K_UINT:
	case K_POW2:
		if (db_parse_uint(v, UINT64_MAX, &u) == -EINVAL) {
			snprintf(why, len, "'%s' is not a number", v);
			return -EINVAL;
		}
		if (db_parse_uint(v, d->max, &u) != 0 || u < d->min) {
			snprintf(why, len, "'%s' is out of range %llu..%llu", v,
				 (unsigned long long)d->min, (unsigned long long)d->max);
			return -EINVAL;
		}
		if (d->kind == K_POW2 && (u & (u - 1)) != 0) {
			snprintf(why, len, "'%s' is not a power of 2", v);
			return -EINVAL;
		}
		return 0;
	case K_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
			return 0;
		snprintf(why, len, "'%s' is not true or false", v);
		return -EINVAL;
	case K_CHOICE:
		for (const char *c = d->choices; c != NULL; c = strchr(c, '|')) {
			c += (*c == '|');
			if (strncmp(c, v, vlen) == 0 && (c[vlen] == '|' || c[vlen] == '\0'))
				return 0;
		}
		snprintf(why, len, "'%s' is not one of %s", v, d->choices);
		return -EINVAL;
	case K_MASK:
		switch (db_parse_mask(v, &u)) {
		case -EINVAL:
			snprintf(why, len, "'%s' is not a hexadecimal CPU mask", v);
			return -EINVAL;
		case -ERANGE:
			snprintf(why, len, "'%s' does not fit in 64 bits", v);
			return -EINVAL;
		}
		if (u == 0) {
			snprintf(why, len, "'%s' selects no CPU", v);
			return -EINVAL;
		}
		return 0;
	case K_MODE:
		switch (db_parse_mode(v, &mode)) {
		case -EINVAL:
			snprintf(why, len, "'%s' is not an octal mode", v);
			return -EINVAL;
		case -ERANGE:
			snprintf(why, len, "'%s' is out of range 0..0777", v);
			return -EINVAL;
		}
		return 0;
	case K_ABSPATH:
		if (v[0] != '/') {
			snprintf(why, len, "'%s' is not an absolute path", v);
			return -EINVAL;
		}
		if (vlen > d->max) {
			snprintf(why, len, "'%s' is longer than %llu characters", v,
				 (unsigned long long)d->max);
			return -EINVAL;
		}
		return 0;
	case K_GROUP:
		if (vlen == 0 || vlen >= sizeof(((struct db_ovs_cfg *)0)->vhost_sock_group) ||
		    getgrnam(v) == NULL) {
			snprintf(why, len, "group '%s' does not exist", v);
			return -EINVAL;
		}
		return 0;
	case K_TEXT:
		return 0;
	case K_NONEMPTY:
		if (vlen == 0) {
			snprintf(why, len, "must not be empty");
			return -EINVAL;
		}
		if (vlen > d->max) {
			snprintf(why, len, "'%s' is longer than %llu characters", v,
				 (unsigned long long)d->max);
			return -EINVAL;
		}
		return 0;
	case K_AFFINITY:
		return db_parse_affinity(v, NULL, NULL, why, len);
	case K_MACS:
		return db_parse_macs(v, NULL, NULL, why, len);
	}
	return 0;
}

static const struct key_def *find_def(const struct key_def *defs, const char *key)
{
	for (; defs->key != NULL; defs++)
		if (strcmp(defs->key, key) == 0)
			return defs;
	return NULL;
}

/* "line N: " first when the record came from a file. */
int db_verr(char *err, size_t errlen, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (err == NULL || errlen == 0)
		return -EINVAL;
	if (line != 0)
		n = snprintf(err, errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

enum place { P_OVS, P_BRIDGE, P_OPTIONS, P_PORT_OTHER };

/* One key of one map of one record, as db_validate() sees it. */
static int check_key(enum place place, const char *record, int type, const char *key,
		     const char *value, unsigned int line, char *err, size_t errlen)
{
	static const struct key_def *const tables[] = {
		[P_OVS] = ovs_keys,
		[P_BRIDGE] = bridge_keys,
		[P_OPTIONS] = port_options,
		[P_PORT_OTHER] = port_other_config,
	};
	const struct key_def *d = find_def(tables[place], key);
	char why[DB_ERR_LEN / 2];

	if (place == P_OPTIONS && d != NULL && !(d->types & (1u << type)))
		d = NULL;
	if (d == NULL) {
		switch (place) {
		case P_OVS:
			return db_verr(err, errlen, line,
				       "Open_vSwitch: unknown other_config key '%s'", key);
		case P_BRIDGE:
			return db_verr(err, errlen, line,
				       "bridge '%s': unknown other_config key '%s'", record, key);
		case P_OPTIONS:
			return db_verr(err, errlen, line,
				       "port '%s': unknown option '%s' for type %s", record, key,
				       type_names[type]);
		case P_PORT_OTHER:
			return db_verr(err, errlen, line,
				       "port '%s': unknown other_config key '%s'", record, key);
		}
	}
	if (check_value(d, value, why, sizeof(why)) == 0)
		return 0;
	switch (place) {
	case P_OVS:
		return db_verr(err, errlen, line, "Open_vSwitch other_config '%s': %s", key, why);
	case P_BRIDGE:
		return db_verr(err, errlen, line, "bridge '%s' other_config '%s': %s", record, key,
			       why);
	case P_OPTIONS:
		return db_verr(err, errlen, line, "port '%s': option '%s': %s", record, key, why);
	case P_PORT_OTHER:
		break;
	}
	return db_verr(err, errlen, line, "port '%s': other_config '%s': %s", record, key, why);
}

int db_schema_check_key(const char *table, const char *record, const char *type, const char *column,
			const char *key, const char *value, char *err, size_t errlen)
{
	if (strcmp(table, "Open_vSwitch") == 0)
		return check_key(P_OVS, record, 0, key, value, 0, err, errlen);
	if (strcmp(table, "Bridge") == 0)
		return check_key(P_BRIDGE, record, 0, key, value, 0, err, errlen);
	if (strcmp(column, "filter") == 0) {
		char why[DB_ERR_LEN / 2];

		if (filter_cfg_check_key(key, value, why, sizeof(why)) < 0)
			return db_verr(err, errlen, 0, "port '%s': %s", record, why);
		return 0;
	}
	if (strcmp(column, "options") == 0) {
		if (type_of(type) < 0)
			return db_verr(err, errlen, 0, "port '%s' has no type", record);
		return check_key(P_OPTIONS, record, type_of(type), key, value, 0, err, errlen);
	}
	return check_key(P_PORT_OTHER, record, 0, key, value, 0, err, errlen);
}

int db_key_check(const char *table, const char *record, const char *type, const char *column,
		 const char *key, const char *value, char *err, size_t errlen)
{
	const struct key_def *d;

	if (strcmp(table, "Open_vSwitch") == 0)
		d = find_def(ovs_keys, key);
	else if (strcmp(table, "Bridge") == 0)
		d = find_def(bridge_keys, key);
	else if (strcmp(column, "options") == 0)
		d = type_of(type) < 0 ? NULL : find_def(port_options, key);
	else if (strcmp(column, "other_config") == 0)
		d = find_def(port_other_config, key);
	else
		d = NULL;
	if (d == NULL || (strcmp(column, "options") == 0 && !(d->types & (1u << type_of(type)))))
		return -ENOENT;
	return db_schema_check_key(table, record, type, column, key, value, err, errlen);
}

static int validate_bridge(const struct db_bridge *br, char *err, size_t errlen)
{
	struct db_bridge_cfg cfg;
	char why[DB_ERR_LEN];
	int rc = db_check_name("bridge", br->name, why, sizeof(why));

	if (rc)
		return db_verr(err, errlen, br->line, "%s", why);
	for (size_t i = 0; i < br->other_config.n; i++) {
		const struct smap_node *kv = &br->other_config.nodes[i];

		rc = check_key(P_BRIDGE, br->name, 0, kv->key, kv->value, br->line, err, errlen);
		if (rc)
			return rc;
	}
	db_bridge_cfg(br, &cfg);
	if (cfg.mac_port_limit > cfg.mac_table_size)
		return db_verr(err, errlen, br->line,
			       "bridge '%s' other_config 'mac-port-limit': '%u' is out of range "
			       "1..%u (mac-table-size)",
			       br->name, cfg.mac_port_limit, cfg.mac_table_size);
	return 0;
}

static int validate_port(const struct db_port *p, char *err, size_t errlen)
{
	const char *name = p->name;
	char why[DB_ERR_LEN];
	int type, rc;

	rc = db_check_name("port", name, why, sizeof(why));
	if (rc)
		return db_verr(err, errlen, p->line, "%s", why);
	if (p->type == NULL || p->type[0] == '\0')
		return db_verr(err, errlen, p->line, "port '%s' has no type", name);
	type = type_of(p->type);
	if (type < 0)
		return db_verr(err, errlen, p->line,
			       "port '%s': unknown type '%s' (expected dpdkvhostuser, "
			       "dpdkvhostuserclient or dpdk)",
			       name, p->type);
	for (size_t i = 0; i < p->options.n; i++) {
		rc = check_key(P_OPTIONS, name, type, p->options.nodes[i].key,
			       p->options.nodes[i].value, p->line, err, errlen);
		if (rc)
			return rc;
	}
	for (const struct key_def *d = port_options; d->key != NULL; d++)
		if (d->required && (d->types & (1u << type)) && !smap_get(&p->options, d->key))
			return db_verr(err, errlen, p->line,
				       "port '%s': option '%s' is required for type %s", name,
				       d->key, p->type);
	for (size_t i = 0; i < p->other_config.n; i++) {
		rc = check_key(P_PORT_OTHER, name, type, p->other_config.nodes[i].key,
			       p->other_config.nodes[i].value, p->line, err, errlen);
		if (rc)
			return rc;
	}
	if (filter_cfg_check(&p->filter, why, sizeof(why)) < 0)
		return db_verr(err, errlen, p->line, "port '%s': %s", name, why);
	if (p->tag > 4094)
		return db_verr(err, errlen, p->line, "port '%s': tag '%u' is out of range 1..4094",
			       name, p->tag);
	if (p->n_trunks > 0 && p->trunks == NULL)
		return db_verr(err, errlen, p->line, "port '%s': trunks list is missing", name);
	for (size_t i = 0; i < p->n_trunks; i++) {
		if (p->trunks[i] > 4095)
			return db_verr(err, errlen, p->line,
				       "port '%s': trunks: VLAN '%u' is out of range 0..4095", name,
				       p->trunks[i]);
		/* Everything downstream relies on the list being a set. */
		if (i > 0 && p->trunks[i] <= p->trunks[i - 1])
			return db_verr(err, errlen, p->line,
				       "port '%s': trunks are not sorted and unique", name);
	}
	if (p->mtu_request != 0 && (p->mtu_request < 68 || p->mtu_request > 9710))
		return db_verr(err, errlen, p->line,
			       "port '%s': mtu_request '%u' is out of range 68..9710", name,
			       p->mtu_request);
	/* A bucket smaller than one frame at the MTU (tagged: 4 more bytes
	 * metered) would drop every such frame, whatever the rate. */
	if (p->policing_burst != 0 &&
	    (uint64_t)p->policing_burst * 125 < (p->mtu_request ? p->mtu_request : 1500) + 4u)
		return db_verr(
			err, errlen, p->line,
			"port '%s': ingress_policing_burst %u kbit is smaller than one frame "
			"(%u bytes at mtu_request %u: give at least %u kbit, or 0 for 8000)",
			name, p->policing_burst, (p->mtu_request ? p->mtu_request : 1500) + 4u,
			p->mtu_request ? p->mtu_request : 1500,
			((p->mtu_request ? p->mtu_request : 1500) + 4u + 124) / 125);
	if (p->qos.type != DB_QOS_NONE) {
		rc = db_qos_check(p, err, errlen);
		if (rc)
			return rc;
	}
	switch (p->vlan_mode) {
	case DB_VLAN_MODE_NONE:
		if (p->tag != 0 && p->n_trunks != 0)
			return db_verr(err, errlen, p->line,
				       "port '%s': tag and trunks are exclusive (or set vlan_mode "
				       "native-tagged or native-untagged)",
				       name);
		break;
	case DB_VLAN_MODE_ACCESS:
		if (p->tag == 0 || p->n_trunks != 0)
			return db_verr(err, errlen, p->line,
				       "port '%s': vlan_mode access needs a tag and no trunks",
				       name);
		break;
	case DB_VLAN_MODE_TRUNK:
		if (p->tag != 0)
			return db_verr(err, errlen, p->line,
				       "port '%s': vlan_mode trunk takes no tag (native-tagged or "
				       "native-untagged give a trunk a native VLAN)",
				       name);
		break;
	default:
		if (p->tag == 0)
			return db_verr(err, errlen, p->line,
				       "port '%s': vlan_mode %s needs a tag, the native VLAN", name,
				       db_vlan_mode_name(p->vlan_mode));
		break;
	}
	return 0;
}

/* The option that must be unique among ports of a type, or NULL. */
static const char *unique_option(const struct db_port *p)
{
	switch (type_of(p->type)) {
	case DB_PORT_VHOST_CLIENT:
		return "vhost-server-path";
	case DB_PORT_DPDK:
		return "dpdk-devargs";
	}
	return NULL;
}

static int validate_unique(const struct db *db, char *err, size_t errlen)
{
	for (size_t i = 0; i < db->n_bridges; i++) {
		const struct db_bridge *bi = db->bridges[i];

		for (size_t j = 0; j < i; j++)
			if (strcmp(bi->name, db->bridges[j]->name) == 0)
				return db_verr(err, errlen, bi->line,
					       "bridge '%s' is defined twice", bi->name);
		for (size_t pi = 0; pi < bi->n_ports; pi++) {
			const struct db_port *p = bi->ports[pi];
			const char *opt = unique_option(p);
			const char *val = opt ? smap_get(&p->options, opt) : NULL;

			/* Every earlier port: same bridge before pi, or an earlier bridge. */
			for (size_t j = 0; j <= i; j++) {
				const struct db_bridge *bj = db->bridges[j];
				size_t n = j == i ? pi : bj->n_ports;

				for (size_t q = 0; q < n; q++) {
					const struct db_port *o = bj->ports[q];
					const char *ov;

					if (strcmp(o->name, p->name) == 0)
						return db_verr(err, errlen, p->line,
							       "port '%s' already exists in bridge "
							       "'%s'",
							       p->name, bj->name);
					if (val == NULL || strcmp(o->type, p->type) != 0)
						continue;
					ov = smap_get(&o->options, opt);
					if (ov != NULL && strcmp(ov, val) == 0)
						return db_verr(err, errlen, p->line,
							       "port '%s': %s '%s' is already used "
							       "by port '%s'",
							       p->name, opt, val, o->name);
				}
			}
		}
	}
	return 0;
}

int db_validate(const struct db *db, char *err, size_t errlen)
{
	size_t n_ports = 0;
	int rc;

	/* apply builds bridges and ports into tables of these sizes */
	for (size_t i = 0; i < db->n_bridges; i++)
		n_ports += db->bridges[i]->n_ports;
	if (db->n_bridges > DB_MAX_BRIDGES)
		return db_verr(err, errlen, 0, "%zu bridges: kvswitch runs at most %d bridges",
			       db->n_bridges, DB_MAX_BRIDGES);
	if (n_ports > DB_MAX_PORTS)
		return db_verr(err, errlen, 0, "%zu ports: kvswitch runs at most %d ports", n_ports,
			       DB_MAX_PORTS);

	for (size_t i = 0; i < db->other_config.n; i++) {
		rc = check_key(P_OVS, ".", 0, db->other_config.nodes[i].key,
			       db->other_config.nodes[i].value, 0, err, errlen);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < db->n_bridges; i++) {
		const struct db_bridge *br = db->bridges[i];

		rc = validate_bridge(br, err, errlen);
		for (size_t j = 0; rc == 0 && j < br->n_ports; j++)
			rc = validate_port(br->ports[j], err, errlen);
		if (rc == 0)
			rc = db_mirrors_check(db, br, err, errlen);
		if (rc)
			return rc;
	}
	return validate_unique(db, err, errlen);
}

/* ---- typed views ---- */
