/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-bench-gen's frames: the flow scheme, the two shapes and the payload every loop writes and
 * reads, inline because the loops call these once per frame.
 *
 * Flows: --flows 5-tuples per direction spread over --macs MAC pairs. Flow t (0 <= t < flows)
 * uses MAC pair p = t % macs and connection k = t / macs. MAC pair p is 02:00:0a:XX:XX:XX on
 * side A and 02:00:0b:XX:XX:XX on side B, XX the 24 bits of p; a frame of flow t from A is src
 * A[p] dst B[p], from B the reverse. All are locally administered unicast, so a switch that
 * learned them never floods them. Each side walks the flows in turn (struct gen_flow, no
 * division per frame).
 *
 * Shapes (--shape):
 *  - udp (default): Ethernet + IPv4 (20 bytes, DF, TTL 64, correct header checksum) + UDP
 *    (checksum 0, which IPv4 allows) + struct gen_payload_udp. Side A's address of pair p is
 *    10.XX.XX.XX, side B's 11.XX.XX.XX; connection k is UDP ports 1024 + k % 64512 (A's) and
 *    1024 + k / 64512 (B's); B->A frames carry the reverse 5-tuple of A->B. So every flow is a
 *    distinct 5-tuple, as guests send, and a switch that hashes the 5-tuple (OVS-DPDK on a
 *    vhost port) sees --flows different hashes per direction.
 *  - raw: Ethernet, ethertype 0x88b5, struct gen_payload: no IP header, so every flow hashes
 *    alike in a 5-tuple hash (what kvsbench measured until 2026-12-03).
 * Then padding to --size minus the 4-byte FCS that virtio does not carry (--size 64: 60 bytes
 * handed to the driver, which the udp shape fills exactly). Frames only ever write their
 * headers, so a 1518-byte frame costs what a 64-byte one does: the padding is what the buffer
 * held, zeros from the pool's creation or an earlier frame received into it (ours, in practice).
 *
 * Included by gen.h (it reads gen_opt).
 */

#ifndef KVS_BENCH_GEN_FRAME_H
#define KVS_BENCH_GEN_FRAME_H

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#define GEN_ETHERTYPE    0x88b5      /* IEEE local experimental */
#define GEN_MAGIC        0x6b767362u /* 'kvsb' */
#define GEN_FCS          4u          /* --size counts it, virtio has none */
#define GEN_STREAM_LEARN 0xffffu
#define GEN_PORT_BASE    1024u
#define GEN_PORT_SPAN    64512u      /* 1024..65535 */
#define GEN_IP_A         0x0a000000u /* 10.0.0.0/8 | pair */
#define GEN_IP_B         0x0b000000u /* 11.0.0.0/8 | pair */

enum gen_side { GEN_A = 0, GEN_B = 1 };

/* raw shape: after the Ethernet header, big endian. stream = side << 8 | tx queue. */
struct gen_payload {
	rte_be32_t magic;
	rte_be16_t stream;
	rte_be16_t flags;
	rte_be64_t seq;
	rte_be64_t tsc;
} __rte_packed;

/* udp shape: after the UDP header; 18 bytes, so a 64-byte frame holds it. A 32-bit sequence
 * wraps after 4 G frames per stream: minutes at 10 Mpps, longer than any trial. */
struct gen_payload_udp {
	rte_be32_t magic;
	rte_be16_t stream;
	rte_be32_t seq;
	rte_be64_t tsc;
} __rte_packed;

#define GEN_L3_OFF  RTE_ETHER_HDR_LEN
#define GEN_L4_OFF  (GEN_L3_OFF + sizeof(struct rte_ipv4_hdr))
#define GEN_UDP_PL  (GEN_L4_OFF + sizeof(struct rte_udp_hdr))
#define GEN_HDR_RAW (RTE_ETHER_HDR_LEN + sizeof(struct gen_payload))
#define GEN_HDR_UDP (GEN_UDP_PL + sizeof(struct gen_payload_udp))
#define GEN_HDR_LEN GEN_HDR_UDP /* the longer of the two: what --size must hold */

/* What a frame of ours carries, decoded. */
struct gen_meta {
	uint16_t stream;
	uint64_t seq, tsc;
};

/* A side's position in the flow sequence: t = p + k * macs. */
struct gen_flow {
	uint32_t t, p, k;
};

static inline void gen_flow_next(struct gen_flow *f)
{
	if (++f->t == gen_opt.flows) {
		f->t = f->p = f->k = 0;
		return;
	}
	if (++f->p == gen_opt.macs) {
		f->p = 0;
		f->k++;
	}
}

static inline uint32_t gen_frame_len(void)
{
	return gen_opt.size - GEN_FCS;
}

static inline void gen_mac(struct rte_ether_addr *mac, enum gen_side side, uint32_t pair)
{
	uint8_t *b = mac->addr_bytes;

	b[0] = 0x02;
	b[1] = 0x00;
	b[2] = side == GEN_A ? 0x0a : 0x0b;
	b[3] = (uint8_t)(pair >> 16);
	b[4] = (uint8_t)(pair >> 8);
	b[5] = (uint8_t)pair;
}

/* The UDP port of side s for connection k (A's is the one that varies fastest). */
static inline uint16_t gen_udp_port(enum gen_side s, uint32_t k)
{
	return (uint16_t)(GEN_PORT_BASE + (s == GEN_A ? k % GEN_PORT_SPAN : k / GEN_PORT_SPAN));
}

/* The IPv4 header checksum of a frame gen_frame_build() made, from its two addresses alone.
 * Every other field is the same in all our frames, so nothing is read back from the frame:
 * rte_ipv4_cksum() loaded the header it had just written, and with the line still owned by
 * the switch's core (which copied the previous frame into this buffer) that one load stalled
 * the open loop's transmit for a cross-core miss per frame, 20% of the generator's time with
 * the core pair far (perf, 2026-12-05). gen_main.c checks it against rte_ipv4_cksum() once
 * at start. The header's fields are written in gen_frame_readdress(), next to it. */
static inline rte_be16_t gen_ipv4_cksum(uint32_t src, uint32_t dst)
{
	uint32_t sum = (uint32_t)RTE_IPV4_VHL_DEF << 8; /* tos 0 */

	sum += (uint16_t)(gen_frame_len() - GEN_L3_OFF); /* total length; id 0 */
	sum += RTE_IPV4_HDR_DF_FLAG + (64u << 8 | IPPROTO_UDP);
	sum += (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return rte_cpu_to_be_16((uint16_t)~sum);
}

/* Sets addresses (and for udp the whole IPv4 header and the ports) of flow (p, k) from side
 * `from`; the rest of the frame is left as built. Writes only: see gen_ipv4_cksum(). Every
 * field the checksum covers is written here, so it is right by construction even when the
 * closed loop readdresses a frame a switch changed (a TTL, say). */
static inline void gen_frame_readdress(struct rte_mbuf *m, enum gen_side from, uint32_t p,
				       uint32_t k)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	enum gen_side to = from == GEN_A ? GEN_B : GEN_A;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint32_t src, dst;

	gen_mac(&eth->src_addr, from, p);
	gen_mac(&eth->dst_addr, to, p);
	if (gen_opt.shape != GEN_SHAPE_UDP)
		return;
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	udp = (struct rte_udp_hdr *)(ip + 1);
	src = (from == GEN_A ? GEN_IP_A : GEN_IP_B) | p;
	dst = (to == GEN_A ? GEN_IP_A : GEN_IP_B) | p;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(gen_frame_len() - GEN_L3_OFF));
	ip->packet_id = 0;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = gen_ipv4_cksum(src, dst);
	udp->src_port = rte_cpu_to_be_16(gen_udp_port(from, k));
	udp->dst_port = rte_cpu_to_be_16(gen_udp_port(to, k));
}

static inline void *gen_frame_payload(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(
		m, void *, gen_opt.shape == GEN_SHAPE_UDP ? GEN_UDP_PL : RTE_ETHER_HDR_LEN);
}

/* Writes stream and TSC of a frame of ours (built by gen_frame_build). */
static inline void gen_frame_stamp(struct rte_mbuf *m, uint16_t stream, uint64_t tsc)
{
	if (gen_opt.shape == GEN_SHAPE_UDP) {
		struct gen_payload_udp *pl = gen_frame_payload(m);

		pl->stream = rte_cpu_to_be_16(stream);
		pl->tsc = rte_cpu_to_be_64(tsc);
	} else {
		struct gen_payload *pl = gen_frame_payload(m);

		pl->stream = rte_cpu_to_be_16(stream);
		pl->tsc = rte_cpu_to_be_64(tsc);
	}
}

static inline void gen_frame_set_tsc(struct rte_mbuf *m, uint64_t tsc)
{
	if (gen_opt.shape == GEN_SHAPE_UDP)
		((struct gen_payload_udp *)gen_frame_payload(m))->tsc = rte_cpu_to_be_64(tsc);
	else
		((struct gen_payload *)gen_frame_payload(m))->tsc = rte_cpu_to_be_64(tsc);
}

/* m comes fresh from the pool (reset, empty). TSC 0: the caller stamps it before tx. */
static inline void gen_frame_build(struct rte_mbuf *m, enum gen_side from, uint32_t p, uint32_t k,
				   uint16_t stream, uint64_t seq)
{
	uint32_t len = gen_frame_len();
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	if (gen_opt.shape == GEN_SHAPE_UDP) {
		struct rte_udp_hdr *udp =
			rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, GEN_L4_OFF);
		struct gen_payload_udp *pl = (struct gen_payload_udp *)(udp + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		/* the IPv4 header: gen_frame_readdress() */
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - GEN_L4_OFF));
		udp->dgram_cksum = 0;
		pl->magic = rte_cpu_to_be_32(GEN_MAGIC);
		pl->stream = rte_cpu_to_be_16(stream);
		pl->seq = rte_cpu_to_be_32((uint32_t)seq);
		pl->tsc = 0;
	} else {
		struct gen_payload *pl = (struct gen_payload *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(GEN_ETHERTYPE);
		pl->magic = rte_cpu_to_be_32(GEN_MAGIC);
		pl->stream = rte_cpu_to_be_16(stream);
		pl->flags = 0;
		pl->seq = rte_cpu_to_be_64(seq);
		pl->tsc = 0;
	}
	gen_frame_readdress(m, from, p, k); /* last: the udp checksum covers the whole header */
}

/* Prefetches for writing the lines of n frames that the switch's core wrote last (buffers it
 * copied received frames into), all at once so the misses overlap instead of stalling one
 * frame at a time: the data line, and the line below it, where the virtio driver pushes its
 * header into the headroom. The open loop's transmit and the closed loop's forward call it. */
static inline void gen_frames_prefetch_write(struct rte_mbuf **m, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		char *d = rte_pktmbuf_mtod(m[i], char *);

		rte_prefetch0_write(d);
		rte_prefetch0_write(d - 1);
	}
}

/* true and *md filled if m is one of our frames; *malformed set for runts. */
static inline bool gen_frame_parse(struct rte_mbuf *m, struct gen_meta *md, bool *malformed)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	*malformed = false;
	if (gen_opt.shape == GEN_SHAPE_UDP) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
		struct gen_payload_udp *pl =
			rte_pktmbuf_mtod_offset(m, struct gen_payload_udp *, GEN_UDP_PL);

		if (m->data_len < GEN_HDR_UDP) {
			/* a runt of ours, or anybody's short frame: either way not measurable */
			*malformed = true;
			return false;
		}
		if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
		    ip->next_proto_id != IPPROTO_UDP || pl->magic != rte_cpu_to_be_32(GEN_MAGIC))
			return false;
		md->stream = rte_be_to_cpu_16(pl->stream);
		md->seq = rte_be_to_cpu_32(pl->seq);
		md->tsc = rte_be_to_cpu_64(pl->tsc);
	} else {
		struct gen_payload *pl = (struct gen_payload *)(eth + 1);

		if (m->data_len < GEN_HDR_RAW) {
			*malformed = true;
			return false;
		}
		if (eth->ether_type != rte_cpu_to_be_16(GEN_ETHERTYPE) ||
		    pl->magic != rte_cpu_to_be_32(GEN_MAGIC))
			return false;
		md->stream = rte_be_to_cpu_16(pl->stream);
		md->seq = rte_be_to_cpu_64(pl->seq);
		md->tsc = rte_be_to_cpu_64(pl->tsc);
	}
	return true;
}

#endif
