/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port filter configuration (filter_cfg.h): the rule text, the keys of the
 * Port `filter` map, and the edits the kvsctl filter commands make.  Part of
 * the db library, which links no DPDK: it uses DPDK's types and inline
 * helpers only, and reads MACs itself.  Called by the configuration
 * validator (db_schema.c, so a bad rule is refused before anything
 * changes), the file loader, the control socket commands (cmd_filter.c) and
 * apply (port_filter.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/db.h"
#include "control/filter_cfg.h"

static const char *const dir_names[FILTER_DIR_MAX] = {"ingress", "egress"};
static const char *const suffixes[] = {"rules", "default", "program", "expression"};
#define N_SUFFIXES       (sizeof(suffixes) / sizeof(suffixes[0]))
#define RULES_MAX        4096 /* characters of a rule list */
#define PROGRAM_PATH_MAX 4096 /* PATH_MAX, the buffer of filter_cfg_build */

const char *filter_cfg_dir_name(enum filter_dir d)
{
	return dir_names[d];
}

int filter_cfg_dir_parse(const char *s, enum filter_dir *d)
{
	for (int i = 0; i < FILTER_DIR_MAX; i++)
		if (strcmp(s, dir_names[i]) == 0) {
			*d = (enum filter_dir)i;
			return 0;
		}
	return -EINVAL;
}

static void key_of(char *key, size_t len, enum filter_dir d, const char *what)
{
	snprintf(key, len, "%s-%s", dir_names[d], what);
}

const char *filter_cfg_get(const struct smap *m, enum filter_dir d, const char *what)
{
	char key[32];

	key_of(key, sizeof(key), d, what);
	return smap_get(m, key);
}

static int set_key(struct smap *m, enum filter_dir d, const char *what, const char *value,
		   char *err, size_t errlen)
{
	char key[32];

	key_of(key, sizeof(key), d, what);
	if (value == NULL) {
		smap_remove(m, key);
		return 0;
	}
	if (smap_set(m, key, value) == 0)
		return 0;
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* Exactly xx:xx:xx:xx:xx:xx (either case). */
static bool parse_mac(const char *s, struct rte_ether_addr *out)
{
	unsigned int k;

	for (k = 0; k < 17; k++)
		if (k % 3 == 2 ? s[k] != ':' : !isxdigit((unsigned char)s[k]))
			return false;
	if (s[17] != '\0')
		return false;
	for (k = 0; k < 6; k++)
		out->addr_bytes[k] =
			(uint8_t)strtoul((char[3]){s[3 * k], s[3 * k + 1], 0}, NULL, 16);
	return true;
}

/* "allow src 52:54:00:00:00:01/ff:ff:ff:00:00:00" */
static int parse_rule(char *text, struct filter_rule *r, char *err, size_t errlen)
{
	char action[16], field[16], addr[64], extra[2], *slash;

	if (sscanf(text, "%15s %15s %63s %1s", action, field, addr, extra) != 3)
		goto bad;
	if (strcmp(action, "allow") == 0)
		r->allow = true;
	else if (strcmp(action, "deny") == 0)
		r->allow = false;
	else
		goto bad;
	if (strcmp(field, "src") == 0)
		r->match_dst = false;
	else if (strcmp(field, "dst") == 0)
		r->match_dst = true;
	else
		goto bad;
	slash = strchr(addr, '/');
	if (slash)
		*slash++ = '\0';
	if (!parse_mac(addr, &r->mac)) {
		snprintf(err, errlen, "rule '%s': '%s' is not a MAC address", text, addr);
		return -EINVAL;
	}
	memset(&r->mask, 0xff, sizeof(r->mask));
	if (slash && !parse_mac(slash, &r->mask)) {
		snprintf(err, errlen, "rule '%s': '%s' is not a MAC mask", text, slash);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, errlen, "rule '%s': expected 'allow|deny src|dst MAC[/MASK]'", text);
	return -EINVAL;
}

int filter_cfg_parse_rules(const char *text, struct filter_rules *out, char *err, size_t errlen)
{
	char buf[RULES_MAX], *save = NULL, *tok;
	int rc;

	memset(out, 0, sizeof(*out));
	out->default_allow = true;
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, errlen, "rule list longer than %zu characters", sizeof(buf) - 1);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	for (tok = strtok_r(buf, ",;", &save); tok; tok = strtok_r(NULL, ",;", &save)) {
		char *t = trim(tok);

		if (*t == '\0')
			continue;
		if (out->n == FILTER_MAX_RULES) {
			snprintf(err, errlen, "more than %d rules", FILTER_MAX_RULES);
			return -E2BIG;
		}
		rc = parse_rule(t, &out->r[out->n], err, errlen);
		if (rc < 0)
			return rc;
		out->n++;
	}
	return 0;
}

void filter_cfg_format_rule(const struct filter_rule *r, char *out, size_t outlen)
{
	const uint8_t *a = r->mac.addr_bytes, *k = r->mask.addr_bytes;
	int n;

	n = snprintf(out, outlen, "%s %s %02x:%02x:%02x:%02x:%02x:%02x",
		     r->allow ? "allow" : "deny", r->match_dst ? "dst" : "src", a[0], a[1], a[2],
		     a[3], a[4], a[5]);
	if (n > 0 && (size_t)n < outlen && !rte_is_broadcast_ether_addr(&r->mask))
		snprintf(out + n, outlen - (size_t)n, "/%02x:%02x:%02x:%02x:%02x:%02x", k[0], k[1],
			 k[2], k[3], k[4], k[5]);
}

/* The whole table back to text, rules separated by ", ". */
static int format_rules(const struct filter_rules *r, char *out, size_t outlen, char *err,
			size_t errlen)
{
	size_t off = 0;

	out[0] = '\0';
	for (uint16_t i = 0; i < r->n; i++) {
		char one[64];

		filter_cfg_format_rule(&r->r[i], one, sizeof(one));
		off += (size_t)snprintf(out + off, outlen - off, "%s%s", i ? ", " : "", one);
		if (off >= outlen) {
			snprintf(err, errlen, "rule list longer than %zu characters", outlen - 1);
			return -E2BIG;
		}
	}
	return 0;
}

static int check_value(enum filter_dir d, const char *what, const char *v, char *err, size_t errlen)
{
	struct filter_rules rules;

	if (strcmp(what, "rules") == 0)
		return filter_cfg_parse_rules(v, &rules, err, errlen);
	if (strcmp(what, "default") == 0 && strcmp(v, "allow") != 0 && strcmp(v, "deny") != 0) {
		snprintf(err, errlen, "filter %s-default: '%s' is not allow or deny", dir_names[d],
			 v);
		return -EINVAL;
	}
	if (strcmp(what, "program") == 0 && v[0] != '/') {
		snprintf(err, errlen, "filter %s-program: '%s' is not an absolute path",
			 dir_names[d], v);
		return -EINVAL;
	}
	/* filter_cfg_build copies it into a PATH_MAX buffer: a longer value
	 * would be cut and name another file.  Whether the file may be
	 * loaded (its type, owner and mode) is decided when it is opened
	 * (dataplane/filter.c), on the descriptor, not here. */
	if (strcmp(what, "program") == 0 && strlen(v) >= PROGRAM_PATH_MAX) {
		snprintf(err, errlen, "filter %s-program: %zu characters, more than %d",
			 dir_names[d], strlen(v), PROGRAM_PATH_MAX - 1);
		return -ENAMETOOLONG;
	}
	if (strcmp(what, "expression") == 0 && v[strspn(v, " \t")] == '\0') {
		snprintf(err, errlen, "filter %s-expression is empty", dir_names[d]);
		return -EINVAL;
	}
	return 0;
}

int filter_cfg_check_key(const char *key, const char *value, char *err, size_t errlen)
{
	for (int d = 0; d < FILTER_DIR_MAX; d++)
		for (size_t k = 0; k < N_SUFFIXES; k++) {
			char name[32];

			key_of(name, sizeof(name), (enum filter_dir)d, suffixes[k]);
			if (strcmp(name, key) == 0)
				return check_value((enum filter_dir)d, suffixes[k], value, err,
						   errlen);
		}
	snprintf(err, errlen,
		 "unknown filter key '%s' (ingress|egress-rules|default|program|expression)", key);
	return -EINVAL;
}

int filter_cfg_check(const struct smap *m, char *err, size_t errlen)
{
	int rc;

	for (size_t i = 0; i < m->n; i++) {
		rc = filter_cfg_check_key(m->nodes[i].key, m->nodes[i].value, err, errlen);
		if (rc < 0)
			return rc;
	}
	for (int d = 0; d < FILTER_DIR_MAX; d++) {
		const char *r = filter_cfg_get(m, d, "rules"),
			   *def = filter_cfg_get(m, d, "default");
		int kinds = (r || def) + !!filter_cfg_get(m, d, "program") +
			    !!filter_cfg_get(m, d, "expression");

		if (kinds > 1) {
			snprintf(err, errlen,
				 "filter %s: rules, program and expression are exclusive",
				 dir_names[d]);
			return -EINVAL;
		}
	}
	return 0;
}

enum filter_cfg_kind filter_cfg_rules(const struct smap *m, enum filter_dir d,
				      struct filter_rules *rules)
{
	const char *r = filter_cfg_get(m, d, "rules"), *def = filter_cfg_get(m, d, "default");
	char err[8];

	if (filter_cfg_get(m, d, "program"))
		return FILTER_CFG_PROGRAM;
	if (filter_cfg_get(m, d, "expression"))
		return FILTER_CFG_EXPRESSION;
	if (r == NULL && def == NULL)
		return FILTER_CFG_NONE;
	if (rules == NULL)
		return FILTER_CFG_RULES;
	if (r == NULL || filter_cfg_parse_rules(r, rules, err, sizeof(err)) < 0) {
		memset(rules, 0, sizeof(*rules));
		rules->default_allow = true;
	}
	rules->default_allow = def == NULL || strcmp(def, "allow") == 0;
	return FILTER_CFG_RULES;
}

bool filter_cfg_same(const struct smap *a, const struct smap *b, enum filter_dir dir)
{
	for (size_t k = 0; k < N_SUFFIXES; k++) {
		const char *x = filter_cfg_get(a, dir, suffixes[k]);
		const char *y = filter_cfg_get(b, dir, suffixes[k]);

		if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0))
			return false;
	}
	return true;
}

/* ---- edits ---- */

/* A rule list for the map: the key goes away when no rule is left. */
static int store_rules(struct smap *m, enum filter_dir d, const struct filter_rules *r, char *err,
		       size_t errlen)
{
	char text[RULES_MAX];
	int rc;

	if (r->n == 0)
		return set_key(m, d, "rules", NULL, err, errlen);
	rc = format_rules(r, text, sizeof(text), err, errlen);
	return rc < 0 ? rc : set_key(m, d, "rules", text, err, errlen);
}

int filter_cfg_lock(struct smap *m, const char *macs, char *err, size_t errlen)
{
	char buf[RULES_MAX], *save = NULL, *tok;
	struct filter_rules r = {.default_allow = false};
	int rc;

	if (strlen(macs) >= sizeof(buf)) {
		snprintf(err, errlen, "MAC list too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", macs);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct filter_rule *x = &r.r[r.n];
		char *t = trim(tok);

		if (r.n == FILTER_MAX_RULES) {
			snprintf(err, errlen, "more than %d MACs", FILTER_MAX_RULES);
			return -E2BIG;
		}
		if (!parse_mac(t, &x->mac)) {
			snprintf(err, errlen, "'%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", t);
			return -EINVAL;
		}
		memset(&x->mask, 0xff, sizeof(x->mask));
		x->allow = true;
		r.n++;
	}
	if (r.n == 0) {
		snprintf(err, errlen, "no MAC given");
		return -EINVAL;
	}
	filter_cfg_unlock(m);
	rc = store_rules(m, FILTER_DIR_INGRESS, &r, err, errlen);
	return rc < 0 ? rc : set_key(m, FILTER_DIR_INGRESS, "default", "deny", err, errlen);
}

void filter_cfg_unlock(struct smap *m)
{
	for (size_t k = 0; k < N_SUFFIXES; k++)
		set_key(m, FILTER_DIR_INGRESS, suffixes[k], NULL, NULL, 0);
}

/* The direction's current table; a list that does not parse is an error. */
static int current_rules(const struct smap *m, enum filter_dir d, struct filter_rules *r, char *err,
			 size_t errlen)
{
	const char *text = filter_cfg_get(m, d, "rules");

	if (text == NULL) {
		memset(r, 0, sizeof(*r));
		return 0;
	}
	return filter_cfg_parse_rules(text, r, err, errlen);
}

int filter_cfg_add_rule(struct smap *m, enum filter_dir d, const char *rule, char *err,
			size_t errlen)
{
	struct filter_rules r, one;
	int rc;

	rc = filter_cfg_parse_rules(rule, &one, err, errlen);
	if (rc == 0 && one.n != 1) {
		snprintf(err, errlen, "give one rule, 'allow|deny src|dst MAC[/MASK]'");
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = current_rules(m, d, &r, err, errlen);
	if (rc < 0)
		return rc;
	if (r.n == FILTER_MAX_RULES) {
		snprintf(err, errlen, "filter %s: already %d rules", dir_names[d],
			 FILTER_MAX_RULES);
		return -E2BIG;
	}
	r.r[r.n++] = one.r[0];
	return store_rules(m, d, &r, err, errlen);
}

static bool rule_eq(const struct filter_rule *a, const struct filter_rule *b)
{
	return a->allow == b->allow && a->match_dst == b->match_dst &&
	       rte_is_same_ether_addr(&a->mac, &b->mac) &&
	       rte_is_same_ether_addr(&a->mask, &b->mask);
}

int filter_cfg_del_rule(struct smap *m, enum filter_dir d, const char *which, char *err,
			size_t errlen)
{
	struct filter_rules r, one;
	char *end;
	unsigned long idx;
	int rc;

	rc = current_rules(m, d, &r, err, errlen);
	if (rc < 0)
		return rc;
	idx = strtoul(which, &end, 10);
	if (end == which || *end != '\0') {
		rc = filter_cfg_parse_rules(which, &one, err, errlen);
		if (rc < 0)
			return rc;
		for (idx = 1; idx <= r.n && !(one.n == 1 && rule_eq(&r.r[idx - 1], &one.r[0]));
		     idx++)
			;
		if (idx > r.n) {
			snprintf(err, errlen, "filter %s has no rule '%s'", dir_names[d], which);
			return -ENOENT;
		}
	} else if (idx < 1 || idx > r.n) {
		snprintf(err, errlen, "filter %s has no rule %s (it has %u)", dir_names[d], which,
			 r.n);
		return -ENOENT;
	}
	memmove(&r.r[idx - 1], &r.r[idx], (r.n - idx) * sizeof(r.r[0]));
	r.n--;
	return store_rules(m, d, &r, err, errlen);
}

int filter_cfg_set_default(struct smap *m, enum filter_dir d, const char *policy, char *err,
			   size_t errlen)
{
	int rc = check_value(d, "default", policy, err, errlen);

	return rc < 0 ? rc : set_key(m, d, "default", policy, err, errlen);
}
