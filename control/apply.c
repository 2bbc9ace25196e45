/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apply: turns a validated configuration into dataplane state, and keeps the
 * rx-queue plan current as guests come and go.  Control thread only.
 *
 * Order matters so that a failing change leaves nothing half-done and PMDs
 * never see a dangling pointer:
 *   1. open new devices (the only step that may fail; undone on failure);
 *   2. unpublish ports that go away, take them out of bridges and poll
 *      lists, wait for a grace period, close them;
 *   3. publish port confs, bridge member lists, new ports;
 *   4. start/stop PMDs and re-plan queues in two phases: first remove
 *      queues from the PMDs that lose them, wait a grace period, then add
 *      them to their new PMDs, so a queue is never polled by two PMDs and
 *      frames waiting in it stay there, none lost.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>
#include <rte_malloc.h>

#include "control/state.h"
#include "dataplane/bridge.h"
#include "dataplane/clock.h"
#include "dataplane/ethdev_port.h"
#include "dataplane/fdb.h"
#include "dataplane/pktmbuf.h"
#include "pmd/pmd.h"
#include "pmd/sched.h"
#include "vhost-user/vhost_port.h"

#define CTL_LOG(lvl, ...) rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_USER2, "control: " __VA_ARGS__)

struct sw sw;

struct sw_bridge *sw_bridge_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < SW_MAX_BRIDGES; i++)
		if (sw.bridges[i] && strcmp(sw.bridges[i]->name, name) == 0)
			return sw.bridges[i];
	return NULL;
}

struct sw_port *sw_port_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < sw.n_ports; i++)
		if (strcmp(sw.ports[i]->name, name) == 0)
			return sw.ports[i];
	return NULL;
}

struct sw_port *sw_port_by_id(uint16_t id)
{
	unsigned int i;

	for (i = 0; i < sw.n_ports; i++)
		if (sw.ports[i]->dp && sw.ports[i]->dp->id == id)
			return sw.ports[i];
	return NULL;
}

static void sock_opts(const struct db_ovs_cfg *o, struct vhost_sock_opts *so)
{
	struct group *g = o->vhost_sock_group[0] ? getgrnam(o->vhost_sock_group) : NULL;

	so->dir = o->vhost_sock_dir;
	so->gid = g ? g->gr_gid : (gid_t)-1;
	so->mode = o->vhost_sock_mode;
}

/* Does a change of cfg need the device closed and opened again? */
static bool needs_reopen(const struct sw_port *sp, const struct db_port_cfg *c,
			 const struct db_ovs_cfg *ovs)
{
	const struct db_port_cfg *o = &sp->cfg;

	if (sp->dp == NULL || o->type != c->type)
		return true;
	switch (c->type) {
	case DB_PORT_VHOST_CLIENT:
		return strcmp(o->server_path, c->server_path) != 0;
	case DB_PORT_VHOST_SERVER:
		return strcmp(sw.ovs.vhost_sock_dir, ovs->vhost_sock_dir) != 0;
	case DB_PORT_DPDK:
		return strcmp(o->devargs, c->devargs) != 0 || o->n_rxq != c->n_rxq ||
		       o->n_rxq_desc != c->n_rxq_desc || o->n_txq_desc != c->n_txq_desc ||
		       o->mtu != c->mtu;
	}
	return true;
}

static struct dp_port *open_port(const char *name, const struct db_port_cfg *c,
				 const struct db_ovs_cfg *ovs, char *err, size_t errlen)
{
	struct vhost_sock_opts so;
	struct ethdev_port_params ep;

	switch (c->type) {
	case DB_PORT_VHOST_SERVER:
	case DB_PORT_VHOST_CLIENT:
		sock_opts(ovs, &so);
		return vhost_port_create(name, c->type == DB_PORT_VHOST_CLIENT, c->server_path,
					 &so, err, errlen);
	case DB_PORT_DPDK:
		ep = (struct ethdev_port_params){
			.devargs = c->devargs,
			.n_rxq = c->n_rxq,
			.n_rxq_desc = c->n_rxq_desc,
			.n_txq_desc = c->n_txq_desc,
			.mtu = c->mtu,
			.max_pmds = (unsigned int)sysconf(_SC_NPROCESSORS_CONF),
		};
		return ethdev_port_create(name, &ep, err, errlen);
	}
	snprintf(err, errlen, "port '%s': unknown type", name);
	errno = EINVAL;
	return NULL;
}

static void close_port(struct dp_port *p)
{
	if (p == NULL)
		return;
	if (p->kind == DP_PORT_VHOST)
		vhost_port_destroy(p);
	else
		ethdev_port_destroy(p);
}

/* ---- rx queue planning ---- */

static void sched_warn(void *arg, const struct sched_rxq *q, const char *msg)
{
	struct dp_port *p = dp_port_get(q->port);

	(void)arg;
	CTL_LOG(WARNING, "port '%s' rx queue %u: %s\n", p ? p->name : "?", q->qid, msg);
}

static uint16_t port_rxqs(struct dp_port *p, int *numa)
{
	struct vhost_port_info vi;

	if (p->kind != DP_PORT_VHOST) {
		*numa = p->numa;
		return p->n_rxq;
	}
	vhost_port_info(p, &vi);
	*numa = vi.numa;
	return vi.connected ? vi.n_qp : 0;
}

static bool list_has(const struct pmd_rxq_list *l, const struct dp_port *p, uint16_t q)
{
	uint16_t i;

	for (i = 0; l && i < l->n; i++)
		if (l->q[i].port == p && l->q[i].qid == q)
			return true;
	return false;
}

void apply_replan(void)
{
	static struct sched_rxq rq[DP_MAX_PORTS * 4];
	static struct pmd_rxq lists[DP_MAX_PMDS][DP_MAX_PORTS];
	struct sched_pmd sp[DP_MAX_PMDS];
	unsigned int slot_of[DP_MAX_PMDS], n_pmds = 0, n_rq = 0, i, s;
	uint16_t n_list[DP_MAX_PMDS] = {0};
	struct sched_opts so = {.mode = SCHED_CYCLES, .isolate_pinned = sw.ovs.pmd_rxq_isolate};
	enum sched_mode mode;

	if (sched_mode_parse(sw.ovs.pmd_rxq_assign, &mode) == 0)
		so.mode = mode;
	for (s = 0; s < sw.n_pmd_slots; s++) {
		if (sw.pmds[s] == NULL)
			continue;
		sp[n_pmds] = (struct sched_pmd){.core = sw.pmds[s]->core, .numa = sw.pmds[s]->numa};
		slot_of[n_pmds++] = s;
	}
	for (i = 0; i < sw.n_ports; i++) {
		struct sw_port *p = sw.ports[i];
		uint16_t n, q, a;
		int numa;

		if (p->dp == NULL)
			continue;
		n = port_rxqs(p->dp, &numa);
		if (p->dp->kind == DP_PORT_VHOST && n) {
			/* frames from the guest go into its own node's pool */
			p->dp->numa = numa;
			vhost_port_set_pool(p->dp, dp_pool_get(numa));
		}
		for (q = 0; q < n && n_rq < RTE_DIM(rq); q++) {
			struct sched_rxq *r = &rq[n_rq++];
			*r = (struct sched_rxq){.port = p->dp->id, .qid = q, .numa = numa,
						.pinned_core = -1, .cycles = p->dp->rxq[q].cycles};
			for (a = 0; a < p->cfg.n_affinity; a++)
				if (p->cfg.affinity[a].qid == q)
					r->pinned_core = p->cfg.affinity[a].core;
		}
	}
	sched_assign(sp, n_pmds, rq, n_rq, &so, sched_warn, NULL);
	for (i = 0; i < n_rq; i++) {
		if (rq[i].pmd < 0)
			continue;
		s = (unsigned int)rq[i].pmd;
		lists[s][n_list[s]++] =
			(struct pmd_rxq){.port = dp_port_get(rq[i].port), .qid = rq[i].qid};
	}

	/* phase 1: keep only what stays on the same PMD */
	for (i = 0; i < n_pmds; i++) {
		struct pmd *pmd = sw.pmds[slot_of[i]];
		struct pmd_rxq keep[DP_MAX_PORTS];
		uint16_t k = 0, j;

		for (j = 0; j < n_list[i]; j++)
			if (list_has(pmd->rxqs, lists[i][j].port, lists[i][j].qid))
				keep[k++] = lists[i][j];
		pmd_set_rxqs(pmd, keep, k);
	}
	dp_rcu_flush();
	/* phase 2: the full plan */
	for (i = 0; i < n_pmds; i++)
		pmd_set_rxqs(sw.pmds[slot_of[i]], lists[i], n_list[i]);

	/* tx maps: every PMD slot gets a queue */
	for (i = 0; i < sw.n_ports; i++) {
		struct dp_port *p = sw.ports[i]->dp;
		struct dp_txmap m;

		if (p == NULL)
			continue;
		if (p->kind == DP_PORT_VHOST)
			vhost_port_txmap(p, sw.n_pmd_slots, &m);
		else
			dp_txmap_build(&m, sw.n_pmd_slots, p->n_txq);
		dp_port_set_txmap(p, &m);
	}
	dp_rcu_flush();
}

void apply_vhost_events(void)
{
	bool replan = false;
	unsigned int i;

	for (i = 0; i < sw.n_ports; i++) {
		struct dp_port *p = sw.ports[i]->dp;

		if (p != NULL && p->kind == DP_PORT_VHOST && vhost_port_events(p))
			replan = true;
	}
	if (replan)
		apply_replan();
}

/* ---- PMD set ---- */

static uint64_t online_mask(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	return ncpu >= 64 ? UINT64_MAX : (1ULL << ncpu) - 1;
}

static uint64_t wanted_cores(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t m = sw.ovs.pmd_cpu_mask & online_mask();
	long c;

	if (ncpu > 64)
		ncpu = 64;
	if (m)
		return m;
	/* default: one PMD, on the lowest core that is not the control core */
	for (c = 0; c < ncpu; c++)
		if ((unsigned int)c != sw.control_core)
			return 1ULL << c;
	return 1ULL << sw.control_core;
}

static int pmds_update(char *err, size_t errlen)
{
	uint64_t want = wanted_cores();
	unsigned int s, core;

	/* stop PMDs on cores no longer wanted: take their queues away first */
	for (s = 0; s < sw.n_pmd_slots; s++) {
		struct pmd *pmd = sw.pmds[s];
		if (pmd == NULL || (want >> pmd->core) & 1)
			continue;
		pmd_set_rxqs(pmd, NULL, 0);
		dp_rcu_flush();
		pmd_stop(pmd);
		sw.pmds[s] = NULL;
	}
	for (core = 0; core < 64; core++) {
		bool have = false;

		if (!((want >> core) & 1))
			continue;
		for (s = 0; s < sw.n_pmd_slots; s++)
			if (sw.pmds[s] && sw.pmds[s]->core == core)
				have = true;
		if (have)
			continue;
		for (s = 0; s < DP_MAX_PMDS && sw.pmds[s]; s++)
			;
		if (s == DP_MAX_PMDS) {
			snprintf(err, errlen, "pmd-cpu-mask: more than %d PMDs", DP_MAX_PMDS);
			return -ENOSPC;
		}
		sw.pmds[s] = pmd_start(s, core);
		if (sw.pmds[s] == NULL) {
			snprintf(err, errlen, "cannot start a PMD on core %u: %s", core,
				 strerror(errno));
			return -errno;
		}
		CTL_LOG(INFO, "PMD %u started on core %u (NUMA node %d)\n", s, core,
			sw.pmds[s]->numa);
	}
	sw.n_pmd_slots = 0;
	for (s = 0; s < DP_MAX_PMDS; s++)
		if (sw.pmds[s])
			sw.n_pmd_slots = s + 1;
	return 0;
}

/* ---- configuration ---- */

static struct dp_bridge *bridge_ptr(const char *name)
{
	struct sw_bridge *b = sw_bridge_find(name);

	return b ? b->dp : NULL;
}

static int publish_conf(struct sw_port *p)
{
	struct dp_port_conf c = {0};

	if (p->dp == NULL)
		return 0;
	c.vlan.tag = p->cfg.tag;
	memcpy(c.vlan.trunks, p->cfg.trunks, sizeof(c.vlan.trunks));
	c.max_len = p->cfg.mtu + RTE_ETHER_HDR_LEN;
	c.bridge = bridge_ptr(p->bridge);
	c.tx_retries_max = p->cfg.tx_retries_max;
	return dp_port_set_conf(p->dp, &c);
}

static void remove_port(unsigned int idx)
{
	struct sw_port *p = sw.ports[idx];
	struct sw_bridge *b = sw_bridge_find(p->bridge);

	if (p->dp) {
		dp_port_unpublish(p->dp);
		if (b)
			fdb_flush_port(b->dp->fdb, p->dp->id);
	}
	memmove(&sw.ports[idx], &sw.ports[idx + 1], (sw.n_ports - idx - 1) * sizeof(p));
	sw.n_ports--;
	free(p);
}

static void publish_members(void)
{
	static uint16_t ids[DP_MAX_PORTS];
	unsigned int b, i;

	for (b = 0; b < SW_MAX_BRIDGES; b++) {
		uint16_t n = 0;
		if (sw.bridges[b] == NULL)
			continue;
		for (i = 0; i < sw.n_ports; i++)
			if (sw.ports[i]->dp && strcmp(sw.ports[i]->bridge, sw.bridges[b]->name) == 0)
				ids[n++] = sw.ports[i]->dp->id;
		dp_bridge_set_members(sw.bridges[b]->dp, ids, n);
	}
}

struct pending_open {
	const struct db_port *dbp;
	const char *bridge;
	struct dp_port *dp;
	char error[256];
};

int apply_db(struct db *db, bool strict, char *err, size_t errlen)
{
	static struct pending_open opens[DP_MAX_PORTS];
	static struct dp_port *closing[DP_MAX_PORTS];
	unsigned int n_open = 0, n_close = 0, i, b;
	struct db_ovs_cfg ovs;
	int rc;

	db_ovs_cfg(db, &ovs);
	if (!sw.started)
		dp_pool_configure(ovs.n_mbufs);
	if (ovs.pmd_cpu_mask && !(ovs.pmd_cpu_mask & online_mask())) {
		snprintf(err, errlen, "pmd-cpu-mask 0x%lx selects no online core (online: 0x%lx)",
			 ovs.pmd_cpu_mask, online_mask());
		if (strict)
			return -EINVAL;
		CTL_LOG(ERR, "%s: using the default\n", err);
	}

	/* 1. open what is new or must be reopened (may fail) */
	for (b = 0; b < db->n_bridges; b++) {
		const struct db_bridge *dbb = db->bridges[b];
		for (i = 0; i < dbb->n_ports; i++) {
			const struct db_port *dbp = dbb->ports[i];
			struct sw_port *sp = sw_port_find(dbp->name);
			struct db_port_cfg c;

			db_port_cfg(dbp, &c);
			if (sp && !needs_reopen(sp, &c, &ovs))
				continue;
			opens[n_open] = (struct pending_open){.dbp = dbp, .bridge = dbb->name};
			if (sp && sp->dp) {
				/* same identity (path, devargs) cannot be open twice */
				dp_port_unpublish(sp->dp);
				closing[n_close++] = sp->dp;
				sp->dp = NULL;
			}
			n_open++;
		}
	}
	if (n_close) {
		/* only reached for reopen: drop the old ones before opening anew */
		apply_replan();
		publish_members();
		dp_rcu_flush();
		for (i = 0; i < n_close; i++)
			close_port(closing[i]);
		n_close = 0;
	}
	for (i = 0; i < n_open; i++) {
		struct db_port_cfg c;

		db_port_cfg(opens[i].dbp, &c);
		opens[i].dp = open_port(opens[i].dbp->name, &c, &ovs, opens[i].error,
					sizeof(opens[i].error));
		if (opens[i].dp == NULL && strict) {
			snprintf(err, errlen, "%s", opens[i].error);
			rc = -(errno ? errno : EINVAL);
			while (i-- > 0)
				close_port(opens[i].dp);
			return rc;
		}
		if (opens[i].dp == NULL)
			CTL_LOG(ERR, "%s\n", opens[i].error);
	}

	/* 2. ports that go away */
	for (i = 0; i < sw.n_ports;) {
		struct sw_port *sp = sw.ports[i];
		struct db_bridge *dbb;

		if (db_port_find(db, sp->name, &dbb) != NULL) {
			i++;
			continue;
		}
		if (sp->dp)
			closing[n_close++] = sp->dp;
		remove_port(i);
	}
	sw.ovs = ovs;
	publish_members();
	apply_replan();
	for (i = 0; i < n_close; i++)
		close_port(closing[i]);

	/* 3. bridges: new ones, changed ones, gone ones */
	for (b = 0; b < db->n_bridges; b++) {
		const struct db_bridge *dbb = db->bridges[b];
		struct sw_bridge *sb = sw_bridge_find(dbb->name);
		struct db_bridge_cfg bc;

		db_bridge_cfg(dbb, &bc);
		if (sb == NULL) {
			struct fdb_params fp = {.name = dbb->name, .max_entries = bc.mac_table_size,
						.port_limit = bc.mac_port_limit,
						.aging_s = bc.mac_aging_time,
						.max_ports = DP_MAX_PORTS, .socket_id = SOCKET_ID_ANY,
						.qsv = dp_rcu()};
			unsigned int slot;
			for (slot = 0; slot < SW_MAX_BRIDGES && sw.bridges[slot]; slot++)
				;
			sb = slot < SW_MAX_BRIDGES ? calloc(1, sizeof(*sb)) : NULL;
			if (sb)
				sb->dp = dp_bridge_create(dbb->name, &fp);
			if (sb == NULL || sb->dp == NULL) {
				CTL_LOG(ERR, "bridge '%s': cannot create: %s\n", dbb->name,
					strerror(errno));
				free(sb);
				continue;
			}
			snprintf(sb->name, sizeof(sb->name), "%s", dbb->name);
			sb->cfg = bc;
			sw.bridges[slot] = sb;
		} else if (memcmp(&sb->cfg, &bc, sizeof(bc)) != 0) {
			fdb_set_params(sb->dp->fdb, bc.mac_table_size, bc.mac_port_limit,
				       bc.mac_aging_time);
			sb->cfg = bc;
		}
	}

	/* 4. ports: new records, new confs */
	for (i = 0; i < n_open; i++) {
		struct sw_port *sp = sw_port_find(opens[i].dbp->name);

		if (sp == NULL) {
			sp = calloc(1, sizeof(*sp));
			if (sp == NULL) {
				close_port(opens[i].dp);
				continue;
			}
			snprintf(sp->name, sizeof(sp->name), "%s", opens[i].dbp->name);
			sw.ports[sw.n_ports++] = sp;
		}
		sp->dp = opens[i].dp;
		snprintf(sp->error, sizeof(sp->error), "%s", sp->dp ? "" : opens[i].error);
	}
	for (b = 0; b < db->n_bridges; b++) {
		const struct db_bridge *dbb = db->bridges[b];
		struct sw_bridge *sb = sw_bridge_find(dbb->name);

		for (i = 0; i < dbb->n_ports; i++) {
			struct sw_port *sp = sw_port_find(dbb->ports[i]->name);
			struct db_port_cfg c;
			bool vlan_changed;

			if (sp == NULL)
				continue;
			db_port_cfg(dbb->ports[i], &c);
			vlan_changed = sp->cfg.tag != c.tag ||
				       memcmp(sp->cfg.trunks, c.trunks, sizeof(c.trunks)) != 0 ||
				       strcmp(sp->bridge, dbb->name) != 0;
			if (vlan_changed && sp->dp && sw_bridge_find(sp->bridge))
				fdb_flush_port(sw_bridge_find(sp->bridge)->dp->fdb, sp->dp->id);
			sp->cfg = c;
			snprintf(sp->bridge, sizeof(sp->bridge), "%s", dbb->name);
			publish_conf(sp);
			if (sp->dp && sb)
				fdb_set_port_limit(sb->dp->fdb, sp->dp->id, c.mac_limit);
			if (sp->dp && sp->dp->kind == DP_PORT_VHOST) {
				struct vhost_sock_opts so;
				sock_opts(&ovs, &so);
				vhost_port_set_perms(sp->dp, &so);
			}
			if (sp->dp)
				dp_port_publish(sp->dp);
		}
	}
	publish_members();

	/* gone bridges: their ports are gone and no conf points at them */
	dp_rcu_flush();
	for (b = 0; b < SW_MAX_BRIDGES; b++) {
		struct sw_bridge *sb = sw.bridges[b];
		if (sb == NULL || db_bridge_find(db, sb->name))
			continue;
		dp_bridge_destroy(sb->dp);
		free(sb);
		sw.bridges[b] = NULL;
	}

	/* 5. PMDs and the queue plan */
	rc = pmds_update(err, errlen);
	apply_replan();
	dp_rcu_flush();

	if (sw.db != db) {
		db_destroy(sw.db);
		sw.db = db;
	}
	sw.started = true;
	return rc;
}

void apply_tick(void)
{
	static uint32_t last_age;
	uint32_t now = dp_now();
	unsigned int b;

	for (b = 0; b < SW_MAX_BRIDGES; b++)
		if (sw.bridges[b])
			fdb_learn_drain(sw.bridges[b]->dp->fdb, now);
	if (now == last_age)
		return;
	last_age = now;
	for (b = 0; b < SW_MAX_BRIDGES; b++)
		if (sw.bridges[b])
			fdb_age(sw.bridges[b]->dp->fdb, now);
}

void apply_shutdown(void)
{
	unsigned int s;

	for (s = 0; s < sw.n_pmd_slots; s++) {
		if (sw.pmds[s] == NULL)
			continue;
		pmd_set_rxqs(sw.pmds[s], NULL, 0);
	}
	dp_rcu_flush();
	for (s = 0; s < sw.n_pmd_slots; s++) {
		pmd_stop(sw.pmds[s]);
		sw.pmds[s] = NULL;
	}
	while (sw.n_ports) {
		struct dp_port *p = sw.ports[sw.n_ports - 1]->dp;
		remove_port(sw.n_ports - 1);
		close_port(p);
	}
}
