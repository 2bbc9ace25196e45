/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink: keeps the receive filter of every `dpdk` port in step with its
 * bridge (uplink.h).  Called on the control thread by apply_tick()
 * (uplink_tick), by apply.c before a device closes (uplink_port_closing) and
 * by the show views (uplink_status).
 *
 * Every UPLINK_PERIOD_MS, for each bridge with a dpdk port: one walk of the
 * bridge's MAC table, plus the other_config:attached-mac of its ports, gives
 * the MACs the bridge has and where; for each dpdk port of the bridge, the
 * wanted sets are the MACs on its other ports and the multicast groups their
 * guests need (dataplane/macfilter.c: macfilter_wanted_uc/mc), and
 * macfilter_sync() programs the difference through the ops below
 * (rte_eth_dev_mac_addr_add/remove, rte_eth_dev_set_mc_addr_list,
 * promiscuous and allmulticast), deciding the fallbacks.  So an aged or
 * flushed MAC leaves the device's filter, and a MAC that moves onto the
 * uplink itself too, within one period.
 *
 * Every dpdk port has a macfilter, promiscuous ones included: it is what
 * notices that promiscuous mode is refused, and what turns it on or off when
 * options:promiscuous changes at run time.  With promiscuous mode on, it
 * programs nothing.
 *
 * Cost: per period, a walk and a sort of each such bridge's MAC table (8192
 * entries: well under a millisecond); device calls only for changes, and
 * refused ones are retried every MACFILTER_RETRY_MS, not every period.
 * Events are logged at most once per UPLINK_LOG_MS per port and kind, with
 * the number of similar messages held back; the state is always in
 * `kvsctl show` (status mac_filter) and `kvsctl port-stats`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "control/mono_clock.h"
#include "control/state.h"
#include "control/uplink.h"
#include "dataplane/bridge.h"
#include "dataplane/clock.h"
#include "dataplane/ethdev_port.h"
#include "dataplane/fdb.h"

#define UPLINK_LOG(lvl, ...) rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_USER2, "uplink: " __VA_ARGS__)
#define UPLINK_PERIOD_MS     100
#define UPLINK_LOG_MS        10000
#define UPLINK_N_EVENTS      9 /* MACFILTER_EV_* bits */

struct ratelimit {
	uint64_t next_ms;
	unsigned int held; /* messages not printed since the last one */
};

struct uplink {
	struct dp_port *dp;
	uint16_t eth; /* ethdev port id */
	struct macfilter *mf;
	struct ratelimit rl[UPLINK_N_EVENTS];
};

static struct uplink *uplinks[DP_MAX_PORTS]; /* by dp_port id */

/* Scratch, grown as needed and kept: the tick allocates nothing in the
 * steady state. */
static struct macfilter_entry *entries;
static struct rte_ether_addr *uc, *mc;
static uint32_t n_entries, cap_entries;

/* ---- the device, as macfilter drives it ---- */

static int op_uc_add(void *dev, const struct rte_ether_addr *mac)
{
	struct rte_ether_addr m = *mac;

	return rte_eth_dev_mac_addr_add(((struct uplink *)dev)->eth, &m, 0);
}

static int op_uc_del(void *dev, const struct rte_ether_addr *mac)
{
	struct rte_ether_addr m = *mac;

	return rte_eth_dev_mac_addr_remove(((struct uplink *)dev)->eth, &m);
}

static int op_mc_set(void *dev, const struct rte_ether_addr *macs, uint32_t n)
{
	/* the API takes a non-const list it does not modify */
	return rte_eth_dev_set_mc_addr_list(((struct uplink *)dev)->eth,
					    (struct rte_ether_addr *)(uintptr_t)macs, n);
}

static int op_promisc(void *dev, bool on)
{
	uint16_t eth = ((struct uplink *)dev)->eth;

	return on ? rte_eth_promiscuous_enable(eth) : rte_eth_promiscuous_disable(eth);
}

static int op_allmulti(void *dev, bool on)
{
	uint16_t eth = ((struct uplink *)dev)->eth;

	return on ? rte_eth_allmulticast_enable(eth) : rte_eth_allmulticast_disable(eth);
}

static const struct macfilter_ops uplink_ops = {
	.uc_add = op_uc_add,
	.uc_del = op_uc_del,
	.mc_set = op_mc_set,
	.promisc = op_promisc,
	.allmulti = op_allmulti,
};

/* ---- per-port state ---- */

static void uplink_free(struct uplink *u)
{
	macfilter_destroy(u->mf);
	free(u);
}

static struct uplink *uplink_get(struct dp_port *dp)
{
	struct uplink *u = uplinks[dp->id];
	struct rte_eth_dev_info info;
	uint32_t uc_max = 0;

	if (u != NULL && u->dp == dp)
		return u;
	if (u != NULL) /* the id was reused without the closing hook: device gone */
		uplink_free(u);
	uplinks[dp->id] = NULL;
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return NULL;
	u->dp = dp;
	u->eth = ethdev_port_id(dp);
	/* slot 0 is the device's own MAC; the rest are for others */
	if (rte_eth_dev_info_get(u->eth, &info) == 0 && info.max_mac_addrs > 1)
		uc_max = info.max_mac_addrs - 1;
	u->mf = macfilter_create(&uplink_ops, u, uc_max, rte_eth_promiscuous_get(u->eth) == 1);
	if (u->mf == NULL) {
		free(u);
		return NULL;
	}
	uplinks[dp->id] = u;
	return u;
}

void uplink_port_closing(struct dp_port *p)
{
	struct uplink *u = uplinks[p->id];

	if (u == NULL || u->dp != p)
		return;
	macfilter_clear(u->mf);
	uplink_free(u);
	uplinks[p->id] = NULL;
}

bool uplink_status(const struct dp_port *p, struct macfilter_status *st)
{
	const struct uplink *u = uplinks[p->id];

	if (u == NULL || u->dp != p)
		return false;
	macfilter_status(u->mf, st);
	return true;
}

uint32_t uplink_programmed(const struct dp_port *p, struct rte_ether_addr *out, uint32_t max)
{
	const struct uplink *u = uplinks[p->id];

	return u != NULL && u->dp == p ? macfilter_programmed(u->mf, out, max) : 0;
}

/* ---- logging: edges only, and at most one line per port and kind per UPLINK_LOG_MS ---- */

static bool log_ok(struct uplink *u, unsigned int bit, uint64_t now, unsigned int *held)
{
	struct ratelimit *rl = &u->rl[bit];

	if (now < rl->next_ms) {
		rl->held++;
		return false;
	}
	*held = rl->held;
	rl->held = 0;
	rl->next_ms = now + UPLINK_LOG_MS;
	return true;
}

static void log_events(struct uplink *u, unsigned int ev, uint64_t now)
{
	const char *name = u->dp->name;
	struct macfilter_status st;
	unsigned int bit, held;
	char more[48];

	macfilter_status(u->mf, &st);
	for (bit = 0; bit < UPLINK_N_EVENTS; bit++) {
		if (!(ev & (1u << bit)) || !log_ok(u, bit, now, &held))
			continue;
		more[0] = '\0';
		if (held)
			snprintf(more, sizeof(more), " (%u similar held back)", held);
		switch (1u << bit) {
		case MACFILTER_EV_PROMISC_REFUSED:
			UPLINK_LOG(INFO,
				   "port '%s': promiscuous mode refused by the device (%s): "
				   "receiving through its MAC filter, %u slots%s\n",
				   name, rte_strerror(-st.promisc_err), st.uc_max, more);
			break;
		case MACFILTER_EV_UC_ERROR:
			UPLINK_LOG(ERR, "port '%s': the device refuses MAC filter entries (%s)%s\n",
				   name, rte_strerror(-st.uc_err), more);
			break;
		case MACFILTER_EV_FULL:
			UPLINK_LOG(WARNING,
				   "port '%s': MAC filter full: %u of %u MACs programmed, "
				   "%u do not fit%s\n",
				   name, st.uc_programmed, st.uc_wanted, st.uc_overflow, more);
			break;
		case MACFILTER_EV_FALLBACK:
			UPLINK_LOG(WARNING,
				   "port '%s': promiscuous mode on until every MAC fits%s\n", name,
				   more);
			break;
		case MACFILTER_EV_LOSING:
			UPLINK_LOG(ERR,
				   "port '%s': promiscuous mode refused (%s): frames for %u "
				   "MACs cannot be received (trust the VF, or fewer MACs)%s\n",
				   name, rte_strerror(-st.promisc_err), st.uc_overflow, more);
			break;
		case MACFILTER_EV_FITS:
			UPLINK_LOG(INFO,
				   "port '%s': every MAC fits the filter again (%u of %u slots)"
				   "%s\n",
				   name, st.uc_programmed, st.uc_max, more);
			break;
		case MACFILTER_EV_MC_ALLMULTI:
			UPLINK_LOG(WARNING,
				   "port '%s': multicast list of %u refused (%s): "
				   "allmulticast instead%s\n",
				   name, st.mc_wanted, rte_strerror(-st.mc_err), more);
			break;
		case MACFILTER_EV_MC_LOST:
			UPLINK_LOG(ERR,
				   "port '%s': multicast list of %u and allmulticast refused "
				   "(%s): multicast beyond broadcast may not be received%s\n",
				   name, st.mc_wanted, rte_strerror(-st.mc_err), more);
			break;
		case MACFILTER_EV_MC_LIST:
			UPLINK_LOG(INFO, "port '%s': multicast list of %u accepted%s\n", name,
				   st.mc_programmed, more);
			break;
		}
	}
}

/* ---- the wanted sets ---- */

static int entries_reserve(uint32_t n)
{
	struct macfilter_entry *e;
	struct rte_ether_addr *a, *b;
	uint32_t cap;

	if (n <= cap_entries)
		return 0;
	cap = RTE_MAX(n, cap_entries * 2);
	e = realloc(entries, cap * sizeof(*e));
	if (e != NULL)
		entries = e;
	a = realloc(uc, cap * sizeof(*a));
	if (a != NULL)
		uc = a;
	b = realloc(mc, (cap + 1) * sizeof(*b));
	if (b != NULL)
		mc = b;
	if (e == NULL || a == NULL || b == NULL)
		return -ENOMEM;
	cap_entries = cap;
	return 0;
}

static int entry_add(const struct rte_ether_addr *mac, uint16_t vlan, uint16_t port,
		     bool configured)
{
	if (n_entries == cap_entries && entries_reserve(n_entries + 1) < 0)
		return -ENOMEM;
	entries[n_entries++] = (struct macfilter_entry){
		.mac = *mac, .vlan = vlan, .port = port, .configured = configured};
	return 0;
}

static int fdb_entry(const struct fdb_entry_info *e, void *arg)
{
	if (entry_add(&e->mac, e->vlan, e->port, false) == 0)
		return 0;
	*(bool *)arg = true; /* out of memory: stop the walk */
	return 1;
}

/* Every MAC bridge br has and where: its MAC table and the configured ones. */
static int collect(const struct sw_bridge *br)
{
	bool oom = false;
	unsigned int i, k;

	n_entries = 0;
	fdb_walk(br->dp->fdb, dp_now(), fdb_entry, &oom);
	if (oom)
		return -ENOMEM;
	for (i = 0; i < sw.n_ports; i++) {
		const struct sw_port *sp = sw.ports[i];

		if (sp->dp == NULL || strcmp(sp->bridge, br->name) != 0)
			continue;
		for (k = 0; k < sp->cfg.n_attached_macs; k++) {
			struct rte_ether_addr m;

			memcpy(m.addr_bytes, sp->cfg.attached_macs[k], RTE_ETHER_ADDR_LEN);
			if (entry_add(&m, MACFILTER_ANY_VLAN, sp->dp->id, true) < 0)
				return -ENOMEM;
		}
	}
	/* uc[] gets at most n_entries MACs, mc[] one more: both are cap + 1 */
	return entries_reserve(n_entries + 1);
}

static void sync_port(const struct sw_port *sp, uint64_t now)
{
	struct uplink *u = uplink_get(sp->dp);
	struct rte_ether_addr own;
	uint32_t n_uc, n_mc;
	unsigned int ev;

	if (u == NULL)
		return;
	if (rte_eth_macaddr_get(u->eth, &own) < 0)
		memset(&own, 0, sizeof(own));
	n_uc = macfilter_wanted_uc(entries, n_entries, sp->dp->id, sp->cfg.trunks, &own, uc);
	n_mc = macfilter_wanted_mc(uc, n_uc, mc);
	ev = macfilter_sync(u->mf, sp->cfg.promiscuous, uc, n_uc, mc, n_mc, now);
	if (ev)
		log_events(u, ev, now);
}

static bool is_dpdk(const struct sw_port *sp)
{
	return sp->dp != NULL && sp->dp->kind == DP_PORT_ETHDEV;
}

void uplink_tick(void)
{
	static uint64_t next, oom_log_at;
	uint64_t now = mono_clock_ms();
	unsigned int b, i;

	if (now < next)
		return;
	next = now + UPLINK_PERIOD_MS;
	for (b = 0; b < SW_MAX_BRIDGES; b++) {
		const struct sw_bridge *br = sw.bridges[b];
		bool collected = false;

		if (br == NULL)
			continue;
		for (i = 0; i < sw.n_ports; i++) {
			const struct sw_port *sp = sw.ports[i];

			if (!is_dpdk(sp) || strcmp(sp->bridge, br->name) != 0)
				continue;
			if (!collected && collect(br) < 0) {
				if (now >= oom_log_at) {
					UPLINK_LOG(ERR,
						   "bridge '%s': no memory for the MAC filter "
						   "sets: filters not updated\n",
						   br->name);
					oom_log_at = now + UPLINK_LOG_MS;
				}
				break;
			}
			collected = true;
			sync_port(sp, now);
		}
	}
}
