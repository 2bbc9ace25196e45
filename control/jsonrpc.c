/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * jsonrpc: framing of a stream of concatenated JSON objects (jsonrpc.h).
 * jansson parses the first value of the input buffer and says how many bytes
 * it took (JSON_DISABLE_EOF_CHECK); an incomplete value is retried when more
 * bytes arrive, which re-parses it from the start: quadratic in the number
 * of reads of one message, fine for the sizes OVSDB sends (an initial
 * monitor reply of a few MB arrives in a handful of 64 KB reads).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/jsonrpc.h"

struct buf {
	char *data;
	size_t len, cap;
};

struct jsonrpc {
	int fd;
	struct buf in, out;
	size_t out_off; /* bytes of out already written */
};

static int buf_reserve(struct buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *d;

	if (b->len + more > JSONRPC_MAX_BUF)
		return -EMSGSIZE;
	while (cap < b->len + more)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	d = realloc(b->data, cap);
	if (d == NULL)
		return -ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

struct jsonrpc *jsonrpc_open(int fd)
{
	struct jsonrpc *rpc = calloc(1, sizeof(*rpc));
	int fl = fcntl(fd, F_GETFL);

	if (rpc == NULL) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	rpc->fd = fd;
	return rpc;
}

void jsonrpc_close(struct jsonrpc *rpc)
{
	if (rpc == NULL)
		return;
	close(rpc->fd);
	free(rpc->in.data);
	free(rpc->out.data);
	free(rpc);
}

int jsonrpc_fd(const struct jsonrpc *rpc)
{
	return rpc->fd;
}

bool jsonrpc_wants_write(const struct jsonrpc *rpc)
{
	return rpc->out.len > rpc->out_off;
}

int jsonrpc_flush(struct jsonrpc *rpc)
{
	while (rpc->out.len > rpc->out_off) {
		ssize_t n = send(rpc->fd, rpc->out.data + rpc->out_off, rpc->out.len - rpc->out_off,
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		rpc->out_off += (size_t)n;
	}
	rpc->out.len = rpc->out_off = 0;
	return 0;
}

int jsonrpc_send(struct jsonrpc *rpc, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	size_t len;
	int rc;

	json_decref(msg);
	if (text == NULL)
		return -ENOMEM;
	len = strlen(text);
	if (rpc->out_off > 0 && rpc->out_off == rpc->out.len)
		rpc->out.len = rpc->out_off = 0;
	rc = buf_reserve(&rpc->out, len);
	if (rc == 0) {
		memcpy(rpc->out.data + rpc->out.len, text, len);
		rpc->out.len += len;
	}
	free(text);
	return rc < 0 ? rc : jsonrpc_flush(rpc);
}

/* One value off the front of in: 1, 0 (incomplete), -EPROTO. */
static int take_one(struct jsonrpc *rpc, json_t **msg)
{
	struct buf *in = &rpc->in;
	size_t skip = 0;
	json_error_t e;
	json_t *v;

	while (skip < in->len && strchr(" \t\r\n", in->data[skip]) != NULL)
		skip++;
	if (skip == in->len) {
		in->len = 0;
		return 0;
	}
	v = json_loadb(in->data + skip, in->len - skip, JSON_DISABLE_EOF_CHECK, &e);
	if (v == NULL) {
		/* input that ends too early is a message still arriving */
		if (json_error_code(&e) == json_error_premature_end_of_input)
			return 0;
		return -EPROTO;
	}
	skip += (size_t)e.position;
	memmove(in->data, in->data + skip, in->len - skip);
	in->len -= skip;
	*msg = v;
	return 1;
}

json_t *jsonrpc_string(const char *text)
{
	json_t *v = json_string(text);
	char *copy;

	if (v != NULL)
		return v;
	copy = strdup(text);
	if (copy == NULL)
		return NULL;
	for (unsigned char *p = (unsigned char *)copy; *p; p++)
		if (*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

int jsonrpc_recv(struct jsonrpc *rpc, json_t **msg)
{
	bool eof = false;
	int rc;

	*msg = NULL;
	rc = take_one(rpc, msg);
	if (rc != 0)
		return rc;
	for (;;) {
		ssize_t n;

		rc = buf_reserve(&rpc->in, 65536);
		if (rc < 0)
			return rc;
		n = read(rpc->fd, rpc->in.data + rpc->in.len, rpc->in.cap - rpc->in.len);
		if (n == 0) {
			eof = true;
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		rpc->in.len += (size_t)n; /* on to EAGAIN: a close right after data is seen now */
	}
	rc = take_one(rpc, msg);
	if (rc == 0 && eof)
		return -EPIPE;
	return rc;
}
