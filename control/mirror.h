/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mirror: the bridges' Mirror records (db.h struct db_mirror) made into the
 * dataplane's mirror sets (dataplane/mirror.h).  Control thread only, from
 * control/apply.c: every time the open ports change (their ids are what a
 * set holds) and every time the configuration does.
 */
#ifndef KVS_CONTROL_MIRROR_H
#define KVS_CONTROL_MIRROR_H

#include <stdbool.h>

struct db;
struct db_bridge;

/* Is port an output port of one of br's mirrors? */
bool mirror_is_output(const struct db_bridge *br, const char *port);

/* Publish each running bridge's mirrors of db, naming only ports that are
 * open; a mirror whose output port is not open is left out (and logged
 * once per change). */
void mirror_publish(const struct db *db);

#endif
