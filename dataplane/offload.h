/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * offload: checksum and TCP segmentation offload metadata on frames between
 * ports, and its completion in software where an output cannot take it.
 *
 * A frame a guest sent with a partial checksum or as one large TCP segment
 * (a virtio-net header with NEEDS_CSUM or a GSO type) leaves librte_vhost's
 * dequeue with RX flags (RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS).  The
 * receiving port driver turns them into TX flags once (dp_offload_rx_prep),
 * so that every output sees one description: RTE_MBUF_F_TX_TCP_SEG with
 * tso_segsz, RTE_MBUF_F_TX_{TCP,UDP}_CKSUM, RTE_MBUF_F_TX_IPV4/IPV6 and
 * l2/l3/l4 lengths.  An output port driver then hands its device (or guest)
 * what it can take (port->ol_caps) and completes the rest here
 * (dp_offload_fit): segmentation with librte_gso for TCP/IPv4 (which has no
 * TCP/IPv6 in DPDK 22.11) and by copy for TCP/IPv6, checksums in software.
 * So a partial checksum never leaves kvswitch unfinished.
 *
 * l2_len is recomputed from the frame at the output, so VLAN push/pop on the
 * way need not maintain it.
 *
 * Threads: dp_offload_init on the control thread; the rest on PMDs.
 */
#ifndef KVS_DP_OFFLOAD_H
#define KVS_DP_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "dataplane/drop.h"

struct dp_port;

/* What an output takes (dp_port.ol_caps); 0 = a plain wire. */
#define DP_OFL_CSUM   (1u << 0) /* partial TCP/UDP checksum (guest: GUEST_CSUM) */
#define DP_OFL_TSO4   (1u << 1) /* TCP/IPv4 segmentation (guest: GUEST_TSO4) */
#define DP_OFL_TSO6   (1u << 2) /* TCP/IPv6 segmentation (guest: GUEST_TSO6) */
#define DP_OFL_IPCSUM (1u << 3) /* IPv4 header checksum (vhost computes it itself) */
#define DP_OFL_TSO_WRITES                                                                          \
	(1u << 4) /* segmenting, the device writes the mbuf: a frame                               \
		     shared by a flood is segmented here instead */

/* TX flags that ask an output for work; a frame without any is sent as is. */
#define DP_OFL_TX_WORK (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM)
/* RX flags librte_vhost sets on a frame that needs work (compliant mode). */
#define DP_OFL_RX_WORK (RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_MASK)

/* Segments one frame may become; a guest's MSS that would make more is
 * refused at input (bad_offload): 64 KB at MSS 512 is 128. */
#define DP_OFL_MAX_SEGS 128

/* Names of DP_OFL_* bits, "csum,tso4,tso6,ipcsum" ("" for none). */
void dp_offload_caps_text(uint32_t caps, char *buf, size_t len);

/* Control thread: the pool of indirect mbufs librte_gso needs.  -errno. */
int dp_offload_init(void);

/*
 * PMD, input side: turn the RX offload flags of one dequeued frame into TX
 * flags and lengths.  false: the offload request makes no sense (GSO on
 * something that is not TCP, headers cut short, an MSS of 0 or one that
 * would make more than DP_OFL_MAX_SEGS segments, a partial SCTP or unknown
 * checksum, UDP segmentation); the caller drops it as bad_offload.
 */
bool dp_offload_rx_prep(struct rte_mbuf *m);

/*
 * PMD, output side: make frame m fit an output that takes caps.  Takes
 * ownership of m.  Puts the frames to send in out (m itself, a completed
 * copy, or its segments; at most DP_OFL_MAX_SEGS) and returns how many; 0
 * when m was dropped, the reason in *why (bad_offload, clone_failed).
 * A frame flooded to several ports (refcnt > 1) is not written to: its
 * checksum is completed on a copy, and its segments are new mbufs.
 */
uint16_t dp_offload_fit(struct rte_mbuf *m, uint32_t caps, struct rte_mbuf **out,
			enum dp_drop *why);

/*
 * PMD, for a port driver's tx_burst: fit frames from in[0..n) into out
 * (room for DP_BURST + DP_OFL_MAX_SEGS), stopping before a frame whose
 * output would not fit; *used says how many of in were consumed.  Drops are
 * counted on p->tx[pmd].  Returns the number of frames in out.
 */
#define DP_OFL_OUT_ROOM (32 + DP_OFL_MAX_SEGS)
uint16_t dp_offload_fit_burst(struct dp_port *p, unsigned int pmd, uint32_t caps,
			      struct rte_mbuf **in, uint16_t n, struct rte_mbuf **out,
			      uint16_t *used);

/*
 * PMD, for a port driver's tx_burst whose burst has frames with offload work:
 * fit them a part at a time and hand each part to send with fitted = true
 * (flags left on its frames are ones the port takes).  Same ownership as
 * tx_burst; returns the frames sent.
 */
typedef uint16_t (*dp_offload_send_fn)(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts,
				       uint16_t n, bool fitted);
uint16_t dp_offload_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n,
		       dp_offload_send_fn send);

#endif
