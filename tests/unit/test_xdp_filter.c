/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Component tests of the kernel half of ingress MAC rules (control/xdp_filter.c
 * and dataplane/bpf/xdp_mac_filter.bpf.c): the compiled XDP object attached
 * to the near end of a veth pair whose far end is in a network namespace.
 * Frames are sent from the namespace with an AF_PACKET socket; with no AF_XDP
 * socket on the queue a passed frame goes to the kernel stack
 * (bpf_redirect_map's fallback), where an AF_PACKET socket on the near end
 * sees it, and a denied one must not appear there but in the map counters.
 * IPv6 is off on the far end, so the namespace sends nothing but the test's
 * frames and the counters are exact.
 * Also: the devargs rewrite, the program file, the errors.
 * Needs root (CAP_BPF, CAP_NET_ADMIN) and iproute2; skips otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "control/xdp_filter.h"
#include "dataplane/xdp_filter_abi.h"

#define ETH_TEST 0x88b5 /* IEEE local experimental: nothing else sends it */
#define BCAST    "ff:ff:ff:ff:ff:ff"
#define MAC_A    "02:11:00:00:00:0a" /* inside the masked rule's OUI, but allowed first */
#define MAC_B    "52:54:00:00:00:0b"
#define MAC_C    "52:54:00:00:00:0c"
#define MAC_X    "52:54:00:00:00:99"
#define MAC_OUI  "02:11:aa:bb:cc:dd"
#define MAC_SHAD "02:11:22:33:44:55" /* an exact rule after the masked one */

static char skip_why[256];
static char ns[32], near_if[IF_NAMESIZE], far_if[IF_NAMESIZE];
static int near_idx, tx_sock = -1, rx_sock = -1;
static struct bpf_object *obj;
static uint32_t seq;

static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* An AF_PACKET socket inside the namespace (the socket keeps its namespace
 * after the thread goes back). */
static int ns_socket(void)
{
	char path[64];
	int self = open("/proc/self/ns/net", O_RDONLY), there, s = -1;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};

	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	there = open(path, O_RDONLY);
	if (self >= 0 && there >= 0 && setns(there, CLONE_NEWNET) == 0) {
		s = socket(AF_PACKET, SOCK_RAW, 0);
		sll.sll_ifindex = (int)if_nametoindex(far_if);
		if (s >= 0 && bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
			close(s);
			s = -1;
		}
		if (setns(self, CLONE_NEWNET) < 0)
			abort(); /* the rest of the test would run in the wrong place */
	}
	if (self >= 0)
		close(self);
	if (there >= 0)
		close(there);
	return s;
}

static int setup(void **state)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_TEST)};
	struct bpf_program *prog;

	(void)state;
	if (geteuid() != 0) {
		snprintf(skip_why, sizeof(skip_why), "needs root (XDP programs, netns)");
		return 0;
	}
	if (run("ip -V >/dev/null 2>&1") != 0) {
		snprintf(skip_why, sizeof(skip_why), "iproute2 (ip) is not installed");
		return 0;
	}
	snprintf(ns, sizeof(ns), "kvsxdpu%d", getpid() % 100000);
	snprintf(near_if, sizeof(near_if), "kvxu%da", getpid() % 100000);
	snprintf(far_if, sizeof(far_if), "kvxu%db", getpid() % 100000);
	if (run("ip netns add %s && ip link add %s type veth peer name %s && "
		"ip link set %s netns %s && ip link set %s up && "
		"ip netns exec %s sysctl -qw net.ipv6.conf.%s.disable_ipv6=1 && "
		"ip netns exec %s ip link set %s up",
		ns, near_if, far_if, far_if, ns, near_if, ns, far_if, ns, far_if) != 0) {
		snprintf(skip_why, sizeof(skip_why), "cannot create a veth pair into a netns");
		return 0;
	}
	near_idx = (int)if_nametoindex(near_if);
	obj = bpf_object__open_file(XDP_OBJ, NULL);
	assert_non_null(obj);
	assert_int_equal(bpf_object__load(obj), 0);
	prog = bpf_object__next_program(obj, NULL); /* the one the PMD takes too */
	assert_non_null(prog);
	tx_sock = ns_socket();
	assert_true(tx_sock >= 0);
	rx_sock = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_TEST));
	assert_true(rx_sock >= 0);
	sll.sll_ifindex = near_idx;
	assert_int_equal(bind(rx_sock, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (tx_sock >= 0)
		close(tx_sock);
	if (rx_sock >= 0)
		close(rx_sock);
	if (near_idx)
		bpf_xdp_detach(near_idx, 0, NULL);
	if (obj)
		bpf_object__close(obj);
	if (ns[0]) {
		run("ip link del %s 2>/dev/null", near_if);
		run("ip netns del %s 2>/dev/null", ns);
	}
	return 0;
}

#define NEED_ROOT()                                                                                \
	do {                                                                                       \
		if (skip_why[0]) {                                                                 \
			print_message("skipped: %s\n", skip_why);                                  \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static void attach(void)
{
	int fd = bpf_program__fd(bpf_object__next_program(obj, NULL));

	assert_int_equal(bpf_xdp_attach(near_idx, fd, XDP_FLAGS_DRV_MODE, NULL), 0);
}

static void drain(void)
{
	char buf[2048];

	while (recv(rx_sock, buf, sizeof(buf), 0) > 0)
		;
}

/* Send n frames dst <- src from the namespace; how many reached the stack
 * on the near end. */
static unsigned int send_frames(const char *dst, const char *src, unsigned int n)
{
	unsigned char f[64] = {0}, buf[2048];
	struct rte_ether_addr a;
	unsigned int i, got = 0, tag = ++seq;
	struct pollfd p = {.fd = rx_sock, .events = POLLIN};

	drain();
	assert_int_equal(rte_ether_unformat_addr(dst, &a), 0);
	memcpy(f, a.addr_bytes, 6);
	assert_int_equal(rte_ether_unformat_addr(src, &a), 0);
	memcpy(f + 6, a.addr_bytes, 6);
	f[12] = ETH_TEST >> 8;
	f[13] = ETH_TEST & 0xff;
	memcpy(f + 14, &tag, sizeof(tag));
	for (i = 0; i < n; i++)
		assert_int_equal(send(tx_sock, f, sizeof(f), 0), (ssize_t)sizeof(f));
	/* the last frame is in the stack well within 200 ms; a denied one never */
	while (poll(&p, 1, 200) > 0) {
		ssize_t len = recv(rx_sock, buf, sizeof(buf), 0);
		if (len >= 18 && memcmp(buf + 14, &tag, sizeof(tag)) == 0)
			got++;
		if (got == n)
			break;
	}
	return got;
}

static struct filter_rule rule(const char *mac, const char *mask, bool dst, bool allow)
{
	struct filter_rule r = {.match_dst = dst, .allow = allow};

	assert_int_equal(rte_ether_unformat_addr(mac, &r.mac), 0);
	assert_int_equal(rte_ether_unformat_addr(mask, &r.mask), 0);
	return r;
}

#define EXACT "ff:ff:ff:ff:ff:ff"

static unsigned int exact_entries(uint32_t *gen_seen)
{
	int fd = bpf_map__fd(bpf_object__find_map_by_name(obj, XDP_MAP_EXACT));
	struct xdp_exact_key k, next;
	void *prev = NULL;
	unsigned int n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (gen_seen)
			*gen_seen = next.gen;
		n++;
		k = next;
		prev = &k;
	}
	return n;
}

static void test_errors(void **state)
{
	struct filter_rules r = {.n = FILTER_MAX_RULES + 1, .default_allow = true};
	struct xdp_filter_stats st;

	(void)state;
	NEED_ROOT();
	assert_int_equal(xdp_filter_apply("kvs-no-such-if", NULL), -ENODEV);
	assert_int_equal(xdp_filter_apply(near_if, NULL), -ENOENT); /* nothing attached yet */
	assert_int_equal(xdp_filter_read_stats(near_if, &st), -ENOENT);
	attach();
	assert_int_equal(xdp_filter_apply(near_if, &r), -EINVAL);
}

static void test_foreign_program(void **state)
{
	/* r0 = XDP_PASS; exit: a program without kvswitch's maps */
	struct bpf_insn insns[] = {
		{.code = 0xb7 /* BPF_ALU64 | BPF_MOV | BPF_K */, .dst_reg = 0, .imm = XDP_PASS},
		{.code = 0x95 /* BPF_JMP | BPF_EXIT */},
	};
	int fd;

	(void)state;
	NEED_ROOT();
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "kvs_foreign", "GPL", insns, 2, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_xdp_attach(near_idx, fd, 0, NULL), 0);
	assert_int_equal(xdp_filter_apply(near_if, NULL), -EPROTO);
	assert_int_equal(bpf_xdp_detach(near_idx, 0, NULL), 0);
	close(fd);
	attach();
}

static void test_no_rules_pass_everything(void **state)
{
	struct xdp_filter_stats st;

	(void)state;
	NEED_ROOT();
	assert_int_equal(xdp_filter_apply(near_if, NULL), 0);
	assert_int_equal(send_frames(BCAST, MAC_B, 5), 5);
	assert_int_equal(send_frames(MAC_X, MAC_OUI, 5), 5);
	assert_int_equal(xdp_filter_read_stats(near_if, &st), 0);
	assert_int_equal(st.n_rules, 0);
	assert_int_equal(exact_entries(NULL), 0);
}

static void test_first_match_exact_masked_src_dst(void **state)
{
	struct filter_rules r = {.n = 5, .default_allow = true};
	struct xdp_filter_stats st, before;

	(void)state;
	NEED_ROOT();
	assert_int_equal(xdp_filter_read_stats(near_if, &before), 0);
	r.r[0] = rule(MAC_A, EXACT, false, true);                              /* allow src A */
	r.r[1] = rule(MAC_X, EXACT, true, false);                              /* deny dst X */
	r.r[2] = rule("02:11:00:00:00:00", "ff:ff:00:00:00:00", false, false); /* deny OUI */
	r.r[3] = rule(MAC_SHAD, EXACT, false, true);                           /* shadowed by r2 */
	r.r[4] = rule(MAC_B, EXACT, false, false);                             /* deny src B */
	assert_int_equal(xdp_filter_apply(near_if, &r), 0);

	assert_int_equal(send_frames(MAC_X, MAC_A, 3), 3);    /* r0 before r1 and r2 */
	assert_int_equal(send_frames(MAC_X, MAC_C, 4), 0);    /* r1 */
	assert_int_equal(send_frames(BCAST, MAC_OUI, 5), 0);  /* r2 */
	assert_int_equal(send_frames(BCAST, MAC_SHAD, 6), 0); /* r2 before exact r3 */
	assert_int_equal(send_frames(BCAST, MAC_B, 7), 0);    /* r4 */
	assert_int_equal(send_frames(BCAST, MAC_C, 2), 2);    /* default allow */
	assert_int_equal(send_frames(MAC_B, MAC_C, 2), 2);    /* r4 is on src only */

	assert_int_equal(xdp_filter_read_stats(near_if, &st), 0);
	assert_int_equal(st.n_rules, 5);
	assert_int_equal(st.rule_denied[0], 0);
	assert_int_equal(st.rule_denied[1], 4);
	assert_int_equal(st.rule_denied[2], 11);
	assert_int_equal(st.rule_denied[3], 0);
	assert_int_equal(st.rule_denied[4], 7);
	assert_int_equal(st.default_denied, 0);
	assert_int_equal(st.denied - before.denied, 22);
}

static void test_default_deny(void **state)
{
	struct filter_rules r = {.n = 1, .default_allow = false};
	struct xdp_filter_stats st;

	(void)state;
	NEED_ROOT();
	r.r[0] = rule("52:54:00:00:00:00", "ff:ff:ff:00:00:00", false, true);
	assert_int_equal(xdp_filter_apply(near_if, &r), 0);
	assert_int_equal(send_frames(BCAST, MAC_B, 3), 3);
	assert_int_equal(send_frames(BCAST, MAC_OUI, 4), 0);
	assert_int_equal(xdp_filter_read_stats(near_if, &st), 0);
	assert_int_equal(st.rule_denied[0], 0);
	assert_int_equal(st.default_denied, 4);
}

/* Each change is a new generation: the exact map ends with the new one's
 * entries only, per-rule counters start again, the total goes on. */
static void test_generations(void **state)
{
	struct filter_rules r = {.n = 2, .default_allow = true};
	struct xdp_filter_stats st, before;
	uint32_t g1 = 0, g2 = 0;

	(void)state;
	NEED_ROOT();
	r.r[0] = rule(MAC_B, EXACT, false, false);
	r.r[1] = rule(MAC_B, EXACT, false, true); /* the same key again: r0 wins */
	assert_int_equal(xdp_filter_apply(near_if, &r), 0);
	assert_int_equal(exact_entries(&g1), 1);
	assert_int_equal(send_frames(BCAST, MAC_B, 3), 0);
	assert_int_equal(xdp_filter_read_stats(near_if, &before), 0);
	assert_int_equal(before.rule_denied[0], 3);

	r.n = 1;
	r.r[0] = rule(MAC_C, EXACT, false, false);
	assert_int_equal(xdp_filter_apply(near_if, &r), 0);
	assert_int_equal(exact_entries(&g2), 1);
	assert_int_not_equal(g1, g2);
	assert_int_equal((g1 ^ g2) & 1, 1); /* the other bank */
	assert_int_equal(send_frames(BCAST, MAC_B, 2), 2);
	assert_int_equal(send_frames(BCAST, MAC_C, 2), 0);
	assert_int_equal(xdp_filter_read_stats(near_if, &st), 0);
	assert_int_equal(st.rule_denied[0], 2);
	assert_int_equal(st.denied, before.denied + 2);

	assert_int_equal(xdp_filter_apply(near_if, NULL), 0);
	assert_int_equal(exact_entries(NULL), 0);
	assert_int_equal(send_frames(BCAST, MAC_C, 2), 2);
	assert_int_equal(xdp_filter_read_stats(near_if, &st), 0);
	assert_int_equal(st.denied, before.denied + 2);
}

static void test_devargs_and_program_file(void **state)
{
	char dir[] = "/tmp/kvsxdpXXXXXX", out[1024], want[1024], ifname[IF_NAMESIZE];
	struct stat sb;

	(void)state;
	assert_int_equal(
		xdp_filter_ifname("net_af_xdp0,iface=veth1,queue_count=1", ifname, sizeof(ifname)),
		0);
	assert_string_equal(ifname, "veth1");
	assert_int_equal(xdp_filter_ifname("net_af_packet0,iface=veth1", ifname, sizeof(ifname)),
			 -ENOENT);
	assert_int_equal(xdp_filter_ifname("net_af_xdp0,start_queue=0", ifname, sizeof(ifname)),
			 -ENOENT);
	assert_int_equal(
		xdp_filter_ifname("net_af_xdp0,iface=a-name-far-too-long", ifname, sizeof(ifname)),
		-ENAMETOOLONG);

	assert_non_null(mkdtemp(dir));
	assert_int_equal(xdp_filter_init(dir), 0);
	assert_int_equal(stat(xdp_filter_prog_path(), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_true(sb.st_size > 0);

	assert_int_equal(xdp_filter_prepare_port("net_af_xdp0,iface=kvs-none", out, sizeof(out)),
			 0);
	snprintf(want, sizeof(want), "net_af_xdp0,iface=kvs-none,xdp_prog=%s",
		 xdp_filter_prog_path());
	assert_string_equal(out, want);
	assert_int_equal(
		xdp_filter_prepare_port("net_af_xdp0,iface=x,xdp_prog=/mine.o", out, sizeof(out)),
		0);
	assert_string_equal(out, "net_af_xdp0,iface=x,xdp_prog=/mine.o");
	assert_int_equal(xdp_filter_prepare_port("net_af_packet0,iface=x", out, sizeof(out)), 0);
	assert_string_equal(out, "net_af_packet0,iface=x");
	assert_int_equal(xdp_filter_prepare_port("net_af_xdp0,iface=x", out, 24), -ENAMETOOLONG);
	assert_string_equal(out, "net_af_xdp0,iface=x");

	/* a kvswitch program left on the interface is taken off before the
	 * PMD attaches its own */
	if (!skip_why[0]) {
		uint32_t id = 1;
		snprintf(want, sizeof(want), "net_af_xdp0,iface=%s", near_if);
		assert_int_equal(xdp_filter_prepare_port(want, out, sizeof(out)), 0);
		assert_int_equal(bpf_xdp_query_id(near_idx, 0, &id), 0);
		assert_int_equal(id, 0);
	}
	unlink(xdp_filter_prog_path());
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_foreign_program),
		cmocka_unit_test(test_no_rules_pass_everything),
		cmocka_unit_test(test_first_match_exact_masked_src_dst),
		cmocka_unit_test(test_default_deny),
		cmocka_unit_test(test_generations),
		cmocka_unit_test(test_devargs_and_program_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
