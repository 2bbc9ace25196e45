/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * metrics: Prometheus's text exposition format over HTTP, at
 * other_config:metrics-address (HOST:PORT; unset: off), served by
 * libmicrohttpd from the control loop, with no thread of its own: every
 * number is read on the control thread, as kvsctl's views read them, so no
 * lock is added and no PMD is stopped.  GET /metrics only.
 *
 * The address changes with a transaction in two steps, so that one that
 * cannot be bound refuses the transaction with nothing changed: apply_db()
 * calls metrics_prepare() before anything else and metrics_commit() or
 * metrics_abort() at its end.  Control thread only.
 */
#ifndef KVS_CONTROL_METRICS_H
#define KVS_CONTROL_METRICS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

/* Bind addr ("" or NULL: off) if it differs from the one served.  0, or
 * -errno with a message naming the address. */
int metrics_prepare(const char *addr, char *err, size_t errlen);
void metrics_commit(void);
void metrics_abort(void);
unsigned int metrics_pollfds(struct pollfd *fds, unsigned int max);
/* ready: the descriptor of metrics_pollfds() polled readable. */
void metrics_run(bool ready);
void metrics_stop(void);

/* The exposition text (malloc'd), for the server and for tests. */
char *metrics_text(void);

#endif
