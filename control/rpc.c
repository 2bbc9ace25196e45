/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket server (rpc.h).  Control thread only.
 * A request is at most RPC_MAX_REQ bytes; larger ones get an error and the
 * connection is closed, so a client cannot make the daemon grow without end.
 * Nor can clients hold every slot: a connection that stays silent for
 * RPC_IDLE_MS, or sends half a request and then nothing for RPC_PARTIAL_MS,
 * is closed, and when the table is full the least recently active client
 * makes room for the new one (kvsctl is active within milliseconds of
 * connecting, so it is never the one evicted).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/rpc.h"
#include "control/mono_clock.h"

#define RPC_MAX_CLIENTS 64
#define RPC_MAX_REQ     (1 << 20)
#define RPC_IDLE_MS     30000 /* nothing asked, nothing pending */
#define RPC_PARTIAL_MS  5000  /* half a request, or an answer not read */

struct client {
	int fd;
	bool close_after_write;
	uint64_t last_ms; /* last byte in or out, or the accept */
	char *buf;
	size_t len, cap;
	char *out; /* pending response */
	size_t out_len, out_off;
	/* rpc_hand_over: who takes the connection once the answer is out */
	void (*take)(int fd, void *arg);
	void *take_arg;
};

static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct client clients[RPC_MAX_CLIENTS];
static rpc_handler handler;
/* set by a handler through rpc_hand_over, moved to its client after it */
static void (*pending_take)(int fd, void *arg);
static void *pending_arg;

/*
 * Make room at path for our socket.  A socket another daemon still answers
 * on is its own: refuse (a second daemon must not silently take the control
 * of the first).  A dead socket is stale and removed; anything else is not
 * ours to delete.
 */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int rpc_init(const char *path, rpc_handler h)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	mode_t old_mask;
	int i, rc;

	/* memcpy, not snprintf: gcc 12 with -fsanitize reports a null %s here */
	if (len >= sizeof(sa.sun_path) || len >= sizeof(sock_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, len + 1);
	memcpy(sock_path, path, len + 1);
	rc = clear_stale(path, &sa);
	if (rc < 0)
		return rc;
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -errno;
	/* Born 0660: no window in which the umask's mode lets others connect.
	 * Process-wide, but no other thread creates files this early. */
	old_mask = umask(0117);
	rc = bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc < 0 || listen(listen_fd, 16) < 0) {
		int e = errno;
		close(listen_fd);
		listen_fd = -1;
		return -e;
	}
	for (i = 0; i < RPC_MAX_CLIENTS; i++)
		clients[i].fd = -1;
	handler = h;
	return 0;
}

void rpc_hand_over(void (*take)(int fd, void *arg), void *arg)
{
	pending_take = take;
	pending_arg = arg;
}

static void client_close(struct client *c)
{
	if (c->take != NULL)
		c->take(-1, c->take_arg); /* gone before the answer was out */
	close(c->fd);
	free(c->buf);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void rpc_close(void)
{
	int i;

	for (i = 0; i < RPC_MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			client_close(&clients[i]);
	if (listen_fd >= 0) {
		struct stat st;

		close(listen_fd);
		if (lstat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(sock_path);
	}
	listen_fd = -1;
}

/* The table is full: close the client that has been quiet the longest. */
static struct client *client_evict(void)
{
	struct client *oldest = &clients[0];
	int i;

	for (i = 1; i < RPC_MAX_CLIENTS; i++)
		if (clients[i].last_ms < oldest->last_ms)
			oldest = &clients[i];
	client_close(oldest);
	return oldest;
}

/* Close clients that hold a slot without using it (see the top). */
static void clients_expire(void)
{
	static uint64_t last_check;
	uint64_t now = mono_clock_ms();
	int i;

	if (now - last_check < 100)
		return;
	last_check = now;
	for (i = 0; i < RPC_MAX_CLIENTS; i++) {
		struct client *c = &clients[i];
		bool busy = c->len > 0 || c->out != NULL;

		if (c->fd >= 0 && now - c->last_ms >= (busy ? RPC_PARTIAL_MS : RPC_IDLE_MS))
			client_close(c);
	}
}

unsigned int rpc_pollfds(struct pollfd *fds, unsigned int max)
{
	unsigned int n = 0;
	int i;

	if (listen_fd < 0 || max == 0)
		return 0;
	clients_expire();
	fds[n++] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
	for (i = 0; i < RPC_MAX_CLIENTS && n < max; i++)
		if (clients[i].fd >= 0)
			fds[n++] = (struct pollfd){
				.fd = clients[i].fd,
				.events = clients[i].out ? POLLOUT : POLLIN,
			};
	return n;
}

static struct client *client_of(int fd)
{
	int i;

	for (i = 0; i < RPC_MAX_CLIENTS; i++)
		if (clients[i].fd == fd)
			return &clients[i];
	return NULL;
}

static void respond(struct client *c, json_t *resp)
{
	char *s = json_dumps(resp, JSON_COMPACT);
	size_t n = s ? strlen(s) : 0;

	json_decref(resp);
	if (s == NULL)
		return;
	/* a copy rather than realloc(s): gcc 12 -Wuse-after-free misreads the
	 * realloc-failure path; an answer is copied once, it costs nothing */
	c->out = malloc(n + 1);
	if (c->out != NULL) {
		memcpy(c->out, s, n);
		c->out[n] = '\n';
		c->out_len = n + 1;
		c->out_off = 0;
	}
	free(s);
	c->last_ms = mono_clock_ms(); /* a long apply does not count against the client */
}

/* The message may quote the client's bytes (jansson's parse errors do), which
 * need not be UTF-8, and json_pack refuses those: without this the client got
 * no answer at all (found by fuzz_rpc).  Non-ASCII and control bytes become '?'. */
static json_t *error_obj(int code, const char *msg)
{
	char clean[1024];
	size_t i;

	for (i = 0; msg[i] != '\0' && i < sizeof(clean) - 1; i++)
		clean[i] =
			(unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e ? '?' : msg[i];
	clean[i] = '\0';
	return json_pack("{s:i,s:s}", "code", code, "message", clean);
}

static void handle_line(struct client *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req = json_loadb(line, len, 0, &jerr), *id, *params, *res, *resp;
	const char *method;
	char err[1024] = "";
	int code = 0;

	if (req == NULL || !json_is_object(req)) {
		snprintf(err, sizeof(err), "request is not a JSON object: %s",
			 req ? "wrong type" : jerr.text);
		json_decref(req);
		respond(c, json_pack("{s:n,s:o}", "id", "error", error_obj(-EINVAL, err)));
		return;
	}
	id = json_object_get(req, "id");
	method = json_string_value(json_object_get(req, "method"));
	params = json_object_get(req, "params");
	if (method == NULL) {
		res = NULL;
		code = -EINVAL;
		snprintf(err, sizeof(err), "request has no \"method\" string");
	} else {
		res = handler(method, params, &code, err, sizeof(err));
	}
	if (pending_take != NULL) {
		/* only an answer hands the connection over, never an error */
		if (res != NULL) {
			c->take = pending_take;
			c->take_arg = pending_arg;
		} else {
			pending_take(-1, pending_arg);
		}
		pending_take = NULL;
	}
	resp = json_object();
	json_object_set(resp, "id", id ? id : json_null());
	if (res)
		json_object_set_new(resp, "result", res);
	else
		json_object_set_new(resp, "error", error_obj(code ? code : -EINVAL, err));
	json_decref(req);
	respond(c, resp);
}

/* Serve the next complete line, if any and if the previous answer is out. */
static void next_request(struct client *c)
{
	char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
	size_t line_len;

	if (nl == NULL || c->out != NULL)
		return;
	line_len = (size_t)(nl - c->buf);
	handle_line(c, c->buf, line_len);
	memmove(c->buf, nl + 1, c->len - line_len - 1);
	c->len -= line_len + 1;
}

static void client_read(struct client *c)
{
	char tmp[4096];
	ssize_t r = read(c->fd, tmp, sizeof(tmp));

	if (r <= 0) {
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		client_close(c);
		return;
	}
	c->last_ms = mono_clock_ms();
	if (c->len + (size_t)r > RPC_MAX_REQ) {
		/* answer, then hang up: the rest of it is not a request */
		free(c->out);
		c->out = NULL;
		respond(c, json_pack("{s:n,s:o}", "id", "error",
				     error_obj(-E2BIG, "request larger than 1 MiB")));
		c->len = 0;
		c->close_after_write = true;
		return;
	}
	if (c->len + (size_t)r + 1 > c->cap) {
		size_t cap = (c->len + (size_t)r + 1) * 2;
		char *b = realloc(c->buf, cap);
		if (b == NULL) {
			client_close(c);
			return;
		}
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, tmp, (size_t)r);
	c->len += (size_t)r;
	next_request(c);
}

static void client_write(struct client *c)
{
	ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

	if (w < 0) {
		if (errno != EAGAIN && errno != EINTR)
			client_close(c);
		return;
	}
	c->out_off += (size_t)w;
	c->last_ms = mono_clock_ms();
	if (c->out_off == c->out_len) {
		free(c->out);
		c->out = NULL;
		if (c->take != NULL) {
			/* the connection is the taker's now: leave the table, keep the fd */
			void (*take)(int, void *) = c->take;
			void *arg = c->take_arg;
			int fd = c->fd;

			free(c->buf);
			memset(c, 0, sizeof(*c));
			c->fd = -1;
			take(fd, arg);
			return;
		}
		if (c->close_after_write)
			client_close(c);
		else
			next_request(c);
	}
}

void rpc_serve(const struct pollfd *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct client *c;

		if (!fds[i].revents)
			continue;
		if (fds[i].fd == listen_fd) {
			int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			c = client_of(-1);
			if (c == NULL)
				c = client_evict();
			c->fd = fd;
			c->last_ms = mono_clock_ms();
			continue;
		}
		c = client_of(fds[i].fd);
		if (c == NULL)
			continue;
		if (fds[i].revents & POLLOUT)
			client_write(c);
		else if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
			client_read(c);
	}
}
