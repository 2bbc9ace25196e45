/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ingress policers of the running switch (police.h).  Control thread only.
 *
 * A policer is rebuilt, with full buckets, only when what it is made of
 * changes: the rate, the burst, the port's device (reopened), or the number
 * of PMDs polling the port.  So a rate change takes effect at the next burst
 * and an unrelated change (another port, a VLAN) leaves the buckets alone.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "control/journal_log.h"
#include "control/police.h"
#include "control/state.h"
#include "dataplane/police.h"
#include "pmd/pmd.h"

/* PMDs whose poll list has a queue of p (at least 1: a port no PMD polls
 * yet gets the whole rate, and is rebuilt once one does). */
static unsigned int pmds_polling(const struct dp_port *p)
{
	unsigned int s, n = 0;

	for (s = 0; s < sw.n_pmd_slots; s++) {
		const struct pmd_rxq_list *l = sw.pmds[s] ? sw.pmds[s]->rxqs : NULL;
		uint16_t i;

		for (i = 0; l != NULL && i < l->n; i++)
			if (l->q[i].port == p) {
				n++;
				break;
			}
	}
	return n ? n : 1;
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

static bool same(const struct dp_police_params *a, const struct dp_police_params *b)
{
	return a->rate_kbit == b->rate_kbit && a->burst_kbit == b->burst_kbit &&
	       a->share == b->share && a->min_bucket == b->min_bucket;
}

void police_apply(void)
{
	unsigned int i;

	for (i = 0; i < sw.n_ports; i++) {
		struct sw_port *sp = sw.ports[i];
		const struct dp_police *cur;
		struct dp_police_params want;
		struct dp_police *pol = NULL;

		if (sp->dp == NULL)
			continue;
		cur = __atomic_load_n(&sp->dp->police, __ATOMIC_RELAXED);
		want = (struct dp_police_params){
			.rate_kbit = sp->cfg.policing_rate,
			.burst_kbit = sp->cfg.policing_burst,
			.share = sp->cfg.policing_rate ? pmds_polling(sp->dp) : 0,
			.min_bucket = largest_metered(sp),
		};
		/* what the device has now, not what was last built: a reopened
		 * port is a new device with no policer, wherever it was allocated */
		if (want.rate_kbit == 0 ? cur == NULL
					: cur != NULL && same(dp_police_params(cur), &want))
			continue;
		if (want.rate_kbit != 0) {
			pol = dp_police_create(&want);
			if (pol == NULL) {
				/* the old policer (if any) stays; the next apply tries again */
				fprintf(stderr,
					"%skvswitchd: port '%s': cannot build the ingress policer "
					"(%u kbit/s, burst %u kbit, over %u PMDs): %s\n",
					journal_prefix(LOG_ERR), sp->name, sp->cfg.policing_rate,
					sp->cfg.policing_burst, want.share, strerror(errno));
				continue;
			}
		}
		dp_port_set_police(sp->dp, pol);
	}
}
