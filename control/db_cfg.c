/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db_cfg: the typed views of a validated configuration (db.h: db_ovs_cfg,
 * db_bridge_cfg, db_port_cfg), with every default filled in, that
 * control/apply.c reads.  The syntax and ranges they rely on are
 * db_schema.c's (db_validate ran first).  Control thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/db.h"
#include "control/db_priv.h"

static uint64_t get_uint(const struct smap *m, const char *key, uint64_t def)
{
	const char *v = smap_get(m, key);
	uint64_t u;

	return v && db_parse_uint(v, UINT64_MAX, &u) == 0 ? u : def;
}

void db_ovs_cfg(const struct db *db, struct db_ovs_cfg *out)
{
	const struct smap *m = &db->other_config;
	const char *v;

	memset(out, 0, sizeof(*out));
	v = smap_get(m, "pmd-cpu-mask");
	if (v == NULL || db_parse_mask(v, &out->pmd_cpu_mask) != 0)
		out->pmd_cpu_mask = 0;
	v = smap_get(m, "vhost-sock-dir");
	snprintf(out->vhost_sock_dir, sizeof(out->vhost_sock_dir), "%s",
		 v ? v : "/var/run/kvswitch");
	v = smap_get(m, "vhost-sock-group");
	snprintf(out->vhost_sock_group, sizeof(out->vhost_sock_group), "%s", v ? v : "");
	v = smap_get(m, "vhost-sock-mode");
	if (v == NULL || db_parse_mode(v, &out->vhost_sock_mode) != 0)
		out->vhost_sock_mode = -1;
	v = smap_get(m, "pmd-rxq-assign");
	snprintf(out->pmd_rxq_assign, sizeof(out->pmd_rxq_assign), "%s", v ? v : "cycles");
	v = smap_get(m, "pmd-rxq-isolate");
	out->pmd_rxq_isolate = v == NULL || strcmp(v, "false") != 0;
	v = smap_get(m, "pmd-auto-lb");
	out->pmd_auto_lb = v != NULL && strcmp(v, "true") == 0;
	out->pmd_auto_lb_load_threshold = (uint32_t)get_uint(m, "pmd-auto-lb-load-threshold", 95);
	out->pmd_auto_lb_improvement_threshold =
		(uint32_t)get_uint(m, "pmd-auto-lb-improvement-threshold", 25);
	out->pmd_auto_lb_rebal_interval = (uint32_t)get_uint(m, "pmd-auto-lb-rebal-interval", 1);
	out->pmd_auto_lb_rebal_interval_ms =
		(uint32_t)get_uint(m, "pmd-auto-lb-rebal-interval-ms", 0);
	out->pmd_sleep_max = (uint32_t)get_uint(m, "pmd-sleep-max", 0);
	out->n_mbufs = (uint32_t)get_uint(m, "n-mbufs", 65536);
	snprintf(out->metrics_address, sizeof(out->metrics_address), "%s",
		 smap_get(m, "metrics-address") ? smap_get(m, "metrics-address") : "");
}

void db_bridge_cfg(const struct db_bridge *br, struct db_bridge_cfg *out)
{
	const struct smap *m = &br->other_config;

	out->mac_aging_time = (uint32_t)get_uint(m, "mac-aging-time", 300);
	out->mac_table_size = (uint32_t)get_uint(m, "mac-table-size", 8192);
	out->mac_port_limit = (uint32_t)get_uint(m, "mac-port-limit", out->mac_table_size / 2);
}

void db_port_cfg(const struct db_port *p, struct db_port_cfg *out)
{
	const char *v;
	int type = db_schema_type_of(p->type);

	memset(out, 0, sizeof(*out));
	out->type = type < 0 ? DB_PORT_VHOST_SERVER : (enum db_port_type)type;
	v = smap_get(&p->options, "vhost-server-path");
	snprintf(out->server_path, sizeof(out->server_path), "%s", v ? v : "");
	v = smap_get(&p->options, "dpdk-devargs");
	snprintf(out->devargs, sizeof(out->devargs), "%s", v ? v : "");
	out->n_rxq = (uint16_t)get_uint(&p->options, "n_rxq", 1);
	out->n_rxq_desc = (uint16_t)get_uint(&p->options, "n_rxq_desc", 2048);
	out->n_txq_desc = (uint16_t)get_uint(&p->options, "n_txq_desc", 2048);
	out->tx_retries_max = (uint16_t)get_uint(&p->options, "tx-retries-max", 8);
	out->tx_hold_ms = (uint16_t)get_uint(&p->options, "tx-hold-ms", 100);
	v = smap_get(&p->options, "gro");
	out->gro = v != NULL && strcmp(v, "true") == 0;
	/* each needs the one before it: csum=false turns tso and ecn off too */
	out->offload_off = 0;
	v = smap_get(&p->options, "csum");
	out->offload_off |= v != NULL && strcmp(v, "false") == 0 ? DB_OFFLOAD_CSUM : 0;
	v = smap_get(&p->options, "tso");
	out->offload_off |= v != NULL && strcmp(v, "false") == 0 ? DB_OFFLOAD_TSO : 0;
	v = smap_get(&p->options, "ecn");
	out->offload_off |= v != NULL && strcmp(v, "false") == 0 ? DB_OFFLOAD_ECN : 0;
	out->tag = p->tag;
	out->native_vlan = 0;
	out->native_untagged = false;
	if (p->vlan_mode == DB_VLAN_MODE_NATIVE_TAGGED ||
	    p->vlan_mode == DB_VLAN_MODE_NATIVE_UNTAGGED) {
		/* a trunk that also carries its native VLAN */
		out->tag = 0;
		out->native_vlan = p->tag;
		out->native_untagged = p->vlan_mode == DB_VLAN_MODE_NATIVE_UNTAGGED;
	}
	if (out->tag != 0) {
		out->trunks[p->tag / 64] = 1ULL << (p->tag % 64);
	} else if (p->n_trunks == 0) {
		memset(out->trunks, 0xff, sizeof(out->trunks));
	} else {
		for (size_t i = 0; i < p->n_trunks; i++)
			if (p->trunks[i] < 4096)
				out->trunks[p->trunks[i] / 64] |= 1ULL << (p->trunks[i] % 64);
	}
	if (out->native_vlan != 0) {
		/* as OVS: the native VLAN is carried, and VLAN 0 is not (its
		 * frames would leave untagged, like the native VLAN's) */
		out->trunks[out->native_vlan / 64] |= 1ULL << (out->native_vlan % 64);
		out->trunks[0] &= ~1ULL;
	}
	out->mtu = p->mtu_request ? p->mtu_request : 1500;
	out->policing_rate = p->policing_rate;
	out->policing_burst = p->policing_burst;
	out->qos = p->qos;
	out->mac_limit = (uint32_t)get_uint(&p->other_config, "mac-limit", 0);
	v = smap_get(&p->options, "promiscuous");
	out->promiscuous = v == NULL || strcmp(v, "false") != 0;
	v = smap_get(&p->options, "rx-interrupts");
	out->rx_interrupts = v == NULL ? -1 : strcmp(v, "true") == 0;
	v = smap_get(&p->other_config, "attached-mac");
	if (v != NULL) {
		char why[DB_ERR_LEN];

		if (db_parse_macs(v, out->attached_macs, &out->n_attached_macs, why, sizeof(why)) !=
		    0)
			out->n_attached_macs = 0;
	}
	v = smap_get(&p->other_config, "pmd-rxq-affinity");
	if (v != NULL) {
		char why[DB_ERR_LEN];

		if (db_parse_affinity(v, out->affinity, &out->n_affinity, why, sizeof(why)) != 0)
			out->n_affinity = 0;
	}
}
