/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-dp-micro: a deterministic microbenchmark of the switching pipeline
 * alone: synthetic bursts through dp_process_burst (VLAN classification,
 * filters, learning, bulk lookup, unicast or flood, per-port tx buffering)
 * on ports whose tx frees the frames; no vhost, no NIC, one thread.
 *
 * bench/micro/run.sh counts it with callgrind, collecting only inside
 * micro_measured_loop(): instructions per packet do not depend on the load
 * of the machine, so they show a regression where timings are too noisy.
 * Without valgrind it is a meson test: every case checks the frames that
 * came out, the drop counters, and that no mbuf leaked.
 *
 * Traffic model: M learned MACs (--macs), M/2 hosts behind port 0 and M/2
 * behind port 1, learned through the pipeline before measuring.  Frame i of
 * the measured loop goes from host i % (M/2) on one side to the host of the
 * same index on the other.  The clock is fixed, so refreshing a known MAC
 * never stores a timestamp.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dataplane/bridge.h"
#include "dataplane/capture.h"
#include "dataplane/mirror.h"
#include "dataplane/fdb.h"
#include "dataplane/filter.h"
#include "dataplane/pipeline.h"
#include "dataplane/pktmbuf.h"
#include "dataplane/port.h"

#define MICRO_MAX_PORTS 5
#define MICRO_VID       10
#define MICRO_FRAME_LEN 60 /* untagged, without FCS */
#define MICRO_POOL      8192
#define MICRO_WARM      64   /* bursts of the measured path run before measuring */
#define MICRO_TABLE_MIN 8192 /* mac-table-size default */
#define MICRO_RULES     16   /* filter16: rules per policy (--rules) */
#define MICRO_FAIL(...) micro_fail(__func__, __VA_ARGS__)
#define MICRO_CHECK(c)  ((c) ? (void)0 : MICRO_FAIL("check failed: %s", #c))
#define MICRO_WIRE_NONE (-1)

/* How a port is configured: an access port of `tag`, or a trunk carrying
 * `trunk` only (0: every VLAN, untagged frames in VLAN 0). */
struct micro_portcfg {
	uint16_t tag;
	uint16_t trunk;
};

/* One traffic direction: frames enter port `in`; bursts cycle through the
 * case's directions. */
struct micro_dir {
	uint16_t in;
	int wire_vid; /* tag the frames carry on the wire, or MICRO_WIRE_NONE */
};

struct micro_case {
	const char *name;
	const char *what;
	uint32_t macs; /* default for --macs */
	uint16_t n_ports;
	struct micro_portcfg port[MICRO_MAX_PORTS];
	uint16_t n_dirs;
	struct micro_dir dir[2];
	bool broadcast;   /* destination ff:ff:ff:ff:ff:ff instead of a known host */
	bool new_sources; /* a never seen source MAC per frame, drained every burst */
	bool filters;     /* --rules-rule policies: ingress on port 0, egress on port 1 */
	bool capture;     /* every frame port 0 receives captured, drained every burst */
	bool mirror;      /* port 2 is a mirror's output, selecting what port 0 receives */
};

/* clang-format off */
#define MICRO_PLAIN  {.tag = 0, .trunk = 0}
#define MICRO_FROM_0 {.in = 0, .wire_vid = MICRO_WIRE_NONE}
/* two plain ports, traffic from port 0 to port 1 */
#define MICRO_0_TO_1 .n_ports = 2, .port = {MICRO_PLAIN, MICRO_PLAIN}, .n_dirs = 1, \
		     .dir = {MICRO_FROM_0}
/* clang-format on */

static const struct micro_case cases[] = {
	{.name = "unicast", .what = "known unicast port 0 -> port 1", .macs = 10, MICRO_0_TO_1},
	{.name = "unicast-100k",
	 .what = "known unicast port 0 -> port 1 among 100k learned MACs",
	 .macs = 100000,
	 MICRO_0_TO_1},
	{.name = "learn",
	 .what = "unicast port 0 -> port 1, a new source MAC every frame; the learn "
		 "requests are drained (control side, counted) after every burst",
	 .macs = 10,
	 MICRO_0_TO_1,
	 .new_sources = true},
	{.name = "flood",
	 .what = "broadcast from port 0 to 4 untagged ports (one mbuf, shared)",
	 .macs = 10,
	 .n_ports = 5,
	 .port = {MICRO_PLAIN, MICRO_PLAIN, MICRO_PLAIN, MICRO_PLAIN, MICRO_PLAIN},
	 .n_dirs = 1,
	 .dir = {MICRO_FROM_0},
	 .broadcast = true},
	{.name = "vlan",
	 .what = "access port 0 (VLAN 10) -> trunk port 1 (push), then back (pop), "
		 "alternate bursts",
	 .macs = 10,
	 .n_ports = 2,
	 .port = {{.tag = MICRO_VID}, {.trunk = MICRO_VID}},
	 .n_dirs = 2,
	 .dir = {MICRO_FROM_0, {.in = 1, .wire_vid = MICRO_VID}}},
	{.name = "filter16",
	 .what = "unicast with 16-rule policies, ingress on port 0 and egress on port 1; "
		 "the last rule allows",
	 .macs = 10,
	 MICRO_0_TO_1,
	 .filters = true},
	{.name = "capture",
	 .what = "unicast with every frame port 0 receives captured (kvsctl capture PORT -Q rx); "
		 "the copies are taken off the ring and freed (control side, counted) after "
		 "every burst",
	 .macs = 10,
	 MICRO_0_TO_1,
	 .capture = true},
	{.name = "mirror",
	 .what = "unicast port 0 -> port 1, every frame port 0 receives mirrored to port 2 "
		 "(select_src_port, output_port untagged: shared by reference)",
	 .macs = 10,
	 .n_ports = 3,
	 .port = {MICRO_PLAIN, MICRO_PLAIN, MICRO_PLAIN},
	 .n_dirs = 1,
	 .dir = {MICRO_FROM_0},
	 .mirror = true},
};

/* A port's tx side: counts like a real port and frees, or, while `hold` is
 * set, keeps up to DP_BURST frames for inspection. */
struct micro_sink {
	bool hold;
	unsigned int n_held;
	struct rte_mbuf *held[DP_BURST];
};

struct micro {
	const struct micro_case *c;
	uint32_t hosts;     /* per side */
	uint32_t new_macs;  /* new_sources: MACs the run will learn */
	uint16_t rules;     /* filters: rules per policy */
	uint64_t seq;       /* frames synthesized so far */
	uint64_t new_seq;   /* new_sources: next new MAC */
	unsigned int burst; /* bursts synthesized so far (picks the direction) */
	struct rte_mempool *pool;
	struct dp_bridge *br;
	struct dp_pmd_ctx *ctx;
	struct dp_port *port[MICRO_MAX_PORTS];
	struct micro_sink sink[MICRO_MAX_PORTS];
	struct dp_capture *cap; /* capture: on port 0 */
	uint64_t cap_taken;     /* copies taken off its ring */
};

static void micro_fail(const char *fn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void micro_fail(const char *fn, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kvs-dp-micro: %s: ", fn);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint16_t micro_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n)
{
	struct micro_sink *s = p->priv;
	uint16_t i;

	uint64_t bytes = 0;

	p->tx[pmd].packets += n;
	for (i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	p->tx[pmd].bytes += bytes;
	if (!s->hold) {
		dp_mbuf_free_burst(pkts, n); /* as vhost tx frees after its copy */
		return n;
	}
	for (i = 0; i < n; i++) {
		if (s->n_held == DP_BURST)
			MICRO_FAIL("port %s: more frames than one burst", p->name);
		s->held[s->n_held++] = pkts[i];
	}
	return n;
}

static uint16_t micro_rx(struct dp_port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	(void)p, (void)qid, (void)pkts, (void)n;
	return 0; /* frames are synthesized by the bench, never polled */
}

static const struct dp_port_ops micro_ops = {.rx_burst = micro_rx, .tx_burst = micro_tx};

/* Host `idx` behind port `side`: 52:54:<side>:<idx, 24 bits>. */
static void micro_host_mac(struct rte_ether_addr *a, unsigned int side, uint32_t idx)
{
	a->addr_bytes[0] = 0x52;
	a->addr_bytes[1] = 0x54;
	a->addr_bytes[2] = (uint8_t)side;
	a->addr_bytes[3] = (uint8_t)(idx >> 16);
	a->addr_bytes[4] = (uint8_t)(idx >> 8);
	a->addr_bytes[5] = (uint8_t)idx;
}

/* Fill m as a MICRO_FRAME_LEN IPv4 frame dst <- src, tagged if vid >= 0. */
static void micro_frame(struct rte_mbuf *m, const struct rte_ether_addr *dst,
			const struct rte_ether_addr *src, int vid)
{
	uint16_t len = MICRO_FRAME_LEN + (vid >= 0 ? sizeof(struct rte_vlan_hdr) : 0);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);

	if (eh == NULL)
		MICRO_FAIL("no room for a %u-byte frame", len);
	memset(eh + 1, 0, len - sizeof(*eh));
	rte_ether_addr_copy(dst, &eh->dst_addr);
	rte_ether_addr_copy(src, &eh->src_addr);
	if (vid >= 0) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16((uint16_t)vid);
		vh->eth_proto = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	} else {
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	}
}

/*
 * The stand-in for a port's rx: a burst of fresh mbufs from the pool with the
 * next frames of the traffic model written in.  Returns the ingress port
 * index.  Its cost is reported on its own (it is not the pipeline's).
 */
__attribute__((noipa)) static uint16_t micro_rx_synth(struct micro *b, struct rte_mbuf **pkts)
{
	const struct micro_dir *d = &b->c->dir[b->burst++ % b->c->n_dirs];
	unsigned int dst_side = d->in == 0 ? 1 : 0;
	struct rte_ether_addr src, dst;
	uint16_t i;

	if (rte_pktmbuf_alloc_bulk(b->pool, pkts, DP_BURST) != 0)
		MICRO_FAIL("mbuf pool empty");
	memset(&dst, 0xff, sizeof(dst));
	for (i = 0; i < DP_BURST; i++, b->seq++) {
		uint32_t h = (uint32_t)(b->seq % b->hosts);

		if (b->c->new_sources) {
			/* 52:54:80+: never a host; 31 bits of new MACs */
			micro_host_mac(&src, 0x80 | (uint8_t)(b->new_seq >> 24),
				       (uint32_t)b->new_seq);
			b->new_seq++;
		} else {
			micro_host_mac(&src, d->in, h);
		}
		if (!b->c->broadcast)
			micro_host_mac(&dst, dst_side, h);
		micro_frame(pkts[i], &dst, &src, d->wire_vid);
	}
	return d->in;
}

/* What the control thread does with a capture's copies, without the write. */
__attribute__((noipa)) static void micro_capture_drain(struct micro *b)
{
	struct rte_mbuf *m[DP_BURST];
	unsigned int n;

	while ((n = dp_capture_dequeue(b->cap, m, DP_BURST)) > 0) {
		b->cap_taken += n;
		rte_pktmbuf_free_bulk(m, n);
	}
}

static void micro_bursts(struct micro *b, unsigned int bursts)
{
	struct rte_mbuf *pkts[DP_BURST];
	unsigned int i;

	for (i = 0; i < bursts; i++) {
		uint16_t in = micro_rx_synth(b, pkts);

		dp_process_burst(b->ctx, b->port[in], 0, pkts, DP_BURST);
		if (b->c->new_sources)
			fdb_learn_drain(b->br->fdb, b->ctx->now);
		if (b->c->capture)
			micro_capture_drain(b);
	}
}

/* What callgrind counts (--toggle-collect=micro_measured_loop). */
__attribute__((noipa)) static void micro_measured_loop(struct micro *b, unsigned int bursts)
{
	micro_bursts(b, bursts);
}

/* Warm-up, not measured: every host sends broadcasts from its port (wire
 * format of that port), the control side learns them, then the measured
 * path runs a few bursts so mempool caches and tables are in steady state. */
static void micro_warm_up(struct micro *b)
{
	struct rte_mbuf *pkts[DP_BURST];
	struct rte_ether_addr src, bcast;
	struct fdb_stats st;
	unsigned int side;
	uint32_t h, i, n;

	memset(&bcast, 0xff, sizeof(bcast));
	for (side = 0; side < 2; side++) {
		const struct micro_portcfg *pc = &b->c->port[side];
		int vid = pc->trunk ? pc->trunk : MICRO_WIRE_NONE;

		for (h = 0; h < b->hosts; h += n) {
			n = RTE_MIN(b->hosts - h, (uint32_t)DP_BURST);
			if (rte_pktmbuf_alloc_bulk(b->pool, pkts, n) != 0)
				MICRO_FAIL("mbuf pool empty");
			for (i = 0; i < n; i++) {
				micro_host_mac(&src, side, h + i);
				micro_frame(pkts[i], &bcast, &src, vid);
			}
			dp_process_burst(b->ctx, b->port[side], 0, pkts, (uint16_t)n);
			fdb_learn_drain(b->br->fdb, b->ctx->now);
		}
	}
	fdb_stats_get(b->br->fdb, &st);
	if (st.entries != 2 * b->hosts)
		MICRO_FAIL("warm-up learned %u MACs, expected %u", st.entries, 2 * b->hosts);
	micro_bursts(b, MICRO_WARM);
}

/* rules - 1 rules that never match the traffic, then the one that allows it,
 * so the program evaluates them all. */
static struct filter *micro_policy(uint16_t rules, bool egress, const char *why)
{
	struct filter_rules r = {.n = rules, .default_allow = false};
	struct filter *f;
	char err[256];
	uint16_t i;

	for (i = 0; i < rules; i++) {
		struct filter_rule *x = &r.r[i];

		/* 02:00:00:00:0<dir>:<i>; egress rules look at the destination */
		memset(&x->mask, 0xff, sizeof(x->mask));
		x->mac = (struct rte_ether_addr){{0x02, 0, 0, 0, egress, (uint8_t)i}};
		x->match_dst = egress;
		x->allow = false;
	}
	/* the last: every host of the side the frames come from / go to */
	micro_host_mac(&r.r[rules - 1].mac, egress ? 1 : 0, 0);
	r.r[rules - 1].mask = (struct rte_ether_addr){{0xff, 0xff, 0xff, 0, 0, 0}};
	r.r[rules - 1].allow = true;
	f = filter_from_rules(&r, err, sizeof(err));
	if (f == NULL)
		MICRO_FAIL("%s policy: %s", why, err);
	return f;
}

static void micro_setup(struct micro *b, const struct micro_case *c, uint32_t macs,
			unsigned int bursts, uint16_t rules)
{
	struct fdb_params fp = {.name = "micro",
				.aging_s = 300,
				.max_ports = DP_MAX_PORTS,
				.socket_id = SOCKET_ID_ANY};
	uint16_t ids[MICRO_MAX_PORTS], i;
	char name[16];

	memset(b, 0, sizeof(*b));
	b->c = c;
	b->hosts = macs / 2;
	b->rules = rules;
	if (c->new_sources)
		b->new_macs = (bursts + MICRO_WARM + 1) * DP_BURST;
	/* room for everything the run learns, at most half full */
	fp.max_entries = RTE_MAX((uint32_t)MICRO_TABLE_MIN, 2 * (macs + b->new_macs));
	if (dp_rcu_init(1) != 0)
		MICRO_FAIL("no memory for RCU");
	fp.qsv = dp_rcu(); /* as kvswitchd: the hash in lock-free, deferred-reclaim mode */
	b->pool = dp_pool_get(SOCKET_ID_ANY);
	b->br = dp_bridge_create("br0", &fp);
	if (b->pool == NULL || b->br == NULL)
		MICRO_FAIL("bridge or pool: %s", strerror(errno));
	for (i = 0; i < c->n_ports; i++) {
		struct dp_port_conf pc = {.max_len = RTE_ETHER_MTU + RTE_ETHER_HDR_LEN,
					  .bridge = b->br};
		const struct micro_portcfg *cfg = &c->port[i];

		snprintf(name, sizeof(name), "p%u", i);
		b->port[i] = dp_port_alloc(name, DP_PORT_TEST, &micro_ops, SOCKET_ID_ANY);
		if (b->port[i] == NULL)
			MICRO_FAIL("port %s: %s", name, strerror(errno));
		b->port[i]->priv = &b->sink[i];
		pc.vlan.tag = cfg->tag;
		if (cfg->tag)
			pc.vlan.trunks[cfg->tag >> 6] |= 1ULL << (cfg->tag & 63);
		else if (cfg->trunk)
			pc.vlan.trunks[cfg->trunk >> 6] |= 1ULL << (cfg->trunk & 63);
		else
			vlan_set_all(pc.vlan.trunks);
		pc.mirror_out = c->mirror && i == 2;
		if (dp_port_set_conf(b->port[i], &pc) != 0)
			MICRO_FAIL("port %s: no memory for its conf", name);
		dp_port_publish(b->port[i]);
		ids[i] = b->port[i]->id;
	}
	if (dp_bridge_set_members(b->br, ids, c->n_ports) != 0)
		MICRO_FAIL("bridge members");
	if (c->filters) {
		dp_port_set_filter(b->port[0], FILTER_DIR_INGRESS,
				   micro_policy(b->rules, false, "ingress"));
		dp_port_set_filter(b->port[1], FILTER_DIR_EGRESS,
				   micro_policy(b->rules, true, "egress"));
	}
	if (c->mirror) {
		struct dp_mirror m = {.out = b->port[2]->id, .any_vlan = true};

		dp_mirror_add_port(m.src, b->port[0]->id);
		if (dp_bridge_set_mirrors(b->br, &m, 1) != 0)
			MICRO_FAIL("mirror: no memory");
	}
	if (c->capture) {
		b->cap = dp_capture_create(DP_CAPTURE_RX, DP_CAPTURE_SNAPLEN, NULL);
		if (b->cap == NULL || dp_capture_attach(b->port[0], b->cap) != 0)
			MICRO_FAIL("capture: %s", strerror(errno));
	}
	b->ctx = dp_pmd_ctx_create(0, SOCKET_ID_ANY, b->pool);
	if (b->ctx == NULL)
		MICRO_FAIL("pmd context: %s", strerror(errno));
	b->ctx->now = 1000;
	dp_rcu_flush();
}

static void micro_teardown(struct micro *b)
{
	unsigned int i;

	if (b->cap != NULL) {
		uint64_t selected, dropped;

		micro_capture_drain(b);
		dp_capture_counts(b->cap, &selected, &dropped);
		if (dropped != 0 || selected != b->cap_taken)
			MICRO_FAIL("capture: %" PRIu64 " selected, %" PRIu64 " taken, %" PRIu64
				   " dropped",
				   selected, b->cap_taken, dropped);
		if (dp_capture_detach(b->port[0], b->cap) != 0)
			MICRO_FAIL("capture detach");
		dp_rcu_flush();
		dp_capture_destroy(b->cap);
	}
	dp_pmd_ctx_destroy(b->ctx);
	for (i = 0; i < b->c->n_ports; i++)
		dp_port_unpublish(b->port[i]);
	dp_rcu_flush();
	for (i = 0; i < b->c->n_ports; i++)
		dp_port_free(b->port[i]);
	dp_bridge_destroy(b->br);
	dp_rcu_flush();
	if (rte_mempool_in_use_count(b->pool) != 0)
		MICRO_FAIL("%u mbufs leaked", rte_mempool_in_use_count(b->pool));
}

struct micro_counts {
	struct dp_port_totals t[MICRO_MAX_PORTS];
	struct fdb_stats fdb;
};

static void micro_counts_get(const struct micro *b, struct micro_counts *k)
{
	unsigned int i;

	for (i = 0; i < b->c->n_ports; i++)
		dp_port_totals(b->port[i], &k->t[i]);
	fdb_stats_get(b->br->fdb, &k->fdb);
}

static uint64_t micro_drops(const struct dp_port_totals *t)
{
	uint64_t n = 0;
	int r;

	for (r = 0; r < DP_DROP_MAX; r++)
		n += t->rx_drops[r] + t->tx_drops[r];
	return n;
}

/*
 * The measured run must have done what the case says: every frame in, the
 * expected number out of every port, nothing dropped, every new MAC learned.
 * Returns the frames sent out.
 */
static uint64_t micro_check_run(const struct micro *b, const struct micro_counts *k0,
				const struct micro_counts *k1, unsigned int bursts)
{
	uint64_t want_out[MICRO_MAX_PORTS] = {0}, in = 0, out = 0;
	unsigned int i, o;

	for (i = 0; i < bursts; i++) {
		const struct micro_dir *d = &b->c->dir[(MICRO_WARM + i) % b->c->n_dirs];

		for (o = 0; o < b->c->n_ports; o++)
			if (o != d->in && (b->c->broadcast || o == (d->in == 0 ? 1u : 0u) ||
					   (b->c->mirror && o == 2 && d->in == 0)))
				want_out[o] += DP_BURST;
	}
	for (o = 0; o < b->c->n_ports; o++) {
		uint64_t got = k1->t[o].tx_packets - k0->t[o].tx_packets;

		if (got != want_out[o])
			MICRO_FAIL("port %u sent %" PRIu64 " frames, expected %" PRIu64, o, got,
				   want_out[o]);
		if (micro_drops(&k1->t[o]) != micro_drops(&k0->t[o]))
			MICRO_FAIL("port %u dropped frames", o);
		in += k1->t[o].rx_packets - k0->t[o].rx_packets;
		out += got;
	}
	MICRO_CHECK(in == (uint64_t)bursts * DP_BURST);
	MICRO_CHECK(k1->fdb.requests_lost == k0->fdb.requests_lost);
	MICRO_CHECK(k1->fdb.learned - k0->fdb.learned ==
		    (b->c->new_sources ? (uint64_t)bursts * DP_BURST : 0));
	return out;
}

static void micro_hold(struct micro *b, bool on)
{
	unsigned int i;

	for (i = 0; i < b->c->n_ports; i++) {
		rte_pktmbuf_free_bulk(b->sink[i].held, b->sink[i].n_held);
		b->sink[i].n_held = 0;
		b->sink[i].hold = on;
	}
}

/* VLAN of an output frame on the wire, MICRO_WIRE_NONE if untagged. */
static int micro_wire_vid(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN))
		return MICRO_WIRE_NONE;
	return rte_be_to_cpu_16(((const struct rte_vlan_hdr *)(eh + 1))->vlan_tci) & 0xfff;
}

/* One more burst per direction, frames kept: each leaves with its port's wire
 * format, and a flood shares one mbuf between its untagged ports. */
static void micro_check_frames(struct micro *b)
{
	struct rte_mbuf *pkts[DP_BURST];
	unsigned int d, o, i;

	for (d = 0; d < b->c->n_dirs; d++) {
		micro_hold(b, true);
		micro_bursts(b, 1);
		for (o = 0; o < b->c->n_ports; o++) {
			const struct micro_sink *s = &b->sink[o];
			int vid = b->c->port[o].trunk ? b->c->port[o].trunk : MICRO_WIRE_NONE;

			for (i = 0; i < s->n_held; i++) {
				MICRO_CHECK(micro_wire_vid(s->held[i]) == vid);
				MICRO_CHECK(s->held[i]->pkt_len ==
					    MICRO_FRAME_LEN + (vid >= 0 ? 4u : 0u));
				if (b->c->broadcast)
					MICRO_CHECK(s->held[i] == b->sink[1].held[i]);
			}
		}
	}
	micro_hold(b, false);
	if (!b->c->filters)
		return;
	/* the policies do refuse what they should: a source of ingress rule 0,
	 * then a destination of egress rule 0 (unknown: flooded to port 1) */
	for (i = 0; i < 2; i++) {
		struct rte_ether_addr deny = {{0x02, 0, 0, 0, (uint8_t)i, 0}}, host;
		struct dp_port_totals t0, t1;
		struct dp_port *p = b->port[i];
		enum dp_drop r = i ? DP_DROP_FILTER_EGRESS : DP_DROP_FILTER_INGRESS;

		micro_host_mac(&host, i ? 0 : 1, 0);
		dp_port_totals(p, &t0);
		if (rte_pktmbuf_alloc_bulk(b->pool, pkts, 1) != 0)
			MICRO_FAIL("mbuf pool empty");
		micro_frame(pkts[0], i ? &deny : &host, i ? &host : &deny, MICRO_WIRE_NONE);
		dp_process_burst(b->ctx, b->port[0], 0, pkts, 1);
		dp_port_totals(p, &t1);
		MICRO_CHECK(t1.rx_drops[r] + t1.tx_drops[r] == t0.rx_drops[r] + t0.tx_drops[r] + 1);
	}
}

static void micro_eal_init(const char *prog)
{
	/* No hugepages, no devices, no shared config, one lcore: nothing that
	 * needs privileges or another process, and nothing valgrind cannot run. */
	char *argv[] = {(char *)prog,  "--no-huge",      "-m", "512", "--no-pci",
			"--no-shconf", "--no-telemetry", "-l", "0",   "--log-level=*:warning",
			NULL};

	if (rte_eal_init(RTE_DIM(argv) - 1, argv) < 0)
		MICRO_FAIL("EAL init failed");
	dp_pool_configure(MICRO_POOL);
}

static void micro_usage(FILE *f)
{
	fprintf(f,
		"usage: kvs-dp-micro --case NAME [--bursts N] [--macs M] [--rules R]\n"
		"       kvs-dp-micro --list\n"
		"Runs N bursts of %d frames of one case through the pipeline and checks\n"
		"the result; under callgrind use --toggle-collect=micro_measured_loop.\n",
		DP_BURST);
}

static void micro_list(void)
{
	size_t i;

	for (i = 0; i < RTE_DIM(cases); i++)
		printf("%-14s %s (default --macs %u)\n", cases[i].name, cases[i].what,
		       cases[i].macs);
}

static unsigned long micro_number(const char *opt, const char *s, unsigned long min,
				  unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < min || v > max)
		MICRO_FAIL("%s: '%s' is not a number in %lu..%lu", opt, s, min, max);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"case", required_argument, NULL, 'c'},
					     {"bursts", required_argument, NULL, 'b'},
					     {"macs", required_argument, NULL, 'm'},
					     {"rules", required_argument, NULL, 'r'},
					     {"list", no_argument, NULL, 'l'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const struct micro_case *c = NULL;
	unsigned int bursts = 1000;
	struct micro_counts k0, k1;
	struct timespec t0, t1;
	static struct micro b;
	uint16_t rules = MICRO_RULES;
	uint32_t macs = 0;
	uint64_t out, packets;
	double ns;
	size_t i;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			for (i = 0; i < RTE_DIM(cases) && strcmp(cases[i].name, optarg); i++)
				;
			if (i == RTE_DIM(cases))
				MICRO_FAIL("unknown case '%s' (--list shows them)", optarg);
			c = &cases[i];
			break;
		case 'b':
			bursts = (unsigned int)micro_number("--bursts", optarg, 1, 1u << 20);
			break;
		case 'm':
			macs = (uint32_t)micro_number("--macs", optarg, 2, 1u << 21);
			break;
		case 'r':
			rules = (uint16_t)micro_number("--rules", optarg, 1, FILTER_MAX_RULES);
			break;
		case 'l':
			micro_list();
			return 0;
		case 'h':
			micro_usage(stdout);
			return 0;
		default:
			micro_usage(stderr);
			return 2;
		}
	}
	if (c == NULL || optind != argc) {
		micro_usage(stderr);
		return 2;
	}
	if (macs == 0)
		macs = c->macs;

	micro_eal_init(argv[0]);
	micro_setup(&b, c, macs, bursts, rules);
	micro_warm_up(&b);
	micro_counts_get(&b, &k0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	micro_measured_loop(&b, bursts);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	micro_counts_get(&b, &k1);
	out = micro_check_run(&b, &k0, &k1, bursts);
	micro_check_frames(&b);
	packets = (uint64_t)bursts * DP_BURST;
	ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("case=%s bursts=%u packets=%" PRIu64 " out=%" PRIu64
	       " macs=%u ns_per_packet=%.1f filter=%s\n",
	       c->name, bursts, packets, out, 2 * b.hosts, ns / (double)packets,
	       !c->filters                                  ? "none"
	       : b.port[0]->filter[FILTER_DIR_INGRESS]->jit ? "jit"
							    : "interp");
	micro_teardown(&b);
	rte_eal_cleanup();
	return 0;
}
