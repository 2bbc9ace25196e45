/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_wake: private to vhost-user/. Has librte_vhost's event thread watch a socket that was
 * just started in server mode at once instead of after up to a second (see vhost_wake.c).
 */
#ifndef KVS_VHOST_WAKE_H
#define KVS_VHOST_WAKE_H

/* Control thread, after a server-mode rte_vhost_driver_start() succeeded. */
void vhost_wake_events(void);

#endif
