/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovsdb_status: the columns ovs-vswitchd owns, from kvswitch's state
 * (ovsdb_status.h).  Names follow OVS where OVS has one (statistics
 * rx_packets, rx_dropped; status mode, socket, numa_id, n_rxq); every named
 * drop reason of dataplane/drop.h is one more statistic, "rx_REASON" and
 * "tx_REASON", so a tool reading the database sees why frames were lost,
 * not just how many.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <rte_version.h>

#include "control/jsonrpc.h"
#include "control/ovsdb_status.h"
#include "control/state.h"
#include "dataplane/drop.h"
#include "dataplane/ethdev_port.h"
#include "dataplane/offload.h"
#include "vhost-user/vhost_port.h"

static json_t *ovs_map(json_t *obj)
{
	json_t *pairs = json_array(), *v;
	const char *k;

	json_object_foreach(obj, k, v) json_array_append_new(pairs, json_pack("[sO]", k, v));
	json_decref(obj);
	return json_pack("[so]", "map", pairs);
}

static json_t *empty_set(void)
{
	return json_pack("[s[]]", "set");
}

static void smap_add(json_t *o, const char *k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void smap_add(json_t *o, const char *k, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_object_set_new(o, k, json_string(text));
}

static json_t *statistics(const struct sw_port *sp)
{
	struct dp_port_totals t;
	uint64_t rx_dropped = 0, tx_dropped = 0;
	json_t *o = json_object();
	char key[64];

	dp_port_totals(sp->dp, &t);
	for (int r = 0; r < DP_DROP_MAX; r++) {
		rx_dropped += t.rx_drops[r];
		tx_dropped += t.tx_drops[r];
		snprintf(key, sizeof(key), "rx_%s", dp_drop_name(r));
		json_object_set_new(o, key, json_integer((json_int_t)t.rx_drops[r]));
		snprintf(key, sizeof(key), "tx_%s", dp_drop_name(r));
		json_object_set_new(o, key, json_integer((json_int_t)t.tx_drops[r]));
	}
	json_object_set_new(o, "rx_packets", json_integer((json_int_t)t.rx_packets));
	json_object_set_new(o, "rx_bytes", json_integer((json_int_t)t.rx_bytes));
	json_object_set_new(o, "tx_packets", json_integer((json_int_t)t.tx_packets));
	json_object_set_new(o, "tx_bytes", json_integer((json_int_t)t.tx_bytes));
	json_object_set_new(o, "rx_dropped", json_integer((json_int_t)rx_dropped));
	json_object_set_new(o, "tx_dropped", json_integer((json_int_t)tx_dropped));
	json_object_set_new(o, "tx_retries", json_integer((json_int_t)t.tx_retries));
	json_object_set_new(o, "tx_held", json_integer((json_int_t)t.tx_held));
	if (sp->dp->kind == DP_PORT_ETHDEV) {
		struct ethdev_port_info ei;

		ethdev_port_info(sp->dp, &ei);
		json_object_set_new(o, "rx_missed_errors", json_integer((json_int_t)ei.hw_imissed));
		json_object_set_new(o, "rx_errors", json_integer((json_int_t)ei.hw_ierrors));
		json_object_set_new(o, "tx_errors", json_integer((json_int_t)ei.hw_oerrors));
		json_object_set_new(o, "rx_mbuf_allocation_errors",
				    json_integer((json_int_t)ei.hw_rx_nombuf));
	}
	return ovs_map(o);
}

static unsigned int bits(const uint64_t m[2])
{
	return (unsigned int)(__builtin_popcountll(m[0]) + __builtin_popcountll(m[1]));
}

json_t *ovsdb_status_iface(const char *name, const char *error, bool with_stats)
{
	const struct sw_port *sp = sw_port_find(name);
	json_t *row = json_object(), *st = json_object();
	bool up = false;
	char ol[128];

	if (error == NULL && sp != NULL && sp->dp == NULL)
		error = sp->error;
	if (error == NULL && sp == NULL)
		error = "kvswitch does not run this interface (see kvswitchd's log)";
	/* a port kept running as it was after a refused change is still up,
	 * with its error: only one that does not run reads as closed */
	json_object_set_new(row, "error", error ? jsonrpc_string(error) : empty_set());
	if (sp == NULL || sp->dp == NULL) {
		/* OVS writes -1 for an interface it could not open */
		json_object_set_new(row, "ofport", json_integer(-1));
		json_object_set_new(row, "admin_state", empty_set());
		json_object_set_new(row, "link_state", empty_set());
		json_object_set_new(row, "mtu", empty_set());
		json_object_set_new(row, "mac_in_use", empty_set());
		json_object_set_new(row, "status", ovs_map(st));
		if (with_stats)
			json_object_set_new(row, "statistics", ovs_map(json_object()));
		return row;
	}
	json_object_set_new(row, "ofport", json_integer(sw_ofport(sp->dp)));
	if (sp->dp->kind == DP_PORT_VHOST) {
		struct vhost_port_info vi;

		vhost_port_info(sp->dp, &vi);
		up = vi.connected;
		smap_add(st, "mode", "%s", vi.client ? "client" : "server");
		smap_add(st, "socket", "%s", vi.path);
		smap_add(st, "status", "%s", vi.connected ? "connected" : "disconnected");
		if (vi.connected) {
			smap_add(st, "numa", "%d", vi.numa);
			smap_add(st, "num_of_vrings", "%u", 2u * vi.n_qp);
			smap_add(st, "n_rxq", "%u", bits(vi.rx_enabled));
			smap_add(st, "n_txq", "%u", bits(vi.tx_enabled));
			smap_add(st, "features", "0x%016llx", (unsigned long long)vi.features);
			vhost_port_offloads_text(vi.features, ol, sizeof(ol));
			smap_add(st, "offloads", "%s", ol);
		}
	} else {
		struct ethdev_port_info ei;

		ethdev_port_info(sp->dp, &ei);
		up = ei.link_up;
		smap_add(st, "driver_name", "%s", ei.driver);
		smap_add(st, "port_no", "%u", ei.port_id);
		smap_add(st, "numa_id", "%d", sp->dp->numa);
		smap_add(st, "n_rxq", "%u", ei.n_rxq);
		smap_add(st, "n_txq", "%u", ei.n_txq);
		smap_add(st, "link_speed", "%u Mbps", ei.link_speed);
		dp_offload_caps_text(sp->dp->ol_caps, ol, sizeof(ol));
		smap_add(st, "offloads", "%s", ol);
		json_object_set_new(row, "mac_in_use", json_string(ei.mac));
	}
	if (json_object_get(row, "mac_in_use") == NULL)
		json_object_set_new(row, "mac_in_use", empty_set());
	json_object_set_new(row, "admin_state", json_string("up"));
	json_object_set_new(row, "link_state", json_string(up ? "up" : "down"));
	json_object_set_new(row, "mtu", json_integer(sp->cfg.mtu));
	json_object_set_new(row, "status", ovs_map(st));
	if (with_stats)
		json_object_set_new(row, "statistics", statistics(sp));
	return row;
}

json_t *ovsdb_status_system(void)
{
	char ver[64];

	snprintf(ver, sizeof(ver), "%s", rte_version());
	/* not ovs_version: tools compare it with OVS releases */
	return json_pack("{s:b,s:s,s:[s[s]],s:[s[sss]]}", "dpdk_initialized", 1, "dpdk_version",
			 ver, "datapath_types", "set", "netdev", "iface_types", "set", "dpdk",
			 "dpdkvhostuser", "dpdkvhostuserclient");
}

/* ovs-vsctl prints a string bare when it reads back as the same string */
static bool needs_quotes(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return true;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return true;
	return false;
}

static void atom_text(FILE *f, const json_t *a)
{
	const char *s = json_string_value(a);

	if (json_is_integer(a))
		fprintf(f, "%lld", (long long)json_integer_value(a));
	else if (json_is_boolean(a))
		fputs(json_is_true(a) ? "true" : "false", f);
	else if (json_is_real(a))
		fprintf(f, "%g", json_real_value(a));
	else if (s != NULL && !needs_quotes(s))
		fputs(s, f);
	else if (s != NULL) {
		fputc('"', f);
		for (; *s; s++)
			fprintf(f, (*s == '"' || *s == '\\') ? "\\%c" : "%c", *s);
		fputc('"', f);
	} else if (json_is_array(a) && json_array_size(a) == 2) /* ["uuid", "..."] */
		fputs(json_string_value(json_array_get(a, 1)) ?: "", f);
}

int ovsdb_value_text(const json_t *v, const char *key, char *out, size_t outlen)
{
	const char *tag = json_is_array(v) ? json_string_value(json_array_get(v, 0)) : NULL;
	json_t *items = json_array_get(v, 1), *it;
	char *text = NULL;
	size_t len = 0, i;
	bool found = key == NULL;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return -ENOMEM;
	if (tag != NULL && strcmp(tag, "map") == 0) {
		if (key == NULL)
			fputc('{', f);
		json_array_foreach(items, i, it)
		{
			const char *k = json_string_value(json_array_get(it, 0));

			if (key != NULL) {
				if (k != NULL && strcmp(k, key) == 0) {
					atom_text(f, json_array_get(it, 1));
					found = true;
				}
				continue;
			}
			fputs(i ? ", " : "", f);
			atom_text(f, json_array_get(it, 0));
			fputc('=', f);
			atom_text(f, json_array_get(it, 1));
		}
		if (key == NULL)
			fputc('}', f);
	} else if (tag != NULL && strcmp(tag, "set") == 0) {
		fputc('[', f);
		json_array_foreach(items, i, it)
		{
			fputs(i ? ", " : "", f);
			atom_text(f, it);
		}
		fputc(']', f);
	} else {
		atom_text(f, v);
	}
	fclose(f);
	if (!found) {
		free(text);
		return -ENOENT;
	}
	i = (size_t)snprintf(out, outlen, "%s", text ? text : "");
	free(text);
	return i < outlen ? 0 : -ENOSPC;
}
