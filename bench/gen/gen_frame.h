/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-bench-gen's frames: the MAC scheme and the payload every loop writes and reads, inline
 * because the loops call these once per frame.
 *
 * MACs: flow f (0 <= f < --macs) is 02:00:0a:XX:XX:XX on side A and 02:00:0b:XX:XX:XX on side
 * B, XX the 24 bits of f. A frame of flow f from A is src A[f] dst B[f]; from B the reverse.
 * All are locally administered unicast, so a switch that learned them never floods them.
 *
 * Included by gen.h (it reads gen_opt). Payload (struct gen_payload) right after the Ethernet
 * header, ethertype 0x88b5, then padding to --size minus the 4-byte FCS that virtio does not carry
 * (--size 64: 60 bytes handed to the driver). Frames only ever write their first GEN_HDR_LEN bytes,
 * so a 1518-byte frame costs what a 64-byte one does: the padding is what the buffer held, zeros
 * from the pool's creation or an earlier frame received into it (ours, in practice).
 */

#ifndef KVS_BENCH_GEN_FRAME_H
#define KVS_BENCH_GEN_FRAME_H

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#define GEN_ETHERTYPE    0x88b5      /* IEEE local experimental */
#define GEN_MAGIC        0x6b767362u /* 'kvsb' */
#define GEN_FCS          4u          /* --size counts it, virtio has none */
#define GEN_STREAM_LEARN 0xffffu

enum gen_side { GEN_A = 0, GEN_B = 1 };

/* After the Ethernet header, big endian. stream = side << 8 | tx queue. */
struct gen_payload {
	rte_be32_t magic;
	rte_be16_t stream;
	rte_be16_t flags;
	rte_be64_t seq;
	rte_be64_t tsc;
} __rte_packed;

#define GEN_HDR_LEN (RTE_ETHER_HDR_LEN + sizeof(struct gen_payload))

static inline uint32_t gen_frame_len(void)
{
	return gen_opt.size - GEN_FCS;
}

static inline void gen_mac(struct rte_ether_addr *mac, enum gen_side side, uint32_t flow)
{
	uint8_t *b = mac->addr_bytes;

	b[0] = 0x02;
	b[1] = 0x00;
	b[2] = side == GEN_A ? 0x0a : 0x0b;
	b[3] = (uint8_t)(flow >> 16);
	b[4] = (uint8_t)(flow >> 8);
	b[5] = (uint8_t)flow;
}

static inline void gen_frame_readdress(struct rte_mbuf *m, enum gen_side from, uint32_t flow)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	gen_mac(&eth->src_addr, from, flow);
	gen_mac(&eth->dst_addr, from == GEN_A ? GEN_B : GEN_A, flow);
}

/* m comes fresh from the pool (reset, empty). */
static inline void gen_frame_build(struct rte_mbuf *m, enum gen_side from, uint32_t flow,
				   uint16_t stream, uint64_t seq)
{
	uint32_t len = gen_frame_len();
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct gen_payload *pl = (struct gen_payload *)(eth + 1);

	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	gen_frame_readdress(m, from, flow);
	eth->ether_type = rte_cpu_to_be_16(GEN_ETHERTYPE);
	pl->magic = rte_cpu_to_be_32(GEN_MAGIC);
	pl->stream = rte_cpu_to_be_16(stream);
	pl->flags = 0;
	pl->seq = rte_cpu_to_be_64(seq);
	pl->tsc = 0;
}

static inline void gen_frame_set_tsc(struct rte_mbuf *m, uint64_t tsc)
{
	struct gen_payload *pl =
		rte_pktmbuf_mtod_offset(m, struct gen_payload *, RTE_ETHER_HDR_LEN);

	pl->tsc = rte_cpu_to_be_64(tsc);
}

/* Our payload if m is one of our frames, else NULL; *malformed set for runts. */
static inline struct gen_payload *gen_frame_parse(struct rte_mbuf *m, bool *malformed)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct gen_payload *pl = (struct gen_payload *)(eth + 1);

	*malformed = false;
	if (m->data_len < GEN_HDR_LEN) {
		/* a runt of ours, or anybody's short frame: either way not measurable */
		*malformed = true;
		return NULL;
	}
	if (eth->ether_type != rte_cpu_to_be_16(GEN_ETHERTYPE) ||
	    pl->magic != rte_cpu_to_be_32(GEN_MAGIC))
		return NULL;
	return pl;
}

#endif
