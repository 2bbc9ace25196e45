/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to the filter module (filter.c, filter_pcap.c, filter_check.c):
 * loading a program with librte_bpf's explanation of a refusal, the proof of
 * what a custom program may touch, and the wrap-up into a struct filter.
 * Control thread only.
 */
#ifndef KVS_DP_FILTER_PRIV_H
#define KVS_DP_FILTER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_bpf.h>

#include "dataplane/filter.h"

/* rte_bpf_elf_load (elf != NULL) or rte_bpf_load, with librte_bpf's own
 * explanation of a refusal in why. */
struct rte_bpf *filter_load_explained(const struct rte_bpf_prm *prm, const char *elf,
				      const char *section, char *why, size_t whylen);

/* 0 if the custom program ins[0..n-1] touches only what filter_abi.h grants
 * (its stack, the frame length, the frame's bytes through packet loads),
 * else -EINVAL with the first offending pc and why (filter_check.c). */
int filter_check_program(const struct ebpf_insn *ins, uint32_t n, char *why, size_t whylen);

/* false if librte_bpf's JIT would miscompile ins[0..n-1] (filter_check.c):
 * run it interpreted. */
bool filter_jit_safe(const struct ebpf_insn *ins, uint32_t n);

/* A custom program (prm's instructions, no external symbols) given the
 * frame's mbuf: validated by librte_bpf, then by filter_check_program.
 * NULL with "refused by the validator: ..." or "refused: pc N: ..." in why. */
struct rte_bpf *filter_load_custom(const struct rte_bpf_prm *prm, char *why, size_t whylen);

/* bpf (and pol, bound to it) as a struct filter, run by its JIT code when
 * there is some and jit is true, else interpreted. */
struct filter *filter_finish(struct rte_bpf *bpf, struct filter_policy *pol, bool jit,
			     const char *what, char *err, size_t errlen);

#endif
