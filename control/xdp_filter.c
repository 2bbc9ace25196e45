/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel half of ingress MAC rules on af_xdp ports (xdp_filter.h):
 * writing the program for the PMD, finding it again on an interface, and the
 * generation protocol of dataplane/xdp_filter_abi.h.  Control thread.
 *
 * Nothing is cached: each call finds the program on the interface again
 * (a query, a program and four map fds), because the PMD replaces the
 * program whenever the port is opened again.  That is a few syscalls per
 * rule change or stats read.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/membarrier.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "control/xdp_filter.h"
#include "dataplane/xdp_filter_abi.h"

#define PROG_FILE     "xdp_mac_filter.bpf.o"
#define MAC48_ALL     0xffffffffffffULL
#define MAX_PROG_MAPS 16

/* dataplane/bpf/embed.py output */
extern const unsigned char kvs_xdp_mac_filter_obj[];
extern const size_t kvs_xdp_mac_filter_obj_len;

static char prog_path[PATH_MAX];

/* ---- the program file ---- */

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int xdp_filter_init(const char *dir)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd, rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, PROG_FILE) >= sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp); /* 0600: only root reads what the PMD will load */
	if (fd < 0)
		return -errno;
	rc = write_all(fd, kvs_xdp_mac_filter_obj, kvs_xdp_mac_filter_obj_len);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	snprintf(prog_path, sizeof(prog_path), "%s", path);
	return 0;
}

const char *xdp_filter_prog_path(void)
{
	return prog_path;
}

/* ---- devargs ---- */

/* The value of key in "driver,k=v,k=v"; -ENOENT if absent. */
static int devargs_get(const char *devargs, const char *key, char *val, size_t len)
{
	size_t klen = strlen(key);
	const char *p = strchr(devargs, ',');

	while (p != NULL) {
		const char *v = p + 1, *e;
		p = strchr(v, ',');
		if (strncmp(v, key, klen) != 0 || v[klen] != '=')
			continue;
		v += klen + 1;
		e = p ? p : v + strlen(v);
		if ((size_t)(e - v) >= len)
			return -ENAMETOOLONG;
		memcpy(val, v, (size_t)(e - v));
		val[e - v] = '\0';
		return 0;
	}
	return -ENOENT;
}

int xdp_filter_ifname(const char *devargs, char *ifname, size_t len)
{
	if (strncmp(devargs, "net_af_xdp", strlen("net_af_xdp")) != 0)
		return -ENOENT;
	return devargs_get(devargs, "iface", ifname, len);
}

/* ---- finding the program and its maps ---- */

struct xdp_maps {
	int gen, bank, exact, stats;
};

static void maps_close(struct xdp_maps *m)
{
	int *fds[] = {&m->gen, &m->bank, &m->exact, &m->stats};
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Is this map one of ours, with our layout?  Then keep its fd. */
static bool map_take(int fd, const struct bpf_map_info *mi, struct xdp_maps *m)
{
	static const struct {
		const char *name;
		uint32_t key, value;
		size_t off;
	} want[] = {
		{XDP_MAP_GEN, 4, 4, offsetof(struct xdp_maps, gen)},
		{XDP_MAP_BANK, 4, sizeof(struct xdp_bank), offsetof(struct xdp_maps, bank)},
		{XDP_MAP_EXACT, sizeof(struct xdp_exact_key), sizeof(struct xdp_exact_val),
		 offsetof(struct xdp_maps, exact)},
		{XDP_MAP_STATS, 4, sizeof(struct xdp_stats), offsetof(struct xdp_maps, stats)},
	};
	unsigned int i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int *slot = (int *)((char *)m + want[i].off);
		if (strcmp(mi->name, want[i].name) != 0 || *slot >= 0)
			continue;
		if (mi->key_size != want[i].key || mi->value_size != want[i].value)
			return false; /* another version of the layout */
		*slot = fd;
		return true;
	}
	return false;
}

static int maps_of_prog(uint32_t prog_id, struct xdp_maps *m)
{
	struct bpf_prog_info info = {0};
	uint32_t ids[MAX_PROG_MAPS], len = sizeof(info), i;
	int fd, rc;

	*m = (struct xdp_maps){-1, -1, -1, -1};
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return fd == -ENOENT ? -ENOENT : fd;
	info.nr_map_ids = MAX_PROG_MAPS;
	info.map_ids = (uint64_t)(uintptr_t)ids;
	rc = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (rc < 0)
		return rc;
	for (i = 0; i < info.nr_map_ids && i < MAX_PROG_MAPS; i++) {
		struct bpf_map_info mi = {0};
		uint32_t mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(ids[i]);

		if (mfd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(mfd, &mi, &mlen) < 0 || !map_take(mfd, &mi, m))
			close(mfd);
	}
	if (m->gen < 0 || m->bank < 0 || m->exact < 0 || m->stats < 0) {
		maps_close(m);
		return -EPROTO;
	}
	return 0;
}

static int prog_on(const char *ifname, int *ifindex, uint32_t *prog_id)
{
	int rc;

	*ifindex = (int)if_nametoindex(ifname);
	if (*ifindex == 0)
		return -ENODEV;
	*prog_id = 0;
	rc = bpf_xdp_query_id(*ifindex, 0, prog_id);
	if (rc < 0)
		return rc;
	return *prog_id ? 0 : -ENOENT;
}

static int maps_find(const char *ifname, struct xdp_maps *m)
{
	uint32_t prog_id;
	int ifindex, rc;

	rc = prog_on(ifname, &ifindex, &prog_id);
	return rc < 0 ? rc : maps_of_prog(prog_id, m);
}

/* A kvswitch program left on the interface by a kvswitchd that died. */
static void detach_stale(const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct xdp_maps m;
	uint32_t prog_id;
	int ifindex, flags;

	if (prog_on(ifname, &ifindex, &prog_id) < 0 || maps_of_prog(prog_id, &m) < 0)
		return;
	maps_close(&m);
	if (bpf_xdp_query(ifindex, 0, &q) < 0)
		return;
	flags = q.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	bpf_xdp_detach(ifindex, flags, NULL);
}

int xdp_filter_prepare_port(const char *devargs, char *out, size_t outlen)
{
	char ifname[IF_NAMESIZE], prog[8];
	int n;

	if (prog_path[0] == '\0' || xdp_filter_ifname(devargs, ifname, sizeof(ifname)) < 0 ||
	    devargs_get(devargs, "xdp_prog", prog, sizeof(prog)) != -ENOENT) {
		n = snprintf(out, outlen, "%s", devargs);
		return (size_t)n < outlen ? 0 : -ENAMETOOLONG;
	}
	n = snprintf(out, outlen, "%s,xdp_prog=%s", devargs, prog_path);
	if ((size_t)n >= outlen) {
		snprintf(out, outlen, "%s", devargs);
		return -ENAMETOOLONG;
	}
	detach_stale(ifname);
	return 0;
}

/* ---- the generation protocol ---- */

static uint64_t mac48(const struct rte_ether_addr *a)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		v = v << 8 | a->addr_bytes[i];
	return v;
}

static void mac_bytes(uint64_t v, uint8_t *out)
{
	int i;

	for (i = RTE_ETHER_ADDR_LEN - 1; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

/*
 * Wait until no XDP program run that may have read the old generation is
 * still going: programs run inside RCU read-side sections (NAPI, or the
 * generic path under rcu_read_lock), and MEMBARRIER_CMD_GLOBAL waits for an
 * RCU grace period (synchronize_rcu).  It is refused on nohz_full kernels;
 * there a generous sleep stands in (no XDP run lasts a millisecond).
 */
static void grace_period(void)
{
	struct timespec ts = {0, 20 * 1000 * 1000};

	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) < 0)
		nanosleep(&ts, NULL);
}

/* Exact-rule keys whose generation is not keep (all when keep == 0). */
static unsigned int stale_keys(int fd, uint32_t keep, struct xdp_exact_key *keys, unsigned int max)
{
	struct xdp_exact_key k, next;
	void *prev = NULL;
	unsigned int n = 0;

	while (n < max && bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (next.gen != keep)
			keys[n++] = next;
		k = next;
		prev = &k;
	}
	return n;
}

static void delete_stale(int fd, uint32_t keep)
{
	struct xdp_exact_key keys[2 * FILTER_MAX_RULES];
	unsigned int n, i;

	/* deleting while walking makes get_next_key restart; collect first */
	do {
		n = stale_keys(fd, keep, keys, 2 * FILTER_MAX_RULES);
		for (i = 0; i < n; i++)
			bpf_map_delete_elem(fd, &keys[i]);
	} while (n == 2 * FILTER_MAX_RULES);
}

/* The new generation's exact entries and bank; nothing is visible yet. */
static int write_generation(const struct xdp_maps *m, uint32_t gen, const struct filter_rules *in)
{
	struct xdp_bank bank = {.gen = gen, .default_allow = in->default_allow, .n_rules = in->n};
	uint32_t slot = gen & 1;
	uint16_t i;
	int rc;

	for (i = 0; i < in->n; i++) {
		const struct filter_rule *r = &in->r[i];
		uint64_t mask = mac48(&r->mask), mac = mac48(&r->mac) & mask;
		struct xdp_exact_key k = {.gen = gen, .dst = r->match_dst};
		struct xdp_exact_val v = {.index = i, .allow = r->allow};

		if (mask != MAC48_ALL) {
			bank.masked[bank.n_masked++] = (struct xdp_masked_rule){.mac = mac,
										.mask = mask,
										.index = i,
										.dst = r->match_dst,
										.allow = r->allow};
			continue;
		}
		mac_bytes(mac, k.mac);
		rc = bpf_map_update_elem(m->exact, &k, &v, BPF_NOEXIST);
		if (rc == -EEXIST)
			continue; /* the same MAC again: the earlier rule wins */
		if (rc < 0)
			return rc;
	}
	return bpf_map_update_elem(m->bank, &slot, &bank, BPF_ANY);
}

int xdp_filter_apply(const char *ifname, const struct filter_rules *in)
{
	static const struct filter_rules none = {.n = 0, .default_allow = true};
	struct xdp_maps m;
	uint32_t zero = 0, cur = 0, next;
	int rc;

	if (in == NULL)
		in = &none;
	if (in->n > FILTER_MAX_RULES)
		return -EINVAL;
	rc = maps_find(ifname, &m);
	if (rc < 0)
		return rc;
	rc = bpf_map_lookup_elem(m.gen, &zero, &cur);
	if (rc < 0)
		goto out;
	/* Leftovers of a change that failed half-way belong to no generation
	 * in use: clear them so the new one starts from an empty slot. */
	delete_stale(m.exact, cur);
	if (in->n == 0 && in->default_allow) {
		next = 0; /* nothing to look up: the fast path */
	} else {
		/* the bank of cur is in use: the new generation takes the
		 * other one, so the parity alternates, even across the wrap */
		next = cur + 1 == 0 ? 2 : cur + 1;
		rc = write_generation(&m, next, in);
		if (rc < 0) {
			delete_stale(m.exact, cur);
			goto out;
		}
	}
	rc = bpf_map_update_elem(m.gen, &zero, &next, BPF_ANY);
	if (rc < 0) {
		delete_stale(m.exact, cur);
		goto out;
	}
	grace_period();
	delete_stale(m.exact, next);
out:
	maps_close(&m);
	return rc;
}

int xdp_filter_read_stats(const char *ifname, struct xdp_filter_stats *st)
{
	struct xdp_exact_key k, next;
	struct xdp_exact_val v;
	struct xdp_stats total;
	struct xdp_bank bank;
	struct xdp_maps m;
	uint32_t zero = 0, gen, slot, i;
	void *prev = NULL;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = maps_find(ifname, &m);
	if (rc < 0)
		return rc;
	rc = bpf_map_lookup_elem(m.stats, &zero, &total);
	if (rc < 0)
		goto out;
	st->denied = total.denied;
	rc = bpf_map_lookup_elem(m.gen, &zero, &gen);
	if (rc < 0 || gen == 0)
		goto out;
	slot = gen & 1;
	rc = bpf_map_lookup_elem(m.bank, &slot, &bank);
	if (rc < 0)
		goto out;
	st->n_rules = (uint16_t)bank.n_rules;
	st->default_denied = bank.default_denied;
	for (i = 0; i < bank.n_masked && i < FILTER_MAX_RULES; i++)
		if (bank.masked[i].index < FILTER_MAX_RULES)
			st->rule_denied[bank.masked[i].index] = bank.masked[i].denied;
	while (bpf_map_get_next_key(m.exact, prev, &next) == 0) {
		if (next.gen == gen && bpf_map_lookup_elem(m.exact, &next, &v) == 0 &&
		    v.index < FILTER_MAX_RULES)
			st->rule_denied[v.index] = v.denied;
		k = next;
		prev = &k;
	}
out:
	maps_close(&m);
	return rc;
}
