/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-bench-gen: the benchmark's traffic generator (bench/gen/README.md). A single-lcore DPDK
 * process with two virtio-user ports, A (port 0) and B (port 1), attached to two vhost-user
 * ports of the switch under test; bench/kvsbench runs it.
 *
 * This file is the process: options (gen_opts.c, parsed before EAL, so a usage error costs
 * nothing), EAL and ports, waiting for link, the learning phase and warm-up, then one of the
 * measurement loops (gen_closed.c, gen_open.c), and the JSON report on stdout. Exit status: 0 done
 * (also after SIGINT/SIGTERM, the report says "interrupted"), 1 runtime error, 2 usage error.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "gen.h"

#define DEFAULT_RING    256 /* virtio-user's queue_size when the vdev does not set it */
#define LEARN_TIMEOUT_S 30

struct gen_stats gen_st;
uint16_t gen_port[2];
struct rte_mempool *gen_pool;
uint64_t gen_tsc_hz;
volatile sig_atomic_t gen_stop;

static FILE *out; /* the real stdout: the report only */
static uint64_t learn_frames, learn_tsc, warmup_rx;
static bool port_started[2];

/* ---- ports ---- */

/* virtio-user fills every rx descriptor at start: the pool must cover the rings it was given. */
static uint32_t ring_size(uint16_t port)
{
	struct rte_eth_dev_info info;
	const struct rte_devargs *da;
	const char *qs;

	if (rte_eth_dev_info_get(port, &info) != 0 || info.device == NULL)
		return DEFAULT_RING;
	da = rte_dev_devargs(info.device);
	qs = da != NULL && da->args != NULL ? strstr(da->args, "queue_size=") : NULL;
	return qs != NULL ? (uint32_t)RTE_MAX(atoi(qs + strlen("queue_size=")), 1) : DEFAULT_RING;
}

/* Zeroes each mbuf's data room once, so frames' padding is zeros without a memset per frame. */
static void zero_room(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct rte_mbuf *m = obj;

	(void)mp;
	(void)arg;
	(void)idx;
	memset(m->buf_addr, 0, m->buf_len);
}

static int pool_create(void)
{
	/* virtio refuses rx buffers smaller than its MTU (1500) unless scattering; a 64-byte
	 * frame only touches the first cache line of its buffer anyway */
	uint16_t room = RTE_MBUF_DEFAULT_BUF_SIZE;
	uint32_t n, rings = 0;
	unsigned int s;

	for (s = 0; s < 2; s++)
		rings += 2 * gen_opt.queues * ring_size(gen_port[s]);
	n = rings + 2 * gen_opt.inflight + 4 * gen_opt.queues * GEN_BURST + 2048;
	gen_pool = rte_pktmbuf_pool_create("gen_pool", n, 256, 0, room, (int)rte_socket_id());
	if (gen_pool == NULL) {
		fprintf(stderr, "kvs-bench-gen: mbuf pool of %u x %u bytes: %s (more -m?)\n", n,
			room, rte_strerror(rte_errno));
		return -1;
	}
	rte_mempool_obj_iter(gen_pool, zero_room, NULL);
	return 0;
}

static int port_setup(enum gen_side s)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t port = gen_port[s], q, nrxd = 4096, ntxd = 4096;
	const char *name = s == GEN_A ? "A" : "B";
	int rc;

	if ((rc = rte_eth_dev_info_get(port, &info)) != 0)
		goto fail;
	if (info.max_rx_queues < gen_opt.queues || info.max_tx_queues < gen_opt.queues) {
		fprintf(stderr,
			"kvs-bench-gen: port %s has %u queue pairs, --queues %u (set the vdev's "
			"queues=)\n",
			name, RTE_MIN(info.max_rx_queues, info.max_tx_queues), gen_opt.queues);
		return -1;
	}
	/* lsc: what lets virtio-user in server mode take a reconnecting switch back */
	conf.intr_conf.lsc = 1;
	if ((rc = rte_eth_dev_configure(port, gen_opt.queues, gen_opt.queues, &conf)) != 0 ||
	    (rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrxd, &ntxd)) != 0)
		goto fail;
	for (q = 0; q < gen_opt.queues; q++) {
		/* virtio caps the descriptors to its ring (queue_size=) */
		if ((rc = rte_eth_rx_queue_setup(port, q, nrxd, SOCKET_ID_ANY, NULL, gen_pool)) !=
			    0 ||
		    (rc = rte_eth_tx_queue_setup(port, q, ntxd, SOCKET_ID_ANY, NULL)) != 0)
			goto fail;
	}
	if ((rc = rte_eth_dev_start(port)) != 0)
		goto fail;
	port_started[s] = true;
	rte_eth_promiscuous_enable(port); /* virtio-user without a control queue refuses: fine */
	return 0;
fail:
	fprintf(stderr, "kvs-bench-gen: port %s setup: %s\n", name, rte_strerror(-rc));
	return -1;
}

static bool link_up(uint16_t port)
{
	struct rte_eth_link lk = {0};

	return rte_eth_link_get_nowait(port, &lk) == 0 && lk.link_status == RTE_ETH_LINK_UP;
}

static int wait_link(void)
{
	uint64_t end = rte_rdtsc() + gen_sec_to_tsc(gen_opt.link_timeout);

	while (!(link_up(gen_port[GEN_A]) && link_up(gen_port[GEN_B]))) {
		if (gen_stop)
			return -1;
		if (rte_rdtsc() > end) {
			fprintf(stderr, "kvs-bench-gen: link of port%s%s not up after %g s\n",
				link_up(gen_port[GEN_A]) ? "" : " A",
				link_up(gen_port[GEN_B]) ? "" : " B", gen_opt.link_timeout);
			return -1;
		}
		rte_delay_us_sleep(10000);
	}
	return 0;
}

/* ---- learning and warm-up ---- */

uint64_t gen_rx_discard(void)
{
	struct rte_mbuf *m[GEN_BURST];
	uint64_t total = 0;
	uint16_t s, q, n;

	for (s = 0; s < 2; s++) {
		for (q = 0; q < gen_opt.queues; q++) {
			n = rte_eth_rx_burst(gen_port[s], q, m, GEN_BURST);
			rte_pktmbuf_free_bulk(m, n);
			total += n;
		}
	}
	return total;
}

uint64_t gen_drain(uint64_t (*poll)(void), uint64_t idle_ms, uint64_t max_ms)
{
	uint64_t now = rte_rdtsc(), idle_since = now, end = now + max_ms * gen_tsc_hz / 1000;
	uint64_t total = 0, n;

	while (now < end && now - idle_since < idle_ms * gen_tsc_hz / 1000) {
		n = poll();
		now = rte_rdtsc();
		if (n != 0)
			idle_since = now;
		total += n;
	}
	return total;
}

/* gen_ipv4_cksum() writes the checksum without reading the header back: before any frame
 * is sent, check one against the library's (0 over a header whose checksum is right). */
static int frame_check(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(gen_pool);
	int rc = 0;

	if (m == NULL) {
		fprintf(stderr, "kvs-bench-gen: mbuf pool empty at start\n");
		return -1;
	}
	gen_frame_build(m, GEN_B, 0xabcdef, 70000, 0, 1);
	if (gen_opt.shape == GEN_SHAPE_UDP &&
	    rte_ipv4_cksum(rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, GEN_L3_OFF)) != 0) {
		fprintf(stderr, "kvs-bench-gen: a built frame's IPv4 header checksum is wrong\n");
		rc = -1;
	}
	rte_pktmbuf_free(m);
	return rc;
}

/* One burst of learning frames from side s, MAC pairs [f, f + n): sent until the ring takes them,
 * draining the ports meanwhile. */
static int learn_burst(enum gen_side s, uint16_t q, uint32_t f, uint16_t n, uint64_t deadline)
{
	struct rte_mbuf *m[GEN_BURST];
	uint16_t i, k = 0;

	if (rte_pktmbuf_alloc_bulk(gen_pool, m, n) != 0) {
		fprintf(stderr, "kvs-bench-gen: mbuf pool empty while learning\n");
		return -1;
	}
	for (i = 0; i < n; i++)
		gen_frame_build(m[i], s, f + i, 0, GEN_STREAM_LEARN, 0);
	for (;;) {
		k = (uint16_t)(k + rte_eth_tx_burst(gen_port[s], q, m + k, (uint16_t)(n - k)));
		if (k == n)
			break;
		warmup_rx += gen_rx_discard();
		if (gen_stop || rte_rdtsc() > deadline) {
			rte_pktmbuf_free_bulk(m + k, n - k);
			if (!gen_stop)
				fprintf(stderr,
					"kvs-bench-gen: switch not taking learning frames "
					"(%d s)\n",
					LEARN_TIMEOUT_S);
			return -1;
		}
	}
	learn_frames += n;
	return 0;
}

/* Every MAC of both sides sends learn_rounds frames to its peer, so that the switch knows all
 * of them before the measurement (it floods the first ones). Bursts alternate between the sides
 * and go round robin over the queues. */
static int learn(void)
{
	uint64_t start = rte_rdtsc(), deadline = start + gen_sec_to_tsc(LEARN_TIMEOUT_S);
	uint32_t r, f;
	uint16_t n, q = 0;

	for (r = 0; r < gen_opt.learn_rounds; r++) {
		for (f = 0; f < gen_opt.macs; f += n) {
			n = (uint16_t)RTE_MIN(gen_opt.macs - f, (uint32_t)GEN_BURST);
			if (learn_burst(GEN_A, q, f, n, deadline) < 0 ||
			    learn_burst(GEN_B, q, f, n, deadline) < 0)
				return -1;
			q = (uint16_t)((q + 1) % gen_opt.queues);
			warmup_rx += gen_rx_discard();
		}
	}
	learn_tsc = rte_rdtsc() - start;
	return 0;
}

static void warm_up(void)
{
	uint64_t end = rte_rdtsc() + gen_sec_to_tsc(gen_opt.warmup);

	while (!gen_stop && rte_rdtsc() < end)
		warmup_rx += gen_rx_discard();
}

/* ---- progress and report ---- */

void gen_event(const char *name)
{
	if (!gen_opt.events)
		return;
	fprintf(out, "{\"event\": \"%s\"}\n", name);
	fflush(out);
}

void gen_event_quiet(const char *name)
{
	char line[64];

	gen_event(name);
	if (gen_opt.events && gen_opt.event_ack && fgets(line, sizeof(line), stdin) == NULL)
		fprintf(stderr, "kvs-bench-gen: no answer to the %s event (stdin closed)\n", name);
}

static void progress(uint64_t now)
{
	static uint64_t next, last_rx, last_tx, last_tsc;
	double dt;

	if (!gen_opt.progress)
		return;
	if (next == 0) {
		last_tsc = gen_st.start_tsc;
		next = last_tsc + gen_tsc_hz;
	}
	if (now < next)
		return;
	dt = (double)(now - last_tsc) / (double)gen_tsc_hz;
	fprintf(stderr, "{\"t\": %.3f, \"rx_pps\": %.0f, \"tx_pps\": %.0f}\n",
		(double)(now - gen_st.start_tsc) / (double)gen_tsc_hz,
		(double)(gen_st.rx_frames - last_rx) / dt,
		(double)(gen_st.tx_frames - last_tx) / dt);
	last_rx = gen_st.rx_frames;
	last_tx = gen_st.tx_frames;
	last_tsc = now;
	next = now + gen_tsc_hz;
}

uint64_t gen_pass_done(uint64_t start, uint64_t busy)
{
	uint64_t now = rte_rdtsc();

	if (busy == 0)
		gen_st.idle_tsc += now - start;
	progress(now);
	return now;
}

static json_t *u64_array(const uint64_t *v, unsigned int n)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i]));
	return a;
}

static void report(void)
{
	const struct gen_stats *st = &gen_st;
	uint64_t per_q[GEN_MAX_QUEUES] = {0};
	double secs = st->end_tsc > st->start_tsc
			      ? (double)(st->end_tsc - st->start_tsc) / (double)gen_tsc_hz
			      : 0;
	bool closed = gen_opt.mode == GEN_CLOSED;
	double idle_pct = 0;
	int64_t lost;
	json_t *o, *ports;
	unsigned int q, s;

	if (secs > 0)
		idle_pct = 100.0 * (double)st->idle_tsc / (double)(st->end_tsc - st->start_tsc);
	if (closed)
		lost = (int64_t)st->lost_in_flight;
	else
		lost = (int64_t)st->tx_frames - (int64_t)(st->rx_frames - st->duplicates);
	for (q = 0; q < gen_opt.queues; q++)
		per_q[q] = st->rx_q[GEN_A][q] + st->rx_q[GEN_B][q];
	ports = json_object();
	for (s = 0; s < 2; s++)
		json_object_set_new(ports, s == GEN_A ? "A" : "B",
				    json_pack("{s:o, s:o}", "rx_queue",
					      u64_array(st->rx_q[s], gen_opt.queues), "tx_queue",
					      u64_array(st->tx_q[s], gen_opt.queues)));
	o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:f, s:f}",
		      "mode", closed ? "closed" : "open", "shape",
		      gen_opt.shape == GEN_SHAPE_UDP ? "udp" : "raw", "size",
		      (json_int_t)gen_opt.size, "queues", (json_int_t)gen_opt.queues, "macs",
		      (json_int_t)gen_opt.macs, "flows", (json_int_t)gen_opt.flows, "duration_s",
		      round(secs * 1e6) / 1e6, "warmup_s", gen_opt.warmup, "tx_frames",
		      (json_int_t)st->tx_frames, "rx_frames", (json_int_t)st->rx_frames, "lost",
		      (json_int_t)lost, "tx_fail", (json_int_t)st->tx_fail, "rx_pps",
		      secs > 0 ? round((double)st->rx_frames / secs) : 0.0, "tx_pps",
		      secs > 0 ? round((double)st->tx_frames / secs) : 0.0);
	if (o == NULL) {
		fprintf(stderr, "kvs-bench-gen: cannot build the report\n");
		return;
	}
	if (closed) {
		json_object_set_new(o, "inflight", json_integer(gen_opt.inflight));
		json_object_set_new(o, "reordered",
				    json_null()); /* not measured: see gen_closed.c */
		json_object_set_new(o, "duplicates", json_null());
	} else {
		json_object_set_new(o, "rate", json_integer((json_int_t)gen_opt.rate));
		json_object_set_new(o, "bidir", json_boolean(gen_opt.bidir));
		json_object_set_new(o, "reordered", json_integer((json_int_t)st->reordered));
		json_object_set_new(o, "duplicates", json_integer((json_int_t)st->duplicates));
	}
	json_object_set_new(o, "foreign", json_integer((json_int_t)st->foreign));
	json_object_set_new(o, "malformed", json_integer((json_int_t)st->malformed));
	json_object_set_new(o, "latency_ns", gen_hist_json(&st->lat, gen_tsc_hz));
	json_object_set_new(o, "per_queue_rx", u64_array(per_q, gen_opt.queues));
	json_object_set_new(o, "per_port", ports);
	json_object_set_new(o, "learn",
			    json_pack("{s:I, s:f, s:I}", "frames", (json_int_t)learn_frames,
				      "seconds",
				      round((double)learn_tsc / (double)gen_tsc_hz * 1e3) / 1e3,
				      "rx_ignored", (json_int_t)warmup_rx));
	json_object_set_new(o, "gen_idle_pct", json_real(round(idle_pct * 10) / 10));
	/* frames per non-empty rx burst: how the switch delivers them (informational) */
	json_object_set_new(
		o, "gen_rx_burst",
		json_real(st->rx_bursts
				  ? round((double)st->rx_frames / (double)st->rx_bursts * 10) / 10
				  : 0.0));
	json_object_set_new(o, "interrupted", json_boolean(gen_stop));
	json_object_set_new(o, "tsc_hz", json_integer((json_int_t)gen_tsc_hz));
	json_dumpf(o, out, JSON_REAL_PRECISION(12));
	fputc('\n', out);
	fflush(out);
	json_decref(o);
}

/* ---- process ---- */

static void on_stop(int sig)
{
	(void)sig;
	gen_stop = 1;
}

static void on_alarm(int sig)
{
	static const char msg[] = "kvs-bench-gen: no vhost-user connection before --link-timeout "
				  "(is the switch up, and server=1 only where the switch is the "
				  "client?)\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do about it */
	}
	_exit(1);
}

static int find_ports(void)
{
	uint16_t id, n = 0;

	RTE_ETH_FOREACH_DEV(id)
	{
		if (n < 2)
			gen_port[n] = id;
		n++;
	}
	if (n != 2) {
		fprintf(stderr,
			"kvs-bench-gen: want exactly two ports (two --vdev net_virtio_user), got "
			"%u\n",
			n);
		return -1;
	}
	return 0;
}

static void ports_close(void)
{
	unsigned int s;

	for (s = 0; s < 2; s++) {
		if (!port_started[s])
			continue;
		rte_eth_dev_stop(gen_port[s]);
		rte_eth_dev_close(gen_port[s]);
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_stop};
	int i, fd, rc = 1;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	if (i == argc)
		gen_usage_error("no '--' before the generator's options");
	gen_opts_parse(argc - i, argv + i);

	/* The report goes to a private copy of stdout; EAL and driver logs on stdout go to
	 * stderr. */
	fd = dup(STDOUT_FILENO);
	out = fd < 0 ? NULL : fdopen(fd, "w");
	if (out == NULL || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		perror("kvs-bench-gen: stdout");
		return 1;
	}
	rte_openlog_stream(stderr);
	/* virtio-user in server mode waits for the switch inside rte_eal_init */
	signal(SIGALRM, on_alarm);
	alarm((unsigned int)ceil(gen_opt.link_timeout));
	if (rte_eal_init(i, argv) < 0) {
		fprintf(stderr, "kvs-bench-gen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	alarm(0);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	gen_tsc_hz = rte_get_tsc_hz();

	if (find_ports() < 0 || pool_create() < 0 || frame_check() < 0 || port_setup(GEN_A) < 0 ||
	    port_setup(GEN_B) < 0)
		goto out;
	if (wait_link() < 0 || learn() < 0) {
		if (!gen_stop)
			goto out;
	}
	warm_up();
	gen_drain(gen_rx_discard, 10, 100);
	if (!gen_stop)
		rc = gen_opt.mode == GEN_CLOSED ? gen_closed_run() : gen_open_run();
	else
		rc = 0;
	if (rc == 0)
		report();
	rc = rc == 0 ? 0 : 1;
out:
	ports_close();
	rte_eal_cleanup();
	return rc;
}
