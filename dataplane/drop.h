/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Named drop reasons of the dataplane.
 *
 * Every frame kvswitch discards is counted under one of these reasons, per
 * port (ingress drops on the rx queue that received the frame, egress drops on
 * the PMD's tx slot of the port it was going to).  The CLI prints them by the
 * names below, so a user reads "tx_ring_full" rather than "dropped".  Adding a
 * reason is one line here; nothing else has to change.
 */
#ifndef KVS_DP_DROP_H
#define KVS_DP_DROP_H

/* X(enum suffix, name shown to users, one-line explanation) */
#define DP_DROP_REASONS(X)                                                                         \
	X(RUNT, "runt", "frame shorter than an Ethernet (or 802.1Q) header")                       \
	X(OVERSIZE, "oversize", "frame longer than the port MTU allows")                           \
	X(BAD_LENGTH, "bad_length", "802.3 length field larger than the frame")                    \
	X(BAD_ETHERTYPE, "bad_ethertype", "ethertype 1501..1535, neither length nor type")         \
	X(DOUBLE_VLAN, "double_vlan", "stacked 802.1Q/802.1ad tags are not switched")              \
	X(SRC_MULTICAST, "src_multicast", "source MAC is multicast or broadcast")                  \
	X(VLAN_NOT_ALLOWED, "vlan_not_allowed", "VLAN not carried by the ingress port")            \
	X(NO_OUTPUT, "no_output", "no other port in the VLAN to flood to")                         \
	X(HAIRPIN, "hairpin", "destination learned on the ingress port")                           \
	X(NO_BRIDGE, "no_bridge", "ingress port is not in a bridge")                               \
	X(CLONE_FAILED, "clone_failed", "no mbuf to copy a flooded frame into")                    \
	X(TX_RING_FULL, "tx_ring_full", "guest ring or device queue full after retries")           \
	X(TX_NO_QUEUE, "tx_no_queue", "no tx queue for this PMD (yet): guest queue disabled")      \
	X(TX_DOWN, "tx_down", "port not connected or device stopped")                              \
	X(FILTER_INGRESS, "filter_ingress", "denied by the port's ingress filter")                 \
	X(FILTER_EGRESS, "filter_egress", "denied by the port's egress filter")                    \
	X(BAD_OFFLOAD, "bad_offload", "guest's checksum/segmentation request makes no sense")      \
	X(POLICED_INGRESS, "policed_ingress", "over the port's ingress_policing_rate")             \
	X(POLICED_EGRESS, "policed_egress", "over the port's QoS egress policer")                  \
	X(MIRROR_RX, "mirror_rx", "received on a mirror's output port, which only sends")          \
	X(MIRROR_FULL, "mirror_full", "mirror output port full: the copy is lost, not the frame")  \
	X(TX_NO_FIT, "tx_no_fit", "frame larger than the rx buffers the guest posted")             \
	X(TX_HELD_STALE, "tx_held_stale",                                                          \
	  "held for a full ring across a config change or reconnect")

enum dp_drop {
#define X(e, n, d) DP_DROP_##e,
	DP_DROP_REASONS(X)
#undef X
		DP_DROP_MAX
};

/* Name shown by the CLI ("tx_ring_full"); never NULL for a valid reason. */
const char *dp_drop_name(enum dp_drop r);
/* One-line description for `kvsctl` help and docs. */
const char *dp_drop_desc(enum dp_drop r);

#endif
