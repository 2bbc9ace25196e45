/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apply_reopen: when a transaction reopens a port's device, and whether the
 * new one can be opened beside the old (so a refused transaction disturbs
 * nothing) or must replace it in place.  Control thread, for control/apply.c.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "control/apply_reopen.h"
#include "dataplane/ethdev_port.h"

/* Does a change of cfg need the device closed and opened again? */
bool apply_needs_reopen(const struct sw_port *sp, const struct db_port_cfg *c,
			const struct db_ovs_cfg *ovs)
{
	const struct db_port_cfg *o = &sp->cfg;

	if (sp->dp == NULL || o->type != c->type)
		return true;
	switch (c->type) {
	case DB_PORT_VHOST_CLIENT:
		return strcmp(o->server_path, c->server_path) != 0;
	case DB_PORT_VHOST_SERVER:
		return strcmp(sw.ovs.vhost_sock_dir, ovs->vhost_sock_dir) != 0;
	case DB_PORT_DPDK:
		return strcmp(o->devargs, c->devargs) != 0 || o->n_rxq != c->n_rxq ||
		       o->n_rxq_desc != c->n_rxq_desc || o->n_txq_desc != c->n_txq_desc ||
		       o->mtu != c->mtu ||
		       (o->rx_interrupts != c->rx_interrupts &&
			ethdev_port_rx_intr_change(sp->dp, c->rx_interrupts));
	}
	return true;
}

static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	if (strcmp(a, b) == 0)
		return true;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* The socket path of a vhost port as configured ("" for other types). */
static void vhost_path(const char *name, const struct db_port_cfg *c, const char *sock_dir,
		       char *out, size_t len)
{
	if (c->type == DB_PORT_VHOST_CLIENT)
		snprintf(out, len, "%s", c->server_path);
	else if (c->type == DB_PORT_VHOST_SERVER)
		snprintf(out, len, "%s/%s", sock_dir, name);
	else
		out[0] = '\0';
}

/* Does reopening sp with c need the very socket or device it holds (so the
 * old one must be closed before the new one opens)? */
bool apply_reopen_in_place(const struct sw_port *sp, const struct db_port_cfg *c,
			   const struct db_ovs_cfg *ovs)
{
	const struct db_port_cfg *o = &sp->cfg;
	char a[PATH_MAX + 64], b[PATH_MAX + 64];

	if (o->type == DB_PORT_DPDK || c->type == DB_PORT_DPDK) {
		/* the device is named before the first comma */
		return o->type == c->type && strcspn(o->devargs, ",") == strcspn(c->devargs, ",") &&
		       strncmp(o->devargs, c->devargs, strcspn(c->devargs, ",")) == 0;
	}
	if (o->type == DB_PORT_VHOST_SERVER && c->type == DB_PORT_VHOST_SERVER)
		return same_dir(sw.ovs.vhost_sock_dir, ovs->vhost_sock_dir);
	vhost_path(sp->name, o, sw.ovs.vhost_sock_dir, a, sizeof(a));
	vhost_path(sp->name, c, ovs->vhost_sock_dir, b, sizeof(b));
	return strcmp(a, b) == 0;
}
