/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_wake: wakes librte_vhost's "vhost-events" thread after a server socket starts listening.
 *
 * That thread poll()s a snapshot of the library's fd list with a 1 s timeout. DPDK 22.11 wakes it
 * (through a pipe) when a connection is added, but not when rte_vhost_driver_start() adds a
 * listening socket (vhost_user_start_server()): the socket is listening, a guest's connect()
 * succeeds, and then nothing answers it until the poll times out, up to a second later. Every
 * dpdkvhostuser port pays it: after add-port, and after a restart of kvswitchd, when it was all
 * of the outage server-mode guests saw beyond the start-up itself (restart_outage.py).
 *
 * We cannot reach the library's pipe, so we interrupt the poll with a signal: poll() is never
 * restarted after a handler ran (signal(7)), the loop goes round and takes a new snapshot that
 * has the socket. The signal is sent only while the thread is in poll (its current system call,
 * from /proc), never while it runs a message handler, and the handler is SA_RESTART anyway, so
 * no other call of that thread sees EINTR. Cost: reading two small /proc files per port start.
 *
 * Caller: the control thread (vhost_port_create()).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <rte_log.h>

#include "vhost-user/vhost_wake.h"

#define EVENTS_THREAD "vhost-events" /* the name librte_vhost gives it */
#define WAKE_SIGNAL   (SIGRTMIN + 3)
#define POLL_WAIT_US  100000 /* a new thread has this long to reach its first poll */

static pid_t events_tid;
static bool no_thread; /* looked for it and found none: warned once, never again */

static void on_wake(int sig)
{
	(void)sig;
}

static int read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

static pid_t find_events_thread(void)
{
	char path[300], comm[32];
	struct dirent *d;
	pid_t tid = 0;
	DIR *dir;

	dir = opendir("/proc/self/task");
	if (dir == NULL)
		return 0;
	while (tid == 0 && (d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", d->d_name);
		if (read_small(path, comm, sizeof(comm)) == 0 &&
		    strncmp(comm, EVENTS_THREAD "\n", sizeof(EVENTS_THREAD)) == 0)
			tid = (pid_t)atoi(d->d_name);
	}
	closedir(dir);
	return tid;
}

/* Whether the thread sits in poll() (or ppoll, which glibc may use for it). */
static bool in_poll(pid_t tid)
{
	char path[64], buf[256];
	long nr;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if (read_small(path, buf, sizeof(buf)) < 0 || sscanf(buf, "%ld", &nr) != 1)
		return false; /* "running", or gone */
#ifdef SYS_poll
	if (nr == SYS_poll)
		return true;
#endif
	return nr == SYS_ppoll;
}

void vhost_wake_events(void)
{
	struct sigaction sa;
	int waited;

	if (events_tid == 0) {
		if (no_thread)
			return;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_wake;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		if (sigaction(WAKE_SIGNAL, &sa, NULL) < 0)
			return;
		events_tid = find_events_thread();
		if (events_tid == 0) {
			no_thread = true;
			rte_log(RTE_LOG_WARNING, RTE_LOGTYPE_USER1,
				"vhost: no '%s' thread found: a new vhost-user socket may take up "
				"to a second to answer its first guest\n",
				EVENTS_THREAD);
			return;
		}
		/* just created with the first socket: let it reach the poll it must leave */
		for (waited = 0; waited < POLL_WAIT_US && !in_poll(events_tid); waited += 1000)
			usleep(1000);
	}
	/* not in poll: it is handling an event and takes a new snapshot when it comes back */
	if (in_poll(events_tid) && syscall(SYS_tgkill, getpid(), events_tid, WAKE_SIGNAL) < 0 &&
	    errno == ESRCH)
		events_tid = 0;
}
