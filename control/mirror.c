/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mirrors of the running switch (mirror.h).  Control thread only.
 *
 * A set is rebuilt from the configuration and the open ports whenever either
 * changes, and republished only when it differs from the one running, so the
 * usual transaction (a port added elsewhere) costs no grace period here.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "control/db.h"
#include "control/journal_log.h"
#include "control/mirror.h"
#include "control/state.h"
#include "dataplane/bridge.h"
#include "dataplane/mirror.h"

bool mirror_is_output(const struct db_bridge *br, const char *port)
{
	size_t i;

	for (i = 0; br != NULL && i < br->n_mirrors; i++)
		if (br->mirrors[i]->output_port != NULL &&
		    strcmp(br->mirrors[i]->output_port, port) == 0)
			return true;
	return false;
}

/* The id of an open port of bridge `bridge`, or -1. */
static int open_id(const char *bridge, const char *port)
{
	const struct sw_port *sp = sw_port_find(port);

	if (sp == NULL || sp->dp == NULL || strcmp(sp->bridge, bridge) != 0)
		return -1;
	return sp->dp->id;
}

/* dm from m: false when its output port is not open, or its conf does not
 * yet say it is a mirror's output (control/apply.c publishes that conf
 * before the last publish of a transaction): until then it still switches
 * frames of its own, and must not also get copies. */
static bool mirror_build(const char *bridge, const struct db_mirror *m, struct dp_mirror *dm)
{
	const struct sw_port *out = sw_port_find(m->output_port ? m->output_port : "");
	int id;
	size_t i;

	memset(dm, 0, sizeof(*dm));
	id = m->output_port ? open_id(bridge, m->output_port) : -1;
	if (id < 0 || !out->mirror_out)
		return false;
	dm->out = (uint16_t)id;
	sw_port_vlan(out, &dm->out_vlan);
	dm->all = m->select_all;
	for (i = 0; i < m->n_src; i++)
		if ((id = open_id(bridge, m->src_ports[i])) >= 0)
			dp_mirror_add_port(dm->src, (uint16_t)id);
	for (i = 0; i < m->n_dst; i++)
		if ((id = open_id(bridge, m->dst_ports[i])) >= 0) {
			dp_mirror_add_port(dm->dst, (uint16_t)id);
			dm->has_dst = true;
		}
	dm->any_vlan = m->n_vlans == 0;
	for (i = 0; i < m->n_vlans; i++)
		dm->vlans[m->select_vlans[i] >> 6] |= UINT64_C(1) << (m->select_vlans[i] & 63);
	return true;
}

static bool set_equal(const struct dp_mirror_set *cur, const struct dp_mirror *m, uint16_t n)
{
	if (cur == NULL)
		return n == 0;
	return cur->n == n && memcmp(cur->m, m, n * sizeof(*m)) == 0;
}

void mirror_publish(const struct db *db)
{
	static struct dp_mirror dm[DP_MAX_MIRRORS];
	size_t b, i;

	for (b = 0; b < db->n_bridges; b++) {
		const struct db_bridge *dbb = db->bridges[b];
		struct sw_bridge *sb = sw_bridge_find(dbb->name);
		uint16_t n = 0;
		int rc;

		if (sb == NULL || sb->dp == NULL)
			continue;
		for (i = 0; i < dbb->n_mirrors && n < DP_MAX_MIRRORS; i++)
			if (mirror_build(dbb->name, dbb->mirrors[i], &dm[n]))
				n++;
		dp_mirror_mark_dups(dm, n); /* as published, for set_equal */
		if (set_equal(sb->dp->mirrors, dm, n))
			continue;
		if (n < dbb->n_mirrors)
			fprintf(stderr,
				"%skvswitchd: bridge '%s': %zu of its %zu mirrors wait for their "
				"output port to open\n",
				journal_prefix(LOG_WARNING), dbb->name, dbb->n_mirrors - n,
				dbb->n_mirrors);
		rc = dp_bridge_set_mirrors(sb->dp, dm, n);
		if (rc < 0) {
			/* none rather than the old set, whose port ids may be
			 * closed and reused; the next apply tries again */
			dp_bridge_set_mirrors(sb->dp, NULL, 0);
			fprintf(stderr,
				"%skvswitchd: bridge '%s': cannot publish its mirrors, none "
				"run: %s\n",
				journal_prefix(LOG_ERR), dbb->name, strerror(-rc));
		}
	}
}
