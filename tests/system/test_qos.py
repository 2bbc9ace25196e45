# SPDX-License-Identifier: BSD-3-Clause
"""Egress policers (OVS's QoS types egress-policer and trtcm-policer on a Port): made with
OVS's own command shape, by kvsctl in standalone mode and by the real ovs-vsctl on a real
ovsdb-server; a virtio-user guest receiving three times its port's rate gets the rate
within 5% (trTCM: committed plus excess), the frames over it are counted as
policed_egress on the receiving port, a new rate applies at once under traffic, clearing
it lets everything through; one policer reached by two PMDs holds the rate for both;
bad values are refused by name and change nothing, and the QoS is kept in the
configuration file.  Rates count bytes less the Ethernet header, as
OVS's do."""
import time

from test_police import FRAME, assert_rate, halved_then_off, metered_mbit, pair
from test_rebalance import placement, two_pmds
from test_switching import MAC, attach, wait_learned

MBIT = 1e6 / 8  # bytes per second in a Mbit/s


def qos_args(port, qtype, **cfg):
    """OVS's shape: the QoS created and referenced in one transaction."""
    return ["--", "--id=@q", "create", "QoS", f"type={qtype}",
            *[f"other-config:{k}={int(v)}" for k, v in cfg.items()],
            "--", "set", "Port", port, "qos=@q"]


def policed(sw, port="vm2"):
    return sw.port_stats(port)["tx_drops"]["policed_egress"]


def stream_at(g1, mbit):
    g1.stream_start(MAC[2], size=FRAME, pps=int(mbit * 1e6 / (FRAME * 8)))


def test_egress_policer_holds_the_receiving_guest(switch, guests):
    g1, g2 = pair(switch, guests)
    switch.vsctl(*qos_args("vm2", "egress-policer", cir=100 * MBIT, cbs=10 * MBIT))
    stream_at(g1, 300)
    try:
        time.sleep(1.5)  # the bucket's 10 Mbit go first
        assert_rate(g2, 100)
        assert policed(switch) > 0
        # vm1's side is not policed: it received all it sent
        assert switch.port_stats("vm1")["rx_drops"]["policed_ingress"] == 0
        halved_then_off(
            g2, lambda: switch.vsctl(*qos_args("vm2", "egress-policer", cir=50 * MBIT,
                                               cbs=10 * MBIT)),
            lambda: switch.vsctl("clear", "Port", "vm2", "qos"), lambda: policed(switch))
    finally:
        g1.stream_stop()


def test_trtcm_policer_passes_committed_and_excess(switch, guests):
    g1, g2 = pair(switch, guests)
    switch.vsctl(*qos_args("vm2", "trtcm-policer", cir=60 * MBIT, cbs=5 * MBIT,
                           eir=40 * MBIT, ebs=5 * MBIT))
    stream_at(g1, 300)
    try:
        time.sleep(1.5)
        assert_rate(g2, 60 + 40)
        assert policed(switch) > 0
    finally:
        g1.stream_stop()


def test_traffic_below_the_egress_rate_loses_nothing(switch, guests):
    g1, g2 = pair(switch, guests)
    switch.vsctl(*qos_args("vm2", "egress-policer", cir=100 * MBIT, cbs=2000))
    g2.reset()
    stream_at(g1, 50)
    time.sleep(3)
    sent = g1.stream_stop()["sent"]
    st = g2.wait_rx(sent)
    assert st["rx"]["total"] == sent > 0
    assert policed(switch) == 0


def test_qos_configuration_checked_and_kept(switch):
    switch.vsctl("add-br", "br0")
    switch.vsctl("add-port", "br0", "vm1", "type=dpdkvhostuser")
    switch.vsctl(*qos_args("vm1", "egress-policer", cir=125000, cbs=15000))
    want = "type=egress-policer other_config={cbs=15000, cir=125000}"
    assert switch.vsctl("get", "Port", "vm1", "qos").strip() == want
    assert "qos: egress-policer cbs=15000 cir=125000" in switch.vsctl("show")
    assert switch.json("show")["bridges"][0]["ports"][0]["qos"] == {
        "type": "egress-policer", "other_config": {"cbs": "15000", "cir": "125000"}}
    bad = [
        (qos_args("vm1", "egress-policer", cir=0, cbs=15000),
         "port 'vm1': qos egress-policer: other_config:cir (bytes/s) must be given and not 0"),
        (qos_args("vm1", "egress-policer", cir=1000, cbs=1000),
         "other_config:cbs 1000 bytes is smaller than one frame (1504 bytes at mtu_request"),
        (qos_args("vm1", "trtcm-policer", cir=1000, cbs=2000, eir=1000, ebs=10),
         "other_config:ebs 10 bytes is smaller than one frame"),
        (qos_args("vm1", "linux-htb", cir=1000),
         "type 'linux-htb' is not one kvswitch runs (egress-policer or trtcm-policer)"),
        (qos_args("vm1", "egress-policer", cir=1000, pir=5),
         "egress-policer has no other_config key 'pir' (it takes cir and cbs)"),
        (["--", "--id=@q", "create", "QoS", "type=egress-policer", "other-config:cir=fast",
          "--", "set", "Port", "vm1", "qos=@q"], "other_config:cir 'fast' is not a number"),
        (["--id=@q", "create", "QoS", "type=egress-policer", "other-config:cir=1000",
          "other-config:cbs=2000"], "QoS @q is created but nothing refers to it"),
        (["set", "Port", "vm1", "qos=@nope"], "row id \"@nope\" is referenced but never"),
        (["set", "Port", "vm1", "qos=fast"], "port 'vm1': qos takes one record created in"),
        (["add", "Port", "vm1", "qos", "@q"], "takes for Port qos (set) and Bridge mirrors"),
        (qos_args("vm9", "egress-policer", cir=1000, cbs=2000), "port 'vm9' does not exist"),
    ]
    for args, msg in bad:
        r = switch.vsctl(*args, check=False)
        assert r.returncode == 1 and msg in r.stderr, (args, r.stderr)
        assert switch.vsctl("get", "Port", "vm1", "qos").strip() == want  # nothing changed
    # OVS's own documented order: the reference before the create; [] clears
    switch.vsctl("set", "port", "vm1", "qos=@newqos", "--", "--id=@newqos", "create", "qos",
                 "type=egress-policer", "other-config:cir=46000000", "other-config:cbs=2048")
    assert "cir=46000000" in switch.vsctl("get", "Port", "vm1", "qos")
    switch.vsctl("set", "Port", "vm1", "qos=[]")
    assert switch.vsctl("get", "Port", "vm1", "qos").strip() == "[]"
    # a larger MTU needs a larger bucket
    switch.vsctl(*qos_args("vm1", "egress-policer", cir=125000, cbs=5000))
    r = switch.vsctl("set", "Interface", "vm1", "mtu_request=9000", check=False)
    assert r.returncode == 1 and "cbs 5000 bytes is smaller than one frame (9004" in r.stderr
    # kept in the file and across a restart
    conf = switch.conf.read_text()
    assert "qos:" in conf and "type: egress-policer" in conf and "cbs: 5000" in conf, conf
    switch.stop()
    switch.start()
    assert switch.vsctl("get", "Port", "vm1", "qos").strip() == \
        "type=egress-policer other_config={cbs=5000, cir=125000}"
    switch.vsctl("clear", "Port", "vm1", "qos")
    assert switch.vsctl("get", "Port", "vm1", "qos").strip() == "[]"  # as ovs-vsctl
    assert "qos:" not in switch.conf.read_text()


def test_qos_made_by_ovs_vsctl(osw, guests):
    """OVS's documented shape (`set port P qos=@newqos -- --id=@newqos create qos ...`), the
    QoS row changed in place, a type kvswitch does not run noted with the port kept running,
    and the QoS cleared and destroyed."""
    osw.ovs_vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
    for p in ("vm1", "vm2"):
        osw.ovs_vsctl("add-port", "br0", p, "--", "set", "Interface", p,
                      "type=dpdkvhostuser")
    g1 = guests(osw.sock("vm1"), MAC[1], gid=1, name="vm1")
    g2 = guests(osw.sock("vm2"), MAC[2], gid=2, name="vm2")
    g1.link()
    g2.link()
    osw.wait_connected("vm1")
    osw.wait_connected("vm2")
    g2.send(MAC[1], count=1)
    osw.ovs_vsctl("set", "port", "vm2", "qos=@newqos", "--", "--id=@newqos", "create", "qos",
                  "type=egress-policer", f"other-config:cir={int(100 * MBIT)}",
                  f"other-config:cbs={int(10 * MBIT)}")
    osw.wait_for(lambda: "egress-policer" in osw.vsctl("show"), 10, "the QoS applied")
    stream_at(g1, 300)
    try:
        time.sleep(1.5)
        assert_rate(g2, 100)
        assert policed(osw) > 0
        # the row changed in place: OVS's QoS is a record of its own
        osw.ovs_vsctl("set", "qos", osw.get("Port", "vm2", "qos").strip(),
                      f"other-config:cir={int(50 * MBIT)}")
        osw.wait_for(lambda: f"cir={int(50 * MBIT)}" in osw.vsctl("show"), 10, "new rate")
        time.sleep(0.5)
        assert_rate(g2, 50)
        # a type kvswitch does not run: noted by name, the port runs without QoS
        osw.ovs_vsctl("set", "qos", osw.get("Port", "vm2", "qos").strip(), "type=linux-htb")
        osw.wait_for(lambda: "Port vm2: qos: type 'linux-htb' is not one kvswitch runs" in
                     osw.log_text(), 10, "the refusal logged")
        osw.wait_for(lambda: "qos:" not in osw.vsctl("show"), 10, "the QoS gone")
        time.sleep(0.3)
        assert metered_mbit(g2, 2) > 200
        osw.ovs_vsctl("--", "destroy", "QoS", osw.get("Port", "vm2", "qos").strip(),
                      "--", "clear", "Port", "vm2", "qos")
        assert osw.ovs_vsctl("list", "QoS").strip() == ""
        assert osw.alive()
    finally:
        g1.stream_stop()


def test_egress_policer_shared_by_two_pmds(switch, guests):
    """vm1 and vm3 are polled by different PMDs and both send to vm2 at 1.5 times its
    egress rate: the one meter both PMDs go through (under its lock) holds vm2 to the rate
    within 5%.  A meter per PMD, each with the whole rate, would let through twice it."""
    sw = switch
    sw.vsctl("add-br", "br0")
    for n in ("vm1", "vm2", "vm3"):
        sw.vsctl("add-port", "br0", n, "type=dpdkvhostuser")
    g = attach(sw, guests, ["vm1", "vm2", "vm3"])
    two_pmds(sw)
    sw.vsctl("set", "Interface", "vm1", "other_config:pmd-rxq-affinity=0:0")
    sw.vsctl("set", "Interface", "vm3", "other_config:pmd-rxq-affinity=0:1")
    sw.wait_for(lambda: placement(sw).get(("vm1", 0)) == 0 and placement(sw).get(("vm3", 0)) == 1,
                what="vm1 polled on core 0, vm3 on core 1")
    g["vm2"].send(MAC[1], count=1)  # vm2's MAC learned: the streams are unicast
    wait_learned(sw, MAC[2], "vm2")
    sw.vsctl(*qos_args("vm2", "egress-policer", cir=100 * MBIT, cbs=10 * MBIT))
    pps = int(150e6 / (FRAME * 8))
    for n in ("vm1", "vm3"):
        g[n].stream_start(MAC[2], size=FRAME, pps=pps)
    try:
        time.sleep(1.5)  # the bucket's 10 Mbit go first
        assert_rate(g["vm2"], 100)
        assert policed(sw) > 0
        # both PMDs really sent to vm2: each sender's frames reached it
        by_src = g["vm2"].stats()["rx"]["by_src"]
        assert by_src.get(MAC[1], 0) > 1000 and by_src.get(MAC[3], 0) > 1000, by_src
    finally:
        for n in ("vm1", "vm3"):
            g[n].stream_stop()
