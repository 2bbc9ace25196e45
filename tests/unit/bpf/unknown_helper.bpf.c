/* SPDX-License-Identifier: BSD-3-Clause */
/* A program librte_bpf must refuse: it calls a kernel helper (bpf_ktime_get_ns,
 * helper 5) that does not exist in kvswitch's program ABI. */
typedef unsigned long long uint64_t;

static uint64_t (*ktime_get_ns)(void) = (void *)5;

__attribute__((section("filter"), used)) uint64_t uses_helper(void *mbuf)
{
	(void)mbuf;
	return ktime_get_ns() & 1;
}
