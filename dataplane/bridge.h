/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bridge: one L2 learning domain: its MAC table, its member ports and, per
 * VLAN, the list of ports a flooded frame goes to.  Created, changed and
 * destroyed by the control thread.  PMDs read `flood` (RCU, immutable) and
 * use the fdb's lock-free reader side.
 *
 * Flood lists are computed on the control thread from the members' confs
 * whenever the member list is published (dp_bridge_set_members), split per
 * VLAN into ports that take the frame untagged and ports that take it
 * tagged, so a PMD flooding a frame walks only the ports of its VLAN and
 * decides nothing per port.  Each entry remembers the generation of the
 * port's conf it was computed from: a port reconfigured since (the window
 * before the next publish) is re-checked against its current conf, so a
 * stale list can never send a frame into a VLAN the port left.
 */
#ifndef KVS_DP_BRIDGE_H
#define KVS_DP_BRIDGE_H

#include <stdint.h>

struct fdb;
struct fdb_params;
struct dp_mirror;
struct dp_mirror_set;

#define DP_VLANS 4096

struct dp_bridge_members {
	uint16_t n;
	uint16_t ids[];
};

struct dp_flood_entry {
	uint16_t id;
	uint32_t conf_gen;
};

struct dp_flood_list {
	uint16_t n_plain; /* e[0, n_plain): untagged; then n_tag tagged */
	uint16_t n_tag;
	struct dp_flood_entry e[];
};

/* One allocation: the per-VLAN offsets, then the distinct lists (VLANs with
 * the same ports share one). */
struct dp_flood_table {
	uint32_t off[DP_VLANS]; /* byte offset of VLAN v's list from the table */
};

static inline const struct dp_flood_list *dp_flood_list_of(const struct dp_flood_table *t,
							   uint16_t vid)
{
	return (const struct dp_flood_list *)((const char *)t + t->off[vid]);
}

struct dp_bridge {
	struct fdb *fdb;
	struct dp_bridge_members *members; /* RCU */
	struct dp_flood_table *flood;      /* RCU */
	struct dp_mirror_set *mirrors;     /* RCU; NULL = none (mirror.h) */
	char name[32];
};

/* Control thread. NULL + errno. */
struct dp_bridge *dp_bridge_create(const char *name, const struct fdb_params *fp);
/* Control thread; the bridge must have no member port left in any conf and a
 * grace period must have passed since (callers: dp_rcu_flush first). */
void dp_bridge_destroy(struct dp_bridge *br);
/* Control thread: publish a new member list and the flood lists computed
 * from the members' current confs (old ones freed after a grace period).
 * Call it again after changing a member's conf.  -errno. */
int dp_bridge_set_members(struct dp_bridge *br, const uint16_t *ids, uint16_t n);
/* Control thread: publish n (<= DP_MAX_MIRRORS) mirrors, none with n 0; the
 * old set is freed after a grace period.  -EINVAL (too many), -ENOMEM. */
int dp_bridge_set_mirrors(struct dp_bridge *br, const struct dp_mirror *m, uint16_t n);

#endif
