/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uplink: the receive filter of `dpdk` ports.  A device that will not be
 * promiscuous (an untrusted SR-IOV VF), or a port configured with
 * options:promiscuous=false, receives unicast frames only for the MACs in
 * its filter; this module keeps that filter holding every MAC the port's
 * bridge has on its other ports, and reports when it cannot (uplink.c has
 * the details).  Control thread only.
 */
#ifndef KVS_CONTROL_UPLINK_H
#define KVS_CONTROL_UPLINK_H

#include <stdbool.h>

#include "dataplane/macfilter.h"

struct dp_port;

/* From apply_tick(), every control loop (at least every 100 ms: kvswitchd.c's
 * CTL_IDLE_MS); does its work every 100 ms. */
void uplink_tick(void);
/* From apply.c, before a dpdk port's device is closed: its filter entries
 * are taken out (a device probed by EAL outlives the port). */
void uplink_port_closing(struct dp_port *p);
/* The filter state of a dpdk port; false if it has none (yet). */
bool uplink_status(const struct dp_port *p, struct macfilter_status *st);
/* The MACs in its filter (up to max); how many there are. */
uint32_t uplink_programmed(const struct dp_port *p, struct rte_ether_addr *out, uint32_t max);

#endif
