/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checks of a configuration that passed db_validate, shared by the
 * control-plane targets (fuzz_rpc, fuzz_values, fuzz_conf): the typed views
 * control/apply.c reads are in range, and the YAML text kvswitchd saves loads
 * back to the same text (what it saves, it can start from).
 */
#ifndef KVS_TEST_FUZZ_DB_CHECKS_H
#define KVS_TEST_FUZZ_DB_CHECKS_H

#include "control/db.h"
#include "control/filter_cfg.h"
#include "tests/fuzz/fuzz.h"

/* The typed views apply reads hold values in their documented ranges. */
static inline void fuzz_check_views(const struct db *db)
{
	struct db_ovs_cfg o;

	db_ovs_cfg(db, &o);
	if (o.pmd_sleep_max > 10000 || o.n_mbufs < 4096 || o.n_mbufs > 1048576 ||
	    o.vhost_sock_dir[0] != '/' || o.vhost_sock_mode > 0777 ||
	    o.pmd_auto_lb_load_threshold < 10 || o.pmd_auto_lb_load_threshold > 100)
		fuzz_fail("Open_vSwitch view out of range after validation");
	for (size_t i = 0; i < db->n_bridges; i++) {
		const struct db_bridge *b = db->bridges[i];
		struct db_bridge_cfg bc;

		db_bridge_cfg(b, &bc);
		if (bc.mac_table_size < 16 || bc.mac_aging_time < 1 ||
		    bc.mac_port_limit > bc.mac_table_size)
			fuzz_fail("bridge '%s' view out of range after validation", b->name);
		for (size_t j = 0; j < b->n_ports; j++) {
			const struct db_port *p = b->ports[j];
			struct db_port_cfg pc;

			db_port_cfg(p, &pc);
			if (pc.tag > 4094 || pc.mtu < 68 || pc.mtu > 9710 || pc.n_rxq < 1 ||
			    pc.n_rxq > 1024 || pc.n_affinity > DB_MAX_AFFINITY ||
			    pc.n_attached_macs > DB_MAX_ATTACHED_MACS || pc.tx_retries_max > 32 ||
			    pc.tx_hold_ms > 10000 || (pc.n_rxq_desc & (pc.n_rxq_desc - 1)) ||
			    pc.n_rxq_desc < 32 || pc.n_rxq_desc > 4096)
				fuzz_fail("port '%s' view out of range after validation", p->name);
			for (unsigned int k = 0; k < pc.n_attached_macs; k++)
				if (pc.attached_macs[k][0] & 1)
					fuzz_fail("port '%s': multicast attached-mac", p->name);
			for (int d = 0; d < FILTER_DIR_MAX; d++) {
				struct filter_rules r;
				if (filter_cfg_rules(&p->filter, d, &r) == FILTER_CFG_RULES &&
				    r.n > FILTER_MAX_RULES)
					fuzz_fail("port '%s': %u rules", p->name, r.n);
			}
		}
	}
}

/* What conf_save writes loads back, and dumps to the same text. */
static inline void fuzz_check_reload(const struct db *db)
{
	char err[DB_ERR_LEN];
	char *a = conf_dump(db), *b;
	struct db *again;

	if (a == NULL)
		fuzz_fail("conf_dump failed");
	again = conf_load_string(a, "saved", err, sizeof(err));
	if (again == NULL)
		fuzz_fail("a valid configuration's dump does not load: %s\n%s", err, a);
	b = conf_dump(again);
	if (b == NULL || strcmp(a, b) != 0)
		fuzz_fail("dump, load, dump differs:\n%s\n----\n%s", a, b ? b : "(null)");
	free(a);
	free(b);
	db_destroy(again);
}

#endif
