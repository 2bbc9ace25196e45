/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * telemetry: DPDK telemetry commands over a snapshot (telemetry.h).  The
 * snapshot is a flat copy (names and numbers, no pointers into the switch),
 * so a telemetry client never touches a port that the control thread may be
 * freeing.  Up to TELE_MAX_PORTS ports and DP_MAX_PMDS PMDs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_telemetry.h>

#include "control/state.h"
#include "control/telemetry.h"
#include "dataplane/drop.h"
#include "pmd/pmd.h"
#include "vhost-user/vhost_port.h"

#define TELE_MAX_PORTS DP_MAX_PORTS

struct tele_port {
	char name[32], bridge[32];
	struct dp_port_totals tot;
};

struct tele_pmd {
	unsigned int core;
	int numa;
	struct pmd_stats st;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tele_port *ports; /* TELE_MAX_PORTS */
static unsigned int n_ports;
static struct tele_pmd pmds[DP_MAX_PMDS];
static unsigned int n_pmds;
static time_t last;

void telemetry_refresh(void)
{
	time_t now = time(NULL);
	unsigned int n = 0;

	if (ports == NULL || now == last)
		return;
	last = now;
	pthread_mutex_lock(&lock);
	for (unsigned int i = 0; i < sw.n_ports && n < TELE_MAX_PORTS; i++) {
		const struct sw_port *sp = sw.ports[i];
		struct tele_port *t = &ports[n];

		if (sp->dp == NULL)
			continue;
		dp_port_totals(sp->dp, &t->tot);
		snprintf(t->name, sizeof(t->name), "%s", sp->name);
		snprintf(t->bridge, sizeof(t->bridge), "%s", sp->bridge);
		n++;
	}
	n_ports = n;
	n = 0;
	for (unsigned int s = 0; s < sw.n_pmd_slots; s++) {
		if (sw.pmds[s] == NULL)
			continue;
		pmds[n].core = sw.pmds[s]->core;
		pmds[n].numa = sw.pmds[s]->numa;
		pmd_stats_raw(sw.pmds[s], &pmds[n].st);
		n++;
	}
	n_pmds = n;
	pthread_mutex_unlock(&lock);
}

static int port_list(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	pthread_mutex_lock(&lock);
	for (unsigned int i = 0; i < n_ports; i++)
		rte_tel_data_add_array_string(d, ports[i].name);
	pthread_mutex_unlock(&lock);
	return 0;
}

static int port_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char key[64];
	int rc = -ENOENT;

	(void)cmd;
	if (params == NULL)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&lock);
	for (unsigned int i = 0; i < n_ports; i++) {
		const struct tele_port *t = &ports[i];
		const struct dp_port_totals *c = &t->tot;

		if (strcmp(t->name, params) != 0)
			continue;
		rte_tel_data_add_dict_string(d, "bridge", t->bridge);
		rte_tel_data_add_dict_u64(d, "rx_packets", c->rx_packets);
		rte_tel_data_add_dict_u64(d, "rx_bytes", c->rx_bytes);
		rte_tel_data_add_dict_u64(d, "tx_packets", c->tx_packets);
		rte_tel_data_add_dict_u64(d, "tx_bytes", c->tx_bytes);
		rte_tel_data_add_dict_u64(d, "tx_retries", c->tx_retries);
		rte_tel_data_add_dict_u64(d, "tx_held", c->tx_held);
		for (int r = 0; r < DP_DROP_MAX; r++) {
			snprintf(key, sizeof(key), "rx_drop_%s", dp_drop_name(r));
			rte_tel_data_add_dict_u64(d, key, c->rx_drops[r]);
			snprintf(key, sizeof(key), "tx_drop_%s", dp_drop_name(r));
			rte_tel_data_add_dict_u64(d, key, c->tx_drops[r]);
		}
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

static int pmd_list(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	pthread_mutex_lock(&lock);
	for (unsigned int i = 0; i < n_pmds; i++)
		rte_tel_data_add_array_int(d, (int)pmds[i].core);
	pthread_mutex_unlock(&lock);
	return 0;
}

static int pmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char *end;
	long core = params ? strtol(params, &end, 10) : -1;
	int rc = -ENOENT;

	(void)cmd;
	if (params == NULL || *end != '\0' || core < 0)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&lock);
	for (unsigned int i = 0; i < n_pmds; i++) {
		const struct tele_pmd *p = &pmds[i];

		if ((long)p->core != core)
			continue;
		rte_tel_data_add_dict_int(d, "numa", p->numa);
		rte_tel_data_add_dict_u64(d, "rx_packets", p->st.rx_packets);
		rte_tel_data_add_dict_u64(d, "iterations", p->st.iterations);
		rte_tel_data_add_dict_u64(d, "busy_polls", p->st.busy_polls);
		rte_tel_data_add_dict_u64(d, "busy_cycles", p->st.busy_cycles);
		rte_tel_data_add_dict_u64(d, "idle_cycles", p->st.idle_cycles);
		rte_tel_data_add_dict_u64(d, "sleep_cycles", p->st.sleep_cycles);
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

int telemetry_init(void)
{
	ports = calloc(TELE_MAX_PORTS, sizeof(*ports));
	if (ports == NULL)
		return -ENOMEM;
	if (rte_telemetry_register_cmd("/kvswitch/port_list", port_list,
				       "kvswitch's ports. Takes no parameters") < 0 ||
	    rte_telemetry_register_cmd(
		    "/kvswitch/port", port_stats,
		    "A kvswitch port's counters and drops. Parameters: port name") < 0 ||
	    rte_telemetry_register_cmd("/kvswitch/pmd_list", pmd_list,
				       "Cores of kvswitch's PMD threads. Takes no parameters") <
		    0 ||
	    rte_telemetry_register_cmd("/kvswitch/pmd", pmd_stats,
				       "A kvswitch PMD's counters. Parameters: core") < 0)
		return -EINVAL;
	return 0;
}
