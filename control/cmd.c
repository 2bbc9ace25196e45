/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control socket methods (cmd.h): the transaction path and the small reads.
 *
 * A transaction never edits the running configuration in place: it edits a
 * clone, validates it, checks it asks nothing of the socket that only the
 * file may ask (db_check_socket_change), writes it next to the configuration
 * file (PATH.tmp), applies it, and only then renames it over the file.  If
 * the apply fails (a device that cannot be opened) the temporary file is
 * removed; a daemon that dies while applying left the file as it was.  If
 * the rename fails the previous configuration is applied again.  So the
 * switch, the file and the reply always agree, and a bad request changes
 * nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control/balance.h"
#include "control/capture.h"
#include "control/cmd.h"
#include "control/cmd_ref.h"
#include "control/state.h"
#include "control/trace.h"

json_t *view_new(const char *text, json_t *data)
{
	return json_pack("{s:s,s:o}", "text", text ? text : "", "data", data ? data : json_null());
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int need_str(json_t *o, const char *k, const char **out, char *err, size_t errlen)
{
	*out = jstr(o, k);
	if (*out == NULL) {
		snprintf(err, errlen, "missing \"%s\"", k);
		return -EINVAL;
	}
	return 0;
}

static int op_sets(struct cmd_refs *refs, struct db *db, const char *table, const char *record,
		   json_t *sets, char *err, size_t errlen)
{
	size_t i;
	json_t *s;

	if (sets == NULL)
		return 0;
	if (!json_is_array(sets)) {
		snprintf(err, errlen, "\"sets\" must be an array");
		return -EINVAL;
	}
	json_array_foreach(sets, i, s)
	{
		const char *col = jstr(s, "column"), *val = jstr(s, "value");
		int rc;

		if (col == NULL || val == NULL) {
			snprintf(err, errlen, "each set needs \"column\" and \"value\"");
			return -EINVAL;
		}
		if (jstr(s, "key") == NULL && cmd_refs_is_ref(table, col, val))
			rc = cmd_refs_set(refs, table, record, col, val, false, err, errlen);
		else
			rc = db_set(db, table, record, col, jstr(s, "key"), val, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int do_op(struct cmd_refs *refs, struct db *db, json_t *op, char *err, size_t errlen)
{
	const char *name = jstr(op, "op"), *br, *port, *table, *record, *column;
	bool may_exist = json_is_true(json_object_get(op, "may_exist"));
	bool if_exists = json_is_true(json_object_get(op, "if_exists"));
	int rc;

	if (name == NULL) {
		snprintf(err, errlen, "operation without \"op\"");
		return -EINVAL;
	}
	if (strcmp(name, "add-br") == 0) {
		if ((rc = need_str(op, "bridge", &br, err, errlen)) < 0)
			return rc;
		if (may_exist && db_bridge_find(db, br))
			return 0;
		rc = db_bridge_add(db, br, err, errlen);
		return rc < 0 ? rc
			      : op_sets(refs, db, "Bridge", br, json_object_get(op, "sets"), err,
					errlen);
	}
	if (strcmp(name, "del-br") == 0) {
		if ((rc = need_str(op, "bridge", &br, err, errlen)) < 0)
			return rc;
		if (if_exists && !db_bridge_find(db, br))
			return 0;
		return db_bridge_del(db, br, err, errlen);
	}
	if (strcmp(name, "add-port") == 0) {
		struct db_bridge *where;

		if ((rc = need_str(op, "bridge", &br, err, errlen)) < 0 ||
		    (rc = need_str(op, "port", &port, err, errlen)) < 0)
			return rc;
		if (may_exist && db_port_find(db, port, &where) && strcmp(where->name, br) == 0)
			return 0;
		rc = db_port_add(db, br, port, err, errlen);
		return rc < 0 ? rc
			      : op_sets(refs, db, "Port", port, json_object_get(op, "sets"), err,
					errlen);
	}
	if (strcmp(name, "del-port") == 0) {
		if ((rc = need_str(op, "port", &port, err, errlen)) < 0)
			return rc;
		if (if_exists && !db_port_find(db, port, NULL))
			return 0;
		return db_port_del(db, jstr(op, "bridge"), port, err, errlen);
	}
	if (strcmp(name, "set") == 0) {
		if ((rc = need_str(op, "table", &table, err, errlen)) < 0 ||
		    (rc = need_str(op, "record", &record, err, errlen)) < 0)
			return rc;
		return op_sets(refs, db, table, record, json_object_get(op, "sets"), err, errlen);
	}
	if (strcmp(name, "create") == 0) {
		if ((rc = need_str(op, "table", &table, err, errlen)) < 0)
			return rc;
		return cmd_refs_create(refs, table, jstr(op, "id"), json_object_get(op, "sets"),
				       err, errlen);
	}
	if (strcmp(name, "get") == 0) {
		if ((rc = need_str(op, "table", &table, err, errlen)) < 0 ||
		    (rc = need_str(op, "record", &record, err, errlen)) < 0)
			return rc;
		return cmd_refs_get(refs, db, table, record, jstr(op, "id"), err, errlen);
	}
	if (strcmp(name, "add") == 0) {
		json_t *vals = json_object_get(op, "values"), *v;
		size_t i;

		if ((rc = need_str(op, "table", &table, err, errlen)) < 0 ||
		    (rc = need_str(op, "record", &record, err, errlen)) < 0 ||
		    (rc = need_str(op, "column", &column, err, errlen)) < 0)
			return rc;
		json_array_foreach(vals, i, v)
		{
			const char *val = json_string_value(v);

			if (val == NULL) {
				snprintf(err, errlen, "\"values\" must be strings");
				return -EINVAL;
			}
			rc = cmd_refs_is_ref(table, column, val)
				     ? cmd_refs_set(refs, table, record, column, val, true, err,
						    errlen)
				     : db_add(db, table, record, column, val, err, errlen);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	if (strcmp(name, "remove") == 0 || strcmp(name, "clear") == 0) {
		if ((rc = need_str(op, "table", &table, err, errlen)) < 0 ||
		    (rc = need_str(op, "record", &record, err, errlen)) < 0 ||
		    (rc = need_str(op, "column", &column, err, errlen)) < 0)
			return rc;
		return db_clear(db, table, record, column, jstr(op, "key"), err, errlen);
	}
	rc = cmd_filter_op(db, name, op, err, errlen);
	if (rc != -ENOSYS)
		return rc;
	snprintf(err, errlen, "unknown operation '%s'", name);
	return -EINVAL;
}

static json_t *transact(json_t *params, int *code, char *err, size_t errlen)
{
	char err2[DB_ERR_LEN];
	struct db *ndb, *old = NULL;
	struct cmd_refs *refs;
	json_t *op;
	size_t i;
	int rc;

	if (!json_is_array(params)) {
		*code = -EINVAL;
		snprintf(err, errlen, "transact takes an array of operations");
		return NULL;
	}
	if (sw.ovsdb_remote[0]) {
		/* one source of truth: a change here would be undone by the next
		 * database update */
		*code = -EPERM;
		snprintf(err, errlen,
			 "kvswitchd takes its configuration from the Open vSwitch database at %s: "
			 "change it with ovs-vsctl",
			 sw.ovsdb_remote);
		return NULL;
	}
	ndb = db_clone(sw.db);
	if (ndb == NULL) {
		*code = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	refs = cmd_refs_new();
	rc = refs ? 0 : -ENOMEM;
	if (refs == NULL)
		snprintf(err, errlen, "out of memory");
	json_array_foreach(params, i, op)
	{
		if (rc == 0)
			rc = do_op(refs, ndb, op, err, errlen);
	}
	if (rc == 0)
		rc = cmd_refs_end(refs, ndb, err, errlen);
	cmd_refs_free(refs);
	if (rc < 0)
		goto fail;
	rc = db_validate(ndb, err, errlen);
	if (rc == 0)
		rc = db_check_socket_change(sw.db, ndb, err, errlen);
	if (rc < 0)
		goto fail;
	if (sw.config_path[0]) {
		old = db_clone(sw.db); /* to apply again if the file cannot be renamed */
		rc = old ? conf_save_prepare(ndb, sw.config_path, err2, sizeof(err2)) : -ENOMEM;
		if (rc < 0) {
			snprintf(err, errlen, "configuration not saved, nothing changed: %s",
				 old ? err2 : "out of memory");
			goto fail;
		}
	}
	rc = apply_db(ndb, true, err, errlen);
	if (rc < 0) {
		if (sw.config_path[0])
			conf_save_abort(sw.config_path);
		goto fail;
	}
	/* ndb is sw.db now */
	if (sw.config_path[0] && (rc = conf_save_commit(sw.config_path, err2, sizeof(err2))) < 0) {
		snprintf(err, errlen, "configuration not saved, the change is undone: %s", err2);
		if (apply_db(old, false, err2, sizeof(err2)) < 0)
			fprintf(stderr, "kvswitchd: cannot undo the change: %s\n", err2);
		if (sw.db != old)
			db_destroy(old);
		*code = rc;
		return NULL;
	}
	db_destroy(old);
	return view_new("", json_object());
fail:
	db_destroy(ndb);
	db_destroy(old);
	*code = rc;
	return NULL;
}

static json_t *list_br(json_t *params, int *code, char *err, size_t errlen)
{
	json_t *arr = json_array();
	char text[65536] = "";
	size_t i, off = 0;

	(void)params, (void)code, (void)err, (void)errlen;
	for (i = 0; i < sw.db->n_bridges; i++) {
		json_array_append_new(arr, json_string(sw.db->bridges[i]->name));
		off += snprintf(text + off, sizeof(text) - off, "%s\n", sw.db->bridges[i]->name);
		if (off >= sizeof(text))
			off = sizeof(text) - 1;
	}
	return view_new(text, arr);
}

static json_t *list_ports(json_t *params, int *code, char *err, size_t errlen)
{
	const char *br = jstr(params, "bridge");
	struct db_bridge *b;
	json_t *arr;
	char text[65536] = "";
	size_t i, off = 0;

	if (br == NULL || (b = db_bridge_find(sw.db, br)) == NULL) {
		*code = br ? -ENOENT : -EINVAL;
		snprintf(err, errlen, br ? "bridge '%s' does not exist" : "missing bridge name",
			 br);
		return NULL;
	}
	arr = json_array();
	for (i = 0; i < b->n_ports; i++) {
		json_array_append_new(arr, json_string(b->ports[i]->name));
		off += snprintf(text + off, sizeof(text) - off, "%s\n", b->ports[i]->name);
		if (off >= sizeof(text))
			off = sizeof(text) - 1;
	}
	return view_new(text, arr);
}

/* pmd-rxq-rebalance: re-plan now on measured loads and say what moved. */
static json_t *rxq_rebalance(json_t *params, int *code, char *err, size_t errlen)
{
	struct rxq_plan_report r;
	char text[256];
	int rc;

	(void)params;
	rc = balance_rebalance(&r);
	if (rc < 0) {
		*code = rc;
		snprintf(err, errlen, "rebalance failed: %s", strerror(-rc));
		return NULL;
	}
	snprintf(text, sizeof(text),
		 "rx queues rebalanced: %u of %u moved; heaviest PMD load %.0f%% -> %.0f%%\n",
		 r.est.moves, r.n_rxqs, r.max_cur_pct, r.max_next_pct);
	return view_new(text, json_pack("{s:i,s:i,s:f,s:f,s:f}", "moved", r.est.moves, "rxqs",
					r.n_rxqs, "max_before", r.max_cur_pct, "max_after",
					r.max_next_pct, "improvement", r.est.improvement));
}

static json_t *version(json_t *params, int *code, char *err, size_t errlen)
{
	(void)params, (void)code, (void)err, (void)errlen;
	return view_new("kvswitchd 0.1.0\n", json_string("0.1.0"));
}

typedef json_t *(*method_fn)(json_t *, int *, char *, size_t);

static const struct {
	const char *name;
	method_fn fn;
} methods[] = {
	{"transact", transact},
	{"list-br", list_br},
	{"list-ports", list_ports},
	{"get", cmd_get},
	{"list", cmd_list},
	{"find", cmd_find},
	{"br-exists", cmd_br_exists},
	{"port-to-br", cmd_port_to_br},
	{"show", show_config},
	{"pmd-stats-show", show_pmd_stats},
	{"pmd-stats-clear", show_pmd_stats_clear},
	{"pmd-perf-show", show_pmd_perf},
	{"pmd-rxq-show", show_pmd_rxq},
	{"pmd-rxq-rebalance", rxq_rebalance},
	{"fdb/show", show_fdb},
	{"fdb/flush", show_fdb_flush},
	{"fdb/stats-show", show_fdb_stats},
	{"fdb/stats-clear", show_fdb_stats_clear},
	{"port-stats", show_port_stats},
	{"memory/show", show_memory},
	{"drop-reasons", show_drop_reasons},
	{"list-filter-rules", show_filter_rules},
	{"version", version},
	{"capture", capture_start},
	{"trace", trace_frame},
};

json_t *cmd_dispatch(const char *method, json_t *params, int *code, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, method) == 0)
			return methods[i].fn(params, code, err, errlen);
	*code = -ENOSYS;
	snprintf(err, errlen, "unknown command '%s'", method);
	return NULL;
}
