/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvsctl capture: the reader's side of the capture stream
 * (control/capture_proto.h).  kvsctl, not the daemon, opens the output, so
 * the file is written with the rights of whoever runs kvsctl and a path it
 * cannot write is refused before anything starts; libpcap's writer makes
 * it a nanosecond pcap that tcpdump, tshark and Wireshark read, and with
 * "-w -" streams it to stdout (flushed after every read, for a live
 * `| tcpdump -r -`).  Without -w, one line per frame.
 *
 * Ctrl-C (or SIGTERM, SIGHUP) shuts the socket down for writing: the daemon
 * ends the capture and sends its counts, which are printed on stderr.  If
 * kvsctl dies instead, the daemon sees the connection go and ends the
 * capture all the same.  A reader of stdout that goes away (tcpdump quits)
 * ends the capture the same way.
 */
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "control/capture_cli.h"
#include "control/mono_clock.h"

#define END_WAIT_MS 10000 /* for the end record after Ctrl-C */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Can path be written (created)?  Checked before the capture starts, so a
 * bad path changes nothing; libpcap's own error covers the rest. */
static int check_writable(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	struct stat st;

	if (strcmp(path, "-") == 0)
		return 0;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "cannot write '%s': it is a directory", path);
			return -EISDIR;
		}
		if (access(path, W_OK) != 0) {
			snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
			return -errno;
		}
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (access(dirname(dir), W_OK) != 0) {
		int e = errno;

		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(e));
		return -e;
	}
	return 0;
}

struct reader {
	int fd;
	pcap_t *pd;
	pcap_dumper_t *dump;   /* NULL: text lines */
	bool shut;             /* our side shut down: waiting for the end record */
	int werr;              /* errno of a failed write of the output, 0 if none */
	capture_frame_fn each; /* instead of the output, if set */
	void *each_arg;
	uint64_t shut_ms;
	char *buf;
	size_t len, cap;
};

static void print_line(const struct capture_rec_frame *f, const uint8_t *d, uint32_t caplen)
{
	time_t sec = (time_t)(f->ts_ns / 1000000000ull);
	struct tm tm;
	char when[16];

	localtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	printf("%s.%09llu %s %u bytes", when, (unsigned long long)(f->ts_ns % 1000000000ull),
	       f->dir == 1 ? "rx" : "tx", f->wire_len);
	if (caplen >= 14) {
		unsigned int type = (unsigned int)d[12] << 8 | d[13];

		printf(" %02x:%02x:%02x:%02x:%02x:%02x > %02x:%02x:%02x:%02x:%02x:%02x", d[6], d[7],
		       d[8], d[9], d[10], d[11], d[0], d[1], d[2], d[3], d[4], d[5]);
		if (type == 0x8100 && caplen >= 18)
			printf(" vlan %u, ethertype 0x%04x",
			       ((unsigned int)d[14] << 8 | d[15]) & 0xfff,
			       (unsigned int)d[16] << 8 | d[17]);
		else
			printf(" ethertype 0x%04x", type);
	}
	putchar('\n');
}

static void print_end(const char *txt, size_t len, bool quiet)
{
	json_error_t jerr;
	json_t *j = json_loadb(txt, len, 0, &jerr);

	if (j == NULL) {
		fprintf(stderr, "kvsctl: capture ended\n");
		return;
	}
	/* a trace's capture says nothing when it simply got its frames, all */
	if (quiet &&
	    strcmp(json_string_value(json_object_get(j, "reason")) ?: "", "count reached") == 0 &&
	    json_integer_value(json_object_get(j, "dropped_ring")) == 0 &&
	    json_integer_value(json_object_get(j, "dropped_reader")) == 0) {
		json_decref(j);
		return;
	}
	fprintf(stderr,
		"kvsctl: capture on %s ended (%s): %lld frames written, %lld dropped "
		"(%lld at the switch's capture ring, %lld because the reader was slow)\n",
		json_string_value(json_object_get(j, "port")) ?: "?",
		json_string_value(json_object_get(j, "reason")) ?: "?",
		(long long)json_integer_value(json_object_get(j, "written")),
		(long long)(json_integer_value(json_object_get(j, "dropped_ring")) +
			    json_integer_value(json_object_get(j, "dropped_reader"))),
		(long long)json_integer_value(json_object_get(j, "dropped_ring")),
		(long long)json_integer_value(json_object_get(j, "dropped_reader")));
	json_decref(j);
}

/* Consume the complete records in r->buf.  1: the end record was read; 0:
 * more to come; -1: the stream is broken (err set). */
static int take_records(struct reader *r, char *err, size_t errlen)
{
	size_t off = 0;
	int rc = 0;

	while (r->len - off >= sizeof(struct capture_rec_hdr)) {
		struct capture_rec_hdr h;
		const char *body;

		memcpy(&h, r->buf + off, sizeof(h));
		if (h.len > CAPTURE_REC_MAX ||
		    (h.type == CAPTURE_REC_FRAME && h.len < sizeof(struct capture_rec_frame))) {
			snprintf(err, errlen, "bad record from kvswitchd (type %u, %u bytes)",
				 h.type, h.len);
			return -1;
		}
		if (r->len - off - sizeof(h) < h.len)
			break;
		body = r->buf + off + sizeof(h);
		off += sizeof(h) + h.len;
		if (h.type == CAPTURE_REC_END) {
			print_end(body, h.len, r->each != NULL);
			rc = 1;
			break;
		}
		if (h.type == CAPTURE_REC_FRAME) {
			struct capture_rec_frame f;
			const uint8_t *d = (const uint8_t *)body + sizeof(f);
			uint32_t caplen = h.len - (uint32_t)sizeof(f);

			memcpy(&f, body, sizeof(f));
			if (r->each != NULL) {
				r->each(&f, d, caplen, r->each_arg);
			} else if (r->dump != NULL) {
				struct pcap_pkthdr ph = {
					/* nanosecond precision: tv_usec holds nanoseconds */
					.ts = {.tv_sec = (time_t)(f.ts_ns / 1000000000ull),
					       .tv_usec = (suseconds_t)(f.ts_ns % 1000000000ull)},
					.caplen = caplen,
					.len = f.wire_len,
				};
				pcap_dump((u_char *)r->dump, &ph, d);
			} else {
				print_line(&f, d, caplen);
			}
		}
	}
	memmove(r->buf, r->buf + off, r->len - off);
	r->len -= off;
	return rc;
}

/* Push what is buffered to the output; a failure is kept in r->werr: EPIPE
 * is the reader of our stdout going away (a clean end), anything else a
 * write error (a full disk) that fails the capture. */
static void output_flush(struct reader *r)
{
	FILE *f = r->dump ? pcap_dump_file(r->dump) : stdout;

	if (r->werr == 0 && (fflush(f) != 0 || ferror(f)))
		r->werr = errno ? errno : EIO;
}

static int stream(struct reader *r, char *err, size_t errlen)
{
	for (;;) {
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		ssize_t n;
		int rc;

		if (!r->shut && (interrupted || r->werr != 0)) {
			shutdown(r->fd, SHUT_WR);
			r->shut = true;
			r->shut_ms = mono_clock_ms();
		}
		if (r->shut && mono_clock_ms() - r->shut_ms > END_WAIT_MS) {
			snprintf(err, errlen, "kvswitchd did not end the capture within %d s",
				 END_WAIT_MS / 1000);
			return 3;
		}
		if (poll(&p, 1, 200) <= 0)
			continue; /* a signal, or time to look at the flags again */
		if (r->cap - r->len < 65536) {
			size_t cap = r->cap ? r->cap * 2 : 1 << 20;
			char *b = realloc(r->buf, cap);

			if (b == NULL) {
				snprintf(err, errlen, "out of memory");
				return 1;
			}
			r->buf = b;
			r->cap = cap;
		}
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			snprintf(err, errlen,
				 "kvswitchd closed the capture without its counts (%s)",
				 n < 0 ? strerror(errno) : "connection closed");
			return 3;
		}
		r->len += (size_t)n;
		errno = 0;
		rc = take_records(r, err, errlen);
		output_flush(r);
		if (rc < 0)
			return 3;
		if (rc > 0)
			return 0;
	}
}

/* The one-line answer; what follows it in buf stays there for the stream. */
static json_t *read_answer(struct reader *r, int timeout_ms, char *err, size_t errlen)
{
	r->cap = 1 << 20;
	r->buf = malloc(r->cap);
	while (r->buf != NULL) {
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		char *nl = memchr(r->buf, '\n', r->len);
		ssize_t n;

		if (nl != NULL) {
			json_error_t jerr;
			size_t l = (size_t)(nl - r->buf);
			json_t *j = json_loadb(r->buf, l, 0, &jerr);

			memmove(r->buf, nl + 1, r->len - l - 1);
			r->len -= l + 1;
			if (j == NULL)
				snprintf(err, errlen, "bad answer from kvswitchd: %s", jerr.text);
			return j;
		}
		if (poll(&p, 1, timeout_ms) <= 0) {
			snprintf(err, errlen, "no answer from kvswitchd");
			return NULL;
		}
		if (r->len == r->cap)
			break;
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
		if (n <= 0) {
			snprintf(err, errlen, "kvswitchd hung up");
			return NULL;
		}
		r->len += (size_t)n;
	}
	snprintf(err, errlen, "bad answer from kvswitchd");
	return NULL;
}

int capture_cli_run(int fd, json_t *req, int timeout_s, capture_frame_fn each, void *arg)
{
	/* the -w output; the request loses its "write" below, so a copy */
	char *out = json_string_value(json_object_get(req, "write"))
			    ? strdup(json_string_value(json_object_get(req, "write")))
			    : NULL;
	json_t *snap = json_object_get(json_object_get(req, "params"), "snaplen");
	int snaplen = snap ? (int)json_integer_value(snap) : 262144;
	struct reader r = {.fd = fd, .each = each, .each_arg = arg};
	struct sigaction sa = {.sa_handler = on_signal};
	char err[512], *line;
	json_t *resp, *error;
	size_t off = 0, len;
	int rc;

	if (out != NULL && check_writable(out, err, sizeof(err)) < 0) {
		fprintf(stderr, "kvsctl: capture: %s\n", err);
		free(out);
		return 1;
	}
	json_object_del(req, "write");
	json_object_set_new(req, "id", json_integer(1));
	line = json_dumps(req, JSON_COMPACT);
	len = line ? strlen(line) : 0;
	while (line != NULL && off <= len) {
		/* the line, then its newline */
		ssize_t w = off < len ? write(fd, line + off, len - off) : write(fd, "\n", 1);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(line);
	if (off != len + 1) {
		fprintf(stderr, "kvsctl: cannot send the request: %s\n", strerror(errno));
		free(out);
		return 3;
	}
	resp = read_answer(&r, timeout_s * 1000, err, sizeof(err));
	if (resp == NULL) {
		fprintf(stderr, "kvsctl: %s\n", err);
		free(r.buf);
		free(out);
		return 3;
	}
	error = json_object_get(resp, "error");
	if (error != NULL) {
		fprintf(stderr, "kvsctl: %s\n",
			json_string_value(json_object_get(error, "message")) ?: "refused");
		json_decref(resp);
		free(r.buf);
		free(out);
		return 1;
	}
	json_decref(resp);
	if (out != NULL) {
		r.pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, snaplen,
							    PCAP_TSTAMP_PRECISION_NANO);
		r.dump = r.pd ? pcap_dump_open(r.pd, out) : NULL;
		if (r.dump == NULL) {
			fprintf(stderr, "kvsctl: capture: cannot write '%s': %s\n", out,
				r.pd ? pcap_geterr(r.pd) : "libpcap unavailable");
			shutdown(fd, SHUT_WR); /* the daemon ends it */
			if (r.pd)
				pcap_close(r.pd);
			free(r.buf);
			free(out);
			return 1;
		}
		output_flush(&r); /* the file header, for a reader of a pipe */
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	rc = take_records(&r, err, sizeof(err));
	if (rc == 0)
		rc = stream(&r, err, sizeof(err));
	else
		rc = rc > 0 ? 0 : 3;
	if (rc != 0)
		fprintf(stderr, "kvsctl: capture: %s\n", err);
	output_flush(&r);
	if (r.werr != 0 && r.werr != EPIPE) {
		fprintf(stderr, "kvsctl: capture: cannot write '%s': %s\n", out ? out : "-",
			strerror(r.werr));
		rc = rc ? rc : 1;
	}
	if (r.dump != NULL)
		pcap_dump_close(r.dump);
	if (r.pd != NULL)
		pcap_close(r.pd);
	free(r.buf);
	free(out);
	return rc;
}
