/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "trace" method: what the switch does with a frame the operator gives,
 * received on a port, step by step (`kvsctl trace --frame HEX PORT`; kvsctl's
 * `trace PORT N` asks it for each of the next N frames a capture brings).
 * The frame goes through the pipeline's own code (dp_trace_frame) with a
 * context of this file's: nothing is sent, counted or learned.  What the
 * switch's tables say then: the VLAN it is classified into, the ingress
 * filter's verdict (and, for rules, the first rule that matches), where the
 * MAC table has the source and the destination, each output with its tag and
 * length or the reason it was dropped, or the reason the frame was.
 * Control thread only.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "control/cmd.h"
#include "control/cmd_priv.h"
#include "control/state.h"
#include "control/trace.h"
#include "dataplane/bridge.h"
#include "dataplane/fdb.h"
#include "dataplane/filter.h"
#include "dataplane/pipeline.h"
#include "dataplane/pktmbuf.h"
#include "dataplane/trace.h"
#include "dataplane/vlan.h"

#define TRACE_MAX_FRAME 16384

/* Hex digits, any case; spaces, colons, dashes and dots between them are
 * ignored, and so are "0x" prefixes and tcpdump -xx's "0x0010:" offsets: a
 * hex stream (Wireshark's "Copy as Hex Stream") or tcpdump -xx's lines paste
 * as they are. */
static int parse_hex(const char *hex, uint8_t *out, size_t max, size_t *len, char *err,
		     size_t errlen)
{
	size_t n = 0, digits = 0;
	int hi = 0;

	for (const char *p = hex; *p; p++) {
		int v;

		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digits % 2 == 0) {
			const char *q = p + 2;

			while (isxdigit((unsigned char)*q))
				q++;
			if (*q == ':' || q == p + 2 || p == hex) {
				/* an offset ("0x0010:"), or a "0x" before the bytes */
				p = *q == ':' ? q : p + 1;
				continue;
			}
		}
		if (isspace((unsigned char)*p) || *p == ':' || *p == '-' || *p == '.')
			continue;
		if (!isxdigit((unsigned char)*p)) {
			snprintf(err, errlen, "trace: frame: '%c' at offset %zu is not a hex digit",
				 *p, (size_t)(p - hex));
			return -EINVAL;
		}
		v = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
		if (digits++ % 2 == 0) {
			hi = v;
			continue;
		}
		if (n == max) {
			snprintf(err, errlen, "trace: frame longer than %zu bytes", max);
			return -E2BIG;
		}
		out[n++] = (uint8_t)(hi << 4 | v);
	}
	if (digits % 2) {
		snprintf(err, errlen, "trace: frame: an odd number of hex digits (%zu)", digits);
		return -EINVAL;
	}
	if (n < RTE_ETHER_HDR_LEN) {
		snprintf(err, errlen, "trace: frame of %zu bytes: an Ethernet header is 14", n);
		return -EINVAL;
	}
	*len = n;
	return 0;
}

static const char *port_name(int id)
{
	struct sw_port *sp = id >= 0 ? sw_port_by_id((uint16_t)id) : NULL;

	return sp ? sp->name : "(a port being removed)";
}

/* Lower case, as OVS and kvsctl's other views print MACs (DPDK's
 * rte_ether_format_addr prints upper case). */
static void mac_text(char *s, size_t n, const uint8_t *m)
{
	snprintf(s, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* The first of the port's ingress rules that matches, 1-based; 0: the
 * default; -1: the filter is not rules. */
static int rule_matched(const struct sw_port *sp, const uint8_t *f)
{
	const struct filter_rules *r = &sp->filter_rules[FILTER_DIR_INGRESS];

	if (sp->filter_kind[FILTER_DIR_INGRESS] != FILTER_CFG_RULES)
		return -1;
	for (uint16_t i = 0; i < r->n; i++) {
		const uint8_t *mac = r->r[i].match_dst ? f : f + 6;
		int k;

		for (k = 0; k < 6; k++)
			if ((mac[k] & r->r[i].mask.addr_bytes[k]) !=
			    (r->r[i].mac.addr_bytes[k] & r->r[i].mask.addr_bytes[k]))
				break;
		if (k == 6)
			return i + 1;
	}
	return 0;
}

static void text_filter(struct buf *b, const struct sw_port *sp, const struct dp_trace *tr,
			const uint8_t *f, json_t *d)
{
	const struct filter *flt =
		__atomic_load_n(&sp->dp->filter[FILTER_DIR_INGRESS], __ATOMIC_ACQUIRE);
	bool denied = tr->rx_drop == DP_DROP_FILTER_INGRESS;
	int rule = rule_matched(sp, f);

	if (flt == NULL) {
		buf_printf(b, "  ingress filter: none\n");
		json_object_set_new(d, "ingress_filter", json_null());
		return;
	}
	buf_printf(b, "  ingress filter: %s by %s", denied ? "denied" : "passed", flt->what);
	if (rule > 0) {
		const struct filter_rule *r = &sp->filter_rules[FILTER_DIR_INGRESS].r[rule - 1];
		char mac[18], mask[18];

		mac_text(mac, sizeof(mac), r->mac.addr_bytes);
		mac_text(mask, sizeof(mask), r->mask.addr_bytes);
		buf_printf(b, ", rule %d: %s %s %s/%s", rule, r->allow ? "allow" : "deny",
			   r->match_dst ? "dst" : "src", mac, mask);
	} else if (rule == 0) {
		buf_printf(b, ", no rule matches: the default");
	}
	buf_printf(b, "\n");
	json_object_set_new(
		d, "ingress_filter",
		json_pack("{s:s,s:b,s:i}", "filter", flt->what, "passed", !denied, "rule", rule));
}

static json_t *trace_text(const struct sw_port *sp, const uint8_t *f, size_t len,
			  const struct dp_trace *tr)
{
	const struct dp_port_conf *conf = __atomic_load_n(&sp->dp->conf, __ATOMIC_ACQUIRE);
	uint16_t et = (uint16_t)(f[12] << 8 | f[13]), vid = tr->tci & VLAN_VID_MASK;
	json_t *d = json_object(), *outs = json_array();
	char dst[18], src[18];
	struct buf b = {0};
	unsigned int sent = 0;
	json_t *v;

	mac_text(dst, sizeof(dst), f);
	mac_text(src, sizeof(src), f + 6);
	buf_printf(&b, "a %zu-byte frame received on %s: %s > %s, ethertype 0x%04x\n", len,
		   sp->name, src, dst, et);
	json_object_set_new(d, "port", json_string(sp->name));
	json_object_set_new(d, "length", json_integer((json_int_t)len));
	if (!tr->classified) {
		if (tr->rx_drop == DP_DROP_FILTER_INGRESS) {
			buf_printf(&b, "  vlan: accepted\n");
			text_filter(&b, sp, tr, f, d);
		}
		buf_printf(&b, "  result: dropped on receive: %s (%s)\n", dp_drop_name(tr->rx_drop),
			   dp_drop_desc(tr->rx_drop));
		json_object_set_new(d, "dropped", json_string(dp_drop_name(tr->rx_drop)));
		json_object_set_new(d, "outputs", outs);
		return buf_view(&b, d);
	}
	if (et == RTE_ETHER_TYPE_VLAN)
		buf_printf(&b, "  vlan: tagged %u, in VLAN %u",
			   (unsigned int)(f[14] << 8 | f[15]) & 0xfff, vid);
	else
		buf_printf(&b, "  vlan: untagged, into VLAN %u%s", vid,
			   conf && conf->vlan.tag      ? " (the port's access VLAN)"
			   : conf && conf->vlan.native ? " (the port's native VLAN)"
						       : "");
	buf_printf(&b, "\n");
	json_object_set_new(d, "vlan", json_integer(vid));
	text_filter(&b, sp, tr, f, d);
	if (tr->src_port == sp->dp->id) {
		buf_printf(&b, "  source: %s known on %s in VLAN %u\n", src, sp->name, vid);
	} else {
		int room = fdb_learn_check(conf->bridge->fdb, sp->dp->id, tr->src_port >= 0);

		if (tr->src_port < 0)
			buf_printf(&b, "  source: %s unknown in VLAN %u: ", src, vid);
		else
			buf_printf(&b, "  source: %s is on %s in VLAN %u: ", src,
				   port_name(tr->src_port), vid);
		if (room == 0)
			buf_printf(&b, "would %s %s\n",
				   tr->src_port < 0 ? "be learned on" : "move to", sp->name);
		else
			buf_printf(&b, "would not be %s: %s\n",
				   tr->src_port < 0 ? "learned" : "moved",
				   room == -EDQUOT ? "the port is at its mac-limit"
						   : "the MAC table is full");
		json_object_set_new(d, "learn",
				    json_string(room == 0         ? "yes"
						: room == -EDQUOT ? "port at its limit"
								  : "table full"));
	}
	json_object_set_new(d, "source_port",
			    tr->src_port < 0 ? json_null() : json_string(port_name(tr->src_port)));
	if (tr->dst_group)
		buf_printf(&b, "  destination: %s, a group address: flooded in VLAN %u\n", dst,
			   vid);
	else if (tr->dst_port < 0)
		buf_printf(&b, "  destination: %s unknown in VLAN %u: flooded\n", dst, vid);
	else
		buf_printf(&b, "  destination: %s on %s in VLAN %u%s\n", dst,
			   port_name(tr->dst_port), vid,
			   tr->flooded ? " (its port no longer takes the VLAN: flooded)" : "");
	json_object_set_new(d, "destination_port",
			    tr->dst_port < 0 ? json_null() : json_string(port_name(tr->dst_port)));
	json_object_set_new(d, "flooded", json_boolean(tr->flooded));
	for (uint16_t i = 0; i < tr->n_out; i++) {
		const struct dp_trace_out *o = &tr->out[i];

		if (o->why == DP_DROP_MAX) {
			char link[16] = "", e[64];

			sent++;
			buf_printf(&b, "  output: %s, %s", port_name(o->port),
				   o->vid < 0 ? "untagged" : "tagged");
			if (o->vid >= 0)
				buf_printf(&b, " %d", o->vid);
			if (o->frames > 1)
				buf_printf(&b, ", cut into %u frames, %u bytes", o->frames, o->len);
			else
				buf_printf(&b, ", %u bytes", o->len);
			/* the trace ends where the port's tx begins: say if that is down */
			cmd_iface_column(port_name(o->port), "link_state", NULL, link, sizeof(link),
					 e, sizeof(e));
			if (strcmp(link, "down") == 0)
				buf_printf(&b, ", but %s is down: its tx drops it (tx_down)",
					   port_name(o->port));
			buf_printf(&b, "\n");
		} else {
			buf_printf(&b, "  output: %s, dropped: %s (%s)\n", port_name(o->port),
				   dp_drop_name(o->why), dp_drop_desc(o->why));
		}
		v = json_pack("{s:s,s:s,s:i,s:i,s:i}", "port", port_name(o->port), "result",
			      o->why == DP_DROP_MAX ? "sent" : dp_drop_name(o->why), "vlan", o->vid,
			      "length", (int)o->len, "frames", o->frames);
		json_array_append_new(outs, v);
	}
	json_object_set_new(d, "outputs", outs);
	if (tr->rx_drop != DP_DROP_MAX) {
		buf_printf(&b, "  result: dropped: %s (%s)\n", dp_drop_name(tr->rx_drop),
			   dp_drop_desc(tr->rx_drop));
		json_object_set_new(d, "dropped", json_string(dp_drop_name(tr->rx_drop)));
	} else {
		buf_printf(&b, "  result: %s to %u port%s\n", tr->flooded ? "flooded" : "forwarded",
			   sent, sent == 1 ? "" : "s");
		json_object_set_new(d, "dropped", sent ? json_null() : json_string("all outputs"));
	}
	return buf_view(&b, d);
}

/* The frame in mbufs of pool, chained as a guest's large frame arrives. */
static struct rte_mbuf *frame_mbuf(struct rte_mempool *pool, const uint8_t *f, size_t len)
{
	struct rte_mbuf *head = NULL;
	size_t off = 0;

	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint16_t n;

		if (m == NULL || (head != NULL && rte_pktmbuf_chain(head, m) != 0)) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (head == NULL)
			head = m;
		n = (uint16_t)RTE_MIN(len - off, (size_t)rte_pktmbuf_tailroom(m));
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), f + off, n);
		m->data_len = n;
		if (m != head)
			head->pkt_len += n;
		else
			m->pkt_len = n;
		off += n;
	}
	return head;
}

json_t *trace_frame(json_t *params, int *code, char *err, size_t errlen)
{
	const char *port = json_string_value(json_object_get(params, "port"));
	const char *hex = json_string_value(json_object_get(params, "frame"));
	static struct dp_pmd_ctx *ctx; /* this file's: no PMD ever uses it */
	static uint8_t frame[TRACE_MAX_FRAME];
	struct rte_mempool *pool;
	struct dp_trace *tr;
	struct rte_mbuf *m;
	struct sw_port *sp;
	json_t *res;
	size_t len;
	int rc;

	*code = -EINVAL;
	if (port == NULL || hex == NULL) {
		snprintf(err, errlen, "trace: needs \"port\" and \"frame\" (hex)");
		return NULL;
	}
	sp = sw_port_find(port);
	if (sp == NULL || sp->dp == NULL) {
		*code = sp ? -ENODEV : -ENOENT;
		snprintf(err, errlen, sp ? "trace: port '%s' is not open" : "trace: no port '%s'",
			 port);
		return NULL;
	}
	rc = parse_hex(hex, frame, sizeof(frame), &len, err, errlen);
	if (rc < 0) {
		*code = rc;
		return NULL;
	}
	pool = dp_pool_get(sp->dp->numa);
	if (ctx == NULL && pool != NULL)
		ctx = dp_pmd_ctx_create(0, SOCKET_ID_ANY, pool);
	m = pool ? frame_mbuf(pool, frame, len) : NULL;
	tr = malloc(sizeof(*tr));
	if (ctx == NULL || m == NULL || tr == NULL) {
		rte_pktmbuf_free(m);
		free(tr);
		*code = -ENOMEM;
		snprintf(err, errlen, "trace: no memory (mbuf pool or trace context)");
		return NULL;
	}
	dp_trace_frame(ctx, sp->dp, m, tr);
	res = trace_text(sp, frame, len, tr);
	free(tr);
	*code = 0;
	return res;
}
