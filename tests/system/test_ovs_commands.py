# SPDX-License-Identifier: BSD-3-Clause
"""Commands copied from Open vSwitch's documentation, run with the real ovs-vsctl and
ovs-appctl against kvswitchd in OVSDB mode, each with the effect it must have.

Sources: OVS's DPDK guides (howto/dpdk, topics/dpdk/{vhost-user, pmd, bridge}), the
EXAMPLES of ovs-vsctl(8), and the dpif-netdev, fdb, vlog and coverage commands of
ovs-appctl(8) / ovs-vswitchd(8).  Device names are the guides'; the PCI NIC is a
net_null vdev (no NIC to bind here), the client socket a path of the test."""
import re

import pytest

from test_ovsdb import osw, ovsdb  # noqa: F401 (fixtures)


def show(sw):
    return sw.json("show")


def port(sw, name):
    for br in show(sw)["bridges"]:
        for p in br["ports"]:
            if p["name"] == name:
                return p
    return None


def other_config(sw):
    return show(sw)["other_config"]


def has(text):
    return lambda sw, out: text in out


def ovs_key(key, value):
    return lambda sw, out: other_config(sw).get(key) == value


def port_col(name, col, value):
    return lambda sw, out: port(sw, name)[col] == value


def port_map(name, col, key, value):
    return lambda sw, out: port(sw, name)[col].get(key) == value


def commands(tmp):
    client = f"{tmp}/dpdkvhostclient0"
    V, A = "ovs-vsctl", "ovs-appctl"
    return [
        # ---- howto/dpdk and intro/install/dpdk ----
        (V, "--no-wait set Open_vSwitch . other_config:dpdk-init=true", None),
        (V, "--no-wait set Open_vSwitch . other_config:dpdk-socket-mem=1024,0", None),
        (V, "--no-wait set Open_vSwitch . other_config:dpdk-lcore-mask=0x1", None),
        (V, "get Open_vSwitch . dpdk_initialized", has("true")),
        (V, "get Open_vSwitch . dpdk_version", has("DPDK 22.11")),
        (V, "set Open_vSwitch . other_config:pmd-cpu-mask=0x2", ovs_key("pmd-cpu-mask", "0x2")),
        (V, "add-br br0 -- set bridge br0 datapath_type=netdev",
         lambda sw, out: [b["name"] for b in show(sw)["bridges"]] == ["br0"]),
        (V, "get bridge br0 datapath_type", has("netdev")),
        (V, "add-port br0 dpdk-p0 -- set Interface dpdk-p0 type=dpdk "
            "options:dpdk-devargs=net_null0", port_col("dpdk-p0", "type", "dpdk")),
        (V, "get Interface dpdk-p0 error", has("[]")),
        (V, "set Interface dpdk-p0 options:n_rxq=2",
         lambda sw, out: sw.port_status("dpdk-p0")["n_rxq"] == 2),
        (V, "set Interface dpdk-p0 options:n_rxq_desc=1024",
         port_map("dpdk-p0", "options", "n_rxq_desc", "1024")),
        (V, "set Interface dpdk-p0 options:n_txq_desc=1024",
         port_map("dpdk-p0", "options", "n_txq_desc", "1024")),
        (V, "set Interface dpdk-p0 mtu_request=9000", port_col("dpdk-p0", "mtu_request", 9000)),
        (V, "get Interface dpdk-p0 mtu", has("9000")),
        (V, "set Interface dpdk-p0 other_config:pmd-rxq-affinity=0:1",
         port_map("dpdk-p0", "other_config", "pmd-rxq-affinity", "0:1")),
        # ---- topics/dpdk/vhost-user ----
        (V, "add-port br0 dpdkvhostuser0 -- set Interface dpdkvhostuser0 type=dpdkvhostuser",
         lambda sw, out: (sw.rundir / "dpdkvhostuser0").is_socket()),
        (V, "add-port br0 dpdkvhostuser1 -- set Interface dpdkvhostuser1 type=dpdkvhostuser",
         lambda sw, out: (sw.rundir / "dpdkvhostuser1").is_socket()),
        (V, "add-port br0 dpdkvhostuserclient0 -- set Interface dpdkvhostuserclient0 "
            f"type=dpdkvhostuserclient options:vhost-server-path={client}",
         port_map("dpdkvhostuserclient0", "options", "vhost-server-path", client)),
        (V, "set Interface dpdkvhostuserclient0 options:tx-retries-max=0",
         port_map("dpdkvhostuserclient0", "options", "tx-retries-max", "0")),
        (V, "set Interface dpdkvhostuser0 mtu_request=1500",
         port_col("dpdkvhostuser0", "mtu_request", 1500)),
        (V, "get Interface dpdkvhostuser0 status", has("mode=server")),
        (V, "get Interface dpdkvhostuserclient0 status", has("mode=client")),
        (V, "set Open_vSwitch . other_config:vhost-iommu-support=true", None),
        (V, "set Open_vSwitch . other_config:vhost-postcopy-support=true", None),
        (V, "set Open_vSwitch . other_config:userspace-tso-enable=true", None),
        (V, "set Interface dpdkvhostuser0 options:tso=false",
         port_map("dpdkvhostuser0", "options", "tso", "false")),
        (V, "list Interface dpdkvhostuser0",
         lambda sw, out: re.search(r"^name\s+: dpdkvhostuser0$", out, re.M)),
        # ---- topics/dpdk/qos: rate limiting (ingress policing) ----
        (V, "set interface dpdkvhostuser0 ingress_policing_rate=368000 "
            "ingress_policing_burst=1000",
         lambda sw, out: (port(sw, "dpdkvhostuser0")["ingress_policing_rate"],
                          port(sw, "dpdkvhostuser0")["ingress_policing_burst"]) == (368000, 1000)),
        (V, "list interface dpdkvhostuser0",
         lambda sw, out: re.search(r"^ingress_policing_rate\s*: 368000$", out, re.M)),
        (V, "set interface dpdkvhostuser0 ingress_policing_rate=0",
         port_col("dpdkvhostuser0", "ingress_policing_rate", 0)),
        # ---- topics/dpdk/pmd ----
        (V, "set Open_vSwitch . other_config:pmd-rxq-assign=roundrobin",
         ovs_key("pmd-rxq-assign", "roundrobin")),
        (V, "set Open_vSwitch . other_config:pmd-rxq-assign=cycles",
         ovs_key("pmd-rxq-assign", "cycles")),
        (V, "set Open_vSwitch . other_config:pmd-rxq-assign=group",
         ovs_key("pmd-rxq-assign", "group")),
        (V, "set Open_vSwitch . other_config:pmd-rxq-isolate=false",
         ovs_key("pmd-rxq-isolate", "false")),
        (V, "set Open_vSwitch . other_config:pmd-auto-lb=true", ovs_key("pmd-auto-lb", "true")),
        (V, "set Open_vSwitch . other_config:pmd-auto-lb-load-threshold=70",
         ovs_key("pmd-auto-lb-load-threshold", "70")),
        (V, "set Open_vSwitch . other_config:pmd-auto-lb-improvement-threshold=50",
         ovs_key("pmd-auto-lb-improvement-threshold", "50")),
        (V, "set Open_vSwitch . other_config:pmd-auto-lb-rebal-interval=5",
         ovs_key("pmd-auto-lb-rebal-interval", "5")),
        (V, "set Open_vSwitch . other_config:pmd-maxsleep=50",
         lambda sw, out: sw.json("pmd-stats-show")[0]["sleep_max_us"] == 50),
        (A, "dpif-netdev/pmd-rxq-show", has("dpdk-p0")),
        (A, "dpif-netdev/pmd-stats-show", has("pmd thread numa_id")),
        (A, "dpif-netdev/pmd-stats-clear", None),
        (A, "dpif-netdev/pmd-rxq-rebalance", has("rebalanced")),
        (V, "remove Open_vSwitch . other_config pmd-auto-lb",
         lambda sw, out: "pmd-auto-lb" not in other_config(sw)),
        (V, "set Interface dpdk-p0 options:n_rxq=1",
         lambda sw, out: sw.port_status("dpdk-p0")["n_rxq"] == 1),
        (V, "remove Interface dpdk-p0 other_config pmd-rxq-affinity",
         lambda sw, out: "pmd-rxq-affinity" not in port(sw, "dpdk-p0")["other_config"]),
        (V, "set Open_vSwitch . other_config:pmd-cpu-mask=0x2", ovs_key("pmd-cpu-mask", "0x2")),
        # ---- ovs-vsctl(8) ----
        (V, "list-br", has("br0")),
        (V, "br-exists br0", None),
        (V, "list-ports br0", has("dpdkvhostuser0")),
        (V, "list-ifaces br0", has("dpdkvhostuserclient0")),
        (V, "port-to-br dpdkvhostuser0", has("br0")),
        (V, "iface-to-br dpdkvhostuser0", has("br0")),
        (V, "set port dpdkvhostuser0 tag=10", port_col("dpdkvhostuser0", "tag", 10)),
        (V, "set port dpdkvhostuser1 trunks=10,20", port_col("dpdkvhostuser1", "trunks", [10, 20])),
        (V, "add port dpdkvhostuser1 trunks 30",
         port_col("dpdkvhostuser1", "trunks", [10, 20, 30])),
        (V, "remove port dpdkvhostuser1 trunks 20", port_col("dpdkvhostuser1", "trunks", [10, 30])),
        (V, "clear port dpdkvhostuser1 trunks", port_col("dpdkvhostuser1", "trunks", [])),
        (V, "set port dpdkvhostuser1 tag=20 vlan_mode=native-untagged",
         port_col("dpdkvhostuser1", "vlan_mode", "native-untagged")),
        (V, "remove port dpdkvhostuser0 tag 10", port_col("dpdkvhostuser0", "tag", None)),
        (V, "set bridge br0 other_config:mac-aging-time=600",
         lambda sw, out: show(sw)["bridges"][0]["other_config"]["mac-aging-time"] == "600"),
        (V, "set bridge br0 other_config:mac-table-size=4096",
         lambda sw, out: show(sw)["bridges"][0]["other_config"]["mac-table-size"] == "4096"),
        (V, "br-set-external-id br0 bridge-id br0", None),
        (V, "br-get-external-id br0", has("bridge-id=br0")),
        (V, "set Interface dpdkvhostuser0 external_ids:iface-id=port-abc", None),
        (V, "--columns=name,ofport list Interface", has("dpdkvhostuser0")),
        (V, "--bare --columns=name find Interface type=dpdkvhostuser",
         lambda sw, out: sorted(out.split()) == ["dpdkvhostuser0", "dpdkvhostuser1"]),
        (V, "get Interface dpdkvhostuser0 ofport", lambda sw, out: int(out) >= 1),
        (V, "get Interface dpdkvhostuser0 statistics", has("rx_packets=0")),
        (V, "get Interface dpdkvhostuser0 link_state", has("down")),
        (V, "get Interface dpdkvhostuser0 admin_state", has("up")),
        (V, "--may-exist add-br br0", None),
        (V, "--may-exist add-port br0 dpdkvhostuser0", None),
        (V, "--if-exists del-port br0 nosuchport", None),
        (V, "add-br br1 -- set bridge br1 datapath_type=netdev",
         lambda sw, out: len(show(sw)["bridges"]) == 2),
        (V, "add-port br1 vhu-b1 -- set Interface vhu-b1 type=dpdkvhostuser",
         lambda sw, out: port(sw, "vhu-b1") is not None),
        (V, "del-port br1 vhu-b1",
         lambda sw, out: port(sw, "vhu-b1") is None and not (sw.rundir / "vhu-b1").exists()),
        (V, "del-br br1", lambda sw, out: len(show(sw)["bridges"]) == 1),
        (V, "show", has("Bridge br0")),
        (V, "set Interface dpdkvhostuser0 options:no-such-option=1",
         lambda sw, out: "ignored: Interface dpdkvhostuser0 options:no-such-option"
         in sw.log_text()),
        # ---- ovs-appctl: fdb, vlog, coverage, dpctl, memory ----
        (A, "fdb/show br0", has("port")),
        (A, "fdb/flush br0", None),
        (A, "fdb/flush", None),
        (A, "fdb/stats-show br0", lambda sw, out: "entries" in out.lower()),
        (A, "fdb/stats-clear br0",
         lambda sw, out: sw.json("fdb/stats-show", "br0")["learned"] == 0),
        (A, "vlog/list", has("lib.vhost.config")),
        (A, "vlog/set ANY:info", None),
        (A, "vlog/set lib.vhost.config:console:dbg",
         lambda sw, out: sw.log_text() is not None),
        (A, "vlog/set lib.vhost.config:info", None),
        (A, "coverage/show", has("drop_")),
        (A, "memory/show", lambda sw, out: "mbuf" in out.lower()),
        (A, "dpctl/show", has("dpdkvhostuser0")),
        (A, "dpctl/show -s", has("RX packets")),
        (A, "list-commands", has("dpif-netdev/pmd-stats-show")),
        (A, "version", has("kvswitchd")),
        (V, "del-port dpdk-p0", lambda sw, out: port(sw, "dpdk-p0") is None),
        (V, "del-port br0 dpdkvhostuserclient0",
         lambda sw, out: port(sw, "dpdkvhostuserclient0") is None),
    ]


def test_ovs_documentation_commands(osw, tmp_path):  # noqa: F811
    cmds = commands(tmp_path)
    assert len(cmds) >= 80
    for tool, line, check in cmds:
        args = line.split()
        r = (osw.ovs_vsctl if tool == "ovs-vsctl" else osw.ovs_appctl)(*args, check=False)
        assert r.returncode == 0, f"{tool} {line} -> rc {r.returncode}: {r.stderr}"
        assert "Error detected" not in r.stderr, f"{tool} {line}: {r.stderr}"
        if check is not None:
            # ovs-appctl and ovs-vsctl --no-wait writes are not waited for
            osw.wait_for(lambda: check(osw, r.stdout), timeout=10,
                         what=f"the effect of {tool} {line} (output: {r.stdout[:300]!r})")
    r = osw.ovs_vsctl("br-exists", "br9", check=False)
    assert r.returncode == 2
    assert osw.alive()
