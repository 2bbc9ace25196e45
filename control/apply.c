/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apply: turns a validated configuration into dataplane state, and keeps the
 * rx-queue plan current as guests come and go.  Control thread only.
 *
 * Order matters so that a failing change leaves nothing half-done and PMDs
 * never see a dangling pointer:
 *   1. build changed port filters (control/port_filter.c) and open new
 *      devices (the only steps that may fail; undone on failure).  A port
 *      whose device changes is opened beside the old one, which keeps
 *      running (its guest connected, its MACs and counters kept) until the
 *      commit; only a port that must reuse the same socket or device is
 *      closed first, and those come last, after every other open succeeded;
 *   2. unpublish ports that go away, take them out of bridges and poll
 *      lists, wait for a grace period, close them;
 *   3. publish port confs, bridge member lists, new ports;
 *   4. start/stop PMDs and re-plan queues in two phases: first remove
 *      queues from the PMDs that lose them, wait a grace period, then add
 *      them to their new PMDs, so a queue is never polled by two PMDs and
 *      frames waiting in it stay there, none lost.
 */
#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>
#include <rte_malloc.h>

#include "control/apply_reopen.h"
#include "control/balance.h"
#include "control/capture.h"
#include "control/metrics.h"
#include "control/mirror.h"
#include "control/police.h"
#include "control/port_filter.h"
#include "control/rxq_plan.h"
#include "control/state.h"
#include "control/uplink.h"
#include "control/xdp_filter.h"
#include "dataplane/bridge.h"
#include "dataplane/clock.h"
#include "dataplane/ethdev_port.h"
#include "dataplane/fdb.h"
#include "dataplane/pktmbuf.h"
#include "pmd/pmd.h"
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

/* options:csum/tso/ecn as VHOST_OL_* (the bits are the same, inverted) */
static unsigned int vhost_offloads(const struct db_port_cfg *c)
{
	return VHOST_OL_ALL & ~(unsigned int)c->offload_off;
}

static struct dp_port *open_port(const char *name, const struct db_port_cfg *c,
				 const struct db_ovs_cfg *ovs, char *err, size_t errlen)
{
	char devargs[sizeof(c->devargs) + PATH_MAX];
	struct vhost_sock_opts so;
	struct ethdev_port_params ep;
	struct dp_port *p;

	switch (c->type) {
	case DB_PORT_VHOST_SERVER:
	case DB_PORT_VHOST_CLIENT:
		sock_opts(ovs, &so);
		so.offloads = vhost_offloads(c);
		return vhost_port_create(name, c->type == DB_PORT_VHOST_CLIENT, c->server_path, &so,
					 err, errlen);
	case DB_PORT_DPDK:
		/* af_xdp devices get kvswitch's XDP program (xdp_prog=) */
		xdp_filter_prepare_port(c->devargs, devargs, sizeof(devargs));
		ep = (struct ethdev_port_params){
			.devargs = devargs,
			.n_rxq = c->n_rxq,
			.n_rxq_desc = c->n_rxq_desc,
			.n_txq_desc = c->n_txq_desc,
			.mtu = c->mtu,
			.max_pmds = (unsigned int)sysconf(_SC_NPROCESSORS_CONF),
			.promiscuous = c->promiscuous,
			.rx_interrupts = c->rx_interrupts,
		};
		p = ethdev_port_create(name, &ep, err, errlen);
		if (p != NULL)
			/* a fresh program passes all until the filter commit */
			port_filter_xdp(name, c, NULL);
		return p;
	}
	snprintf(err, errlen, "port '%s': unknown type", name);
	errno = EINVAL;
	return NULL;
}

static void close_port(struct dp_port *p)
{
	if (p == NULL)
		return;
	capture_port_closing(p);
	if (p->kind == DP_PORT_VHOST) {
		vhost_port_destroy(p);
	} else {
		uplink_port_closing(p); /* its MAC filter entries out of the device */
		ethdev_port_destroy(p);
	}
}

/* ---- rx queue planning (control/rxq_plan.c) ---- */

void apply_replan(void)
{
	unsigned int s;

	/* PMD settings first, so that a PMD started by this change has them
	 * before its first queue; reading a new value costs the PMD nothing. */
	for (s = 0; s < sw.n_pmd_slots; s++)
		if (sw.pmds[s])
			pmd_set_sleep_max(sw.pmds[s], sw.ovs.pmd_sleep_max);
	rxq_plan_apply(false);
	police_apply(); /* split over the PMDs the plan gave each port */
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

uint64_t apply_pmd_cores(uint64_t pmd_cpu_mask, unsigned int control_core)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), c;
	uint64_t m = pmd_cpu_mask & online_mask();

	if (m)
		return m;
	/* default: one PMD, on the lowest core that is not the control core */
	for (c = 0; c < ncpu && c < 64; c++)
		if ((unsigned int)c != control_core)
			return 1ULL << c;
	return 1ULL << control_core;
}

static bool have_pmd_on(unsigned int core)
{
	unsigned int s;

	for (s = 0; s < sw.n_pmd_slots; s++)
		if (sw.pmds[s] && sw.pmds[s]->core == core)
			return true;
	return false;
}

static void pmd_slots_recount(void)
{
	unsigned int s;

	sw.n_pmd_slots = 0;
	for (s = 0; s < DP_MAX_PMDS; s++)
		if (sw.pmds[s])
			sw.n_pmd_slots = s + 1;
}

/* Start PMDs on wanted cores that have none (may fail: then the ones
 * started here are stopped again and nothing changed). */
static int pmds_start(uint64_t want, char *err, size_t errlen)
{
	unsigned int started[64], n_started = 0, core, s, i;

	for (core = 0; core < 64; core++) {
		if (!((want >> core) & 1) || have_pmd_on(core))
			continue;
		for (s = 0; s < DP_MAX_PMDS && sw.pmds[s]; s++)
			;
		if (s < DP_MAX_PMDS)
			sw.pmds[s] = pmd_start(s, core);
		if (s == DP_MAX_PMDS || sw.pmds[s] == NULL) {
			int e = s == DP_MAX_PMDS ? ENOSPC : errno;
			snprintf(err, errlen, "cannot start a PMD on core %u: %s", core,
				 strerror(e));
			for (i = 0; i < n_started; i++) {
				pmd_stop(sw.pmds[started[i]]);
				sw.pmds[started[i]] = NULL;
			}
			pmd_slots_recount();
			return -e;
		}
		started[n_started++] = s;
		pmd_slots_recount();
		CTL_LOG(INFO, "PMD %u started on core %u (NUMA node %d)\n", s, core,
			sw.pmds[s]->numa);
	}
	return 0;
}

/* Stop PMDs on cores no longer wanted; their queues are taken away first and
 * re-planned on the others by the caller. */
static void pmds_stop_unwanted(uint64_t want)
{
	unsigned int s;

	for (s = 0; s < sw.n_pmd_slots; s++) {
		struct pmd *pmd = sw.pmds[s];
		if (pmd == NULL || (want >> pmd->core) & 1)
			continue;
		pmd_set_rxqs(pmd, NULL, 0);
		dp_rcu_flush();
		pmd_stop(pmd);
		sw.pmds[s] = NULL;
		CTL_LOG(INFO, "PMD %u on core %u stopped\n", s, pmd->core);
	}
	pmd_slots_recount();
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
	sw_port_vlan(p, &c.vlan);
	c.max_len = p->cfg.mtu + RTE_ETHER_HDR_LEN;
	c.bridge = bridge_ptr(p->bridge);
	c.tx_retries_max = p->cfg.tx_retries_max;
	c.tx_hold_ms = p->cfg.tx_hold_ms;
	c.mirror_out = p->mirror_out;
	if (p->dp->kind == DP_PORT_VHOST)
		vhost_port_set_offloads(p->dp, vhost_offloads(&p->cfg));
	else if (p->dp->kind == DP_PORT_ETHDEV)
		ethdev_port_set_gro(p->dp, p->cfg.gro);
	return dp_port_set_conf(p->dp, &c);
}

/* After any change of the open ports: the bridges' member lists and flood
 * lists, and their mirrors (from db, the configuration being applied). */
static void publish_members(const struct db *db)
{
	static uint16_t ids[DP_MAX_PORTS];
	unsigned int b, i;

	for (b = 0; b < SW_MAX_BRIDGES; b++) {
		uint16_t n = 0;
		if (sw.bridges[b] == NULL)
			continue;
		for (i = 0; i < sw.n_ports; i++)
			if (sw.ports[i]->dp &&
			    strcmp(sw.ports[i]->bridge, sw.bridges[b]->name) == 0)
				ids[n++] = sw.ports[i]->dp->id;
		dp_bridge_set_members(sw.bridges[b]->dp, ids, n);
	}
	mirror_publish(db);
}

/*
 * Forget every MAC learned on port `id`.  Only after a grace period since the
 * port left the poll lists: before that a PMD may still queue a learn request
 * for it, which would bring the entry back and hand a later port that reuses
 * the id another guest's traffic.
 */
static void fdb_forget_port(uint16_t id)
{
	unsigned int b;

	for (b = 0; b < SW_MAX_BRIDGES; b++) {
		if (sw.bridges[b] == NULL)
			continue;
		fdb_learn_drain(sw.bridges[b]->dp->fdb, dp_now());
		fdb_flush_port(sw.bridges[b]->dp->fdb, id);
	}
}

struct pending_open {
	const struct db_port *dbp;
	struct dp_port *dp;
	char error[256];
};

struct pending_bridge {
	const struct db_bridge *dbb;
	struct dp_bridge *dp;
};

static struct dp_bridge *create_bridge(const char *name, const struct db_bridge_cfg *bc)
{
	static unsigned int seq;
	char fdb_name[16];
	struct fdb_params fp = {.name = fdb_name,
				.max_entries = bc->mac_table_size,
				.port_limit = bc->mac_port_limit,
				.aging_s = bc->mac_aging_time,
				.max_ports = DP_MAX_PORTS,
				.socket_id = SOCKET_ID_ANY,
				.qsv = dp_rcu()};

	/* fdb names DPDK objects, whose names are short: number them */
	snprintf(fdb_name, sizeof(fdb_name), "fdb%u", seq++);
	return dp_bridge_create(name, &fp);
}

/* Close ports being reopened (same socket path or device cannot be open
 * twice).  Their sw_port keeps the old cfg until the commit, so a failed
 * transaction can open them again as they were. */
static void close_for_reopen(const struct db *db, struct sw_port **sps, unsigned int n)
{
	static struct dp_port *closing[DP_MAX_PORTS];
	unsigned int i;

	for (i = 0; i < n; i++) {
		dp_port_unpublish(sps[i]->dp);
		closing[i] = sps[i]->dp;
		sps[i]->dp = NULL;
	}
	publish_members(db);
	apply_replan();
	for (i = 0; i < n; i++) {
		fdb_forget_port(closing[i]->id);
		close_port(closing[i]);
	}
}

static void restore_reopened(struct sw_port **sps, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		sps[i]->dp = open_port(sps[i]->name, &sps[i]->cfg, &sw.ovs, sps[i]->error,
				       sizeof(sps[i]->error));
		if (sps[i]->dp == NULL) {
			CTL_LOG(ERR, "%s\n", sps[i]->error);
			continue;
		}
		publish_conf(sps[i]);
		port_filter_restore(sps[i]);
		dp_port_publish(sps[i]->dp);
	}
	publish_members(sw.db);
	apply_replan();
}

static unsigned int db_n_ports(const struct db *db)
{
	unsigned int n = 0;

	for (size_t b = 0; b < db->n_bridges; b++)
		n += db->bridges[b]->n_ports;
	return n;
}

static unsigned int ports_open(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < sw.n_ports; i++)
		n += sw.ports[i]->dp != NULL;
	return n;
}

int apply_db(struct db *db, bool strict, char *err, size_t errlen)
{
	static struct pending_open opens[DP_MAX_PORTS];
	static struct pending_bridge new_br[SW_MAX_BRIDGES];
	static struct sw_port *reopen[DP_MAX_PORTS];
	static const struct db_port *opening[DP_MAX_PORTS];
	static uint16_t gone[DP_MAX_PORTS];
	static struct dp_port *closing[DP_MAX_PORTS];
	static bool beside[DP_MAX_PORTS];
	unsigned int n_open = 0, n_reopen = 0, n_new_br = 0, n_gone = 0, n_beside = 0, i, b;
	unsigned int n_first_in_place = 0, n_fresh = 0, pass;
	bool ids_short;
	bool perms_changed, reopened_closed = false, sock_dir_existed;
	struct db_ovs_cfg ovs;
	uint64_t want;
	int rc = 0;

	/* db_validate() holds these limits; the tables below are this big */
	if (db->n_bridges > SW_MAX_BRIDGES || db_n_ports(db) > DP_MAX_PORTS) {
		snprintf(err, errlen, "%zu bridges, %u ports: at most %d and %d", db->n_bridges,
			 db_n_ports(db), SW_MAX_BRIDGES, DP_MAX_PORTS);
		return -E2BIG;
	}
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
	/* the metrics endpoint first: an address that cannot be bound refuses
	 * the change before anything else moved */
	rc = metrics_prepare(ovs.metrics_address, err, errlen);
	if (rc < 0) {
		if (strict)
			return rc;
		CTL_LOG(ERR, "%s: no metrics endpoint\n", err);
		rc = 0;
	}
	want = apply_pmd_cores(ovs.pmd_cpu_mask, sw.control_core);
	sock_dir_existed = access(ovs.vhost_sock_dir, F_OK) == 0;
	perms_changed = strcmp(sw.ovs.vhost_sock_group, ovs.vhost_sock_group) != 0 ||
			sw.ovs.vhost_sock_mode != ovs.vhost_sock_mode;

	/* 1. everything that may fail: devices, bridges, PMDs.  Undone on
	 *    failure, so a refused transaction changes nothing.  Pass 0: new
	 *    ports and ports reopened beside their old device; pass 1: ports
	 *    that must close theirs first.  A port opened beside holds a second
	 *    port id until the commit: if ids would run out, all reopen in
	 *    place. */
	for (b = 0; b < db->n_bridges; b++)
		for (i = 0; i < db->bridges[b]->n_ports; i++) {
			const struct db_port *dbp = db->bridges[b]->ports[i];
			struct sw_port *sp = sw_port_find(dbp->name);
			struct db_port_cfg c;

			db_port_cfg(dbp, &c);
			if (sp == NULL || sp->dp == NULL)
				n_fresh++;
			else if (apply_needs_reopen(sp, &c, &ovs) &&
				 !apply_reopen_in_place(sp, &c, &ovs))
				n_beside++;
		}
	ids_short = ports_open() + n_fresh + n_beside > DP_MAX_PORTS;
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			n_first_in_place = n_open;
		for (b = 0; b < db->n_bridges; b++) {
			const struct db_bridge *dbb = db->bridges[b];
			for (i = 0; i < dbb->n_ports; i++) {
				struct sw_port *sp = sw_port_find(dbb->ports[i]->name);
				struct db_port_cfg c;
				bool in_place;

				db_port_cfg(dbb->ports[i], &c);
				if (sp && !apply_needs_reopen(sp, &c, &ovs))
					continue;
				in_place = sp && sp->dp &&
					   (ids_short || apply_reopen_in_place(sp, &c, &ovs));
				if (in_place != (pass == 1))
					continue;
				assert(n_open < DP_MAX_PORTS);
				beside[n_open] = sp && sp->dp && !in_place;
				opening[n_open] = dbb->ports[i];
				opens[n_open++] = (struct pending_open){.dbp = dbb->ports[i]};
				if (in_place) {
					assert(n_reopen < DP_MAX_PORTS);
					reopen[n_reopen++] = sp;
				}
			}
		}
	}
	rc = port_filter_prepare(db, opening, n_open, strict, err, errlen);
	if (rc < 0) {
		metrics_abort();
		return rc;
	}
	for (i = 0; i < n_open; i++) {
		struct db_port_cfg c;

		if (i == n_first_in_place && n_reopen) {
			close_for_reopen(db, reopen, n_reopen);
			reopened_closed = true;
		}
		db_port_cfg(opens[i].dbp, &c);
		errno = 0;
		opens[i].dp = open_port(opens[i].dbp->name, &c, &ovs, opens[i].error,
					sizeof(opens[i].error));
		if (opens[i].dp != NULL)
			continue;
		if (strict) {
			snprintf(err, errlen, "%s", opens[i].error);
			rc = -(errno ? errno : EINVAL);
			goto undo_opens;
		}
		CTL_LOG(ERR, "%s\n", opens[i].error);
	}
	for (b = 0; b < db->n_bridges; b++) {
		const struct db_bridge *dbb = db->bridges[b];
		struct db_bridge_cfg bc;

		if (sw_bridge_find(dbb->name))
			continue;
		db_bridge_cfg(dbb, &bc);
		assert(n_new_br < SW_MAX_BRIDGES);
		new_br[n_new_br] =
			(struct pending_bridge){.dbb = dbb, .dp = create_bridge(dbb->name, &bc)};
		if (new_br[n_new_br].dp == NULL) {
			snprintf(err, errlen, "bridge '%s': cannot create its MAC table: %s",
				 dbb->name, strerror(errno));
			rc = -errno;
			goto undo_bridges;
		}
		n_new_br++;
	}
	rc = pmds_start(want, err, errlen);
	if (rc < 0) {
		if (strict)
			goto undo_bridges;
		CTL_LOG(ERR, "%s\n", err);
	}

	/* 2. commit: nothing below fails a transaction */
	sw.ovs = ovs;
	for (i = 0; i < n_new_br; i++) {
		struct sw_bridge *sb = calloc(1, sizeof(*sb));
		unsigned int slot;

		for (slot = 0; slot < SW_MAX_BRIDGES && sw.bridges[slot]; slot++)
			;
		if (sb == NULL || slot == SW_MAX_BRIDGES) {
			CTL_LOG(ERR, "bridge '%s': no room\n", new_br[i].dbb->name);
			free(sb);
			dp_bridge_destroy(new_br[i].dp);
			continue;
		}
		snprintf(sb->name, sizeof(sb->name), "%s", new_br[i].dbb->name);
		db_bridge_cfg(new_br[i].dbb, &sb->cfg);
		sb->dp = new_br[i].dp;
		sw.bridges[slot] = sb;
	}
	for (b = 0; b < db->n_bridges; b++) {
		struct sw_bridge *sb = sw_bridge_find(db->bridges[b]->name);
		struct db_bridge_cfg bc;

		db_bridge_cfg(db->bridges[b], &bc);
		if (sb == NULL || memcmp(&sb->cfg, &bc, sizeof(bc)) == 0)
			continue;
		if (fdb_set_params(sb->dp->fdb, bc.mac_table_size, bc.mac_port_limit,
				   bc.mac_aging_time) < 0)
			CTL_LOG(ERR, "bridge '%s': MAC table not resized\n", sb->name);
		else
			sb->cfg = bc;
	}

	/* ports that go away, and the old devices of ports opened beside: out
	 * of bridges and poll lists first */
	for (i = 0; i < n_open; i++) {
		struct sw_port *sp = sw_port_find(opens[i].dbp->name);

		if (!beside[i] || sp == NULL || sp->dp == NULL)
			continue;
		dp_port_unpublish(sp->dp);
		closing[n_gone] = sp->dp;
		gone[n_gone++] = sp->dp->id;
		sp->dp = NULL;
	}
	for (i = 0; i < sw.n_ports;) {
		struct sw_port *sp = sw.ports[i];

		if (db_port_find(db, sp->name, NULL) != NULL) {
			i++;
			continue;
		}
		if (sp->dp) {
			dp_port_unpublish(sp->dp);
			closing[n_gone] = sp->dp;
			gone[n_gone++] = sp->dp->id;
		}
		memmove(&sw.ports[i], &sw.ports[i + 1], (sw.n_ports - i - 1) * sizeof(sp));
		sw.n_ports--;
		free(sp);
	}
	publish_members(db);
	apply_replan(); /* includes a grace period */
	for (i = 0; i < n_gone; i++) {
		fdb_forget_port(gone[i]);
		close_port(closing[i]);
	}

	/* new and changed ports */
	for (i = 0; i < n_open; i++) {
		struct sw_port *sp = sw_port_find(opens[i].dbp->name);

		if (sp == NULL) {
			sp = calloc(1, sizeof(*sp));
			if (sp == NULL) {
				close_port(opens[i].dp);
				continue;
			}
			snprintf(sp->name, sizeof(sp->name), "%s", opens[i].dbp->name);
			assert(sw.n_ports < DP_MAX_PORTS);
			sw.ports[sw.n_ports++] = sp;
		}
		sp->dp = opens[i].dp;
		snprintf(sp->error, sizeof(sp->error), "%s", sp->dp ? "" : opens[i].error);
		if (sp->dp)
			fdb_forget_port(sp->dp->id); /* a reused id starts clean */
	}
	for (b = 0; b < db->n_bridges; b++) {
		const struct db_bridge *dbb = db->bridges[b];
		struct sw_bridge *sb = sw_bridge_find(dbb->name);

		for (i = 0; i < dbb->n_ports; i++) {
			struct sw_port *sp = sw_port_find(dbb->ports[i]->name);
			struct db_port_cfg c;
			bool forget_out, out;

			if (sp == NULL)
				continue;
			db_port_cfg(dbb->ports[i], &c);
			if (sp->dp &&
			    (sp->cfg.tag != c.tag || sp->cfg.native_vlan != c.native_vlan ||
			     memcmp(sp->cfg.trunks, c.trunks, sizeof(c.trunks)) != 0))
				fdb_forget_port(sp->dp->id);
			out = mirror_is_output(dbb, sp->name);
			forget_out = sp->dp && sp->mirror_out != out;
			sp->mirror_out = out;
			sp->cfg = c;
			snprintf(sp->bridge, sizeof(sp->bridge), "%s", dbb->name);
			publish_conf(sp);
			if (forget_out) /* after its conf: what it learned until then goes */
				fdb_forget_port(sp->dp->id);
			port_filter_commit(sp, dbb->ports[i]); /* before its first frame */
			if (sp->dp == NULL)
				continue;
			if (sb)
				fdb_set_port_limit(sb->dp->fdb, sp->dp->id, c.mac_limit);
			/* a new socket got them when created */
			if (sp->dp->kind == DP_PORT_VHOST && perms_changed) {
				struct vhost_sock_opts so;
				sock_opts(&ovs, &so);
				vhost_port_set_perms(sp->dp, &so);
			}
			dp_port_publish(sp->dp);
		}
	}
	publish_members(db);
	port_filter_end();

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

	pmds_stop_unwanted(want);
	apply_replan();

	if (sw.db != db) {
		db_destroy(sw.db);
		sw.db = db;
	}
	metrics_commit();
	sw.started = true;
	return 0;

undo_bridges:
	while (n_new_br-- > 0)
		dp_bridge_destroy(new_br[n_new_br].dp);
	i = n_open;
undo_opens:
	while (i-- > 0)
		close_port(opens[i].dp);
	if (!sock_dir_existed)
		rmdir(ovs.vhost_sock_dir); /* made by this transaction; empty again */
	if (reopened_closed)
		restore_reopened(reopen, n_reopen);
	port_filter_abort();
	metrics_abort();
	return rc;
}

unsigned int apply_tick(void)
{
	static uint32_t last_age;
	uint32_t now = dp_now();
	unsigned int b, learned = 0;

	uplink_tick(); /* every 100 ms: dpdk ports' MAC filters (control/uplink.c) */
	for (b = 0; b < SW_MAX_BRIDGES; b++)
		if (sw.bridges[b])
			learned += fdb_learn_drain(sw.bridges[b]->dp->fdb, now);
	if (now == last_age)
		return learned;
	last_age = now;
	for (b = 0; b < SW_MAX_BRIDGES; b++)
		if (sw.bridges[b])
			fdb_age(sw.bridges[b]->dp->fdb, now);
	balance_tick(); /* once a second: load window, pmd-auto-lb */
	return learned;
}

bool apply_learn_queued(void)
{
	for (unsigned int b = 0; b < SW_MAX_BRIDGES; b++)
		if (sw.bridges[b] && fdb_learn_queued(sw.bridges[b]->dp->fdb))
			return true;
	return false;
}

void apply_shutdown(void)
{
	unsigned int s, i;

	for (s = 0; s < sw.n_pmd_slots; s++)
		if (sw.pmds[s])
			pmd_set_rxqs(sw.pmds[s], NULL, 0);
	dp_rcu_flush();
	for (s = 0; s < sw.n_pmd_slots; s++) {
		pmd_stop(sw.pmds[s]);
		sw.pmds[s] = NULL;
	}
	sw.n_pmd_slots = 0;
	for (i = 0; i < sw.n_ports; i++) {
		if (sw.ports[i]->dp)
			dp_port_unpublish(sw.ports[i]->dp);
		close_port(sw.ports[i]->dp);
		free(sw.ports[i]);
	}
	sw.n_ports = 0;
	for (i = 0; i < SW_MAX_BRIDGES; i++) {
		if (sw.bridges[i])
			dp_bridge_destroy(sw.bridges[i]->dp);
		free(sw.bridges[i]);
		sw.bridges[i] = NULL;
	}
}
