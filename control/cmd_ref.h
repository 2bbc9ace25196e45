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
/* Is value a reference ("@q", "[@a,@b]")? */
bool cmd_refs_is_ref(const char *value);
/* set (or with add, add) TABLE RECORD COLUMN=VALUE where value references
 * records of t: Port qos=@q, Bridge mirrors=@m or [@m1,@m2]. */
int cmd_refs_set(struct cmd_refs *t, struct db *db, const char *table, const char *record,
		 const char *column, const char *value, bool add, char *err, size_t errlen);
/* At the end of the transaction: every created record is referred to. */
int cmd_refs_end(struct cmd_refs *t, char *err, size_t errlen);

#endif
