/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * police: puts each port's policers (dataplane/police.h) in line with its
 * configuration and with the PMDs that meter through them (more than one:
 * a shared, locked meter):
 * - ingress: Interface ingress_policing_rate and ingress_policing_burst
 *   (kbit), metered by the PMDs polling the port's rx queues;
 * - egress: the Port's QoS (egress-policer, trtcm-policer; bytes), metered
 *   by the PMDs polling the other ports of its bridge, which are the ones
 *   that send to it.
 * Control thread only.
 */
#ifndef KVS_CONTROL_POLICE_H
#define KVS_CONTROL_POLICE_H

/* After every rx queue plan (apply_replan): build and publish the policers
 * whose rates, bursts or PMD count changed, remove the ones turned off. */
void police_apply(void);

#endif
