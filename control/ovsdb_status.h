/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovsdb_status: what ovs-vswitchd writes back into the database, computed
 * from the running switch (control/state.h): the status columns of an
 * Interface and of the Open_vSwitch record, as RFC 7047 <row> objects ready
 * for an "update" operation.  Reads port counters the PMDs keep (relaxed,
 * per-queue totals; never stops a PMD).  Control thread only.
 */
#ifndef KVS_CONTROL_OVSDB_STATUS_H
#define KVS_CONTROL_OVSDB_STATUS_H

#include <stdbool.h>

#include <jansson.h>

/* Interface name: ofport, admin_state, link_state, mtu, mac_in_use, status,
 * statistics (with_stats) and error.  error: why the interface is not
 * running as configured (control/ovsdb_map.h), NULL when it is. */
json_t *ovsdb_status_iface(const char *name, const char *error, bool with_stats);
/* The Open_vSwitch record's dpdk_initialized, dpdk_version, datapath_types,
 * iface_types. */
json_t *ovsdb_status_system(void);

/* An RFC 7047 value as ovs-vsctl prints it: atoms bare or quoted, "[a, b]"
 * for a set, "{k=v, ...}" for a map; with key, that key's value of a map.
 * 0, -ENOENT (key absent), -ENOSPC (out too small). */
int ovsdb_value_text(const json_t *v, const char *key, char *out, size_t outlen);

#endif
