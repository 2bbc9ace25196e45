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
 * This file is the process: options, the command loop and the command handlers, which answer
 * in JSON; guest_port.c sets the port up and attaches it again. The data path they drive
 * (generated frames and their format, pacing, receive accounting, the responder) is
 * guest_traffic.c and guest_tcp.c; guest.h is what these files share.
 *
 * Commands (key=value arguments; a mistake answers {"error": "..."} and changes nothing):
 *   link [timeout_ms=5000]                                  {"link": bool, "queues": n}
 *   send dst=MAC [src=MAC vlan=N pcp=N count=1 size=64 queue=0|Q|all stream=0 ethertype=0x88b5
 *        raw=HEX pps=50000 (0: as fast as possible) srcs=1 (N: the source MAC's low 24 bits
 *        step through N values, a MAC spray)]                {"sent": n, "failed": m}
 *   stream start dst=MAC [same as send but count and raw, pps=10000]    {"ok": true}
 *   stream stop                                             {"sent": n, "failed": m}
 *   quiet [idle_ms=200 timeout_ms=5000]: until nothing arrived for idle_ms  {"ok": true, "idle": b}
 *   ping ip=A.B.C.D [count=3 timeout_ms=3000 interval_ms=0 vlan=N]
 *        {"arp": b, "peer_mac", "sent", "received"[, "rtt_us": {min, avg, p50, p99, max}]}
 *        echo requests one at a time, interval_ms apart (0: back to back); rtt_us when any
 *        was answered
 *   set-queues n=N: use N queue pairs from now on (1..the vdev's queues=), what
 *        "ethtool -L eth0 combined N" does in a Linux guest                 {"queues": n}
 *   send-tcp dst=MAC [src=MAC vlan=N v6=0 gso=1 partial=1 payload=60000 mss=1448 count=1
 *        bad=none|mss0|not_tcp|csum_start]: TCP frames as a guest kernel hands them to its
 *        virtio-net device (needs --offloads), in sequence                  {"sent": n}
 *   offloads: what the device uses  {"tx_csum": b, "tx_tso": b, "rx_csum": b, "rx_lro": b}
 *   rx-hold [on=1]: stop (on=0: resume) reading the rx rings, as a guest that stopped
 *        draining them                                          {"rx_hold": bool}
 *   stats, reset, queues, quit (also on EOF, SIGINT, SIGTERM)
 *
 * --reconnect-ms N (vhost-user client mode): DPDK 22.11's virtio-user never connects again once
 * the switch's socket closes; QEMU does, with -chardev ...,reconnect=. With this option the guest
 * does too: once its link has been down a little, it detaches the device and attaches it again
 * every N ms until the switch accepts, then restarts the port with the queues it had (the stream
 * carries on, its frames counted as failed meanwhile).
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

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "guest.h"

#define MAX_MTU        16000
#define MAX_LINE       65536
#define KVSG_ETHERTYPE 0x88b5

struct args {
	const char *cmd;
	int n;
	char *key[32], *val[32];
	bool used[32];
};

struct options opt = {.mtu = 9000};
uint64_t tsc_hz;

static volatile sig_atomic_t quit;
static FILE *out;
char errmsg[512];
static uint8_t raw_buf[MAX_MTU + 64];

int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	return -1;
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

void __attribute__((format(printf, 1, 2))) jprintf(const char *fmt, ...)
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

void jmac(const char *prefix, const struct rte_ether_addr *a)
{
	const uint8_t *b = a->addr_bytes;

	jprintf("%s\"%02x:%02x:%02x:%02x:%02x:%02x\"", prefix, b[0], b[1], b[2], b[3], b[4], b[5]);
}

static void respond(void)
{
	fwrite(jb.p, 1, jb.len, out);
	fputc('\n', out);
	if (fflush(out) != 0)
		quit = 1; /* nobody is listening any more */
	jb.len = 0;
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
	uint64_t vlan = 0, pcp = 0, size = 64, stream = 0, ethertype = KVSG_ETHERTYPE, srcs = 1;
	int has_dst = 0, has_vlan = 0, has_pcp = 0, has_raw = 0;

	memset(fs, 0, sizeof(*fs));
	rte_ether_addr_copy(&opt.mac, &fs->src);
	if ((has_dst = arg_mac(a, "dst", &fs->dst)) < 0 || arg_mac(a, "src", &fs->src) < 0 ||
	    (has_vlan = arg_u64(a, "vlan", 0, RTE_ETHER_MAX_VLAN_ID, &vlan)) < 0 ||
	    (has_pcp = arg_u64(a, "pcp", 0, 7, &pcp)) < 0 ||
	    arg_u64(a, "size", RTE_ETHER_HDR_LEN, buf_room, &size) < 0 ||
	    arg_u64(a, "stream", 0, UINT16_MAX, &stream) < 0 ||
	    arg_u64(a, "ethertype", 0, UINT16_MAX, &ethertype) < 0 ||
	    arg_u64(a, "srcs", 1, 1u << 24, &srcs) < 0 || arg_queue(a, &fs->queue) < 0 ||
	    (allow_raw && (has_raw = arg_raw(a, fs)) < 0))
		return -1;
	if (!has_dst && !has_raw)
		return fail("%s: dst=MAC is required", a->cmd);
	fs->vlan = has_vlan || has_pcp ? (int)vlan : -1; /* pcp alone: priority tag, VLAN 0 */
	fs->pcp = (uint8_t)pcp;
	fs->stream = (uint16_t)stream;
	fs->ethertype = (uint16_t)ethertype;
	fs->srcs = (uint32_t)srcs;
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
		port_watch();
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

static int cmd_send_tcp(struct args *a)
{
	static const char *const bads[] = {"none", "mss0", "not_tcp", "csum_start"};
	uint64_t v6 = 0, gso = 1, partial = 1, payload = 60000, mss = 1448, count = 1, sent;
	struct tcp_spec ts;
	const char *bad = arg_get(a, "bad");
	unsigned int b = 0;

	if (parse_frame_spec(a, &ts.fs, false) < 0 || arg_u64(a, "v6", 0, 1, &v6) < 0 ||
	    arg_u64(a, "gso", 0, 1, &gso) < 0 || arg_u64(a, "partial", 0, 1, &partial) < 0 ||
	    arg_u64(a, "payload", 0, 65000, &payload) < 0 || arg_u64(a, "mss", 1, 9000, &mss) < 0 ||
	    arg_u64(a, "count", 1, 100000, &count) < 0)
		return -1;
	while (bad != NULL && b < RTE_DIM(bads) && strcmp(bad, bads[b]) != 0)
		b++;
	if (b == RTE_DIM(bads))
		return fail("send-tcp: bad=%s (want none|mss0|not_tcp|csum_start)", bad);
	if (ts.fs.srcs > 1)
		return fail("send-tcp: srcs= is for send and stream only");
	if (args_check(a) < 0)
		return -1;
	ts.v6 = v6, ts.gso = gso, ts.partial = partial;
	ts.payload = (uint32_t)payload, ts.mss = (uint32_t)mss, ts.count = count;
	ts.bad = (enum tcp_bad)b;
	if (tcp_send(&ts, &sent) < 0)
		return fail("send-tcp: out of mbufs after %" PRIu64 " frames", sent);
	jprintf("{\"sent\": %" PRIu64 "}", sent);
	return 0;
}

/* What the device negotiated with the switch, as the port's offload configuration. */
static int cmd_offloads(struct args *a)
{
	if (args_check(a) < 0)
		return -1;
	jprintf("{\"tx_csum\": %s, \"tx_tso\": %s, \"rx_csum\": %s, \"rx_lro\": %s}",
		port_conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM ? "true" : "false",
		port_conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO ? "true" : "false",
		port_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TCP_CKSUM ? "true" : "false",
		port_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO ? "true" : "false");
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

static int cmd_stats(struct args *a)
{
	if (args_check(a) < 0)
		return -1;
	stats_json();
	return 0;
}

static int cmd_reset(struct args *a)
{
	if (args_check(a) < 0)
		return -1;
	stats_reset();
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

static int cmd_ping(struct args *a)
{
	uint64_t count = 3, timeout = 3000, interval = 0, vlan = 0;
	const char *ip = arg_get(a, "ip");
	struct frame_spec fs = {.vlan = -1};
	struct ping_result res;
	struct in_addr in;
	int has_vlan = 0;

	if (arg_u64(a, "count", 0, UINT16_MAX, &count) < 0 ||
	    arg_u64(a, "timeout_ms", 0, 3600000, &timeout) < 0 ||
	    arg_u64(a, "interval_ms", 0, 60000, &interval) < 0 ||
	    (has_vlan = arg_u64(a, "vlan", 0, RTE_ETHER_MAX_VLAN_ID, &vlan)) < 0 ||
	    args_check(a) < 0)
		return -1;
	if (ip == NULL || inet_pton(AF_INET, ip, &in) != 1)
		return fail("ping: ip=A.B.C.D is required");
	if (opt.ip == 0)
		return fail("ping: this guest has no --ip");
	fs.vlan = has_vlan ? (int)vlan : -1;
	rte_ether_addr_copy(&opt.mac, &fs.src);
	ping_run(&fs, in.s_addr, count, timeout, interval, &res);
	jprintf("{\"arp\": %s, \"peer_mac\": ", res.arp_ok ? "true" : "false");
	if (res.arp_ok)
		jmac("", &res.peer);
	else
		jprintf("null");
	jprintf(", \"sent\": %" PRIu64 ", \"received\": %" PRIu64, res.sent, res.received);
	if (res.received)
		jprintf(", \"rtt_us\": {\"min\": %.1f, \"avg\": %.1f, \"p50\": %.1f, "
			"\"p99\": %.1f, \"max\": %.1f}",
			res.rtt_min_us, res.rtt_avg_us, res.rtt_p50_us, res.rtt_p99_us,
			res.rtt_max_us);
	jprintf("}");
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

static int cmd_rx_hold(struct args *a)
{
	uint64_t on = 1;

	if (arg_u64(a, "on", 0, 1, &on) < 0 || args_check(a) < 0)
		return -1;
	rx_hold = on != 0;
	jprintf("{\"rx_hold\": %s}", rx_hold ? "true" : "false");
	return 0;
}

static int run_command(struct args *a, const char *sub)
{
	static const struct {
		const char *name;
		int (*fn)(struct args *a);
	} cmds[] = {
		{"link", cmd_link},
		{"send", cmd_send},
		{"stats", cmd_stats},
		{"reset", cmd_reset},
		{"quiet", cmd_quiet},
		{"ping", cmd_ping},
		{"queues", cmd_queues},
		{"quit", cmd_quit},
		{"set-queues", cmd_set_queues},
		{"rx-hold", cmd_rx_hold},
		{"send-tcp", cmd_send_tcp},
		{"offloads", cmd_offloads},
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
		{"mac", required_argument, NULL, 'm'},
		{"ip", required_argument, NULL, 'i'},
		{"id", required_argument, NULL, 'd'},
		{"queues", required_argument, NULL, 'q'},
		{"mtu", required_argument, NULL, 't'},
		{"mbufs", required_argument, NULL, 'n'},
		{"reconnect-ms", required_argument, NULL, 'r'},
		{"offloads", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
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
		{'r', &opt.reconnect_ms, 1, 60000},
	};
	static const char *const ol_names[] = {"none", "csum", "tso"};
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
		case 'o':
			for (k = 0; k < RTE_DIM(ol_names) && strcmp(optarg, ol_names[k]) != 0; k++)
				;
			if (k == RTE_DIM(ol_names))
				return fail("bad --offloads '%s' (none|csum|tso)", optarg);
			opt.offloads = k;
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
				"[--queues N] [--mtu N] [--mbufs N] [--reconnect-ms N]\n");
		rte_eal_cleanup();
		return strcmp(errmsg, "help") == 0 ? 0 : 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!quit) {
		if (service(0) == 0 || (++iter & 63) == 0) {
			read_commands();
			port_watch();
		}
	}
	if (gen.active)
		job_drop_pending(&gen);
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	rte_eal_cleanup();
	fprintf(stderr, "kvs-guest: bye\n");
	return 0;
}
