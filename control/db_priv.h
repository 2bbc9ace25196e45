/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db_priv: functions the files of the configuration database module share
 * (db.c, db_edit.c, db_schema.c, db_cfg.c, conf_file.c) and nothing outside it calls.  All run on
 * the control thread; none keeps state.
 */
#ifndef KVS_CONTROL_DB_PRIV_H
#define KVS_CONTROL_DB_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/db.h"

/* Write the message into err (if any) and return rc (db.c). */
int db_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* -EINVAL with the message in err, "line N: " first when line is not 0
 * (a record read from a file) (db_schema.c). */
int db_verr(char *err, size_t errlen, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* 0 if name is a valid bridge or port name, else -EINVAL with a message
 * naming what (db.c). */
int db_check_name(const char *what, const char *name, char *err, size_t errlen);
/* A decimal unsigned integer <= max into out: 0, or -EINVAL (db_schema.c). */
int db_parse_uint(const char *s, uint64_t max, uint64_t *out);
/* enum db_port_type of an Interface type name, -1 if unknown (db_schema.c). */
int db_schema_type_of(const char *type);
/* Value parsers the schema checks with and the typed views read with
 * (db_schema.c): 0, or -EINVAL (why: the reason, for the last two). */
int db_parse_mask(const char *s, uint64_t *out);
int db_parse_mode(const char *s, int *out);
int db_parse_affinity(const char *s, struct db_affinity *out, uint16_t *n_out, char *why,
		      size_t len);
int db_parse_macs(const char *s, uint8_t (*out)[6], uint8_t *n_out, char *why, size_t len);
/* One key's syntax and range, as the file loader sets it, so that an error
 * points at the key's line: 0 or -EINVAL with a message (db_schema.c). */
int db_schema_check_key(const char *table, const char *record, const char *type, const char *column,
			const char *key, const char *value, char *err, size_t errlen);

#endif
