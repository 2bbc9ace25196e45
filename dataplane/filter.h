/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * filter: per-port, per-direction eBPF frame filters run by PMDs through
 * librte_bpf (JIT when available).  Three ways to make one, all ending as a
 * verified librte_bpf program whose result is non-zero to pass, 0 to drop:
 * - rules (allow/deny on source or destination MAC with a mask, and a default)
 *   run by the built-in program, with the rule table bound as data; its
 *   context is the frame's two MACs (struct filter_macs);
 * - a user's eBPF object file, opened with libbpf;
 * - a tcpdump expression, compiled by libpcap and converted by librte_bpf.
 *
 * Custom programs (the last two) are hostile until proven otherwise: they
 * get the frame's rte_mbuf as an opaque handle, and may only read the
 * frame's bytes (packet loads), read its length, and use their own stack
 * (filter_abi.h).  librte_bpf's validator does not enforce that (22.11 lets
 * a program store to the mbuf, buf_addr and pool included, and follow a
 * NULL m->next), so filter_check.c proves it on the instructions before a
 * program is accepted.  Why not a separate read-only context: librte_bpf
 * types any pointer a program loads from an RTE_BPF_ARG_PTR context as a
 * plain number, so frame bytes behind a pointer are unreachable and would
 * have to be copied into the context for every frame (a cost on every
 * custom-filtered frame, and a truncated view); and tcpdump programs need an
 * mbuf in R6 for their packet loads anyway.  With the proof, the PMD hands
 * the real mbuf over at no cost, and nothing a program does can change the
 * mbuf, the frame (shared by every receiver of a flood) or the pool.
 *
 * A struct filter is immutable.  The control thread builds a new one and
 * swaps it into the port (dp_port_set_filter), so a burst is filtered by the
 * old policy or the new one, never a mix, and a failed build leaves the port's
 * filter as it was.
 */
#ifndef KVS_DP_FILTER_H
#define KVS_DP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_bpf.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/filter_abi.h"

enum filter_dir { FILTER_DIR_INGRESS, FILTER_DIR_EGRESS, FILTER_DIR_MAX };

struct filter_rule {
	struct rte_ether_addr mac;
	struct rte_ether_addr mask; /* ff:ff:ff:ff:ff:ff for an exact MAC */
	bool match_dst;
	bool allow;
};

struct filter_rules {
	uint16_t n;
	bool default_allow;
	struct filter_rule r[FILTER_MAX_RULES];
};

struct filter {
	uint64_t (*jit)(void *); /* NULL: interpreted */
	struct rte_bpf *bpf;
	struct filter_policy *policy; /* bound to the built-in program; NULL otherwise */
	char what[128];               /* "rules (3)", "program x.o:sec", "expression ..." */
};

/* Control thread.  NULL + errno with the loader's or validator's reason in
 * err; nothing else changes. */
struct filter *filter_from_rules(const struct filter_rules *rules, char *err, size_t errlen);
struct filter *filter_from_object(const char *path, const char *section, char *err, size_t errlen);
struct filter *filter_from_expression(const char *expr, char *err, size_t errlen);
void filter_destroy(struct filter *f);

/* As a dp_rcu_defer callback. */
void filter_destroy_cb(void *f);

/* The built-in program's context (filter_abi.h) from a frame; a frame too
 * short for an Ethernet header reads as MAC 0 (the pipeline drops runts
 * before any filter runs). */
static inline void filter_macs_get(const struct rte_mbuf *m, struct filter_macs *x)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint64_t a, b;

	if (m->data_len < RTE_ETHER_HDR_LEN) {
		x->dst = x->src = 0;
		return;
	}
	/* 8-byte loads: bytes 0-7 and 6-13 of the header, top 48 bits kept */
	memcpy(&a, p, sizeof(a));
	memcpy(&b, p + RTE_ETHER_ADDR_LEN, sizeof(b));
	x->dst = rte_be_to_cpu_64(a) >> 16;
	x->src = rte_be_to_cpu_64(b) >> 16;
}

/* PMD: does m pass?  m and its frame come back unchanged: the built-in
 * program sees a copy of the MACs, a custom one gets m itself but was proven
 * at load to only read the frame and its length (filter_check.c), so m may
 * be a frame shared by several output ports. */
static inline bool filter_pass(const struct filter *f, struct rte_mbuf *m)
{
	struct filter_macs x;
	void *ctx = m;

	if (f->policy != NULL) {
		filter_macs_get(m, &x);
		ctx = &x;
	}
	return (f->jit ? f->jit(ctx) : rte_bpf_exec(f->bpf, ctx)) != 0;
}

#endif
