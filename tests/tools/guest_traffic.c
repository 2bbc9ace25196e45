/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-guest's data path: it builds and paces the generated frames (send, stream, ping), accounts
 * every frame it receives and answers ARP and ICMP echo for --ip. It owns the counters, so it also
 * writes them into the stats answer. The command handlers of kvs_guest.c call it (see guest.h); it
 * never reads stdin nor answers a command by itself.
 *
 * Payload of generated frames, after the Ethernet (and optional 802.1Q) header, big endian:
 *   u32 magic 0x6b767367 ('kvsg'), u16 sender id, u16 stream id, u64 sequence (from 1), u64 tsc
 */

#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "guest.h"

#define MAX_MACS      64
#define STREAM_SLOTS  1024 /* power of two */
#define SEQ_WINDOW    1024 /* bits of history to tell duplicates from late frames */
#define LAST_FRAMES   16
#define IDLE_SLEEP_US 50
#define TX_TIMEOUT_MS 2000
#define MIN_FRAME     60u /* without FCS */
#define KVSG_MAGIC    0x6b767367u
#define PING_IDENT    0x6b76
#define PING_DATA     56

struct kvsg_payload {
	rte_be32_t magic;
	rte_be16_t sender, stream;
	rte_be64_t seq, tsc;
} __rte_packed;

struct stream_rx {
	bool used;
	uint16_t sender, stream;
	uint64_t count, max_seq, out_of_order, dup;
	uint64_t last_tsc, max_gap; /* arrivals: the longest silence between two (restart outage) */
	uint64_t seen[SEQ_WINDOW / 64];
};

struct mac_table {
	unsigned int used;
	uint64_t overflow;
	struct rte_ether_addr mac[MAX_MACS];
	uint64_t n[MAX_MACS];
};

struct frame_summary {
	struct rte_ether_addr src, dst;
	uint16_t vlan, ethertype, queue;
	uint32_t length;
};

struct stats {
	uint64_t rx_total, rx_bytes, rx_runts, rx_by_queue[MAX_QUEUES];
	uint64_t rx_by_vlan[RTE_ETHER_MAX_VLAN_ID + 1];
	struct mac_table by_src, by_dst;
	struct stream_rx streams[STREAM_SLOTS];
	uint64_t streams_overflow, last_n;
	struct frame_summary last[LAST_FRAMES];
	uint64_t tx_total, tx_bytes, tx_failed, tx_by_queue[MAX_QUEUES];
	uint64_t arp_replies_sent, icmp_replies_sent, icmp_echo_replies_received;
};

struct l2_info {
	struct rte_ether_hdr *eth;
	uint16_t vlan, ethertype;
	uint32_t off; /* start of L3 */
};

struct tx_job gen;
uint64_t last_rx_tsc;

static struct stats st;
static uint64_t tx_seq[UINT16_MAX + 1];

/* The ping in progress: the responder fills in what ping_run waits for. */
static struct {
	bool active, arp_ok, got;
	uint32_t target;
	uint16_t want_seq;
	uint64_t got_tsc; /* when the awaited reply was accounted */
	struct rte_ether_addr peer;
} ping;

static uint64_t rtt_tsc[UINT16_MAX + 1]; /* one per answered echo of the ping in progress */

/* ---- transmit ---- */

static uint16_t tx_burst_acct(uint16_t q, struct rte_mbuf **ms, uint16_t n)
{
	uint32_t len[BURST];
	uint16_t i, k;

	for (i = 0; i < n; i++)
		len[i] = ms[i]->pkt_len; /* sent mbufs are no longer ours to read */
	k = rte_eth_tx_burst(port_id, q, ms, n);
	st.tx_total += k;
	st.tx_by_queue[q] += k;
	for (i = 0; i < k; i++)
		st.tx_bytes += len[i];
	return k;
}

/* One control frame (reply, ARP or echo request): retries for up to retry_ms, never polls rx. */
static bool tx_one(uint16_t q, struct rte_mbuf *m, uint64_t retry_ms)
{
	uint64_t start = rte_rdtsc();

	while (tx_burst_acct(q, &m, 1) == 0) {
		if (rte_rdtsc() - start >= ms_to_tsc(retry_ms)) {
			rte_pktmbuf_free(m);
			st.tx_failed++;
			return false;
		}
	}
	return true;
}

static uint32_t write_l2(uint8_t *p, const struct frame_spec *fs)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);

	rte_ether_addr_copy(&fs->dst, &eth->dst_addr);
	rte_ether_addr_copy(&fs->src, &eth->src_addr);
	if (fs->vlan < 0) {
		eth->ether_type = rte_cpu_to_be_16(fs->ethertype);
		return sizeof(*eth);
	}
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
	vh->vlan_tci = rte_cpu_to_be_16((uint16_t)(fs->pcp << 13 | fs->vlan));
	vh->eth_proto = rte_cpu_to_be_16(fs->ethertype);
	return sizeof(*eth) + sizeof(*vh);
}

static void build_frame(struct rte_mbuf *m, const struct frame_spec *fs)
{
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, fs->size);
	struct kvsg_payload pl;
	uint32_t off, n;

	if (fs->raw != NULL) {
		memcpy(p, fs->raw, fs->size);
		return;
	}
	off = write_l2(p, fs);
	if (fs->srcs > 1) { /* a spray of source MACs: frame k of this sender, mod srcs */
		struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
		uint32_t low = (uint32_t)eth->src_addr.addr_bytes[3] << 16 |
			       (uint32_t)eth->src_addr.addr_bytes[4] << 8 |
			       eth->src_addr.addr_bytes[5];

		low += (uint32_t)(tx_seq[fs->stream] % fs->srcs);
		eth->src_addr.addr_bytes[3] = (uint8_t)(low >> 16);
		eth->src_addr.addr_bytes[4] = (uint8_t)(low >> 8);
		eth->src_addr.addr_bytes[5] = (uint8_t)low;
	}
	pl.magic = rte_cpu_to_be_32(KVSG_MAGIC);
	pl.sender = rte_cpu_to_be_16((uint16_t)opt.id);
	pl.stream = rte_cpu_to_be_16(fs->stream);
	pl.seq = rte_cpu_to_be_64(++tx_seq[fs->stream]);
	pl.tsc = rte_cpu_to_be_64(rte_rdtsc());
	n = RTE_MIN((uint32_t)sizeof(pl), fs->size - off);
	memcpy(p + off, &pl, n);
	memset(p + off + n, 0, fs->size - off - n);
}

void job_drop_pending(struct tx_job *j)
{
	rte_pktmbuf_free_bulk(j->pend + j->off, j->npend - j->off);
	j->failed += j->npend - j->off;
	st.tx_failed += j->npend - j->off;
	j->npend = j->off = 0;
}

/* queue=all: round robin over the tx queues, each getting an even share of a send's count. */
static uint16_t job_next_queue(struct tx_job *j, uint64_t *n)
{
	uint64_t share = 0;
	uint16_t q = 0, k;

	for (k = 0; k < nb_txq; k++) {
		q = (uint16_t)((j->rr + k) % nb_txq);
		share = j->count / nb_txq + (q < j->count % nb_txq);
		if (j->count == UINT64_MAX || j->q_built[q] < share)
			break;
	}
	j->rr = (uint16_t)(q + 1);
	if (j->count != UINT64_MAX)
		*n = RTE_MIN(*n, share - j->q_built[q]);
	return q;
}

/* Moves a job forward without blocking; returns how many frames it sent. A send gives up when
 * TX_TIMEOUT_MS pass without progress (the rest counts as failed); a stream drops that burst. */
unsigned int job_tick(struct tx_job *j)
{
	uint64_t now = rte_rdtsc(), n = BURST;
	uint16_t i, k;

	if (!j->active)
		return 0;
	if (j->off == j->npend) {
		if (j->built >= j->count) {
			j->active = false;
			return 0;
		}
		if (j->pps != 0) {
			uint64_t due = 1 - j->skipped +
				       (uint64_t)((double)(now - j->start) * (double)j->pps /
						  (double)tsc_hz);

			if (j->count == UINT64_MAX && due > j->built + j->pps / 10 + BURST) {
				j->skipped +=
					due - j->built - BURST; /* a stream doesn't catch up */
				due = j->built + BURST;
			}
			n = due > j->built ? due - j->built : 0;
		}
		n = RTE_MIN(n, j->count - j->built);
		n = RTE_MIN(n, (uint64_t)BURST);
		if (j->fs.queue >= 0)
			j->q = (uint16_t)j->fs.queue;
		else if (n > 0)
			j->q = job_next_queue(j, &n);
		if (n == 0 || rte_pktmbuf_alloc_bulk(pool, j->pend, (unsigned int)n) != 0)
			goto stalled;
		for (i = 0; i < n; i++)
			build_frame(j->pend[i], &j->fs);
		j->built += n;
		j->q_built[j->q] += n;
		j->npend = (uint16_t)n;
		j->off = 0;
	}
	k = tx_burst_acct(j->q, j->pend + j->off, j->npend - j->off);
	j->off += k;
	j->sent += k;
	if (k > 0) {
		j->last_progress = now;
		return k;
	}
stalled:
	if (j->off == j->npend && n == 0)
		j->last_progress = now; /* waiting for the pacer is not a stall */
	if (now - j->last_progress < ms_to_tsc(TX_TIMEOUT_MS))
		return 0;
	job_drop_pending(j);
	if (j->count != UINT64_MAX) { /* a send: give up */
		j->failed += j->count - j->built;
		st.tx_failed += j->count - j->built;
		j->active = false;
	}
	j->last_progress = now;
	return 0;
}

void job_init(struct tx_job *j, const struct frame_spec *fs, uint64_t count, uint64_t pps)
{
	memset(j, 0, sizeof(*j));
	j->fs = *fs;
	j->count = count;
	j->pps = pps;
	j->start = j->last_progress = rte_rdtsc();
	j->active = true;
}

/* ---- receive accounting ---- */

static bool parse_l2(struct rte_mbuf *m, struct l2_info *l2)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	struct rte_vlan_hdr *vh;

	if (len < sizeof(struct rte_ether_hdr))
		return false;
	l2->eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	l2->ethertype = rte_be_to_cpu_16(l2->eth->ether_type);
	l2->off = sizeof(struct rte_ether_hdr);
	l2->vlan = m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED ? m->vlan_tci & 0xfff : 0;
	if (l2->ethertype == RTE_ETHER_TYPE_VLAN && len >= l2->off + sizeof(*vh)) {
		vh = (struct rte_vlan_hdr *)(l2->eth + 1);
		l2->vlan = rte_be_to_cpu_16(vh->vlan_tci) & 0xfff;
		l2->ethertype = rte_be_to_cpu_16(vh->eth_proto);
		l2->off += sizeof(*vh);
	}
	return true;
}

static void mac_count(struct mac_table *t, const struct rte_ether_addr *mac)
{
	unsigned int i;

	for (i = 0; i < t->used; i++) {
		if (rte_is_same_ether_addr(&t->mac[i], mac)) {
			t->n[i]++;
			return;
		}
	}
	if (t->used == MAX_MACS) {
		t->overflow++;
		return;
	}
	rte_ether_addr_copy(mac, &t->mac[t->used]);
	t->n[t->used++] = 1;
}

static struct stream_rx *stream_lookup(uint16_t sender, uint16_t stream)
{
	uint32_t h = (((uint32_t)sender << 16 | stream) * 2654435761u) >> 22, i;
	struct stream_rx *s;

	for (i = 0; i < STREAM_SLOTS; i++) {
		s = &st.streams[(h + i) & (STREAM_SLOTS - 1)];
		if (!s->used) {
			s->used = true;
			s->sender = sender;
			s->stream = stream;
			return s;
		}
		if (s->sender == sender && s->stream == stream)
			return s;
	}
	return NULL;
}

/* Tests and sets the "seen" bit of seq (op > 0), or clears it (op < 0); returns the old bit. */
static bool seq_bit(struct stream_rx *s, uint64_t seq, int op)
{
	uint64_t bit = UINT64_C(1) << (seq % 64), *w = &s->seen[(seq / 64) % (SEQ_WINDOW / 64)];
	bool was = (*w & bit) != 0;

	*w = op > 0 ? *w | bit : *w & ~bit;
	return was;
}

static void stream_account(struct stream_rx *s, uint64_t seq)
{
	uint64_t i, now = rte_rdtsc();

	if (s->count > 0 && now - s->last_tsc > s->max_gap)
		s->max_gap = now - s->last_tsc;
	s->last_tsc = now;

	if (s->count++ == 0 || seq > s->max_seq) {
		if (s->count == 1 || seq - s->max_seq >= SEQ_WINDOW)
			memset(s->seen, 0, sizeof(s->seen));
		for (i = s->max_seq + 1; s->count > 1 && i < seq && seq - i < SEQ_WINDOW; i++)
			seq_bit(s, i, -1);
		seq_bit(s, seq, 1);
		s->max_seq = seq;
	} else if (s->max_seq - seq >= SEQ_WINDOW) {
		s->out_of_order++; /* too old to tell a late frame from a duplicate */
	} else if (seq_bit(s, seq, 1)) {
		s->dup++;
	} else {
		s->out_of_order++;
	}
}

static void account_payload(struct rte_mbuf *m, const struct l2_info *l2)
{
	struct kvsg_payload pl;
	struct stream_rx *s;

	if (rte_pktmbuf_data_len(m) < l2->off + sizeof(pl))
		return;
	memcpy(&pl, rte_pktmbuf_mtod_offset(m, void *, l2->off), sizeof(pl));
	if (rte_be_to_cpu_32(pl.magic) != KVSG_MAGIC)
		return;
	s = stream_lookup(rte_be_to_cpu_16(pl.sender), rte_be_to_cpu_16(pl.stream));
	if (s == NULL)
		st.streams_overflow++;
	else
		stream_account(s, rte_be_to_cpu_64(pl.seq));
}

/* ---- responder: ARP and ICMP echo for --ip, and the replies ping waits for ---- */

static bool handle_arp(struct rte_mbuf *m, const struct l2_info *l2, uint16_t q)
{
	struct rte_arp_hdr *arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, l2->off);
	struct rte_arp_ipv4 *a = &arp->arp_data;

	if (rte_pktmbuf_data_len(m) < l2->off + sizeof(*arp) ||
	    arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return false;
	if (ping.active && !ping.arp_ok && a->arp_sip == ping.target) {
		rte_ether_addr_copy(&a->arp_sha, &ping.peer);
		ping.arp_ok = true;
	}
	if (opt.ip == 0 || a->arp_tip != opt.ip ||
	    arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST))
		return false;
	/* Turn the request into its reply in place; a VLAN tag stays as it came. */
	rte_ether_addr_copy(&a->arp_sha, &l2->eth->dst_addr);
	rte_ether_addr_copy(&opt.mac, &l2->eth->src_addr);
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&a->arp_sha, &a->arp_tha);
	a->arp_tip = a->arp_sip;
	rte_ether_addr_copy(&opt.mac, &a->arp_sha);
	a->arp_sip = opt.ip;
	st.arp_replies_sent += tx_one(q % nb_txq, m, 0);
	return true;
}

static bool handle_ipv4(struct rte_mbuf *m, const struct l2_info *l2, uint16_t q)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2->off);
	uint32_t len = rte_pktmbuf_data_len(m), ihl, ip_len, src;
	struct rte_icmp_hdr *icmp;

	if (len < l2->off + sizeof(*ip))
		return false;
	ihl = rte_ipv4_hdr_len(ip);
	ip_len = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || ip_len < ihl + sizeof(*icmp) ||
	    l2->off + ip_len > len || ip->next_proto_id != IPPROTO_ICMP || opt.ip == 0 ||
	    ip->dst_addr != opt.ip ||
	    (ip->fragment_offset &
	     rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return false;
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (icmp->icmp_type == RTE_IP_ICMP_ECHO_REPLY) {
		st.icmp_echo_replies_received++;
		if (ping.active && ip->src_addr == ping.target &&
		    icmp->icmp_ident == rte_cpu_to_be_16(PING_IDENT) &&
		    icmp->icmp_seq_nb == rte_cpu_to_be_16(ping.want_seq)) {
			ping.got_tsc = rte_rdtsc();
			ping.got = true;
		}
		return false;
	}
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0)
		return false;
	rte_ether_addr_copy(&l2->eth->src_addr, &l2->eth->dst_addr);
	rte_ether_addr_copy(&opt.mac, &l2->eth->src_addr);
	src = ip->src_addr;
	ip->src_addr = opt.ip;
	ip->dst_addr = src;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, ip_len - ihl);
	if (m->pkt_len > RTE_MAX(l2->off + ip_len, MIN_FRAME)) /* drop the Ethernet padding */
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - RTE_MAX(l2->off + ip_len, MIN_FRAME)));
	st.icmp_replies_sent += tx_one(q % nb_txq, m, 0);
	return true;
}

/* Accounts one received frame; returns true if the responder took it over for a reply. */
static bool handle_frame(struct rte_mbuf *m, uint16_t q)
{
	struct frame_summary *f = &st.last[st.last_n % LAST_FRAMES];
	struct l2_info l2;

	st.rx_total++;
	st.rx_by_queue[q]++;
	st.rx_bytes += m->pkt_len;
	if (!parse_l2(m, &l2)) {
		st.rx_runts++;
		return false;
	}
	st.last_n++;
	rte_ether_addr_copy(&l2.eth->src_addr, &f->src);
	rte_ether_addr_copy(&l2.eth->dst_addr, &f->dst);
	f->vlan = l2.vlan;
	f->ethertype = l2.ethertype;
	f->length = m->pkt_len;
	f->queue = q;
	mac_count(&st.by_src, &l2.eth->src_addr);
	mac_count(&st.by_dst, &l2.eth->dst_addr);
	st.rx_by_vlan[l2.vlan]++;
	tcp_rx(m, l2.off, l2.ethertype);
	if (l2.ethertype == RTE_ETHER_TYPE_ARP)
		return handle_arp(m, &l2, q);
	if (l2.ethertype == RTE_ETHER_TYPE_IPV4)
		return handle_ipv4(m, &l2, q);
	account_payload(m, &l2);
	return false;
}

bool rx_hold;

/* One burst from each rx queue in use; returns how many frames arrived. */
unsigned int rx_poll(void)
{
	struct rte_mbuf *ms[BURST];
	unsigned int work = 0;
	uint16_t q, n, i;

	for (q = 0; q < nb_rxq && !rx_hold; q++) {
		n = rte_eth_rx_burst(port_id, q, ms, BURST);
		for (i = 0; i < n; i++)
			if (!handle_frame(ms[i], q))
				rte_pktmbuf_free(ms[i]);
		work += n;
	}
	if (work > 0)
		last_rx_tsc = rte_rdtsc();
	return work;
}

/* One pass of the data path: all rx queues, then the stream. When neither they nor the caller
 * (other_work) did anything, it sleeps a little so that guests and a switch can share a core. */
unsigned int service(unsigned int other_work)
{
	unsigned int work = 0;

	if (!port_detached) /* no port to poll: the stream pauses, and does not catch up later */
		work = rx_poll() + job_tick(&gen);
	if (work + other_work == 0)
		rte_delay_us_sleep(IDLE_SLEEP_US);
	return work;
}

/* ---- ping: ARP for the target, then echo requests, one at a time ---- */

/* An mbuf holding the L2 header of fs and l3_len zeroed bytes (padded to 60); NULL if none. */
static struct rte_mbuf *alloc_frame(const struct frame_spec *fs, uint32_t l3_len, uint8_t **l3)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint32_t off, len = MIN_FRAME + RTE_VLAN_HLEN + l3_len;
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	memset(p, 0, len);
	off = write_l2(p, fs);
	rte_pktmbuf_trim(m, (uint16_t)(len - RTE_MAX(MIN_FRAME, off + l3_len)));
	*l3 = p + off;
	return m;
}

static bool ping_arp(struct frame_spec *fs)
{
	struct rte_arp_hdr *arp;
	struct rte_mbuf *m;

	memset(&fs->dst, 0xff, sizeof(fs->dst));
	fs->ethertype = RTE_ETHER_TYPE_ARP;
	m = alloc_frame(fs, sizeof(*arp), (uint8_t **)&arp);
	if (m == NULL)
		return false;
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&opt.mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = opt.ip;
	arp->arp_data.arp_tip = ping.target;
	return tx_one(0, m, 100);
}

static bool ping_echo(struct frame_spec *fs, uint16_t seq)
{
	uint16_t ip_len = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_icmp_hdr) + PING_DATA, i;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	struct rte_mbuf *m;

	rte_ether_addr_copy(&ping.peer, &fs->dst);
	fs->ethertype = RTE_ETHER_TYPE_IPV4;
	m = alloc_frame(fs, ip_len, (uint8_t **)&ip);
	if (m == NULL)
		return false;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(ip_len);
	ip->packet_id = rte_cpu_to_be_16(seq);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = opt.ip;
	ip->dst_addr = ping.target;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_ident = rte_cpu_to_be_16(PING_IDENT);
	icmp->icmp_seq_nb = rte_cpu_to_be_16(seq);
	for (i = 0; i < PING_DATA; i++)
		((uint8_t *)(icmp + 1))[i] = (uint8_t)i;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, ip_len - sizeof(*ip));
	ping.want_seq = seq;
	ping.got = false;
	return tx_one(0, m, 100);
}

static bool wait_flag(const bool *flag, uint64_t deadline)
{
	while (!*flag && rte_rdtsc() < deadline)
		service(0);
	return *flag;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* min, average, median, 99th percentile and max of the n round trips, in microseconds. */
static void rtt_summary(uint64_t n, struct ping_result *res)
{
	double us = 1e6 / (double)tsc_hz, sum = 0;
	uint64_t i;

	if (n == 0)
		return;
	qsort(rtt_tsc, n, sizeof(rtt_tsc[0]), cmp_u64);
	for (i = 0; i < n; i++)
		sum += (double)rtt_tsc[i];
	res->rtt_min_us = (double)rtt_tsc[0] * us;
	res->rtt_avg_us = sum / (double)n * us;
	res->rtt_p50_us = (double)rtt_tsc[n / 2] * us;
	res->rtt_p99_us = (double)rtt_tsc[(n * 99) / 100] * us;
	res->rtt_max_us = (double)rtt_tsc[n - 1] * us;
}

void ping_run(struct frame_spec *fs, uint32_t target, uint64_t count, uint64_t timeout_ms,
	      uint64_t interval_ms, struct ping_result *res)
{
	uint64_t i, deadline, t0;

	memset(res, 0, sizeof(*res));
	memset(&ping, 0, sizeof(ping));
	ping.target = target;
	ping.active = true;
	deadline = rte_rdtsc() + ms_to_tsc(timeout_ms);
	while (!ping.arp_ok && rte_rdtsc() < deadline) { /* ask again every 200 ms */
		ping_arp(fs);
		wait_flag(&ping.arp_ok, RTE_MIN(deadline, rte_rdtsc() + ms_to_tsc(200)));
	}
	for (i = 1; ping.arp_ok && i <= count && rte_rdtsc() < deadline; i++) {
		t0 = rte_rdtsc();
		if (i > 1 && interval_ms) /* keep serving (and answering) while waiting */
			while (rte_rdtsc() - t0 < ms_to_tsc(interval_ms) && rte_rdtsc() < deadline)
				service(0);
		t0 = rte_rdtsc();
		if (!ping_echo(fs, (uint16_t)i))
			continue;
		res->sent++;
		if (wait_flag(&ping.got, RTE_MIN(deadline, rte_rdtsc() + ms_to_tsc(1000))))
			rtt_tsc[res->received++] = ping.got_tsc - t0;
	}
	rtt_summary(res->received, res);
	ping.active = false;
	res->arp_ok = ping.arp_ok;
	rte_ether_addr_copy(&ping.peer, &res->peer);
}

/* ---- the counters, for the stats answer ---- */

static void jarray(const uint64_t *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		jprintf("%s%" PRIu64, i ? ", " : "[", v[i]);
	jprintf("%s", n ? "]" : "[]");
}

/* Per-queue counters: the in_use queues, then those no longer in use up to the last one that
 * counted frames since the last reset (after set-queues), so that they add up to the total. */
static void jqueues(const uint64_t *v, uint16_t in_use)
{
	unsigned int n = MAX_QUEUES;

	while (n > in_use && v[n - 1] == 0)
		n--;
	jarray(v, n);
}

static void stats_macs(const char *name, const struct mac_table *t)
{
	unsigned int i;

	jprintf(", \"%s\": {", name);
	for (i = 0; i < t->used; i++) {
		jmac(i ? ", " : "", &t->mac[i]);
		jprintf(": %" PRIu64, t->n[i]);
	}
	jprintf("}");
}

static void stats_rx(void)
{
	const struct frame_summary *f;
	const struct stream_rx *s;
	uint64_t i, first = st.last_n - RTE_MIN(st.last_n, (uint64_t)LAST_FRAMES);
	const char *sep = "";

	jprintf("{\"total\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"runts\": %" PRIu64
		", \"by_queue\": ",
		st.rx_total, st.rx_bytes, st.rx_runts);
	jqueues(st.rx_by_queue, nb_rxq);
	stats_macs("by_src", &st.by_src);
	stats_macs("by_dst", &st.by_dst);
	jprintf(", \"mac_overflow\": %" PRIu64 ", \"by_vlan\": {",
		st.by_src.overflow + st.by_dst.overflow);
	for (i = 0; i <= RTE_ETHER_MAX_VLAN_ID; i++) {
		if (st.rx_by_vlan[i] == 0)
			continue;
		jprintf("%s\"%" PRIu64 "\": %" PRIu64, sep, i, st.rx_by_vlan[i]);
		sep = ", ";
	}
	jprintf("}, \"streams\": {");
	for (sep = "", s = st.streams; s < st.streams + STREAM_SLOTS; s++) {
		if (!s->used)
			continue;
		jprintf("%s\"%u:%u\": {\"count\": %" PRIu64 ", \"max_seq\": %" PRIu64
			", \"out_of_order\": %" PRIu64 ", \"dup\": %" PRIu64
			", \"max_gap_us\": %.0f}",
			sep, s->sender, s->stream, s->count, s->max_seq, s->out_of_order, s->dup,
			(double)s->max_gap * 1e6 / (double)tsc_hz);
		sep = ", ";
	}
	jprintf("}, \"streams_overflow\": %" PRIu64 ", \"last\": [", st.streams_overflow);
	for (i = first; i < st.last_n; i++) {
		f = &st.last[i % LAST_FRAMES];
		jmac(i == first ? "{\"src\": " : ", {\"src\": ", &f->src);
		jmac(", \"dst\": ", &f->dst);
		jprintf(", \"vlan\": %u, \"ethertype\": %u, \"length\": %u, \"queue\": %u}",
			f->vlan, f->ethertype, f->length, f->queue);
	}
	jprintf("]}");
}

void stats_json(void)
{
	jprintf("{\"rx\": ");
	stats_rx();
	jprintf(", \"tx\": {\"total\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"failed\": %" PRIu64
		", \"by_queue\": ",
		st.tx_total, st.tx_bytes, st.tx_failed);
	jqueues(st.tx_by_queue, nb_txq);
	jprintf("}, \"tcp\": ");
	tcp_stats_json();
	jprintf(", \"arp_replies_sent\": %" PRIu64 ", \"icmp_replies_sent\": %" PRIu64
		", \"icmp_echo_replies_received\": %" PRIu64 "}",
		st.arp_replies_sent, st.icmp_replies_sent, st.icmp_echo_replies_received);
}

void stats_reset(void)
{
	tcp_stats_reset();
	memset(&st, 0, sizeof(st));
}
