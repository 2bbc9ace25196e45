# SPDX-License-Identifier: BSD-3-Clause
"""Port mirroring (OVS's Mirror table): made with OVS's own ovs-vsctl command shape on a
real ovsdb-server, a fourth virtio-user guest on the output port receives exactly the
frames each selection names (src, dst, VLAN, all), the mirrored guests lose nothing, the
output port carries nothing else and what it sends is dropped by name; clearing the
bridge's mirrors gives the port back.  In standalone mode mirrors live in the
configuration file, are shown by kvsctl, and a bad one is refused by name."""
import signal
import time

import pytest

from conftest import need_hugepages, running
from kvs import Switch
from test_switching import BCAST, MAC, expect_rx, rx_from, settle, wait_learned

OUT = "vm4"


def four_guests(sw, guests):
    sw.ovs_vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
    g = {}
    for i in range(1, 5):
        n = f"vm{i}"
        sw.ovs_vsctl("add-port", "br0", n, "--", "set", "Interface", n, "type=dpdkvhostuser")
    for i in range(1, 5):
        n = f"vm{i}"
        g[n] = guests(sw.sock(n), MAC[i], gid=i, name=n)
    for n, gg in g.items():
        gg.link()
        sw.wait_connected(n)
    # every MAC learned before the mirror exists, so unicast stays unicast
    for i in range(1, 4):
        g[f"vm{i}"].send(dst=BCAST, count=1)
        wait_learned(sw, MAC[i], f"vm{i}")
    settle(*g.values())
    for gg in g.values():
        gg.reset()
    return g


def mirror_to_out(sw, *columns):
    """OVS's shape: the output port by reference (@p), the mirror created with
    `columns` and made the bridge's only one, in one transaction."""
    sw.ovs_vsctl("--", "--id=@p", "get", "Port", OUT,
                 "--", "--id=@m", "create", "Mirror", *columns, "output-port=@p",
                 "--", "set", "Bridge", "br0", "mirrors=@m")


def reset_all(g):
    settle(*g.values())
    for gg in g.values():
        gg.reset()


def test_selections_reach_the_output_guest_exactly(osw, guests):
    g = four_guests(osw, guests)
    # OVS's documented shape: the output port by reference, the mirror created and
    # attached to the bridge in one transaction
    osw.ovs_vsctl("--", "--id=@s", "get", "Port", "vm1",
                  "--", "--id=@p", "get", "Port", OUT,
                  "--", "--id=@m", "create", "Mirror", "name=m0", "select-src-port=@s",
                  "output-port=@p",
                  "--", "set", "Bridge", "br0", "mirrors=@m")
    assert osw.get("Mirror", "m0", "name") == "m0"
    shown = osw.json("show")["bridges"][0]
    assert [m["name"] for m in shown["mirrors"]] == ["m0"], shown.get("mirrors")

    # src vm1: what vm1 sends, unicast or broadcast, and nothing else
    g["vm1"].send(dst=MAC[2], count=100)
    g["vm1"].send(dst=BCAST, count=7)
    g["vm2"].send(dst=MAC[1], count=50)
    g["vm3"].send(dst=BCAST, count=30)
    expect_rx(g["vm2"], MAC[1], 107)
    expect_rx(g["vm1"], MAC[2], 50)
    expect_rx(g[OUT], MAC[1], 107)
    assert rx_from(g[OUT], MAC[2]) == 0 and rx_from(g[OUT], MAC[3]) == 0, g[OUT].stats()
    assert g[OUT].stats()["rx"]["total"] == 107
    reset_all(g)

    # dst vm2: what goes to vm2, unicast or flooded
    osw.ovs_vsctl("--", "--id=@d", "get", "Port", "vm2",
                  "--", "set", "Mirror", "m0", "select_src_port=[]", "select_dst_port=@d")
    g["vm1"].send(dst=MAC[2], count=60)
    g["vm3"].send(dst=MAC[1], count=20)
    g["vm3"].send(dst=BCAST, count=30)
    g["vm2"].send(dst=MAC[1], count=40)
    expect_rx(g["vm2"], MAC[1], 60)
    expect_rx(g[OUT], MAC[1], 60)
    expect_rx(g[OUT], MAC[3], 30)
    assert rx_from(g[OUT], MAC[2]) == 0
    reset_all(g)

    # select_all in VLAN 10 only: VLAN 10 frames reach the output port, a trunk,
    # tagged; VLAN 0 frames do not
    osw.ovs_vsctl("set", "Mirror", "m0", "select_dst_port=[]", "select_all=true",
                  "select_vlan=10")
    g["vm1"].send(dst=BCAST, vlan=10, count=40)
    g["vm1"].send(dst=BCAST, count=25)
    expect_rx(g["vm2"], MAC[1], 65)
    expect_rx(g[OUT], MAC[1], 40)
    assert g[OUT].stats()["rx"]["by_vlan"] == {"10": 40}
    reset_all(g)

    # the output port carries nothing else, and what it sends is dropped by name
    before = osw.port_stats(OUT)["rx_drops"].get("mirror_rx", 0)
    g[OUT].send(dst=MAC[1], count=9)
    osw.wait_for(lambda: osw.port_stats(OUT)["rx_drops"]["mirror_rx"] == before + 9, 5,
                 "vm4's frames dropped as mirror_rx")
    settle(*g.values())
    assert rx_from(g["vm1"], MAC[4]) == 0

    # cleared: no mirror, and vm4 is an ordinary port again
    osw.ovs_vsctl("clear", "Bridge", "br0", "mirrors")
    assert osw.ovs_vsctl("list", "Mirror").strip() == ""
    assert osw.json("show")["bridges"][0].get("mirrors", []) == []
    reset_all(g)
    g["vm1"].send(dst=MAC[2], count=10)
    g["vm3"].send(dst=BCAST, count=5)
    expect_rx(g["vm2"], MAC[1], 10)
    expect_rx(g[OUT], MAC[3], 5)  # flooded to it again
    assert rx_from(g[OUT], MAC[1]) == 0
    g[OUT].send(dst=MAC[1], count=3)
    expect_rx(g["vm1"], MAC[4], 3)


def test_mirrored_guests_lose_nothing_under_load(osw, guests):
    g = four_guests(osw, guests)
    mirror_to_out(osw, "name=all", "select-all=true")
    g["vm1"].stream_start(MAC[2], size=64, pps=200000)
    time.sleep(3)
    sent = g["vm1"].stream_stop()["sent"]
    got2 = g["vm2"].wait_rx(sent)["rx"]["total"]
    assert sent > 100000, sent
    # Four busy-polling guests and the switch share two cores here: a receiver
    # descheduled for a few ms fills its own ring (hundreds of frames in a run,
    # with or without a mirror).  Those are counted as vm2's tx_ring_full; none
    # may go anywhere else, and the mirror has its own reason.
    st2 = osw.port_stats("vm2")
    ring = st2["tx_drops"].get("tx_ring_full", 0)
    assert got2 + ring == sent, (got2, ring, sent, st2)
    assert ring <= 0.02 * sent, (ring, sent)
    assert sum(osw.port_stats("vm1")["rx_drops"].values()) == 0
    # the mirror took each frame once, or counted what its guest could not take
    got = g[OUT].wait_rx(sent)["rx"]["total"]
    lost = osw.port_stats(OUT)["tx_drops"].get("mirror_full", 0)
    assert got + lost == sent, (got, lost, sent)
    assert osw.port_stats(OUT)["tx_drops"].get("tx_ring_full", 0) == 0


def test_a_bad_mirror_is_refused_alone(osw, guests):
    g = four_guests(osw, guests)
    # the output port also selected: OVS's database takes it, kvswitch does not run it
    mirror_to_out(osw, "name=bad", "select-src-port=@p")
    osw.wait_for(lambda: "mirror 'bad' of bridge 'br0': output port 'vm4' is also a selected "
                 "port" in osw.log_text(), 10, "the refusal logged, naming mirror and port")
    # the bridge runs on, without the mirror: vm4 is an ordinary port
    g["vm1"].send(dst=BCAST, count=5)
    expect_rx(g[OUT], MAC[1], 5)
    expect_rx(g["vm2"], MAC[1], 5)


CONF = """open_vswitch:
  other_config:
    vhost-sock-dir: {sock}
    n-mbufs: 16384
bridges:
  br0:
    ports:
      vm1: {{type: dpdkvhostuser}}
      vm2: {{type: dpdkvhostuser}}
      vm3: {{type: dpdkvhostuser}}
    mirrors:
      m0:
        select_src_port: [vm1]
        output_port: {out}
"""


@pytest.fixture
def fsw(tmp_path):
    need_hugepages()
    sw = Switch(tmp_path)
    sw.write_config(CONF.format(sock=sw.sockdir, out="vm3"))
    yield from running(sw)


def vm1_mirrored_to_vm3(sw, guests, n):
    """Guests on vm1..vm3; n broadcasts from vm1 reach vm3, vm2's 4 do not."""
    g = {name: guests(sw.sock(name), MAC[i], gid=i, name=name)
         for i, name in enumerate(("vm1", "vm2", "vm3"), 1)}
    for name, gg in g.items():
        gg.link()
        sw.wait_connected(name)
    g["vm1"].send(dst=BCAST, count=n)
    g["vm2"].send(dst=BCAST, count=4)
    expect_rx(g["vm3"], MAC[1], n)
    assert rx_from(g["vm3"], MAC[2]) == 0
    return g


def test_mirror_in_the_configuration_file(fsw, guests):
    sw = fsw
    shown = sw.json("show")["bridges"][0]
    assert shown["mirrors"][0]["name"] == "m0"
    assert "m0" in sw.vsctl("show")
    g = vm1_mirrored_to_vm3(sw, guests, 12)
    expect_rx(g["vm2"], MAC[1], 12)
    # a reload (SIGHUP) with a bad mirror is refused by name, and changes nothing
    sw.write_config(CONF.format(sock=sw.sockdir, out="vm1"))
    sw.proc.send_signal(signal.SIGHUP)
    sw.wait_for(lambda: "mirror 'm0'" in sw.log_text(), 10, "the refusal logged")
    line = [ln for ln in sw.log_text().splitlines() if "mirror 'm0'" in ln][-1]
    assert "output port 'vm1' is also a selected port" in line, line
    assert "kvswitch.yaml:12:" in line, line  # the mirror's line in the file
    g["vm1"].send(dst=BCAST, count=3)
    expect_rx(g["vm3"], MAC[1], 15)


def test_bad_mirror_in_the_file_stops_the_start(tmp_path):
    sw = Switch(tmp_path)
    sw.write_config(CONF.format(sock=sw.sockdir, out="vm1"))
    p = sw.start(expect_ok=False)
    assert p.wait(30) != 0
    assert "mirror 'm0'" in sw.log_text() and "vm1" in sw.log_text(), sw.log_text()[-2000:]


def test_mirror_made_by_kvsctl_in_ovs_shape(switch, guests):
    """Standalone mode: kvsctl takes OVS's command shape (--id=@name records, create
    Mirror, set and add Bridge mirrors, clear), keeps the mirror in the file, and refuses
    a reference it cannot resolve with nothing changed."""
    sw = switch
    sw.vsctl("add-br", "br0")
    for n in ("vm1", "vm2", "vm3"):
        sw.vsctl("add-port", "br0", n, "type=dpdkvhostuser")
    sw.vsctl("--", "--id=@s", "get", "Port", "vm1", "--", "--id=@p", "get", "Port", "vm3",
             "--", "--id=@m", "create", "Mirror", "name=m0", "select-src-port=@s",
             "output-port=@p", "--", "set", "Bridge", "br0", "mirrors=@m")
    assert sw.vsctl("get", "Bridge", "br0", "mirrors").strip() == "[m0]"
    assert "select_src_port: [vm1]" in sw.conf.read_text()
    for args, msg in [
        (["--", "--id=@m", "create", "Mirror", "name=m1", "output-port=@nope", "--", "add",
          "Bridge", "br0", "mirrors", "@m"], 'row id "@nope" is referenced but never created'),
        (["--", "--id=@p", "get", "Port", "vm2", "--", "--id=@m", "create", "Mirror",
          "name=m1", "select-src-port=@p", "output-port=@p", "--", "add", "Bridge", "br0",
          "mirrors", "@m"], "output port 'vm2' is also a selected port"),
        (["--", "--id=@p", "get", "Port", "vm9"], "port 'vm9' does not exist"),
        (["--", "--id=@p", "get", "Port", "vm2", "--", "--id=@m", "create", "Mirror",
          "name=m1", "output-port=@p"], "Mirror @m is created but nothing refers to it"),
        (["--", "--id=@p", "create", "Mirror", "name=m1", "--", "set", "Port", "vm2",
          "qos=@p"], '"@p" is a Mirror, not a QoS'),
        (["set", "Bridge", "br0", "mirrors=m0"], "mirrors takes records created in the same"),
        (["--", "--id=@p", "get", "Port", "vm2", "--", "--id=@m", "create", "Mirror",
          "name=m0", "output-port=@p", "--", "add", "Bridge", "br0", "mirrors", "@m"],
         "bridge 'br0' already has a mirror named 'm0'"),
    ]:
        r = sw.vsctl(*args, check=False)
        assert r.returncode == 1 and msg in r.stderr, (args, r.stderr)
        assert sw.vsctl("get", "Bridge", "br0", "mirrors").strip() == "[m0]"
    g = vm1_mirrored_to_vm3(sw, guests, 6)
    # add: a second mirror beside the first (vm2's frames too), the reference first and
    # the get after it, as ovs-vsctl(8)'s own example orders them
    sw.vsctl("--", "add", "Bridge", "br0", "mirrors", "@m",
             "--", "--id=@s", "get", "Port", "vm2", "--", "--id=@p", "get", "Port", "vm3",
             "--", "--id=@m", "create", "Mirror", "name=m1", "select-src-port=@s",
             "output-port=@p")
    assert sw.vsctl("get", "Bridge", "br0", "mirrors").strip() == "[m0, m1]"
    g["vm2"].send(dst=BCAST, count=4)
    expect_rx(g["vm3"], MAC[2], 4)
    sw.vsctl("set", "Bridge", "br0", "mirrors=[]")
    assert sw.vsctl("get", "Bridge", "br0", "mirrors").strip() == "[]"
    assert "mirrors:" not in sw.conf.read_text()
    g["vm2"].send(dst=BCAST, count=2)  # vm3 is an ordinary port again
    expect_rx(g["vm3"], MAC[2], 6)
