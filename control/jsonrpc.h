/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * jsonrpc: one JSON-RPC 1.0 stream over a non-blocking socket, the framing
 * OVS uses towards ovsdb-server (RFC 7047) and ovs-appctl: JSON objects one
 * after the other, with no delimiter and no length prefix.  Used by the
 * OVSDB client (control/ovsdb_client.c) and the unixctl server
 * (control/unixctl.c), on the control thread only.
 *
 * A connection owns its descriptor.  Sends are queued and written as the
 * socket takes them, so a slow peer never blocks the control thread; a peer
 * that lets more than JSONRPC_MAX_BUF pile up either way is dropped.
 */
#ifndef KVS_CONTROL_JSONRPC_H
#define KVS_CONTROL_JSONRPC_H

#include <stdbool.h>

#include <jansson.h>

#define JSONRPC_MAX_BUF (64u << 20) /* a whole Open_vSwitch database fits */

struct jsonrpc;

/* Takes fd (made non-blocking here).  NULL + errno on allocation failure,
 * and fd is closed then too. */
struct jsonrpc *jsonrpc_open(int fd);
void jsonrpc_close(struct jsonrpc *rpc);
int jsonrpc_fd(const struct jsonrpc *rpc);
/* Is output waiting for the socket (poll for POLLOUT)? */
bool jsonrpc_wants_write(const struct jsonrpc *rpc);
/* Queue msg (reference stolen) and write what the socket takes.  0, or
 * -errno: the connection is broken and must be closed. */
int jsonrpc_send(struct jsonrpc *rpc, json_t *msg);
/* Write what is queued: 0, or -errno (broken). */
int jsonrpc_flush(struct jsonrpc *rpc);
/* Read what the socket has and take one message out: 1 with *msg (a new
 * reference), 0 when no whole message is there yet, -EPIPE when the peer
 * closed, -EPROTO when it sent something that is not JSON (*msg NULL). */
int jsonrpc_recv(struct jsonrpc *rpc, json_t **msg);
/* A JSON string of text that may not be valid UTF-8 (an error message cut in
 * the middle of a character, a name from a file): bytes that do not make
 * UTF-8 become '?'.  New reference, NULL only when out of memory. */
json_t *jsonrpc_string(const char *text);

#endif
