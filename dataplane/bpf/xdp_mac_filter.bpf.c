/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel half of a port's ingress MAC rules: an XDP program that the
 * af_xdp PMD loads on the port's netdev (kvswitchd passes it as xdp_prog=,
 * control/xdp_filter.c), so a denied frame is dropped before it costs a umem
 * buffer, a copy or a PMD cycle.  Passed frames go to the AF_XDP socket of
 * their rx queue (xsks_map, filled by the PMD); with no socket on that queue
 * they go to the kernel stack (bpf_redirect_map's fallback action).
 *
 * Same semantics as the built-in librte_bpf program (mac_filter.bpf.c):
 * rules in order, first match wins, the default for the rest.  The maps and
 * their update protocol are described in dataplane/xdp_filter_abi.h.  Per
 * frame: one array lookup for the generation, one for the bank, two hash
 * lookups (source and destination MAC), then the masked rules that come
 * before the best exact hit.  Counting costs an atomic add on denied frames
 * only.
 */
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;

#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include "dataplane/xdp_filter_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} kvs_xdp_gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct xdp_bank);
} kvs_xdp_bank SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * FILTER_MAX_RULES); /* two generations at most */
	__type(key, struct xdp_exact_key);
	__type(value, struct xdp_exact_val);
} kvs_xdp_exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdp_stats);
} kvs_xdp_stats SEC(".maps");

static __u64 mac48(const __u8 *m)
{
	return ((__u64)m[0] << 40) | ((__u64)m[1] << 32) | ((__u64)m[2] << 24) |
	       ((__u64)m[3] << 16) | ((__u64)m[4] << 8) | m[5];
}

static struct xdp_exact_val *exact(__u32 gen, __u8 dst, const __u8 *mac)
{
	struct xdp_exact_key k = {.gen = gen, .dst = dst};

	__builtin_memcpy(k.mac, mac, 6);
	return bpf_map_lookup_elem(&kvs_xdp_exact, &k);
}

SEC("xdp")
int kvs_xdp_mac_filter(struct xdp_md *ctx)
{
	const __u8 *eth = (const __u8 *)(long)ctx->data;
	const void *end = (const void *)(long)ctx->data_end;
	struct xdp_exact_val *hs, *hd, *hit = 0;
	struct xdp_masked_rule *mr = 0;
	struct xdp_stats *st;
	struct xdp_bank *bank;
	__u32 zero = 0, gen, slot, best = XDP_NO_MATCH, allow, i;
	__u64 src, dst, *counter;
	__u32 *genp;

	if ((const void *)(eth + 12) > end)
		goto pass; /* a runt: the switch counts and drops it */
	genp = bpf_map_lookup_elem(&kvs_xdp_gen, &zero);
	if (genp == 0)
		goto pass;
	gen = *(volatile __u32 *)genp;
	if (gen == 0)
		goto pass;
	slot = gen & 1;
	bank = bpf_map_lookup_elem(&kvs_xdp_bank, &slot);
	if (bank == 0)
		goto pass;

	hs = exact(gen, 0, eth + 6);
	if (hs) {
		hit = hs;
		best = hs->index;
	}
	hd = exact(gen, 1, eth);
	if (hd && hd->index < best) {
		hit = hd;
		best = hd->index;
	}
	dst = mac48(eth);
	src = mac48(eth + 6);
	for (i = 0; i < FILTER_MAX_RULES; i++) {
		struct xdp_masked_rule *r = &bank->masked[i];

		if (i >= bank->n_masked || r->index >= best)
			break;
		if (((r->dst ? dst : src) & r->mask) == r->mac) {
			mr = r;
			break;
		}
	}

	if (mr) {
		allow = mr->allow;
		counter = &mr->denied;
	} else if (hit) {
		allow = hit->allow;
		counter = &hit->denied;
	} else {
		allow = bank->default_allow;
		counter = &bank->default_denied;
	}
	if (!allow) {
		__sync_fetch_and_add(counter, 1);
		st = bpf_map_lookup_elem(&kvs_xdp_stats, &zero);
		if (st)
			__sync_fetch_and_add(&st->denied, 1);
		return XDP_DROP;
	}
pass:
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
