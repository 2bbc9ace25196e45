/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cmd_table: the control-socket methods that read the configuration the way
 * ovs-vsctl reads OVS's tables: get, list, find, br-exists, port-to-br.
 * Values are ovs-vsctl's text ("[]" for an unset column, "{k=v}" for a map).
 * Interface also has the columns ovs-vswitchd fills in (ofport, link_state,
 * status, statistics...): cmd_iface_column() (control/cmd_show.c) reads
 * them from the running switch.  Control thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/cmd.h"
#include "control/db.h"
#include "control/state.h"

struct table_def {
	const char *name;
	const char *const *columns;
};

static const char *const ovs_columns[] = {"other_config", NULL};
static const char *const bridge_columns[] = {"name", "datapath_type", "ports", "other_config",
					     NULL};
static const char *const port_columns[] = {"name",      "tag",          "trunks",
					   "vlan_mode", "other_config", NULL};
static const char *const iface_columns[] = {"name",
					    "type",
					    "options",
					    "other_config",
					    "mtu_request",
					    "ingress_policing_rate",
					    "ingress_policing_burst",
					    "filter",
					    "ofport",
					    "admin_state",
					    "link_state",
					    "mtu",
					    "mac_in_use",
					    "status",
					    "statistics",
					    "error",
					    NULL};

static const struct table_def tables[] = {
	{"Open_vSwitch", ovs_columns},
	{"Bridge", bridge_columns},
	{"Port", port_columns},
	{"Interface", iface_columns},
};

/* The columns the switch fills in (cmd_iface_column). */
static bool runtime_column(const char *column)
{
	static const char *const cols[] = {"ofport",     "admin_state", "link_state", "mtu",
					   "mac_in_use", "status",      "statistics", "error"};

	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		if (strcmp(cols[i], column) == 0)
			return true;
	return false;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const struct table_def *find_table(const char *name, int *code, char *err, size_t errlen)
{
	for (size_t i = 0; name && i < sizeof(tables) / sizeof(tables[0]); i++)
		if (strcmp(tables[i].name, name) == 0)
			return &tables[i];
	*code = -EINVAL;
	snprintf(err, errlen,
		 "unknown table '%s' (expected Open_vSwitch, Bridge, Port or Interface)",
		 name ? name : "(none)");
	return NULL;
}

/* One column's text; an unset plain column is "[]".  0 or -errno with err. */
static int column_text(const char *table, const char *record, const char *column, const char *key,
		       char *out, size_t outlen, char *err, size_t errlen)
{
	int rc;

	if (record == NULL || column == NULL) {
		snprintf(err, errlen, "records and columns are strings");
		return -EINVAL;
	}

	if (strcmp(table, "Interface") == 0 && runtime_column(column)) {
		if (db_port_find(sw.db, record, NULL) == NULL) {
			snprintf(err, errlen, "port '%s' does not exist", record);
			return -ENOENT;
		}
		return cmd_iface_column(record, column, key, out, outlen, err, errlen);
	}
	rc = db_get(sw.db, table, record, column, key, out, outlen, err, errlen);
	if (rc == -ENOENT && key == NULL &&
	    db_get(sw.db, table, record, "name", NULL, out, outlen, err, errlen) == 0) {
		snprintf(out, outlen, "[]"); /* the record exists: the column is empty */
		return 0;
	}
	if (rc == -ENOENT && key == NULL && strcmp(table, "Open_vSwitch") == 0)
		return snprintf(out, outlen, "[]") < 0 ? -EINVAL : 0;
	return rc;
}

json_t *cmd_get(json_t *params, int *code, char *err, size_t errlen)
{
	const char *table = jstr(params, "table"), *record = jstr(params, "record");
	const char *column = jstr(params, "column");
	char out[8192], line[8300];
	int rc;

	if (table == NULL || record == NULL || column == NULL) {
		*code = -EINVAL;
		snprintf(err, errlen, "get needs a table, a record and a column");
		return NULL;
	}
	rc = column_text(table, record, column, jstr(params, "key"), out, sizeof(out), err, errlen);
	if (rc < 0) {
		*code = rc;
		return NULL;
	}
	snprintf(line, sizeof(line), "%s\n", out);
	return view_new(line, json_string(out));
}

/* The records of a table, in the model's order. */
static json_t *record_names(const char *table)
{
	json_t *names = json_array();

	if (strcmp(table, "Open_vSwitch") == 0) {
		json_array_append_new(names, json_string("."));
		return names;
	}
	for (size_t b = 0; b < sw.db->n_bridges; b++) {
		const struct db_bridge *br = sw.db->bridges[b];

		if (strcmp(table, "Bridge") == 0) {
			json_array_append_new(names, json_string(br->name));
			continue;
		}
		for (size_t i = 0; i < br->n_ports; i++)
			json_array_append_new(names, json_string(br->ports[i]->name));
	}
	return names;
}

/* The columns asked for (params "columns"), or every column of the table. */
static json_t *columns_of(const struct table_def *t, json_t *params, int *code, char *err,
			  size_t errlen)
{
	json_t *asked = json_object_get(params, "columns"), *cols = json_array(), *c;
	size_t i;

	if (!json_is_array(asked) || json_array_size(asked) == 0) {
		for (i = 0; t->columns[i]; i++)
			json_array_append_new(cols, json_string(t->columns[i]));
		return cols;
	}
	json_array_foreach(asked, i, c)
	{
		const char *name = json_string_value(c);
		bool known = false;

		if (name == NULL) {
			*code = -EINVAL;
			snprintf(err, errlen, "columns are strings");
			json_decref(cols);
			return NULL;
		}
		for (size_t k = 0; name && t->columns[k]; k++)
			known = known || strcmp(t->columns[k], name) == 0;
		if (!known) {
			*code = -EINVAL;
			snprintf(err, errlen, "table %s has no column '%s'", t->name,
				 name ? name : "(none)");
			json_decref(cols);
			return NULL;
		}
		json_array_append(cols, c);
	}
	return cols;
}

/* Does record match every {"column", "key", "value"} condition (text equality)? */
static bool matches(const char *table, const char *record, json_t *conds)
{
	char out[8192], err[DB_ERR_LEN];
	json_t *c;
	size_t i;

	json_array_foreach(conds, i, c)
	{
		const char *v = jstr(c, "value");

		if (!json_is_object(c) ||
		    column_text(table, record, jstr(c, "column"), jstr(c, "key"), out, sizeof(out),
				err, sizeof(err)) < 0 ||
		    v == NULL)
			return false;
		if (strcmp(out, v) != 0 && !(out[0] == '"' && strlen(out) == strlen(v) + 2 &&
					     strncmp(out + 1, v, strlen(v)) == 0))
			return false;
	}
	return true;
}

/* {"headings": [...], "data": [[...]...]} for records of table (or all), and
 * ovs-vsctl's list text. */
static json_t *table_view(json_t *params, json_t *records, json_t *conds, int *code, char *err,
			  size_t errlen)
{
	const struct table_def *t = find_table(jstr(params, "table"), code, err, errlen);
	json_t *cols, *data, *r, *c;
	char *text = NULL;
	size_t len = 0, i, k;
	FILE *f;

	if (t == NULL)
		return NULL;
	cols = columns_of(t, params, code, err, errlen);
	if (cols == NULL)
		return NULL;
	data = json_array();
	f = open_memstream(&text, &len);
	if (f == NULL) {
		json_decref(cols);
		json_decref(data);
		*code = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_array_foreach(records, i, r)
	{
		const char *rec = json_string_value(r);
		json_t *row = json_array();
		char out[8192];
		int rc = 0;

		if (conds != NULL && !matches(t->name, rec, conds)) {
			json_decref(row);
			continue;
		}
		json_array_foreach(cols, k, c)
		{
			rc = column_text(t->name, rec, json_string_value(c), NULL, out, sizeof(out),
					 err, errlen);
			if (rc < 0)
				break;
			json_array_append_new(row, json_string(out));
		}
		if (rc < 0) {
			json_decref(row);
			if (jstr(params, "if_exists") == NULL && conds == NULL) {
				fclose(f);
				free(text);
				json_decref(cols);
				json_decref(data);
				*code = rc;
				return NULL;
			}
			continue;
		}
		if (json_array_size(data) > 0)
			fputc('\n', f);
		json_array_foreach(cols, k, c) fprintf(f, "%-20s: %s\n", json_string_value(c),
						       json_string_value(json_array_get(row, k)));
		json_array_append_new(data, row);
	}
	fclose(f);
	r = view_new(text, json_pack("{s:o,s:o}", "headings", cols, "data", data));
	free(text);
	return r;
}

/* list TABLE [RECORD...] */
json_t *cmd_list(json_t *params, int *code, char *err, size_t errlen)
{
	json_t *recs = json_object_get(params, "records"), *r;

	if (json_is_array(recs) && json_array_size(recs) > 0)
		return table_view(params, recs, NULL, code, err, errlen);
	if (find_table(jstr(params, "table"), code, err, errlen) == NULL)
		return NULL;
	recs = record_names(jstr(params, "table"));
	r = table_view(params, recs, NULL, code, err, errlen);
	json_decref(recs);
	return r;
}

/* find TABLE [COLUMN[:KEY]=VALUE...] */
json_t *cmd_find(json_t *params, int *code, char *err, size_t errlen)
{
	json_t *conds = json_object_get(params, "conditions"), *none = json_array(), *recs, *r;

	json_t *c;
	size_t i;

	if (find_table(jstr(params, "table"), code, err, errlen) == NULL) {
		json_decref(none);
		return NULL;
	}
	json_array_foreach(conds, i, c)
	{
		if (jstr(c, "column") == NULL || jstr(c, "value") == NULL) {
			*code = -EINVAL;
			snprintf(err, errlen, "conditions are column and value strings");
			json_decref(none);
			return NULL;
		}
	}
	recs = record_names(jstr(params, "table"));
	r = table_view(params, recs, json_is_array(conds) ? conds : none, code, err, errlen);
	json_decref(none);
	json_decref(recs);
	return r;
}

/* br-exists BRIDGE: {"exists": bool}; kvsctl exits 2 when false, as ovs-vsctl. */
json_t *cmd_br_exists(json_t *params, int *code, char *err, size_t errlen)
{
	const char *br = jstr(params, "bridge");

	if (br == NULL) {
		*code = -EINVAL;
		snprintf(err, errlen, "missing bridge name");
		return NULL;
	}
	return view_new("", json_pack("{s:b}", "exists", db_bridge_find(sw.db, br) != NULL));
}

/* port-to-br PORT (and iface-to-br: one record for both in kvswitch) */
json_t *cmd_port_to_br(json_t *params, int *code, char *err, size_t errlen)
{
	const char *port = jstr(params, "port");
	struct db_bridge *br = NULL;
	char text[64];

	if (port == NULL || db_port_find(sw.db, port, &br) == NULL) {
		*code = port ? -ENOENT : -EINVAL;
		snprintf(err, errlen, port ? "no port named %s" : "missing port name", port);
		return NULL;
	}
	snprintf(text, sizeof(text), "%s\n", br->name);
	return view_new(text, json_string(br->name));
}
