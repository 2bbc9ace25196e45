/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * metrics_text: every counter kvsctl shows, in Prometheus's text exposition
 * format (metrics.h): ports and their rx queues, every drop reason as a
 * label, PMD cycles, MAC tables, mbuf pools and vhost connections.  Names
 * follow Prometheus's conventions: kvswitch_ prefix, _total on counters,
 * units in the name; one HELP and TYPE per family, samples grouped under
 * it.  Control thread only; counters are read while PMDs write them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "control/metrics.h"
#include "control/state.h"
#include "dataplane/bridge.h"
#include "dataplane/drop.h"
#include "dataplane/ethdev_port.h"
#include "dataplane/fdb.h"
#include "dataplane/pktmbuf.h"
#include "pmd/pmd.h"
#include "vhost-user/vhost_port.h"

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* {bridge="br0",port="vm1"}: names are [A-Za-z0-9_.-], nothing to escape */
static void port_labels(FILE *f, const struct sw_port *sp)
{
	fprintf(f, "{bridge=\"%s\",port=\"%s\"", sp->bridge, sp->name);
}

/* One counter per port: the uint64_t at offset off of its totals. */
static void port_family(FILE *f, const struct dp_port_totals *tot, const char *name,
			const char *help, size_t off)
{
	family(f, name, "counter", help);
	for (unsigned int i = 0; i < sw.n_ports; i++) {
		const struct sw_port *sp = sw.ports[i];

		if (sp->dp == NULL)
			continue;
		fputs(name, f);
		port_labels(f, sp);
		fprintf(f, "} %lu\n", *(const uint64_t *)((const char *)&tot[i] + off));
	}
}

static void ports(FILE *f)
{
	struct dp_port_totals *tot = calloc(sw.n_ports ? sw.n_ports : 1, sizeof(*tot));
	unsigned int i;

	if (tot == NULL)
		return;
	for (i = 0; i < sw.n_ports; i++)
		if (sw.ports[i]->dp != NULL)
			dp_port_totals(sw.ports[i]->dp, &tot[i]);
	port_family(f, tot, "kvswitch_port_rx_packets_total", "Frames received by the port.",
		    offsetof(struct dp_port_totals, rx_packets));
	port_family(f, tot, "kvswitch_port_rx_bytes_total", "Bytes received by the port.",
		    offsetof(struct dp_port_totals, rx_bytes));
	port_family(f, tot, "kvswitch_port_tx_packets_total", "Frames sent by the port.",
		    offsetof(struct dp_port_totals, tx_packets));
	port_family(f, tot, "kvswitch_port_tx_bytes_total", "Bytes sent by the port.",
		    offsetof(struct dp_port_totals, tx_bytes));
	port_family(f, tot, "kvswitch_port_tx_retries_total",
		    "Retries of sends the guest ring or device queue did not take at once.",
		    offsetof(struct dp_port_totals, tx_retries));
	port_family(f, tot, "kvswitch_port_tx_held_total",
		    "Frames a full guest ring refused that went into the port's hold (some may "
		    "expire later).",
		    offsetof(struct dp_port_totals, tx_held));
	family(f, "kvswitch_port_dropped_total", "counter",
	       "Frames dropped, by direction and named reason (kvsctl drop-reasons).");
	for (i = 0; i < sw.n_ports; i++) {
		if (sw.ports[i]->dp == NULL)
			continue;
		for (int r = 0; r < DP_DROP_MAX; r++) {
			fputs("kvswitch_port_dropped_total", f);
			port_labels(f, sw.ports[i]);
			fprintf(f, ",direction=\"rx\",reason=\"%s\"} %lu\n", dp_drop_name(r),
				tot[i].rx_drops[r]);
			fputs("kvswitch_port_dropped_total", f);
			port_labels(f, sw.ports[i]);
			fprintf(f, ",direction=\"tx\",reason=\"%s\"} %lu\n", dp_drop_name(r),
				tot[i].tx_drops[r]);
		}
	}
	free(tot);

	family(f, "kvswitch_port_rxq_packets_total", "counter", "Frames received, per rx queue.");
	for (i = 0; i < sw.n_ports; i++) {
		const struct sw_port *sp = sw.ports[i];

		for (unsigned int q = 0; sp->dp != NULL && q < DP_MAX_QUEUES; q++) {
			if (sp->dp->rxq[q].packets == 0 && q >= sp->dp->n_rxq)
				continue;
			fputs("kvswitch_port_rxq_packets_total", f);
			port_labels(f, sp);
			fprintf(f, ",queue=\"%u\"} %lu\n", q, sp->dp->rxq[q].packets);
		}
	}
	family(f, "kvswitch_port_up", "gauge",
	       "1 when the port can carry frames: a guest connected (vhost) or the link up "
	       "(dpdk); 0 otherwise, also for a port that could not be opened.");
	for (i = 0; i < sw.n_ports; i++) {
		const struct sw_port *sp = sw.ports[i];
		bool up = false;

		if (sp->dp != NULL && sp->dp->kind == DP_PORT_VHOST) {
			struct vhost_port_info vi;

			vhost_port_info(sp->dp, &vi);
			up = vi.connected;
		} else if (sp->dp != NULL) {
			struct ethdev_port_info ei;

			ethdev_port_info(sp->dp, &ei);
			up = ei.link_up;
		}
		fputs("kvswitch_port_up", f);
		port_labels(f, sp);
		fprintf(f, "} %d\n", up);
	}
}

static void pmds(FILE *f)
{
	static const char *const states[] = {"busy", "idle", "sleep"};
	double hz = (double)rte_get_tsc_hz();
	struct pmd_stats st[DP_MAX_PMDS];
	unsigned int s;

	for (s = 0; s < sw.n_pmd_slots; s++)
		if (sw.pmds[s])
			pmd_stats_raw(sw.pmds[s], &st[s]);
	family(f, "kvswitch_pmd_seconds_total", "counter",
	       "Time each PMD spent busy (polls that returned frames, and their switching), "
	       "idle (empty polls) and asleep (pmd-sleep-max).");
	for (s = 0; s < sw.n_pmd_slots; s++) {
		const struct pmd *p = sw.pmds[s];
		const uint64_t cyc[] = {st[s].busy_cycles, st[s].idle_cycles, st[s].sleep_cycles};

		for (unsigned int k = 0; p && k < RTE_DIM(states); k++)
			fprintf(f,
				"kvswitch_pmd_seconds_total{core=\"%u\",numa=\"%d\",state=\"%s\"} "
				"%.9f\n",
				p->core, p->numa, states[k], (double)cyc[k] / hz);
	}
	family(f, "kvswitch_pmd_rx_packets_total", "counter", "Frames the PMD received.");
	for (s = 0; s < sw.n_pmd_slots; s++)
		if (sw.pmds[s])
			fprintf(f, "kvswitch_pmd_rx_packets_total{core=\"%u\"} %lu\n",
				sw.pmds[s]->core, st[s].rx_packets);
	family(f, "kvswitch_pmd_busy_polls_total", "counter",
	       "Polls that returned frames (rx_packets / busy_polls: packets per poll).");
	for (s = 0; s < sw.n_pmd_slots; s++)
		if (sw.pmds[s])
			fprintf(f, "kvswitch_pmd_busy_polls_total{core=\"%u\"} %lu\n",
				sw.pmds[s]->core, st[s].busy_polls);
	family(f, "kvswitch_pmd_iterations_total", "counter", "Turns of the PMD's loop.");
	for (s = 0; s < sw.n_pmd_slots; s++)
		if (sw.pmds[s])
			fprintf(f, "kvswitch_pmd_iterations_total{core=\"%u\"} %lu\n",
				sw.pmds[s]->core, st[s].iterations);
	family(f, "kvswitch_pmd_sleeps_total", "counter",
	       "Idle sleeps (pmd-sleep-max), and of those the ones a guest's kick or a device's rx "
	       "interrupt ended (ended=\"kick\"; the others ran to their timer).");
	for (s = 0; s < sw.n_pmd_slots; s++)
		if (sw.pmds[s])
			fprintf(f,
				"kvswitch_pmd_sleeps_total{core=\"%u\",ended=\"timer\"} %lu\n"
				"kvswitch_pmd_sleeps_total{core=\"%u\",ended=\"kick\"} %lu\n",
				sw.pmds[s]->core, st[s].sleeps - st[s].kick_wakes, sw.pmds[s]->core,
				st[s].kick_wakes);
}

static void fdbs(FILE *f)
{
	static const char *const names[] = {"learned", "moved", "aged"};
	static const char *const refused[] = {"table_full", "port_limit", "bucket_full",
					      "request_lost"};
	struct fdb_stats st[SW_MAX_BRIDGES];
	unsigned int b;

	for (b = 0; b < SW_MAX_BRIDGES; b++)
		if (sw.bridges[b])
			fdb_stats_get(sw.bridges[b]->dp->fdb, &st[b]);
	family(f, "kvswitch_fdb_entries", "gauge", "MAC addresses in the bridge's table.");
	for (b = 0; b < SW_MAX_BRIDGES; b++)
		if (sw.bridges[b])
			fprintf(f, "kvswitch_fdb_entries{bridge=\"%s\"} %u\n", sw.bridges[b]->name,
				st[b].entries);
	family(f, "kvswitch_fdb_capacity", "gauge", "mac-table-size of the bridge.");
	for (b = 0; b < SW_MAX_BRIDGES; b++)
		if (sw.bridges[b])
			fprintf(f, "kvswitch_fdb_capacity{bridge=\"%s\"} %u\n", sw.bridges[b]->name,
				sw.bridges[b]->cfg.mac_table_size);
	family(f, "kvswitch_fdb_events_total", "counter",
	       "MAC table events: addresses learned, moved to another port, aged out.");
	for (b = 0; b < SW_MAX_BRIDGES; b++) {
		const uint64_t v[] = {st[b].learned, st[b].moved, st[b].aged};

		for (unsigned int k = 0; sw.bridges[b] && k < RTE_DIM(names); k++)
			fprintf(f, "kvswitch_fdb_events_total{bridge=\"%s\",event=\"%s\"} %lu\n",
				sw.bridges[b]->name, names[k], v[k]);
	}
	family(f, "kvswitch_fdb_refused_total", "counter",
	       "New MAC addresses not learned, by reason (the table's overflow).");
	for (b = 0; b < SW_MAX_BRIDGES; b++) {
		const uint64_t v[] = {st[b].refused_full, st[b].refused_limit, st[b].refused_chain,
				      st[b].requests_lost};

		for (unsigned int k = 0; sw.bridges[b] && k < RTE_DIM(refused); k++)
			fprintf(f, "kvswitch_fdb_refused_total{bridge=\"%s\",reason=\"%s\"} %lu\n",
				sw.bridges[b]->name, refused[k], v[k]);
	}
}

static void pools(FILE *f)
{
	struct dp_pool_info pi[RTE_MAX_NUMA_NODES];
	unsigned int n = dp_pool_list(pi, RTE_DIM(pi)), i;

	family(f, "kvswitch_mbufs_in_use", "gauge", "mbufs of the NUMA node's pool in use.");
	for (i = 0; i < n; i++)
		fprintf(f, "kvswitch_mbufs_in_use{numa=\"%d\"} %u\n", pi[i].numa, pi[i].in_use);
	family(f, "kvswitch_mbufs", "gauge", "mbufs in the NUMA node's pool (n-mbufs).");
	for (i = 0; i < n; i++)
		fprintf(f, "kvswitch_mbufs{numa=\"%d\"} %u\n", pi[i].numa, pi[i].size);
}

char *metrics_text(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	ports(f);
	pmds(f);
	fdbs(f);
	pools(f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
