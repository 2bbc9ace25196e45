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
 * Users' object files are read by kvswitchd itself (read_object: a regular
 * file owned by root, not group- or world-writable, never a FIFO that would
 * hang the control thread), parsed by libbpf from memory (sections,
 * programs, relocations), then checked by librte_bpf's validator, which
 * refuses what it cannot prove safe (unknown helpers, out-of-bounds access,
 * loops), and by filter_check.c, which refuses what librte_bpf would let a
 * program touch but the switch relies on (the mbuf, the frame's bytes).
 * Their reasons are what the user sees.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/filter.h"
#include "dataplane/filter_priv.h"

extern const unsigned char kvs_mac_filter_obj[];
extern const size_t kvs_mac_filter_obj_len;

#define BUILTIN_SECTION "mac_filter"

/*
 * librte_bpf explains a refusal only in its log ("invalid external function
 * index at pc: 0"), so the log is captured while a program loads and its
 * last line reaches the user.  DPDK has one log stream for the process, and
 * PMD and vhost threads may log while it is swapped, or write into the
 * stream they fetched just before it was swapped back.  So the stream
 * swapped in is one cookie stream, opened once and never closed: a late
 * writer always writes into valid memory.  Its writer keeps the loading
 * thread's text (capture_mine is thread-local) and passes every other
 * thread's to the stream that was in place (capture_next; that stream stays
 * open, only EAL's cleanup closes it).  It is unbuffered, so each write is
 * handled in the thread that made it and no thread's text lands in another's
 * capture.  Loads are serialised by capture_lock.  The cost: one more
 * indirection for anything logged during a load, none otherwise.
 */
struct capture {
	char buf[1024]; /* the tail of what the loading thread logged */
	size_t len;
};

static pthread_mutex_t capture_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *capture_stream;
static FILE *capture_next;
static __thread struct capture *capture_mine;

static ssize_t capture_write(void *cookie, const char *p, size_t n)
{
	struct capture *c = capture_mine;
	size_t keep = sizeof(c->buf) - 1, ret = n;

	(void)cookie;
	if (c == NULL) {
		FILE *next = __atomic_load_n(&capture_next, __ATOMIC_ACQUIRE);

		if (next != NULL) {
			fwrite(p, 1, n, next);
			fflush(next);
		}
		return (ssize_t)ret;
	}
	if (n > keep) {
		p += n - keep;
		n = keep;
	}
	if (c->len + n > keep) {
		size_t drop = c->len + n - keep;

		memmove(c->buf, c->buf + drop, c->len - drop);
		c->len -= drop;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	c->buf[c->len] = '\0';
	return (ssize_t)ret;
}

struct rte_bpf *filter_load_explained(const struct rte_bpf_prm *prm, const char *elf,
				      const char *section, char *why, size_t whylen)
{
	static const cookie_io_functions_t fns = {.write = capture_write};
	struct capture cap = {.len = 0};
	char *line, *last = NULL, *save = NULL;
	FILE *old = NULL, *restore = NULL;
	struct rte_bpf *bpf;
	int e;

	pthread_mutex_lock(&capture_lock);
	if (capture_stream == NULL) {
		capture_stream = fopencookie(NULL, "w", fns);
		if (capture_stream != NULL)
			setvbuf(capture_stream, NULL, _IONBF, 0);
	}
	if (capture_stream != NULL) {
		/* put back exactly what was set: NULL if DPDK's default was in
		 * use (EAL closes its default stream at cleanup) */
		old = rte_log_get_stream();
		rte_openlog_stream(NULL);
		restore = rte_log_get_stream() == old ? NULL : old;
		if (old != capture_stream)
			__atomic_store_n(&capture_next, old, __ATOMIC_RELEASE);
		capture_mine = &cap;
		rte_openlog_stream(capture_stream);
	}
	bpf = elf ? rte_bpf_elf_load(prm, elf, section) : rte_bpf_load(prm);
	e = rte_errno;
	if (capture_stream != NULL) {
		rte_openlog_stream(restore);
		capture_mine = NULL;
	}
	pthread_mutex_unlock(&capture_lock);
	snprintf(why, whylen, "%s", rte_strerror(e));
	for (line = strtok_r(cap.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (*line)
			last = line;
	if (bpf == NULL && last != NULL)
		snprintf(why, whylen, "%s", last);
	rte_errno = e;
	return bpf;
}

/* Custom programs' context, as filter_abi.h describes it.  buf_size is what
 * the validator would grant through buf_addr, which filter_check.c refuses
 * to let a program load. */
static const struct rte_bpf_arg filter_mbuf_arg = {
	.type = RTE_BPF_ARG_PTR_MBUF,
	.size = sizeof(struct rte_mbuf),
	.buf_size = RTE_MBUF_DEFAULT_BUF_SIZE,
};

struct rte_bpf *filter_load_custom(const struct rte_bpf_prm *prm, char *why, size_t whylen)
{
	struct rte_bpf_prm p = *prm;
	struct rte_bpf *bpf;
	char r[256];

	p.xsym = NULL;
	p.nb_xsym = 0;
	p.prog_arg = filter_mbuf_arg;
	bpf = filter_load_explained(&p, NULL, NULL, r, sizeof(r));
	if (bpf == NULL) {
		snprintf(why, whylen, "refused by the validator: %s", r);
		return NULL;
	}
	if (filter_check_program(p.ins, p.nb_ins, r, sizeof(r)) < 0) {
		rte_bpf_destroy(bpf);
		snprintf(why, whylen, "refused: %s", r);
		rte_errno = EPERM;
		return NULL;
	}
	return bpf;
}

struct filter *filter_finish(struct rte_bpf *bpf, struct filter_policy *pol, bool jit,
			     const char *what, char *err, size_t errlen)
{
	struct filter *f = rte_zmalloc("kvs_filter", sizeof(*f), RTE_CACHE_LINE_SIZE);
	struct rte_bpf_jit code = {0};

	if (f == NULL) {
		rte_bpf_destroy(bpf);
		rte_free(pol);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (jit && rte_bpf_get_jit(bpf, &code) == 0)
		f->jit = code.func;
	f->bpf = bpf;
	f->policy = pol;
	snprintf(f->what, sizeof(f->what), "%.110s%s", what, jit ? "" : " (interpreted)");
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
	return filter_finish(bpf, pol, true, what, err, errlen);
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

/*
 * The program file's rule (docs/filters.md): a regular file, owned by root
 * (or by the user kvswitchd runs as, who could change its code anyway), not
 * group- or world-writable, at most FILTER_OBJ_MAX bytes.  The verifiers
 * bound what a program can touch, not what it decides, so whoever can write
 * the file decides which frames pass: that must be root.
 * A symbolic link is refused (O_NOFOLLOW): the path in the configuration is
 * the file checked, and a link in a directory someone else can write cannot
 * silently swap in another file.  Other file types are refused before they
 * are opened (lstat), and again on the descriptor (fstat, the check that
 * counts), which is opened with O_NONBLOCK: a FIFO swapped in between opens
 * at once and is refused, where a blocking open would hang the control
 * thread, and the next start too since the path is saved.
 */
#define FILTER_OBJ_MAX (8 << 20)

static const char *file_refused(const struct stat *sb, char *buf, size_t len)
{
	mode_t t = sb->st_mode & S_IFMT;

	if (t == S_IFLNK)
		return "is a symbolic link: give the path of the file itself";
	if (t != S_IFREG) {
		snprintf(buf, len, "is a %s, not a regular file",
			 t == S_IFIFO    ? "FIFO"
			 : t == S_IFDIR  ? "directory"
			 : t == S_IFCHR  ? "character device"
			 : t == S_IFBLK  ? "block device"
			 : t == S_IFSOCK ? "socket"
					 : "special file");
		return buf;
	}
	if (sb->st_uid != 0 && sb->st_uid != geteuid()) {
		snprintf(buf, len, "is owned by uid %u, not root", (unsigned int)sb->st_uid);
		return buf;
	}
	if (sb->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(buf, len, "is group- or world-writable (mode %04o)",
			 (unsigned int)(sb->st_mode & 07777));
		return buf;
	}
	if (sb->st_size > FILTER_OBJ_MAX) {
		snprintf(buf, len, "is %lld bytes, more than the %d MiB limit",
			 (long long)sb->st_size, FILTER_OBJ_MAX >> 20);
		return buf;
	}
	if (sb->st_size == 0)
		return "is empty";
	return NULL;
}

/* The whole file at path in a malloc'ed buffer, or NULL + errno with the
 * reason (naming path) in err. */
static void *read_object(const char *path, size_t *size, char *err, size_t errlen)
{
	struct stat before, sb;
	const char *no;
	char buf[96];
	uint8_t *data;
	size_t got = 0;
	int fd, e;

	if (lstat(path, &before) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot open eBPF object '%s': %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	no = file_refused(&before, buf, sizeof(buf));
	if (no != NULL) {
		snprintf(err, errlen, "eBPF object '%s' %s", path, no);
		errno = EPERM;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot open eBPF object '%s': %s", path,
			 e == ELOOP ? "it became a symbolic link" : strerror(e));
		errno = e;
		return NULL;
	}
	if (fstat(fd, &sb) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot open eBPF object '%s': %s", path, strerror(e));
		close(fd);
		errno = e;
		return NULL;
	}
	no = file_refused(&sb, buf, sizeof(buf));
	if (no == NULL && (sb.st_dev != before.st_dev || sb.st_ino != before.st_ino))
		no = "was replaced while being opened";
	if (no != NULL) {
		snprintf(err, errlen, "eBPF object '%s' %s", path, no);
		close(fd);
		errno = EPERM;
		return NULL;
	}
	data = malloc((size_t)sb.st_size);
	if (data == NULL) {
		snprintf(err, errlen, "eBPF object '%s': out of memory", path);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, data + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			snprintf(err, errlen, "cannot read eBPF object '%s': %s", path,
				 n < 0 ? strerror(e) : "it shrank while being read");
			free(data);
			close(fd);
			errno = e;
			return NULL;
		}
		got += (size_t)n;
	}
	close(fd);
	*size = got;
	return data;
}

struct filter *filter_from_object(const char *path, const char *section, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = path);
	struct bpf_program *prog, *found = NULL;
	struct rte_bpf_prm prm;
	struct bpf_object *obj;
	struct rte_bpf *bpf;
	char what[128], why[300];
	size_t n, size;
	void *data;
	bool jit;
	long e;

	data = read_object(path, &size, err, errlen);
	if (data == NULL)
		return NULL;
	libbpf_msg[0] = '\0';
	libbpf_set_print(libbpf_log);
	obj = bpf_object__open_mem(data, size, &opts);
	e = libbpf_get_error(obj);
	if (e) {
		n = strlen(libbpf_msg);
		while (n && libbpf_msg[n - 1] == '\n')
			libbpf_msg[--n] = '\0';
		snprintf(err, errlen, "cannot open eBPF object '%s': %s%s%s", path,
			 strerror((int)-e), libbpf_msg[0] ? ": " : "", libbpf_msg);
		free(data);
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
		free(data);
		errno = ENOENT;
		return NULL;
	}
	prm = (struct rte_bpf_prm){
		.ins = (const struct ebpf_insn *)bpf_program__insns(found),
		.nb_ins = (uint32_t)bpf_program__insn_cnt(found),
	};
	bpf = filter_load_custom(&prm, why, sizeof(why));
	jit = filter_jit_safe(prm.ins, prm.nb_ins);
	snprintf(what, sizeof(what), "program %s:%s", path, bpf_program__section_name(found));
	bpf_object__close(obj);
	free(data);
	if (bpf == NULL) {
		snprintf(err, errlen, "eBPF program in '%s' %s", path, why);
		errno = EINVAL;
		return NULL;
	}
	return filter_finish(bpf, NULL, jit, what, err, errlen);
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
