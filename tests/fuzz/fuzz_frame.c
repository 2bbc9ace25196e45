/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_frame: 802.1Q classification of a guest's frame (dataplane/vlan.c
 * vlan_ingress) and egress tagging (vlan_push), on an mbuf whose segments
 * are malloc'd to their exact size so AddressSanitizer sees any read past
 * the frame.  No EAL: the mbuf is built by hand (one or two segments, an
 * even headroom of 0, 2, 4 or 128 bytes, as PMDs give).
 *
 * Input: byte 0 = port and layout (bit 0 access port, bit 1 a trunk carries
 * VLAN 0, bit 2 a trunk carries all VLANs, bits 3-4 headroom, bit 5 two
 * segments), bytes 1-2 = the access VLAN or a VLAN the trunk carries, bytes
 * 3-4 = the port's longest untagged frame, byte 5 = where the second segment
 * starts; the rest is the frame.
 *
 * Invariants for an accepted frame: its VLAN is one the port carries; the
 * tag (if any) was removed and nothing else changed (MACs, length, payload);
 * what follows the MACs is not a tag type (no stacked tag gets in: M4);
 * it fits max_len; the filter context reads its MACs.  Then vlan_push adds
 * exactly one 802.1Q tag, or says there is no headroom.
 */
#include <errno.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/filter.h"
#include "dataplane/vlan.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/tpid.h"

#define HDR 6

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t headrooms[] = {0, 2, 4, 128};
	struct rte_mbuf m[2];
	struct vlan_port port = {0};
	const uint8_t *frame = data + HDR;
	uint8_t *seg[2] = {NULL, NULL}, *p;
	uint16_t vid = 0xffff, tci, v, head;
	uint32_t len, len0, max_len;
	enum dp_drop r;
	bool two;

	if (size < HDR || size - HDR > 16384)
		return 0;
	len = (uint32_t)(size - HDR);
	v = be16_at(data + 1) % 4096;
	if (data[0] & 1) {
		port.tag = v ? (v == 4095 ? 4094 : v) : 1;
	} else {
		if (data[0] & 4)
			vlan_set_all(port.trunks);
		if (data[0] & 2)
			port.trunks[0] |= 1;
		port.trunks[v >> 6] |= 1ULL << (v & 63);
	}
	max_len = 60 + be16_at(data + 3) % 9700;
	head = headrooms[(data[0] >> 3) & 3];
	two = (data[0] & 0x20) && len > 0;
	len0 = two ? (uint32_t)((uint64_t)len * data[5] / 256) : len;

	/* the segments, each exactly as long as its data */
	memset(m, 0, sizeof(m));
	seg[0] = malloc(head + len0);
	if (seg[0] == NULL)
		abort();
	memcpy(seg[0] + head, frame, len0);
	m[0].buf_addr = seg[0];
	m[0].buf_len = (uint16_t)(head + len0);
	m[0].data_off = head;
	m[0].data_len = (uint16_t)len0;
	m[0].pkt_len = len;
	m[0].nb_segs = 1;
	rte_mbuf_refcnt_set(&m[0], 1);
	if (two) {
		seg[1] = malloc(len - len0);
		if (seg[1] == NULL)
			abort();
		memcpy(seg[1], frame + len0, len - len0);
		m[1].buf_addr = seg[1];
		m[1].buf_len = (uint16_t)(len - len0);
		m[1].data_len = (uint16_t)(len - len0);
		m[1].pkt_len = len - len0;
		m[1].nb_segs = 1;
		rte_mbuf_refcnt_set(&m[1], 1);
		m[0].next = &m[1];
		m[0].nb_segs = 2;
	}

	r = vlan_ingress(&port, &m[0], max_len, &vid);
	if (r > DP_DROP_MAX)
		fuzz_fail("vlan_ingress: reason %d out of range", r);
	if (r != DP_DROP_MAX)
		goto out;

	/* accepted: vlan_ingress gives the TCI, whose low 12 bits are the VLAN
	 * and whose PCP and DEI are the tag's (0 for an untagged frame) */
	tci = vid;
	vid &= 0x0fff;
	bool tagged = len >= 14 && be16_at(frame + 12) == RTE_ETHER_TYPE_VLAN;
	if ((tci & 0xf000) != (tagged ? (be16_at(frame + 14) & 0xf000) : 0))
		fuzz_fail("TCI %#x lost or invented the priority bits (tagged %d)", tci, tagged);
	uint32_t strip = tagged ? 4 : 0;

	p = rte_pktmbuf_mtod(&m[0], uint8_t *);
	if (!vlan_port_carries(&port, vid))
		fuzz_fail("accepted into VLAN %u, which the port (tag %u) does not carry", vid,
			  port.tag);
	if (m[0].pkt_len != len - strip || m[0].data_len != len0 - strip ||
	    m[0].data_len < RTE_ETHER_HDR_LEN)
		fuzz_fail("accepted with lengths %u/%u from %u/%u (tagged %d)", m[0].pkt_len,
			  m[0].data_len, len, len0, tagged);
	if (m[0].pkt_len > max_len)
		fuzz_fail("accepted a frame of %u bytes over max_len %u", m[0].pkt_len, max_len);
	if (memcmp(p, frame, 12) != 0 || memcmp(p + 12, frame + 12 + strip, len0 - 12 - strip))
		fuzz_fail("accepted frame changed beyond its tag");
	if (fuzz_is_tpid(be16_at(p + 12)) && !(be16_at(p + 12) == 0x9300 && fuzz_tolerate("m4")))
		fuzz_fail("accepted a stacked tag: ethertype 0x%04x after %s (port tag %u, VLAN "
			  "%u)",
			  be16_at(p + 12), tagged ? "a stripped 802.1Q tag" : "the MACs", port.tag,
			  vid);
	if (p[6] & 1)
		fuzz_fail("accepted a multicast source MAC");
	{
		struct filter_macs x;
		uint64_t dst = 0, src = 0;

		filter_macs_get(&m[0], &x);
		for (int i = 0; i < 6; i++) {
			dst = dst << 8 | p[i];
			src = src << 8 | p[6 + i];
		}
		if (x.dst != dst || x.src != src)
			fuzz_fail("filter context MACs differ from the frame's");
	}

	/* egress: a trunk tags VLANs other than 0 */
	if (!two && vid != 0) {
		uint32_t before = m[0].pkt_len;
		uint16_t off = m[0].data_off;
		int rc = vlan_push(&m[0], tci);

		if (off < 4) {
			if (rc != -ENOSPC)
				fuzz_fail("vlan_push with %u bytes of headroom: %d", off, rc);
			goto out;
		}
		p = rte_pktmbuf_mtod(&m[0], uint8_t *);
		if (rc != 0 || m[0].pkt_len != before + 4 || be16_at(p + 12) != 0x8100 ||
		    (be16_at(p + 14) & 0xfff) != vid || memcmp(p, frame, 12) != 0 ||
		    memcmp(p + 16, frame + 12 + strip, before - 12))
			fuzz_fail("vlan_push(%u) did not add exactly one tag (rc %d)", vid, rc);
	}
out:
	free(seg[0]);
	free(seg[1]);
	return 0;
}
