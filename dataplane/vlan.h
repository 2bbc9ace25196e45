/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vlan: 802.1Q classification on ingress and tagging on egress, with OVS's
 * port semantics:
 * - access port (tag=N): accepts untagged and priority-tagged (VID 0) frames
 *   into VLAN N, drops other tagged frames; transmits untagged.
 * - trunk port (tag unset; trunks=list or all): accepts tagged frames whose
 *   VID is in the list and untagged frames into VLAN 0 when 0 is carried;
 *   transmits VLAN 0 untagged and every other VLAN tagged.
 * - trunk with a native VLAN N (OVS's vlan_mode native-tagged and
 *   native-untagged): a trunk whose untagged and priority-tagged frames
 *   belong to VLAN N; native-untagged also transmits VLAN N untagged.
 * Inside the switch a frame is always untagged with its VLAN kept aside, so
 * one mbuf can be flooded to many ports and only trunk ports that need the
 * tag get a tagged copy.  The whole TCI travels with the frame: a tag pushed
 * on egress carries the priority (PCP) and DEI the frame arrived with (0 for
 * a frame that arrived untagged).  Stacked tags (QinQ, 802.1ad, and the
 * pre-standard TPIDs 0x9100, 0x9200, 0x9300) are refused.
 * Called by the pipeline on PMD threads; pure functions, no state.
 */
#ifndef KVS_DP_VLAN_H
#define KVS_DP_VLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/drop.h"

struct rte_mbuf;

struct vlan_port {
	uint16_t tag;         /* access VLAN, 0 for a trunk port */
	uint16_t native;      /* a trunk's native VLAN, 0 for none (its bit is in trunks) */
	bool native_untagged; /* native VLAN frames leave untagged */
	uint64_t trunks[64];  /* VLANs a trunk carries (bit per VID) */
};

static inline bool vlan_bit(const uint64_t *set, uint16_t vid)
{
	return (set[vid >> 6] >> (vid & 63)) & 1;
}

/* Does the port carry VLAN vid? */
static inline bool vlan_port_carries(const struct vlan_port *p, uint16_t vid)
{
	return p->tag ? p->tag == vid : vlan_bit(p->trunks, vid);
}

/* Must a frame of VLAN vid leave this port tagged? */
static inline bool vlan_port_tags(const struct vlan_port *p, uint16_t vid)
{
	return p->tag == 0 && vid != 0 && !(p->native_untagged && vid == p->native);
}

#define VLAN_VID_MASK 0x0fff

/* Is ethertype et (host order) a tag protocol identifier? */
static inline bool vlan_is_tpid(uint16_t et)
{
	/* 0x8100, 0x88a8, and 0x9100/0x9200/0x9300 */
	return et == 0x8100 || et == 0x88a8 ||
	       ((uint16_t)(et - 0x9100) <= 0x0200 && (et & 0x00ff) == 0);
}

/*
 * Validate the L2 header of an ingress frame, strip its 802.1Q tag if any and
 * return its TCI in *tci: the VLAN it belongs to (the access VLAN on an
 * access port) in the low 12 bits, with the PCP and DEI bits of its tag.
 * Returns DP_DROP_MAX when the frame is accepted, otherwise the drop reason
 * (the caller counts and frees).  max_len is the longest frame the port
 * accepts without a tag (MTU + 14).
 */
enum dp_drop vlan_ingress(const struct vlan_port *p, struct rte_mbuf *m, uint32_t max_len,
			  uint16_t *tci);

/* Insert an 802.1Q tag with this TCI in place (m must not be shared).
 * 0 or -errno. */
int vlan_push(struct rte_mbuf *m, uint16_t tci);

/* Set every VID (a trunk carrying all VLANs). */
void vlan_set_all(uint64_t set[64]);

#endif
