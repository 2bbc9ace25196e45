/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_gro: receive-side merging (dataplane/gro.h) on a burst of wire frames,
 * then every frame cut back for a plain wire (dataplane/offload.h), on real
 * mbufs (EAL --no-huge --no-pci).
 *
 * Input: [frame count-1 (mod 32)] then per frame [control][length: 2 bytes,
 * mod 1600] and the frame's bytes.  Control bit 0: the harness completes the
 * frame's IPv4 header and TCP checksums where it parses as IPv4/TCP (random
 * bytes would almost never pass gro.c's checks otherwise); bit 1: the same
 * flow and next sequence number as the previous frame (so runs form).
 *
 * Invariants:
 * - at most as many frames come out as went in, each a well-formed mbuf, and
 *   their bytes plus the header bytes gro.c says it absorbed are the input's;
 * - cut back for a plain wire, the burst is exactly as many frames as went
 *   in, none longer than the longest input frame, with the same total bytes:
 *   a merged frame gives back the segments it was made of;
 * - every mbuf returns to the pool.
 */
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dataplane/gro.h"
#include "dataplane/offload.h"
#include "dataplane/port.h"
#include "tests/fuzz/fuzz.h"

#define MAX_LEN 1600

static struct rte_mempool *pool;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = {
		"fuzz_gro",       "--no-huge",           "-m", "256", "--no-pci", "--no-shconf",
		"--no-telemetry", "--log-level=*:error", NULL};

	(void)argc, (void)argv;
	if (rte_eal_init(8, eal) < 0)
		fuzz_fail("EAL init failed");
	pool = rte_pktmbuf_pool_create("fuzz_gro", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL || dp_offload_init() < 0)
		fuzz_fail("no mbuf pool or offload pool");
	return 0;
}

/* The IPv4 and TCP headers of f[0..len), or false. */
static bool headers(uint8_t *f, uint16_t len, struct rte_ipv4_hdr **ip, struct rte_tcp_hdr **tcp)
{
	const struct rte_ether_hdr *eh = (const void *)f;
	uint32_t l3, tot;

	if (len < 14 + 20 + 20 || eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return false;
	*ip = (void *)(f + 14);
	l3 = ((*ip)->version_ihl & 0xf) * 4u;
	tot = rte_be_to_cpu_16((*ip)->total_length);
	if (l3 < 20 || tot > len - 14u || tot < l3 + 20 || (*ip)->next_proto_id != IPPROTO_TCP)
		return false;
	*tcp = (void *)(f + 14 + l3);
	return (((*tcp)->data_off >> 4) * 4u) + l3 <= tot;
}

static void fix_checksums(uint8_t *f, uint16_t len)
{
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;

	if (!headers(f, len, &ip, &tcp))
		return;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	tcp->cksum = 0;
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
}

/* Copy the flow of prev into f and continue its sequence. */
static void follow(uint8_t *f, uint16_t len, uint8_t *prev, uint16_t plen)
{
	struct rte_ipv4_hdr *ip, *pip;
	struct rte_tcp_hdr *tcp, *ptcp;
	uint32_t pl;

	if (!headers(f, len, &ip, &tcp) || !headers(prev, plen, &pip, &ptcp))
		return;
	memcpy(f, prev, 12);
	ip->src_addr = pip->src_addr;
	ip->dst_addr = pip->dst_addr;
	tcp->src_port = ptcp->src_port;
	tcp->dst_port = ptcp->dst_port;
	pl = rte_be_to_cpu_16(pip->total_length) - (pip->version_ihl & 0xf) * 4u -
	     (ptcp->data_off >> 4) * 4u;
	tcp->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(ptcp->sent_seq) + pl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *pkts[DP_BURST], *out[DP_OFL_MAX_SEGS];
	uint8_t *prev = NULL;
	uint64_t in_bytes = 0, out_bytes = 0, cut_bytes = 0, absorbed;
	uint16_t n = 0, want, i, k, cut = 0, plen = 0, longest = 0;
	size_t off = 1;

	if (size < 1)
		return 0;
	want = (uint16_t)(data[0] % DP_BURST + 1);
	while (n < want && off + 3 <= size) {
		uint8_t ctl = data[off];
		uint16_t len = (uint16_t)((data[off + 1] | data[off + 2] << 8) % MAX_LEN);
		struct rte_mbuf *m;
		uint8_t *f;

		off += 3;
		if (len < RTE_ETHER_HDR_LEN)
			len = RTE_ETHER_HDR_LEN;
		m = rte_pktmbuf_alloc(pool);
		if (m == NULL)
			fuzz_fail("pool empty");
		f = (uint8_t *)rte_pktmbuf_append(m, len);
		memset(f, 0, len);
		memcpy(f, data + off, RTE_MIN((size_t)len, size - off));
		off += RTE_MIN((size_t)len, size - off);
		if ((ctl & 2) && prev != NULL)
			follow(f, len, prev, plen);
		if (ctl & 1)
			fix_checksums(f, len);
		prev = f, plen = len;
		in_bytes += len;
		longest = RTE_MAX(longest, len);
		pkts[n++] = m;
	}
	if (n == 0)
		return 0;

	k = dp_gro_burst(pkts, n, &absorbed);
	if (k > n)
		fuzz_fail("%u frames out of %u", k, n);
	for (i = 0; i < k; i++) {
		const char *why = NULL;

		if (rte_mbuf_check(pkts[i], 1, &why) != 0)
			fuzz_fail("frame %u malformed: %s", i, why);
		out_bytes += pkts[i]->pkt_len;
	}
	if (out_bytes + absorbed != in_bytes)
		fuzz_fail("bytes: %lu out + %lu absorbed != %lu in", (unsigned long)out_bytes,
			  (unsigned long)absorbed, (unsigned long)in_bytes);

	for (i = 0; i < k; i++) {
		enum dp_drop why = DP_DROP_MAX;
		uint16_t s, j;

		s = dp_offload_fit(pkts[i], 0, out, &why);
		if (s == 0)
			fuzz_fail("frame %u (%u bytes, flags %#lx) dropped cutting back: %s", i,
				  pkts[i]->pkt_len, (unsigned long)pkts[i]->ol_flags,
				  dp_drop_name(why));
		for (j = 0; j < s; j++) {
			if (out[j]->pkt_len > longest)
				fuzz_fail("a %u-byte segment from %u-byte frames", out[j]->pkt_len,
					  longest);
			cut_bytes += out[j]->pkt_len;
		}
		cut += s;
		rte_pktmbuf_free_bulk(out, s);
	}
	if (cut != n || cut_bytes != in_bytes)
		fuzz_fail("cut back: %u frames, %lu bytes from %u frames, %lu bytes", cut,
			  (unsigned long)cut_bytes, n, (unsigned long)in_bytes);
	if (rte_mempool_in_use_count(pool) != 0)
		fuzz_fail("%u mbufs leaked", rte_mempool_in_use_count(pool));
	return 0;
}
