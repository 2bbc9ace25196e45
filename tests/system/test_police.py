# SPDX-License-Identifier: BSD-3-Clause
"""Ingress policing (Interface ingress_policing_rate and ingress_policing_burst, as in OVS):
a virtio-user guest sending at three times its port's rate is held to the rate within 5%,
measured at the receiving guest; a new rate takes effect under traffic; rate 0 turns it
off; traffic below the rate loses nothing; bad values are refused by name and change
nothing.  What is metered is what OVS-DPDK meters: frame length less the 14-byte Ethernet
header."""

import time

from test_switching import MAC

FRAME = 1514


def pair(switch, guests):
    switch.vsctl("add-br", "br0")
    for p in ("vm1", "vm2"):
        switch.vsctl("add-port", "br0", p, "type=dpdkvhostuser")
    g1 = guests(switch.sock("vm1"), MAC[1], gid=1, name="vm1")
    g2 = guests(switch.sock("vm2"), MAC[2], gid=2, name="vm2")
    g1.link()
    g2.link()
    g2.send(MAC[1], count=1)  # vm2's MAC learned: vm1's stream is unicast
    switch.wait_for(lambda: any(e["mac"].lower() == MAC[2] for e in switch.json("fdb/show", "br0")),
                    5, "vm2's MAC learned")
    return g1, g2


def metered_mbit(g, seconds):
    """Mbit/s that g received over `seconds`, counted as the policer meters it."""
    a, t0 = g.stats()["rx"], time.monotonic()
    time.sleep(seconds)
    b, t1 = g.stats()["rx"], time.monotonic()
    frames, nbytes = b["total"] - a["total"], b["bytes"] - a["bytes"]
    return (nbytes - 14 * frames) * 8 / (t1 - t0) / 1e6


def assert_rate(g, mbit, seconds=3):
    """g receives mbit Mbit/s (as a policer meters it) within 5%."""
    got = metered_mbit(g, seconds)
    assert 0.95 * mbit <= got <= 1.05 * mbit, f"{got:.1f} Mbit/s at {mbit} Mbit/s"


def halved_then_off(g2, set_50, turn_off, count):
    """Under a 300 Mbit/s stream held to 100: set_50() holds g2 to 50 Mbit/s at once,
    turn_off() lets over 200 through with count() (the policer's drops) still."""
    set_50()
    time.sleep(0.5)
    assert_rate(g2, 50)
    turn_off()
    time.sleep(0.3)
    before = count()
    got = metered_mbit(g2, 2)
    assert got > 200, f"{got:.1f} Mbit/s with the policer off (300 offered)"
    assert count() == before


def policed(switch, port="vm1"):
    return switch.port_stats(port)["rx_drops"]["policed_ingress"]


def test_guest_held_to_its_rate_and_a_new_rate_applies_at_once(switch, guests):
    g1, g2 = pair(switch, guests)
    switch.vsctl("set", "Interface", "vm1", "ingress_policing_rate=100000",
                 "ingress_policing_burst=10000")
    pps = int(3 * 100e6 / (FRAME * 8))  # three times the rate
    g1.stream_start(MAC[2], size=FRAME, pps=pps)
    try:
        time.sleep(1.5)  # the bucket's 10000 kbit go first
        assert_rate(g2, 100)
        assert policed(switch) > 0
        halved_then_off(
            g2, lambda: switch.vsctl("set", "Interface", "vm1", "ingress_policing_rate=50000"),
            lambda: switch.vsctl("set", "Interface", "vm1", "ingress_policing_rate=0"),
            lambda: policed(switch))
    finally:
        g1.stream_stop()


def test_traffic_below_the_rate_loses_nothing(switch, guests):
    g1, g2 = pair(switch, guests)
    switch.vsctl("set", "Interface", "vm1", "ingress_policing_rate=100000")  # burst 0: 8000
    g2.reset()
    pps = int(0.5 * 100e6 / (FRAME * 8))
    g1.stream_start(MAC[2], size=FRAME, pps=pps)
    time.sleep(3)
    sent = g1.stream_stop()["sent"]
    st = g2.wait_rx(sent)
    assert st["rx"]["total"] == sent > 0.9 * 3 * pps
    assert policed(switch) == 0


def test_policing_configuration_checked_and_kept(switch):
    switch.vsctl("add-br", "br0")
    switch.vsctl("add-port", "br0", "vm1", "type=dpdkvhostuser")
    switch.vsctl("set", "Interface", "vm1", "ingress_policing_rate=2000",
                 "ingress_policing_burst=200")
    assert switch.vsctl("get", "Interface", "vm1", "ingress_policing_rate").strip() == "2000"
    conf = switch.conf.read_text()
    assert "ingress_policing_rate: 2000" in conf and "ingress_policing_burst: 200" in conf
    # a bucket smaller than one 1500-byte frame: every such frame would go
    r = switch.vsctl("set", "Interface", "vm1", "ingress_policing_burst=11", check=False)
    assert r.returncode == 1 and "ingress_policing_burst 11 kbit is smaller than one frame" in \
        r.stderr, r.stderr
    r = switch.vsctl("set", "Interface", "vm1", "ingress_policing_rate=fast", check=False)
    assert r.returncode == 1 and "ingress_policing_rate 'fast' is not a number" in r.stderr
    r = switch.vsctl("set", "Interface", "vm1", "ingress_policing_rate=-1", check=False)
    assert r.returncode == 1 and "'-1'" in r.stderr
    # nothing changed
    assert switch.vsctl("get", "Interface", "vm1", "ingress_policing_burst").strip() == "200"
    assert "ingress_policing_burst: 200" in switch.conf.read_text()
    # a larger MTU needs a larger bucket: 13 kbit hold a 1500-byte frame, not 9000
    switch.vsctl("set", "Interface", "vm1", "ingress_policing_burst=13")
    r = switch.vsctl("set", "Interface", "vm1", "mtu_request=9000", check=False)
    assert r.returncode == 1 and "smaller than one frame" in r.stderr, r.stderr
    switch.vsctl("clear", "Interface", "vm1", "ingress_policing_burst")
    switch.vsctl("set", "Interface", "vm1", "mtu_request=9000")
    assert switch.vsctl("get", "Interface", "vm1", "ingress_policing_burst").strip() == "0"
    # kept across a restart, from the file
    switch.stop()
    switch.start()
    assert switch.vsctl("get", "Interface", "vm1", "ingress_policing_rate").strip() == "2000"


def test_tso_frames_fit_the_bucket(switch, guests):
    """A guest's 60 KB TSO frames on a port with a bucket smaller than one of them (100
    kbit): each meter's bucket holds the largest frame the port can receive, so frames
    well below the rate pass instead of being policed forever."""
    from test_offload import pair as offload_pair, learn, PAYLOAD, MSS

    g1, g2 = offload_pair(switch, guests, "none")
    learn(switch, g1, g2)
    switch.vsctl("set", "Interface", "vm1", "ingress_policing_rate=1000",
                 "ingress_policing_burst=100")
    time.sleep(0.5)
    for _ in range(2):  # 480 kbit each, 1 s apart: half the rate
        g1.cmd(f"send-tcp dst={MAC[2]} payload={PAYLOAD} mss={MSS} count=1")
        time.sleep(1)
    st = g2.wait_rx(2 * (PAYLOAD // MSS), timeout=5)
    assert st["rx"]["total"] >= 2 * (PAYLOAD // MSS), st["rx"]  # segmented for vm2
    assert policed(switch) == 0


def test_policer_kept_when_the_device_is_reopened(switch):
    """A change that reopens a dpdk port (mtu_request) gives it a new device: the policer
    follows it, however the new one is allocated."""
    switch.vsctl("add-br", "br0")
    switch.vsctl("add-port", "br0", "p0", "type=dpdk", "options:dpdk-devargs=net_null0")
    switch.vsctl("set", "Interface", "p0", "ingress_policing_rate=1000")
    for mtu in (None, 1600, 1700, 1800):
        if mtu:
            switch.vsctl("set", "Interface", "p0", f"mtu_request={mtu}")
        time.sleep(0.2)
        a = policed(switch, "p0")
        time.sleep(0.3)
        b = policed(switch, "p0")
        assert b > a, f"mtu {mtu}: net_null's frames no longer policed ({a} -> {b})"
    # net_null's rx never stops: a PMD holds a burst of it most of the time, so the teardown's
    # count of mbufs in use (0 expected) would sample one in flight.  Without the port, any
    # mbuf a reopen lost shows there.
    switch.vsctl("del-port", "br0", "p0")
