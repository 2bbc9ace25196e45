/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read-only views of the running switch (cmd.h): show, fdb/show, port
 * statistics with every drop reason by name, memory (the PMD views are
 * cmd_pmd.c).  Each builds the JSON data and the text a person reads from the
 * same numbers.  Control thread only; counters are read while PMDs write
 * them, so a view may be a few packets behind.
 */
#include <errno.h>
#include <linux/virtio_config.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/capture.h"
#include "control/cmd.h"
#include "control/cmd_priv.h"
#include "control/ovsdb_status.h"
#include "control/state.h"
#include "control/uplink.h"
#include "control/xdp_filter.h"
#include "dataplane/bridge.h"
#include "dataplane/capture.h"
#include "dataplane/clock.h"
#include "dataplane/ethdev_port.h"
#include "dataplane/fdb.h"
#include "dataplane/offload.h"
#include "dataplane/pktmbuf.h"
#include "vhost-user/vhost_port.h"

void buf_printf(struct buf *b, const char *fmt, ...)
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

json_t *buf_view(struct buf *b, json_t *data)
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
	buf_printf(b, "%*s%s: {", indent, "", name);
	for (i = 0; i < m->n; i++)
		buf_printf(b, "%s%s=\"%s\"", i ? ", " : "", m->nodes[i].key, m->nodes[i].value);
	buf_printf(b, "}\n");
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
	buf_printf(b,
		   "%*smac_filter: {mode=%s, programmed=%u, max=%u, wanted=%u, overflow=%u, "
		   "full_events=%lu, fallbacks=%lu",
		   indent, "", macfilter_mode_name(ms.mode), ms.uc_programmed, ms.uc_max,
		   ms.uc_wanted, ms.uc_overflow, ms.full_events, ms.fallbacks);
	if (ms.mode != MACFILTER_PROMISC)
		buf_printf(b, ", multicast=%s(%u/%u)", macfilter_mc_mode_name(ms.mc_mode),
			   ms.mc_programmed, ms.mc_wanted);
	if (ms.mode == MACFILTER_FULL)
		buf_printf(b, ", lost=\"frames for %u MACs cannot be received\"", ms.uc_overflow);
	if (ms.promisc_err)
		buf_printf(b, ", promiscuous_error=\"%s\"", strerror(-ms.promisc_err));
	if (ms.uc_err)
		buf_printf(b, ", mac_error=\"%s\"", strerror(-ms.uc_err));
	buf_printf(b, "}\n");
	return o;
}

static json_t *port_state(const struct sw_port *sp, struct buf *b)
{
	json_t *st = json_object();

	if (sp->dp == NULL) {
		json_object_set_new(st, "error", json_string(sp->error));
		buf_printf(b, "            error: \"%s\"\n", sp->error);
		return st;
	}
	json_object_set_new(st, "ofport", json_integer(sw_ofport(sp->dp)));
	if (sp->dp->kind == DP_PORT_VHOST) {
		struct vhost_port_info vi;
		const char *ring;
		char ol[128], feat[24];

		vhost_port_info(sp->dp, &vi);
		ring = vi.features & (1ULL << VIRTIO_F_RING_PACKED) ? "packed" : "split";
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
		/* the guest's virtqueue layout, and every bit it negotiated, as OVS's
		 * status:features gives them; null while no guest is there */
		snprintf(feat, sizeof(feat), "0x%016llx", (unsigned long long)vi.features);
		json_object_set_new(st, "features", vi.connected ? json_string(feat) : json_null());
		json_object_set_new(st, "ring", vi.connected ? json_string(ring) : json_null());
		buf_printf(b, "            status: {socket=\"%s\", mode=%s, %s", vi.path,
			   vi.client ? "client" : "server",
			   vi.connected ? "connected" : "not connected");
		if (vi.connected)
			buf_printf(b, ", numa_id=%d, queue_pairs=%u, rx_enabled=%u, tx_enabled=%u",
				   vi.numa, vi.n_qp, count_bits(vi.rx_enabled),
				   count_bits(vi.tx_enabled));
		if (vi.connected)
			buf_printf(b, ", ring=%s, offloads=\"%s\"", ring, ol);
		buf_printf(b, "}\n");
	} else {
		struct ethdev_port_info ei;
		char ol[64];
		json_t *mf;
		bool gro;

		ethdev_port_info(sp->dp, &ei);
		json_object_set_new(st, "driver", json_string(ei.driver));
		json_object_set_new(st, "mac", json_string(ei.mac));
		json_object_set_new(st, "link_up", json_boolean(ei.link_up));
		json_object_set_new(st, "n_rxq", json_integer(ei.n_rxq));
		json_object_set_new(st, "n_txq", json_integer(ei.n_txq));
		json_object_set_new(st, "rx_interrupts", json_integer(ei.n_rxq_intr));
		json_object_set_new(st, "numa", json_integer(sp->dp->numa));
		json_object_set_new(st, "promiscuous", json_boolean(ei.promiscuous));
		dp_offload_caps_text(sp->dp->ol_caps, ol, sizeof(ol));
		json_object_set_new(st, "offloads", json_string(ol));
		gro = ethdev_port_gro(sp->dp);
		json_object_set_new(st, "gro", json_boolean(gro));
		buf_printf(
			b,
			"            status: {driver=%s, mac=%s, link=%s, n_rxq=%u, n_txq=%u, "
			"rx_interrupts=%u, numa_id=%d, promiscuous=%s, offloads=\"%s\", gro=%s}\n",
			ei.driver, ei.mac, ei.link_up ? "up" : "down", ei.n_rxq, ei.n_txq,
			ei.n_rxq_intr, sp->dp->numa, ei.promiscuous ? "true" : "false", ol,
			gro ? "true" : "false");
		mf = mac_filter_view(sp->dp, b, 12);
		if (mf)
			json_object_set_new(st, "mac_filter", mf);
	}
	return st;
}

static json_t *names_json(char *const *names, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

/* ", col=[a, b]" after sep, or nothing for no names; the next separator. */
static const char *names_text(struct buf *b, const char *sep, const char *col, char *const *names,
			      size_t n)
{
	if (n == 0)
		return sep;
	buf_printf(b, "%s%s=[", sep, col);
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? ", " : "", names[i]);
	buf_printf(b, "]");
	return ", ";
}

/* A bridge's mirror: one text line under its ports, and its JSON. */
static json_t *mirror_view(const struct db_mirror *m, struct buf *b)
{
	json_t *vlans = json_array();
	const char *sep = m->select_all ? ", " : "";

	buf_printf(b, "        Mirror %s: {%s", m->name, m->select_all ? "select_all=true" : "");
	sep = names_text(b, sep, "select_src_port", m->src_ports, m->n_src);
	sep = names_text(b, sep, "select_dst_port", m->dst_ports, m->n_dst);
	/* with no select_all and no ports it copies nothing, as in OVS */
	if (sep[0] == '\0')
		buf_printf(b, "selects=nothing");
	for (uint16_t k = 0; k < m->n_vlans; k++) {
		buf_printf(b, "%s%u", k ? ", " : ", select_vlan=[", m->select_vlans[k]);
		json_array_append_new(vlans, json_integer(m->select_vlans[k]));
	}
	buf_printf(b, "%s, output_port=%s}\n", m->n_vlans ? "]" : "",
		   m->output_port ? m->output_port : "");
	return json_pack("{s:s,s:b,s:o,s:o,s:o,s:s?}", "name", m->name, "select_all", m->select_all,
			 "select_src_port", names_json(m->src_ports, m->n_src), "select_dst_port",
			 names_json(m->dst_ports, m->n_dst), "select_vlan", vlans, "output_port",
			 m->output_port);
}

/* A Port's QoS as `show` gives it: a line in b, its JSON (null if none). */
static json_t *qos_view(const struct db_qos *q, struct buf *b)
{
	struct smap oc;
	json_t *j;

	if (q->type == DB_QOS_NONE)
		return json_null();
	smap_init(&oc);
	if (db_qos_other_config(q, &oc) != 0) {
		smap_destroy(&oc);
		return json_null();
	}
	buf_printf(b, "            qos: %s", db_qos_type_name(q->type));
	for (size_t i = 0; i < oc.n; i++)
		buf_printf(b, " %s=%s", oc.nodes[i].key, oc.nodes[i].value);
	buf_printf(b, "\n");
	j = json_pack("{s:s,s:o}", "type", db_qos_type_name(q->type), "other_config",
		      smap_json(&oc));
	smap_destroy(&oc);
	return j;
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
		json_t *br = json_object(), *ports = json_array(), *mirrors;

		buf_printf(&b, "    Bridge %s\n", dbb->name);
		smap_text(&b, 8, "other_config", &dbb->other_config);
		json_object_set_new(br, "name", json_string(dbb->name));
		json_object_set_new(br, "other_config", smap_json(&dbb->other_config));
		for (j = 0; j < dbb->n_ports; j++) {
			const struct db_port *dp = dbb->ports[j];
			const struct sw_port *sp = sw_port_find(dp->name);
			json_t *p = json_object(), *tr = json_array();
			uint16_t k;

			buf_printf(&b, "        Port %s\n", dp->name);
			if (dp->tag)
				buf_printf(&b, "            tag: %u\n", dp->tag);
			for (k = 0; k < dp->n_trunks; k++)
				json_array_append_new(tr, json_integer(dp->trunks[k]));
			if (dp->n_trunks) {
				buf_printf(&b, "            trunks: [");
				for (k = 0; k < dp->n_trunks; k++)
					buf_printf(&b, "%s%u", k ? ", " : "", dp->trunks[k]);
				buf_printf(&b, "]\n");
			}
			if (dp->vlan_mode)
				buf_printf(&b, "            vlan_mode: %s\n",
					   db_vlan_mode_name(dp->vlan_mode));
			json_object_set_new(p, "qos", qos_view(&dp->qos, &b));
			buf_printf(&b, "            Interface %s\n", dp->name);
			buf_printf(&b, "            type: %s\n", dp->type);
			smap_text(&b, 12, "options", &dp->options);
			smap_text(&b, 12, "other_config", &dp->other_config);
			smap_text(&b, 12, "filter", &dp->filter);
			if (sp && sp->filter_error[0])
				buf_printf(&b, "            filter_error: \"%s\"\n",
					   sp->filter_error);
			if (dp->mtu_request)
				buf_printf(&b, "            mtu_request: %u\n", dp->mtu_request);
			if (dp->policing_rate)
				buf_printf(&b, "            ingress_policing_rate: %u\n",
					   dp->policing_rate);
			if (dp->policing_burst)
				buf_printf(&b, "            ingress_policing_burst: %u\n",
					   dp->policing_burst);
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
			json_object_set_new(p, "ingress_policing_rate",
					    json_integer(dp->policing_rate));
			json_object_set_new(p, "ingress_policing_burst",
					    json_integer(dp->policing_burst));
			if (sp)
				json_object_set_new(p, "status", port_state(sp, &b));
			json_array_append_new(ports, p);
		}
		json_object_set_new(br, "ports", ports);
		mirrors = json_array();
		for (j = 0; j < dbb->n_mirrors; j++)
			json_array_append_new(mirrors, mirror_view(dbb->mirrors[j], &b));
		json_object_set_new(br, "mirrors", mirrors);
		json_array_append_new(brs, br);
	}
	json_object_set_new(data, "bridges", brs);
	smap_text(&b, 4, "other_config", &sw.db->other_config);
	return buf_view(&b, data);
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
	buf_printf(c->b, " %-16s %4u  %s  %3u\n", sp ? sp->name : "?", e->vlan, mac, e->age_s);
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
	buf_printf(&b, " %-16s %4s  %-17s  %3s\n", "port", "VLAN", "MAC", "Age");
	fdb_walk(br->dp->fdb, dp_now(), fdb_row, &c);
	return buf_view(&b, c.arr);
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
	st.rehashes -= br->stats_base.rehashes;
	st.requests_lost -= br->stats_base.requests_lost;
	buf_printf(&b, "Statistics for bridge \"%s\":\n", br->name);
	buf_printf(&b, "  Current/maximum MAC entries in the table: %u/%u\n", st.entries,
		   br->cfg.mac_table_size);
	buf_printf(&b, "  Total number of learned MAC entries     : %lu\n", st.learned);
	buf_printf(&b, "  Total number of moved MAC entries       : %lu\n", st.moved);
	buf_printf(&b, "  Total number of aged MAC entries        : %lu\n", st.aged);
	buf_printf(&b, "  MACs refused, table full                : %lu\n", st.refused_full);
	buf_printf(&b, "  MACs refused, port limit                : %lu\n", st.refused_limit);
	buf_printf(&b, "  MACs refused, bucket chain full         : %lu\n", st.refused_chain);
	buf_printf(&b, "  Table rebuilt with a new hash           : %lu\n", st.rehashes);
	buf_printf(&b, "  Learn requests lost                     : %lu\n", st.requests_lost);
	return buf_view(&b,
			json_pack("{s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "entries",
				  st.entries, "max", br->cfg.mac_table_size, "learned",
				  (json_int_t)st.learned, "moved", (json_int_t)st.moved, "aged",
				  (json_int_t)st.aged, "refused_full", (json_int_t)st.refused_full,
				  "refused_limit", (json_int_t)st.refused_limit, "refused_chain",
				  (json_int_t)st.refused_chain, "rehashes", (json_int_t)st.rehashes,
				  "requests_lost", (json_int_t)st.requests_lost));
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

	buf_printf(b, "  %s drops:", dir);
	for (r = 0; r < DP_DROP_MAX; r++) {
		buf_printf(b, "%s%s=%lu", shown % 4 == 0 ? "\n    " : "  ", dp_drop_name(r), d[r]);
		shown++;
	}
	buf_printf(b, "\n");
}

/* What the device itself counts (imissed: frames it had no room for, or,
 * on a VF, may never count) and the MAC filter's counters. */
static void ethdev_stats_view(const struct dp_port *p, json_t *o, struct buf *b)
{
	struct ethdev_port_info ei;
	json_t *mf;

	ethdev_port_info(p, &ei);
	buf_printf(b,
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
	buf_printf(b, "  kernel (XDP on %s) ingress rules: denied=%lu default=%lu", ifname,
		   st.denied, st.default_denied);
	for (r = 0; r < st.n_rules; r++) {
		buf_printf(b, " rule%u=%lu", r, st.rule_denied[r]);
		json_array_append_new(rules, json_integer((json_int_t)st.rule_denied[r]));
	}
	buf_printf(b, "\n");
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
			buf_printf(&b, "port %s: not open (%s)\n", sp->name, sp->error);
			json_array_append_new(
				arr, json_pack("{s:s,s:s}", "name", sp->name, "error", sp->error));
			continue;
		}
		qs = json_array(); /* after the continues: it leaked for every skipped port */
		dp_port_totals(sp->dp, &t);
		buf_printf(&b, "port %s (%s, ofport %u):\n", sp->name, type_name(sp->cfg.type),
			   sw_ofport(sp->dp));
		buf_printf(&b, "  rx: packets=%lu bytes=%lu\n", t.rx_packets, t.rx_bytes);
		buf_printf(&b, "  tx: packets=%lu bytes=%lu retries=%lu held=%lu\n", t.tx_packets,
			   t.tx_bytes, t.tx_retries, t.tx_held);
		drops_text(&b, "rx", t.rx_drops);
		drops_text(&b, "tx", t.tx_drops);
		for (q = 0; q < DP_MAX_QUEUES; q++) {
			const struct dp_rxq_stats *rs = &sp->dp->rxq[q];
			if (rs->packets == 0)
				continue;
			buf_printf(&b, "  rxq %u: packets=%lu bytes=%lu\n", q, rs->packets,
				   rs->bytes);
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
		json_object_set_new(o, "tx_held", json_integer((json_int_t)t.tx_held));
		if (sp->dp->kind == DP_PORT_ETHDEV) {
			ethdev_stats_view(sp->dp, o, &b);
			xdp_stats_view(sp, o, &b);
		}
		json_array_append_new(arr, o);
	}
	return buf_view(&b, arr);
}

json_t *show_memory(json_t *params, int *code, char *err, size_t errlen)
{
	struct dp_pool_info pi[RTE_MAX_NUMA_NODES];
	unsigned int n = dp_pool_list(pi, RTE_DIM(pi)), i, cap_in_use, cap_size;
	json_t *arr = json_array();
	struct buf b = {0};

	(void)params, (void)code, (void)err, (void)errlen;
	for (i = 0; i < n; i++) {
		buf_printf(&b, "mbuf pool numa_id %d: %u of %u in use\n", pi[i].numa, pi[i].in_use,
			   pi[i].size);
		json_array_append_new(arr, json_pack("{s:i,s:i,s:i}", "numa", pi[i].numa, "size",
						     pi[i].size, "in_use", pi[i].in_use));
	}
	/* the copies captures hold: 0 in use once every capture has ended */
	dp_capture_pool_info(&cap_in_use, &cap_size);
	buf_printf(&b, "capture pool: %u of %u in use, %u captures running\n", cap_in_use, cap_size,
		   capture_count());
	return buf_view(&b, json_pack("{s:o,s:{s:i,s:i,s:i}}", "mbuf_pools", arr, "capture", "size",
				      cap_size, "in_use", cap_in_use, "captures", capture_count()));
}

json_t *show_drop_reasons(json_t *params, int *code, char *err, size_t errlen)
{
	json_t *o = json_object();
	struct buf b = {0};
	int r;

	(void)params, (void)code, (void)err, (void)errlen;
	for (r = 0; r < DP_DROP_MAX; r++) {
		buf_printf(&b, "%-18s %s\n", dp_drop_name(r), dp_drop_desc(r));
		json_object_set_new(o, dp_drop_name(r), json_string(dp_drop_desc(r)));
	}
	return buf_view(&b, o);
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
