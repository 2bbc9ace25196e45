/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offload metadata and its software completion (offload.h).  PMD threads,
 * except dp_offload_init (control thread).
 *
 * Costs: nothing here runs for a frame without offload flags; drivers test
 * the flags of a whole burst with one OR per frame.  A 64 KB TCP/IPv4 frame
 * segmented by librte_gso costs one header copy per segment (the payload is
 * referenced, not copied); TCP/IPv6 segments are copies (librte_gso of DPDK
 * 22.11 has no IPv6).  A software checksum reads the L4 bytes once.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dataplane/offload.h"
#include "dataplane/port.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static struct rte_mempool *indirect_pool; /* written once by the control thread */

int dp_offload_init(void)
{
	struct rte_mempool *mp;

	if (__atomic_load_n(&indirect_pool, __ATOMIC_ACQUIRE) != NULL)
		return 0;
	/* indirect mbufs carry no data: 2 x 128 segments per PMD in flight is
	 * far below this */
	mp = rte_pktmbuf_pool_create("kvs_gso_indirect", 16383, 256, 0, 0, SOCKET_ID_ANY);
	if (mp == NULL)
		return -rte_errno;
	__atomic_store_n(&indirect_pool, mp, __ATOMIC_RELEASE);
	return 0;
}

/* L2 and L3 lengths and the L4 protocol of m's headers, which must lie in
 * its first segment.  -1: not IPv4/IPv6, an IPv4 fragment, IPv6 extension
 * headers, or cut short. */
static int parse_l3(const struct rte_mbuf *m, uint16_t *l2, uint16_t *l3, bool *v4)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t len = rte_pktmbuf_data_len(m), et;

	if (len < RTE_ETHER_HDR_LEN)
		return -1;
	et = rte_be_to_cpu_16(((const struct rte_ether_hdr *)p)->ether_type);
	*l2 = RTE_ETHER_HDR_LEN;
	if (et == RTE_ETHER_TYPE_VLAN) {
		if (len < RTE_ETHER_HDR_LEN + sizeof(struct rte_vlan_hdr))
			return -1;
		et = rte_be_to_cpu_16(((const struct rte_vlan_hdr *)(p + *l2))->eth_proto);
		*l2 += sizeof(struct rte_vlan_hdr);
	}
	if (et == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + *l2);

		if (len < *l2 + sizeof(*ip) || (ip->version_ihl >> 4) != 4)
			return -1;
		*l3 = (uint16_t)((ip->version_ihl & 0xf) * 4);
		if (*l3 < sizeof(*ip) || len < *l2 + *l3 ||
		    (rte_be_to_cpu_16(ip->fragment_offset) & 0x3fff) != 0)
			return -1;
		*v4 = true;
		return ip->next_proto_id;
	}
	if (et == RTE_ETHER_TYPE_IPV6) {
		const struct rte_ipv6_hdr *ip = (const void *)(p + *l2);

		if (len < *l2 + sizeof(*ip))
			return -1;
		*l3 = sizeof(*ip);
		*v4 = false;
		return ip->proto;
	}
	return -1;
}

/* TCP header length at off, if it lies whole in the first segment; 0 if not. */
static uint16_t tcp_len(const struct rte_mbuf *m, uint32_t off)
{
	const struct rte_tcp_hdr *th;
	uint16_t l4;

	if (rte_pktmbuf_data_len(m) < off + sizeof(*th))
		return 0;
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, off);
	l4 = (uint16_t)((th->data_off >> 4) * 4);
	if (l4 < sizeof(*th) || rte_pktmbuf_data_len(m) < off + l4)
		return 0;
	return l4;
}

bool dp_offload_rx_prep(struct rte_mbuf *m)
{
	uint64_t f = m->ol_flags, tx;
	uint16_t l2, l3, l4;
	bool v4;
	int proto = parse_l3(m, &l2, &l3, &v4);

	if (proto < 0)
		return false;
	tx = v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6;
	if (f & RTE_MBUF_F_RX_LRO) {
		uint32_t payload;

		if (proto != IPPROTO_TCP || m->tso_segsz == 0)
			return false;
		l4 = tcp_len(m, l2 + l3);
		if (l4 == 0 || m->pkt_len < (uint32_t)(l2 + l3 + l4))
			return false;
		payload = m->pkt_len - l2 - l3 - l4;
		if (payload > (uint32_t)m->tso_segsz * DP_OFL_MAX_SEGS ||
		    (v4 && m->pkt_len - l2 > UINT16_MAX))
			return false;
		tx |= RTE_MBUF_F_TX_TCP_CKSUM;
		/* each segment gets its own IPv4 header, so its own checksum */
		if (v4)
			tx |= RTE_MBUF_F_TX_IP_CKSUM;
		/* a GSO frame of one segment's payload is a plain frame */
		if (payload > m->tso_segsz)
			tx |= RTE_MBUF_F_TX_TCP_SEG;
	} else if ((f & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE) {
		/* librte_vhost vouched that csum_start is within the headers
		 * it parsed, so the checksum field is L4's own */
		if (proto == IPPROTO_TCP) {
			l4 = tcp_len(m, l2 + l3);
			if (l4 == 0)
				return false;
			tx |= RTE_MBUF_F_TX_TCP_CKSUM;
		} else if (proto == IPPROTO_UDP) {
			l4 = sizeof(struct rte_udp_hdr);
			if (rte_pktmbuf_data_len(m) < l2 + l3 + l4)
				return false;
			tx |= RTE_MBUF_F_TX_UDP_CKSUM;
		} else {
			return false; /* SCTP's CRC is not a sum */
		}
	} else {
		m->ol_flags = 0;
		return true;
	}
	m->ol_flags = tx;
	m->l2_len = l2;
	m->l3_len = l3;
	m->l4_len = l4;
	return true;
}

/* Complete in software what the output cannot do; m's headers must be
 * writable (first segment direct and ours alone). */
static void csum_finish(struct rte_mbuf *m, uint32_t caps)
{
	uint64_t f = m->ol_flags;
	void *l3 = rte_pktmbuf_mtod_offset(m, void *, m->l2_len);
	uint32_t l4_off = m->l2_len + m->l3_len;

	if (!(caps & DP_OFL_CSUM) && (f & RTE_MBUF_F_TX_L4_MASK)) {
		uint16_t zero = 0, sum;
		uint32_t at = l4_off + ((f & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM
						? offsetof(struct rte_tcp_hdr, cksum)
						: offsetof(struct rte_udp_hdr, dgram_cksum));
		void *field = rte_pktmbuf_mtod_offset(m, void *, at);

		memcpy(field, &zero, sizeof(zero));
		/* both return 0xffff for a sum of 0 (UDP's "no checksum") */
		sum = (f & RTE_MBUF_F_TX_IPV4) ? rte_ipv4_udptcp_cksum_mbuf(m, l3, l4_off)
					       : rte_ipv6_udptcp_cksum_mbuf(m, l3, l4_off);
		memcpy(field, &sum, sizeof(sum));
		f &= ~RTE_MBUF_F_TX_L4_MASK;
	}
	if (!(caps & DP_OFL_IPCSUM) && (f & RTE_MBUF_F_TX_IP_CKSUM)) {
		struct rte_ipv4_hdr *ip = l3;

		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		f &= ~RTE_MBUF_F_TX_IP_CKSUM;
	}
	m->ol_flags = f;
}

/* Append len bytes of src from off to head's chain, adding mbufs from
 * head's pool as they fill. */
static int copy_in(struct rte_mbuf *head, const struct rte_mbuf *src, uint32_t off, uint32_t len)
{
	struct rte_mbuf *tail = rte_pktmbuf_lastseg(head);

	while (len > 0) {
		uint16_t room = rte_pktmbuf_tailroom(tail);
		uint32_t k;
		char *dst;
		const void *s;

		if (room == 0) {
			struct rte_mbuf *t = rte_pktmbuf_alloc(head->pool);

			if (t == NULL)
				return -ENOMEM;
			tail->next = t;
			tail = t;
			head->nb_segs++;
			room = rte_pktmbuf_tailroom(tail);
		}
		k = RTE_MIN((uint32_t)room, len);
		dst = rte_pktmbuf_mtod_offset(tail, char *, tail->data_len);
		s = rte_pktmbuf_read(src, off, k, dst);
		if (s != dst)
			memcpy(dst, s, k);
		tail->data_len = (uint16_t)(tail->data_len + k);
		head->pkt_len += k;
		off += k;
		len -= k;
	}
	return 0;
}

/* TCP/IPv6 segmentation by copy (librte_gso of 22.11 has none). */
static int segment_copy6(struct rte_mbuf *m, struct rte_mbuf **out)
{
	uint32_t hdr = m->l2_len + m->l3_len + m->l4_len, mss = m->tso_segsz;
	uint32_t payload = m->pkt_len - hdr, off, seq0;
	const struct rte_tcp_hdr *th0 =
		rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, m->l2_len + m->l3_len);
	int n = 0, i;

	seq0 = rte_be_to_cpu_32(th0->sent_seq);
	for (off = 0; off < payload; off += mss) {
		uint32_t len = RTE_MIN(mss, payload - off);
		struct rte_mbuf *s = rte_pktmbuf_alloc(m->pool);
		struct rte_ipv6_hdr *ip;
		struct rte_tcp_hdr *th;

		if (s == NULL || rte_pktmbuf_append(s, (uint16_t)hdr) == NULL) {
			rte_pktmbuf_free(s);
			goto fail;
		}
		out[n++] = s;
		memcpy(rte_pktmbuf_mtod(s, void *), rte_pktmbuf_mtod(m, void *), hdr);
		if (copy_in(s, m, hdr + off, len) < 0)
			goto fail;
		ip = rte_pktmbuf_mtod_offset(s, struct rte_ipv6_hdr *, m->l2_len);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(m->l4_len + len));
		th = rte_pktmbuf_mtod_offset(s, struct rte_tcp_hdr *, m->l2_len + m->l3_len);
		th->sent_seq = rte_cpu_to_be_32(seq0 + off);
		if (off + len < payload)
			th->tcp_flags &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		s->ol_flags = m->ol_flags & ~RTE_MBUF_F_TX_TCP_SEG;
		s->tx_offload = m->tx_offload;
		s->packet_type = m->packet_type;
	}
	return n;
fail:
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(out[i]);
	return -ENOMEM;
}

/* TCP/IPv4 segmentation with librte_gso: headers copied, payload referenced. */
static int segment_gso4(struct rte_mbuf *m, struct rte_mbuf **out)
{
	struct rte_gso_ctx ctx = {
		.direct_pool = m->pool,
		.indirect_pool = __atomic_load_n(&indirect_pool, __ATOMIC_ACQUIRE),
		.flag = 0, /* incremental IP ids, as a kernel would */
		.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO,
		.gso_size = (uint16_t)(m->l2_len + m->l3_len + m->l4_len + m->tso_segsz),
	};
	uint64_t flags = m->ol_flags;
	int n;

	if (ctx.indirect_pool == NULL)
		return -ENOMEM;
	n = rte_gso_segment(m, &ctx, out, DP_OFL_MAX_SEGS);
	/* it clears TX_TCP_SEG on its input, which other ports of a flood
	 * still read */
	m->ol_flags = flags;
	return n;
}

/* m's headers are ours to write, or a copy of m that is (NULL: none). */
static struct rte_mbuf *writable(struct rte_mbuf *m)
{
	struct rte_mbuf *c;

	if (rte_mbuf_refcnt_read(m) == 1 && RTE_MBUF_DIRECT(m))
		return m;
	c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
	rte_pktmbuf_free(m);
	return c;
}

static uint16_t l2_of(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	return eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)
		       ? RTE_ETHER_HDR_LEN + sizeof(struct rte_vlan_hdr)
		       : RTE_ETHER_HDR_LEN;
}

uint16_t dp_offload_fit(struct rte_mbuf *m, uint32_t caps, struct rte_mbuf **out, enum dp_drop *why)
{
	uint64_t f = m->ol_flags;
	uint16_t l2 = l2_of(m);
	int n, i;

	/* a tag pushed or popped on the way moved L3 by 4 bytes */
	if (m->l2_len != l2)
		m->l2_len = l2;
	if (f & RTE_MBUF_F_TX_TCP_SEG) {
		bool v4 = f & RTE_MBUF_F_TX_IPV4;

		if ((caps & (v4 ? DP_OFL_TSO4 : DP_OFL_TSO6)) &&
		    (!(caps & DP_OFL_TSO_WRITES) || rte_mbuf_refcnt_read(m) == 1)) {
			out[0] = m;
			return 1;
		}
		n = v4 ? segment_gso4(m, out) : segment_copy6(m, out);
		if (n < 0) {
			rte_pktmbuf_free(m);
			*why = DP_DROP_CLONE_FAILED;
			return 0;
		}
		if (n > 0) {
			rte_pktmbuf_free(m); /* the segments hold what they need */
			for (i = 0; i < n; i++) {
				struct rte_tcp_hdr *th =
					rte_pktmbuf_mtod_offset(out[i], struct rte_tcp_hdr *,
								out[i]->l2_len + out[i]->l3_len);

				/* ECN: only the first segment says the window was cut */
				if (i > 0)
					th->tcp_flags &= (uint8_t)~TCP_CWR;
				csum_finish(out[i], caps);
			}
			return (uint16_t)n;
		}
		/* short enough to need no segmenting: a plain frame */
		m = writable(m);
		if (m == NULL)
			goto no_mbuf;
		m->ol_flags &= ~RTE_MBUF_F_TX_TCP_SEG;
		f = m->ol_flags;
	}
	if (((f & RTE_MBUF_F_TX_L4_MASK) && !(caps & DP_OFL_CSUM)) ||
	    ((f & RTE_MBUF_F_TX_IP_CKSUM) && !(caps & DP_OFL_IPCSUM))) {
		m = writable(m);
		if (m == NULL)
			goto no_mbuf;
		csum_finish(m, caps);
	}
	out[0] = m;
	return 1;
no_mbuf:
	*why = DP_DROP_CLONE_FAILED;
	return 0;
}

uint16_t dp_offload_fit_burst(struct dp_port *p, unsigned int pmd, uint32_t caps,
			      struct rte_mbuf **in, uint16_t n, struct rte_mbuf **out,
			      uint16_t *used)
{
	uint16_t i, k = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = in[i];
		enum dp_drop why = DP_DROP_MAX;
		uint16_t got;

		if (!(m->ol_flags & DP_OFL_TX_WORK)) {
			if (k == DP_OFL_OUT_ROOM)
				break;
			out[k++] = m;
			continue;
		}
		if (k + DP_OFL_MAX_SEGS > DP_OFL_OUT_ROOM)
			break;
		got = dp_offload_fit(m, caps, out + k, &why);
		if (got == 0)
			p->tx[pmd].drops[why]++;
		k += got;
	}
	*used = i;
	return k;
}

uint16_t dp_offload_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n,
		       dp_offload_send_fn send)
{
	struct rte_mbuf *out[DP_OFL_OUT_ROOM];
	uint32_t caps = __atomic_load_n(&p->ol_caps, __ATOMIC_ACQUIRE);
	uint16_t done = 0, used, k, sent = 0;

	while (done < n) {
		k = dp_offload_fit_burst(p, pmd, caps, pkts + done, n - done, out, &used);
		done += used;
		if (k > 0)
			sent += send(p, pmd, out, k, true);
	}
	return sent;
}

void dp_offload_caps_text(uint32_t caps, char *buf, size_t len)
{
	static const char *const names[] = {"csum", "tso4", "tso6", "ipcsum"};
	size_t off = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < RTE_DIM(names) && off < len; i++)
		if (caps & (1u << i))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						names[i]);
}
