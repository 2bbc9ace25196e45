/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Example custom kvswitch filter: pass IPv4 and ARP frames, drop the rest
 * (IPv6, LLDP, anything else).  Build and attach:
 *
 *   clang -O2 -target bpf -c ipv4_arp_only.bpf.c -o ipv4_arp_only.bpf.o
 *   kvsctl set Port vm1 filter:ingress-program=/etc/kvswitch/ipv4_arp_only.bpf.o
 *
 * The program ABI (docs/filters.md): the context is the frame's rte_mbuf,
 * read packet bytes with BPF_LD_ABS/LD_IND (the load_* builtins below; byte
 * offsets from the start of the untagged Ethernet header, values in host
 * order); return non-zero to pass, 0 to drop.  No helpers, no maps, no loops:
 * librte_bpf's validator refuses what it cannot prove safe, and kvswitch shows
 * its reason.
 */
typedef unsigned long long uint64_t;

unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

__attribute__((section("filter"), used)) uint64_t ipv4_arp_only(void *mbuf)
{
	uint64_t ethertype = load_half(mbuf, 12);

	return ethertype == 0x0800 || ethertype == 0x0806;
}
