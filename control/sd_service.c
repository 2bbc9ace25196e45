/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * systemd notification protocol for kvswitchd (sd_service.h).  Called by
 * kvswitchd.c's main/control loop only.
 *
 * The watchdog is fed from the control loop itself, not a timer thread: a
 * wedged control thread (a handler that never returns, a dead lock) stops the
 * pings and systemd restarts the service.  Costs one clock_gettime per loop
 * turn; the STATUS text is rebuilt at most once a second.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "control/sd_service.h"
#include "control/state.h"

static uint64_t watchdog_usec; /* 0: no watchdog asked */
static uint64_t last_ping, last_status_check;
static char last_status[128];
static bool ready;

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* "3 bridges, 12 ports, 2 PMDs", plus how many ports failed to open. */
static void status_text(char *buf, size_t len)
{
	unsigned int i, n_pmds = 0, n_failed = 0, n_bridges = sw.db ? sw.db->n_bridges : 0;
	int off;

	for (i = 0; i < sw.n_pmd_slots && i < DP_MAX_PMDS; i++)
		if (sw.pmds[i] != NULL)
			n_pmds++;
	for (i = 0; i < sw.n_ports; i++)
		if (sw.ports[i] != NULL && sw.ports[i]->dp == NULL)
			n_failed++;
	off = snprintf(buf, len, "%u bridge%s, %u port%s, %u PMD%s", n_bridges,
		       n_bridges == 1 ? "" : "s", sw.n_ports, sw.n_ports == 1 ? "" : "s", n_pmds,
		       n_pmds == 1 ? "" : "s");
	if (n_failed && off > 0 && (size_t)off < len)
		snprintf(buf + off, len - (size_t)off, " (%u port%s not open)", n_failed,
			 n_failed == 1 ? "" : "s");
}

static void send_status(bool force)
{
	char text[128];

	status_text(text, sizeof(text));
	if (!force && strcmp(text, last_status) == 0)
		return;
	snprintf(last_status, sizeof(last_status), "%s", text);
	sd_notifyf(0, "STATUS=%s", text);
}

void sd_service_init(void)
{
	uint64_t usec = 0;

	/* unset_environment=0: the EAL and children do not care, and keeping
	 * the variables lets a test see what the daemon saw */
	if (sd_watchdog_enabled(0, &usec) > 0)
		watchdog_usec = usec;
	last_ping = now_usec();
}

void sd_service_ready(void)
{
	char text[128];

	status_text(text, sizeof(text));
	snprintf(last_status, sizeof(last_status), "%s", text);
	sd_notifyf(0, "READY=1\nSTATUS=%s", text);
	ready = true;
	last_status_check = now_usec();
}

void sd_service_tick(void)
{
	uint64_t now = now_usec();

	if (watchdog_usec && now - last_ping >= watchdog_usec / 2) {
		sd_notify(0, "WATCHDOG=1");
		last_ping = now;
	}
	if (ready && now - last_status_check >= 1000000) {
		last_status_check = now;
		send_status(false);
	}
}

void sd_service_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration file");
}

void sd_service_reloaded(int rc)
{
	char text[128];

	status_text(text, sizeof(text));
	snprintf(last_status, sizeof(last_status), "%s", text);
	if (rc < 0)
		sd_notifyf(0, "READY=1\nSTATUS=%s; last reload refused (see the log)", text);
	else
		sd_notifyf(0, "READY=1\nSTATUS=%s", text);
}

void sd_service_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
