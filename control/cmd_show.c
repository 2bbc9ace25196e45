/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read-only views of the running switch (cmd.h): show, pmd-stats-show,
 * pmd-rxq-show, fdb/show, port statistics with every drop reason by name,
 * memory.  Each builds the JSON data and the text a person reads from the
 * same numbers.  Control thread only; counters are read while PMDs write
 * them, so a view may be a few packets behind.
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "control/cmd.h"
#include "control/ovsdb_status.h"
#include "control/rxq_load.h"
#include "control/rxq_plan.h"
#include "control/state.h"
#include "control/uplink.h"
#include "control/xdp_filter.h"
#include "dataplane/bridge.h"
#include "dataplane/clock.h"
#include "dataplane/ethdev_port.h"
#include "dataplane/offload.h"
#include "dataplane/fdb.h"
#include "dataplane/pktmbuf.h"
#include "pmd/pmd.h"
#include "vhost-user/vhost_port.h"

/* A growing text buffer. */
struct buf {
	char *s;
	size_t len, cap;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *s = realloc(b->s, cap);
		if (s == NULL)
			return;
		b->s = s;
		b->cap = cap;
	}
}

static json_t *view_buf(struct buf *b, json_t *data)
{
	json_t *v = view_new(b->s ? b->s : "", data);

	free(b->s);
	return v;
}

static const char *type_name(enum db_port_type t)
{
	switch (t) {
	case DB_PORT_VHOST_SERVER:
		return "dpdkvhostuser";
	case DB_PORT_VHOST_CLIENT:
		return "dpdkvhostuserclient";
	case DB_PORT_DPDK:
		return "dpdk";
	}
	return "?";
}

static json_t *smap_json(const struct smap *m)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < m->n; i++)
		json_object_set_new(o, m->nodes[i].key, json_string(m->nodes[i].value));
	return o;
}

static void smap_text(struct buf *b, int indent, const char *name, const struct smap *m)
{
	size_t i;

	if (m->n == 0)
		return;
	bprintf(b, "%*s%s: {", indent, "", name);
	for (i = 0; i < m->n; i++)
		bprintf(b, "%s%s=\"%s\"", i ? ", " : "", m->nodes[i].key, m->nodes[i].value);
	bprintf(b, "}\n");
}

static uint16_t count_bits(const uint64_t *b)
{
	return (uint16_t)(__builtin_popcountll(b[0]) + __builtin_popcountll(b[1]));
}

static json_t *err_json(int e)
{
	return e ? json_string(strerror(-e)) : json_null();
}

/* The receive filter of a dpdk port (control/uplink.c): JSON, and one text
 * line at `indent`.  NULL if the port has none yet. */
static json_t *mac_filter_view(const struct dp_port *p, struct buf *b, int indent)
{
	struct rte_ether_addr macs[128]; /* RTE_ETH_NUM_RECEIVE_MAC_ADDR: ethdev's maximum */
	struct macfilter_status ms;
	char text[RTE_ETHER_ADDR_FMT_SIZE];
	json_t *o, *list = json_array();
	uint32_t n, i;

	if (!uplink_status(p, &ms)) {
		json_decref(list);
		return NULL;
	}
	n = RTE_MIN(uplink_programmed(p, macs, RTE_DIM(macs)), RTE_DIM(macs));
	for (i = 0; i < n; i++) {
		rte_ether_format_addr(text, sizeof(text), &macs[i]);
		json_array_append_new(list, json_string(text));
	}
	o = json_pack("{s:s,s:b,s:i,s:i,s:i,s:i,s:I,s:I,s:o,s:o}", "mode",
		      macfilter_mode_name(ms.mode), "promiscuous", ms.promisc, "programmed",
		      ms.uc_programmed, "max", ms.uc_max, "wanted", ms.uc_wanted, "overflow",
		      ms.uc_overflow, "full_events", (json_int_t)ms.full_events, "fallbacks",
		      (json_int_t)ms.fallbacks, "promiscuous_error", err_json(ms.promisc_err),
		      "mac_error", err_json(ms.uc_err));
	json_object_set_new(o, "macs", list);
	json_object_set_new(o, "multicast",
			    json_pack("{s:s,s:b,s:i,s:i,s:o}", "mode",
				      macfilter_mc_mode_name(ms.mc_mode), "allmulticast",
				      ms.allmulti, "programmed", ms.mc_programmed, "wanted",
				      ms.mc_wanted, "error", err_json(ms.mc_err)));
	bprintf(b,
		"%*smac_filter: {mode=%s, programmed=%u, max=%u, wanted=%u, overflow=%u, "
		"full_events=%lu, fallbacks=%lu",
		indent, "", macfilter_mode_name(ms.mode), ms.uc_programmed, ms.uc_max, ms.uc_wanted,
		ms.uc_overflow, ms.full_events, ms.fallbacks);
	if (ms.mode != MACFILTER_PROMISC)
		bprintf(b, ", multicast=%s(%u/%u)", macfilter_mc_mode_name(ms.mc_mode),
			ms.mc_programmed, ms.mc_wanted);
	if (ms.mode == MACFILTER_FULL)
		bprintf(b, ", lost=\"frames for %u MACs cannot be received\"", ms.uc_overflow);
	if (ms.promisc_err)
		bprintf(b, ", promiscuous_error=\"%s\"", strerror(-ms.promisc_err));
	if (ms.uc_err)
		bprintf(b, ", mac_error=\"%s\"", strerror(-ms.uc_err));
	bprintf(b, "}\n");
	return o;
}

static json_t *port_state(const struct sw_port *sp, struct buf *b)
{
	json_t *st = json_object();

	if (sp->dp == NULL) {
		json_object_set_new(st, "error", json_string(sp->error));
		bprintf(b, "            error: \"%s\"\n", sp->error);
		return st;
	}
	json_object_set_new(st, "ofport", json_integer(sw_ofport(sp->dp)));
	if (sp->dp->kind == DP_PORT_VHOST) {
		struct vhost_port_info vi;
		char ol[128];

		vhost_port_info(sp->dp, &vi);
		json_object_set_new(st, "socket", json_string(vi.path));
		json_object_set_new(st, "mode", json_string(vi.client ? "client" : "server"));
		json_object_set_new(st, "connected", json_boolean(vi.connected));
		json_object_set_new(st, "numa", json_integer(vi.numa));
		json_object_set_new(st, "queue_pairs", json_integer(vi.n_qp));
		json_object_set_new(st, "rx_queues_enabled",
				    json_integer(count_bits(vi.rx_enabled)));
		json_object_set_new(st, "tx_queues_enabled",
				    json_integer(count_bits(vi.tx_enabled)));
		json_object_set_new(st, "connects", json_integer((json_int_t)vi.connects));
		vhost_port_offloads_text(vi.features, ol, sizeof(ol));
		json_object_set_new(st, "offloads", json_string(ol));
		bprintf(b, "            status: {socket=\"%s\", mode=%s, %s", vi.path,
			vi.client ? "client" : "server",
			vi.connected ? "connected" : "not connected");
		if (vi.connected)
			bprintf(b, ", numa_id=%d, queue_pairs=%u, rx_enabled=%u, tx_enabled=%u",
				vi.numa, vi.n_qp, count_bits(vi.rx_enabled),
				count_bits(vi.tx_enabled));
		if (vi.connected)
			bprintf(b, ", offloads=\"%s\"", ol);
		bprintf(b, "}\n");
	} else {
		struct ethdev_port_info ei;
		char ol[64];
		json_t *mf;

		ethdev_port_info(sp->dp, &ei);
		json_object_set_new(st, "driver", json_string(ei.driver));
		json_object_set_new(st, "mac", json_string(ei.mac));
		json_object_set_new(st, "link_up", json_boolean(ei.link_up));
		json_object_set_new(st, "n_rxq", json_integer(ei.n_rxq));
		json_object_set_new(st, "n_txq", json_integer(ei.n_txq));
		json_object_set_new(st, "numa", json_integer(sp->dp->numa));
		json_object_set_new(st, "promiscuous", json_boolean(ei.promiscuous));
		dp_offload_caps_text(sp->dp->ol_caps, ol, sizeof(ol));
		json_object_set_new(st, "offloads", json_string(ol));
		bprintf(b,
			"            status: {driver=%s, mac=%s, link=%s, n_rxq=%u, n_txq=%u, "
			"numa_id=%d, promiscuous=%s, offloads=\"%s\"}\n",
			ei.driver, ei.mac, ei.link_up ? "up" : "down", ei.n_rxq, ei.n_txq,
			sp->dp->numa, ei.promiscuous ? "true" : "false", ol);
		mf = mac_filter_view(sp->dp, b, 12);
		if (mf)
			json_object_set_new(st, "mac_filter", mf);
	}
	return st;
}

json_t *show_config(json_t *params, int *code, char *err, size_t errlen)
{
	struct buf b = {0};
	json_t *data = json_object(), *brs = json_array();
	size_t i, j;

	(void)params, (void)code, (void)err, (void)errlen;
	json_object_set_new(data, "other_config", smap_json(&sw.db->other_config));
	for (i = 0; i < sw.db->n_bridges; i++) {
		const struct db_bridge *dbb = sw.db->bridges[i];
		json_t *br = json_object(), *ports = json_array();

		bprintf(&b, "    Bridge %s\n", dbb->name);
		smap_text(&b, 8, "other_config", &dbb->other_config);
		json_object_set_new(br, "name", json_string(dbb->name));
		json_object_set_new(br, "other_config", smap_json(&dbb->other_config));
		for (j = 0; j < dbb->n_ports; j++) {
			const struct db_port *dp = dbb->ports[j];
			const struct sw_port *sp = sw_port_find(dp->name);
			json_t *p = json_object(), *tr = json_array();
			uint16_t k;

			bprintf(&b, "        Port %s\n", dp->name);
			if (dp->tag)
				bprintf(&b, "            tag: %u\n", dp->tag);
			for (k = 0; k < dp->n_trunks; k++)
				json_array_append_new(tr, json_integer(dp->trunks[k]));
			if (dp->n_trunks) {
				bprintf(&b, "            trunks: [");
				for (k = 0; k < dp->n_trunks; k++)
					bprintf(&b, "%s%u", k ? ", " : "", dp->trunks[k]);
				bprintf(&b, "]\n");
			}
			if (dp->vlan_mode)
				bprintf(&b, "            vlan_mode: %s\n",
					db_vlan_mode_name(dp->vlan_mode));
			bprintf(&b, "            Interface %s\n", dp->name);
			bprintf(&b, "            type: %s\n", dp->type);
			smap_text(&b, 12, "options", &dp->options);
			smap_text(&b, 12, "other_config", &dp->other_config);
			smap_text(&b, 12, "filter", &dp->filter);
			if (sp && sp->filter_error[0])
				bprintf(&b, "            filter_error: \"%s\"\n", sp->filter_error);
			if (dp->mtu_request)
				bprintf(&b, "            mtu_request: %u\n", dp->mtu_request);
			json_object_set_new(p, "name", json_string(dp->name));
			json_object_set_new(p, "type", json_string(dp->type));
			json_object_set_new(p, "options", smap_json(&dp->options));
			json_object_set_new(p, "other_config", smap_json(&dp->other_config));
			json_object_set_new(p, "filter", smap_json(&dp->filter));
			json_object_set_new(p, "tag",
					    dp->tag ? json_integer(dp->tag) : json_null());
			json_object_set_new(p, "trunks", tr);
			json_object_set_new(p, "vlan_mode",
					    dp->vlan_mode
						    ? json_string(db_vlan_mode_name(dp->vlan_mode))
						    : json_null());
			json_object_set_new(p, "mtu_request", json_integer(dp->mtu_request));
			if (sp)
				json_object_set_new(p, "status", port_state(sp, &b));
			json_array_append_new(ports, p);
		}
		json_object_set_new(br, "ports", ports);
		json_array_append_new(brs, br);
	}
	json_object_set_new(data, "bridges", brs);
	smap_text(&b, 4, "other_config", &sw.db->other_config);
	return view_buf(&b, data);
}

/* params {"pmd": CORE}: only the PMD on that core (ovs-appctl's -pmd).
 * -1 for all; -ENOENT with err when no PMD runs there. */
static int only_pmd(json_t *params, int *code, char *err, size_t errlen)
{
	json_t *v = json_object_get(params, "pmd");

	if (v == NULL)
		return -1;
	for (unsigned int s = 0; json_is_integer(v) && s < sw.n_pmd_slots; s++)
		if (sw.pmds[s] && (json_int_t)sw.pmds[s]->core == json_integer_value(v))
			return (int)sw.pmds[s]->core;
	*code = -ENOENT;
	snprintf(err, errlen, "no PMD thread runs on core %lld", (long long)json_integer_value(v));
	return -ENOENT;
}

json_t *show_pmd_stats(json_t *params, int *code, char *err, size_t errlen)
{
	int only = only_pmd(params, code, err, errlen);
	struct buf b = {0};
	json_t *arr;
	unsigned int s;

	if (only == -ENOENT)
		return NULL;
	arr = json_array();
	for (s = 0; s < sw.n_pmd_slots; s++) {
		const struct pmd *pmd = sw.pmds[s];
		struct pmd_stats st;
		uint64_t total, all, sleep_us;
		double pct_idle, pct_busy, pct_sleep;
		json_t *o;

		if (pmd == NULL || (only >= 0 && (int)pmd->core != only))
			continue;
		pmd_stats_get(pmd, &st);
		/* Per-packet figures count awake cycles; shares count sleep too. */
		total = st.busy_cycles + st.idle_cycles;
		all = total + st.sleep_cycles;
		pct_idle = all ? 100.0 * (double)st.idle_cycles / (double)all : 0;
		pct_busy = all ? 100.0 * (double)st.busy_cycles / (double)all : 0;
		pct_sleep = all ? 100.0 * (double)st.sleep_cycles / (double)all : 0;
		sleep_us = st.sleep_cycles * 1000000 / rte_get_tsc_hz();
		bprintf(&b, "pmd thread numa_id %d core_id %u:\n", pmd->numa, pmd->core);
		bprintf(&b, "  packets received: %lu\n", st.rx_packets);
		bprintf(&b, "  iterations: %lu\n", st.iterations);
		bprintf(&b, "  idle cycles: %lu (%.2f%%)\n", st.idle_cycles, pct_idle);
		bprintf(&b, "  processing cycles: %lu (%.2f%%)\n", st.busy_cycles, pct_busy);
		bprintf(&b, "  sleep cycles: %lu (%.2f%%)\n", st.sleep_cycles, pct_sleep);
		bprintf(&b, "  sleep iterations: %lu (%.2f%% of iterations), sleep time: %lu us",
			st.sleeps,
			st.iterations ? 100.0 * (double)st.sleeps / (double)st.iterations : 0,
			sleep_us);
		if (st.sleeps)
			bprintf(&b, " (avg %.1f us)", (double)sleep_us / (double)st.sleeps);
		bprintf(&b, "\n");
		if (st.rx_packets) {
			bprintf(&b, "  avg cycles per packet: %.2f (%lu/%lu)\n",
				(double)total / (double)st.rx_packets, total, st.rx_packets);
			bprintf(&b, "  avg processing cycles per packet: %.2f (%lu/%lu)\n",
				(double)st.busy_cycles / (double)st.rx_packets, st.busy_cycles,
				st.rx_packets);
		}
		if (st.busy_polls)
			bprintf(&b, "  avg packets per busy poll: %.2f (%lu/%lu)\n",
				(double)st.rx_packets / (double)st.busy_polls, st.rx_packets,
				st.busy_polls);
		o = json_pack("{s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:f,s:f}", "core", pmd->core, "numa",
			      pmd->numa, "rx_packets", (json_int_t)st.rx_packets, "iterations",
			      (json_int_t)st.iterations, "idle_cycles", (json_int_t)st.idle_cycles,
			      "busy_cycles", (json_int_t)st.busy_cycles, "busy_polls",
			      (json_int_t)st.busy_polls, "cycles_per_packet",
			      st.rx_packets ? (double)total / (double)st.rx_packets : 0.0,
			      "packets_per_busy_poll",
			      st.busy_polls ? (double)st.rx_packets / (double)st.busy_polls : 0.0);
		json_object_set_new(o, "sleep_cycles", json_integer((json_int_t)st.sleep_cycles));
		json_object_set_new(o, "sleeps", json_integer((json_int_t)st.sleeps));
		json_object_set_new(o, "sleep_us", json_integer((json_int_t)sleep_us));
		json_object_set_new(o, "sleep_max_us", json_integer(pmd->sleep_max_us));
		json_array_append_new(arr, o);
	}
	bprintf(&b, "%s", "");
	return view_buf(&b, arr);
}

json_t *show_pmd_stats_clear(json_t *params, int *code, char *err, size_t errlen)
{
	unsigned int s;

	(void)params, (void)code, (void)err, (void)errlen;
	for (s = 0; s < sw.n_pmd_slots; s++)
		if (sw.pmds[s])
			pmd_stats_clear(sw.pmds[s]);
	return view_new("", json_object());
}

/*
 * Which PMD polls which queue, and how busy each has been over the load
 * window (control/rxq_load.h): a queue's "pmd usage" is its processing
 * cycles as a share of the window, i.e. of its PMD's time, as in OVS; the
 * PMD's busy share is all of its processing, whichever queues it polled.
 */
json_t *show_pmd_rxq(json_t *params, int *code, char *err, size_t errlen)
{
	double window_s = (double)rxq_load_window() / (double)rte_get_tsc_hz();
	struct buf b = {0};
	int only = only_pmd(params, code, err, errlen);
	json_t *arr;
	unsigned int s;

	if (only == -ENOENT)
		return NULL;
	arr = json_array();
	for (s = 0; s < sw.n_pmd_slots; s++) {
		const struct pmd *pmd = sw.pmds[s];
		const struct pmd_rxq_list *l;
		struct pmd_stats win;
		json_t *qs, *o;
		bool iso = rxq_plan_isolated(s);
		double busy, asleep;
		uint16_t i;

		if (pmd == NULL || (only >= 0 && (int)pmd->core != only))
			continue;
		qs = json_array();
		l = pmd->rxqs;
		rxq_load_pmd(pmd, &win);
		busy = rxq_load_pct(win.busy_cycles);
		asleep = rxq_load_pct(win.sleep_cycles);
		bprintf(&b, "pmd thread numa_id %d core_id %u:\n", pmd->numa, pmd->core);
		bprintf(&b, "  isolated : %s\n", iso ? "true" : "false");
		for (i = 0; l && i < l->n; i++) {
			const struct dp_port *p = l->q[i].port;
			uint16_t q = l->q[i].qid;
			bool en = p->kind != DP_PORT_VHOST || vhost_port_rxq_enabled(p, q);
			bool remote = p->numa >= 0 && p->numa != pmd->numa;
			double usage = rxq_load_pct(rxq_load_queue(p, q));

			bprintf(&b, "  port: %-16s queue-id: %2u (%s)  pmd usage: %3.0f %%%s\n",
				p->name, q, en ? "enabled" : "disabled", usage,
				remote ? "  (cross-NUMA)" : "");
			json_array_append_new(qs, json_pack("{s:s,s:i,s:b,s:f,s:i,s:b}", "port",
							    p->name, "queue", q, "enabled", en,
							    "usage", usage, "numa", p->numa,
							    "cross_numa", remote));
		}
		bprintf(&b, "  pmd busy: %3.0f %%, asleep: %3.0f %% (over the last %.0f s)\n", busy,
			asleep, window_s);
		o = json_pack("{s:i,s:i,s:b,s:f,s:f,s:f,s:o}", "core", pmd->core, "numa", pmd->numa,
			      "isolated", iso, "busy", busy, "asleep", asleep, "window_s", window_s,
			      "rxqs", qs);
		json_array_append_new(arr, o);
	}
	return view_buf(&b, arr);
}

static struct sw_bridge *bridge_param(json_t *params, bool required, int *code, char *err,
				      size_t errlen)
{
	const char *name = json_string_value(json_object_get(params, "bridge"));
	struct sw_bridge *br;

	if (name == NULL) {
		if (required) {
			*code = -EINVAL;
			snprintf(err, errlen, "missing bridge name");
		}
		return NULL;
	}
	br = sw_bridge_find(name);
	if (br == NULL) {
		*code = -ENOENT;
		snprintf(err, errlen, "bridge '%s' does not exist", name);
	}
	return br;
}

struct fdb_walk_ctx {
	struct buf *b;
	json_t *arr;
};

static int fdb_row(const struct fdb_entry_info *e, void *arg)
{
	struct fdb_walk_ctx *c = arg;
	const struct sw_port *sp = sw_port_by_id(e->port);
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	rte_ether_format_addr(mac, sizeof(mac), &e->mac);
	bprintf(c->b, " %-16s %4u  %s  %3u\n", sp ? sp->name : "?", e->vlan, mac, e->age_s);
	json_array_append_new(c->arr, json_pack("{s:s,s:i,s:s,s:i}", "port", sp ? sp->name : "?",
						"vlan", e->vlan, "mac", mac, "age", e->age_s));
	return 0;
}

json_t *show_fdb(json_t *params, int *code, char *err, size_t errlen)
{
	struct sw_bridge *br = bridge_param(params, true, code, err, errlen);
	struct buf b = {0};
	struct fdb_walk_ctx c = {&b, NULL};

	if (br == NULL)
		return NULL;
	c.arr = json_array();
	bprintf(&b, " %-16s %4s  %-17s  %3s\n", "port", "VLAN", "MAC", "Age");
	fdb_walk(br->dp->fdb, dp_now(), fdb_row, &c);
	return view_buf(&b, c.arr);
}

json_t *show_fdb_flush(json_t *params, int *code, char *err, size_t errlen)
{
	struct sw_bridge *br = bridge_param(params, false, code, err, errlen);
	unsigned int i, n = 0;
	char text[64];

	if (br == NULL && *code)
		return NULL;
	for (i = 0; i < SW_MAX_BRIDGES; i++)
		if (sw.bridges[i] && (br == NULL || br == sw.bridges[i]))
			n += fdb_flush(sw.bridges[i]->dp->fdb);
	snprintf(text, sizeof(text), "table successfully flushed\n");
	return view_new(text, json_pack("{s:i}", "flushed", n));
}

/* fdb/stats-clear [BRIDGE]: the counters fdb/stats-show prints start again
 * from 0 (entries stay: they are the table, not a counter). */
json_t *show_fdb_stats_clear(json_t *params, int *code, char *err, size_t errlen)
{
	struct sw_bridge *br = bridge_param(params, false, code, err, errlen);
	unsigned int i;
	char text[96];

	if (br == NULL && *code)
		return NULL;
	for (i = 0; i < SW_MAX_BRIDGES; i++)
		if (sw.bridges[i] && (br == NULL || br == sw.bridges[i]))
			fdb_stats_get(sw.bridges[i]->dp->fdb, &sw.bridges[i]->stats_base);
	snprintf(text, sizeof(text), "statistics successfully cleared\n");
	return view_new(text, json_object());
}

json_t *show_fdb_stats(json_t *params, int *code, char *err, size_t errlen)
{
	struct sw_bridge *br = bridge_param(params, true, code, err, errlen);
	struct fdb_stats st;
	struct buf b = {0};

	if (br == NULL)
		return NULL;
	fdb_stats_get(br->dp->fdb, &st);
	st.learned -= br->stats_base.learned;
	st.moved -= br->stats_base.moved;
	st.aged -= br->stats_base.aged;
	st.refused_full -= br->stats_base.refused_full;
	st.refused_limit -= br->stats_base.refused_limit;
	st.refused_chain -= br->stats_base.refused_chain;
	st.requests_lost -= br->stats_base.requests_lost;
	bprintf(&b, "Statistics for bridge \"%s\":\n", br->name);
	bprintf(&b, "  Current/maximum MAC entries in the table: %u/%u\n", st.entries,
		br->cfg.mac_table_size);
	bprintf(&b, "  Total number of learned MAC entries     : %lu\n", st.learned);
	bprintf(&b, "  Total number of moved MAC entries       : %lu\n", st.moved);
	bprintf(&b, "  Total number of aged MAC entries        : %lu\n", st.aged);
	bprintf(&b, "  MACs refused, table full                : %lu\n", st.refused_full);
	bprintf(&b, "  MACs refused, port limit                : %lu\n", st.refused_limit);
	bprintf(&b, "  MACs refused, bucket chain full         : %lu\n", st.refused_chain);
	bprintf(&b, "  Learn requests lost                     : %lu\n", st.requests_lost);
	return view_buf(&b,
			json_pack("{s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "entries", st.entries,
				  "max", br->cfg.mac_table_size, "learned", (json_int_t)st.learned,
				  "moved", (json_int_t)st.moved, "aged", (json_int_t)st.aged,
				  "refused_full", (json_int_t)st.refused_full, "refused_limit",
				  (json_int_t)st.refused_limit, "refused_chain",
				  (json_int_t)st.refused_chain, "requests_lost",
				  (json_int_t)st.requests_lost));
}

static json_t *drops_json(const uint64_t *d)
{
	json_t *o = json_object();
	int r;

	for (r = 0; r < DP_DROP_MAX; r++)
		json_object_set_new(o, dp_drop_name(r), json_integer((json_int_t)d[r]));
	return o;
}

static void drops_text(struct buf *b, const char *dir, const uint64_t *d)
{
	int r, shown = 0;

	bprintf(b, "  %s drops:", dir);
	for (r = 0; r < DP_DROP_MAX; r++) {
		bprintf(b, "%s%s=%lu", shown % 4 == 0 ? "\n    " : "  ", dp_drop_name(r), d[r]);
		shown++;
	}
	bprintf(b, "\n");
}

/* What the device itself counts (imissed: frames it had no room for, or,
 * on a VF, may never count) and the MAC filter's counters. */
static void ethdev_stats_view(const struct dp_port *p, json_t *o, struct buf *b)
{
	struct ethdev_port_info ei;
	json_t *mf;

	ethdev_port_info(p, &ei);
	bprintf(b,
		"  device: ipackets=%lu imissed=%lu ierrors=%lu rx_nombuf=%lu opackets=%lu "
		"oerrors=%lu\n",
		ei.hw_ipackets, ei.hw_imissed, ei.hw_ierrors, ei.hw_rx_nombuf, ei.hw_opackets,
		ei.hw_oerrors);
	json_object_set_new(
		o, "device",
		json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "ipackets", (json_int_t)ei.hw_ipackets,
			  "imissed", (json_int_t)ei.hw_imissed, "ierrors",
			  (json_int_t)ei.hw_ierrors, "rx_nombuf", (json_int_t)ei.hw_rx_nombuf,
			  "opackets", (json_int_t)ei.hw_opackets, "oerrors",
			  (json_int_t)ei.hw_oerrors));
	mf = mac_filter_view(p, b, 2);
	if (mf)
		json_object_set_new(o, "mac_filter", mf);
}

/* An af_xdp port's kernel program (control/xdp_filter.h): frames its ingress
 * rules dropped before the PMD saw them; nothing for other ports. */
static void xdp_stats_view(const struct sw_port *sp, json_t *o, struct buf *b)
{
	struct xdp_filter_stats st;
	char ifname[IF_NAMESIZE];
	json_t *rules;
	uint16_t r;

	if (xdp_filter_ifname(sp->cfg.devargs, ifname, sizeof(ifname)) < 0 ||
	    xdp_filter_read_stats(ifname, &st) < 0)
		return;
	rules = json_array();
	bprintf(b, "  kernel (XDP on %s) ingress rules: denied=%lu default=%lu", ifname, st.denied,
		st.default_denied);
	for (r = 0; r < st.n_rules; r++) {
		bprintf(b, " rule%u=%lu", r, st.rule_denied[r]);
		json_array_append_new(rules, json_integer((json_int_t)st.rule_denied[r]));
	}
	bprintf(b, "\n");
	json_object_set_new(o, "xdp",
			    json_pack("{s:s,s:I,s:I,s:o}", "iface", ifname, "denied",
				      (json_int_t)st.denied, "default_denied",
				      (json_int_t)st.default_denied, "rules_denied", rules));
}

json_t *show_port_stats(json_t *params, int *code, char *err, size_t errlen)
{
	const char *only = json_string_value(json_object_get(params, "port"));
	json_t *arr = json_array();
	struct buf b = {0};
	unsigned int i;

	if (only && sw_port_find(only) == NULL) {
		json_decref(arr);
		*code = -ENOENT;
		snprintf(err, errlen, "port '%s' does not exist", only);
		return NULL;
	}
	for (i = 0; i < sw.n_ports; i++) {
		const struct sw_port *sp = sw.ports[i];
		struct dp_port_totals t;
		json_t *qs, *o;
		uint16_t q;

		if (only && strcmp(only, sp->name) != 0)
			continue;
		if (sp->dp == NULL) {
			bprintf(&b, "port %s: not open (%s)\n", sp->name, sp->error);
			json_array_append_new(
				arr, json_pack("{s:s,s:s}", "name", sp->name, "error", sp->error));
			continue;
		}
		qs = json_array(); /* after the continues: it leaked for every skipped port */
		dp_port_totals(sp->dp, &t);
		bprintf(&b, "port %s (%s, ofport %u):\n", sp->name, type_name(sp->cfg.type),
			sw_ofport(sp->dp));
		bprintf(&b, "  rx: packets=%lu bytes=%lu\n", t.rx_packets, t.rx_bytes);
		bprintf(&b, "  tx: packets=%lu bytes=%lu retries=%lu\n", t.tx_packets, t.tx_bytes,
			t.tx_retries);
		drops_text(&b, "rx", t.rx_drops);
		drops_text(&b, "tx", t.tx_drops);
		for (q = 0; q < DP_MAX_QUEUES; q++) {
			const struct dp_rxq_stats *rs = &sp->dp->rxq[q];
			if (rs->packets == 0)
				continue;
			bprintf(&b, "  rxq %u: packets=%lu bytes=%lu\n", q, rs->packets, rs->bytes);
			json_array_append_new(qs, json_pack("{s:i,s:I,s:I,s:o}", "queue", q,
							    "packets", (json_int_t)rs->packets,
							    "bytes", (json_int_t)rs->bytes, "drops",
							    drops_json(rs->drops)));
		}
		o = json_pack("{s:s,s:s,s:i,s:I,s:I,s:I,s:I,s:o,s:o,s:o}", "name", sp->name, "type",
			      type_name(sp->cfg.type), "ofport", sw_ofport(sp->dp), "rx_packets",
			      (json_int_t)t.rx_packets, "rx_bytes", (json_int_t)t.rx_bytes,
			      "tx_packets", (json_int_t)t.tx_packets, "tx_bytes",
			      (json_int_t)t.tx_bytes, "rx_drops", drops_json(t.rx_drops),
			      "tx_drops", drops_json(t.tx_drops), "rxqs", qs);
		json_object_set_new(o, "tx_retries", json_integer((json_int_t)t.tx_retries));
		if (sp->dp->kind == DP_PORT_ETHDEV) {
			ethdev_stats_view(sp->dp, o, &b);
			xdp_stats_view(sp, o, &b);
		}
		json_array_append_new(arr, o);
	}
	return view_buf(&b, arr);
}

json_t *show_memory(json_t *params, int *code, char *err, size_t errlen)
{
	struct dp_pool_info pi[RTE_MAX_NUMA_NODES];
	unsigned int n = dp_pool_list(pi, RTE_DIM(pi)), i;
	json_t *arr = json_array();
	struct buf b = {0};

	(void)params, (void)code, (void)err, (void)errlen;
	for (i = 0; i < n; i++) {
		bprintf(&b, "mbuf pool numa_id %d: %u of %u in use\n", pi[i].numa, pi[i].in_use,
			pi[i].size);
		json_array_append_new(arr, json_pack("{s:i,s:i,s:i}", "numa", pi[i].numa, "size",
						     pi[i].size, "in_use", pi[i].in_use));
	}
	return view_buf(&b, json_pack("{s:o}", "mbuf_pools", arr));
}

json_t *show_drop_reasons(json_t *params, int *code, char *err, size_t errlen)
{
	json_t *o = json_object();
	struct buf b = {0};
	int r;

	(void)params, (void)code, (void)err, (void)errlen;
	for (r = 0; r < DP_DROP_MAX; r++) {
		bprintf(&b, "%-18s %s\n", dp_drop_name(r), dp_drop_desc(r));
		json_object_set_new(o, dp_drop_name(r), json_string(dp_drop_desc(r)));
	}
	return view_buf(&b, o);
}

int cmd_iface_column(const char *iface, const char *column, const char *key, char *out,
		     size_t outlen, char *err, size_t errlen)
{
	json_t *row = ovsdb_status_iface(iface, NULL, true);
	const json_t *v = json_object_get(row, column);
	int rc = v ? ovsdb_value_text(v, key, out, outlen) : -ENOENT;

	json_decref(row);
	if (rc == -ENOENT)
		snprintf(err, errlen, "port '%s': %s has no key '%s'", iface, column,
			 key ? key : "");
	else if (rc < 0)
		snprintf(err, errlen, "port '%s': %s does not fit", iface, column);
	return rc;
}
