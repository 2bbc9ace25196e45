/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building eBPF frame filters (filter.h).  Control thread only; PMDs only
 * call filter_pass().
 *
 * The built-in MAC filter program is compiled at build time and embedded in
 * the binary (bpf/embed.py); it is handed to librte_bpf's ELF loader through
 * a memfd, with its rule table bound to the external variable kvs_policy.
 * Loading is a validation plus a JIT of a few hundred instructions: tens of
 * microseconds, paid once per policy change, never per frame.
 *
 * Users' object files go through libbpf (sections, programs, relocations)
 * and then through librte_bpf's validator, which refuses what it cannot
 * prove safe (unknown helpers, out-of-bounds access, loops); its reason is
 * what the user sees.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/filter.h"

extern const unsigned char kvs_mac_filter_obj[];
extern const size_t kvs_mac_filter_obj_len;

#define BUILTIN_SECTION "mac_filter"

/*
 * librte_bpf explains a refusal only in its log ("invalid external function
 * index at pc: 0").  Capture the log while loading so that text reaches the
 * user.  Control thread only; another thread logging meanwhile could land in
 * the capture too, which costs at worst a less precise message.
 */
struct rte_bpf *filter_load_explained(const struct rte_bpf_prm *prm, const char *elf,
				      const char *section, char *why, size_t whylen)
{
	FILE *old = rte_log_get_stream(), *mem;
	char *buf = NULL, *line, *last = NULL, *save = NULL;
	struct rte_bpf *bpf;
	size_t len = 0;
	int e;

	mem = open_memstream(&buf, &len);
	if (mem != NULL)
		rte_openlog_stream(mem);
	bpf = elf ? rte_bpf_elf_load(prm, elf, section) : rte_bpf_load(prm);
	e = rte_errno;
	if (mem != NULL) {
		rte_openlog_stream(old == stderr ? NULL : old);
		fclose(mem);
	}
	snprintf(why, whylen, "%s", rte_strerror(e));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (*line)
			last = line;
	if (bpf == NULL && last != NULL)
		snprintf(why, whylen, "%s", last);
	free(buf);
	rte_errno = e;
	return bpf;
}

const struct rte_bpf_arg filter_mbuf_arg = {
	.type = RTE_BPF_ARG_PTR_MBUF,
	.size = sizeof(struct rte_mbuf),
	.buf_size = RTE_MBUF_DEFAULT_BUF_SIZE,
};

struct filter *filter_finish(struct rte_bpf *bpf, struct filter_policy *pol, const char *what,
			     char *err, size_t errlen)
{
	struct filter *f = rte_zmalloc("kvs_filter", sizeof(*f), RTE_CACHE_LINE_SIZE);
	struct rte_bpf_jit jit = {0};

	if (f == NULL) {
		rte_bpf_destroy(bpf);
		rte_free(pol);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (rte_bpf_get_jit(bpf, &jit) == 0)
		f->jit = jit.func;
	f->bpf = bpf;
	f->policy = pol;
	snprintf(f->what, sizeof(f->what), "%s", what);
	return f;
}

static uint64_t mac_u64(const struct rte_ether_addr *a)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		v = (v << 8) | a->addr_bytes[i];
	return v;
}

/* splitmix64: a fixed sequence of well-mixed candidates, so the same rules
 * always compile to the same table. */
static uint64_t mult_candidate(uint64_t i)
{
	uint64_t z = (i + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) | 1;
}

/* Candidate multipliers tried per class.  32 MACs in 256 slots are collision
 * free for about one multiplier in seven, so running out means a bug. */
#define FILTER_HASH_TRIES 4096

/*
 * Place run k (rules first..first+n-1, all of one field and mask) at
 * slots[base..base+size-1]: find a multiplier under which its distinct masked
 * MACs land on distinct slots; a MAC's slot keeps its first rule (a later
 * rule for the same MAC in the same run never decides).  -EAGAIN if no
 * multiplier works.
 */
static int policy_place_run(struct filter_policy *pol, struct filter_run_abi *k,
			    const struct filter_rules *rules, unsigned int first, unsigned int n,
			    unsigned int size)
{
	unsigned int bits = 0, t, i;

	while ((1u << bits) < size)
		bits++;
	k->shift = 64 - bits;
	for (t = 0; t < FILTER_HASH_TRIES; t++) {
		uint64_t mult = mult_candidate(t);
		bool ok = true;

		for (i = 0; i < size; i++)
			pol->slots[k->base + i] =
				(struct filter_slot_abi){.mac = FILTER_SLOT_EMPTY};
		for (i = first; i < first + n && ok; i++) {
			const struct filter_rule *r = &rules->r[i];
			uint64_t v = mac_u64(&r->mac) & k->mask;
			struct filter_slot_abi *s = &pol->slots[k->base + ((v * mult) >> k->shift)];

			if (s->mac == v)
				continue;
			if (s->mac != FILTER_SLOT_EMPTY)
				ok = false;
			else
				*s = (struct filter_slot_abi){
					.mac = v, .rule = i, .allow = r->allow};
		}
		if (ok) {
			k->mult = mult;
			return 0;
		}
	}
	return -EAGAIN;
}

/*
 * Compile rules into the runs of filter_abi.h, in rule order, each run sized
 * to the power of two >= 8 x its rules.  -errno with the reason in err.
 */
static int policy_compile(struct filter_policy *pol, const struct filter_rules *rules, char *err,
			  size_t errlen)
{
	unsigned int i = 0, base = 0;

	pol->n_runs = 0;
	pol->default_allow = rules->default_allow;
	while (i < rules->n) {
		struct filter_run_abi *k = &pol->runs[pol->n_runs++];
		unsigned int n = 1, size = 8;

		k->mask = mac_u64(&rules->r[i].mask);
		k->match_dst = rules->r[i].match_dst;
		while (i + n < rules->n && rules->r[i + n].match_dst == rules->r[i].match_dst &&
		       mac_u64(&rules->r[i + n].mask) == k->mask)
			n++;
		while (size < 8 * n)
			size <<= 1;
		k->base = base;
		if (policy_place_run(pol, k, rules, i, n, size) < 0) {
			snprintf(err, errlen, "cannot hash rules %u..%u (mask %012" PRIx64 ")",
				 i + 1, i + n, k->mask);
			return -EAGAIN;
		}
		base += size;
		i += n;
	}
	return 0;
}

struct filter *filter_from_rules(const struct filter_rules *rules, char *err, size_t errlen)
{
	struct filter_policy *pol;
	struct rte_bpf_xsym xs;
	struct rte_bpf_prm prm;
	struct rte_bpf *bpf;
	char path[64], what[64], why[256];
	int fd;

	if (rules->n > FILTER_MAX_RULES) {
		snprintf(err, errlen, "%u rules: at most %d per port and direction", rules->n,
			 FILTER_MAX_RULES);
		errno = E2BIG;
		return NULL;
	}
	pol = rte_zmalloc("kvs_policy", sizeof(*pol), RTE_CACHE_LINE_SIZE);
	if (pol == NULL) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (policy_compile(pol, rules, err, errlen) < 0) {
		rte_free(pol);
		errno = EAGAIN;
		return NULL;
	}

	fd = memfd_create("kvs_mac_filter", MFD_CLOEXEC);
	if (fd < 0 || write(fd, kvs_mac_filter_obj, kvs_mac_filter_obj_len) !=
			      (ssize_t)kvs_mac_filter_obj_len) {
		snprintf(err, errlen, "cannot stage the built-in filter program: %s",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		rte_free(pol);
		errno = EIO;
		return NULL;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	xs = (struct rte_bpf_xsym){
		.name = "kvs_policy",
		.type = RTE_BPF_XTYPE_VAR,
		.var = {.val = pol, .desc = {.type = RTE_BPF_ARG_PTR, .size = sizeof(*pol)}},
	};
	prm = (struct rte_bpf_prm){
		.xsym = &xs,
		.nb_xsym = 1,
		.prog_arg = {.type = RTE_BPF_ARG_PTR, .size = sizeof(struct filter_macs)},
	};
	bpf = filter_load_explained(&prm, path, BUILTIN_SECTION, why, sizeof(why));
	close(fd);
	if (bpf == NULL) {
		snprintf(err, errlen, "built-in filter program refused: %s", why);
		rte_free(pol);
		errno = EINVAL;
		return NULL;
	}
	snprintf(what, sizeof(what), "rules (%u, default %s)", rules->n,
		 rules->default_allow ? "allow" : "deny");
	return filter_finish(bpf, pol, what, err, errlen);
}

/* libbpf reports through a print callback: keep its last warning so a
 * refused object tells the user why. */
static char libbpf_msg[256];

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_DEBUG)
		vsnprintf(libbpf_msg, sizeof(libbpf_msg), fmt, ap);
	return 0;
}

struct filter *filter_from_object(const char *path, const char *section, char *err, size_t errlen)
{
	struct bpf_program *prog, *found = NULL;
	struct rte_bpf_prm prm;
	struct bpf_object *obj;
	struct rte_bpf *bpf;
	char what[128], why[256];
	size_t n;
	long e;

	libbpf_msg[0] = '\0';
	libbpf_set_print(libbpf_log);
	obj = bpf_object__open_file(path, NULL);
	e = libbpf_get_error(obj);
	if (e) {
		n = strlen(libbpf_msg);
		while (n && libbpf_msg[n - 1] == '\n')
			libbpf_msg[--n] = '\0';
		snprintf(err, errlen, "cannot open eBPF object '%s': %s%s%s", path,
			 strerror((int)-e), libbpf_msg[0] ? ": " : "", libbpf_msg);
		errno = (int)-e;
		return NULL;
	}
	bpf_object__for_each_program(prog, obj)
	{
		if (section == NULL || strcmp(bpf_program__section_name(prog), section) == 0) {
			found = prog;
			break;
		}
	}
	if (found == NULL) {
		snprintf(err, errlen, "eBPF object '%s' has no program%s%s", path,
			 section ? " in section " : "", section ? section : "");
		bpf_object__close(obj);
		errno = ENOENT;
		return NULL;
	}
	prm = (struct rte_bpf_prm){
		.ins = (const struct ebpf_insn *)bpf_program__insns(found),
		.nb_ins = (uint32_t)bpf_program__insn_cnt(found),
		.prog_arg = filter_mbuf_arg,
	};
	bpf = filter_load_explained(&prm, NULL, NULL, why, sizeof(why));
	snprintf(what, sizeof(what), "program %s:%s", path, bpf_program__section_name(found));
	bpf_object__close(obj);
	if (bpf == NULL) {
		snprintf(err, errlen, "eBPF program in '%s' refused by the validator: %s", path,
			 why);
		errno = EINVAL;
		return NULL;
	}
	return filter_finish(bpf, NULL, what, err, errlen);
}

void filter_destroy(struct filter *f)
{
	if (f == NULL)
		return;
	rte_bpf_destroy(f->bpf);
	rte_free(f->policy);
	rte_free(f);
}

void filter_destroy_cb(void *f)
{
	filter_destroy(f);
}
