/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sd_service: kvswitchd as a systemd Type=notify service (libsystemd's
 * sd_notify): READY=1 once the configuration is applied and every server
 * socket exists, STATUS= lines with what runs, WATCHDOG=1 from the control
 * loop.  Outside systemd (no NOTIFY_SOCKET) every call does nothing.
 * Control thread only.
 */
#ifndef KVS_CONTROL_SD_SERVICE_H
#define KVS_CONTROL_SD_SERVICE_H

/* Read WATCHDOG_USEC; call once at start. */
void sd_service_init(void);
/* The configuration is applied and the sockets exist: READY=1 + STATUS=. */
void sd_service_ready(void);
/* From the control loop: WATCHDOG=1 every half interval, STATUS= when the
 * counts changed (a kvsctl transaction, a reload). */
void sd_service_tick(void);
/* A reload started / ended (rc < 0: refused, the old configuration runs). */
void sd_service_reloading(void);
void sd_service_reloaded(int rc);
void sd_service_stopping(void);

#endif
