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

#include "control/capture_cli.h"
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

/* kvsctl trace PORT N: each frame its capture brings goes back to the
 * daemon as a trace request, and the answer is printed. */
struct trace_ctx {
	const char *unixctl, *port;
	int timeout_ms;
	bool json;
	unsigned int n, failed;
};

static void trace_each(const struct capture_rec_frame *f, const uint8_t *frame, uint32_t caplen,
		       void *arg)
{
	struct trace_ctx *t = arg;
	char *hex = malloc((size_t)caplen * 2 + 1), *req_s, *line;
	json_t *req, *resp;
	int fd;

	if (hex == NULL)
		return;
	for (uint32_t i = 0; i < caplen; i++)
		snprintf(hex + 2 * i, 3, "%02x", frame[i]);
	req = json_pack("{s:i,s:s,s:{s:s,s:s}}", "id", 1, "method", "trace", "params", "port",
			t->port, "frame", hex);
	free(hex);
	req_s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	{
		time_t sec = (time_t)(f->ts_ns / 1000000000ull);
		struct tm tm;
		char when[16];

		localtime_r(&sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		printf("frame %u, %u bytes, received at %s.%09llu:\n", ++t->n, f->wire_len, when,
		       (unsigned long long)(f->ts_ns % 1000000000ull));
	}
	fd = req_s ? connect_to(t->unixctl) : -1;
	line = NULL;
	if (fd >= 0) {
		size_t l = strlen(req_s);
		char *r = malloc(l + 2);

		if (r != NULL) {
			memcpy(r, req_s, l);
			memcpy(r + l, "\n", 2);
			line = roundtrip(fd, r, t->timeout_ms);
			free(r);
		}
		close(fd);
	}
	free(req_s);
	resp = line ? json_loads(line, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
	free(line);
	if (json_object_get(resp, "result") != NULL && t->json) {
		char *s = json_dumps(json_object_get(json_object_get(resp, "result"), "data"),
				     JSON_INDENT(2));

		printf("%s\n", s ? s : "null");
		free(s);
	} else if (json_object_get(resp, "result") != NULL) {
		fputs(json_string_value(json_object_get(json_object_get(resp, "result"), "text"))
			      ?: "",
		      stdout);
	} else {
		t->failed++;
		printf("  (no trace: %s)\n",
		       json_string_value(json_object_get(json_object_get(resp, "error"), "message"))
			       ?: "kvswitchd did not answer");
	}
	json_decref(resp);
	fflush(stdout);
}

/* The control socket, or -1 after saying why not. */
static int reach(const char *unixctl)
{
	int fd = connect_to(unixctl);

	if (fd < 0)
		fprintf(stderr, "kvsctl: cannot reach kvswitchd at %s: %s\n", unixctl,
			strerror(errno));
	return fd;
}

/* capture and trace PORT N: a stream, not one answer (capture_cli.c); a
 * trace sends each frame back as a trace request.  kvsctl's exit status. */
static int run_capture(const char *unixctl, json_t *req, int timeout_s, bool json)
{
	json_t *params = json_object_get(req, "params");
	struct trace_ctx tc = {
		.unixctl = unixctl,
		.port = json_string_value(json_object_get(params, "port")),
		.timeout_ms = timeout_s * 1000,
		.json = json,
	};
	bool trace = json_is_true(json_object_get(req, "trace"));
	json_int_t want = json_integer_value(json_object_get(params, "count"));
	int fd = reach(unixctl), status;

	if (fd < 0)
		return 3;
	json_object_del(req, "trace");
	status = capture_cli_run(fd, req, timeout_s, trace ? trace_each : NULL, &tc);
	if (trace && status == 0 && (tc.failed || tc.n < want)) {
		fprintf(stderr, "kvsctl: trace: %u of %lld frames traced\n", tc.n - tc.failed,
			(long long)want);
		status = 1;
	}
	close(fd);
	return status;
}

/* How list and find answers are printed (ovs-vsctl's formatting options). */
struct output {
	char format[8]; /* text (= list), json, table, list */
	bool bare;      /* values only: no headings, no quotes, [] and {} as nothing */
	bool headings;
	const char *columns;
	char method[32];
};

/* --bare, as ovs-vsctl: no brackets or braces, elements separated by spaces,
 * no quotes around an atom. */
static void print_value(const char *v, bool bare)
{
	size_t n = strlen(v);

	if (!bare) {
		fputs(v, stdout);
		return;
	}
	if (n >= 2 && ((v[0] == '[' && v[n - 1] == ']') || (v[0] == '{' && v[n - 1] == '}'))) {
		v++;
		n -= 2;
	}
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"' && memchr(v + 1, '"', n - 2) == NULL) {
		v++;
		n -= 2;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i] == ',' && i + 1 < n && v[i + 1] == ' ')
			continue;
		putchar(v[i]);
	}
}

/* {"headings": [...], "data": [[...]...]} as ovs-vsctl prints it. */
static void print_table(json_t *data, const struct output *o)
{
	json_t *heads = json_object_get(data, "headings"), *rows = json_object_get(data, "data");
	size_t nc = json_array_size(heads), i, k;
	bool table = strcmp(o->format, "table") == 0;
	int width[64] = {0};

	if (nc > 64)
		nc = 64;
	if (table) {
		for (k = 0; k < nc; k++) {
			json_t *r;

			width[k] =
				o->headings
					? (int)strlen(json_string_value(json_array_get(heads, k)))
					: 0;
			json_array_foreach(rows, i, r)
			{
				int w = (int)strlen(json_string_value(json_array_get(r, k)));

				width[k] = w > width[k] ? w : width[k];
			}
		}
		if (o->headings && !o->bare) {
			for (k = 0; k < nc; k++)
				printf("%-*s%s", width[k],
				       json_string_value(json_array_get(heads, k)),
				       k + 1 < nc ? " " : "\n");
			for (k = 0; k < nc; k++) {
				for (int d = 0; d < width[k]; d++)
					putchar('-');
				putchar(k + 1 < nc ? ' ' : '\n');
			}
		}
	}
	for (i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i);

		if (i > 0 && !table)
			putchar('\n');
		for (k = 0; k < nc; k++) {
			const char *v = json_string_value(json_array_get(r, k));

			if (table) {
				printf("%-*s%s", width[k], v, k + 1 < nc ? " " : "\n");
				continue;
			}
			if (o->headings && !o->bare)
				printf("%-20s: ", json_string_value(json_array_get(heads, k)));
			print_value(v, o->bare);
			putchar('\n');
		}
	}
}

int main(int argc, char **argv)
{
	const char *unixctl = getenv("KVS_UNIXCTL") ? getenv("KVS_UNIXCTL") : DEFAULT_UNIXCTL;
	struct output out = {.format = "text", .headings = true};
	int timeout_s = 30, optind, fd, status;
	char err[1024], *line, *req_s;
	json_t *req, *resp, *res, *error;
	const char *method;
	json_error_t jerr;

	/* A daemon that hangs up mid-request is "cannot be reached" (exit 3),
	 * not a death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);

	/* Global options come first, as with ovs-vsctl ("--opt=value" or "--opt
	 * value"); the first other word starts the command, so per-command
	 * options such as --may-exist reach cli_parse(). */
	for (optind = 1; optind < argc; optind++) {
		const char *a = argv[optind], *eq = strchr(a, '='), *v;
		char name[32];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(cli_usage(), stdout);
			return 0;
		}
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
		if (strcmp(name, "--no-wait") == 0) {
			continue; /* kvsctl always returns once the change runs */
		} else if (strcmp(name, "--bare") == 0) {
			out.bare = true;
			continue;
		} else if (strcmp(name, "--no-headings") == 0) {
			out.headings = false;
			continue;
		}
		if (strcmp(name, "--unixctl") != 0 && strcmp(name, "--format") != 0 &&
		    strcmp(name, "-f") != 0 && strcmp(name, "-t") != 0 &&
		    strcmp(name, "--timeout") != 0 && strcmp(name, "--columns") != 0)
			break;
		if (eq != NULL) {
			v = eq + 1;
		} else if (optind + 1 < argc) {
			v = argv[++optind];
		} else {
			fprintf(stderr, "kvsctl: %s needs a value\n", a);
			return 2;
		}
		if (strcmp(name, "--unixctl") == 0) {
			unixctl = v;
		} else if (strcmp(name, "--format") == 0 || strcmp(name, "-f") == 0) {
			if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0 &&
			    strcmp(v, "table") != 0 && strcmp(v, "list") != 0) {
				fprintf(stderr,
					"kvsctl: --format takes text, json, table or list, not "
					"'%s'\n",
					v);
				return 2;
			}
			snprintf(out.format, sizeof(out.format), "%s", v);
		} else if (strcmp(name, "--columns") == 0) {
			out.columns = v;
		} else {
			timeout_s = atoi(v);
			if (timeout_s <= 0) {
				fprintf(stderr, "kvsctl: %s takes a positive number of seconds\n",
					name);
				return 2;
			}
		}
	}
	req = cli_parse(argc - optind, argv + optind, err, sizeof(err));
	if (req == NULL) {
		fprintf(stderr, "kvsctl: %s\n", err);
		return 2;
	}
	method = json_string_value(json_object_get(req, "method"));
	snprintf(out.method, sizeof(out.method), "%s", method ? method : "");
	if (strcmp(out.method, "capture") == 0) {
		status = run_capture(unixctl, req, timeout_s, strcmp(out.format, "json") == 0);
		json_decref(req);
		return status;
	}
	if (out.columns != NULL &&
	    (strcmp(out.method, "list") == 0 || strcmp(out.method, "find") == 0)) {
		json_t *cols = json_array();
		char *copy = strdup(out.columns), *save = NULL, *c;

		for (c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save))
			json_array_append_new(cols, json_string(c));
		free(copy);
		json_object_set_new(json_object_get(req, "params"), "columns", cols);
	}
	json_object_set_new(req, "id", json_integer(1));
	req_s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	fd = reach(unixctl);
	if (fd < 0) {
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
	} else if (strcmp(out.method, "br-exists") == 0) {
		status = json_is_true(json_object_get(json_object_get(res, "data"), "exists")) ? 0
											       : 2;
	} else if (strcmp(out.format, "json") == 0) {
		char *s = json_dumps(json_object_get(res, "data"), JSON_INDENT(2));
		printf("%s\n", s ? s : "null");
		free(s);
		status = 0;
	} else if ((strcmp(out.method, "list") == 0 || strcmp(out.method, "find") == 0) &&
		   (out.bare || !out.headings || strcmp(out.format, "table") == 0)) {
		print_table(json_object_get(res, "data"), &out);
		status = 0;
	} else {
		fputs(json_string_value(json_object_get(res, "text")) ?: "", stdout);
		status = 0;
	}
	json_decref(resp);
	return status;
}
