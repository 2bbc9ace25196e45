/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvsctl: the command-line client of kvswitchd.  Parses the command
 * (cli_parse.c), sends one request on the control socket and prints the
 * daemon's text view, or its JSON with --format json.  Exit status: 0 on
 * success, 1 when the daemon refused the command (the reason is printed), 2
 * on a usage error, 3 when the daemon cannot be reached.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control/cli_parse.h"

#define DEFAULT_UNIXCTL "/var/run/kvswitch/kvswitchd.ctl"

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Send req, read one line back within timeout_ms. NULL on error. */
static char *roundtrip(int fd, const char *req, int timeout_ms)
{
	size_t len = strlen(req), off = 0, cap = 65536, n = 0;
	char *buf = malloc(cap);

	while (off < len) {
		ssize_t w = write(fd, req + off, len - off);
		if (w < 0) {
			free(buf);
			return NULL;
		}
		off += (size_t)w;
	}
	while (buf != NULL) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, timeout_ms) <= 0) {
			errno = ETIMEDOUT;
			break;
		}
		if (n + 4096 > cap) {
			char *b = realloc(buf, cap * 2);
			if (b == NULL)
				break;
			buf = b;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r <= 0) {
			errno = r == 0 ? ECONNRESET : errno;
			break;
		}
		n += (size_t)r;
		buf[n] = '\0';
		if (memchr(buf, '\n', n))
			return buf;
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *unixctl = getenv("KVS_UNIXCTL") ? getenv("KVS_UNIXCTL") : DEFAULT_UNIXCTL;
	bool json = false;
	int timeout_s = 30, optind, fd, status;
	char err[1024], *line, *req_s;
	json_t *req, *resp, *res, *error;
	json_error_t jerr;

	/* A daemon that hangs up mid-request is "cannot be reached" (exit 3),
	 * not a death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);

	/* Global options come first; the first other word starts the command, so
	 * per-command options such as --may-exist reach cli_parse(). */
	for (optind = 1; optind < argc; optind++) {
		const char *a = argv[optind], *v = optind + 1 < argc ? argv[optind + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(cli_usage(), stdout);
			return 0;
		}
		if (strcmp(a, "--unixctl") != 0 && strcmp(a, "--format") != 0 &&
		    strcmp(a, "-t") != 0 && strcmp(a, "--timeout") != 0)
			break;
		if (v == NULL) {
			fprintf(stderr, "kvsctl: %s needs a value\n", a);
			return 2;
		}
		optind++;
		if (strcmp(a, "--unixctl") == 0) {
			unixctl = v;
		} else if (strcmp(a, "--format") == 0) {
			if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0) {
				fprintf(stderr, "kvsctl: --format takes text or json, not '%s'\n",
					v);
				return 2;
			}
			json = strcmp(v, "json") == 0;
		} else {
			timeout_s = atoi(v);
			if (timeout_s <= 0) {
				fprintf(stderr, "kvsctl: -t takes a positive number of seconds\n");
				return 2;
			}
		}
	}
	req = cli_parse(argc - optind, argv + optind, err, sizeof(err));
	if (req == NULL) {
		fprintf(stderr, "kvsctl: %s\n", err);
		return 2;
	}
	json_object_set_new(req, "id", json_integer(1));
	req_s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	fd = connect_to(unixctl);
	if (fd < 0) {
		fprintf(stderr, "kvsctl: cannot reach kvswitchd at %s: %s\n", unixctl,
			strerror(errno));
		free(req_s);
		return 3;
	}
	req_s = realloc(req_s, strlen(req_s) + 2);
	strcat(req_s, "\n");
	line = roundtrip(fd, req_s, timeout_s * 1000);
	close(fd);
	free(req_s);
	if (line == NULL) {
		fprintf(stderr, "kvsctl: no answer from kvswitchd at %s: %s\n", unixctl,
			strerror(errno));
		return 3;
	}
	resp = json_loads(line, JSON_DISABLE_EOF_CHECK, &jerr);
	free(line);
	if (resp == NULL) {
		fprintf(stderr, "kvsctl: bad answer from kvswitchd: %s\n", jerr.text);
		return 3;
	}
	error = json_object_get(resp, "error");
	res = json_object_get(resp, "result");
	if (error) {
		fprintf(stderr, "kvsctl: %s\n",
			json_string_value(json_object_get(error, "message"))
				? json_string_value(json_object_get(error, "message"))
				: "error");
		status = 1;
	} else if (json) {
		char *s = json_dumps(json_object_get(res, "data"), JSON_INDENT(2));
		printf("%s\n", s ? s : "null");
		free(s);
		status = 0;
	} else {
		fputs(json_string_value(json_object_get(res, "text")) ?: "", stdout);
		status = 0;
	}
	json_decref(resp);
	return status;
}
