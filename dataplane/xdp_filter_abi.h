/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The maps shared by the kernel half of a port's ingress MAC rules
 * (dataplane/bpf/xdp_mac_filter.bpf.c, an XDP program the af_xdp PMD loads
 * with xdp_prog=) and the control thread that writes them through libbpf
 * (control/xdp_filter.c).  Fixed-size __u* fields only: clang -target bpf and
 * the host compiler must lay them out the same way, and bpftool shows them by
 * these names (the object carries BTF).
 *
 * A policy is one generation: its exact-MAC rules in XDP_MAP_EXACT keyed by
 * generation, its masked rules and default in XDP_MAP_BANK[gen & 1].  The
 * control thread writes a new generation next to the current one, switches
 * XDP_MAP_GEN (one 4-byte store), waits a grace period and deletes the old
 * entries, so a frame sees one policy or the other, never a mix.
 * Generation 0 means no policy: every frame passes.
 */
#ifndef KVS_DP_XDP_FILTER_ABI_H
#define KVS_DP_XDP_FILTER_ABI_H

#include <linux/types.h>

#include "dataplane/filter_abi.h" /* FILTER_MAX_RULES */

/* Map names, as the control thread finds them on a running program; the
 * af_xdp PMD looks up "xsks_map" itself. */
#define XDP_MAP_XSKS  "xsks_map"
#define XDP_MAP_GEN   "kvs_xdp_gen"
#define XDP_MAP_BANK  "kvs_xdp_bank"
#define XDP_MAP_EXACT "kvs_xdp_exact"
#define XDP_MAP_STATS "kvs_xdp_stats"

#define XDP_MAX_QUEUES 256 /* xsks_map slots: netdev rx queue indexes */
#define XDP_NO_MATCH   0xffffffffu

struct xdp_exact_key {
	__u32 gen;
	__u8 dst; /* 0: source MAC, 1: destination MAC */
	__u8 mac[6];
	__u8 pad; /* 0 */
};

struct xdp_exact_val {
	__u32 index; /* position in the rule list: first match wins */
	__u32 allow;
	__u64 denied; /* frames this rule dropped (atomic add) */
};

struct xdp_masked_rule {
	__u64 mac; /* 48-bit, first byte most significant, already masked */
	__u64 mask;
	__u32 index;
	__u32 dst;
	__u32 allow;
	__u32 pad;
	__u64 denied;
};

/* XDP_MAP_BANK value: the masked rules (ascending index) and the default. */
struct xdp_bank {
	__u32 gen; /* the generation this bank was written for */
	__u32 default_allow;
	__u32 n_masked;
	__u32 n_rules; /* exact and masked: the policy's rule count */
	__u64 default_denied;
	struct xdp_masked_rule masked[FILTER_MAX_RULES];
};

/* XDP_MAP_STATS value: since the program was loaded, across policies. */
struct xdp_stats {
	__u64 denied;
};

#endif
