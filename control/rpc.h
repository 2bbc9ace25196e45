/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpc: the control socket.  Newline-delimited JSON over a Unix stream socket:
 *   request  {"id": N, "method": "show", "params": {...}}
 *   response {"id": N, "result": {...}}  or  {"id": N, "error": {"code": -22,
 *            "message": "bridge 'br9' does not exist"}}
 * Non-blocking: a slow or silent client never stalls the control thread.
 * Control thread only.
 */
#ifndef KVS_CONTROL_RPC_H
#define KVS_CONTROL_RPC_H

#include <poll.h>
#include <stddef.h>

#include <jansson.h>

/* Returns the result (new reference) or NULL with *code (-errno) and err. */
typedef json_t *(*rpc_handler)(const char *method, json_t *params, int *code, char *err,
			       size_t errlen);

int rpc_init(const char *path, rpc_handler h);
void rpc_close(void);
/*
 * From inside a handler that returns a result: once that answer is written,
 * the connection (non-blocking) is no longer a request/response client but
 * take's: take(fd, arg) then owns fd.  If the client goes away first, or the
 * handler fails after all, take(-1, arg) is called instead, so arg is never
 * lost.  How a command streams to its client (kvsctl capture).
 */
void rpc_hand_over(void (*take)(int fd, void *arg), void *arg);
/* Fill pollfds (listen socket and clients); returns how many. */
unsigned int rpc_pollfds(struct pollfd *fds, unsigned int max);
/* Serve whatever is ready among fds[0..n). */
void rpc_serve(const struct pollfd *fds, unsigned int n);

#endif
