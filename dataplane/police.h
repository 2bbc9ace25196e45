/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * police: ingress policing of a port, OVS's Interface ingress_policing_rate
 * (kbit/s) and ingress_policing_burst (kbit) on librte_meter's srTCM.
 * What is metered is what OVS-DPDK meters: each frame's length less its
 * 14-byte Ethernet header.  A frame that finds too few tokens is dropped and
 * counted as policed_ingress on the queue it came in on.
 *
 * Per PMD, not per port: every PMD slot has its own meter (its own cache
 * line), so no PMD locks or waits for another.  A port polled by k PMDs
 * gives each meter 1/k of the rate and burst (control/police.c counts the
 * PMDs from the rx queue plan), which is exact for the usual one PMD per
 * port and an even split when a port's queues are spread over several: a
 * guest whose traffic all lands on one of them then gets 1/k of the rate
 * (OVS's one meter behind a lock gives it the whole rate).  Each meter's
 * bucket holds at least the largest frame the port can receive (a 64 KB
 * TSO or GRO frame where those arrive), else such a frame could never pass
 * and a guest's bulk TCP would stop.
 *
 * Thread rules: a struct dp_police is built by the control thread and
 * published in port->police (RCU, NULL = not policed).  Only PMD slot s
 * touches meter s.  A new rate or burst is a new object with full buckets,
 * so it takes effect at the next burst; the old one is freed after a grace
 * period.
 */
#ifndef KVS_DP_POLICE_H
#define KVS_DP_POLICE_H

#include <stdint.h>

#include "dataplane/port.h"

struct rte_mbuf;
struct dp_police;

#define DP_POLICE_DEFAULT_BURST_KBIT 8000 /* OVS's, for a burst of 0 */

/* What a policer is made of. */
struct dp_police_params {
	uint64_t rate_kbit;  /* kbit/s */
	uint64_t burst_kbit; /* 0: DP_POLICE_DEFAULT_BURST_KBIT */
	unsigned int share;  /* PMDs the rate and burst are split over, >= 1 */
	uint32_t min_bucket; /* bytes each meter's bucket holds at least: the
			      * largest frame the port can receive, metered */
};

/* Control thread: a policer of params (copied).  NULL + errno (EINVAL: rate
 * 0 or a bucket librte_meter refuses; ENOMEM). */
struct dp_police *dp_police_create(const struct dp_police_params *prm);
/* Control thread: what pol was made of. */
const struct dp_police_params *dp_police_params(const struct dp_police *pol);
/* Control thread: install (or with NULL remove) p's policer; the old one is
 * freed after the next grace period. */
void dp_port_set_police(struct dp_port *p, struct dp_police *pol);

/*
 * PMD: meter pkts[0..n) received on a queue of stats st, on PMD slot pmd at
 * TSC tsc.  The frames within the rate are moved to the front, in order, and
 * their count returned; the others are freed and counted (rx packets and
 * bytes, and policed_ingress).
 */
uint16_t dp_police_burst(struct dp_police *pol, unsigned int pmd, uint64_t tsc,
			 struct dp_rxq_stats *st, struct rte_mbuf **pkts, uint16_t n);

#endif
