# SPDX-License-Identifier: BSD-3-Clause
"""kvswitchd in OVSDB mode, driven by Open vSwitch's own ovs-vsctl against a
real ovsdb-server: bridges and vhost-user ports built with commands from
OVS's DPDK guides carry virtio-user guests' frames; the columns ovs-vswitchd
writes (ofport, link_state, status, statistics, error, cur_cfg) tell the
truth; a change kvswitch cannot run is refused for its interface alone; the
database going away and kvswitchd restarting lose nothing."""
import os
import subprocess
import time

import pytest

from conftest import need_hugepages, running
from kvs import NO_HUGE, Switch
from ovs_tools import OvsdbServer, OvsSwitch, need_ovs
from test_switching import BCAST, MAC, expect_rx, rx_from, settle, wait_learned


@pytest.fixture
def ovsdb(tmp_path):
    need_ovs()
    srv = OvsdbServer(tmp_path).start()
    yield srv
    srv.stop()


@pytest.fixture
def osw(tmp_path, ovsdb):
    need_hugepages()
    ovs = OvsSwitch(tmp_path, ovsdb)
    ovs.ovs_vsctl("--no-wait", "init")
    yield from running(ovs)


def attach(sw, guests, names):
    gs = {}
    for i, n in enumerate(names, 1):
        gs[n] = guests(sw.sock(n), MAC[i], gid=i, name=n)
    for n in names:
        gs[n].link()
        sw.wait_connected(n)
    return gs


def vhost_bridge(sw, names=("vm1", "vm2")):
    # the first line of OVS's DPDK guide, then its vhost-user section
    sw.ovs_vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
    for n in names:
        sw.ovs_vsctl("add-port", "br0", n, "--", "set", "Interface", n, "type=dpdkvhostuser")


def test_ovs_vsctl_builds_the_bridge_guests_forward(osw, guests):
    vhost_bridge(osw)
    # ovs-vsctl without --no-wait returned: the change already runs
    assert (osw.rundir / "vm1").is_socket() and (osw.rundir / "vm2").is_socket()
    assert osw.get("Open_vSwitch", ".", "cur_cfg") == osw.get("Open_vSwitch", ".", "next_cfg")
    show = osw.json("show")
    assert [p["name"] for p in show["bridges"][0]["ports"]] == ["vm1", "vm2"]
    assert osw.get("Interface", "vm1", "ofport") not in ("-1", "[]")
    assert osw.get("Open_vSwitch", ".", "dpdk_initialized") == "true"
    assert "DPDK 22.11" in osw.get("Open_vSwitch", ".", "dpdk_version")
    assert osw.get("Interface", "vm1", "link_state") == "down"

    g = attach(osw, guests, ["vm1", "vm2"])
    g["vm1"].send(dst=BCAST, count=50)
    g["vm2"].send(dst=MAC[1], count=20)
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 50)
    expect_rx(g["vm1"], MAC[2], 20)

    # status and statistics are written back within the refresh interval
    def written():
        st = osw.ovs_map("Interface", "vm1", "statistics")
        return st.get("rx_packets") == 50 and st.get("tx_packets") == 20
    osw.wait_for(written, timeout=15, what="vm1 statistics in the database")
    kvs = osw.port_stats("vm1")
    st = osw.ovs_map("Interface", "vm1", "statistics")
    assert (st["rx_packets"], st["tx_packets"]) == (kvs["rx_packets"], kvs["tx_packets"])
    assert st["rx_bytes"] == kvs["rx_bytes"] and st["rx_dropped"] == 0
    assert "rx_vlan_not_allowed" in st  # every named drop reason is a statistic
    assert osw.get("Interface", "vm1", "link_state") == "up"
    status = osw.ovs_map("Interface", "vm1", "status")
    assert status["mode"] == "server" and status["status"] == "connected"
    assert status["socket"] == str(osw.rundir / "vm1")


def test_bad_interface_is_refused_alone(osw, guests):
    vhost_bridge(osw)
    g = attach(osw, guests, ["vm1", "vm2"])
    # a device that does not exist: ovs-vsctl reports it the way OVS does
    r = osw.ovs_vsctl("add-port", "br0", "dpdk0", "--", "set", "Interface", "dpdk0",
                      "type=dpdk", "options:dpdk-devargs=0000:99:00.0", check=False)
    assert "Error detected while setting up 'dpdk0'" in r.stderr, r.stderr
    assert "0000:99:00.0" in osw.get("Interface", "dpdk0", "error")
    assert osw.get("Interface", "dpdk0", "ofport") == "-1"
    # an option out of range on a running port: it keeps running as it was
    osw.ovs_vsctl("set", "Interface", "vm1", "options:tx-retries-max=99")
    err = osw.get("Interface", "vm1", "error")
    assert "tx-retries-max" in err and "99" in err, err
    assert osw.port_status("vm1")["connected"]
    # it runs as it was, and the database says so besides the error
    assert osw.get("Interface", "vm1", "ofport") != "-1"
    osw.wait_for(lambda: osw.get("Interface", "vm1", "link_state") == "up", what="link up")
    # a port that conflicts with a running one is the one refused
    sock = osw.dir / "qemu-vmb.sock"
    osw.ovs_vsctl("add-port", "br0", "vmb", "--", "set", "Interface", "vmb",
                  "type=dpdkvhostuserclient", f"options:vhost-server-path={sock}")
    vmb_ofport = osw.get("Interface", "vmb", "ofport")
    osw.ovs_vsctl("add-port", "br0", "vma", "--", "set", "Interface", "vma",
                  "type=dpdkvhostuserclient", f"options:vhost-server-path={sock}", check=False)
    assert "already used by port" in osw.get("Interface", "vma", "error")
    assert osw.get("Interface", "vmb", "error") == "[]"
    assert osw.get("Interface", "vmb", "ofport") == vmb_ofport
    assert osw.port_status("vmb")["mode"] == "client"
    osw.ovs_vsctl("del-port", "vma")
    osw.ovs_vsctl("del-port", "vmb")
    # a bridge that cannot be created names itself on its interfaces
    long_name = "b" * 40
    osw.ovs_vsctl("add-br", long_name, "--", "add-port", long_name, "p1", "--", "set",
                  "Interface", "p1", "type=dpdkvhostuser", check=False)
    assert f"bridge {long_name} cannot be created" in osw.get("Interface", "p1", "error")
    osw.ovs_vsctl("del-br", long_name)
    # an interface type kvswitch does not have
    osw.ovs_vsctl("add-port", "br0", "gre0", "--", "set", "Interface", "gre0", "type=gre",
                  check=False)
    assert "type 'gre' is not supported" in osw.get("Interface", "gre0", "error")
    # and everything else still forwards
    g["vm1"].send(dst=BCAST, count=30)
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 30)
    # fixing the option clears the error
    osw.ovs_vsctl("remove", "Interface", "vm1", "options", "tx-retries-max")
    assert osw.get("Interface", "vm1", "error") == "[]"
    osw.ovs_vsctl("del-port", "dpdk0")
    osw.ovs_vsctl("del-port", "gre0")
    assert "kvswitch: ovsdb" not in osw.log_text() or osw.alive()


def test_kvsctl_views_work_and_writes_point_to_ovs_vsctl(osw):
    vhost_bridge(osw, ["vm1"])
    r = osw.vsctl("add-br", "br9", check=False)
    assert r.returncode != 0 and "ovs-vsctl" in r.stderr, r.stderr
    assert osw.json("show")["bridges"][0]["name"] == "br0"


def test_vlan_and_other_config_columns(osw):
    vhost_bridge(osw, ["vm1", "vm2", "vm3"])
    osw.ovs_vsctl("set", "port", "vm1", "tag=10")
    osw.ovs_vsctl("set", "Port", "vm2", "trunks=10,20")
    osw.ovs_vsctl("set", "Bridge", "br0", "other_config:mac-aging-time=60",
                  "other_config:mac-table-size=2048")
    osw.ovs_vsctl("set", "Interface", "vm3", "mtu_request=9000",
                  "other_config:pmd-rxq-affinity=0:1")
    osw.ovs_vsctl("set", "Open_vSwitch", ".", "other_config:pmd-maxsleep=50")
    show = osw.json("show")
    ports = {p["name"]: p for p in show["bridges"][0]["ports"]}
    assert ports["vm1"]["tag"] == 10
    assert ports["vm2"]["trunks"] == [10, 20]
    assert ports["vm3"]["mtu_request"] == 9000
    assert ports["vm3"]["other_config"]["pmd-rxq-affinity"] == "0:1"
    assert show["bridges"][0]["other_config"]["mac-aging-time"] == "60"
    assert show["other_config"]["pmd-sleep-max"] == "50"
    assert osw.get("Interface", "vm3", "mtu") == "9000"
    # what kvswitch does not run is said, not silently taken
    r = osw.ovs_vsctl("set", "Port", "vm1", "vlan_mode=dot1q-tunnel", check=False)
    assert "dot1q-tunnel" in osw.get("Interface", "vm1", "error"), r.stderr
    assert ports["vm1"]["tag"] == osw.json("show")["bridges"][0]["ports"][0]["tag"]
    # OVS's kernel datapath; a bridge with no datapath_type is kvswitch's own
    osw.ovs_vsctl("add-br", "brk", "--", "set", "bridge", "brk", "datapath_type=system", "--",
                  "add-port", "brk", "k1", "--", "set", "Interface", "k1",
                  "type=dpdkvhostuser", check=False)
    assert "datapath_type" in osw.get("Interface", "k1", "error")
    assert [b["name"] for b in osw.json("show")["bridges"]] == ["br0"]


def test_ovsdb_server_away_and_back_loses_nothing(osw, ovsdb, guests):
    vhost_bridge(osw)
    g = attach(osw, guests, ["vm1", "vm2"])
    ovsdb.stop()
    time.sleep(0.5)
    g["vm1"].send(dst=BCAST, count=40)
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 40)
    assert osw.json("show")["bridges"][0]["name"] == "br0"
    ovsdb.start()
    # kvswitchd reconnects by itself; a change made now is applied
    osw.ovs_vsctl("add-port", "br0", "vm3", "--", "set", "Interface", "vm3",
                  "type=dpdkvhostuser", timeout=30)
    assert (osw.rundir / "vm3").is_socket()
    assert osw.port_status("vm1")["connected"]
    assert "connected to" in osw.log_text()


def test_kvswitchd_restart_takes_the_database_back(osw, guests):
    vhost_bridge(osw)
    osw.ovs_vsctl("set", "port", "vm1", "tag=7")
    # OVS's EAL settings take effect at the next start, as with ovs-vswitchd
    osw.ovs_vsctl("set", "Open_vSwitch", ".", "other_config:dpdk-socket-mem=512")
    osw.kill()
    osw.start()
    if NO_HUGE:
        assert "not passing the database's EAL arguments '--socket-mem 512'" in osw.log_text()
    else:
        assert "--socket-mem 512" in osw.log_text().split("EAL arguments:")[-1].splitlines()[0]
    osw.baseline = osw.mbufs_at_rest()
    ports = {p["name"]: p for p in osw.json("show")["bridges"][0]["ports"]}
    osw.wait_for(lambda: len(osw.json("show")["bridges"]) == 1, what="bridge back")
    ports = {p["name"]: p for p in osw.json("show")["bridges"][0]["ports"]}
    assert ports["vm1"]["tag"] == 7 and "vm2" in ports
    g = attach(osw, guests, ["vm1", "vm2"])
    osw.ovs_vsctl("set", "port", "vm1", "tag=[]")
    g["vm1"].send(dst=BCAST, count=10)
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 10)


def test_a_second_switch_waits_for_the_lock(tmp_path, osw):
    vhost_bridge(osw, ["vm1"])
    other = OvsSwitch(tmp_path, osw.ovsdb, name="other")
    other.start()
    try:
        time.sleep(1)
        assert other.json("show")["bridges"] == []
        assert "holds the 'ovs_vswitchd' lock" in other.log_text()
    finally:
        other.stop()


def test_ovs_appctl_reaches_kvswitchd(osw, guests):
    vhost_bridge(osw)
    assert (osw.rundir / "ovs-vswitchd.pid").read_text().strip() == str(osw.proc.pid)
    assert osw.ovs_appctl("version").startswith("kvswitchd (kvswitch)")
    cmds = osw.ovs_appctl("list-commands")
    for c in ("dpif-netdev/pmd-stats-show", "fdb/show", "vlog/set", "coverage/show"):
        assert c in cmds
    g = attach(osw, guests, ["vm1", "vm2"])
    g["vm1"].send(dst=BCAST, count=25)
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 25)
    wait_learned(osw, MAC[1], "vm1")

    stats = osw.ovs_appctl("dpif-netdev/pmd-stats-show")
    core = int(stats.split("core_id ")[1].split(":")[0])
    assert "packets received: 25" in osw.ovs_appctl("dpif-netdev/pmd-stats-show", "-pmd", core)
    r = osw.ovs_appctl("dpif-netdev/pmd-stats-show", "-pmd", 63, check=False)
    assert r.returncode == 2 and "no PMD thread runs on core 63" in r.stderr
    perf = osw.ovs_appctl("dpif-netdev/pmd-perf-show", "-pmd", core)
    assert "Histogram of packets per busy poll" in perf and "Rx packets:" in perf
    p = osw.json("pmd-perf-show")[0]
    bursts = p["packets_per_busy_poll"]
    assert sum(bursts) == p["busy_polls"] >= 1
    assert sum((i + 1) * n for i, n in enumerate(bursts)) == p["rx_packets"] == 25
    assert sum(p["cycles_per_iteration_log2"]) == p["iterations"] > 0
    osw.ovs_appctl("dpif-netdev/pmd-stats-clear")
    assert "packets received: 0" in osw.ovs_appctl("dpif-netdev/pmd-stats-show")
    assert "vm1" in osw.ovs_appctl("dpif-netdev/pmd-rxq-show")
    dp = osw.ovs_appctl("dpctl/show", "-s")
    vm1 = dp.split("vm1 (dpdkvhostuser)")[1]
    assert "RX packets:25 " in vm1.splitlines()[1], dp
    assert MAC[1] in osw.ovs_appctl("fdb/show", "br0").lower()
    assert "entries" in osw.ovs_appctl("fdb/stats-show", "br0").lower()
    assert osw.json("fdb/stats-show", "br0")["learned"] >= 1
    osw.ovs_appctl("fdb/stats-clear", "br0")
    st = osw.json("fdb/stats-show", "br0")
    assert st["learned"] == 0 and st["entries"] >= 1  # counters restart, entries stay
    osw.ovs_appctl("fdb/flush", "br0")
    assert MAC[1] not in osw.ovs_appctl("fdb/show", "br0").lower()
    r = osw.ovs_appctl("fdb/show", "br9", check=False)
    assert r.returncode == 2 and "br9" in r.stderr
    assert "drop_" in osw.ovs_appctl("coverage/show")
    assert "mbuf" in osw.ovs_appctl("memory/show").lower()

    osw.ovs_appctl("vlog/set", "lib.vhost.config:dbg")
    line = [ln for ln in osw.ovs_appctl("vlog/list").splitlines()
            if ln.startswith("lib.vhost.config ")][0]
    assert line.split()[1] == "dbg"
    osw.ovs_appctl("vlog/set", "lib.vhost.config:info")
    r = osw.ovs_appctl("vlog/set", "nosuch:info", check=False)
    assert r.returncode == 2 and "unknown module" in r.stderr
    r = osw.ovs_appctl("no/such-command", check=False)
    assert r.returncode == 2 and "not a valid command" in r.stderr
    # more clients at once than kvswitchd serves at once: every one answered
    env = {**os.environ, "OVS_RUNDIR": str(osw.rundir)}
    procs = [subprocess.Popen(["ovs-appctl", "--timeout=20", "version"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(40)]
    outs = [p.communicate(timeout=30) for p in procs]
    assert [p.returncode for p in procs] == [0] * 40, outs
    assert all(o.startswith("kvswitchd (kvswitch)") for o, _ in outs)

    for gg in g.values():
        gg.quit()
    osw.ovs_appctl("exit")
    osw.proc.wait(20)
    assert osw.proc.returncode == 0
    assert not (osw.rundir / "ovs-vswitchd.pid").exists()
    osw.proc = None


def test_ovsdbapp_plugs_and_unplugs_like_os_vif(tmp_path, osw, guests):
    """Debian's python3-ovsdbapp, the library os-vif and Neutron use: the OVSDB
    protocol to ovsdb-server, no ovs-vsctl.  The port is plugged the way os-vif's
    ovs plugin plugs a vhost-user client port for Nova."""
    ovsdbapp = pytest.importorskip(
        "ovsdbapp.schema.open_vswitch.impl_idl",
        reason="needs Debian's python3-ovsdbapp (bash .ci/install-deps)")
    from ovsdbapp.backend.ovs_idl import connection

    vhost_bridge(osw, ["vm2"])
    sock = tmp_path / "vhu-vm1.sock"
    g1 = guests(sock, MAC[1], gid=1, name="vm1", server=True, wait=False)
    idl = connection.OvsdbIdl.from_server(osw.ovsdb.remote, "Open_vSwitch")
    conn = connection.Connection(idl=idl, timeout=10)
    api = ovsdbapp.OvsdbIdl(conn)
    ext = {"iface-id": "6f1e0d1c-port", "iface-status": "active",
           "attached-mac": MAC[1], "vm-uuid": "0c1e7a52-vm"}
    with api.transaction(check_error=True) as txn:
        txn.add(api.add_port("br0", "vm1", may_exist=True))
        txn.add(api.db_set("Interface", "vm1", ("external_ids", ext),
                           ("type", "dpdkvhostuserclient"),
                           ("options", {"vhost-server-path": str(sock)}),
                           ("mtu_request", 1500)))
    osw.wait_for(lambda: any(p["name"] == "vm1" for p in osw.json("show")["bridges"][0]["ports"]),
                 what="vm1 plugged")
    g1.wait_ready()
    g1.link()
    osw.wait_connected("vm1")
    g2 = guests(osw.sock("vm2"), MAC[2], gid=2, name="vm2")
    g2.link()
    osw.wait_connected("vm2")
    g1.send(dst=BCAST, count=15)
    g2.send(dst=MAC[1], count=5)
    settle(g1, g2)
    expect_rx(g2, MAC[1], 15)
    expect_rx(g1, MAC[2], 5)
    vm1 = [p for p in osw.json("show")["bridges"][0]["ports"] if p["name"] == "vm1"][0]
    assert vm1["type"] == "dpdkvhostuserclient"
    assert vm1["other_config"]["attached-mac"] == MAC[1]  # os-vif's external_ids
    # ovsdbapp reads back what kvswitchd wrote
    osw.wait_for(lambda: api.db_get("Interface", "vm1", "link_state").execute() == "up",
                 timeout=10, what="link_state up in the database")
    assert api.db_get("Interface", "vm1", "external_ids").execute()["iface-id"] == ext["iface-id"]
    # unplug, as os-vif does
    with api.transaction(check_error=True) as txn:
        txn.add(api.del_port("vm1", bridge="br0", if_exists=True))
    osw.wait_for(lambda: all(p["name"] != "vm1" for p in osw.json("show")["bridges"][0]["ports"]),
                 what="vm1 unplugged")
    g2.send(dst=BCAST, count=5)
    settle(g1, g2)
    assert rx_from(g1, MAC[2]) == 5  # nothing more reached the unplugged guest
    conn.stop()


def test_native_vlan_modes(osw, guests):
    """vlan_mode native-untagged / native-tagged, as OVS: a trunk whose untagged frames
    belong to its tag (the native VLAN)."""
    vhost_bridge(osw, ["vm1", "vm2", "vm3"])
    osw.ovs_vsctl("set", "port", "vm1", "tag=10")
    osw.ovs_vsctl("set", "port", "vm2", "tag=10", "trunks=20", "vlan_mode=native-untagged")
    osw.ovs_vsctl("set", "port", "vm3", "tag=20")
    assert osw.get("Interface", "vm2", "error") == "[]"
    # a native VLAN port with no trunks (all VLANs) and a plain trunk (VLAN 0
    # untagged): VLAN 0 must not reach the native port, where it would look
    # like the native VLAN's frames
    osw.ovs_vsctl("add-port", "br0", "vm4", "--", "set", "Interface", "vm4", "type=dpdkvhostuser")
    osw.ovs_vsctl("add-port", "br0", "vm5", "--", "set", "Interface", "vm5",
                  "type=dpdkvhostuser", "--", "set", "port", "vm5", "tag=10",
                  "vlan_mode=native-untagged")
    g45 = attach(osw, guests, ["vm4", "vm5"])
    g45["vm4"].send(dst=BCAST, count=9)
    settle(*g45.values())
    assert rx_from(g45["vm5"], MAC[1]) == 0, g45["vm5"].stats()
    for gg in g45.values():
        gg.quit()
    osw.ovs_vsctl("del-port", "vm4", "--", "del-port", "vm5")
    g = attach(osw, guests, ["vm1", "vm2", "vm3"])
    # the native VLAN leaves native-untagged untagged, both ways
    g["vm1"].send(dst=BCAST, count=11)
    g["vm2"].send(dst=BCAST, count=12)
    settle(*g.values())
    assert g["vm2"].stats()["rx"]["by_vlan"] == {"0": 11}
    assert g["vm1"].stats()["rx"]["by_vlan"] == {"0": 12}
    # another trunked VLAN stays tagged
    g["vm2"].send(dst=BCAST, vlan=20, count=13)
    g["vm3"].send(dst=BCAST, count=14)
    settle(*g.values())
    assert g["vm3"].stats()["rx"]["by_vlan"] == {"0": 13}
    assert g["vm2"].stats()["rx"]["by_vlan"] == {"0": 11, "20": 14}
    assert rx_from(g["vm1"], MAC[2]) == 12 and rx_from(g["vm1"], MAC[3]) == 0
    # native-tagged: the native VLAN leaves tagged; untagged frames still enter it
    osw.ovs_vsctl("set", "port", "vm2", "vlan_mode=native-tagged")
    for gg in g.values():
        gg.reset()
    g["vm1"].send(dst=BCAST, count=15)
    g["vm2"].send(dst=BCAST, count=16)
    settle(*g.values())
    assert g["vm2"].stats()["rx"]["by_vlan"] == {"10": 15}
    assert g["vm1"].stats()["rx"]["by_vlan"] == {"0": 16}
    assert g["vm3"].stats()["rx"]["by_vlan"] == {}
    show = {p["name"]: p for p in osw.json("show")["bridges"][0]["ports"]}
    assert show["vm2"]["vlan_mode"] == "native-tagged" and show["vm2"]["tag"] == 10


def test_ovsdb_named_in_the_configuration_file(tmp_path, ovsdb):
    """`ovsdb: unix:PATH` in the file kvswitchd is started with (as the systemd unit
    starts it) selects OVSDB mode; such a file holds nothing else."""
    need_hugepages()
    sw = Switch(tmp_path, name="bad")
    sw.write_config(f"ovsdb: {ovsdb.remote}\nbridges:\n  br0: {{}}\n")
    p = sw.start(expect_ok=False)
    assert p.wait(30) != 0
    assert "a file with 'ovsdb:' holds nothing else" in sw.log_text()
    sw.write_config("ovsdb: tcp:127.0.0.1:6640\n")
    p = sw.start(expect_ok=False)
    assert p.wait(30) != 0
    assert f"{sw.conf}:1: ovsdb 'tcp:127.0.0.1:6640'" in sw.log_text()

    sw = Switch(tmp_path, name="file")
    sw.write_config(f"ovsdb: {ovsdb.remote}\n")
    os.environ["OVS_RUNDIR"] = str(sw.dir / "run")
    try:
        for _ in running(sw):
            ovs = OvsSwitch(tmp_path, ovsdb, name="file")  # the same files, for ovs-vsctl
            ovs.ovs_vsctl("--no-wait", "init")
            ovs.ovs_vsctl("add-br", "br0", "--", "add-port", "br0", "vm1", "--", "set",
                          "Interface", "vm1", "type=dpdkvhostuser")
            assert (sw.dir / "run" / "vm1").is_socket()
            r = sw.vsctl("add-br", "br1", check=False)
            assert r.returncode != 0 and "ovs-vsctl" in r.stderr
    finally:
        del os.environ["OVS_RUNDIR"]
    assert sw.conf.read_text() == f"ovsdb: {ovsdb.remote}\n"  # the file is not rewritten
