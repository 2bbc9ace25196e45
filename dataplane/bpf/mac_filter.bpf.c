/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvswitch's built-in MAC filter, compiled with clang -target bpf at build
 * time and run by librte_bpf (JIT) on every frame of a port and direction
 * that has rules.
 *
 * Context: the frame's rte_mbuf; packet bytes are read with BPF_LD_ABS, which
 * librte_bpf bounds-checks against the first segment.  The rules are data,
 * not code: the external variable kvs_policy is bound to the rule table of
 * one filter instance when it is loaded (dataplane/filter.c), so a new policy
 * is a new table, never a new program.  Returns 1 to pass, 0 to drop.
 *
 * librte_bpf refuses loops, so the rule walk is fully unrolled: a fixed
 * FILTER_MAX_RULES slots, unused ones skipped by the i < n test.
 */
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;

#include "dataplane/filter_abi.h"

extern struct filter_policy kvs_policy;

unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

__attribute__((section("mac_filter"), used)) uint64_t kvs_mac_filter(void *mbuf)
{
	uint64_t dst = (load_word(mbuf, 0) << 16) | load_half(mbuf, 4);
	uint64_t src = (load_word(mbuf, 6) << 16) | load_half(mbuf, 10);
	const struct filter_policy *p = &kvs_policy;
	uint32_t n = p->n_rules;

#pragma clang loop unroll(full)
	for (int i = 0; i < FILTER_MAX_RULES; i++) {
		const struct filter_rule_abi *r = &p->rules[i];
		uint64_t v = r->match_dst ? dst : src;

		if (i < n && (v & r->mask) == r->mac)
			return r->allow;
	}
	return p->default_allow;
}
