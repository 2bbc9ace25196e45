/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switching pipeline (pipeline.h).  Runs on PMD threads only.
 *
 * A burst is walked three times, each walk touching what the one before
 * prepared, so no pass evicts another's lines:
 * 1. classify: per frame, count bytes, check the L2 header and take the
 *    VLAN (inline for the common untagged frame, vlan_ingress() otherwise),
 *    run the ingress filter, build the source and destination keys from two
 *    8-byte loads, hash them (one CRC32 each) and prefetch their buckets;
 *    on a NIC port, the frame 4 ahead is prefetched.  A run of frames from one source
 *    hashes it once; broadcast and multicast destinations are not looked up.
 * 2. decide: probe the (now cached) buckets: refresh a known source, ask for
 *    an unknown or moved one to be learned (once per second per PMD), find
 *    the destination.  The output port is resolved once per burst (its
 *    conf and egress filter: one policy per burst), and its VLAN decision
 *    once per run of frames to the same (port, VLAN).
 * 3. output, in arrival order: append to the port's burst buffer, or flood
 *    from the bridge's precomputed per-VLAN list.  A burst whose frames all
 *    go unmodified to one port is handed to that port's tx as it is.
 *
 * Other consequences worth knowing:
 * - pipeline_trace.c compiles this file again with DP_PIPELINE_TRACE set:
 *   dp_trace_frame's copy, whose tx and drops go into a struct dp_trace and
 *   which neither learns nor refreshes (trace.h).  Here the macro is 0.
 * - A port's captures and policers (port_hooks.h) run on its received
 *   burst before step 1 and on each burst just before the port's tx: a port
 *   without any costs two loads and a branch per burst and direction.
 * - A bridge's mirrors (mirror.h) take their references between steps 2
 *   and 3, before any frame is sent or tagged in place; a frame another
 *   holder shares is never tagged in place (flood copies it instead).
 * - Frames are untagged inside the switch (the TCI kept aside), so a flooded
 *   frame is shared by reference count between all ports that take it
 *   untagged, and at most one tagged copy is made for all trunk ports.
 *   Shared frames are never written to after the refcount goes up: vhost
 *   enqueue and ethdev tx only read them.
 * - Learning is a lock-free request to the bridge's fdb (see fdb.h): a new
 *   MAC is known once the request wakes the control thread (tens of us on
 *   an idle machine); until then its frames flood.
 */
#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane/bridge.h"
#include "dataplane/clock.h"
#include "dataplane/fdb.h"
#include "dataplane/filter.h"
#include "dataplane/mirror.h"
#include "dataplane/offload.h"
#include "dataplane/pipeline.h"
#include "dataplane/port_hooks.h"
#include "dataplane/trace.h"
#include "dataplane/vlan.h"

/* 1 in pipeline_trace.c, which compiles this file again as dp_trace_frame's
 * copy (trace.h); 0 here, where every DP_PIPELINE_TRACE test folds away and
 * leaves a PMD's code as if tracing did not exist. */
#ifndef DP_PIPELINE_TRACE
#define DP_PIPELINE_TRACE 0
#endif

/* Frames ahead whose header is prefetched in the classify pass. */
#define DP_PREFETCH 4

/* Decision of the decide pass for one frame, besides a port's buffer. */
#define DP_OUT_FLOOD   ((struct dp_txbuf *)NULL)
#define DP_OUT_DROPPED ((struct dp_txbuf *)1)

#if !DP_PIPELINE_TRACE
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
	c->flood_tci = UINT32_MAX;
	return c;
}

void dp_pmd_ctx_destroy(struct dp_pmd_ctx *c)
{
	rte_free(c);
}
#endif

/* The output buffer of port `id` for this burst, resolving the port the
 * first time; NULL if the port is gone or has no conf. */
static inline struct dp_txbuf *txb_get(struct dp_pmd_ctx *c, uint16_t id)
{
	struct dp_txbuf *b = &c->txb[id];
	struct dp_port *p;

	if (likely(b->port != NULL))
		return b;
	p = dp_port_get(id);
	if (p == NULL)
		return NULL;
	b->conf = __atomic_load_n(&p->conf, __ATOMIC_ACQUIRE);
	if (b->conf == NULL)
		return NULL;
	b->egress = __atomic_load_n(&p->filter[FILTER_DIR_EGRESS], __ATOMIC_ACQUIRE);
	b->port = p;
	b->n = 0;
	c->touched[c->n_touched++] = id;
	return b;
}

/* Hand pkts[0..n) to port p, which owns them from here. */
static __rte_always_inline void port_send(struct dp_pmd_ctx *c, struct dp_port *p,
					  struct rte_mbuf **pkts, uint16_t n)
{
	if (dp_port_tx_hooked(p)) {
		n = dp_port_tx_hooks(p, c->pmd, pkts, n);
		if (n == 0)
			return;
	}
	p->ops->tx_burst(p, c->pmd, pkts, n);
}

static __rte_always_inline void txb_flush(struct dp_pmd_ctx *c, struct dp_txbuf *b)
{
	if (b->n == 0)
		return;
	if (DP_PIPELINE_TRACE)
		dp_trace_tx(c->trace, b->port->id, b->pkts, b->n); /* not sent */
	else
		port_send(c, b->port, b->pkts, b->n);
	b->n = 0;
}

static inline void txb_add(struct dp_pmd_ctx *c, struct dp_txbuf *b, struct rte_mbuf *m)
{
	b->pkts[b->n++] = m;
	if (unlikely(b->n == DP_BURST))
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

static inline void drop_rx(struct dp_rxq_stats *st, enum dp_drop r, struct rte_mbuf *m)
{
	st->drops[r]++;
	rte_pktmbuf_free(m);
}

/* A frame that will not reach port p, counted on p (or in the trace). */
static inline void count_tx_drop(struct dp_pmd_ctx *c, struct dp_port *p, enum dp_drop r)
{
	if (DP_PIPELINE_TRACE)
		dp_trace_tx_drop(c->trace, p->id, r);
	else
		p->tx[c->pmd].drops[r]++;
}

static inline void drop_tx(struct dp_pmd_ctx *c, struct dp_txbuf *b, enum dp_drop r,
			   struct rte_mbuf *m)
{
	count_tx_drop(c, b->port, r);
	rte_pktmbuf_free(m);
}

/* The output port's egress filter, run on the untagged frame; a refusal is
 * counted on that port (the caller frees). */
static inline bool egress_allows(struct dp_pmd_ctx *c, struct dp_txbuf *b, struct rte_mbuf *m)
{
	if (likely(b->egress == NULL) || filter_pass(b->egress, m))
		return true;
	count_tx_drop(c, b->port, DP_DROP_FILTER_EGRESS);
	return false;
}

/* Resolve the flood targets of VLAN vid for frames from `in`: the ports of
 * the bridge's list for vid, each re-checked if reconfigured since the list
 * was built.  Once per (burst, VLAN), not per frame. */
static void flood_resolve(struct dp_pmd_ctx *c, const struct dp_bridge *br,
			  const struct dp_port *in, uint16_t tci)
{
	const struct dp_flood_table *ft = __atomic_load_n(&br->flood, __ATOMIC_ACQUIRE);
	const uint16_t vid = tci & VLAN_VID_MASK;
	const struct dp_flood_list *l = dp_flood_list_of(ft, vid);
	uint16_t i, n_all = l->n_plain + l->n_tag;

	c->n_plain = c->n_tag = 0;
	c->flood_egress = false;
	for (i = 0; i < n_all; i++) {
		const struct dp_flood_entry *e = &l->e[i];
		bool tagged = i >= l->n_plain;
		struct dp_txbuf *b;

		if (e->id == in->id)
			continue;
		b = txb_get(c, e->id);
		if (b == NULL)
			continue;
		if (unlikely(b->conf->gen != e->conf_gen)) {
			/* reconfigured since the list was built: ask its conf */
			if (b->conf->bridge != br || !vlan_port_carries(&b->conf->vlan, vid))
				continue;
			tagged = vlan_port_tags(&b->conf->vlan, vid);
		}
		c->flood_egress |= b->egress != NULL;
		if (tagged)
			c->targets[DP_MAX_PORTS - 1 - c->n_tag++] = b;
		else
			c->targets[c->n_plain++] = b;
	}
	c->flood_tci = tci;
	c->flood_in = in->id;
}

/*
 * Deliver m, on which the caller holds one reference, to the n receivers
 * t[0..n) when m asks for offload work (a guest's GSO frame or partial
 * checksum): receivers that take the same offloads (port->ol_caps) form one
 * kind, and m is made to fit once per kind (dp_offload_fit: segmented, or its
 * checksum completed on a copy), not once per receiver.  Rare and costly
 * either way; plain frames never come here.
 */
static void flood_fitted(struct dp_pmd_ctx *c, struct dp_txbuf **t, uint16_t n, struct rte_mbuf *m)
{
	struct rte_mbuf *out[DP_OFL_MAX_SEGS];
	uint32_t caps[DP_MAX_PORTS];
	uint16_t i, j, k, kinds = 0, nout, same;
	enum dp_drop why;

	for (i = 0; i < n; i++) {
		caps[i] = __atomic_load_n(&t[i]->port->ol_caps, __ATOMIC_RELAXED);
		for (j = 0; j < i && caps[j] != caps[i]; j++)
			;
		kinds += j == i;
	}
	if (kinds > 1)
		rte_pktmbuf_refcnt_update(m, kinds - 1); /* one reference per fit */
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && caps[j] != caps[i]; j++)
			;
		if (j < i)
			continue; /* this kind was served with its first receiver */
		for (same = 0, j = i; j < n; j++)
			same += caps[j] == caps[i];
		nout = dp_offload_fit(m, caps[i], out, &why);
		for (k = 0; k < nout; k++) {
			if (same > 1)
				rte_pktmbuf_refcnt_update(out[k], same - 1);
			for (j = i; j < n; j++)
				if (caps[j] == caps[i])
					txb_add(c, t[j], out[k]);
		}
		if (nout == 0)
			for (j = i; j < n; j++)
				if (caps[j] == caps[i])
					count_tx_drop(c, t[j]->port, why);
	}
}

/* The push half of flood() for a frame with offload work: the untagged
 * receivers get m, the tagged ones tm (the tagged copy, made before any
 * fit), each set fitted once per kind of receiver.  One reference each. */
static void flood_offload(struct dp_pmd_ctx *c, struct rte_mbuf *m, struct rte_mbuf *tm,
			  uint16_t n_plain, uint16_t n_tag)
{
	struct dp_txbuf **t = c->targets, *sel[DP_MAX_PORTS];
	uint16_t i, n = 0;

	for (i = 0; i < c->n_plain; i++)
		if (!c->flood_egress || c->flood_ok[i])
			sel[n++] = t[i];
	if (n_plain)
		flood_fitted(c, sel, n, m);
	for (n = 0, i = 0; n_tag && i < c->n_tag; i++)
		if (!c->flood_egress || c->flood_ok[DP_MAX_PORTS - 1 - i])
			sel[n++] = t[DP_MAX_PORTS - 1 - i];
	if (n_tag)
		flood_fitted(c, sel, n, tm);
}

/* Flood m (TCI tci) to every port of its VLAN but `in`.  The frame goes
 * untagged, shared by reference count, to the untagged receivers and one
 * tagged copy to all tagged ones; each receiver's egress filter is asked
 * per frame.  All references are taken before the first push: a push can
 * flush a full buffer, whose tx frees its references. */
static void flood(struct dp_pmd_ctx *c, const struct dp_bridge *br, const struct dp_port *in,
		  struct dp_rxq_stats *st, struct rte_mbuf *m, uint16_t tci)
{
	struct dp_txbuf **t = c->targets;
	uint16_t i, n_plain, n_tag, n_filtered = 0;
	struct rte_mbuf *tm = NULL;
	/* read now: our reference on m may go below, and a mirror's may be
	 * freed by another PMD reaping a shared tx queue */
	const bool work = m->ol_flags & DP_OFL_TX_WORK;

	if (c->flood_tci != tci || c->flood_in != in->id)
		flood_resolve(c, br, in, tci);
	n_plain = c->n_plain;
	n_tag = c->n_tag;
	if (unlikely(c->flood_egress)) {
		n_plain = n_tag = 0;
		for (i = 0; i < c->n_plain; i++) {
			c->flood_ok[i] = egress_allows(c, t[i], m);
			n_plain += c->flood_ok[i];
		}
		for (i = 0; i < c->n_tag; i++) {
			c->flood_ok[DP_MAX_PORTS - 1 - i] =
				egress_allows(c, t[DP_MAX_PORTS - 1 - i], m);
			n_tag += c->flood_ok[DP_MAX_PORTS - 1 - i];
		}
		n_filtered = c->n_plain + c->n_tag - n_plain - n_tag;
	}
	if (n_plain + n_tag == 0) {
		if (n_filtered)
			rte_pktmbuf_free(m); /* counted as filter_egress on each port */
		else
			drop_rx(st, DP_DROP_NO_OUTPUT, m);
		return;
	}
	if (n_tag) {
		/* in place only when nothing else holds m (a mirror may) */
		tm = n_plain == 0 && rte_mbuf_refcnt_read(m) == 1
			     ? m
			     : rte_pktmbuf_copy(m, c->pool, 0, UINT32_MAX);
		if (tm != NULL && vlan_push(tm, tci) < 0) {
			if (tm != m)
				rte_pktmbuf_free(tm);
			tm = NULL;
		}
		if (tm != NULL && tm != m && n_plain == 0)
			rte_pktmbuf_free(m); /* copied only to keep a mirror's intact */
		if (tm == NULL) {
			for (i = 0; i < c->n_tag; i++)
				if (!c->flood_egress || c->flood_ok[DP_MAX_PORTS - 1 - i])
					count_tx_drop(c, t[DP_MAX_PORTS - 1 - i]->port,
						      DP_DROP_CLONE_FAILED);
			if (n_plain == 0) {
				rte_pktmbuf_free(m);
				return;
			}
			n_tag = 0;
		}
	}
	if (unlikely(work)) {
		flood_offload(c, m, tm, n_plain, n_tag);
		return;
	}
	if (n_plain > 1)
		rte_pktmbuf_refcnt_update(m, n_plain - 1);
	if (n_tag > 1)
		rte_pktmbuf_refcnt_update(tm, n_tag - 1);
	if (likely(!c->flood_egress)) {
		for (i = 0; i < n_plain; i++)
			txb_add(c, t[i], m);
		for (i = 0; i < n_tag; i++)
			txb_add(c, t[DP_MAX_PORTS - 1 - i], tm);
		return;
	}
	for (i = 0; i < c->n_plain; i++)
		if (c->flood_ok[i])
			txb_add(c, t[i], m);
	for (i = 0; n_tag && i < c->n_tag; i++)
		if (c->flood_ok[DP_MAX_PORTS - 1 - i])
			txb_add(c, t[DP_MAX_PORTS - 1 - i], tm);
}

/* The classify pass for one frame: its TCI, or the drop reason.  The common
 * case (untagged, a type not a length, fits the MTU, unicast source) is
 * inline; everything else goes through vlan_ingress(), which checks it all
 * again and strips a tag. */
static inline enum dp_drop classify(const struct dp_port_conf *conf, struct rte_mbuf *m,
				    uint16_t *tci)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint16_t et = rte_be_to_cpu_16(eh->ether_type);

	/* every TPID is >= 0x8100: IPv4 and ARP skip the TPID compares */
	if (likely(m->data_len >= RTE_ETHER_HDR_LEN && et >= RTE_ETHER_TYPE_IPV4 &&
		   (et < RTE_ETHER_TYPE_VLAN || !vlan_is_tpid(et)) && m->pkt_len <= conf->max_len &&
		   conf->untagged_ok && !(eh->src_addr.addr_bytes[0] & 1))) {
		*tci = conf->untagged_tci;
		return DP_DROP_MAX;
	}
	return vlan_ingress(&conf->vlan, m, conf->max_len, tci);
}

static void drop_burst(struct dp_rxq_stats *st, enum dp_drop r, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;
	uint16_t i;

	for (i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	st->packets += n;
	st->bytes += bytes;
	st->drops[r] += n;
	rte_pktmbuf_free_bulk(pkts, n);
}

/* One burst's work between the passes, on the PMD's stack. */
struct dp_burst {
	uint16_t k; /* frames that survived classification */
	struct rte_mbuf *keep[DP_BURST];
	uint64_t skey[DP_BURST], dkey[DP_BURST]; /* dkey 0: group address */
	struct fdb_bucket *sb[DP_BURST], *db[DP_BURST];
	uint16_t tci[DP_BURST];
	struct dp_txbuf *out[DP_BURST];
};

/* 1. classify.  Inlined three times, with and without an ingress filter
 * and a header prefetch, so the common burst pays nothing for what it does
 * not need.  The prefetch is for frames a NIC wrote by DMA; a vhost port's
 * frames were just copied in by this core and are still in its cache. */
static __rte_always_inline void classify_pass(const struct dp_port_conf *conf,
					      const struct filter *ingress, bool prefetch,
					      const struct fdb_tbl *t, struct dp_rxq_stats *st,
					      struct rte_mbuf **pkts, uint16_t n,
					      struct dp_burst *bs)
{
	uint64_t prev_skey = 0, bytes = 0, vk;
	struct fdb_bucket *bk = NULL;
	uint16_t i, k = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eh;
		enum dp_drop r;
		uint64_t d48;

		if (prefetch && i + DP_PREFETCH < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + DP_PREFETCH], void *));
		bytes += m->pkt_len;
		r = classify(conf, m, &bs->tci[k]);
		if (unlikely(r != DP_DROP_MAX)) {
			drop_rx(st, r, m);
			continue;
		}
		/* before learning: a spoofed source is never learned */
		if (ingress != NULL && !filter_pass(ingress, m)) {
			drop_rx(st, DP_DROP_FILTER_INGRESS, m);
			continue;
		}
		eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		/* the two 48-bit MACs need no masking: or in the VLAN half */
		vk = fdb_key_vlan(bs->tci[k]);
		bs->skey[k] = fdb_mac48_src(eh) | vk;
		if (bs->skey[k] != prev_skey) {
			prev_skey = bs->skey[k];
			bk = fdb_bucket_of(t, prev_skey);
			rte_prefetch0(bk);
		}
		bs->sb[k] = bk;
		d48 = fdb_mac48_dst(eh);
		if (d48 & 1) {
			bs->dkey[k] = 0; /* group address: flooded, never looked up */
		} else {
			bs->dkey[k] = d48 | vk;
			bs->db[k] = fdb_bucket_of(t, bs->dkey[k]);
			rte_prefetch0(bs->db[k]);
		}
		bs->keep[k++] = m;
	}
	st->packets += n;
	st->bytes += bytes;
	bs->k = k;
}

/* 2. decide.  Returns the one port every frame goes to unmodified, if so. */
static inline struct dp_txbuf *decide_pass(struct dp_pmd_ctx *c, const struct dp_bridge *br,
					   const struct dp_port *in, const struct fdb_tbl *t,
					   struct dp_rxq_stats *st, struct dp_burst *bs)
{
	const uint16_t in_id = in->id;
	const uint32_t now = c->now;
	uint16_t i, run_tci = 0, run_id = FDB_PORT_NONE;
	struct dp_txbuf *run = NULL, *single = NULL;
	bool run_ok = false, run_tag = false, run_work = false, direct = true;
	const struct filter *run_egress = NULL;
	uint64_t prev_skey = 0;

	for (i = 0; i < bs->k; i++) {
		struct fdb_bucket *b;
		unsigned int w;
		uint16_t to;

		if (bs->skey[i] != prev_skey) {
			prev_skey = bs->skey[i];
			b = fdb_find_from(t, bs->sb[i], prev_skey, &w);
			if (DP_PIPELINE_TRACE) /* a trace looks, and neither learns nor refreshes */
				c->trace->src_port =
					b ? __atomic_load_n(&b->port[w], __ATOMIC_RELAXED) : -1;
			else if (likely(b != NULL) &&
				 __atomic_load_n(&b->port[w], __ATOMIC_RELAXED) == in_id)
				fdb_touch(b, w, now);
			else
				fdb_learn_ask(br->fdb, &c->asked, prev_skey, in_id, now);
		}
		if (bs->dkey[i] == 0 ||
		    (b = fdb_find_from(t, bs->db[i], bs->dkey[i], &w)) == NULL) {
			bs->out[i] = DP_OUT_FLOOD;
			direct = false;
			continue;
		}
		to = __atomic_load_n(&b->port[w], __ATOMIC_RELAXED);
		if (DP_PIPELINE_TRACE)
			c->trace->dst_port = to;
		/* a run is keyed by the whole TCI: no masking per frame */
		if (to != run_id || bs->tci[i] != run_tci) {
			const uint16_t vid = bs->tci[i] & VLAN_VID_MASK;

			if (unlikely(to == in_id)) {
				drop_rx(st, DP_DROP_HAIRPIN, bs->keep[i]);
				bs->out[i] = DP_OUT_DROPPED;
				direct = false;
				continue;
			}
			run_id = to;
			run_tci = bs->tci[i];
			run = txb_get(c, to);
			run_ok = run != NULL && run->conf->bridge == br &&
				 vlan_port_carries(&run->conf->vlan, vid);
			run_tag = run_ok && vlan_port_tags(&run->conf->vlan, vid);
			run_egress = run_ok ? run->egress : NULL;
			run_work = run_tag || run_egress != NULL;
			if (single == NULL)
				single = run;
			else if (single != run)
				direct = false;
		}
		if (unlikely(!run_ok)) {
			/* stale entry (port gone or reconfigured): behave as unknown */
			bs->out[i] = DP_OUT_FLOOD;
			direct = false;
			continue;
		}
		bs->out[i] = run;
		if (likely(!run_work))
			continue;
		if (run_egress != NULL && !egress_allows(c, run, bs->keep[i])) {
			rte_pktmbuf_free(bs->keep[i]); /* counted as filter_egress */
			bs->out[i] = DP_OUT_DROPPED;
			direct = false;
		} else if (run_tag) {
			direct = false;
			if (vlan_push(bs->keep[i], bs->tci[i]) < 0) {
				drop_tx(c, run, DP_DROP_CLONE_FAILED, bs->keep[i]);
				bs->out[i] = DP_OUT_DROPPED;
			}
		}
	}
	return direct ? single : NULL;
}

#if !DP_PIPELINE_TRACE
/* m (TCI tci) for a mirror's output port when it does not take m in the
 * form m has, or m asks for offload work: a re-tagged copy, fitted as that
 * port needs; m is left alone.  Rare: a VLAN trunk on one side only. */
static void mirror_slow(struct dp_pmd_ctx *c, const struct dp_mirror *mr, struct dp_txbuf *mb,
			struct rte_mbuf *m, uint16_t tci, bool tagged_now)
{
	bool want = dp_mirror_tags(mr, tci & VLAN_VID_MASK);
	struct rte_mbuf *mm = m;

	if (want == tagged_now) {
		rte_pktmbuf_refcnt_update(m, 1);
	} else {
		mm = rte_pktmbuf_copy(m, c->pool, 0, UINT32_MAX);
		if (mm == NULL || (want ? vlan_push(mm, tci) : rte_vlan_strip(mm)) < 0) {
			if (mm != NULL)
				rte_pktmbuf_free(mm);
			count_tx_drop(c, mb->port, DP_DROP_CLONE_FAILED);
			return;
		}
	}
	if (mm->ol_flags & DP_OFL_TX_WORK)
		flood_fitted(c, &mb, 1, mm); /* a guest's TSO frame, for a port without */
	else
		txb_add(c, mb, mm);
}

/* Does a frame going to o (a port's buffer, or flooded) reach one of mr's
 * dst ports?  A flooded frame resolves its VLAN's targets, as flood() will
 * for the same burst. */
static bool mirror_dst_hit(struct dp_pmd_ctx *c, const struct dp_bridge *br,
			   const struct dp_port *in, const struct dp_mirror *mr,
			   const struct dp_txbuf *o, uint16_t tci)
{
	uint16_t i;

	if (o != DP_OUT_FLOOD)
		return dp_mirror_has_port(mr->dst, o->port->id);
	if (c->flood_tci != tci || c->flood_in != in->id)
		flood_resolve(c, br, in, tci);
	for (i = 0; i < c->n_plain; i++)
		if (dp_mirror_has_port(mr->dst, c->targets[i]->port->id))
			return true;
	for (i = 0; i < c->n_tag; i++)
		if (dp_mirror_has_port(mr->dst, c->targets[DP_MAX_PORTS - 1 - i]->port->id))
			return true;
	return false;
}

/*
 * The bridge's mirrors over a decided burst, before any frame is sent or
 * tagged: each selected frame gets one reference (or, rarely, a copy) per
 * distinct output port.  Mirror by mirror, so what depends only on the
 * ingress port (select_all, src) is decided once per burst, and the
 * references go into the output's buffer in one run.  Out of line: a bridge
 * without mirrors pays one load and a branch.
 */
static __rte_noinline void mirror_burst(struct dp_pmd_ctx *c, const struct dp_bridge *br,
					const struct dp_port *in, const struct dp_mirror_set *ms,
					const struct dp_burst *bs)
{
	uint16_t served[DP_BURST]; /* mirrors that sent frame i, when outputs repeat */
	uint16_t i, j;

	if (unlikely(ms->dups))
		memset(served, 0, sizeof(served[0]) * bs->k);
	for (j = 0; j < ms->n; j++) {
		const struct dp_mirror *mr = &ms->m[j];
		const bool whole = mr->all || dp_mirror_has_port(mr->src, in->id);
		struct dp_txbuf *mb;

		if (!whole && !mr->has_dst)
			continue;
		mb = txb_get(c, mr->out);
		if (mb == NULL)
			continue; /* the output port is gone: the next set will not name it */
		for (i = 0; i < bs->k; i++) {
			const struct dp_txbuf *o = bs->out[i];
			const uint16_t vid = bs->tci[i] & VLAN_VID_MASK;
			struct rte_mbuf *m = bs->keep[i];
			bool tagged_now;

			if (o == DP_OUT_DROPPED || (!mr->any_vlan && !vlan_bit(mr->vlans, vid)) ||
			    (!whole && !mirror_dst_hit(c, br, in, mr, o, bs->tci[i])))
				continue;
			if (unlikely(ms->dups)) {
				if (served[i] & mr->dup_of)
					continue; /* this output has its copy */
				served[i] |= (uint16_t)(1u << j);
			}
			/* what the decide pass did to it: tagged for a trunk */
			tagged_now = o != DP_OUT_FLOOD && vlan_port_tags(&o->conf->vlan, vid);
			if (likely(tagged_now == dp_mirror_tags(mr, vid) &&
				   !(m->ol_flags & DP_OFL_TX_WORK))) {
				rte_pktmbuf_refcnt_update(m, 1);
				txb_add(c, mb, m);
			} else {
				mirror_slow(c, mr, mb, m, bs->tci[i], tagged_now);
			}
		}
	}
}
#endif

/* Steps 1 to 3 for n <= DP_BURST frames counted in st. */
static __rte_always_inline void process(struct dp_pmd_ctx *c, struct dp_port *in,
					struct dp_rxq_stats *st, struct rte_mbuf **pkts, uint16_t n)
{
	const struct dp_port_conf *conf = __atomic_load_n(&in->conf, __ATOMIC_ACQUIRE);
	const struct filter *ingress;
	const struct fdb_tbl *t;
	struct dp_txbuf *single;
	struct dp_bridge *br;
	struct dp_burst bs;
	uint16_t i;

	if (unlikely(conf == NULL || conf->rx_refused)) {
		drop_burst(st,
			   conf != NULL && conf->mirror_out ? DP_DROP_MIRROR_RX : DP_DROP_NO_BRIDGE,
			   pkts, n);
		return;
	}
	br = conf->bridge;
	t = fdb_tbl_get(br->fdb);
	/* one filter for the whole burst: the old policy or the new, never a mix */
	ingress = __atomic_load_n(&in->filter[FILTER_DIR_INGRESS], __ATOMIC_ACQUIRE);
	if (ingress != NULL)
		classify_pass(conf, ingress, true, t, st, pkts, n, &bs);
	else if (in->kind == DP_PORT_ETHDEV)
		classify_pass(conf, NULL, true, t, st, pkts, n, &bs);
	else
		classify_pass(conf, NULL, false, t, st, pkts, n, &bs);

	if (DP_PIPELINE_TRACE && bs.k) {
		c->trace->classified = true;
		c->trace->tci = bs.tci[0];
		c->trace->filtered = ingress != NULL;
		c->trace->dst_group = bs.dkey[0] == 0;
	}
	single = decide_pass(c, br, in, t, st, &bs);

	/* 3. output */
	c->flood_tci = UINT32_MAX; /* flood targets are resolved per burst */
#if !DP_PIPELINE_TRACE
	{
		/* (a trace shows where a frame goes, not its mirrors) */
		const struct dp_mirror_set *ms = __atomic_load_n(&br->mirrors, __ATOMIC_ACQUIRE);

		if (unlikely(ms != NULL))
			mirror_burst(c, br, in, ms, &bs);
	}
#endif
	if (DP_PIPELINE_TRACE && single != NULL) {
		dp_trace_tx(c->trace, single->port->id, bs.keep, bs.k);
	} else if (single != NULL) {
		/* every frame to one port, unmodified: hand the burst over */
		port_send(c, single->port, bs.keep, bs.k);
	} else {
		for (i = 0; i < bs.k; i++) {
			if (bs.out[i] == DP_OUT_FLOOD) {
				if (DP_PIPELINE_TRACE)
					c->trace->flooded = true;
				flood(c, br, in, st, bs.keep[i], bs.tci[i]);
			} else if (bs.out[i] != DP_OUT_DROPPED)
				txb_add(c, bs.out[i], bs.keep[i]);
		}
	}
	flush_all(c);
}

#if !DP_PIPELINE_TRACE
void dp_process_burst(struct dp_pmd_ctx *c, struct dp_port *in, uint16_t qid,
		      struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_rxq_stats *st = &in->rxq[qid];

	if (unlikely(n > DP_BURST)) {
		dp_process_burst(c, in, qid, pkts, DP_BURST);
		dp_process_burst(c, in, qid, pkts + DP_BURST, n - DP_BURST);
		return;
	}
	if (dp_port_rx_hooked(in)) {
		n = dp_port_rx_hooks(in, c->pmd, st, pkts, n);
		if (n == 0)
			return;
	}
	process(c, in, st, pkts, n);
}

#else
void dp_trace_frame(struct dp_pmd_ctx *c, struct dp_port *in, struct rte_mbuf *m,
		    struct dp_trace *tr)
{
	struct dp_rxq_stats st = {0}; /* not the port's: a trace counts nothing */
	int r;

	memset(tr, 0, sizeof(*tr));
	tr->rx_drop = DP_DROP_MAX;
	tr->src_port = tr->dst_port = -1;
	c->trace = tr;
	c->now = dp_now();
	process(c, in, &st, &m, 1);
	c->trace = NULL;
	for (r = 0; r < DP_DROP_MAX; r++)
		if (st.drops[r])
			tr->rx_drop = (enum dp_drop)r;
}
#endif
