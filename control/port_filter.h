/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_filter: the filter step of an apply transaction (control/apply.c).
 * Control thread only.
 *
 *   prepare  (may fail) build every filter the new configuration changes,
 *            and all filters of ports whose device is being (re)opened;
 *            nothing is installed yet, so a failure changes nothing;
 *   commit   per port, before it is published: swap the built filters in
 *            (dp_port_set_filter); PMDs use them from their next burst and
 *            the old ones are freed after a grace period;
 *   end      drop what was built and not installed (port not opened).
 *   abort    the transaction failed elsewhere: drop everything built.
 */
#ifndef KVS_CONTROL_PORT_FILTER_H
#define KVS_CONTROL_PORT_FILTER_H

#include <stdbool.h>
#include <stddef.h>

struct db;
struct db_port;
struct sw_port;

/* strict (RPC changes): a filter that cannot be built fails the
 * transaction with its reason.  Not strict (start-up): the error is logged
 * and kept for `show`, and that direction drops every frame until the
 * configuration is fixed: a port never runs unfiltered by mistake. */
int port_filter_prepare(const struct db *db, const struct db_port *const *opening,
			unsigned int n_opening, bool strict, char *err, size_t errlen);
void port_filter_commit(struct sw_port *sp, const struct db_port *dbp);
void port_filter_end(void);
void port_filter_abort(void);
/* A failed transaction opened sp's device again as it was: give it its
 * applied filters again (a filter that no longer builds drops everything). */
void port_filter_restore(struct sw_port *sp);
/* The kernel (XDP) copy of an af_xdp port's ingress rules; NULL: pass all.
 * Other ports: nothing.  Failures are logged, the PMD still filters. */
struct db_port_cfg;
struct filter_rules;
void port_filter_xdp(const char *name, const struct db_port_cfg *c,
		     const struct filter_rules *ingress);

#endif
