/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvswitch's built-in MAC filter, compiled with clang -target bpf at build
 * time and run by librte_bpf (JIT) on every frame of a port and direction
 * that has rules.
 *
 * Context: struct filter_macs, the frame's destination and source MACs as
 * 48-bit numbers (custom programs get the rte_mbuf; this one never needs
 * more than the two MACs, and reading them in C is cheaper).  The rules are data,
 * not code: the external variable kvs_policy is bound to the compiled rule
 * table of one filter instance when it is loaded (dataplane/filter.c), so a
 * new policy is a new table, never a new program.  Returns 1 to pass, 0 to
 * drop.
 *
 * The table is a list of runs, each a perfect hash (filter_abi.h): one probe
 * per run, and the first hit decides.  librte_bpf refuses loops, so the walk
 * is unrolled over FILTER_MAX_RULES runs and left by a forward jump after the
 * last one; the slot index is masked to FILTER_SLOTS so the validator can
 * prove the read in bounds.  A hit returns at once: no path rejoins another
 * with different state, which keeps the validator's walk linear.
 */
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;

#include "dataplane/filter_abi.h"

extern struct filter_policy kvs_policy;

__attribute__((section("mac_filter"), used)) uint64_t kvs_mac_filter(const struct filter_macs *ctx)
{
	uint64_t dst = ctx->dst, src = ctx->src;
	const struct filter_policy *p = &kvs_policy;
	uint32_t n = p->n_runs;

#pragma clang loop unroll(full)
	for (uint32_t i = 0; i < FILTER_MAX_RULES; i++) {
		const struct filter_run_abi *r = &p->runs[i];
		const struct filter_slot_abi *s;
		uint64_t v;

		if (i >= n)
			break;
		v = (r->match_dst ? dst : src) & r->mask;
		s = &p->slots[(r->base + ((v * r->mult) >> r->shift)) & (FILTER_SLOTS - 1)];
		if (s->mac == v)
			return s->allow;
	}
	return p->default_allow;
}
