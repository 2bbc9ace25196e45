/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * metrics: the HTTP side (metrics.h).  libmicrohttpd runs in "external
 * event loop" mode on its epoll descriptor: kvswitchd's loop polls that one
 * descriptor and calls MHD_run() when it is ready or a connection may have
 * timed out.  The listening socket is kvswitchd's own (bound here, handed to
 * MHD), so a taken address is an error kvswitchd words itself.  At most
 * METRICS_MAX_CONN scrapers at once, each closed after 10 s idle.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "control/metrics.h"
#include "control/mono_clock.h"

#define METRICS_MAX_CONN 16

struct server {
	struct MHD_Daemon *mhd;
	char addr[128];
};

static struct server cur, pending;
static bool pending_set;
static uint64_t last_run_ms;

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;
	char *text;

	(void)cls, (void)version, (void)upload, (void)upload_len, (void)state;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		text = strdup("only GET /metrics\n");
	} else if (strcmp(url, "/metrics") != 0) {
		status = MHD_HTTP_NOT_FOUND;
		text = strdup("kvswitchd serves /metrics\n");
	} else {
		text = metrics_text();
	}
	if (text == NULL)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* HOST:PORT or [IPV6]:PORT into a bound, listening socket. */
static int listen_on(const char *addr, char *err, size_t errlen)
{
	char host[128], *port;
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
	struct addrinfo *ai = NULL;
	int fd, rc, one = 1;

	snprintf(host, sizeof(host), "%s", addr);
	port = strrchr(host, ':');
	if (port == NULL || port == host || port[1] == '\0') {
		snprintf(err, errlen, "metrics-address '%s': expected HOST:PORT", addr);
		return -EINVAL;
	}
	*port++ = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "metrics-address '%s': %s", addr, gai_strerror(rc));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		freeaddrinfo(ai);
		snprintf(err, errlen, "metrics-address '%s': %s", addr, strerror(-rc));
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		rc = -errno;
		close(fd);
		freeaddrinfo(ai);
		snprintf(err, errlen, "metrics-address '%s': %s", addr,
			 rc == -EADDRINUSE ? "the address is in use" : strerror(-rc));
		return rc;
	}
	freeaddrinfo(ai);
	return fd;
}

int metrics_prepare(const char *addr, char *err, size_t errlen)
{
	int fd;

	if (addr == NULL)
		addr = "";
	metrics_abort();
	if (strcmp(addr, cur.addr) == 0)
		return 0;
	pending_set = true;
	snprintf(pending.addr, sizeof(pending.addr), "%s", addr);
	if (addr[0] == '\0')
		return 0;
	fd = listen_on(addr, err, errlen);
	if (fd < 0) {
		pending_set = false;
		return fd;
	}
	pending.mhd = MHD_start_daemon(MHD_USE_EPOLL, 0, NULL, NULL, answer, NULL,
				       MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
				       (unsigned int)METRICS_MAX_CONN,
				       MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (pending.mhd == NULL) {
		close(fd);
		pending_set = false;
		snprintf(err, errlen, "metrics-address '%s': cannot start the HTTP server", addr);
		return -EIO;
	}
	return 0;
}

void metrics_commit(void)
{
	if (!pending_set)
		return;
	if (cur.mhd != NULL)
		MHD_stop_daemon(cur.mhd); /* closes the listening socket it was given */
	cur = pending;
	memset(&pending, 0, sizeof(pending));
	pending_set = false;
}

void metrics_abort(void)
{
	if (pending.mhd != NULL)
		MHD_stop_daemon(pending.mhd);
	memset(&pending, 0, sizeof(pending));
	pending_set = false;
}

void metrics_stop(void)
{
	metrics_abort();
	if (cur.mhd != NULL)
		MHD_stop_daemon(cur.mhd);
	memset(&cur, 0, sizeof(cur));
}

unsigned int metrics_pollfds(struct pollfd *fds, unsigned int max)
{
	const union MHD_DaemonInfo *info;

	if (cur.mhd == NULL || max == 0)
		return 0;
	info = MHD_get_daemon_info(cur.mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL)
		return 0;
	fds[0] = (struct pollfd){.fd = info->epoll_fd, .events = POLLIN};
	return 1;
}

void metrics_run(bool ready)
{
	uint64_t now;

	if (cur.mhd == NULL)
		return;
	/* when the epoll descriptor is ready, and every 100 ms for MHD's
	 * timeouts (idle scrapers) */
	now = mono_clock_ms();
	if (!ready && now - last_run_ms < 100)
		return;
	last_run_ms = now;
	MHD_run(cur.mhd);
}
