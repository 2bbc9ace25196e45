# SPDX-License-Identifier: BSD-3-Clause
"""vhost-user port lifecycle with virtio-user guests: multi-queue, guests
coming and going, kvswitchd killed and restarted under client-mode guests,
ports added and removed while traffic flows on others."""
import time

import pytest

from kvs import KvsctlError
from test_switching import BCAST, MAC, attach, expect_rx, rx_from, settle, wait_learned


def rxq_show(sw, port):
    out = {}
    for pmd in sw.json("pmd-rxq-show"):
        for q in pmd["rxqs"]:
            if q["port"] == port:
                out[q["queue"]] = q["enabled"]
    return out


def test_four_queue_pairs_all_polled(switch, guests):
    switch.vsctl("add-br", "br0")
    for n in ("vm1", "vm2"):
        switch.vsctl("add-port", "br0", n, "type=dpdkvhostuser")
    g = attach(switch, guests, ["vm1", "vm2"], queues=4)
    switch.wait_for(lambda: len(rxq_show(switch, "vm1")) == 4, what="4 rx queues polled")
    assert all(rxq_show(switch, "vm1").values())
    st = switch.port_status("vm1")
    assert st["queue_pairs"] == 4 and st["rx_queues_enabled"] == 4
    g["vm1"].send(dst=BCAST, count=400, queue="all")
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 400)
    per_q = {q["queue"]: q["packets"] for q in switch.port_stats("vm1")["rxqs"]}
    assert sorted(per_q) == [0, 1, 2, 3], per_q
    assert all(v == 100 for v in per_q.values()), per_q


def test_eight_queue_pairs(switch, guests):
    switch.vsctl("add-br", "br0")
    for n in ("vm1", "vm2"):
        switch.vsctl("add-port", "br0", n, "type=dpdkvhostuser")
    g = attach(switch, guests, ["vm1", "vm2"], queues=8)
    switch.wait_for(lambda: len(rxq_show(switch, "vm1")) == 8, what="8 rx queues polled")
    g["vm1"].send(dst=BCAST, count=800, queue="all")
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 800)
    assert len(switch.port_stats("vm1")["rxqs"]) == 8


def test_guest_disconnect_and_reconnect(switch, guests):
    switch.vsctl("add-br", "br0")
    for n in ("vm1", "vm2"):
        switch.vsctl("add-port", "br0", n, "type=dpdkvhostuser")
    g = attach(switch, guests, ["vm1", "vm2"])
    g["vm1"].send(dst=BCAST, count=10)
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 10)
    g["vm2"].quit()
    switch.wait_connected("vm2", False)
    # frames towards a gone guest are dropped by name, not lost silently
    g["vm1"].send(dst=MAC[2], count=5)
    settle(g["vm1"])
    switch.wait_for(lambda: switch.port_stats("vm2")["tx_drops"]["tx_down"] >= 5,
                    what="tx_down drops counted")
    g2 = guests(switch.sock("vm2"), MAC[2], gid=2, name="vm2-again")
    g2.link()
    switch.wait_connected("vm2", True)
    assert switch.port_status("vm2")["connects"] == 2
    g["vm1"].send(dst=BCAST, count=10)
    settle(g["vm1"], g2)
    expect_rx(g2, MAC[1], 10)


def client_mode_pair(switch, guests, tmp_path):
    """Two guests that own their sockets (QEMU server=on style)."""
    socks = [tmp_path / "vm1.sock", tmp_path / "vm2.sock"]
    gs = [guests(socks[i], MAC[i + 1], gid=i + 1, name=f"vm{i + 1}", server=True, wait=False)
          for i in range(2)]
    switch.vsctl("add-br", "br0")
    for i in range(2):
        switch.vsctl("add-port", "br0", f"vm{i + 1}", "--", "set", "Interface", f"vm{i + 1}",
                     "type=dpdkvhostuserclient", f"options:vhost-server-path={socks[i]}")
    for g in gs:
        g.wait_ready()
        g.link()
    for i in range(2):
        switch.wait_connected(f"vm{i + 1}")
    return gs


def test_restart_with_client_mode_guests(switch, guests, tmp_path):
    g1, g2 = client_mode_pair(switch, guests, tmp_path)
    g1.send(dst=BCAST, count=20)
    settle(g1, g2)
    expect_rx(g2, MAC[1], 20)
    before = switch.json("show")
    switch.kill()  # a crash: no clean shutdown
    time.sleep(1)
    switch.start()
    switch.baseline = switch.mbufs_at_rest()  # client-mode guests reconnect at once
    # configuration restored from the file the switch rewrote on every change
    after = switch.json("show")
    assert [p["name"] for p in after["bridges"][0]["ports"]] == ["vm1", "vm2"]
    assert [p["options"] for p in after["bridges"][0]["ports"]] == \
        [p["options"] for p in before["bridges"][0]["ports"]]
    # the guests, which never restarted, are reconnected and carry traffic
    switch.wait_connected("vm1", timeout=30)
    switch.wait_connected("vm2", timeout=30)
    g1.link(timeout_ms=15000)
    g2.link(timeout_ms=15000)
    g2.reset()
    deadline = time.time() + 15
    while time.time() < deadline and rx_from(g2, MAC[1]) == 0:
        g1.send(dst=BCAST, count=1)
        settle(g1, g2)
    g2.reset()
    g1.send(dst=BCAST, count=50)
    settle(g1, g2)
    expect_rx(g2, MAC[1], 50)


def test_hot_add_and_remove_ports_with_zero_loss_on_others(switch, guests):
    switch.vsctl("add-br", "br0")
    for n in ("vm1", "vm2"):
        switch.vsctl("add-port", "br0", n, "type=dpdkvhostuser")
    g = attach(switch, guests, ["vm1", "vm2"])
    # teach the switch both MACs so the stream is unicast vm1 -> vm2
    g["vm2"].send(dst=BCAST, count=1)
    g["vm1"].send(dst=BCAST, count=1)
    settle(*g.values())
    wait_learned(switch, MAC[2], "vm2")
    wait_learned(switch, MAC[1], "vm1")
    g["vm2"].reset()
    g["vm1"].stream_start(dst=MAC[2], pps=20000, stream=7)
    extra = []
    for round_ in range(3):
        for i in range(3, 6):
            switch.vsctl("add-port", "br0", f"vm{i}", "type=dpdkvhostuser")
        if round_ == 1:
            extra.append(guests(switch.sock("vm3"), MAC[3], gid=3, name=f"vm3-{round_}"))
            extra[-1].link()
            switch.wait_connected("vm3")
        time.sleep(0.3)
        for i in range(3, 6):
            switch.vsctl("del-port", f"vm{i}")
        time.sleep(0.3)
    sent = g["vm1"].stream_stop()["sent"]
    settle(g["vm2"])
    s = g["vm2"].stats()["rx"]["streams"]["1:7"]
    assert sent > 5000
    assert s["count"] == sent, f"lost {sent - s['count']} of {sent}"
    assert s["out_of_order"] == 0 and s["dup"] == 0
    assert switch.port_stats("vm2")["tx_drops"]["tx_ring_full"] == 0


def test_refused_transaction_leaves_guests_connected(switch, guests, tmp_path):
    """A transaction that moves the vhost socket directory and adds a port
    whose device cannot be opened is refused; it used to close and reopen
    vm1 on the way (guest disconnected, MACs and counters lost).  Now the
    new sockets are opened beside the old ones and nothing is closed before
    the commit."""
    import os
    sw = switch
    sw.vsctl("add-br", "br0")
    for n in ("vm1", "vm2"):
        sw.vsctl("add-port", "br0", n, "type=dpdkvhostuser")
    g = attach(sw, guests, ["vm1", "vm2"])
    g["vm1"].send(dst=BCAST, count=10)
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 10)
    wait_learned(sw, MAC[1], "vm1")
    ino = os.stat(sw.sock("vm1")).st_ino
    rx_before = sw.port_stats("vm1")["rx_packets"]
    with pytest.raises(KvsctlError):
        sw.vsctl("set", "Open_vSwitch", ".", f"other_config:vhost-sock-dir={tmp_path}/sock2",
                 "--", "add-port", "br0", "bad", "type=dpdk",
                 "options:dpdk-devargs=0000:ff:1f.7")
    assert os.stat(sw.sock("vm1")).st_ino == ino
    assert not (tmp_path / "sock2").exists()
    st = sw.port_status("vm1")
    assert st["connected"] and st["connects"] == 1, st
    assert sw.port_stats("vm1")["rx_packets"] == rx_before
    wait_learned(sw, MAC[1], "vm1")
    assert "bad" not in sw.vsctl("list-ports", "br0").split()
    g["vm2"].reset()
    g["vm1"].send(dst=MAC[2], count=10)
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 10)
    # accepted, the same move opens the new sockets, then closes the old ones
    for n in ("vm1", "vm2"):
        g[n].quit()
    sw.vsctl("set", "Open_vSwitch", ".", f"other_config:vhost-sock-dir={tmp_path}/sock2")
    for n in ("vm1", "vm2"):
        assert (tmp_path / "sock2" / n).is_socket()
        assert not os.path.exists(sw.sock(n))
        assert sw.port_status(n)["socket"] == str(tmp_path / "sock2" / n)
    g2 = guests(str(tmp_path / "sock2" / "vm2"), MAC[2], gid=2, name="vm2-moved")
    g2.link()
    sw.wait_connected("vm2")


HOLD_LEN = 256  # DP_TXHOLD_LEN: frames held per (port, PMD)

PACKED = ("packed_vq=1",)
F_MRG_RXBUF, F_RING_PACKED = 15, 34


def features(switch, port):
    return int(switch.port_status(port)["features"], 16)


def holding_pair(switch, guests, vdev_opts=(), **opts):
    """vm1 -> vm2 learned, vm2 no longer reading its rx ring; opts are vm2's
    Interface options (tx-hold-ms: long enough for the test's RPCs),
    vdev_opts both guests' more virtio-user devargs."""
    switch.vsctl("add-br", "br0")
    for n in ("vm1", "vm2"):
        switch.vsctl("add-port", "br0", n, "type=dpdkvhostuser")
    for k, v in opts.items():
        switch.vsctl("set", "Interface", "vm2", f"options:{k}={v}")
    g = attach(switch, guests, ["vm1", "vm2"], vdev_opts=vdev_opts)
    g["vm2"].send(dst=BCAST, count=1)
    settle(*g.values())
    wait_learned(switch, MAC[2], "vm2")
    g["vm2"].cmd("rx-hold on=1")
    g["vm2"].reset()
    return g


def tx_delta(st, before):
    """What vm2's tx side did since `before`: sent, named drops, frames held."""
    sent = st["tx_packets"] - before["tx_packets"]
    drops = {k: v - before["tx_drops"][k] for k, v in st["tx_drops"].items()
             if v != before["tx_drops"][k]}
    return sent, drops, st["tx_held"] - before["tx_held"]


def stream_rx(g, key):
    return g.stats()["rx"]["streams"].get(key, {"count": 0, "out_of_order": 0, "dup": 0})


def overfill(switch, g, before, n=1024 + HOLD_LEN // 2):
    """Send n frames vm1 -> vm2 (the guest's 1024-slot ring and half a hold
    more, by default) as stream 1:7; return (sent, held) once all are in."""
    g["vm1"].send(dst=MAC[2], count=n, pps=200000, stream=7)
    settle(g["vm1"])
    sent, drops, held = tx_delta(switch.port_stats("vm2"), before)
    assert not drops and held > 0 and sent + held == n, (sent, drops, held)
    return sent, held


def test_full_guest_ring_is_retried_only_after_progress(switch, guests):
    """A guest that stopped reading: a burst that finds its ring full ends
    after the one try that moved nothing (before: tx-retries-max more tries
    per burst, holding the PMD); the next 256 frames wait in the port's hold
    (dataplane/txhold.h), every frame past that counts as tx_ring_full, and
    the held ones reach the guest, in order, once it reads again."""
    g = holding_pair(switch, guests, **{"tx-retries-max": 8, "tx-hold-ms": 10000})
    before = switch.port_stats("vm2")
    g["vm1"].send(dst=MAC[2], count=4000, pps=200000, stream=7)
    settle(g["vm1"])
    st = switch.port_stats("vm2")
    sent, drops, held = tx_delta(st, before)
    full = drops.pop("tx_ring_full", 0)
    assert not drops, st
    assert held == HOLD_LEN, f"{held} frames waited: {st}"
    assert sent + full + held == 4000, st
    assert full >= 2000, f"ring never filled: {st}"
    # at most one burst found the ring part full and retried
    retries = st["tx_retries"] - before["tx_retries"]
    assert retries <= 8, f"{retries} retries for {full} frames that did not fit"
    g["vm2"].cmd("rx-hold on=0")
    g["vm2"].wait_rx(sent + held)
    s = stream_rx(g["vm2"], "1:7")
    assert (s["count"], s["out_of_order"], s["dup"]) == (sent + held, 0, 0), s
    after = switch.port_stats("vm2")
    assert tx_delta(after, before) == (sent + held, {"tx_ring_full": full}, held), after


@pytest.mark.parametrize("ring", ["split", "packed"])
def test_short_guest_stall_loses_nothing(switch, guests, ring):
    """A guest that stops reading for a moment: what its ring cannot take
    waits in the hold and arrives, in full and in order, once it reads
    again.  Without the hold every frame past the ring was lost (the
    32-frame losses that ended kvsbench's zero-loss trials,
    bench/results/2026-12-04).  The same with packed virtqueues and
    mergeable buffers (virtio-user's default)."""
    g = holding_pair(switch, guests, vdev_opts=PACKED if ring == "packed" else (),
                     **{"tx-hold-ms": 10000})
    assert (features(switch, "vm2") >> F_RING_PACKED & 1) == (ring == "packed")
    assert features(switch, "vm2") >> F_MRG_RXBUF & 1
    before = switch.port_stats("vm2")
    n = 1024 + HOLD_LEN // 2
    sent, held = overfill(switch, g, before, n)
    g["vm2"].cmd("rx-hold on=0")
    g["vm2"].wait_rx(n)
    s = stream_rx(g["vm2"], "1:7")
    assert (s["count"], s["out_of_order"], s["dup"]) == (n, 0, 0), s
    assert tx_delta(switch.port_stats("vm2"), before) == (n, {}, held)


def test_stopped_guest_loses_its_hold(switch, guests):
    """A guest that takes nothing for tx-hold-ms loses what was held for it,
    as tx_ring_full, and its port then holds nothing more (frames for it
    are dropped at once, as without a hold) until the guest takes frames
    again: a stopped guest pins no mbufs and keeps no PMD awake."""
    g = holding_pair(switch, guests, **{"tx-hold-ms": 1500})
    before = switch.port_stats("vm2")
    t0 = time.monotonic()
    sent, held = overfill(switch, g, before)
    switch.wait_for(lambda: tx_delta(switch.port_stats("vm2"), before)[1] ==
                    {"tx_ring_full": held}, timeout=5, what="the expired hold dropped")
    print(f"{held} held frames dropped {time.monotonic() - t0:.2f} s after the send began")
    g["vm1"].send(dst=MAC[2], count=50)
    settle(g["vm1"])
    assert tx_delta(switch.port_stats("vm2"), before) == (sent, {"tx_ring_full": held + 50},
                                                          held)
    g["vm2"].cmd("rx-hold on=0")
    g["vm2"].wait_rx(sent)
    time.sleep(0.2)
    assert rx_from(g["vm2"], MAC[1]) == sent
    # reading again: the hold is back for the next stall
    g["vm2"].cmd("rx-hold on=1")
    before = switch.port_stats("vm2")
    overfill(switch, g, before)


def test_held_frames_do_not_outlive_a_vlan_change(switch, guests):
    """Frames held for a guest whose port moves to another VLAN are not
    delivered after the move (tx_held_stale): they were switched for the
    old VLAN."""
    g = holding_pair(switch, guests, **{"tx-hold-ms": 10000})
    before = switch.port_stats("vm2")
    sent, held = overfill(switch, g, before)
    switch.vsctl("set", "Port", "vm2", "tag=20")
    switch.wait_for(lambda: tx_delta(switch.port_stats("vm2"), before)[1] ==
                    {"tx_held_stale": held}, timeout=5, what="held frames dropped as stale")
    g["vm2"].cmd("rx-hold on=0")
    g["vm2"].wait_rx(sent)
    time.sleep(0.2)
    assert rx_from(g["vm2"], MAC[1]) == sent


def test_guest_leaving_with_frames_held(switch, guests):
    """A guest that disconnects while frames wait for it: they are dropped
    (as tx_no_queue: the guest disables its rings before it goes; tx_down
    or tx_held_stale if it vanishes), nothing leaks, and the port takes its
    next guest."""
    g = holding_pair(switch, guests, **{"tx-hold-ms": 10000})
    before = switch.port_stats("vm2")
    sent, held = overfill(switch, g, before)
    g["vm2"].quit()
    switch.wait_connected("vm2", False)

    def gone():
        d = tx_delta(switch.port_stats("vm2"), before)[1]
        return sum(d.get(k, 0) for k in ("tx_no_queue", "tx_down", "tx_held_stale"))
    switch.wait_for(lambda: gone() == held, timeout=5, what="held frames dropped")
    g2 = guests(switch.sock("vm2"), MAC[2], gid=2, name="vm2-again")
    g2.link()
    switch.wait_connected("vm2")
    g["vm1"].send(dst=MAC[2], count=10)
    settle(g["vm1"], g2)
    expect_rx(g2, MAC[1], 10)


def test_packed_ring_guest_beside_a_split_ring_one(switch, guests):
    """A guest with packed virtqueues (virtio 1.1: QEMU's packed=on, libvirt's
    <driver packed='on'/>) and one with split ones, four queue pairs each:
    show names each one's ring, every queue is polled, and what each guest
    sends on all its queues reaches the other in full."""
    switch.vsctl("add-br", "br0")
    for n in ("vm1", "vm2"):
        switch.vsctl("add-port", "br0", n, "type=dpdkvhostuser")
    g = {"vm1": guests(switch.sock("vm1"), MAC[1], gid=1, name="vm1", queues=4,
                       vdev_opts=PACKED),
         "vm2": guests(switch.sock("vm2"), MAC[2], gid=2, name="vm2", queues=4)}
    for n in g:
        g[n].link()
        switch.wait_connected(n)
    assert switch.port_status("vm1")["ring"] == "packed"
    assert features(switch, "vm1") >> F_RING_PACKED & 1
    assert switch.port_status("vm2")["ring"] == "split"
    assert not features(switch, "vm2") >> F_RING_PACKED & 1
    show = switch.vsctl("show")
    assert "ring=packed" in show and "ring=split" in show, show
    switch.wait_for(lambda: len(rxq_show(switch, "vm1")) == 4, what="4 rx queues polled")
    g["vm1"].send(dst=BCAST, count=400, queue="all")
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 400)
    g["vm2"].send(dst=MAC[1], count=400, queue="all")
    g["vm1"].send(dst=MAC[2], count=400, queue="all")
    settle(*g.values())
    expect_rx(g["vm1"], MAC[2], 400)
    expect_rx(g["vm2"], MAC[1], 800)
    for n in g:
        per_q = {q["queue"]: q["packets"] for q in switch.port_stats(n)["rxqs"]}
        want = 200 if n == "vm1" else 100
        assert per_q == {q: want for q in range(4)}, (n, per_q)


def test_packed_ring_without_mergeable_buffers_holds_nothing(switch, guests):
    """Without mergeable buffers a packed ring cannot tell a frame too big
    for the guest's buffers from a full ring (vhost_tx.c, head_try), so
    nothing is held for it: frames past its full ring go at once as
    tx_ring_full, those it took arrive in order, and traffic goes on."""
    g = holding_pair(switch, guests, vdev_opts=PACKED + ("mrg_rxbuf=0",),
                     **{"tx-hold-ms": 10000})
    assert features(switch, "vm2") >> F_RING_PACKED & 1
    assert not features(switch, "vm2") >> F_MRG_RXBUF & 1
    before = switch.port_stats("vm2")
    n = 1024 + HOLD_LEN // 2
    g["vm1"].send(dst=MAC[2], count=n, pps=200000, stream=7)
    settle(g["vm1"])
    sent, drops, held = tx_delta(switch.port_stats("vm2"), before)
    assert held == 0 and sent > 0, (sent, drops, held)
    assert drops == {"tx_ring_full": n - sent}, (sent, drops)
    g["vm2"].cmd("rx-hold on=0")
    g["vm2"].wait_rx(sent)
    s = stream_rx(g["vm2"], "1:7")
    assert (s["count"], s["out_of_order"], s["dup"]) == (sent, 0, 0), s
    g["vm1"].send(dst=MAC[2], count=100)
    settle(g["vm1"])
    expect_rx(g["vm2"], MAC[1], sent + 100)
