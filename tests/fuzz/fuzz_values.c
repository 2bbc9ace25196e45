/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_values: every value parser of the configuration model, driven the way
 * kvsctl and the file reach them: db_set / db_clear / db_get on every table,
 * column and known key (tag, trunks, mtu_request, type, CPU masks, modes,
 * paths, groups, affinity lists, MAC lists, filter rules...), the filter
 * edits behind lock-port / add-filter-rule / del-filter-rule /
 * set-filter-default, records added and deleted, then db_validate and the
 * typed views.
 *
 * The input is NUL-separated words.  A command word's bytes pick the
 * operation, table, record, column and key (from the known names, or the
 * next word as a raw name); the next word is the value.  Text that reaches
 * these parsers has passed jansson or libyaml, so words that are not UTF-8
 * are skipped.  Every input starts from fuzz_base_conf.
 *
 * Invariants: an error comes with a message; after every successful edit
 * that validates, the typed views are in range; at the end, a configuration
 * that validates dumps to YAML that loads back to the same dump; a value
 * db_get returns is accepted back by db_set and then read back the same; a rule list that parses
 * formats rule by rule to text that parses to the same rules.
 */
#include <errno.h>

#include "control/db.h"
#include "control/filter_cfg.h"
#include "tests/fuzz/base_conf.h"
#include "tests/fuzz/db_checks.h"
#include "tests/fuzz/fuzz.h"

#define MAX_WORDS 64

static const char *const tables[] = {"Open_vSwitch", "Bridge", "Port", "Interface"};
static const char *const records[] = {".", "br0", "br1", "vm1", "vm2", "up0", "br2", "vm3"};
static const char *const columns[] = {"other_config", "options",     "filter",      "type",
				      "tag",          "trunks",      "mtu_request", "name",
				      "ports",        "external_ids"};
static const char *const keys[] = {
	/* Open_vSwitch other_config */
	"dpdk-extra", "n-mbufs", "pmd-auto-lb", "pmd-auto-lb-improvement-threshold",
	"pmd-auto-lb-load-threshold", "pmd-auto-lb-rebal-interval", "pmd-auto-lb-rebal-interval-ms",
	"pmd-cpu-mask", "pmd-rxq-assign", "pmd-rxq-isolate", "pmd-sleep-max", "vhost-sock-dir",
	"vhost-sock-group", "vhost-sock-mode",
	/* Bridge other_config */
	"mac-aging-time", "mac-port-limit", "mac-table-size",
	/* Interface options */
	"dpdk-devargs", "n_rxq", "n_rxq_desc", "n_txq_desc", "promiscuous", "rx-interrupts",
	"tx-retries-max", "vhost-server-path",
	/* Port other_config */
	"attached-mac", "mac-limit", "pmd-rxq-affinity",
	/* Port filter */
	"ingress-rules", "ingress-default", "ingress-program", "ingress-expression", "egress-rules",
	"egress-default", "egress-program", "egress-expression", "bogus"};

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

enum op {
	OP_SET,
	OP_CLEAR,
	OP_GET,
	OP_LOCK,
	OP_UNLOCK,
	OP_ADD_RULE,
	OP_DEL_RULE,
	OP_DEFAULT,
	OP_PARSE_RULES,
	OP_CHECK_KEY,
	OP_ADD_BR,
	OP_DEL_BR,
	OP_ADD_PORT,
	OP_DEL_PORT,
	OP_MAX
};

static struct db *base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[DB_ERR_LEN];

	(void)argc, (void)argv;
	base = conf_load_string(fuzz_base_conf, "base", err, sizeof(err));
	if (base == NULL)
		fuzz_fail("base configuration: %s", err);
	return 0;
}

/* A name from the list, or (index past it) the next word. */
static const char *pick(const char *const *list, size_t n, uint8_t b, char **w, unsigned int nw,
			unsigned int *i)
{
	if (b % (n + 1) < n)
		return list[b % (n + 1)];
	return *i < nw ? w[(*i)++] : "";
}

/* What db_get returns, db_set takes back, and db_get then returns the same. */
static void check_get_set(struct db *db, const char *table, const char *record, const char *col,
			  const char *key)
{
	char out[4096], again[4096], err[DB_ERR_LEN];

	if (db_get(db, table, record, col, key, out, sizeof(out), err, sizeof(err)) < 0)
		return;
	if (strlen(out) >= sizeof(out) - 1)
		return; /* truncated view */
	if (db_set(db, table, record, col, key, out, err, sizeof(err)) < 0) {
		/* read-only columns (name, ports) are readable only */
		if (strcmp(col, "name") != 0 && strcmp(col, "ports") != 0)
			fuzz_fail("%s %s %s%s%s: db_get gave '%s', db_set refuses it: %s", table,
				  record, col, key ? ":" : "", key ? key : "", out, err);
		return;
	}
	if (db_get(db, table, record, col, key, again, sizeof(again), err, sizeof(err)) < 0 ||
	    strcmp(out, again) != 0)
		fuzz_fail("%s %s %s%s%s: set back '%s', now reads '%s'", table, record, col,
			  key ? ":" : "", key ? key : "", out, again);
}

/* A rule list that parses formats to rules that parse the same. */
static void check_rules_text(const char *text)
{
	struct filter_rules a, b;
	char err[DB_ERR_LEN], one[64];
	size_t cap = 64 * FILTER_MAX_RULES + 1, len = 0;
	char *all;

	if (filter_cfg_parse_rules(text, &a, err, sizeof(err)) < 0) {
		if (err[0] == '\0')
			fuzz_fail("rules '%s' refused without a message", text);
		return;
	}
	if (a.n > FILTER_MAX_RULES)
		fuzz_fail("%u rules parsed", a.n);
	all = calloc(1, cap);
	if (all == NULL)
		abort();
	for (uint16_t i = 0; i < a.n; i++) {
		filter_cfg_format_rule(&a.r[i], one, sizeof(one));
		len += (size_t)snprintf(all + len, cap - len, "%s%s", i ? ", " : "", one);
	}
	if (filter_cfg_parse_rules(all, &b, err, sizeof(err)) < 0)
		fuzz_fail("rules '%s' format as '%s', which is refused: %s", text, all, err);
	if (b.n != a.n)
		fuzz_fail("rules '%s': %u rules, formatted '%s': %u", text, a.n, all, b.n);
	for (uint16_t i = 0; i < a.n; i++)
		if (memcmp(&a.r[i].mac, &b.r[i].mac, 6) || memcmp(&a.r[i].mask, &b.r[i].mask, 6) ||
		    a.r[i].match_dst != b.r[i].match_dst || a.r[i].allow != b.r[i].allow)
			fuzz_fail("rules '%s': rule %u differs after formatting as '%s'", text,
				  i + 1, all);
	free(all);
}

static struct db_port *port_of(struct db *db, const char *name)
{
	return db_port_find(db, name, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *w[MAX_WORDS], err[DB_ERR_LEN], out[4096];
	unsigned int nw = fuzz_words(data, size, &buf, w, MAX_WORDS), i = 0;
	struct db *db = db_clone(base);

	if (db == NULL)
		fuzz_fail("db_clone: out of memory");
	for (unsigned int k = 0; k < nw; k++)
		if (!fuzz_utf8(w[k]))
			goto out;
	while (i < nw) {
		const uint8_t *h = (const uint8_t *)w[i++];
		uint8_t hb[6] = {0};
		const char *table, *record, *col, *key, *value;
		enum filter_dir dir;
		struct db_port *p;
		int rc = 0;

		for (size_t k = 0; k < sizeof(hb) && h[k]; k++)
			hb[k] = h[k];
		table = pick(tables, DIM(tables), hb[1], w, nw, &i);
		record = pick(records, DIM(records), hb[2], w, nw, &i);
		col = pick(columns, DIM(columns), hb[3], w, nw, &i);
		key = hb[4] & 0x80 ? NULL : pick(keys, DIM(keys), hb[4], w, nw, &i);
		value = i < nw ? w[i++] : "";
		dir = hb[5] & 1 ? FILTER_DIR_EGRESS : FILTER_DIR_INGRESS;
		err[0] = '\0';
		switch ((enum op)(hb[0] % OP_MAX)) {
		case OP_SET:
			rc = db_set(db, table, record, col, key, value, err, sizeof(err));
			if (rc == 0)
				check_get_set(db, table, record, col, key);
			break;
		case OP_CLEAR:
			rc = db_clear(db, table, record, col, key, err, sizeof(err));
			break;
		case OP_GET:
			rc = db_get(db, table, record, col, key, out, sizeof(out), err,
				    sizeof(err));
			if (rc == 0 && memchr(out, '\0', sizeof(out)) == NULL)
				fuzz_fail("db_get: no NUL in its output");
			rc = rc == -ENOENT ? 0 : rc;
			break;
		case OP_LOCK:
			if ((p = port_of(db, record)) != NULL)
				rc = filter_cfg_lock(&p->filter, value, err, sizeof(err));
			break;
		case OP_UNLOCK:
			if ((p = port_of(db, record)) != NULL)
				filter_cfg_unlock(&p->filter);
			break;
		case OP_ADD_RULE:
			if ((p = port_of(db, record)) != NULL)
				rc = filter_cfg_add_rule(&p->filter, dir, value, err, sizeof(err));
			break;
		case OP_DEL_RULE:
			if ((p = port_of(db, record)) != NULL)
				rc = filter_cfg_del_rule(&p->filter, dir, value, err, sizeof(err));
			break;
		case OP_DEFAULT:
			if ((p = port_of(db, record)) != NULL)
				rc = filter_cfg_set_default(&p->filter, dir, value, err,
							    sizeof(err));
			break;
		case OP_PARSE_RULES:
			check_rules_text(value);
			break;
		case OP_CHECK_KEY:
			rc = filter_cfg_check_key(key ? key : "", value, err, sizeof(err));
			break;
		case OP_ADD_BR:
			rc = db_bridge_add(db, value, err, sizeof(err));
			break;
		case OP_DEL_BR:
			rc = db_bridge_del(db, value, err, sizeof(err));
			break;
		case OP_ADD_PORT:
			rc = db_port_add(db, record, value, err, sizeof(err));
			if (rc == 0)
				rc = db_set(db, "Interface", value, "type", NULL,
					    hb[5] & 2 ? "dpdkvhostuser" : "dpdk", err, sizeof(err));
			break;
		case OP_DEL_PORT:
			rc = db_port_del(db, hb[5] & 4 ? NULL : record, value, err, sizeof(err));
			break;
		case OP_MAX:
			break;
		}
		if (rc < 0 && err[0] == '\0')
			fuzz_fail("operation %u refused (%d) without a message", hb[0] % OP_MAX,
				  rc);
		if (rc == 0 && db_validate(db, err, sizeof(err)) == 0) {
			fuzz_check_views(db);
		} else if (rc == 0 && err[0] == '\0') {
			fuzz_fail("db_validate refused without a message");
		}
	}
	/* once per input: the dump round trip costs more than all the edits */
	if (db_validate(db, err, sizeof(err)) == 0)
		fuzz_check_reload(db);
out:
	db_destroy(db);
	free(buf);
	return 0;
}
