/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mirror: a bridge's port mirrors (OVS's Mirror table), as the pipeline
 * reads them.  The control thread builds a set (control/apply.c) and
 * publishes it with dp_bridge_set_mirrors(); PMDs read it under RCU, once per
 * burst, after the decide pass (pipeline.c).
 *
 * A frame is mirrored when a mirror selects all frames, or it was received
 * on one of the mirror's src ports, or it goes to one of its dst ports (a
 * flooded frame: when a dst port is among the VLAN's flood targets), and it
 * is in one of the mirror's VLANs (or the mirror names none).  Several
 * mirrors with one output port send it one copy.
 *
 * Consequences worth knowing:
 * - The output port takes frames as any port takes them in OVS: an access
 *   port untagged whatever their VLAN, a trunk tagged unless VLAN 0 or its
 *   native-untagged VLAN.  Frames inside the switch are untagged, so the
 *   common case shares the frame by reference count: no copy.  A copy is
 *   made only when the frame's form differs (a unicast frame already tagged
 *   for a trunk, mirrored to a port that takes it untagged, or the reverse).
 * - The output port carries nothing else: its conf has mirror_out set, so it
 *   is in no flood list, never a unicast destination, and what it receives
 *   is dropped as mirror_rx (port.h dp_port_set_conf).
 * - A full output port drops the copy, counted there as mirror_full; the
 *   mirrored ports are never held up (vhost and ethdev tx do not wait).
 * - Frames the switch drops before output (hairpin, an egress filter's
 *   refusal of a unicast frame) are not mirrored; the output port's own
 *   egress filter is not asked about copies.
 * - With no mirror on the bridge a burst costs one load and one branch.
 */
#ifndef KVS_DP_MIRROR_H
#define KVS_DP_MIRROR_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/port.h"
#include "dataplane/vlan.h"

/* Mirrors per bridge (control/db.h DB_MAX_MIRRORS). */
#define DP_MAX_MIRRORS 16

struct dp_mirror {
	uint16_t out;              /* output port id */
	uint16_t dup_of;           /* set by dp_bridge_set_mirrors: earlier
				      mirrors (bit per index) with the same out */
	bool all;                  /* select_all */
	bool any_vlan;             /* no select_vlan: every VLAN */
	bool has_dst;              /* some dst port selected */
	struct vlan_port out_vlan; /* the output port's configured VLANs: which
				      VLANs it takes untagged */
	uint64_t src[DP_MAX_PORTS / 64], dst[DP_MAX_PORTS / 64];
	uint64_t vlans[64]; /* select_vlan, bit per VID */
};

/* Immutable once published. */
struct dp_mirror_set {
	uint16_t n;
	bool dups; /* some mirror has a dup_of */
	struct dp_mirror m[];
};

/* Set each mirror's dup_of from the ones before it; true if any has one. */
static inline bool dp_mirror_mark_dups(struct dp_mirror *m, uint16_t n)
{
	bool dups = false;

	for (uint16_t i = 0; i < n; i++) {
		m[i].dup_of = 0;
		for (uint16_t j = 0; j < i; j++)
			if (m[j].out == m[i].out)
				m[i].dup_of |= (uint16_t)(1u << j);
		dups |= m[i].dup_of != 0;
	}
	return dups;
}

static inline bool dp_mirror_has_port(const uint64_t *set, uint16_t id)
{
	return (set[id >> 6] >> (id & 63)) & 1;
}

static inline void dp_mirror_add_port(uint64_t *set, uint16_t id)
{
	set[id >> 6] |= UINT64_C(1) << (id & 63);
}

/* Does a frame of VLAN vid leave mirror m's output port tagged?  As any
 * frame leaves a port in OVS: never from an access port (whatever its VLAN),
 * from a trunk unless VLAN 0 or its native-untagged VLAN. */
static inline bool dp_mirror_tags(const struct dp_mirror *m, uint16_t vid)
{
	return vlan_port_tags(&m->out_vlan, vid);
}

#endif
