/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * police: the policers of a port, on librte_meter.  Two directions:
 * - ingress: OVS's Interface ingress_policing_rate and _burst, an srTCM
 *   meter on what the port receives, drops counted as policed_ingress on the
 *   queue the frame came in on (with the frame counted as received);
 * - egress: OVS's QoS types egress-policer (srTCM: cir, cbs) and
 *   trtcm-policer (RFC 4115 trTCM: cir, cbs, eir, ebs; green and yellow
 *   pass, red is dropped), on what the port is about to send, drops counted
 *   as policed_egress on the sending PMD's tx slot.
 * What is metered is what OVS-DPDK meters: each frame's length less its
 * 14-byte Ethernet header.  An srTCM policer passes green only.
 *
 * One meter per policer, with the whole rate, whichever PMDs meter through
 * it, so the rate holds exactly however traffic is spread over PMDs.  Where
 * only one PMD can reach the policer (control/police.c knows: the PMDs
 * polling the port for ingress, those polling the other ports of its bridge
 * for egress), that PMD's meter is its own and takes no lock, the usual
 * case; a policer more than one PMD can reach is `shared` and each burst
 * takes its spinlock, as OVS-DPDK's policers do (about 20 cycles a burst
 * uncontended; PMDs wait for each other only while both police a burst for
 * the same port).  The committed bucket holds at least the largest frame
 * that can reach it (a 64 KB TSO or GRO frame where those can come), else
 * such a frame could never pass and a guest's bulk TCP would stop.
 *
 * Thread rules: a struct dp_police is built by the control thread and
 * published in port->police[dir] (RCU, NULL = not policed).  Unshared, PMD
 * slot s touches meter s only; shared, every PMD uses meter 0 under the
 * lock.  A new rate or burst is a new object with full buckets, so it takes
 * effect at the next burst; the old one is freed after a grace period.
 */
#ifndef KVS_DP_POLICE_H
#define KVS_DP_POLICE_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/port.h"

struct rte_mbuf;
struct dp_police;

enum dp_police_kind {
	DP_POLICE_SRTCM, /* cir, cbs: ingress policing and egress-policer */
	DP_POLICE_TRTCM, /* cir, cbs, eir, ebs: trtcm-policer (RFC 4115) */
};

/* Rates and buckets beyond these are refused: librte_meter's arithmetic
 * overflows near 2^57 B/s (a period of 0: a division by zero per frame) and
 * its buckets wrap near 2^64.  2^40 B/s is 8.8 Tbit/s. */
#define DP_POLICE_RATE_MAX   (1ull << 40) /* bytes/s */
#define DP_POLICE_BUCKET_MAX (1ull << 40) /* bytes */

/* What a policer is made of. */
struct dp_police_params {
	enum dp_police_kind kind;
	uint64_t cir, cbs;   /* committed rate (bytes/s) and burst (bytes) */
	uint64_t eir, ebs;   /* trTCM's excess rate and burst; srTCM: 0 */
	bool shared;         /* more than one PMD may meter through it: lock */
	uint32_t min_bucket; /* bytes the committed bucket holds at least: the
			      * largest frame that can reach it */
};

/* Control thread: a policer of params (copied).  NULL + errno (EINVAL: cir
 * 0, a rate or bucket over the maxima, or a profile librte_meter refuses;
 * ENOMEM). */
struct dp_police *dp_police_create(const struct dp_police_params *prm);
/* Control thread: what pol was made of. */
const struct dp_police_params *dp_police_params(const struct dp_police *pol);
/* Control thread: install (or with NULL remove) p's policer of direction
 * dir; the old one is freed after the next grace period. */
void dp_port_set_police(struct dp_port *p, enum dp_police_dir dir, struct dp_police *pol);

/*
 * PMD: meter pkts[0..n) on PMD slot pmd at TSC tsc.  The frames within the
 * rate are moved to the front, in order, and their count k returned; the
 * n - k others are put in over[], for the caller to count and free.
 */
uint16_t dp_police_burst(struct dp_police *pol, unsigned int pmd, uint64_t tsc,
			 struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **over);

#endif
