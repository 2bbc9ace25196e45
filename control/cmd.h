/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cmd: the methods of the control socket.  Writes go through one method,
 * "transact", a list of ovs-vsctl-like operations applied all or nothing;
 * reads return {"text": human view, "data": the same as JSON}.
 * Control thread only.
 */
#ifndef KVS_CONTROL_CMD_H
#define KVS_CONTROL_CMD_H

#include <stddef.h>

#include <jansson.h>

struct db;

json_t *cmd_dispatch(const char *method, json_t *params, int *code, char *err, size_t errlen);

/* Views (cmd_show.c). Each returns {"text":..., "data":...} or NULL + err. */
json_t *show_config(json_t *params, int *code, char *err, size_t errlen);
json_t *show_pmd_stats(json_t *params, int *code, char *err, size_t errlen);
json_t *show_pmd_stats_clear(json_t *params, int *code, char *err, size_t errlen);
json_t *show_pmd_perf(json_t *params, int *code, char *err, size_t errlen);
json_t *show_pmd_rxq(json_t *params, int *code, char *err, size_t errlen);
json_t *show_fdb(json_t *params, int *code, char *err, size_t errlen);
json_t *show_fdb_flush(json_t *params, int *code, char *err, size_t errlen);
json_t *show_fdb_stats(json_t *params, int *code, char *err, size_t errlen);
json_t *show_fdb_stats_clear(json_t *params, int *code, char *err, size_t errlen);
json_t *show_port_stats(json_t *params, int *code, char *err, size_t errlen);
json_t *show_memory(json_t *params, int *code, char *err, size_t errlen);
json_t *show_drop_reasons(json_t *params, int *code, char *err, size_t errlen);

/* Filter commands (cmd_filter.c): the transact operations that edit a
 * port's filter map (-ENOSYS: name is not one of them), and the view. */
int cmd_filter_op(struct db *db, const char *name, json_t *op, char *err, size_t errlen);
json_t *show_filter_rules(json_t *params, int *code, char *err, size_t errlen);

/* ovs-vsctl's table reads (cmd_table.c). */
json_t *cmd_get(json_t *params, int *code, char *err, size_t errlen);
json_t *cmd_list(json_t *params, int *code, char *err, size_t errlen);
json_t *cmd_find(json_t *params, int *code, char *err, size_t errlen);
json_t *cmd_br_exists(json_t *params, int *code, char *err, size_t errlen);
json_t *cmd_port_to_br(json_t *params, int *code, char *err, size_t errlen);
/* The text of an Interface column the switch fills in (ofport, admin_state,
 * link_state, mtu, mac_in_use, status, statistics, error), or of one key of
 * a map one (cmd_show.c).  0, or -ENOENT (no such key) with err. */
int cmd_iface_column(const char *iface, const char *column, const char *key, char *out,
		     size_t outlen, char *err, size_t errlen);

/* {"text": text, "data": data}; takes the data reference. */
json_t *view_new(const char *text, json_t *data);

#endif
