/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cmd_priv: what the files of the control-socket views share (cmd_show.c,
 * cmd_pmd.c): a growing text buffer and the view built from it.  Control
 * thread only.
 */
#ifndef KVS_CONTROL_CMD_PRIV_H
#define KVS_CONTROL_CMD_PRIV_H

#include <stddef.h>

#include <jansson.h>

struct buf {
	char *s;
	size_t len, cap;
};

/* Append to b (grows as needed; on allocation failure the text is cut). */
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* {"text": b's text, "data": data}; frees b's text, takes data. */
json_t *buf_view(struct buf *b, json_t *data);

#endif
