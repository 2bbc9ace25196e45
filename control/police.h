/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * police: puts each port's ingress policer (dataplane/police.h) in line
 * with its configuration (Interface ingress_policing_rate and
 * ingress_policing_burst) and with how many PMDs poll its rx queues, which
 * the policer's rate is split over.  Control thread only.
 */
#ifndef KVS_CONTROL_POLICE_H
#define KVS_CONTROL_POLICE_H

/* After every rx queue plan (apply_replan): build and publish the policers
 * whose rate, burst or PMD count changed, remove the ones turned off. */
void police_apply(void);

#endif
