/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data layout shared by the built-in MAC filter program
 * (dataplane/bpf/mac_filter.bpf.c, compiled for BPF) and dataplane/filter.c
 * (compiled for the host).  Plain fixed-size fields only: both compilers must
 * lay it out the same way.  MACs are 48-bit numbers, first byte most
 * significant, as the program reads them from the frame.
 *
 * The rules are compiled into runs: a run is a longest sequence of
 * consecutive rules on the same field with the same mask, stored as a perfect
 * hash of its masked MACs over its own range of slots[].  A frame costs one
 * probe per run, not one compare per rule: 15 exact MACs then an OUI prefix
 * are two runs, two probes; "lock to these MACs" is one.  Runs are walked in
 * rule order and the first hit decides, which is exactly "the first matching
 * rule decides", because every rule of a run comes before every rule of the
 * next.  (Merging non-adjacent runs of one mask would need the walk to
 * compare rule indexes, and librte_bpf's validator explores such joins
 * path by path: 2^runs of them.)
 */
#ifndef KVS_DP_FILTER_ABI_H
#define KVS_DP_FILTER_ABI_H

/*
 * Custom programs (a user's object, a tcpdump expression): the context in R1
 * is an opaque handle on the frame (librte_bpf's RTE_BPF_ARG_PTR_MBUF, so
 * packet loads work).  A program may
 *   - read the frame's bytes with packet loads (BPF_LD_ABS / BPF_LD_IND,
 *     clang's llvm.bpf.load.byte/half/word), with R6 a plain copy of R1:
 *     offsets from the first byte of the Ethernet header, values in host
 *     order, a load past the end of the frame ends the program with 0;
 *   - read the frame's length in bytes, a 32-bit value at
 *     FILTER_CTX_PKT_LEN_OFF from R1 (a plain load, R1 plus a constant);
 *   - read and write its own 512-byte stack;
 * and nothing else: dataplane/filter_check.c refuses, with its pc, any other
 * load or store, before the program can run.  The frame is untagged (a
 * trunk's 802.1Q tag has been taken off); its VLAN and input port are not
 * part of the ABI.
 */
#define FILTER_CTX_PKT_LEN_OFF 36 /* == offsetof(struct rte_mbuf, pkt_len), asserted */

#define FILTER_MAX_RULES 32
/* All runs' slots.  A run of k rules takes the power of two >= 8k (at least
 * 8), so any split of 32 rules fits in 512 slots. */
#define FILTER_SLOTS      512
#define FILTER_SLOT_EMPTY 0xffffffffffffffffULL /* no 48-bit MAC equals it */

struct filter_run_abi {
	uint64_t mask;      /* 48-bit */
	uint64_t mult;      /* odd multiplier of this run's perfect hash */
	uint32_t shift;     /* 64 - log2(slots of this run), <= 61 */
	uint32_t base;      /* first slot of this run in slots[] */
	uint32_t match_dst; /* 0: source MAC, 1: destination MAC */
	uint32_t pad;
};

struct filter_slot_abi {
	uint64_t mac;  /* masked MAC, or FILTER_SLOT_EMPTY */
	uint32_t rule; /* its first rule; the program reads only allow (a debugger
			* dump names the rule, and the slot stays 16 bytes) */
	uint32_t allow;
};

/* The built-in program's context: the frame's two MACs as numbers, filled by
 * filter_pass() from the Ethernet header the pipeline has just read.  Four
 * bounds-checked packet loads and byte swaps inside the JIT cost more than
 * the rest of a one-run policy. */
struct filter_macs {
	uint64_t dst;
	uint64_t src;
};

struct filter_policy {
	uint32_t n_runs;
	uint32_t default_allow;
	struct filter_run_abi runs[FILTER_MAX_RULES];
	struct filter_slot_abi slots[FILTER_SLOTS];
};

#endif
