/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policers of the running switch (police.h).  Control thread only.
 *
 * A policer is rebuilt, with full buckets, only when what it is made of
 * changes: a rate or burst, the port's device (reopened), whether more
 * than one PMD meters through it, or the largest frame that can reach it.  So a rate
 * change takes effect at the next burst and an unrelated change (another
 * port's VLAN) leaves the buckets alone.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "control/journal_log.h"
#include "control/police.h"
#include "control/state.h"
#include "dataplane/police.h"
#include "pmd/pmd.h"

#define DEFAULT_BURST_KBIT 8000 /* OVS's, for an ingress_policing_burst of 0 */

/* What the configuration accepts, the dataplane must build: a rate or bucket
 * between the two limits would be taken, then fail to build and leave the
 * port with its old policer. */
_Static_assert(DB_QOS_VALUE_MAX <= DP_POLICE_RATE_MAX && DB_QOS_VALUE_MAX <= DP_POLICE_BUCKET_MAX,
	       "QoS limits of the configuration exceed the dataplane's");
_Static_assert((uint64_t)UINT32_MAX * 1000 / 8 <= DP_POLICE_RATE_MAX,
	       "ingress_policing_rate (kbit/s, 32 bits) exceeds the dataplane's limit");

/* Does PMD slot s poll a queue of a port of bridge br other than self, or
 * with br NULL, of self?  One pass over its queues: the dataplane port's
 * own conf says its bridge. */
static bool pmd_polls(unsigned int s, const struct dp_bridge *br, const struct dp_port *self)
{
	const struct pmd_rxq_list *l = sw.pmds[s] ? sw.pmds[s]->rxqs : NULL;

	for (uint16_t i = 0; l != NULL && i < l->n; i++) {
		const struct dp_port *dp = l->q[i].port;
		const struct dp_port_conf *c;

		if (br == NULL) {
			if (dp == self)
				return true;
			continue;
		}
		c = __atomic_load_n(&dp->conf, __ATOMIC_RELAXED); /* ours to write */
		if (dp != self && c != NULL && c->bridge == br)
			return true;
	}
	return false;
}

/* Can more than one PMD meter through sp's policer of direction dir?  A
 * port no PMD polls yet, or no other port of a bridge sends to, is not
 * shared, and is rebuilt once it is. */
static bool pmds_share(const struct sw_port *sp, enum dp_police_dir dir)
{
	const struct dp_port_conf *c = __atomic_load_n(&sp->dp->conf, __ATOMIC_RELAXED);
	const struct dp_bridge *br = NULL;
	unsigned int s, n = 0;

	if (dir == DP_POLICE_EGRESS) {
		if (c == NULL || c->bridge == NULL)
			return false;
		br = c->bridge;
	}
	for (s = 0; s < sw.n_pmd_slots; s++)
		n += pmd_polls(s, br, sp->dp);
	return n > 1;
}

/* The largest frame port sp can receive, as a policer meters it (less the
 * Ethernet header, a VLAN tag more): a guest's TSO frame or a GRO-merged one
 * where those can arrive, else one at the MTU. */
static uint32_t largest_metered(const struct sw_port *sp)
{
	bool big = sp->cfg.type == DB_PORT_DPDK ? sp->cfg.gro
						: !(sp->cfg.offload_off & DB_OFFLOAD_TSO);

	return big ? UINT16_MAX + 4u : sp->cfg.mtu + 4u;
}

/* The largest frame sp can be given to send: what another port of its
 * bridge can receive, before it is segmented for sp (its tx does that). */
static uint32_t largest_sent(const struct sw_port *sp)
{
	uint32_t m = sp->cfg.mtu + 4u;

	for (unsigned int j = 0; j < sw.n_ports; j++)
		if (sw.ports[j] != sp && strcmp(sw.ports[j]->bridge, sp->bridge) == 0)
			m = RTE_MAX(m, largest_metered(sw.ports[j]));
	return m;
}

/* What sp's policer of direction dir is to be made of; false: none. */
static bool wanted(const struct sw_port *sp, enum dp_police_dir dir, struct dp_police_params *w)
{
	const struct db_qos *q = &sp->cfg.qos;

	if (dir == DP_POLICE_INGRESS) {
		uint64_t burst =
			sp->cfg.policing_burst ? sp->cfg.policing_burst : DEFAULT_BURST_KBIT;

		if (sp->cfg.policing_rate == 0)
			return false;
		*w = (struct dp_police_params){
			.kind = DP_POLICE_SRTCM,
			.cir = (uint64_t)sp->cfg.policing_rate * 1000 / 8,
			.cbs = burst * 1000 / 8,
			.min_bucket = largest_metered(sp),
		};
	} else {
		if (q->type == DB_QOS_NONE)
			return false;
		*w = (struct dp_police_params){
			.kind = q->type == DB_QOS_TRTCM_POLICER ? DP_POLICE_TRTCM : DP_POLICE_SRTCM,
			.cir = q->cir,
			.cbs = q->cbs,
			.eir = q->type == DB_QOS_TRTCM_POLICER ? q->eir : 0,
			.ebs = q->type == DB_QOS_TRTCM_POLICER ? q->ebs : 0,
			.min_bucket = largest_sent(sp),
		};
	}
	w->shared = pmds_share(sp, dir);
	return true;
}

static bool same(const struct dp_police_params *a, const struct dp_police_params *b)
{
	return a->kind == b->kind && a->cir == b->cir && a->cbs == b->cbs && a->eir == b->eir &&
	       a->ebs == b->ebs && a->shared == b->shared && a->min_bucket == b->min_bucket;
}

static void police_port(struct sw_port *sp, enum dp_police_dir dir)
{
	const struct dp_police *cur = __atomic_load_n(&sp->dp->police[dir], __ATOMIC_RELAXED);
	struct dp_police_params want;
	struct dp_police *pol = NULL;
	bool on = wanted(sp, dir, &want);

	/* what the device has now, not what was last built: a reopened port
	 * is a new device with no policer, wherever it was allocated */
	if (on ? cur != NULL && same(dp_police_params(cur), &want) : cur == NULL)
		return;
	if (on) {
		pol = dp_police_create(&want);
		if (pol == NULL) {
			/* the old policer (if any) stays; the next apply tries again */
			fprintf(stderr,
				"%skvswitchd: port '%s': cannot build the %s policer (cir %" PRIu64
				" B/s, cbs %" PRIu64 " B): %s\n",
				journal_prefix(LOG_ERR), sp->name,
				dir == DP_POLICE_INGRESS ? "ingress" : "egress", want.cir, want.cbs,
				strerror(errno));
			return;
		}
	}
	dp_port_set_police(sp->dp, dir, pol);
}

void police_apply(void)
{
	for (unsigned int i = 0; i < sw.n_ports; i++) {
		if (sw.ports[i]->dp == NULL)
			continue;
		police_port(sw.ports[i], DP_POLICE_INGRESS);
		police_port(sw.ports[i], DP_POLICE_EGRESS);
	}
}
