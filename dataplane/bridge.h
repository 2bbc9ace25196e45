/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bridge: one L2 learning domain: its MAC table and its member ports.
 * Created, changed and destroyed by the control thread.  PMDs read
 * `members` (RCU, immutable: the flood list) and use the fdb's lock-free
 * reader API.  A port's VLAN membership lives in the port's conf, so a
 * flood filters members by VLAN as it walks them.
 */
#ifndef KVS_DP_BRIDGE_H
#define KVS_DP_BRIDGE_H

#include <stdint.h>

struct fdb;
struct fdb_params;

struct dp_bridge_members {
	uint16_t n;
	uint16_t ids[];
};

struct dp_bridge {
	struct fdb *fdb;
	struct dp_bridge_members *members; /* RCU */
	char name[32];
};

/* Control thread. NULL + errno. */
struct dp_bridge *dp_bridge_create(const char *name, const struct fdb_params *fp);
/* Control thread; the bridge must have no member port left in any conf and a
 * grace period must have passed since (callers: dp_rcu_flush first). */
void dp_bridge_destroy(struct dp_bridge *br);
/* Control thread: publish a new member list (old one freed after a grace
 * period). -errno. */
int dp_bridge_set_members(struct dp_bridge *br, const uint16_t *ids, uint16_t n);

#endif
