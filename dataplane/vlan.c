/* SPDX-License-Identifier: BSD-3-Clause */
/* 802.1Q ingress classification and egress tagging (see vlan.h).  Runs on
 * PMD threads once per frame; no allocation, no logging. */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/vlan.h"

/*
 * Longer than the port's MTU allows (max_len plus `tag` bytes of 802.1Q tag)?
 * A GSO frame (a guest's 64 KB TCP segment, validated by its port's rx) is
 * judged by the segments it will become: its headers plus its MSS.
 */
static bool too_long(const struct rte_mbuf *m, uint32_t max_len, uint32_t tag)
{
	if (unlikely(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG))
		return (uint32_t)m->l2_len + m->l3_len + m->l4_len + m->tso_segsz > max_len + tag;
	return m->pkt_len > max_len + tag;
}

/* Ethertype/length after the L2 header: 802.3 length fields must fit in the
 * frame, and 1501..1535 is neither a length nor a type. */
static enum dp_drop check_type(uint16_t et, uint32_t payload_len)
{
	if (et >= 0x0600)
		return DP_DROP_MAX;
	if (et > RTE_ETHER_MTU)
		return DP_DROP_BAD_ETHERTYPE;
	if (et > payload_len)
		return DP_DROP_BAD_LENGTH;
	return DP_DROP_MAX;
}

enum dp_drop vlan_ingress(const struct vlan_port *p, struct rte_mbuf *m, uint32_t max_len,
			  uint16_t *tci)
{
	struct rte_ether_hdr *eh;
	struct rte_vlan_hdr *vh;
	uint16_t et, tag_tci, tci_vid;

	if (rte_pktmbuf_data_len(m) < sizeof(*eh))
		return DP_DROP_RUNT;
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (!rte_is_unicast_ether_addr(&eh->src_addr))
		return DP_DROP_SRC_MULTICAST;
	et = rte_be_to_cpu_16(eh->ether_type);

	if (!vlan_is_tpid(et)) {
		if (too_long(m, max_len, 0))
			return DP_DROP_OVERSIZE;
		enum dp_drop r = check_type(et, m->pkt_len - sizeof(*eh));
		if (r != DP_DROP_MAX)
			return r;
		if (p->tag | p->native) {
			*tci = p->tag | p->native; /* one of them is 0 */
			return DP_DROP_MAX;
		}
		if (!vlan_bit(p->trunks, 0))
			return DP_DROP_VLAN_NOT_ALLOWED;
		*tci = 0;
		return DP_DROP_MAX;
	}

	if (et != RTE_ETHER_TYPE_VLAN)
		return DP_DROP_DOUBLE_VLAN; /* 802.1ad S-tag: always a stack */
	if (rte_pktmbuf_data_len(m) < sizeof(*eh) + sizeof(*vh))
		return DP_DROP_RUNT;
	if (too_long(m, max_len, sizeof(*vh)))
		return DP_DROP_OVERSIZE;
	vh = (struct rte_vlan_hdr *)(eh + 1);
	et = rte_be_to_cpu_16(vh->eth_proto);
	if (vlan_is_tpid(et))
		return DP_DROP_DOUBLE_VLAN;
	enum dp_drop r = check_type(et, m->pkt_len - sizeof(*eh) - sizeof(*vh));
	if (r != DP_DROP_MAX)
		return r;
	tag_tci = rte_be_to_cpu_16(vh->vlan_tci);
	tci_vid = tag_tci & VLAN_VID_MASK;
	if (p->tag) {
		/* priority-tagged frames belong to the access VLAN */
		if (tci_vid != 0)
			return DP_DROP_VLAN_NOT_ALLOWED;
		*tci = (tag_tci & ~VLAN_VID_MASK) | p->tag;
	} else if (tci_vid == 0 && p->native) {
		*tci = (tag_tci & ~VLAN_VID_MASK) | p->native; /* priority tag: native VLAN */
	} else {
		if (!vlan_bit(p->trunks, tci_vid))
			return DP_DROP_VLAN_NOT_ALLOWED;
		*tci = tag_tci;
	}
	/* Strip: move the MAC addresses forward over the tag. */
	memmove(rte_pktmbuf_mtod_offset(m, char *, sizeof(*vh)), eh, 2 * RTE_ETHER_ADDR_LEN);
	rte_pktmbuf_adj(m, sizeof(*vh));
	/* offload metadata (a guest's partial checksum or GSO frame) counts
	 * the L2 header: it is 4 bytes shorter now */
	if (m->l2_len >= sizeof(*eh) + sizeof(*vh))
		m->l2_len -= sizeof(*vh);
	return DP_DROP_MAX;
}

int vlan_push(struct rte_mbuf *m, uint16_t tci)
{
	/* rte_vlan_insert adds the tag to l2_len itself (DPDK 22.11) */
	m->vlan_tci = tci;
	return rte_vlan_insert(&m);
}

void vlan_set_all(uint64_t set[64])
{
	memset(set, 0xff, 64 * sizeof(uint64_t));
}
