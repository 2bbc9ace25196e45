/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kvsctl filter commands on the daemon side (cmd.h).  The write
 * commands (lock-port, unlock-port, add-filter-rule, del-filter-rule,
 * set-filter-default) are transact operations that edit the port's
 * `filter` map, so they persist, chain with other commands and go through
 * validation and apply like `set Port P filter:KEY=VALUE`.  The view,
 * list-filter-rules, shows the map as rules with their numbers, what is
 * installed, and the frames each direction dropped.  Control thread only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "control/cmd.h"
#include "control/filter_cfg.h"
#include "control/state.h"
#include "dataplane/filter.h"

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int need(json_t *op, const char *k, const char **out, char *err, size_t errlen)
{
	*out = jstr(op, k);
	if (*out != NULL)
		return 0;
	snprintf(err, errlen, "missing \"%s\"", k);
	return -EINVAL;
}

static int need_dir(json_t *op, enum filter_dir *d, char *err, size_t errlen)
{
	const char *s;
	int rc = need(op, "direction", &s, err, errlen);

	if (rc == 0 && filter_cfg_dir_parse(s, d) < 0) {
		snprintf(err, errlen, "direction '%s': expected ingress or egress", s);
		rc = -EINVAL;
	}
	return rc;
}

int cmd_filter_op(struct db *db, const char *name, json_t *op, char *err, size_t errlen)
{
	const char *port, *arg;
	struct db_port *p;
	enum filter_dir d = FILTER_DIR_INGRESS;
	int rc;

	if (strcmp(name, "lock-port") != 0 && strcmp(name, "unlock-port") != 0 &&
	    strcmp(name, "add-filter-rule") != 0 && strcmp(name, "del-filter-rule") != 0 &&
	    strcmp(name, "set-filter-default") != 0)
		return -ENOSYS;
	rc = need(op, "port", &port, err, errlen);
	if (rc < 0)
		return rc;
	p = db_port_find(db, port, NULL);
	if (p == NULL) {
		snprintf(err, errlen, "port '%s' does not exist", port);
		return -ENOENT;
	}
	if (strcmp(name, "unlock-port") == 0) {
		filter_cfg_unlock(&p->filter);
	} else if (strcmp(name, "lock-port") == 0) {
		rc = need(op, "macs", &arg, err, errlen);
		if (rc == 0)
			rc = filter_cfg_lock(&p->filter, arg, err, errlen);
	} else {
		rc = need_dir(op, &d, err, errlen);
		if (rc == 0)
			rc = need(op, strcmp(name, "set-filter-default") == 0 ? "policy" : "rule",
				  &arg, err, errlen);
		if (rc == 0 && strcmp(name, "add-filter-rule") == 0)
			rc = filter_cfg_add_rule(&p->filter, d, arg, err, errlen);
		else if (rc == 0 && strcmp(name, "del-filter-rule") == 0)
			rc = filter_cfg_del_rule(&p->filter, d, arg, err, errlen);
		else if (rc == 0)
			rc = filter_cfg_set_default(&p->filter, d, arg, err, errlen);
	}
	if (rc < 0) {
		char why[DB_ERR_LEN];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "port '%s': %s", port, why);
		return rc;
	}
	p->line = 0; /* edited: no longer what the file said */
	return 0;
}

/* A text buffer of fixed size: the view of one port is a few lines. */
struct text {
	char s[16384];
	size_t len;
};

static void tprintf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= sizeof(t->s))
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->s + t->len, sizeof(t->s) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len = RTE_MIN(t->len + (size_t)n, sizeof(t->s) - 1);
}

static json_t *dir_view(const struct db_port *p, const struct sw_port *sp, enum filter_dir d,
			uint64_t dropped, struct text *t)
{
	static const char *const kinds[] = {"none", "rules", "program", "expression"};
	const struct filter *f = sp && sp->dp ? sp->dp->filter[d] : NULL;
	struct filter_rules r;
	enum filter_cfg_kind k = filter_cfg_rules(&p->filter, d, &r);
	json_t *o = json_pack("{s:s,s:I}", "kind", kinds[k], "dropped", (json_int_t)dropped);
	json_t *rules = json_array();

	tprintf(t, "  %s: ", filter_cfg_dir_name(d));
	switch (k) {
	case FILTER_CFG_NONE:
		tprintf(t, "no filter");
		break;
	case FILTER_CFG_RULES:
		tprintf(t, "%u rule%s, default %s", r.n, r.n == 1 ? "" : "s",
			r.default_allow ? "allow" : "deny");
		json_object_set_new(o, "default", json_string(r.default_allow ? "allow" : "deny"));
		break;
	case FILTER_CFG_PROGRAM:
	case FILTER_CFG_EXPRESSION:
		tprintf(t, "%s %s", kinds[k], filter_cfg_get(&p->filter, d, kinds[k]));
		json_object_set_new(o, kinds[k],
				    json_string(filter_cfg_get(&p->filter, d, kinds[k])));
		break;
	}
	tprintf(t, "; dropped %lu\n", (unsigned long)dropped);
	for (uint16_t i = 0; k == FILTER_CFG_RULES && i < r.n; i++) {
		char one[64];

		filter_cfg_format_rule(&r.r[i], one, sizeof(one));
		tprintf(t, "    %2u  %s\n", i + 1, one);
		json_array_append_new(rules, json_string(one));
	}
	json_object_set_new(o, "rules", rules);
	json_object_set_new(o, "installed", f ? json_string(f->what) : json_null());
	return o;
}

json_t *show_filter_rules(json_t *params, int *code, char *err, size_t errlen)
{
	const char *port = jstr(params, "port");
	const struct db_port *p = port ? db_port_find(sw.db, port, NULL) : NULL;
	const struct sw_port *sp = port ? sw_port_find(port) : NULL;
	struct dp_port_totals tot = {0};
	static struct text t;
	json_t *data;

	if (p == NULL) {
		*code = port ? -ENOENT : -EINVAL;
		snprintf(err, errlen, port ? "port '%s' does not exist" : "missing port name",
			 port);
		return NULL;
	}
	if (sp && sp->dp)
		dp_port_totals(sp->dp, &tot);
	t.len = 0;
	t.s[0] = '\0';
	tprintf(&t, "port %s\n", p->name);
	data = json_pack("{s:s}", "port", p->name);
	json_object_set_new(data, "ingress",
			    dir_view(p, sp, FILTER_DIR_INGRESS,
				     tot.rx_drops[DP_DROP_FILTER_INGRESS] +
					     tot.tx_drops[DP_DROP_FILTER_INGRESS],
				     &t));
	json_object_set_new(
		data, "egress",
		dir_view(p, sp, FILTER_DIR_EGRESS,
			 tot.rx_drops[DP_DROP_FILTER_EGRESS] + tot.tx_drops[DP_DROP_FILTER_EGRESS],
			 &t));
	if (sp && sp->filter_error[0]) {
		tprintf(&t, "  error: %s\n", sp->filter_error);
		json_object_set_new(data, "error", json_string(sp->filter_error));
	}
	return view_new(t.s, data);
}
