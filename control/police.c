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

void police_apply(void)
{
	unsigned int i;

	for (i = 0; i < sw.n_ports; i++) {
		struct sw_port *sp = sw.ports[i];
		struct dp_police *pol = NULL;
		unsigned int share;

		if (sp->dp == NULL)
			continue;
		share = sp->cfg.policing_rate ? pmds_polling(sp->dp) : 0;
		if (sp->police_on == sp->dp && sp->police_rate == sp->cfg.policing_rate &&
		    sp->police_burst == sp->cfg.policing_burst && sp->police_share == share)
			continue;
		if (sp->cfg.policing_rate != 0) {
			pol = dp_police_create(sp->cfg.policing_rate, sp->cfg.policing_burst,
					       share);
			if (pol == NULL) {
				/* the old policer (if any) stays; the next apply tries again */
				fprintf(stderr,
					"%skvswitchd: port '%s': cannot build the ingress policer "
					"(%u kbit/s, burst %u kbit, over %u PMDs): %s\n",
					journal_prefix(LOG_ERR), sp->name, sp->cfg.policing_rate,
					sp->cfg.policing_burst, share, strerror(errno));
				continue;
			}
		}
		dp_port_set_police(sp->dp, pol);
		sp->police_on = sp->dp;
		sp->police_rate = sp->cfg.policing_rate;
		sp->police_burst = sp->cfg.policing_burst;
		sp->police_share = share;
	}
}
