/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data layout shared by the built-in MAC filter program
 * (dataplane/bpf/mac_filter.bpf.c, compiled for BPF) and dataplane/filter.c
 * (compiled for the host).  Plain fixed-size fields only: both compilers must
 * lay it out the same way.  MACs are 48-bit numbers, first byte most
 * significant, as the program reads them from the frame.
 */
#ifndef KVS_DP_FILTER_ABI_H
#define KVS_DP_FILTER_ABI_H

#define FILTER_MAX_RULES 32

struct filter_rule_abi {
	uint64_t mac; /* already masked */
	uint64_t mask;
	uint32_t match_dst; /* 0: source MAC, 1: destination MAC */
	uint32_t allow;     /* 1: pass, 0: drop */
};

struct filter_policy {
	uint32_t n_rules;
	uint32_t default_allow;
	struct filter_rule_abi rules[FILTER_MAX_RULES];
};

#endif
