/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capture sessions (capture.h).  Control thread only.
 *
 * Life of a session: capture_start checks the request (port, direction,
 * snap length, count, duration, expression), attaches a dp_capture to the
 * port and asks rpc to hand the connection over after the answer.  From then
 * capture_run, once per main-loop turn (at most 1 ms apart while a session
 * exists: kvswitchd.c's loop_timeout), moves the
 * copies on the ring into an output buffer as records and writes what the
 * socket takes.  A session ends on its count, its duration, its port
 * closing, the daemon exiting, or its reader: kvsctl shuts its side down
 * (Ctrl-C) or goes away.  Ending detaches the capture, waits one grace
 * period (no PMD still copies into it), frees it and queues the end record;
 * the connection closes once that is written, or after END_LINGER_MS.
 *
 * A reader slower than the frames costs frames, never the switch's time:
 * past OUT_MAX bytes waiting, copies are taken off the ring and dropped
 * (dropped_reader), so the ring keeps moving and the shared pool stays
 * available to the other captures.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "control/capture.h"
#include "control/capture_proto.h"
#include "control/journal_log.h"
#include "control/mono_clock.h"
#include "control/rpc.h"
#include "control/state.h"
#include "dataplane/capture.h"
#include "dataplane/filter.h"

#define CAPTURE_SESSIONS 32
#define OUT_MAX          (4u << 20) /* bytes waiting for a reader */
#define DRAIN_MAX        8192       /* copies moved per session per turn */
#define END_LINGER_MS    5000

struct session {
	bool used;
	bool ending;
	bool detach_failed; /* still on the port, selecting nothing: detach again */
	bool gone;          /* no reader any more: free once detached */
	const char *reason; /* why it ends (a literal), once it does */
	int fd;             /* -1 until rpc hands the connection over, or once gone */
	char port[32];
	struct dp_port *dp; /* NULL once the port closed */
	struct dp_capture *cap;
	uint64_t count;       /* frames to write, 0 = no limit */
	uint64_t deadline_ms; /* 0 = none */
	uint64_t end_ms;
	uint64_t written, dropped_reader;
	char *out;
	size_t out_len, out_off, out_cap;
};

static struct session sessions[CAPTURE_SESSIONS];

/*
 * Copies carry the TSC; records carry CLOCK_REALTIME.  rte_get_tsc_hz() may
 * be an estimate (1870 ppm off on this project's VM: 6.7 s an hour), so the
 * rate is measured between the first reading and the latest, and a fresh
 * (TSC, realtime) pair is taken every second: a stamp is then off by the
 * rate's error over at most a second, and follows the wall clock when it is
 * set.  Copies are stamped milliseconds after they were made.
 */
static struct {
	uint64_t tsc_first, tsc;
	int64_t ns_first, ns;
	double hz;
	uint64_t next_ms; /* monotonic ms of the next reading; 0: none yet */
} clk;

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

unsigned int capture_count(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < CAPTURE_SESSIONS; i++)
		n += sessions[i].used;
	return n;
}

/* Room for len more bytes in the output.  capped: false past OUT_MAX
 * waiting (the reader is behind); always false without memory. */
static bool out_reserve(struct session *s, size_t len, bool capped)
{
	size_t need, cap;
	char *b;

	if (s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	if (capped && s->out_len - s->out_off + len > OUT_MAX)
		return false;
	if (s->out_len + len <= s->out_cap)
		return true;
	if (s->out_off > 0) { /* move the unsent part to the front, once per fill */
		memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
		s->out_len -= s->out_off;
		s->out_off = 0;
	}
	need = s->out_len + len;
	if (need <= s->out_cap)
		return true;
	for (cap = s->out_cap ? s->out_cap : 65536; cap < need; cap *= 2)
		;
	b = realloc(s->out, cap);
	if (b == NULL)
		return false;
	s->out = b;
	s->out_cap = cap;
	return true;
}

static void out_put(struct session *s, const void *p, size_t len)
{
	memcpy(s->out + s->out_len, p, len);
	s->out_len += len;
}

static void clock_sync(uint64_t now_ms)
{
	if (clk.next_ms != 0 && now_ms < clk.next_ms)
		return;
	clk.tsc = rte_rdtsc();
	clk.ns = realtime_ns();
	if (clk.next_ms == 0 || clk.ns - clk.ns_first < 1000000000) {
		if (clk.next_ms == 0) {
			clk.tsc_first = clk.tsc;
			clk.ns_first = clk.ns;
		}
		clk.hz = (double)rte_get_tsc_hz(); /* until a second has been measured */
	} else {
		clk.hz = (double)(clk.tsc - clk.tsc_first) * 1e9 / (double)(clk.ns - clk.ns_first);
	}
	clk.next_ms = now_ms + 1000;
}

static int64_t stamp_ns(uint64_t tsc)
{
	/* a copy may predate the latest reading: signed */
	return clk.ns + (int64_t)((double)(int64_t)(tsc - clk.tsc) * 1e9 / clk.hz);
}

/* One copy as a frame record; false if the reader is too far behind. */
static bool put_frame(struct session *s, const struct rte_mbuf *m)
{
	const struct dp_capture_meta *meta = dp_capture_meta(m);
	uint32_t caplen = m->pkt_len;
	struct capture_rec_hdr h = {CAPTURE_REC_FRAME,
				    (uint32_t)(sizeof(struct capture_rec_frame) + caplen)};
	struct capture_rec_frame f = {
		.ts_ns = (uint64_t)stamp_ns(meta->tsc),
		.wire_len = meta->wire_len,
		.dir = meta->dir,
	};
	const struct rte_mbuf *seg;

	if (!out_reserve(s, sizeof(h) + h.len, true))
		return false;
	out_put(s, &h, sizeof(h));
	out_put(s, &f, sizeof(f));
	for (seg = m; seg != NULL; seg = seg->next)
		out_put(s, rte_pktmbuf_mtod(seg, const void *), seg->data_len);
	return true;
}

static void session_free(struct session *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->out);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

/* Stop copying, free the capture, queue the end record. */
static void session_end(struct session *s, const char *reason)
{
	uint64_t selected = 0, dropped = 0;
	struct capture_rec_hdr h = {CAPTURE_REC_END, 0};
	json_t *j;
	char *txt;

	if (s->ending)
		return;
	if (s->reason == NULL)
		s->reason = reason; /* the first cause, even if detaching waits */
	reason = s->reason;
	if (s->dp != NULL && s->cap != NULL) {
		if (dp_capture_detach(s->dp, s->cap) < 0) {
			s->detach_failed = true; /* capture_run tries again */
			return;
		}
		s->detach_failed = false;
		dp_rcu_flush(); /* no PMD copies into it any more */
	}
	if (s->cap != NULL) {
		dp_capture_counts(s->cap, &selected, &dropped);
		dp_capture_destroy(s->cap);
		s->cap = NULL;
	}
	s->ending = true;
	s->end_ms = mono_clock_ms();
	j = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "port", s->port, "reason", reason, "written",
		      (json_int_t)s->written, "selected", (json_int_t)selected, "dropped_ring",
		      (json_int_t)dropped, "dropped_reader", (json_int_t)s->dropped_reader);
	txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	fprintf(stderr,
		"%skvswitchd: capture on port '%s' ended (%s): %" PRIu64 " frames written, %" PRIu64
		" dropped at the ring, %" PRIu64 " for a slow reader\n",
		journal_prefix(LOG_INFO), s->port, reason, s->written, dropped, s->dropped_reader);
	if (txt == NULL)
		return;
	h.len = (uint32_t)strlen(txt);
	/* the end record goes out even past OUT_MAX: the reader needs it */
	if (out_reserve(s, sizeof(h) + h.len, false)) {
		out_put(s, &h, sizeof(h));
		out_put(s, txt, h.len);
	}
	free(txt);
}

/* The reader is gone (or never came): end, and free once the capture is off
 * the port; until then capture_run tries again. */
static void session_drop(struct session *s, const char *reason)
{
	session_end(s, reason);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->gone = true;
	if (s->cap == NULL)
		session_free(s);
}

/* rpc_hand_over's taker: the answer is out, the connection is ours. */
static void session_take(int fd, void *arg)
{
	struct session *s = arg;

	if (!s->used) { /* ended and freed already (exit) */
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fd < 0) { /* the client went away before its answer */
		session_drop(s, "kvsctl went away");
		return;
	}
	s->fd = fd;
}

static int parse_dir(const char *d, unsigned int *dirs)
{
	if (d == NULL || strcmp(d, "both") == 0)
		*dirs = DP_CAPTURE_BOTH;
	else if (strcmp(d, "rx") == 0)
		*dirs = DP_CAPTURE_RX;
	else if (strcmp(d, "tx") == 0)
		*dirs = DP_CAPTURE_TX;
	else
		return -EINVAL;
	return 0;
}

/* A non-negative integer member no larger than max (absent: def), or
 * -EINVAL with the value as given in err. */
static int get_uint(json_t *params, const char *key, uint64_t def, uint64_t max, uint64_t *out,
		    char *err, size_t errlen, const char *want)
{
	json_t *v = json_object_get(params, key);
	char *given;

	if (v == NULL || json_is_null(v)) {
		*out = def;
		return 0;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    (uint64_t)json_integer_value(v) <= max) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	given = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	snprintf(err, errlen, "capture: %s %.64s: %s", key, given ? given : "?", want);
	free(given);
	return -EINVAL;
}

json_t *capture_start(json_t *params, int *code, char *err, size_t errlen)
{
	const char *port = json_string_value(json_object_get(params, "port"));
	const char *dir = json_string_value(json_object_get(params, "direction"));
	const char *expr = json_string_value(json_object_get(params, "expression"));
	uint64_t snaplen, count, duration;
	struct filter *match = NULL;
	struct session *s = NULL;
	struct sw_port *sp;
	unsigned int dirs, i;
	int rc;

	*code = -EINVAL;
	if (port == NULL) {
		snprintf(err, errlen, "capture: missing \"port\"");
		return NULL;
	}
	sp = sw_port_find(port);
	if (sp == NULL) {
		*code = -ENOENT;
		snprintf(err, errlen, "capture: no port '%s'", port);
		return NULL;
	}
	if (sp->dp == NULL) {
		*code = -ENODEV;
		snprintf(err, errlen, "capture: port '%s' is not open: %s", port, sp->error);
		return NULL;
	}
	if ((json_object_get(params, "direction") && dir == NULL) || parse_dir(dir, &dirs) < 0) {
		snprintf(err, errlen, "capture: direction '%s': give rx, tx or both",
			 dir ? dir : "(not a string)");
		return NULL;
	}
	if (json_object_get(params, "expression") && expr == NULL) {
		snprintf(err, errlen, "capture: \"expression\" must be a string");
		return NULL;
	}
	/* snaplen 0 is tcpdump's "all of it" */
	if (get_uint(params, "snaplen", DP_CAPTURE_SNAPLEN, DP_CAPTURE_SNAPLEN, &snaplen, err,
		     errlen, "give 0 to 262144 bytes") < 0 ||
	    get_uint(params, "count", 0, UINT64_MAX >> 1, &count, err, errlen,
		     "give a number of frames (0: no limit)") < 0 ||
	    get_uint(params, "duration", 0, 86400 * 365, &duration, err, errlen,
		     "give 0 to 31536000 seconds (0: no limit)") < 0)
		return NULL;
	if (snaplen == 0)
		snaplen = DP_CAPTURE_SNAPLEN;
	for (i = 0; i < CAPTURE_SESSIONS && s == NULL; i++)
		if (!sessions[i].used)
			s = &sessions[i];
	if (s == NULL) {
		*code = -EBUSY;
		snprintf(err, errlen, "capture: %u captures are running, the most at once",
			 CAPTURE_SESSIONS);
		return NULL;
	}
	if (expr != NULL && expr[0] != '\0') {
		char why[512];

		match = filter_from_expression(expr, why, sizeof(why));
		if (match == NULL) {
			snprintf(err, errlen, "capture: %s", why);
			return NULL;
		}
	}
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->cap = dp_capture_create(dirs, (uint32_t)snaplen, match);
	if (s->cap == NULL) {
		*code = -errno;
		snprintf(err, errlen, "capture: port '%s': %s", port,
			 errno == ENOMEM ? "no memory for the capture's ring or pool"
					 : strerror(errno));
		return NULL;
	}
	clock_sync(mono_clock_ms());
	rc = dp_capture_attach(sp->dp, s->cap);
	if (rc < 0) {
		dp_capture_destroy(s->cap); /* never published */
		*code = rc;
		snprintf(err, errlen, "capture: port '%s': %s", port,
			 rc == -ENOSPC ? "it has the most captures at once already" : "no memory");
		memset(s, 0, sizeof(*s));
		return NULL;
	}
	s->used = true;
	s->dp = sp->dp;
	snprintf(s->port, sizeof(s->port), "%s", port);
	s->count = count;
	s->deadline_ms = duration ? mono_clock_ms() + duration * 1000 : 0;
	rpc_hand_over(session_take, s);
	fprintf(stderr,
		"%skvswitchd: capture on port '%s' started (%s, snaplen %" PRIu64 "%s%s%s)\n",
		journal_prefix(LOG_INFO), port, dir ? dir : "both", snaplen,
		match ? ", expression '" : "", match ? expr : "", match ? "'" : "");
	*code = 0;
	return json_pack("{s:s,s:s,s:I,s:i}", "port", port, "direction", dir ? dir : "both",
			 "snaplen", (json_int_t)snaplen, "linktype", 1);
}

/* Has the reader shut its side (Ctrl-C) or gone?  Bytes it sends are ignored. */
static const char *reader_gone(struct session *s)
{
	char tmp[256];
	ssize_t r = recv(s->fd, tmp, sizeof(tmp), MSG_DONTWAIT);

	if (r == 0)
		return "stopped by kvsctl";
	if (r < 0 && errno != EAGAIN && errno != EINTR)
		return "kvsctl went away";
	return NULL;
}

static void drain(struct session *s)
{
	struct rte_mbuf *m[256];
	unsigned int n, i, moved = 0;

	while (moved < DRAIN_MAX && (n = dp_capture_dequeue(s->cap, m, RTE_DIM(m))) > 0) {
		moved += n;
		for (i = 0; i < n; i++) {
			if (s->count && s->written == s->count)
				continue; /* past the count: the end follows */
			if (put_frame(s, m[i]))
				s->written++;
			else
				s->dropped_reader++;
		}
		rte_pktmbuf_free_bulk(m, n);
	}
}

/* Write what the socket takes; false when the reader is gone. */
static bool flush(struct session *s)
{
	while (s->out_off < s->out_len) {
		ssize_t w = send(s->fd, s->out + s->out_off, s->out_len - s->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0)
			return errno == EAGAIN || errno == EINTR;
		s->out_off += (size_t)w;
	}
	return true;
}

void capture_run(void)
{
	uint64_t now = 0;
	unsigned int i;

	for (i = 0; i < CAPTURE_SESSIONS; i++) {
		struct session *s = &sessions[i];
		const char *why;

		if (!s->used || (s->fd < 0 && !s->gone))
			continue; /* not handed over yet */
		if (now == 0) {
			now = mono_clock_ms();
			clock_sync(now);
		}
		if (s->gone) { /* a detach that failed: again */
			session_drop(s, s->reason);
			continue;
		}
		if (s->detach_failed) {
			session_end(s, s->reason);
		} else if (!s->ending) {
			drain(s);
			if (s->count && s->written >= s->count)
				session_end(s, "count reached");
			else if (s->deadline_ms && now >= s->deadline_ms)
				session_end(s, "duration reached");
			else if ((why = reader_gone(s)) != NULL)
				session_end(s, why);
		}
		if (!flush(s))
			session_drop(s, "kvsctl went away");
		else if (s->ending && (s->out_off == s->out_len || now - s->end_ms > END_LINGER_MS))
			session_drop(s, s->reason);
	}
}

void capture_port_closing(struct dp_port *p)
{
	unsigned int i;

	for (i = 0; i < CAPTURE_SESSIONS; i++) {
		struct session *s = &sessions[i];

		if (!s->used || s->dp != p)
			continue;
		/* unpublished a grace period ago: no PMD reaches p's captures,
		 * and dp_port_free frees its set */
		s->dp = NULL;
		session_end(s, "port closed (removed or reopened)");
	}
}

void capture_shutdown(void)
{
	unsigned int i;

	for (i = 0; i < CAPTURE_SESSIONS; i++) {
		struct session *s = &sessions[i];

		if (!s->used)
			continue;
		session_end(s, "kvswitchd exiting");
		if (s->fd >= 0)
			flush(s); /* what the socket takes now; nobody waits */
		session_drop(s, s->reason);
	}
}
