/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * state: the running switch as the control thread sees it: the applied
 * configuration (db), and for each bridge, port and PMD the dataplane object
 * that implements it.  Owned and touched by the control thread only (the RPC
 * handlers, the apply step and the periodic tick all run on it).
 */
#ifndef KVS_CONTROL_STATE_H
#define KVS_CONTROL_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "control/db.h"
#include "control/filter_cfg.h"
#include "dataplane/fdb.h"
#include "dataplane/port.h"

#define SW_MAX_BRIDGES 64

/* what db_validate() lets through must fit (control/apply.c's tables) */
_Static_assert(DB_MAX_BRIDGES == SW_MAX_BRIDGES, "bridge limits differ");
_Static_assert(DB_MAX_PORTS <= DP_MAX_PORTS, "port limits differ");

struct dp_bridge;
struct pmd;

struct sw_bridge {
	char name[32];
	struct db_bridge_cfg cfg;
	struct dp_bridge *dp;
	/* fdb/stats-clear: the MAC table's counters then; views show the
	 * difference (the table's own counters only ever grow) */
	struct fdb_stats stats_base;
};

struct sw_port {
	char name[32];
	char bridge[32];
	struct db_port_cfg cfg;
	struct dp_port *dp; /* NULL when the device could not be opened */
	bool mirror_out;    /* an output port of one of its bridge's mirrors */
	char error[256];    /* why dp is NULL, shown by `show` */
	/* The applied filter configuration, parsed (control/port_filter.c):
	 * what each direction asks for and, for rules, the table; the form
	 * other dataplanes (XDP) program from.  filter_error: start-up only, a
	 * filter that could not be built (that direction drops everything). */
	enum filter_cfg_kind filter_kind[FILTER_DIR_MAX];
	struct filter_rules filter_rules[FILTER_DIR_MAX];
	char filter_error[256];
};

struct sw {
	struct db *db; /* what is applied */
	struct db_ovs_cfg ovs;
	char config_path[PATH_MAX];
	/* OVSDB mode: the database the configuration comes from
	 * (control/ovsdb_client.h), "" in standalone mode */
	char ovsdb_remote[PATH_MAX + 8];
	unsigned int control_core;
	struct sw_bridge *bridges[SW_MAX_BRIDGES];
	struct sw_port *ports[DP_MAX_PORTS]; /* by name order of creation */
	unsigned int n_ports;
	struct pmd *pmds[DP_MAX_PMDS]; /* by slot; NULL = free slot */
	unsigned int n_pmd_slots;      /* highest used slot + 1 */
	bool started;
};

extern struct sw sw;

/* A port's OpenFlow-style number, as ovs-vsctl and kvsctl show it: its
 * dataplane id + 1 (OpenFlow numbers start at 1). */
static inline unsigned int sw_ofport(const struct dp_port *p)
{
	return p->id + 1u;
}

struct sw_bridge *sw_bridge_find(const char *name);
struct sw_port *sw_port_find(const char *name);

/* The VLANs p's configuration gives it, in the dataplane's terms: what its
 * conf carries (control/apply.c) and, for a mirror's output port, how it
 * takes copies (control/mirror.c). */
static inline void sw_port_vlan(const struct sw_port *p, struct vlan_port *v)
{
	v->tag = p->cfg.tag;
	v->native = p->cfg.native_vlan;
	v->native_untagged = p->cfg.native_untagged;
	memcpy(v->trunks, p->cfg.trunks, sizeof(v->trunks));
}
struct sw_port *sw_port_by_id(uint16_t id);

/*
 * Make the dataplane match db.  strict (RPC changes): if any new port cannot
 * be opened nothing changes and -errno is returned with err set.  Not strict
 * (start-up): ports that cannot be opened stay in the configuration with
 * their error shown, as OVS does.  On success sw.db = db (ownership taken).
 */
int apply_db(struct db *db, bool strict, char *err, size_t errlen);
/* Push PMD settings (pmd-sleep-max), re-plan rx queues over PMDs if what
 * placement depends on changed (control/rxq_plan.h), rebuild tx maps.  After
 * configuration changes and vhost events. */
void apply_replan(void);
/* vhost event fd fired: collect port events and re-plan if needed. */
void apply_vhost_events(void);
/* Periodic: learn requests (every call); ageing, the load window and
 * pmd-auto-lb (once a second, control/balance.c).  Returns how many learn
 * requests it applied. */
unsigned int apply_tick(void);
/* Learn requests queued for apply_tick()?  The control loop asks before it
 * blocks (dataplane/doorbell.h). */
bool apply_learn_queued(void);
/* Cores that get a PMD for this pmd-cpu-mask (0: the default, one PMD on
 * the lowest core that is not the control core). */
uint64_t apply_pmd_cores(uint64_t pmd_cpu_mask, unsigned int control_core);
/* Stop PMDs and close every port (exit). */
void apply_shutdown(void);

#endif
