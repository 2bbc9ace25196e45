# SPDX-License-Identifier: BSD-3-Clause
"""Guest offloads through kvswitchd with virtio-user guests (kvs-guest
--offloads): 64 KB GSO TCP frames and partial checksums, passed whole to
guests that accept them and completed (segmented, summed) for guests that do
not, across a VLAN trunk; nonsensical offload requests dropped as
bad_offload."""
import pytest

from test_switching import BCAST, MAC, add_vhost_ports, settle, wait_learned

PAYLOAD = 60000
MSS = 1448  # what Linux uses at MTU 1500 with TCP timestamps (IPv4)
MSS6 = 1440  # IPv6 at MTU 1500 (40-byte header): segments exactly the MTU


def pair(switch, guests, offloads, ports=None, **port_cols):
    """vm1 sends with TSO; vm2 receives with `offloads`."""
    add_vhost_ports(switch, ["vm1", "vm2"], **port_cols)
    for name, cols in (ports or {}).items():
        switch.vsctl("set", "Port", name, *cols)
    g1 = guests(switch.sock("vm1"), MAC[1], gid=1, name="vm1", args=("--offloads", "tso"))
    g2 = guests(switch.sock("vm2"), MAC[2], gid=2, name="vm2", args=("--offloads", offloads))
    for g, n in ((g1, "vm1"), (g2, "vm2")):
        g.link()
        switch.wait_connected(n)
    assert g1.cmd("offloads")["tx_tso"], "kvswitch did not offer HOST_TSO"
    return g1, g2


def learn(switch, g1, g2, vlan=0, vlan2=None):
    g2.send(dst=BCAST, count=1, **({"vlan": vlan2} if vlan2 is not None else {}))
    g1.send(dst=BCAST, count=1)
    settle(g1, g2)
    wait_learned(switch, MAC[2], "vm2", vlan=vlan)
    g1.reset()
    g2.reset()


def tcp_rx(g, frames):
    s = g.wait_rx(frames, timeout=15)
    return s["tcp"], s


def test_gso_frame_reaches_tso_guest_whole(switch, guests):
    g1, g2 = pair(switch, guests, "tso")
    assert g2.cmd("offloads")["rx_lro"], "kvswitch did not offer GUEST_TSO"
    assert switch.port_status("vm2")["offloads"] == (
        "csum,guest_csum,host_tso4,host_tso6,guest_tso4,guest_tso6"), switch.port_status("vm2")
    learn(switch, g1, g2)
    assert g1.cmd(f"send-tcp dst={MAC[2]} payload={PAYLOAD} mss={MSS} count=4")["sent"] == 4
    t, _ = tcp_rx(g2, 4)
    assert t["frames"] == 4 and t["gso"] == 4, t
    assert t["mss"] == MSS and t["payload"] == 4 * PAYLOAD and t["seq_breaks"] == 0, t
    assert t["max_len"] == 14 + 20 + 20 + PAYLOAD
    st = switch.port_stats("vm1")
    assert sum(st["rx_drops"].values()) == 0, st["rx_drops"]


@pytest.mark.parametrize("v6", [0, 1], ids=["ipv4", "ipv6"])
def test_gso_frame_segmented_for_plain_guest(switch, guests, v6):
    g1, g2 = pair(switch, guests, "none")
    learn(switch, g1, g2)
    mss = MSS6 if v6 else MSS
    g1.cmd(f"send-tcp dst={MAC[2]} v6={v6} payload={PAYLOAD} mss={mss} count=3")
    per = -(-PAYLOAD // mss)
    t, _ = tcp_rx(g2, 3 * per)
    assert t["frames"] == 3 * per and t["gso"] == 0, t
    assert t["good"] == t["frames"] and t["bad_l4"] == 0 and t["bad_ip"] == 0, t
    assert t["max_payload"] == mss and t["payload"] == 3 * PAYLOAD, t
    assert t["max_len"] <= 1514, t
    assert t["seq_breaks"] == 0, t


def test_partial_checksum_completed_or_passed(switch, guests):
    g1, g2 = pair(switch, guests, "none")
    learn(switch, g1, g2)
    for v6 in (0, 1):
        g1.cmd(f"send-tcp dst={MAC[2]} v6={v6} gso=0 partial=1 payload=1000 count=5")
    t, _ = tcp_rx(g2, 10)
    assert t["frames"] == 10 and t["good"] == 10 and t["partial"] == 0, t


def test_partial_checksum_passed_to_csum_guest(switch, guests):
    g1, g2 = pair(switch, guests, "csum")
    assert g2.cmd("offloads")["rx_csum"]
    learn(switch, g1, g2)
    g1.cmd(f"send-tcp dst={MAC[2]} gso=0 partial=1 payload=1000 count=5")
    # a GSO frame to a guest with checksums but no TSO: segments, sums left partial
    g1.cmd(f"send-tcp dst={MAC[2]} payload={PAYLOAD} mss={MSS} count=1")
    per = -(-PAYLOAD // MSS)
    t, _ = tcp_rx(g2, 5 + per)
    assert t["frames"] == 5 + per and t["partial"] == 5 + per and t["gso"] == 0, t
    assert t["max_payload"] == MSS, t


def test_vlan_trunk_between(switch, guests):
    """vm1 in access VLAN 10 sends GSO untagged; vm2 on a trunk without TSO
    gets tagged segments with valid sums; and back: vm2 sends tagged GSO frames,
    vm1 (no TSO, access) gets them untagged and segmented."""
    g1, g2 = pair(switch, guests, "none", ports={"vm1": ["tag=10"], "vm2": ["trunks=10"]})
    learn(switch, g1, g2, vlan=10, vlan2=10)
    g1.cmd(f"send-tcp dst={MAC[2]} payload={PAYLOAD} mss={MSS} count=2")
    per = -(-PAYLOAD // MSS)
    t, s = tcp_rx(g2, 2 * per)
    assert t["frames"] == 2 * per and t["good"] == 2 * per and t["seq_breaks"] == 0, t
    assert s["rx"]["by_vlan"] == {"10": 2 * per}, s["rx"]["by_vlan"]
    assert t["max_len"] == 18 + 20 + 20 + MSS

    # the other way needs vm2 to send with TSO: a new guest on vm2
    g2.close()
    g2 = guests(switch.sock("vm2"), MAC[2], gid=2, name="vm2b", args=("--offloads", "tso"))
    g2.link()
    switch.wait_connected("vm2")
    g1.close()
    g1 = guests(switch.sock("vm1"), MAC[1], gid=1, name="vm1b", args=("--offloads", "none"))
    g1.link()
    switch.wait_connected("vm1")
    g1.send(dst=BCAST, count=1)
    settle(g1, g2)
    wait_learned(switch, MAC[1], "vm1", vlan=10)
    g1.reset()
    g2.cmd(f"send-tcp dst={MAC[1]} vlan=10 v6=1 payload={PAYLOAD} mss={MSS6} count=2")
    per = -(-PAYLOAD // MSS6)
    t, s = tcp_rx(g1, 2 * per)
    assert t["frames"] == 2 * per and t["good"] == 2 * per and t["seq_breaks"] == 0, t
    assert t["max_len"] == 14 + 40 + 20 + MSS6
    assert s["rx"]["by_vlan"] == {"0": 2 * per}, s["rx"]["by_vlan"]


def test_bad_offload_requests_dropped_by_name(switch, guests):
    g1, g2 = pair(switch, guests, "none")
    learn(switch, g1, g2)
    before = switch.port_stats("vm1")["rx_drops"].get("bad_offload", 0)
    g1.cmd(f"send-tcp dst={MAC[2]} bad=mss0 payload={PAYLOAD} count=3")
    g1.cmd(f"send-tcp dst={MAC[2]} bad=not_tcp payload={PAYLOAD} count=3")
    # a frame over the MTU that does not ask for segmenting
    g1.cmd(f"send-tcp dst={MAC[2]} gso=0 partial=0 payload=9000 count=3")
    settle(g1, g2)
    st = switch.port_stats("vm1")
    assert st["rx_drops"]["bad_offload"] - before == 9, st["rx_drops"]
    assert g2.stats()["tcp"]["frames"] == 0
    # csum_start past the frame: librte_vhost leaves the frame alone; it is
    # forwarded as any frame with a wrong checksum would be, and nothing breaks
    g1.cmd(f"send-tcp dst={MAC[2]} bad=csum_start gso=0 payload=500 count=2")
    # and good traffic still flows
    g1.cmd(f"send-tcp dst={MAC[2]} payload={PAYLOAD} mss={MSS} count=1")
    per = -(-PAYLOAD // MSS)
    t, _ = tcp_rx(g2, 2 + per)
    assert t["frames"] == 2 + per and t["good"] == per and t["bad_l4"] == 2, t


def test_offload_options_off(switch, guests):
    """options:tso=false offers no TSO to a guest (connecting afterwards);
    options:csum=false offers nothing."""
    add_vhost_ports(switch, ["vm1", "vm2"])
    switch.vsctl("set", "Interface", "vm1", "options:tso=false")
    switch.vsctl("set", "Interface", "vm2", "options:csum=false")
    g1 = guests(switch.sock("vm1"), MAC[1], gid=1, name="vm1", args=("--offloads", "tso"))
    g2 = guests(switch.sock("vm2"), MAC[2], gid=2, name="vm2", args=("--offloads", "tso"))
    for g, n in ((g1, "vm1"), (g2, "vm2")):
        g.link()
        switch.wait_connected(n)
    assert g1.cmd("offloads") == {"tx_csum": True, "tx_tso": False, "rx_csum": True,
                                  "rx_lro": False}
    assert g2.cmd("offloads") == {"tx_csum": False, "tx_tso": False, "rx_csum": False,
                                  "rx_lro": False}
    assert switch.port_status("vm1")["offloads"] == "csum,guest_csum"
    assert switch.port_status("vm2")["offloads"] == ""


def test_gso_frame_flooded_to_each_kind(switch, guests):
    """A GSO frame to an unknown MAC floods: a TSO guest gets it whole, two
    plain guests get valid segments (the frame is fitted once per kind of
    receiver, and never written while shared)."""
    add_vhost_ports(switch, ["vm1", "vm2", "vm3", "vm4"])
    kinds = {1: "tso", 2: "tso", 3: "none", 4: "none"}
    g = {}
    for i, off in kinds.items():
        g[i] = guests(switch.sock(f"vm{i}"), MAC[i], gid=i, name=f"vm{i}",
                      args=("--offloads", off))
    for i in g:
        g[i].link()
        switch.wait_connected(f"vm{i}")
    unknown = "52:54:00:00:99:99"
    assert g[1].cmd(f"send-tcp dst={unknown} payload={PAYLOAD} mss={MSS} count=2")["sent"] == 2
    per = -(-PAYLOAD // MSS)
    t, _ = tcp_rx(g[2], 2)
    assert t["frames"] == 2 and t["gso"] == 2 and t["payload"] == 2 * PAYLOAD, t
    for i in (3, 4):
        t, _ = tcp_rx(g[i], 2 * per)
        assert t["frames"] == 2 * per and t["good"] == 2 * per and t["gso"] == 0, t
        assert t["max_payload"] == MSS and t["seq_breaks"] == 0, t
    st = switch.port_stats("vm1")
    assert sum(st["rx_drops"].values()) == 0, st["rx_drops"]
