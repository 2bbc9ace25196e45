/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_pipeline: the whole switching pipeline (dp_process_burst) on a real
 * bridge, MAC table, ports, filters and mbufs (EAL --no-huge --no-pci), fed
 * bursts of guest frames, with the frames each port transmits captured and
 * checked.  Public API only (dataplane/pipeline.h, bridge.h, port.h, fdb.h,
 * filter.h): the pipeline's internals may change under it.
 *
 * The bridge, built once:
 *   p0 access VLAN 10          p3 trunk {0, 10, 30}
 *   p1 access VLAN 20          p4 access VLAN 10, ingress filter denies
 *   p2 trunk, all VLANs           sources whose last byte has bit 7 set,
 *                                 egress filter denies locally administered
 *                                 destinations (bit 1 of byte 0)
 *   p5 trunk {10, 20}, longest frame 214 bytes, egress filter allows
 *      broadcast only, transmits at most 2 frames per burst (the rest is
 *      "ring full")
 * The MAC table (64 entries, 8 per port) is flushed before every input, so
 * an input replays the same way; learning is drained after every burst.
 *
 * Input: bursts, each [in port][frame count-1 (mod 32)] then per frame
 * [length: 2 bytes, mod 2048][first segment length (0: one segment)] and the
 * frame's bytes.
 *
 * Invariants, per burst:
 * - no frame goes out of the port it came in on (no hairpin);
 * - a frame out of an access port is untagged; out of a trunk it carries
 *   exactly one 802.1Q tag, or none for VLAN 0; in both cases no tag type
 *   follows (no stacked tag leaves: issue 13 M4, TPID 0x9300, fails until
 *   dataplane/vlan.c knows it);
 * - VLAN isolation: each frame out is, tag aside, byte for byte a frame of
 *   the burst, in the VLAN that frame was classified into on its port, and
 *   both ports carry that VLAN;
 * - nothing a filter denies is delivered, and a denied source is not learned;
 * - every MAC table entry is on a port that carries its VLAN (at the end);
 * - a frame that reached no port was counted under a drop reason;
 * - no port receives more frames than the burst had, and every mbuf is
 *   well-formed and returns to the pool (none leaked, none freed twice).
 */
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/bridge.h"
#include "dataplane/fdb.h"
#include "dataplane/filter.h"
#include "dataplane/pipeline.h"
#include "dataplane/port.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/tpid.h"

/* The harness's own loops need no coverage feedback: it would only slow
 * every execution (clang's attribute; the targets are built with clang). */
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))

#define NP       6
#define MAX_CAP  (DP_BURST * 4)
#define MAX_LEN  2048
#define TX_LIMIT 2 /* p5 */

struct capture {
	struct rte_mbuf *pkts[MAX_CAP];
	unsigned int n;
	unsigned int limit; /* per tx_burst call */
};

static struct rte_mempool *pool;
static struct dp_bridge *br;
static struct dp_port *ports[NP];
static struct dp_port_conf confs[NP];
static struct capture caps[NP];
static struct dp_pmd_ctx *ctx;

static uint16_t cap_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n)
{
	struct capture *c = p->priv;
	uint16_t ok = 0;

	while (ok < n && ok < c->limit && c->n < MAX_CAP) {
		c->pkts[c->n++] = pkts[ok];
		p->tx[pmd].packets++;
		p->tx[pmd].bytes += pkts[ok]->pkt_len;
		ok++;
	}
	dp_port_drop_tx(p, pmd, DP_DROP_TX_RING_FULL, pkts + ok, n - ok);
	return ok;
}

static uint16_t cap_rx(struct dp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	(void)p, (void)q, (void)pkts, (void)n;
	return 0;
}

static const struct dp_port_ops cap_ops = {.rx_burst = cap_rx, .tx_burst = cap_tx};

static void set_vlans(struct dp_port_conf *c, uint16_t tag, const uint16_t *trunks, int n)
{
	c->vlan.tag = tag;
	if (tag)
		c->vlan.trunks[tag >> 6] |= 1ULL << (tag & 63);
	else if (n < 0)
		vlan_set_all(c->vlan.trunks);
	for (int k = 0; k < n; k++)
		c->vlan.trunks[trunks[k] >> 6] |= 1ULL << (trunks[k] & 63);
}

/* ---- the filters, and the same policies evaluated here ---- */

static bool p4_ingress_allows(const uint8_t *f)
{
	return !(f[11] & 0x80);
}
static bool p4_egress_allows(const uint8_t *f)
{
	return !(f[0] & 0x02);
}
static bool p5_egress_allows(const uint8_t *f)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	return memcmp(f, bcast, 6) == 0;
}

static struct filter *rules_filter(bool default_allow, bool dst, bool allow, const char *mac,
				   const char *mask)
{
	struct filter_rules r = {.n = 1, .default_allow = default_allow};
	char err[256];
	struct filter *f;

	r.r[0].match_dst = dst;
	r.r[0].allow = allow;
	if (rte_ether_unformat_addr(mac, &r.r[0].mac) < 0 ||
	    rte_ether_unformat_addr(mask, &r.r[0].mask) < 0)
		fuzz_fail("bad MAC in the harness");
	f = filter_from_rules(&r, err, sizeof(err));
	if (f == NULL)
		fuzz_fail("filter_from_rules: %s", err);
	return f;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = {
		"fuzz_pipeline",  "--no-huge",           "-m", "256", "--no-pci", "--no-shconf",
		"--no-telemetry", "--log-level=*:error", NULL};
	static const uint16_t t3[] = {0, 10, 30}, t5[] = {10, 20};
	struct fdb_params fp = {.name = "fuzz",
				.max_entries = 64,
				.port_limit = 8,
				.aging_s = 300,
				.max_ports = DP_MAX_PORTS,
				.socket_id = SOCKET_ID_ANY,
				.qsv = NULL};
	uint16_t ids[NP];
	char name[8];

	(void)argc, (void)argv;
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		fuzz_fail("EAL init failed");
	/* no per-lcore cache: the in-use count is exact after every burst */
	pool = rte_pktmbuf_pool_create("fuzz_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	br = dp_bridge_create("br0", &fp);
	if (pool == NULL || br == NULL)
		fuzz_fail("no mbuf pool or bridge");
	for (int i = 0; i < NP; i++) {
		confs[i] = (struct dp_port_conf){.max_len = 1500 + RTE_ETHER_HDR_LEN, .bridge = br};
		caps[i].limit = DP_BURST;
	}
	set_vlans(&confs[0], 10, NULL, 0);
	set_vlans(&confs[1], 20, NULL, 0);
	set_vlans(&confs[2], 0, NULL, -1);
	set_vlans(&confs[3], 0, t3, 3);
	set_vlans(&confs[4], 10, NULL, 0);
	set_vlans(&confs[5], 0, t5, 2);
	confs[5].max_len = 200 + RTE_ETHER_HDR_LEN;
	caps[5].limit = TX_LIMIT;
	for (int i = 0; i < NP; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		ports[i] = dp_port_alloc(name, DP_PORT_TEST, &cap_ops, SOCKET_ID_ANY);
		if (ports[i] == NULL || dp_port_set_conf(ports[i], &confs[i]) < 0)
			fuzz_fail("port %s", name);
		ports[i]->priv = &caps[i];
		dp_port_publish(ports[i]);
		ids[i] = ports[i]->id;
	}
	dp_port_set_filter(
		ports[4], FILTER_DIR_INGRESS,
		rules_filter(true, false, false, "00:00:00:00:00:80", "00:00:00:00:00:80"));
	dp_port_set_filter(
		ports[4], FILTER_DIR_EGRESS,
		rules_filter(true, true, false, "02:00:00:00:00:00", "02:00:00:00:00:00"));
	dp_port_set_filter(
		ports[5], FILTER_DIR_EGRESS,
		rules_filter(false, true, true, "ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:ff"));
	if (dp_bridge_set_members(br, ids, NP) < 0)
		fuzz_fail("bridge members");
	ctx = dp_pmd_ctx_create(0, SOCKET_ID_ANY, pool);
	if (ctx == NULL)
		fuzz_fail("PMD context");
	ctx->now = 1000;
	dp_rcu_flush();
	return 0;
}

/* ---- one burst ---- */

struct in_frame {
	uint8_t bytes[MAX_LEN];
	uint32_t len;
	int vlan; /* VLAN it is classified into if accepted, -1 if never */
	bool delivered;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The frame without its 802.1Q tag (if any): where the tag ends, in *skip. */
static uint32_t untagged_len(const uint8_t *f, uint32_t len, uint32_t *skip)
{
	*skip = len >= 18 && be16(f + 12) == RTE_ETHER_TYPE_VLAN ? 4 : 0;
	return len - *skip;
}

NO_COVERAGE static bool same_untagged(const uint8_t *a, uint32_t alen, const uint8_t *b,
				      uint32_t blen)
{
	uint32_t sa, sb;

	if (alen < 14 || blen < 14 || untagged_len(a, alen, &sa) != untagged_len(b, blen, &sb))
		return false;
	return memcmp(a, b, 12) == 0 && memcmp(a + 12 + sa, b + 12 + sb, alen - 12 - sa) == 0;
}

/* The VLAN the ingress port puts a frame in, if it accepts it (-1: never). */
static int classify(const struct vlan_port *v, const uint8_t *f, uint32_t len)
{
	if (len < 14)
		return -1;
	if (be16(f + 12) == RTE_ETHER_TYPE_VLAN) {
		uint16_t vid = len >= 18 ? be16(f + 14) & 0xfff : 0;
		if (len < 18)
			return -1;
		if (v->tag)
			return vid == 0 ? v->tag : -1;
		return vlan_bit(v->trunks, vid) ? vid : -1;
	}
	if (v->tag)
		return v->tag;
	return vlan_bit(v->trunks, 0) ? 0 : -1;
}

/* Drops counted anywhere: frames arrive on rx queue 0 and leave from PMD
 * slot 0 (dp_port_totals sums every queue and slot: too slow per burst). */
NO_COVERAGE static uint64_t all_drops(void)
{
	uint64_t s = 0;

	for (int i = 0; i < NP; i++)
		for (int r = 0; r < DP_DROP_MAX; r++)
			s += ports[i]->rxq[0].drops[r] + ports[i]->tx[0].drops[r];
	return s;
}

NO_COVERAGE static int check_entry(const struct fdb_entry_info *e, void *arg)
{
	(void)arg;
	for (int i = 0; i < NP; i++)
		if (ports[i]->id == e->port && !vlan_port_carries(&confs[i].vlan, e->vlan))
			fuzz_fail("MAC table: VLAN %u learned on p%d, which does not carry it",
				  e->vlan, i);
	return 0;
}

static void check_out(int in, int o, struct rte_mbuf *m, struct in_frame *fr, unsigned int n)
{
	static uint8_t buf[MAX_LEN + 8];
	const struct vlan_port *ov = &confs[o].vlan, *iv = &confs[in].vlan;
	const char *why = NULL;
	const uint8_t *f;
	uint32_t len = m->pkt_len;
	int vlan;
	uint16_t inner;
	bool found = false;

	if (rte_mbuf_check(m, 1, &why) != 0)
		fuzz_fail("p%d -> p%d: malformed mbuf: %s", in, o, why);
	if (o == in)
		fuzz_fail("p%d: frame sent back out of its ingress port (hairpin)", in);
	if (len < 14 || len > sizeof(buf))
		fuzz_fail("p%d -> p%d: %u bytes out", in, o, len);
	f = rte_pktmbuf_read(m, 0, len, buf);
	if (be16(f + 12) == RTE_ETHER_TYPE_VLAN) {
		if (ov->tag)
			fuzz_fail("p%d -> p%d: a tagged frame out of an access port", in, o);
		if (len < 18)
			fuzz_fail("p%d -> p%d: a truncated tag", in, o);
		vlan = be16(f + 14) & 0xfff;
		if (vlan == 0)
			fuzz_fail("p%d -> p%d: VLAN 0 leaves a trunk tagged", in, o);
		inner = be16(f + 16);
	} else {
		vlan = ov->tag;
		inner = be16(f + 12);
	}
	if (fuzz_is_tpid(inner) && !(inner == 0x9300 && fuzz_tolerate("m4")))
		fuzz_fail("p%d -> p%d (VLAN %d): a stacked tag leaves: ethertype 0x%04x inside "
			  "(issue 13 M4)",
			  in, o, vlan, inner);
	if (!vlan_port_carries(ov, (uint16_t)vlan) || !vlan_port_carries(iv, (uint16_t)vlan))
		fuzz_fail("p%d -> p%d: VLAN %d is not carried by both ports", in, o, vlan);
	for (unsigned int j = 0; j < n; j++)
		if (fr[j].vlan == vlan && same_untagged(f, len, fr[j].bytes, fr[j].len)) {
			fr[j].delivered = true;
			found = true;
		}
	if (!found)
		fuzz_fail("p%d -> p%d: a frame in VLAN %d that no input frame of VLAN %d is", in, o,
			  vlan, vlan);
	if (in == 4 && !p4_ingress_allows(f))
		fuzz_fail("p4's ingress filter denies source %02x:..:%02x, but it was delivered",
			  f[6], f[11]);
	if (o == 4 && !p4_egress_allows(f))
		fuzz_fail("p4's egress filter denies destination %02x:..., but it got it", f[0]);
	if (o == 5 && !p5_egress_allows(f))
		fuzz_fail("p5's egress filter allows broadcast only, but it got %02x:...", f[0]);
}

static void run_burst(int in, struct in_frame *fr, const uint16_t *split, unsigned int n)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t drops_before = all_drops(), drops;
	unsigned int undelivered = 0;

	for (unsigned int j = 0; j < n; j++) {
		uint32_t len = fr[j].len, first = split[j] && split[j] < len ? split[j] : len;
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *m2;
		char *p;

		if (m == NULL || (p = rte_pktmbuf_append(m, (uint16_t)first)) == NULL)
			fuzz_fail("no mbuf");
		memcpy(p, fr[j].bytes, first);
		if (first < len) {
			m2 = rte_pktmbuf_alloc(pool);
			if (m2 == NULL ||
			    (p = rte_pktmbuf_append(m2, (uint16_t)(len - first))) == NULL)
				fuzz_fail("no mbuf");
			memcpy(p, fr[j].bytes + first, len - first);
			if (rte_pktmbuf_chain(m, m2) < 0)
				fuzz_fail("chain");
		}
		pkts[j] = m;
		fr[j].vlan = classify(&confs[in].vlan, fr[j].bytes, len);
		fr[j].delivered = false;
	}
	dp_process_burst(ctx, ports[in], 0, pkts, (uint16_t)n);
	fdb_learn_drain(br->fdb, ctx->now);

	for (int o = 0; o < NP; o++) {
		if (caps[o].n > n)
			fuzz_fail("p%d -> p%d: %u frames out of a burst of %u", in, o, caps[o].n,
				  n);
		for (unsigned int k = 0; k < caps[o].n; k++)
			check_out(in, o, caps[o].pkts[k], fr, n);
		rte_pktmbuf_free_bulk(caps[o].pkts, caps[o].n);
		caps[o].n = 0;
	}
	for (unsigned int j = 0; j < n; j++)
		undelivered += !fr[j].delivered;
	drops = all_drops() - drops_before;
	if (drops < undelivered)
		fuzz_fail("p%d: %u of %u frames reached no port, but only %lu drops were counted",
			  in, undelivered, n, (unsigned long)drops);
	if (rte_mempool_in_use_count(pool) != 0)
		fuzz_fail("p%d: %u mbufs still in use after the burst (leak or double free)", in,
			  rte_mempool_in_use_count(pool));
	/* a source p4's filter denies is never learned */
	for (unsigned int j = 0; in == 4 && j < n; j++)
		if (fr[j].len >= 14 && !p4_ingress_allows(fr[j].bytes) && fr[j].vlan >= 0 &&
		    fdb_lookup(br->fdb, (const struct rte_ether_addr *)(fr[j].bytes + 6),
			       (uint16_t)fr[j].vlan) == ports[4]->id)
			fuzz_fail("p4: a source its ingress filter denies was learned");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct in_frame fr[DP_BURST];
	uint16_t split[DP_BURST];
	size_t off = 0;

	fdb_learn_drain(br->fdb, ctx->now);
	fdb_flush(br->fdb);
	while (off + 2 <= size) {
		int in = data[off] % NP;
		unsigned int n = 1 + data[off + 1] % DP_BURST, j;

		off += 2;
		for (j = 0; j < n && off + 3 <= size; j++) {
			uint32_t len = be16(data + off) % MAX_LEN;

			split[j] = data[off + 2];
			off += 3;
			if (len > size - off)
				len = (uint32_t)(size - off);
			memcpy(fr[j].bytes, data + off, len);
			fr[j].len = len;
			off += len;
		}
		if (j == 0)
			break;
		run_burst(in, fr, split, j);
	}
	/* once per input: a walk visits the whole table */
	fdb_walk(br->fdb, ctx->now, check_entry, NULL);
	return 0;
}
