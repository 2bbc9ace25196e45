# SPDX-License-Identifier: BSD-3-Clause
"""Guests changing how many queue pairs they use, as `ethtool -L eth0 combined N` does in a
Linux guest: virtio-user sends VHOST_USER_SET_VRING_ENABLE for every queue pair it turns on or
off, and kvswitchd must poll and transmit to the enabled queues only. Also a guest whose device
has more queue pairs than it ever enables."""
import re

from test_switching import BCAST, MAC, rx_from, settle
from test_vhost import rxq_show

VRING_ENABLE = re.compile(r"\(([^)]*)\) set queue enable: (\d) to qp idx: (\d+)")


def vring_enables(sw, port, since=0):
    """[(vring, enabled)] from librte_vhost's log lines for port's socket, in order. vring
    2q is the guest's rx ring of queue pair q, 2q + 1 its tx ring."""
    sock = sw.sock(port)
    return [(int(m[3]), m[2] == "1") for m in VRING_ENABLE.finditer(sw.log_text()[since:])
            if m[1] == sock]


def rxq_packets(sw, port):
    """The switch's per-queue rx counters for port (queues that never received are absent)."""
    return {q["queue"]: q["packets"] for q in sw.port_stats(port)["rxqs"]}


def stream_rx(g, key):
    return g.stats()["rx"]["streams"].get(key, {"count": 0, "max_seq": 0, "out_of_order": 0,
                                                "dup": 0})


def add_ports(sw, names):
    sw.vsctl("add-br", "br0")
    for n in names:
        sw.vsctl("add-port", "br0", n, "type=dpdkvhostuser")


def connect(sw, *gs):
    for g in gs:
        g.link()
        sw.wait_connected(g.name)


def learn(*gs):
    """Every guest sends one broadcast, so that unicast between them is not flooded."""
    for g in gs:
        g.send(dst=BCAST, count=1)
    settle(*gs)
    for g in gs:
        g.reset()


def enabled_queues(sw, port):
    st = sw.port_status(port)
    return st["queue_pairs"], st["rx_queues_enabled"], st["tx_queues_enabled"]


def test_guest_disables_and_reenables_queue_pairs(switch, guests):
    add_ports(switch, ["vm1", "vm2"])
    vm1 = guests(switch.sock("vm1"), MAC[1], gid=1, name="vm1", queues=4)
    vm2 = guests(switch.sock("vm2"), MAC[2], gid=2, name="vm2")
    connect(switch, vm1, vm2)

    # four queue pairs, all enabled, polled and used
    switch.wait_for(lambda: rxq_show(switch, "vm1") == {0: True, 1: True, 2: True, 3: True},
                    what="4 enabled rx queues polled")
    assert enabled_queues(switch, "vm1") == (4, 4, 4)
    vm1.send(dst=BCAST, count=400, queue="all")
    settle(vm1, vm2)
    assert rx_from(vm2, MAC[1]) == 400
    assert rxq_packets(switch, "vm1") == {0: 100, 1: 100, 2: 100, 3: 100}
    learn(vm1, vm2)

    # vm2 streams to vm1 while vm1 goes down to 2 queue pairs
    vm2.stream_start(dst=MAC[1], pps=2000, stream=5)
    switch.wait_for(lambda: stream_rx(vm1, "2:5")["count"] >= 200, what="stream reaching vm1")
    log_mark = len(switch.log_text())
    before = stream_rx(vm1, "2:5")["count"]
    assert vm1.set_queues(2) == {"queues": 2}
    assert vm1.queues() == {"rx_queues": 2, "tx_queues": 2}
    # virtio-user really told the switch: both rings of pairs 2 and 3 (vrings 4..7) off,
    # pairs 0 and 1 untouched (they stayed enabled)
    switch.wait_for(lambda: sorted(vring_enables(switch, "vm1", log_mark)) ==
                    [(4, False), (5, False), (6, False), (7, False)],
                    what="SET_VRING_ENABLE 0 for vrings 4..7 in the switch log")
    switch.wait_for(lambda: all(en == (q < 2) for q, en in rxq_show(switch, "vm1").items()),
                    what="rx queues 2 and 3 disabled")
    shown = rxq_show(switch, "vm1")
    assert shown.get(0) is True and shown.get(1) is True, shown
    assert enabled_queues(switch, "vm1") == (4, 2, 2)
    # the stream keeps arriving
    switch.wait_for(lambda: stream_rx(vm1, "2:5")["count"] >= before + 400,
                    what="stream still reaching vm1 after set_queues(2)")

    # From here on nothing may get lost on the way to vm1: frames the switch put in a
    # disabled queue would go missing, since vm1 no longer polls queues 2 and 3 (and counts
    # nothing there). Only the restart of vm1's port may have cost a few frames, before this.
    vm1.reset()
    switch.wait_for(lambda: stream_rx(vm1, "2:5")["count"] >= 10, what="stream after reset")
    mid = stream_rx(vm1, "2:5")
    sw_rxq = rxq_packets(switch, "vm1")
    vm1.send(dst=MAC[2], count=400, queue="all")
    assert vm1.stats()["tx"]["by_queue"] == [200, 200]
    switch.wait_for(lambda: stream_rx(vm1, "2:5")["count"] >= mid["count"] + 600,
                    what="more of the stream reaching vm1")
    sent = vm2.stream_stop()
    settle(vm1, vm2)
    assert rx_from(vm2, MAC[1]) == 400
    after = rxq_packets(switch, "vm1")
    assert after.get(0, 0) - sw_rxq.get(0, 0) == 200, (sw_rxq, after)
    assert after.get(1, 0) - sw_rxq.get(1, 0) == 200, (sw_rxq, after)
    assert after.get(2, 0) == sw_rxq.get(2, 0) == 100, (sw_rxq, after)
    assert after.get(3, 0) == sw_rxq.get(3, 0) == 100, (sw_rxq, after)
    rx = vm1.stats()["rx"]
    end = rx["streams"]["2:5"]
    assert sent["failed"] == 0
    assert end["max_seq"] == sent["sent"], "the end of the stream did not reach vm1"
    assert end["count"] - mid["count"] == end["max_seq"] - mid["max_seq"], (mid, end)
    assert end["out_of_order"] == 0 and end["dup"] == 0, end
    # per-queue counters exist for the 2 queues in use only, and account for every frame
    assert len(rx["by_queue"]) == 2 and sum(rx["by_queue"]) == rx["total"] > 0, rx["by_queue"]
    drops = switch.port_stats("vm1")["tx_drops"]
    assert drops["tx_no_queue"] == 0 and drops["tx_ring_full"] == 0, drops

    # back to 4 queue pairs: all enabled and used again
    log_mark = len(switch.log_text())
    assert vm1.set_queues(4) == {"queues": 4}
    switch.wait_for(lambda: sorted(vring_enables(switch, "vm1", log_mark)) ==
                    [(4, True), (5, True), (6, True), (7, True)],
                    what="SET_VRING_ENABLE 1 for vrings 4..7 in the switch log")
    switch.wait_for(lambda: rxq_show(switch, "vm1") == {0: True, 1: True, 2: True, 3: True},
                    what="4 enabled rx queues polled again")
    assert enabled_queues(switch, "vm1") == (4, 4, 4)
    vm1.reset()
    vm2.reset()
    sw_rxq = rxq_packets(switch, "vm1")
    vm1.send(dst=MAC[2], count=400, queue="all")
    settle(vm1, vm2)
    assert vm1.stats()["tx"]["by_queue"] == [100, 100, 100, 100]
    assert rx_from(vm2, MAC[1]) == 400
    after = rxq_packets(switch, "vm1")
    assert {q: after.get(q, 0) - sw_rxq.get(q, 0) for q in range(4)} == \
        {0: 100, 1: 100, 2: 100, 3: 100}, (sw_rxq, after)
    vm2.send(dst=MAC[1], count=100)
    settle(vm1, vm2)
    assert rx_from(vm1, MAC[2]) == 100
    assert vm1.stats()["rx"]["by_queue"][0] == 100


def test_guest_enabling_fewer_queue_pairs_than_its_device_has(switch, guests):
    add_ports(switch, ["vm1", "vm2"])
    vm1 = guests(switch.sock("vm1"), MAC[1], gid=1, name="vm1", queues=4,
                 args=("--queues", "1"))
    vm2 = guests(switch.sock("vm2"), MAC[2], gid=2, name="vm2")
    connect(switch, vm1, vm2)
    assert vm1.queues() == {"rx_queues": 1, "tx_queues": 1}

    # 4 pairs negotiated, only pair 0 ever enabled
    switch.wait_for(lambda: rxq_show(switch, "vm1").get(0) is True, what="rx queue 0 enabled")
    assert all(en == (q == 0) for q, en in rxq_show(switch, "vm1").items())
    assert enabled_queues(switch, "vm1") == (4, 1, 1)
    assert {vr for vr, on in vring_enables(switch, "vm1") if on} == {0, 1}

    learn(vm1, vm2)
    vm2.send(dst=MAC[1], count=500)
    vm2.send(dst=BCAST, count=100)
    settle(vm1, vm2)
    rx = vm1.stats()["rx"]
    assert rx_from(vm1, MAC[2]) == 600
    assert rx["by_queue"] == [600]
    st = switch.port_stats("vm1")
    assert st["tx_drops"]["tx_no_queue"] == 0, st["tx_drops"]
    assert st["tx_packets"] == 600 + 1  # and vm2's broadcast for learning

    # the other way: queue=all means the one queue in use
    vm1.send(dst=MAC[2], count=200, queue="all")
    settle(vm1, vm2)
    assert vm1.stats()["tx"]["by_queue"] == [200]
    assert rx_from(vm2, MAC[1]) == 200
    assert rxq_packets(switch, "vm1") == {0: 200 + 1}
