/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-guest: a "guest without a VM" for kvswitch.
 *
 * A single-lcore DPDK primary process owning one virtio-user port, so it attaches to the switch
 * exactly like a VM's virtio-net device (vhost-user client by default, server with server=1 in
 * the vdev args). It reads one command per line on stdin and answers one JSON line per command
 * on stdout; logs go to stderr. It accounts every frame it receives, generates sequenced test
 * frames (paced), and answers ARP and ICMP echo for its --ip.
 *
 * Used by the system tests (tests/system/guest.py) now; meant to become the traffic generator
 * of the benchmarks later.
 *
 * Payload of generated frames, after the Ethernet (and optional 802.1Q) header, big endian:
 *   u32 magic 0x6b767367 ('kvsg'), u16 sender id, u16 stream id, u64 sequence (from 1), u64 tsc
 *
 * Commands (key=value arguments; a mistake answers {"error": "..."} and changes nothing):
 *   link [timeout_ms=5000]                                  {"link": bool, "queues": n}
 *   send dst=MAC [src=MAC vlan=N pcp=N count=1 size=64 queue=0|Q|all stream=0 ethertype=0x88b5
 *        raw=HEX pps=50000 (0: as fast as possible)]      {"sent": n, "failed": m}
 *   stream start dst=MAC [same as send but count and raw, pps=10000]    {"ok": true}
 *   stream stop                                             {"sent": n, "failed": m}
 *   quiet [idle_ms=200 timeout_ms=5000]: until nothing arrived for idle_ms  {"ok": true, "idle": b}
 *   ping ip=A.B.C.D [count=3 timeout_ms=3000 vlan=N]  {"arp": b, "peer_mac", "sent", "received"}
 *   set-queues n=N: use N queue pairs from now on (1..the vdev's queues=), what
 *        "ethtool -L eth0 combined N" does in a Linux guest                 {"queues": n}
 *   stats, reset, queues, quit (also on EOF, SIGINT, SIGTERM)
 *
 * Queue pairs: the device has the vdev's queues=M; the guest uses (and the switch sees enabled)
 * only the first N, N being --queues (default M) and later set-queues. Per-queue counters list
 * the queues in use, plus any queue that counted frames since the last reset and is no longer
 * in use, so that they always add up to the totals.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#define BURST          32
#define MAX_QUEUES     16
#define RING_SIZE      1024
#define MAX_MACS       64
#define STREAM_SLOTS   1024 /* power of two */
#define SEQ_WINDOW     1024 /* bits of history to tell duplicates from late frames */
#define LAST_FRAMES    16
#define JUMBO_ROOM     10240
#define MAX_MTU        16000
#define IDLE_SLEEP_US  50
#define TX_TIMEOUT_MS  2000
#define MAX_LINE       65536
#define MIN_FRAME      60u /* without FCS */
#define KVSG_MAGIC     0x6b767367u
#define KVSG_ETHERTYPE 0x88b5
#define PING_IDENT     0x6b76
#define PING_DATA      56

struct kvsg_payload {
	rte_be32_t magic;
	rte_be16_t sender, stream;
	rte_be64_t seq, tsc;
} __rte_packed;

struct stream_rx {
	bool used;
	uint16_t sender, stream;
	uint64_t count, max_seq, out_of_order, dup;
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

/* What to generate; used by send and stream, and for the L2 header of ping's frames. */
struct frame_spec {
	struct rte_ether_addr dst, src;
	int vlan; /* -1: untagged */
	uint8_t pcp;
	uint16_t ethertype, stream;
	uint32_t size;
	int queue; /* -1: all tx queues, round robin */
	const uint8_t *raw;
};

/* A paced transmission: send (count frames, run to the end) or stream (runs until stopped). */
struct tx_job {
	bool active;
	struct frame_spec fs;
	uint64_t count, pps, start, last_progress, built, skipped, sent, failed;
	uint64_t q_built[MAX_QUEUES]; /* queue=all: frames so far per queue */
	uint16_t rr, q, npend, off;
	struct rte_mbuf *pend[BURST];
};

struct l2_info {
	struct rte_ether_hdr *eth;
	uint16_t vlan, ethertype;
	uint32_t off; /* start of L3 */
};

struct args {
	const char *cmd;
	int n;
	char *key[32], *val[32];
	bool used[32];
};

static struct {
	struct rte_ether_addr mac;
	uint32_t ip; /* network order, 0: no responder */
	uint64_t id, queues, mtu, mbufs;
} opt = {.mtu = 9000};

static struct stats st;
static uint64_t tx_seq[UINT16_MAX + 1];
static uint16_t port_id, nb_rxq, nb_txq; /* the queue pairs in use (always nb_rxq == nb_txq) */
static uint16_t max_queues;              /* what the device has: the most set-queues takes */
static uint16_t nb_rxd, nb_txd;
static struct rte_eth_conf port_conf;
static uint32_t buf_room; /* bytes of frame an mbuf holds */
static struct rte_mempool *pool;
static uint64_t tsc_hz, last_rx_tsc;
static volatile sig_atomic_t quit;
static FILE *out;
static char errmsg[512];
static uint8_t raw_buf[MAX_MTU + 64];
static struct tx_job gen; /* the background stream */

static struct {
	bool active, arp_ok, got;
	uint32_t target;
	uint16_t want_seq;
	struct rte_ether_addr peer;
} ping;

static int __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t ms_to_tsc(uint64_t ms)
{
	return tsc_hz / 1000 * ms;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || x < min || x > max)
		return -1;
	*v = x;
	return 0;
}

/* ---- JSON output, written by hand into one growing buffer per answer ---- */

static struct {
	char *p;
	size_t len, cap;
} jb;

static void __attribute__((format(printf, 1, 2))) jprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	while (jb.len + (size_t)n + 1 > jb.cap) {
		jb.cap = jb.cap ? 2 * jb.cap : 4096;
		jb.p = realloc(jb.p, jb.cap);
		if (jb.p == NULL)
			rte_exit(EXIT_FAILURE, "out of memory\n");
	}
	va_start(ap, fmt);
	vsnprintf(jb.p + jb.len, jb.cap - jb.len, fmt, ap);
	va_end(ap);
	jb.len += (size_t)n;
}

static void jstr(const char *s)
{
	jprintf("\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			jprintf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			jprintf("\\u%04x", c);
		else
			jprintf("%c", c);
	}
	jprintf("\"");
}

static void jmac(const char *prefix, const struct rte_ether_addr *a)
{
	const uint8_t *b = a->addr_bytes;

	jprintf("%s\"%02x:%02x:%02x:%02x:%02x:%02x\"", prefix, b[0], b[1], b[2], b[3], b[4], b[5]);
}

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

static void respond(void)
{
	fwrite(jb.p, 1, jb.len, out);
	fputc('\n', out);
	if (fflush(out) != 0)
		quit = 1; /* nobody is listening any more */
	jb.len = 0;
}

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
	pl.magic = rte_cpu_to_be_32(KVSG_MAGIC);
	pl.sender = rte_cpu_to_be_16((uint16_t)opt.id);
	pl.stream = rte_cpu_to_be_16(fs->stream);
	pl.seq = rte_cpu_to_be_64(++tx_seq[fs->stream]);
	pl.tsc = rte_cpu_to_be_64(rte_rdtsc());
	n = RTE_MIN((uint32_t)sizeof(pl), fs->size - off);
	memcpy(p + off, &pl, n);
	memset(p + off + n, 0, fs->size - off - n);
}

static void job_drop_pending(struct tx_job *j)
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
static unsigned int job_tick(struct tx_job *j)
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

static void job_init(struct tx_job *j, const struct frame_spec *fs, uint64_t count, uint64_t pps)
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
	uint64_t i;

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
		    icmp->icmp_seq_nb == rte_cpu_to_be_16(ping.want_seq))
			ping.got = true;
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
	if (l2.ethertype == RTE_ETHER_TYPE_ARP)
		return handle_arp(m, &l2, q);
	if (l2.ethertype == RTE_ETHER_TYPE_IPV4)
		return handle_ipv4(m, &l2, q);
	account_payload(m, &l2);
	return false;
}

/* One burst from each rx queue in use; returns how many frames arrived. */
static unsigned int rx_poll(void)
{
	struct rte_mbuf *ms[BURST];
	unsigned int work = 0;
	uint16_t q, n, i;

	for (q = 0; q < nb_rxq; q++) {
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
static unsigned int service(unsigned int other_work)
{
	unsigned int work = rx_poll();

	work += job_tick(&gen);
	if (work + other_work == 0)
		rte_delay_us_sleep(IDLE_SLEEP_US);
	return work;
}

/* ---- command arguments: key=value words ---- */

static const char *arg_get(struct args *a, const char *key)
{
	const char *v = NULL;
	int i;

	for (i = 0; i < a->n; i++) {
		if (strcmp(a->key[i], key) == 0) {
			a->used[i] = true;
			v = a->val[i];
		}
	}
	return v;
}

/* The arg_* getters return 0 when the key is absent, 1 when it is set, -1 on a bad value. */
static int arg_u64(struct args *a, const char *key, uint64_t min, uint64_t max, uint64_t *v)
{
	const char *s = arg_get(a, key);

	if (s == NULL)
		return 0;
	if (parse_u64(s, min, max, v) < 0)
		return fail("%s: bad %s '%s' (expected %" PRIu64 "..%" PRIu64 ")", a->cmd, key, s,
		            min, max);
	return 1;
}

static int arg_mac(struct args *a, const char *key, struct rte_ether_addr *mac)
{
	const char *s = arg_get(a, key);

	if (s == NULL)
		return 0;
	if (rte_ether_unformat_addr(s, mac) < 0)
		return fail("%s: bad MAC %s '%s'", a->cmd, key, s);
	return 1;
}

static int arg_queue(struct args *a, int *queue)
{
	const char *s = arg_get(a, "queue");
	uint64_t v;

	if (s == NULL)
		return 0;
	if (strcmp(s, "all") == 0) {
		*queue = -1;
		return 1;
	}
	if (parse_u64(s, 0, nb_txq - 1, &v) < 0)
		return fail("%s: bad queue '%s' (expected all or 0..%d)", a->cmd, s, nb_txq - 1);
	*queue = (int)v;
	return 1;
}

static int arg_raw(struct args *a, struct frame_spec *fs)
{
	const char *s = arg_get(a, "raw");
	size_t n = s ? strlen(s) : 0, i;
	char b[3] = {0}, *end;

	if (s == NULL)
		return 0;
	if (n % 2 != 0 || n / 2 < 1 || n / 2 > buf_room)
		return fail("%s: raw wants 1..%u bytes in hex", a->cmd, buf_room);
	for (i = 0; i < n / 2; i++) {
		memcpy(b, s + 2 * i, 2);
		raw_buf[i] = (uint8_t)strtoul(b, &end, 16);
		if (*end != '\0' || !isxdigit((unsigned char)b[0]))
			return fail("%s: bad hex in raw at byte %zu", a->cmd, i);
	}
	fs->raw = raw_buf;
	fs->size = (uint32_t)(n / 2);
	return 1;
}

static int args_check(struct args *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (!a->used[i])
			return fail("%s: unknown argument '%s'", a->cmd, a->key[i]);
	return 0;
}

static int parse_frame_spec(struct args *a, struct frame_spec *fs, bool allow_raw)
{
	uint64_t vlan = 0, pcp = 0, size = 64, stream = 0, ethertype = KVSG_ETHERTYPE;
	int has_dst = 0, has_vlan = 0, has_pcp = 0, has_raw = 0;

	memset(fs, 0, sizeof(*fs));
	rte_ether_addr_copy(&opt.mac, &fs->src);
	if ((has_dst = arg_mac(a, "dst", &fs->dst)) < 0 || arg_mac(a, "src", &fs->src) < 0 ||
	    (has_vlan = arg_u64(a, "vlan", 0, RTE_ETHER_MAX_VLAN_ID, &vlan)) < 0 ||
	    (has_pcp = arg_u64(a, "pcp", 0, 7, &pcp)) < 0 ||
	    arg_u64(a, "size", RTE_ETHER_HDR_LEN, buf_room, &size) < 0 ||
	    arg_u64(a, "stream", 0, UINT16_MAX, &stream) < 0 ||
	    arg_u64(a, "ethertype", 0, UINT16_MAX, &ethertype) < 0 ||
	    arg_queue(a, &fs->queue) < 0 || (allow_raw && (has_raw = arg_raw(a, fs)) < 0))
		return -1;
	if (!has_dst && !has_raw)
		return fail("%s: dst=MAC is required", a->cmd);
	fs->vlan = has_vlan || has_pcp ? (int)vlan : -1; /* pcp alone: priority tag, VLAN 0 */
	fs->pcp = (uint8_t)pcp;
	fs->stream = (uint16_t)stream;
	fs->ethertype = (uint16_t)ethertype;
	if (!has_raw)
		fs->size = (uint32_t)size;
	if (!has_raw && fs->vlan >= 0 && size < RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
		return fail("%s: size %" PRIu64 " is too small for a VLAN tag", a->cmd, size);
	return 0;
}

/* ---- commands: each writes its JSON answer, or returns -1 with errmsg set ---- */

static int cmd_link(struct args *a)
{
	uint64_t timeout = 5000, start = rte_rdtsc();
	struct rte_eth_link lk;

	if (arg_u64(a, "timeout_ms", 0, 3600000, &timeout) < 0 || args_check(a) < 0)
		return -1;
	for (;;) {
		memset(&lk, 0, sizeof(lk));
		rte_eth_link_get_nowait(port_id, &lk);
		if (lk.link_status == RTE_ETH_LINK_UP || rte_rdtsc() - start > ms_to_tsc(timeout))
			break;
		service(0);
	}
	jprintf("{\"link\": %s, \"queues\": %u}", lk.link_status ? "true" : "false", nb_rxq);
	return 0;
}

static int cmd_send(struct args *a)
{
	uint64_t count = 1, pps = 50000;
	struct frame_spec fs;
	struct tx_job job;

	if (parse_frame_spec(a, &fs, true) < 0 ||
	    arg_u64(a, "count", 0, UINT64_MAX - 1, &count) < 0 ||
	    arg_u64(a, "pps", 0, UINT32_MAX, &pps) < 0 || args_check(a) < 0)
		return -1;
	job_init(&job, &fs, count, pps);
	while (job.active)
		service(job_tick(&job));
	jprintf("{\"sent\": %" PRIu64 ", \"failed\": %" PRIu64 "}", job.sent, job.failed);
	return 0;
}

static int cmd_stream(struct args *a, const char *sub)
{
	uint64_t pps = 10000, start = rte_rdtsc();
	struct frame_spec fs;

	if (sub != NULL && strcmp(sub, "stop") == 0) {
		if (args_check(a) < 0)
			return -1;
		if (!gen.active)
			return fail("stream stop: no stream is running");
		while (gen.off < gen.npend && rte_rdtsc() - start < ms_to_tsc(100))
			job_tick(&gen);
		job_drop_pending(&gen);
		gen.active = false;
		jprintf("{\"sent\": %" PRIu64 ", \"failed\": %" PRIu64 "}", gen.sent, gen.failed);
		return 0;
	}
	if (sub == NULL || strcmp(sub, "start") != 0)
		return fail("stream: expected 'start' or 'stop'");
	a->cmd = "stream start";
	if (parse_frame_spec(a, &fs, false) < 0 || arg_u64(a, "pps", 1, UINT32_MAX, &pps) < 0 ||
	    args_check(a) < 0)
		return -1;
	if (gen.active)
		return fail("stream start: a stream is already running");
	job_init(&gen, &fs, UINT64_MAX, pps);
	jprintf("{\"ok\": true}");
	return 0;
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
		        ", \"out_of_order\": %" PRIu64 ", \"dup\": %" PRIu64 "}",
		        sep, s->sender, s->stream, s->count, s->max_seq, s->out_of_order, s->dup);
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

static int cmd_stats(struct args *a)
{
	if (args_check(a) < 0)
		return -1;
	jprintf("{\"rx\": ");
	stats_rx();
	jprintf(", \"tx\": {\"total\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"failed\": %" PRIu64
	        ", \"by_queue\": ",
	        st.tx_total, st.tx_bytes, st.tx_failed);
	jqueues(st.tx_by_queue, nb_txq);
	jprintf("}, \"arp_replies_sent\": %" PRIu64 ", \"icmp_replies_sent\": %" PRIu64
	        ", \"icmp_echo_replies_received\": %" PRIu64 "}",
	        st.arp_replies_sent, st.icmp_replies_sent, st.icmp_echo_replies_received);
	return 0;
}

static int cmd_reset(struct args *a)
{
	if (args_check(a) < 0)
		return -1;
	memset(&st, 0, sizeof(st));
	jprintf("{\"ok\": true}");
	return 0;
}

static int cmd_quiet(struct args *a)
{
	uint64_t idle = 200, timeout = 5000, start = rte_rdtsc(), now;
	bool ok;

	if (arg_u64(a, "idle_ms", 1, 3600000, &idle) < 0 ||
	    arg_u64(a, "timeout_ms", 0, 3600000, &timeout) < 0 || args_check(a) < 0)
		return -1;
	do {
		service(0);
		now = rte_rdtsc();
		ok = now - RTE_MAX(start, last_rx_tsc) >= ms_to_tsc(idle);
	} while (!ok && now - start < ms_to_tsc(timeout));
	jprintf("{\"ok\": true, \"idle\": %s}", ok ? "true" : "false");
	return 0;
}

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

static int cmd_ping(struct args *a)
{
	uint64_t count = 3, timeout = 3000, vlan = 0, sent = 0, received = 0, i, deadline;
	const char *ip = arg_get(a, "ip");
	struct frame_spec fs = {.vlan = -1};
	struct in_addr in;
	int has_vlan = 0;

	if (arg_u64(a, "count", 0, UINT16_MAX, &count) < 0 ||
	    arg_u64(a, "timeout_ms", 0, 3600000, &timeout) < 0 ||
	    (has_vlan = arg_u64(a, "vlan", 0, RTE_ETHER_MAX_VLAN_ID, &vlan)) < 0 ||
	    args_check(a) < 0)
		return -1;
	if (ip == NULL || inet_pton(AF_INET, ip, &in) != 1)
		return fail("ping: ip=A.B.C.D is required");
	if (opt.ip == 0)
		return fail("ping: this guest has no --ip");
	fs.vlan = has_vlan ? (int)vlan : -1;
	rte_ether_addr_copy(&opt.mac, &fs.src);
	memset(&ping, 0, sizeof(ping));
	ping.target = in.s_addr;
	ping.active = true;
	deadline = rte_rdtsc() + ms_to_tsc(timeout);
	while (!ping.arp_ok && rte_rdtsc() < deadline) { /* ask again every 200 ms */
		ping_arp(&fs);
		wait_flag(&ping.arp_ok, RTE_MIN(deadline, rte_rdtsc() + ms_to_tsc(200)));
	}
	for (i = 1; ping.arp_ok && i <= count && rte_rdtsc() < deadline; i++) {
		if (!ping_echo(&fs, (uint16_t)i))
			continue;
		sent++;
		received += wait_flag(&ping.got, RTE_MIN(deadline, rte_rdtsc() + ms_to_tsc(1000)));
	}
	ping.active = false;
	jprintf("{\"arp\": %s, \"peer_mac\": ", ping.arp_ok ? "true" : "false");
	if (ping.arp_ok)
		jmac("", &ping.peer);
	else
		jprintf("null");
	jprintf(", \"sent\": %" PRIu64 ", \"received\": %" PRIu64 "}", sent, received);
	return 0;
}

/* Configures nq queue pairs and starts the port. Starting is what tells the device how many pairs
 * are in use: when it has more than one, the virtio PMD sends VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET on
 * its control queue, and virtio-user turns that into VHOST_USER_SET_VRING_ENABLE messages: on
 * for the first nq pairs, off for those after them that it had turned on. */
static int port_start_queues(uint16_t nq)
{
	uint16_t nrxd = RING_SIZE, ntxd = RING_SIZE, q;
	int rc;

	if ((rc = rte_eth_dev_configure(port_id, nq, nq, &port_conf)) != 0)
		return fail("configure %u queues, MTU %" PRIu64 ": %s", nq, opt.mtu,
		            rte_strerror(-rc));
	rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nrxd, &ntxd);
	for (q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, nrxd, SOCKET_ID_ANY, NULL, pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port_id, q, ntxd, SOCKET_ID_ANY, NULL);
		if (rc != 0)
			return fail("queue %u setup: %s", q, rte_strerror(-rc));
	}
	if ((rc = rte_eth_dev_start(port_id)) != 0)
		return fail("port start with %u queues: %s", nq, rte_strerror(-rc));
	nb_rxq = nb_txq = nq;
	nb_rxd = nrxd;
	nb_txd = ntxd;
	return 0;
}

/* The port stops for a moment: frames the switch puts in the rx rings meanwhile are lost (the
 * PMD flushes its rx rings when it starts again). */
static int cmd_set_queues(struct args *a)
{
	uint64_t n = 0, start = rte_rdtsc();
	uint16_t old = nb_rxq;
	char why[sizeof(errmsg)];
	int has_n;

	if ((has_n = arg_u64(a, "n", 1, max_queues, &n)) < 0 || args_check(a) < 0)
		return -1;
	if (!has_n)
		return fail("set-queues: n=1..%u is required", max_queues);
	if (gen.active && gen.fs.queue >= (int)n)
		return fail("set-queues: the stream sends on queue %d, stop it first",
		            gen.fs.queue);
	/* What the stream has built goes out and what has arrived is taken before the port stops;
	 * a stream on all queues then carries on over the queues left. */
	while (gen.off < gen.npend && rte_rdtsc() - start < ms_to_tsc(100))
		job_tick(&gen);
	if (gen.off < gen.npend)
		job_drop_pending(&gen);
	while (rx_poll() > 0 && rte_rdtsc() - start < ms_to_tsc(200))
		;
	rte_eth_dev_stop(port_id);
	if (port_start_queues((uint16_t)n) == 0) {
		jprintf("{\"queues\": %u}", nb_rxq);
		return 0;
	}
	snprintf(why, sizeof(why), "%s", errmsg);
	rte_eth_dev_stop(port_id);
	if (port_start_queues(old) == 0)
		return fail("set-queues: %s (still %u queues)", why, old);
	quit = 1; /* no port left to work with */
	return fail("set-queues: %s; going back to %u queues: %s; quitting", why, old, errmsg);
}

static int cmd_queues(struct args *a)
{
	if (args_check(a) < 0)
		return -1;
	jprintf("{\"rx_queues\": %u, \"tx_queues\": %u}", nb_rxq, nb_txq);
	return 0;
}

static int cmd_quit(struct args *a)
{
	if (args_check(a) < 0)
		return -1;
	quit = 1;
	jprintf("{\"ok\": true}");
	return 0;
}

static int run_command(struct args *a, const char *sub)
{
	static const struct {
		const char *name;
		int (*fn)(struct args *a);
	} cmds[] = {
	        {"link", cmd_link},     {"send", cmd_send},   {"stats", cmd_stats},
	        {"reset", cmd_reset},   {"quiet", cmd_quiet}, {"ping", cmd_ping},
	        {"queues", cmd_queues}, {"quit", cmd_quit},   {"set-queues", cmd_set_queues},
	};
	unsigned int i;

	if (strcmp(a->cmd, "stream") == 0)
		return cmd_stream(a, sub);
	for (i = 0; i < RTE_DIM(cmds); i++) {
		if (strcmp(a->cmd, cmds[i].name) != 0)
			continue;
		if (sub != NULL)
			return fail("%s: expected key=value, got '%s'", a->cmd, sub);
		return cmds[i].fn(a);
	}
	return fail("unknown command '%s'", a->cmd);
}

static void handle_line(char *line)
{
	char *save = NULL, *w, *sub = NULL, *eq;
	struct args a = {0};
	int rc = 0;

	a.cmd = strtok_r(line, " \t\r", &save);
	if (a.cmd == NULL)
		return; /* blank lines get no answer */
	while (rc == 0 && (w = strtok_r(NULL, " \t\r", &save)) != NULL) {
		eq = strchr(w, '=');
		if (eq == NULL && sub == NULL && a.n == 0)
			sub = w; /* "stream start" */
		else if (eq == NULL || eq == w)
			rc = fail("%s: expected key=value, got '%s'", a.cmd, w);
		else if (a.n == (int)RTE_DIM(a.key))
			rc = fail("%s: too many arguments", a.cmd);
		else {
			*eq = '\0';
			a.key[a.n] = w;
			a.val[a.n++] = eq + 1;
		}
	}
	if (rc == 0)
		rc = run_command(&a, sub);
	if (rc < 0) {
		jb.len = 0;
		jprintf("{\"error\": ");
		jstr(errmsg);
		jprintf("}");
	}
	respond();
}

/* Runs the complete lines stdin has for us; never blocks. EOF means quit. */
static void read_commands(void)
{
	static char buf[MAX_LINE];
	static size_t len;
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
	char *nl, *p = buf;
	ssize_t r;

	if (poll(&pfd, 1, 0) <= 0)
		return;
	r = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
	if (r <= 0) {
		if (r == 0 || (errno != EINTR && errno != EAGAIN))
			quit = 1;
		return;
	}
	len += (size_t)r;
	buf[len] = '\0';
	while (!quit && (nl = strchr(p, '\n')) != NULL) {
		*nl = '\0';
		handle_line(p);
		p = nl + 1;
	}
	len -= (size_t)(p - buf);
	memmove(buf, p, len);
	if (len == sizeof(buf) - 1) {
		len = 0;
		jprintf("{\"error\": \"line too long (max %d bytes)\"}", MAX_LINE - 1);
		respond();
	}
}

/* ---- setup ---- */

static int parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"mac", required_argument, NULL, 'm'}, {"ip", required_argument, NULL, 'i'},
	        {"id", required_argument, NULL, 'd'},  {"queues", required_argument, NULL, 'q'},
	        {"mtu", required_argument, NULL, 't'}, {"mbufs", required_argument, NULL, 'n'},
	        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
	};
	static const struct {
		int c;
		uint64_t *v;
		uint64_t min, max;
	} nums[] = {
	        {'d', &opt.id, 0, UINT16_MAX},
	        {'q', &opt.queues, 1, MAX_QUEUES},
	        {'t', &opt.mtu, RTE_ETHER_MIN_MTU, MAX_MTU},
	        {'n', &opt.mbufs, 64, 1000000},
	};
	struct in_addr in;
	uint64_t plen;
	unsigned int k;
	char *slash;
	int c, i = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, &i)) != -1) {
		switch (c) {
		case 'm':
			if (rte_ether_unformat_addr(optarg, &opt.mac) < 0)
				return fail("bad --mac '%s'", optarg);
			break;
		case 'i':
			slash = strchr(optarg, '/');
			if (slash != NULL)
				*slash = '\0';
			if (inet_pton(AF_INET, optarg, &in) != 1 || in.s_addr == 0 ||
			    (slash != NULL && parse_u64(slash + 1, 0, 32, &plen) < 0))
				return fail("bad --ip '%s' (want A.B.C.D[/LEN])", optarg);
			opt.ip = in.s_addr;
			break;
		case 'h':
			return fail("help");
		default:
			for (k = 0; k < RTE_DIM(nums) && nums[k].c != c; k++)
				;
			if (k == RTE_DIM(nums))
				return fail("bad option");
			if (parse_u64(optarg, nums[k].min, nums[k].max, nums[k].v) < 0)
				return fail("bad --%s '%s' (%" PRIu64 "..%" PRIu64 ")",
				            longopts[i].name, optarg, nums[k].min, nums[k].max);
		}
	}
	if (optind < argc)
		return fail("unexpected argument '%s'", argv[optind]);
	return 0;
}

static int port_init(void)
{
	struct rte_eth_dev_info info;
	uint32_t room, nb_mbufs;
	uint16_t nq;
	int rc;

	if (rte_eth_dev_count_avail() != 1)
		return fail("want exactly one port (--vdev net_virtio_user0,path=...), got %u",
		            rte_eth_dev_count_avail());
	port_id = (uint16_t)rte_eth_find_next(0);
	if ((rc = rte_eth_dev_info_get(port_id, &info)) != 0)
		return fail("dev_info_get: %s", rte_strerror(-rc));
	max_queues = RTE_MIN(info.max_rx_queues, info.max_tx_queues);
	max_queues = RTE_MIN(max_queues, (uint16_t)MAX_QUEUES);
	nq = (uint16_t)(opt.queues ? opt.queues : max_queues);
	if (nq > info.max_rx_queues || nq > info.max_tx_queues)
		return fail("--queues %u: the device has %u rx / %u tx queues", nq,
		            info.max_rx_queues, info.max_tx_queues);
	if (opt.mtu > info.max_mtu || opt.mtu < info.min_mtu)
		return fail("the device refuses MTU %" PRIu64 " (range %u..%u)", opt.mtu,
		            info.min_mtu, info.max_mtu);
	room = opt.mtu > RTE_ETHER_MTU ? JUMBO_ROOM : RTE_MBUF_DEFAULT_BUF_SIZE;
	room = RTE_MAX(room, (uint32_t)opt.mtu + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN +
	                             RTE_PKTMBUF_HEADROOM);
	buf_room = room - RTE_PKTMBUF_HEADROOM;
	/* enough for every queue set-queues may turn on: queues it turns off keep their mbufs */
	nb_mbufs =
	        opt.mbufs ? (uint32_t)opt.mbufs : max_queues * (2u * RING_SIZE + 2u * BURST) + 1024;
	pool = rte_pktmbuf_pool_create("kvsg_pool", nb_mbufs, 256, 0, (uint16_t)room,
	                               (int)rte_socket_id());
	if (pool == NULL)
		return fail("mbuf pool of %u x %u bytes: %s", nb_mbufs, room,
		            rte_strerror(rte_errno));
	/* lsc: virtio-user in server mode re-accepts a restarted switch from its LSC
	 * interrupt handler, so a guest survives kvswitchd restarts */
	port_conf.rxmode.mtu = (uint32_t)opt.mtu;
	port_conf.intr_conf.lsc = 1;
	if (port_start_queues(nq) < 0)
		return -1;
	if (rte_eth_promiscuous_enable(port_id) != 0)
		fprintf(stderr, "kvs-guest: no promiscuous mode, continuing\n");
	if (rte_is_zero_ether_addr(&opt.mac))
		rte_eth_macaddr_get(port_id, &opt.mac);
	fprintf(stderr,
	        "kvs-guest: port %u up: %u of %u queue pairs (%u/%u descriptors), MTU %" PRIu64
	        ", %u mbufs of %u bytes\n",
	        port_id, nq, max_queues, nb_rxd, nb_txd, opt.mtu, nb_mbufs, room);
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

int main(int argc, char **argv)
{
	unsigned int iter = 0;
	int ret, fd;

	/* JSON answers go to a private copy of stdout; whatever else prints on stdout (EAL and
	 * driver logs) lands on stderr. */
	fd = dup(STDOUT_FILENO);
	out = fd < 0 ? NULL : fdopen(fd, "w");
	if (out == NULL || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		perror("kvs-guest: stdout");
		return 1;
	}
	rte_openlog_stream(stderr);
	signal(SIGPIPE, SIG_IGN);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "kvs-guest: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	tsc_hz = rte_get_tsc_hz();
	if (parse_options(argc - ret, argv + ret) < 0 || port_init() < 0) {
		if (strcmp(errmsg, "help") != 0)
			fprintf(stderr, "kvs-guest: %s\n", errmsg);
		fprintf(stderr, "usage: kvs-guest EAL-ARGS --vdev net_virtio_user0,path=SOCK"
		                "[,queues=N][,server=1] -- [--mac MAC] [--ip A.B.C.D/LEN] [--id N] "
		                "[--queues N] [--mtu N] [--mbufs N]\n");
		rte_eal_cleanup();
		return strcmp(errmsg, "help") == 0 ? 0 : 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!quit) {
		if (service(0) == 0 || (++iter & 63) == 0)
			read_commands();
	}
	if (gen.active)
		job_drop_pending(&gen);
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	rte_eal_cleanup();
	fprintf(stderr, "kvs-guest: bye\n");
	return 0;
}
