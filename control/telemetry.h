/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * telemetry: kvswitch's views in DPDK's telemetry library, so that
 * dpdk-telemetry.py shows them next to ethdev's: /kvswitch/port_list,
 * /kvswitch/port,NAME (counters and drop reasons), /kvswitch/pmd_list,
 * /kvswitch/pmd,CORE.  DPDK answers on its own thread; it reads a snapshot
 * the control thread refreshes once a second (telemetry_refresh), under a
 * mutex only these two share, so no switch state is read off the control
 * thread.
 */
#ifndef KVS_CONTROL_TELEMETRY_H
#define KVS_CONTROL_TELEMETRY_H

/* After EAL: register the commands.  0 or -errno. */
int telemetry_init(void);
/* Control thread, about once a second. */
void telemetry_refresh(void);

#endif
