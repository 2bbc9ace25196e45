/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Priority-prefixed log lines for journald (journal_log.h).  Set up by
 * kvswitchd's main thread; the streams are then written by every thread
 * (rte_log from PMDs and librte_vhost's threads), each FILE's own lock
 * serialising the cookie's buffer.
 *
 * Lines are assembled here and written with one write(2) each, so lines of
 * two threads never interleave inside a journal entry.  DPDK's default
 * stream writes to stdout *and* syslog, which under systemd would put every
 * line in the journal twice; this stream writes once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <rte_log.h>

#include "control/journal_log.h"

#define LINE_MAX_LEN 1024

struct line_cookie {
	char buf[LINE_MAX_LEN];
	size_t len;
	bool rte; /* priority from rte_log_cur_msg_loglevel(), else default */
};

static bool to_journal;
static struct line_cookie err_cookie, rte_cookie = {.rte = true};

static void emit(struct line_cookie *c)
{
	char out[LINE_MAX_LEN + 8];
	int prio = LOG_ERR, n;

	if (c->len == 0)
		return;
	if (c->rte) {
		/* DPDK's levels are syslog's plus one (RTE_LOG_EMERG = 1) */
		int l = (int)rte_log_cur_msg_loglevel();
		prio = l >= 1 && l <= 8 ? l - 1 : LOG_INFO;
	}
	if (c->len >= 3 && c->buf[0] == '<' && c->buf[1] >= '0' && c->buf[1] <= '7' &&
	    c->buf[2] == '>')
		n = snprintf(out, sizeof(out), "%.*s\n", (int)c->len, c->buf);
	else
		n = snprintf(out, sizeof(out), "<%d>%.*s\n", prio, (int)c->len, c->buf);
	c->len = 0;
	if (n > 0 && write(STDERR_FILENO, out, (size_t)n) < 0)
		return; /* nowhere left to say it */
}

static ssize_t cookie_write(void *cookie, const char *data, size_t size)
{
	struct line_cookie *c = cookie;
	size_t i;

	for (i = 0; i < size; i++) {
		if (data[i] == '\n') {
			emit(c);
			continue;
		}
		if (c->len == sizeof(c->buf)) /* an over-long line: cut, say the rest */
			emit(c);
		c->buf[c->len++] = data[i];
	}
	return (ssize_t)size;
}

static FILE *line_stream(struct line_cookie *c)
{
	cookie_io_functions_t io = {.write = cookie_write};
	FILE *f = fopencookie(c, "w", io);

	if (f != NULL)
		setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

/* JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected; stderr is
 * the journal only if it is still that stream (not redirected by a script). */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

bool journal_log_init(void)
{
	FILE *f;

	if (!stderr_is_journal())
		return false;
	f = line_stream(&err_cookie);
	if (f == NULL)
		return false;
	fflush(stderr);
	stderr = f;
	to_journal = true;
	/* before rte_eal_init(): the EAL uses a stream set here as it is */
	f = line_stream(&rte_cookie);
	if (f != NULL)
		rte_openlog_stream(f);
	return true;
}

const char *journal_prefix(int syslog_priority)
{
	static const char *const p[8] = {"<0>", "<1>", "<2>", "<3>", "<4>", "<5>", "<6>", "<7>"};

	if (!to_journal || syslog_priority < 0 || syslog_priority > 7)
		return "";
	return p[syslog_priority];
}
