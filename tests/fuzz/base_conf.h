/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration the control-plane targets start every input from: one
 * port of each type and a second bridge, so edits of existing records, moves
 * and deletions are reachable in one step.
 */
#ifndef KVS_TEST_FUZZ_BASE_CONF_H
#define KVS_TEST_FUZZ_BASE_CONF_H

static const char fuzz_base_conf[] = "open_vswitch:\n"
				     "  other_config:\n"
				     "    pmd-cpu-mask: \"0x6\"\n"
				     "    vhost-sock-dir: /tmp/kvs-fuzz\n"
				     "    vhost-sock-mode: \"0660\"\n"
				     "    pmd-auto-lb: true\n"
				     "bridges:\n"
				     "  br0:\n"
				     "    other_config:\n"
				     "      mac-table-size: 1024\n"
				     "    ports:\n"
				     "      vm1:\n"
				     "        type: dpdkvhostuser\n"
				     "        tag: 10\n"
				     "        filter:\n"
				     "          ingress-rules: allow src 52:54:00:00:00:01\n"
				     "          ingress-default: deny\n"
				     "      vm2:\n"
				     "        type: dpdkvhostuserclient\n"
				     "        options:\n"
				     "          vhost-server-path: /tmp/kvs-fuzz/vm2.sock\n"
				     "        trunks: [10, 20]\n"
				     "      up0:\n"
				     "        type: dpdk\n"
				     "        options:\n"
				     "          dpdk-devargs: net_null0\n"
				     "          n_rxq: 2\n"
				     "        other_config:\n"
				     "          pmd-rxq-affinity: \"0:1,1:2\"\n"
				     "          attached-mac: 52:54:00:00:00:01\n"
				     "        mtu_request: 9000\n"
				     "  br1: {}\n";

#endif
