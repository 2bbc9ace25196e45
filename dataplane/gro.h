/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gro: merging consecutive TCP/IPv4 segments of a received burst into one
 * large frame (librte_gro), for `dpdk` ports with options:gro=true.
 *
 * A guest that negotiated GUEST_TSO then receives one 64 KB-class frame with
 * a virtio-net GSO header instead of dozens of MSS-sized ones: fewer
 * descriptors, interrupts and stack passes in the guest, which is where a
 * VM's receive CPU goes.  A merged frame carries the same description as a
 * guest's TSO frame (offload.h: RTE_MBUF_F_TX_TCP_SEG, tso_segsz, lengths),
 * so an output that cannot take it cuts it again with librte_gso: correct,
 * but the merge was wasted work, hence off by default.
 *
 * What is merged, and why not more: untagged frames only (librte_gro's flow
 * key has no VLAN, so equal addresses on two VLANs would merge across them);
 * IPv4 without options (librte_gro strips merged tails by the head's header
 * length); single-segment frames whose IPv4 total length matches the frame
 * (Ethernet padding would count as payload); ACK-only segments of at least
 * 536 bytes whose IPv4 and TCP checksums are right, checked here unless the
 * device said so (a merged frame reaches the guest with a partial checksum,
 * which the guest trusts: a corrupt segment must not hide in it).  A run
 * shares TOS and TTL (librte_gro keeps only the head's: an ECN CE mark would
 * vanish) and one segment size, a shorter segment ending it, so a merged
 * frame cut back gives exactly its segments.  Frames that are not candidates
 * break a run, so every flow keeps its order.
 *
 * Threads: PMD only; no state.
 */
#ifndef KVS_DP_GRO_H
#define KVS_DP_GRO_H

#include <stdint.h>

struct rte_mbuf;

/* Merge within pkts[0..n); returns the new count.  Frames keep their
 * relative order per flow.  The merged-away mbufs become segments of the
 * frame they joined: ownership of all n stays with the caller.  *absorbed_bytes
 * gets the header bytes that disappeared (the wire bytes minus the frames'
 * bytes after merging), so rx counters can stay wire-accurate. */
uint16_t dp_gro_burst(struct rte_mbuf **pkts, uint16_t n, uint64_t *absorbed_bytes);

#endif
