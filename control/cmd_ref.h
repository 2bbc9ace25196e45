/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cmd_ref: records named with --id=@name inside one transaction (create QoS,
 * create Mirror, get Port) and the set/add that refer to them (Port qos,
 * Bridge mirrors).  cmd.c's transaction is the only caller; control thread.
 * Each function returns 0 or -errno with a message in err naming the record.
 */
#ifndef KVS_CONTROL_CMD_REF_H
#define KVS_CONTROL_CMD_REF_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct db;
struct cmd_refs;

/* One per transaction; NULL if out of memory. */
struct cmd_refs *cmd_refs_new(void);
void cmd_refs_free(struct cmd_refs *t);

/* --id=ID create TABLE (QoS or Mirror) with sets [{column, key, value}]; the
 * request's strings must outlive t. */
int cmd_refs_create(struct cmd_refs *t, const char *table, const char *id, json_t *sets, char *err,
		    size_t errlen);
/* --id=ID get Port RECORD: ID names the port. */
int cmd_refs_get(struct cmd_refs *t, const struct db *db, const char *table, const char *record,
		 const char *id, char *err, size_t errlen);
/* Is this set or add one of references: value "@q" or "[@a,@b]", or any
 * value of a column that holds them (Port qos, Bridge mirrors; "[]")? */
bool cmd_refs_is_ref(const char *table, const char *column, const char *value);
/* set (or with add, add) TABLE RECORD COLUMN=VALUE where value references
 * records of t: Port qos=@q or [], Bridge mirrors=@m, [@m1,@m2] or [].
 * Kept and applied by cmd_refs_end; the strings must outlive t. */
int cmd_refs_set(struct cmd_refs *t, const char *table, const char *record, const char *column,
		 const char *value, bool add, char *err, size_t errlen);
/* At the end of the transaction, on db: the sets and adds kept, then the
 * check that every created record is referred to. */
int cmd_refs_end(struct cmd_refs *t, struct db *db, char *err, size_t errlen);

#endif
