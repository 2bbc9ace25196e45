/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switching pipeline (pipeline.h).  Runs on PMD threads only.
 *
 * Design consequences worth knowing:
 * - Frames are untagged inside the switch (VLAN kept in a local array), so a
 *   flooded frame is shared by reference count between all ports that take
 *   it untagged, and at most one tagged copy is made for all trunk ports.
 *   Shared frames are never written to after the refcount goes up: vhost
 *   enqueue and ethdev tx only read them.
 * - Learning is a lock-free request to the bridge's fdb (see fdb.h): a new
 *   MAC is known about 1 ms later; until then its frames flood.  A burst's
 *   source and destination lookups are one bulk hash lookup, consecutive
 *   frames from the same source counting once.
 * - Output is buffered per port and flushed once per burst, so a port gets
 *   one tx burst per received burst however many frames go to it.
 */
#include <errno.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/bridge.h"
#include "dataplane/fdb.h"
#include "dataplane/filter.h"
#include "dataplane/pipeline.h"
#include "dataplane/vlan.h"

struct dp_pmd_ctx *dp_pmd_ctx_create(unsigned int pmd, int numa, struct rte_mempool *pool)
{
	struct dp_pmd_ctx *c;

	if (pmd >= DP_MAX_PMDS) {
		errno = EINVAL;
		return NULL;
	}
	c = rte_zmalloc_socket("kvs_pmd_ctx", sizeof(*c), RTE_CACHE_LINE_SIZE, numa);
	if (c == NULL)
		c = rte_zmalloc("kvs_pmd_ctx", sizeof(*c), RTE_CACHE_LINE_SIZE);
	if (c == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	c->pmd = pmd;
	c->pool = pool;
	return c;
}

void dp_pmd_ctx_destroy(struct dp_pmd_ctx *c)
{
	rte_free(c);
}

static void txb_flush(struct dp_pmd_ctx *c, struct dp_txbuf *b)
{
	if (b->n == 0)
		return;
	b->port->ops->tx_burst(b->port, c->pmd, b->pkts, b->n);
	b->n = 0;
}

static void txb_push(struct dp_pmd_ctx *c, struct dp_port *p, struct rte_mbuf *m)
{
	struct dp_txbuf *b = &c->txb[p->id];

	if (b->port != p) {
		/* first frame for p in this burst */
		b->port = p;
		b->n = 0;
		c->touched[c->n_touched++] = p->id;
	}
	b->pkts[b->n++] = m;
	if (b->n == DP_BURST)
		txb_flush(c, b);
}

static void flush_all(struct dp_pmd_ctx *c)
{
	uint16_t i;

	for (i = 0; i < c->n_touched; i++) {
		struct dp_txbuf *b = &c->txb[c->touched[i]];
		txb_flush(c, b);
		b->port = NULL;
	}
	c->n_touched = 0;
}

static void drop_rx(struct dp_rxq_stats *st, enum dp_drop r, struct rte_mbuf *m)
{
	st->drops[r]++;
	rte_pktmbuf_free(m);
}

static void drop_tx(struct dp_pmd_ctx *c, struct dp_port *p, enum dp_drop r, struct rte_mbuf *m)
{
	p->tx[c->pmd].drops[r]++;
	rte_pktmbuf_free(m);
}

/* The output port's egress filter, run on the untagged frame; a refusal is
 * counted on that port. */
static bool egress_allows(struct dp_pmd_ctx *c, struct dp_port *p, struct rte_mbuf *m)
{
	const struct filter *f = __atomic_load_n(&p->filter[FILTER_DIR_EGRESS], __ATOMIC_ACQUIRE);

	if (f == NULL || filter_pass(f, m))
		return true;
	p->tx[c->pmd].drops[DP_DROP_FILTER_EGRESS]++;
	return false;
}

/* Flood m (VLAN vid) to every member but `in` that carries vid. */
static void flood(struct dp_pmd_ctx *c, const struct dp_bridge *br, const struct dp_port *in,
		  struct dp_rxq_stats *st, struct rte_mbuf *m, uint16_t vid)
{
	const struct dp_bridge_members *mem = __atomic_load_n(&br->members, __ATOMIC_ACQUIRE);
	struct dp_port **t = c->targets;
	uint16_t i, n_plain = 0, n_tag = 0, n = 0, n_filtered = 0;
	struct rte_mbuf *tm = NULL;

	for (i = 0; i < mem->n; i++) {
		struct dp_port *p;
		const struct dp_port_conf *pc;

		if (mem->ids[i] == in->id)
			continue;
		p = dp_port_get(mem->ids[i]);
		if (p == NULL)
			continue;
		pc = __atomic_load_n(&p->conf, __ATOMIC_ACQUIRE);
		if (pc == NULL || pc->bridge != br || !vlan_port_carries(&pc->vlan, vid))
			continue;
		if (!egress_allows(c, p, m)) {
			n_filtered++;
			continue;
		}
		/* untagged receivers first, tagged ones from the end */
		if (vlan_port_tags(&pc->vlan, vid))
			t[DP_MAX_PORTS - 1 - n_tag++] = p;
		else
			t[n_plain++] = p;
		n++;
	}
	if (n == 0) {
		if (n_filtered)
			rte_pktmbuf_free(m); /* counted as filter_egress on each port */
		else
			drop_rx(st, DP_DROP_NO_OUTPUT, m);
		return;
	}
	if (n_tag) {
		if (n_plain == 0) {
			tm = m;
		} else {
			tm = rte_pktmbuf_copy(m, c->pool, 0, UINT32_MAX);
		}
		if (tm != NULL && vlan_push(tm, vid) < 0) {
			if (tm != m)
				rte_pktmbuf_free(tm);
			tm = NULL;
		}
		if (tm == NULL) {
			for (i = 0; i < n_tag; i++)
				t[DP_MAX_PORTS - 1 - i]->tx[c->pmd].drops[DP_DROP_CLONE_FAILED]++;
			if (n_plain == 0) {
				rte_pktmbuf_free(m);
				return;
			}
			n_tag = 0;
		}
	}
	if (n_plain > 1)
		rte_pktmbuf_refcnt_update(m, n_plain - 1);
	if (n_tag > 1)
		rte_pktmbuf_refcnt_update(tm, n_tag - 1);
	for (i = 0; i < n_plain; i++)
		txb_push(c, t[i], m);
	for (i = 0; i < n_tag; i++)
		txb_push(c, t[DP_MAX_PORTS - 1 - i], tm);
}

static void unicast(struct dp_pmd_ctx *c, const struct dp_bridge *br, const struct dp_port *in,
		    struct dp_rxq_stats *st, struct rte_mbuf *m, uint16_t vid, uint16_t out_id)
{
	struct dp_port *out;
	const struct dp_port_conf *oc;

	if (out_id == in->id) {
		drop_rx(st, DP_DROP_HAIRPIN, m);
		return;
	}
	out = dp_port_get(out_id);
	oc = out ? __atomic_load_n(&out->conf, __ATOMIC_ACQUIRE) : NULL;
	if (oc == NULL || oc->bridge != br || !vlan_port_carries(&oc->vlan, vid)) {
		/* stale entry (port gone or reconfigured): behave as unknown */
		flood(c, br, in, st, m, vid);
		return;
	}
	if (!egress_allows(c, out, m)) {
		rte_pktmbuf_free(m); /* counted as filter_egress on out */
		return;
	}
	if (vlan_port_tags(&oc->vlan, vid) && vlan_push(m, vid) < 0) {
		drop_tx(c, out, DP_DROP_CLONE_FAILED, m);
		return;
	}
	txb_push(c, out, m);
}

void dp_process_burst(struct dp_pmd_ctx *c, struct dp_port *in, uint16_t qid,
		      struct rte_mbuf **pkts, uint16_t n)
{
	const struct dp_port_conf *conf = __atomic_load_n(&in->conf, __ATOMIC_ACQUIRE);
	struct dp_rxq_stats *st = &in->rxq[qid];
	const struct rte_ether_addr *dst[DP_BURST], *src[DP_BURST];
	struct rte_mbuf *keep[DP_BURST];
	uint16_t vids[DP_BURST], out[DP_BURST];
	uint16_t i, k = 0;
	const struct filter *ingress;
	struct dp_bridge *br;

	for (i = 0; i < n; i++) {
		st->packets++;
		st->bytes += pkts[i]->pkt_len;
	}
	if (conf == NULL || conf->bridge == NULL) {
		st->drops[DP_DROP_NO_BRIDGE] += n;
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	br = conf->bridge;

	/* one filter for the whole burst: the old policy or the new, never a mix */
	ingress = __atomic_load_n(&in->filter[FILTER_DIR_INGRESS], __ATOMIC_ACQUIRE);
	for (i = 0; i < n; i++) {
		enum dp_drop r = vlan_ingress(&conf->vlan, pkts[i], conf->max_len, &vids[k]);
		if (r != DP_DROP_MAX) {
			drop_rx(st, r, pkts[i]);
			continue;
		}
		/* before learning: a spoofed source is never learned */
		if (ingress != NULL && !filter_pass(ingress, pkts[i])) {
			drop_rx(st, DP_DROP_FILTER_INGRESS, pkts[i]);
			continue;
		}
		keep[k++] = pkts[i];
	}

	for (i = 0; i < k; i++) {
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(keep[i], struct rte_ether_hdr *);

		dst[i] = &eh->dst_addr;
		src[i] = &eh->src_addr;
	}
	if (k)
		fdb_learn_lookup_bulk(br->fdb, src, dst, vids, k, in->id, c->now, out);

	for (i = 0; i < k; i++) {
		if (out[i] != FDB_PORT_NONE && rte_is_unicast_ether_addr(dst[i]))
			unicast(c, br, in, st, keep[i], vids[i], out[i]);
		else
			flood(c, br, in, st, keep[i], vids[i]);
	}
	flush_all(c);
}
