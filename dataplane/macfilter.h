/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * macfilter: keeps one device's receive filter in step with the MACs the
 * switch must receive frames for, on a port that is not promiscuous (an
 * untrusted SR-IOV VF cannot be; `options:promiscuous=false` asks for it).
 * Such a device delivers unicast frames only for the MACs in its filter
 * table (a few slots), multicast only for its multicast list, broadcast
 * always.
 *
 * One macfilter per device.  macfilter_sync() is given the wanted sets and:
 * - removes MACs no longer wanted, then adds new ones until the table is
 *   full; a MAC that is programmed keeps its slot (no eviction, no churn);
 * - when some do not fit (or the device refuses them), reports "full" once,
 *   counts it, and turns promiscuous mode on instead, or, if the device
 *   refuses that too, reports how many MACs' frames cannot be received;
 *   when they all fit again, promiscuous mode goes back off;
 * - programs the multicast list, falling back to allmulticast when the list
 *   is refused (too long, unsupported).
 * Refused operations are retried every MACFILTER_RETRY_MS (trust can be
 * turned on at the PF at any time), never on every call, so a device that
 * says no is not asked again 10 times a second and its driver's error log
 * stays quiet.
 *
 * Pure logic: the device is reached only through struct macfilter_ops (unit
 * tests give it a fake table of fixed size; control/uplink.c gives it
 * rte_eth_dev_mac_addr_add() and friends), time is a parameter, and nothing
 * is logged: macfilter_sync() returns events for the caller to word.
 * Control thread only.
 */
#ifndef KVS_DP_MACFILTER_H
#define KVS_DP_MACFILTER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#define MACFILTER_RETRY_MS 10000

struct macfilter;

/* The device, as a macfilter drives it.  Each returns 0 or -errno. */
struct macfilter_ops {
	/* -ENOSPC: the table is full; any other error: the MAC is refused. */
	int (*uc_add)(void *dev, const struct rte_ether_addr *mac);
	int (*uc_del)(void *dev, const struct rte_ether_addr *mac);
	/* Replace the whole multicast list (n may be 0: empty it). */
	int (*mc_set)(void *dev, const struct rte_ether_addr *macs, uint32_t n);
	int (*promisc)(void *dev, bool on);
	int (*allmulti)(void *dev, bool on);
};

enum macfilter_mode {
	MACFILTER_PROMISC,      /* promiscuous as configured: no filter needed */
	MACFILTER_FILTER,       /* every MAC wanted is in the filter */
	MACFILTER_FULL_PROMISC, /* some do not fit: promiscuous instead */
	MACFILTER_FULL,         /* some do not fit, promiscuous refused: their frames are lost */
};

enum macfilter_mc_mode {
	MACFILTER_MC_LIST,     /* the multicast list is programmed */
	MACFILTER_MC_ALLMULTI, /* the list was refused: allmulticast instead */
	MACFILTER_MC_LOST,     /* both refused: multicast beyond broadcast is lost */
};

/* What happened in one macfilter_sync(), for the caller's log. */
enum {
	MACFILTER_EV_PROMISC_REFUSED = 1u << 0, /* configured promiscuous refused */
	MACFILTER_EV_FULL = 1u << 1,            /* the filter became full */
	MACFILTER_EV_FALLBACK = 1u << 2,        /* promiscuous turned on because of it */
	MACFILTER_EV_LOSING = 1u << 3,          /* full and promiscuous refused */
	MACFILTER_EV_FITS = 1u << 4,            /* every MAC fits again */
	MACFILTER_EV_UC_ERROR = 1u << 5,        /* a MAC refused, not for a full table */
	MACFILTER_EV_MC_ALLMULTI = 1u << 6,     /* multicast list refused: allmulticast */
	MACFILTER_EV_MC_LOST = 1u << 7,         /* list and allmulticast refused */
	MACFILTER_EV_MC_LIST = 1u << 8,         /* the list is accepted again */
};

struct macfilter_status {
	enum macfilter_mode mode;
	enum macfilter_mc_mode mc_mode;
	bool promisc;           /* the device is promiscuous now (configured or fallback) */
	bool allmulti;          /* allmulticast turned on by the fallback */
	uint32_t uc_max;        /* slots for MACs other than the device's own */
	uint32_t uc_programmed; /* MACs in the device's filter now */
	uint32_t uc_wanted;     /* MACs the switch wants to receive for */
	uint32_t uc_overflow;   /* wanted but not programmed */
	uint32_t mc_programmed, mc_wanted;
	int promisc_err;      /* last refusal of promiscuous mode, 0 if none */
	int uc_err;           /* last refusal of a MAC other than -ENOSPC, 0 if none */
	int mc_err;           /* last refusal of the multicast list, 0 if none */
	uint64_t full_events; /* times the filter became full */
	uint64_t fallbacks;   /* times promiscuous mode was turned on because of it */
	uint64_t uc_added, uc_removed;
};

/* uc_max: filter slots for other MACs (dev_info.max_mac_addrs - 1).
 * promisc_now: the device is promiscuous already.  NULL + errno. */
struct macfilter *macfilter_create(const struct macfilter_ops *ops, void *dev, uint32_t uc_max,
				   bool promisc_now);
void macfilter_destroy(struct macfilter *mf);

/*
 * want_promisc: options:promiscuous.  uc: unicast MACs to receive for, in
 * priority order (first served when they do not all fit); duplicates and
 * multicast entries are ignored.  mc: multicast MACs to receive for.
 * now_ms: any monotonic origin.  Returns the MACFILTER_EV_* that happened.
 */
unsigned int macfilter_sync(struct macfilter *mf, bool want_promisc,
			    const struct rte_ether_addr *uc, uint32_t n_uc,
			    const struct rte_ether_addr *mc, uint32_t n_mc, uint64_t now_ms);

/* Remove everything programmed and turn off what the fallbacks turned on,
 * so a device that outlives the port (probed by EAL) starts clean. */
void macfilter_clear(struct macfilter *mf);

void macfilter_status(const struct macfilter *mf, struct macfilter_status *st);
/* The MACs in the device's filter, in the order added: up to max into out;
 * returns how many there are. */
uint32_t macfilter_programmed(const struct macfilter *mf, struct rte_ether_addr *out, uint32_t max);

/* ---- What a port's filter needs (pure; control/uplink.c feeds it the bridge's MAC table) ---- */

#define MACFILTER_ANY_VLAN UINT16_MAX

struct macfilter_entry {
	struct rte_ether_addr mac;
	uint16_t vlan;   /* where the bridge has it: VLAN (or MACFILTER_ANY_VLAN) */
	uint16_t port;   /* and port */
	bool configured; /* other_config:attached-mac, not learned */
};

/*
 * The unicast MACs port `self` must receive for: every MAC the bridge has on
 * another port in a VLAN `self` carries (vlans: bitmap of 4096, NULL = all),
 * except the device's own (`own`, always received).  Configured MACs first,
 * then learned ones, each group sorted.  Sorts e[] in place; out[] has room
 * for n.  Returns how many.
 */
uint32_t macfilter_wanted_uc(struct macfilter_entry *e, uint32_t n, uint16_t self,
			     const uint64_t *vlans, const struct rte_ether_addr *own,
			     struct rte_ether_addr *out);
/*
 * The multicast MACs guests behind those MACs need without IGMP/MLD
 * snooping: IPv6 all-nodes (router advertisements) and, for each MAC, the
 * solicited-node group of its EUI-64 link-local address (neighbour
 * discovery).  Guests whose addresses are not EUI-64 (stable-privacy) or
 * that join other groups need allmulticast, which needs a trusted VF.
 * out[] has room for n_uc + 1.  Returns how many.
 */
uint32_t macfilter_wanted_mc(const struct rte_ether_addr *uc, uint32_t n_uc,
			     struct rte_ether_addr *out);
const char *macfilter_mode_name(enum macfilter_mode m);
const char *macfilter_mc_mode_name(enum macfilter_mc_mode m);

#endif
