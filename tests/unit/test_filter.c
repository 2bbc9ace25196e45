/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Component tests of eBPF frame filters: the built-in MAC rule program run by
 * librte_bpf, a user's object file (the worked example in configs/filters),
 * a tcpdump expression, refusal of an invalid program, and the filters in
 * the pipeline (ingress before learning, egress per output port), with the
 * mbuf-leak check of dp_test.h.
 */
#include "tests/unit/dp_test.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataplane/bridge.h"
#include "dataplane/fdb.h"
#include "dataplane/filter.h"
#include "dataplane/pipeline.h"

#define MAC_A "52:54:00:00:00:0a"
#define MAC_B "52:54:00:00:00:0b"
#define MAC_X "02:11:22:33:44:55"
#define BCAST "ff:ff:ff:ff:ff:ff"

static char err[512];

static struct filter_rule rule(const char *mac, const char *mask, bool dst, bool allow)
{
	struct filter_rule r = {.match_dst = dst, .allow = allow};

	assert_int_equal(rte_ether_unformat_addr(mac, &r.mac), 0);
	assert_int_equal(rte_ether_unformat_addr(mask, &r.mask), 0);
	return r;
}

static bool pass(const struct filter *f, const char *dst, const char *src, uint16_t type)
{
	struct rte_mbuf *m = test_frame(dst, src, -1, type, 60);
	bool ok = filter_pass(f, m);

	rte_pktmbuf_free(m);
	return ok;
}

static void test_rules_exact_mask_default(void **state)
{
	struct filter_rules r = {.n = 3, .default_allow = false};
	struct filter *f;

	(void)state;
	r.r[0] = rule(MAC_A, "ff:ff:ff:ff:ff:ff", false, true);               /* allow src A */
	r.r[1] = rule(MAC_X, "ff:ff:ff:ff:ff:ff", true, false);               /* deny dst X */
	r.r[2] = rule("02:11:00:00:00:00", "ff:ff:00:00:00:00", false, true); /* allow OUI */
	f = filter_from_rules(&r, err, sizeof(err));
	assert_non_null(f);
	assert_true(pass(f, BCAST, MAC_A, RTE_ETHER_TYPE_IPV4));
	assert_false(pass(f, BCAST, MAC_B, RTE_ETHER_TYPE_IPV4));              /* default deny */
	assert_true(pass(f, BCAST, "02:11:aa:bb:cc:dd", RTE_ETHER_TYPE_IPV4)); /* mask */
	assert_false(pass(f, BCAST, "02:12:aa:bb:cc:dd", RTE_ETHER_TYPE_IPV4));
	/* first match wins: src A allowed even towards X */
	assert_true(pass(f, MAC_X, MAC_A, RTE_ETHER_TYPE_IPV4));
	assert_false(pass(f, MAC_X, "02:11:aa:bb:cc:dd", RTE_ETHER_TYPE_IPV4));
	filter_destroy(f);
	assert_int_equal(test_in_use(), 0);
}

static void test_rules_limits(void **state)
{
	struct filter_rules r = {.n = FILTER_MAX_RULES, .default_allow = true};
	struct filter *f;
	int i;

	(void)state;
	for (i = 0; i < FILTER_MAX_RULES; i++) {
		char mac[18];
		snprintf(mac, sizeof(mac), "02:00:00:00:00:%02x", i);
		r.r[i] = rule(mac, "ff:ff:ff:ff:ff:ff", false, false);
	}
	f = filter_from_rules(&r, err, sizeof(err));
	assert_non_null(f);
	assert_false(pass(f, BCAST, "02:00:00:00:00:1f", RTE_ETHER_TYPE_IPV4)); /* last slot */
	assert_true(pass(f, BCAST, "02:00:00:00:00:20", RTE_ETHER_TYPE_IPV4));
	filter_destroy(f);
	r.n = FILTER_MAX_RULES + 1;
	assert_null(filter_from_rules(&r, err, sizeof(err)));
	assert_non_null(strstr(err, "at most"));
}

/* The rule semantics, written as plainly as possible: the first rule whose
 * field, masked, equals its MAC decides; else the default. */
static bool reference_pass(const struct filter_rules *r, const struct rte_ether_addr *dst,
			   const struct rte_ether_addr *src)
{
	unsigned int i, b;

	for (i = 0; i < r->n; i++) {
		const struct rte_ether_addr *v = r->r[i].match_dst ? dst : src;
		bool hit = true;

		for (b = 0; b < RTE_ETHER_ADDR_LEN; b++)
			if ((v->addr_bytes[b] & r->r[i].mask.addr_bytes[b]) !=
			    (r->r[i].mac.addr_bytes[b] & r->r[i].mask.addr_bytes[b]))
				hit = false;
		if (hit)
			return r->r[i].allow;
	}
	return r->default_allow;
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* MACs from a small universe so rules and frames collide often: duplicates,
 * the same MAC under two masks, runs interrupted by another field. */
static void random_mac(uint64_t *s, struct rte_ether_addr *a)
{
	static const uint8_t oui[3][3] = {
		{0x52, 0x54, 0x00}, {0x02, 0x42, 0xac}, {0xff, 0xff, 0xff}};
	const uint8_t *o = oui[lcg(s) % 3];

	*a = (struct rte_ether_addr){
		{o[0], o[1], o[2], 0, (uint8_t)(lcg(s) % 3), (uint8_t)(lcg(s) % 6)}};
	if (o[0] == 0xff)
		a->addr_bytes[3] = a->addr_bytes[4] = a->addr_bytes[5] = 0xff;
}

/* The compiled runs (filter_abi.h) against reference_pass on random policies
 * of 1 to 32 rules and every mask kind, and random frames. */
static void test_rules_match_reference(void **state)
{
	static const char *masks[] = {"ff:ff:ff:ff:ff:ff", "ff:ff:ff:00:00:00", "ff:ff:ff:ff:00:00",
				      "01:00:00:00:00:00", "00:00:00:00:00:00"};
	uint64_t seed = 42;
	unsigned int policy, i, frames = 0, denied = 0;

	(void)state;
	for (policy = 0; policy < 300; policy++) {
		struct filter_rules r = {.n = (uint16_t)(1 + lcg(&seed) % FILTER_MAX_RULES),
					 .default_allow = lcg(&seed) & 1};
		struct filter *f;

		for (i = 0; i < r.n; i++) {
			random_mac(&seed, &r.r[i].mac);
			/* mostly exact, so long runs form; sometimes a mask */
			rte_ether_unformat_addr(masks[lcg(&seed) % 4 ? 0 : 1 + lcg(&seed) % 4],
						&r.r[i].mask);
			r.r[i].match_dst = lcg(&seed) % 5 == 0;
			r.r[i].allow = lcg(&seed) & 1;
		}
		f = filter_from_rules(&r, err, sizeof(err));
		assert_non_null(f);
		for (i = 0; i < 64; i++) {
			struct rte_ether_addr d, s;
			char ds[RTE_ETHER_ADDR_FMT_SIZE], ss[RTE_ETHER_ADDR_FMT_SIZE];
			bool want;

			/* half the frames carry a rule's own MAC */
			if (i & 1)
				s = r.r[lcg(&seed) % r.n].mac;
			else
				random_mac(&seed, &s);
			random_mac(&seed, &d);
			rte_ether_format_addr(ds, sizeof(ds), &d);
			rte_ether_format_addr(ss, sizeof(ss), &s);
			want = reference_pass(&r, &d, &s);
			if (pass(f, ds, ss, RTE_ETHER_TYPE_IPV4) != want)
				fail_msg("policy %u (%u rules): dst %s src %s: want %s", policy,
					 r.n, ds, ss, want ? "pass" : "drop");
			frames++;
			denied += !want;
		}
		filter_destroy(f);
	}
	/* the draw exercised both verdicts */
	assert_true(denied > frames / 10 && denied < frames - frames / 10);
	assert_int_equal(test_in_use(), 0);
}

static void test_object_file(void **state)
{
	struct filter *f = filter_from_object(SAMPLE_OBJ, NULL, err, sizeof(err));

	(void)state;
	assert_non_null(f);
	assert_non_null(strstr(f->what, "ipv4_arp_only"));
	assert_true(pass(f, BCAST, MAC_A, RTE_ETHER_TYPE_IPV4));
	assert_true(pass(f, BCAST, MAC_A, RTE_ETHER_TYPE_ARP));
	assert_false(pass(f, BCAST, MAC_A, RTE_ETHER_TYPE_IPV6));
	filter_destroy(f);
	assert_null(filter_from_object(SAMPLE_OBJ, "nosuchsection", err, sizeof(err)));
	assert_non_null(strstr(err, "no program in section nosuchsection"));
	assert_null(filter_from_object("/nonexistent.o", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open eBPF object '/nonexistent.o'"));
}

static void test_invalid_program_refused_with_reason(void **state)
{
	(void)state;
	assert_null(filter_from_object(BAD_OBJ, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "refused by the validator"));
	/* the validator's own words, not just "Invalid argument" */
	assert_non_null(strstr(err, "external function"));
}

static void test_expression(void **state)
{
	struct filter *f = filter_from_expression("not ether src " MAC_B, err, sizeof(err));

	(void)state;
	assert_non_null(f);
	assert_true(pass(f, BCAST, MAC_A, RTE_ETHER_TYPE_IPV4));
	assert_false(pass(f, BCAST, MAC_B, RTE_ETHER_TYPE_IPV4));
	filter_destroy(f);
	assert_null(filter_from_expression("ether src not-a-mac", err, sizeof(err)));
	assert_non_null(strstr(err, "expression 'ether src not-a-mac'"));
}

/* ---- hostile programs (security review H2) ---- */

/* Run f on a fresh frame and check that nothing of the mbuf or its buffer
 * (headroom, frame and tailroom) changed.  A change is undone before the
 * test fails, so the pool survives to report it. */
static void run_must_not_write(const struct filter *f, const char *what)
{
	struct rte_mbuf *m = test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 60);
	static uint8_t buf[RTE_MBUF_DEFAULT_BUF_SIZE];
	struct rte_mbuf before = *m;
	uint16_t len = m->buf_len;
	bool same_mbuf, same_buf;

	assert_true(len <= sizeof(buf));
	memcpy(buf, m->buf_addr, len);
	(void)filter_pass(f, m);
	same_mbuf = memcmp(&before, m, sizeof(before)) == 0;
	same_buf = memcmp(buf, before.buf_addr, len) == 0;
	*m = before;
	memcpy(m->buf_addr, buf, len);
	rte_pktmbuf_free(m);
	if (!same_mbuf || !same_buf)
		fail_msg("program '%s' was accepted and changed the %s", what,
			 same_mbuf ? "frame's bytes" : "frame's mbuf");
}

/* Each section of hostile.bpf.c, and the words its refusal must contain. */
static const struct {
	const char *section, *reason;
	bool never_run; /* crashes or reads wild memory if accepted */
} hostile[] = {
	{"data_off", "pc 1: store"},
	{"pkt_len", "store"},
	{"buf_addr", "store"},
	{"pool", "store"},
	{"refcnt", "store"},
	{"frame_write", "load through r1 (the frame's context) at offset 0"},
	{"next_read", "load through r1 (the frame's context) at offset 64", true},
	{"r6_shift", "packet load", true},
	{"spilled_ctx", "pc 3: store through r2", true},
};

static void test_hostile_programs_refused(void **state)
{
	unsigned int i;

	(void)state;
	/* the fields hostile.bpf.c aims at are where it thinks they are */
	assert_int_equal(offsetof(struct rte_mbuf, buf_addr), 0);
	assert_int_equal(offsetof(struct rte_mbuf, data_off), 16);
	assert_int_equal(offsetof(struct rte_mbuf, refcnt), 18);
	assert_int_equal(offsetof(struct rte_mbuf, pkt_len), 36);
	assert_int_equal(offsetof(struct rte_mbuf, data_len), 40);
	assert_int_equal(offsetof(struct rte_mbuf, pool), 56);
	assert_int_equal(offsetof(struct rte_mbuf, next), 64);
	for (i = 0; i < RTE_DIM(hostile); i++) {
		struct filter *f =
			filter_from_object(HOSTILE_OBJ, hostile[i].section, err, sizeof(err));

		if (f != NULL) {
			if (hostile[i].never_run)
				fail_msg("program '%s' accepted", hostile[i].section);
			run_must_not_write(f, hostile[i].section);
			filter_destroy(f);
			continue;
		}
		if (strstr(err, HOSTILE_OBJ) == NULL || strstr(err, hostile[i].reason) == NULL)
			fail_msg("program '%s' refused without '%s': %s", hostile[i].section,
				 hostile[i].reason, err);
		print_message("%-12s %s\n", hostile[i].section, err);
	}
	/* nothing leaked, nothing freed twice */
	assert_int_equal(test_in_use(), 0);
}

/* What the ABI grants stays granted: the frame length (filter_abi.h), stack
 * use through a derived pointer, packet loads, and tcpdump's "len". */
static void test_abi_reads_accepted(void **state)
{
	struct rte_mbuf *m;
	struct filter *f;

	(void)state;
	f = filter_from_object(HOSTILE_OBJ, "len_over_100", err, sizeof(err));
	if (f == NULL)
		fail_msg("%s", err);
	assert_false(pass(f, BCAST, MAC_A, RTE_ETHER_TYPE_IPV4)); /* 60 bytes */
	m = test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 200);
	assert_true(filter_pass(f, m));
	rte_pktmbuf_free(m);
	run_must_not_write(f, "len_over_100");
	filter_destroy(f);

	f = filter_from_object(HOSTILE_OBJ, "stack_ptr", err, sizeof(err));
	if (f == NULL)
		fail_msg("%s", err);
	m = test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 60);
	assert_int_equal(f->jit ? f->jit(m) : rte_bpf_exec(f->bpf, m), 7 + RTE_ETHER_TYPE_IPV4);
	rte_pktmbuf_free(m);
	filter_destroy(f);

	/* what tcpdump users write: packet loads (indirect too, after the IP
	 * header length), cBPF scratch words on the stack, the length */
	static const char *const exprs[] = {
		"tcp port 80",
		"ip and udp dst port 53 and not ip multicast",
		"ip6 or arp",
		"vlan 10",
		"ip[2:2] > 100",
		"ether[0] & 1 != 0",
		"len >= 64 and ip",
		"tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
		"icmp6 and ip6 src net fe80::/10",
	};
	for (unsigned int i = 0; i < RTE_DIM(exprs); i++) {
		f = filter_from_expression(exprs[i], err, sizeof(err));
		if (f == NULL)
			fail_msg("%s", err);
		run_must_not_write(f, exprs[i]);
		filter_destroy(f);
	}

	f = filter_from_expression("greater 100", err, sizeof(err));
	if (f == NULL)
		fail_msg("%s", err);
	assert_false(pass(f, BCAST, MAC_A, RTE_ETHER_TYPE_IPV4));
	m = test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 200);
	assert_true(filter_pass(f, m));
	rte_pktmbuf_free(m);
	run_must_not_write(f, "greater 100");
	filter_destroy(f);
	assert_int_equal(test_in_use(), 0);
}

/* librte_bpf 22.11's x86 JIT miscompiles "jset reg, imm8" (filter_check.c):
 * such a program must run interpreted, and right; others keep the JIT. */
static void test_jset_runs_interpreted(void **state)
{
	struct filter_rules none = {.n = 0, .default_allow = true};
	struct filter *f = filter_from_rules(&none, err, sizeof(err));
	bool have_jit = f != NULL && f->jit != NULL;

	(void)state;
	filter_destroy(f);
	f = filter_from_expression("ether[0] & 1 != 0", err, sizeof(err)); /* group bit */
	if (f == NULL)
		fail_msg("%s", err);
	assert_null(f->jit);
	assert_non_null(strstr(f->what, "(interpreted)"));
	assert_true(pass(f, BCAST, MAC_A, RTE_ETHER_TYPE_IPV4));
	assert_true(pass(f, "01:00:5e:00:00:01", MAC_A, RTE_ETHER_TYPE_IPV4));
	assert_false(pass(f, MAC_B, MAC_A, RTE_ETHER_TYPE_IPV4));
	filter_destroy(f);
	f = filter_from_expression("ether[0:2] & 0x100 != 0", err, sizeof(err)); /* imm32 */
	if (f == NULL)
		fail_msg("%s", err);
	assert_true(have_jit == (f->jit != NULL));
	filter_destroy(f);
	assert_int_equal(test_in_use(), 0);
}

/* ---- the log capture (issue 13 item 8) ---- */

#define MARK "kvs-test-mark"

static unsigned long marks_seen;
static volatile bool logger_stop;
static unsigned long marks_logged;

static ssize_t count_marks(void *cookie, const char *p, size_t n)
{
	size_t i, m = strlen(MARK);

	(void)cookie;
	for (i = 0; i + m <= n; i++)
		if (memcmp(p + i, MARK, m) == 0)
			__atomic_add_fetch(&marks_seen, 1, __ATOMIC_RELAXED);
	return (ssize_t)n;
}

static void *logger(void *arg)
{
	(void)arg;
	while (!logger_stop) {
		rte_log(RTE_LOG_ERR, RTE_LOGTYPE_USER1, MARK "\n");
		marks_logged++;
	}
	return NULL;
}

/* Another thread logs all the time while programs load and are refused:
 * every one of its lines reaches the process's log stream (none vanishes
 * into a load's capture, none is written into a closed stream), and each
 * load still explains itself with the validator's words. */
static void test_log_capture_leaves_other_threads_alone(void **state)
{
	static const cookie_io_functions_t fns = {.write = count_marks};
	FILE *counter = fopencookie(NULL, "w", fns);
	pthread_t t;
	int i, bad = -1;

	(void)state;
	assert_non_null(counter);
	setvbuf(counter, NULL, _IONBF, 0);
	rte_log_set_level(RTE_LOGTYPE_USER1, RTE_LOG_DEBUG);
	rte_openlog_stream(counter);
	assert_int_equal(pthread_create(&t, NULL, logger, NULL), 0);
	for (i = 0; i < 300 && bad < 0; i++) {
		assert_null(filter_from_object(BAD_OBJ, NULL, err, sizeof(err)));
		if (strstr(err, "external function") == NULL)
			bad = i;
	}
	logger_stop = true;
	pthread_join(t, NULL);
	if (bad >= 0)
		fail_msg("load %d explained by another thread's log: %s", bad, err);
	assert_ptr_equal(rte_log_get_stream(), counter); /* put back as it was */
	rte_openlog_stream(NULL);
	fclose(counter);
	print_message("%lu lines logged during 300 loads, %lu reached the stream\n", marks_logged,
		      marks_seen);
	assert_true(marks_logged > 0);
	assert_int_equal(marks_seen, marks_logged);
}

/* ---- the program file (security review M2) ---- */

static char tmpdir[64];

static void copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	assert_int_equal(fchmod(out, mode), 0); /* whatever the umask */
	close(out);
}

static void refused_with(const char *path, const char *why)
{
	struct filter *f = filter_from_object(path, NULL, err, sizeof(err));

	if (f != NULL) {
		filter_destroy(f);
		fail_msg("'%s' accepted; wanted refused: %s", path, why);
	}
	if (strstr(err, path) == NULL || strstr(err, why) == NULL)
		fail_msg("'%s' refused without '%s': %s", path, why, err);
	print_message("%s\n", err);
}

static void on_alarm(int sig)
{
	static const char msg[] = "filter_from_object blocked on a FIFO\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static void test_program_file_rules(void **state)
{
	char ok[128], gw[128], ww[128], ln[128], fifo[128], big[128];
	struct filter *f;
	int fd;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kvs_test_filter.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(ok, sizeof(ok), "%s/ok.bpf.o", tmpdir);
	snprintf(gw, sizeof(gw), "%s/group_writable.bpf.o", tmpdir);
	snprintf(ww, sizeof(ww), "%s/world_writable.bpf.o", tmpdir);
	snprintf(ln, sizeof(ln), "%s/link.bpf.o", tmpdir);
	snprintf(fifo, sizeof(fifo), "%s/fifo.bpf.o", tmpdir);
	snprintf(big, sizeof(big), "%s/big.bpf.o", tmpdir);
	copy_file(SAMPLE_OBJ, ok, 0644);
	copy_file(SAMPLE_OBJ, gw, 0664);
	copy_file(SAMPLE_OBJ, ww, 0606);
	assert_int_equal(symlink(ok, ln), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	fd = open(big, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64 << 20), 0); /* sparse: costs no disk */
	close(fd);

	f = filter_from_object(ok, NULL, err, sizeof(err));
	if (f == NULL)
		fail_msg("%s", err);
	filter_destroy(f);

	/* a FIFO with no writer: refused at once, not a hung control thread */
	signal(SIGALRM, on_alarm);
	alarm(10);
	refused_with(fifo, "is a FIFO, not a regular file");
	alarm(0);
	refused_with(gw, "is group- or world-writable (mode 0664)");
	refused_with(ww, "is group- or world-writable (mode 0606)");
	refused_with(ln, "is a symbolic link");
	refused_with(tmpdir, "is a directory, not a regular file");
	refused_with("/dev/null", "is a character device, not a regular file");
	refused_with(big, "bytes, more than");
	refused_with("/nonexistent.o", "cannot open eBPF object '/nonexistent.o'");
	if (geteuid() == 0) {
		/* kvswitchd as root: a file someone else owns is refused */
		assert_int_equal(chown(ok, 65534, 65534), 0);
		refused_with(ok, "is owned by uid 65534, not root");
	} else {
		print_message("[  SKIP    ] ownership by another user: needs root to chown\n");
	}
	unlink(ok), unlink(gw), unlink(ww), unlink(ln), unlink(fifo), unlink(big);
	assert_int_equal(rmdir(tmpdir), 0);
}

/* ---- in the pipeline ---- */

static struct rte_mbuf *captured[3][64];
static unsigned int n_cap[3];

static uint16_t cap_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n)
{
	unsigned int i, k = *(unsigned int *)p->priv;

	for (i = 0; i < n; i++)
		captured[k][n_cap[k]++] = pkts[i];
	p->tx[pmd].packets += n;
	return n;
}

static uint16_t cap_rx(struct dp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	(void)p, (void)q, (void)pkts, (void)n;
	return 0;
}

static const struct dp_port_ops cap_ops = {.rx_burst = cap_rx, .tx_burst = cap_tx};

static void test_pipeline_ingress_and_egress(void **state)
{
	struct fdb_params fp = {.name = "tf",
				.max_entries = 64,
				.aging_s = 300,
				.max_ports = DP_MAX_PORTS,
				.socket_id = SOCKET_ID_ANY};
	static unsigned int idx[3] = {0, 1, 2};
	struct filter_rules lock = {.n = 1, .default_allow = false};
	struct filter_rules deny_x = {.n = 1, .default_allow = true};
	struct dp_bridge *br = dp_bridge_create("brf", &fp);
	struct dp_pmd_ctx *ctx = dp_pmd_ctx_create(0, SOCKET_ID_ANY, test_pool);
	struct dp_port *p[3];
	struct rte_ether_addr b;
	uint16_t ids[3];
	int i;

	(void)state;
	assert_non_null(br);
	for (i = 0; i < 3; i++) {
		struct dp_port_conf c = {.max_len = 1514, .bridge = br};
		char name[8];

		vlan_set_all(c.vlan.trunks);
		snprintf(name, sizeof(name), "f%d", i);
		p[i] = dp_port_alloc(name, DP_PORT_TEST, &cap_ops, SOCKET_ID_ANY);
		p[i]->priv = &idx[i];
		dp_port_set_conf(p[i], &c);
		dp_port_publish(p[i]);
		ids[i] = p[i]->id;
	}
	dp_bridge_set_members(br, ids, 3);
	/* port 0 may only send from A; port 2 must never receive frames for X */
	lock.r[0] = rule(MAC_A, "ff:ff:ff:ff:ff:ff", false, true);
	deny_x.r[0] = rule(MAC_X, "ff:ff:ff:ff:ff:ff", true, false);
	dp_port_set_filter(p[0], FILTER_DIR_INGRESS, filter_from_rules(&lock, err, sizeof(err)));
	dp_port_set_filter(p[2], FILTER_DIR_EGRESS, filter_from_rules(&deny_x, err, sizeof(err)));
	dp_rcu_flush();

	struct rte_mbuf *burst[4] = {
		test_frame(BCAST, MAC_A, -1, RTE_ETHER_TYPE_ARP, 60),
		test_frame(BCAST, MAC_B, -1, RTE_ETHER_TYPE_ARP, 60), /* spoofed */
		test_frame(MAC_X, MAC_A, -1, RTE_ETHER_TYPE_IPV4, 60),
		test_frame(BCAST, MAC_B, -1, RTE_ETHER_TYPE_ARP, 60), /* spoofed */
	};
	dp_process_burst(ctx, p[0], 0, burst, 4);
	fdb_learn_drain(br->fdb, 1);
	assert_int_equal(p[0]->rxq[0].drops[DP_DROP_FILTER_INGRESS], 2);
	assert_int_equal(n_cap[1], 2); /* A's broadcast and A -> X */
	assert_int_equal(n_cap[2], 1); /* A -> X kept away from port 2 */
	assert_int_equal(p[2]->tx[0].drops[DP_DROP_FILTER_EGRESS], 1);
	rte_ether_unformat_addr(MAC_B, &b);
	assert_int_equal(fdb_lookup(br->fdb, &b, 0), FDB_PORT_NONE); /* never learned */

	/* a filter removed is a filter gone: B passes now */
	dp_port_set_filter(p[0], FILTER_DIR_INGRESS, NULL);
	dp_rcu_flush();
	burst[0] = test_frame(BCAST, MAC_B, -1, RTE_ETHER_TYPE_ARP, 60);
	dp_process_burst(ctx, p[0], 0, burst, 1);
	assert_int_equal(n_cap[1], 3);

	for (i = 0; i < 3; i++) {
		rte_pktmbuf_free_bulk(captured[i], n_cap[i]);
		dp_port_unpublish(p[i]);
		dp_port_free(p[i]);
	}
	dp_pmd_ctx_destroy(ctx);
	dp_bridge_destroy(br);
	dp_rcu_flush();
	assert_int_equal(test_in_use(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_exact_mask_default),
		cmocka_unit_test(test_rules_limits),
		cmocka_unit_test(test_rules_match_reference),
		cmocka_unit_test(test_object_file),
		cmocka_unit_test(test_invalid_program_refused_with_reason),
		cmocka_unit_test(test_expression),
		cmocka_unit_test(test_hostile_programs_refused),
		cmocka_unit_test(test_abi_reads_accepted),
		cmocka_unit_test(test_jset_runs_interpreted),
		cmocka_unit_test(test_program_file_rules),
		cmocka_unit_test(test_log_capture_leaves_other_threads_alone),
		cmocka_unit_test(test_pipeline_ingress_and_egress),
	};

	test_eal_init("test_filter");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
