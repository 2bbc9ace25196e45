# SPDX-License-Identifier: BSD-3-Clause
"""PMD threads and their configuration at run time: pmd-cpu-mask,
pmd-rxq-affinity, statistics; vhost socket permissions."""
import grp
import os
import stat
import time

from test_switching import BCAST, MAC, attach, expect_rx, settle
from test_vhost import rxq_show


def rxq_cores(sw, port):
    out = {}
    for pmd in sw.json("pmd-rxq-show"):
        for q in pmd["rxqs"]:
            if q["port"] == port:
                out[q["queue"]] = pmd["core"]
    return out


def test_two_pmds_affinity_and_shared_tx_queues(switch, guests):
    sw = switch
    ncpu = os.cpu_count()
    sw.vsctl("add-br", "br0")
    sw.vsctl("add-port", "br0", "vm1", "type=dpdkvhostuser")
    sw.vsctl("add-port", "br0", "vm2", "type=dpdkvhostuser")
    g = attach(sw, guests, ["vm1", "vm2"], queues=2)
    sw.wait_for(lambda: len(rxq_show(sw, "vm1")) == 2, what="2 queues")
    mask = (1 << ncpu) - 1
    sw.vsctl("set", "Open_vSwitch", ".", f"other_config:pmd-cpu-mask={mask:#x}")
    pmds = sw.json("pmd-stats-show")
    assert sorted(p["core"] for p in pmds) == list(range(ncpu))
    last = ncpu - 1
    sw.vsctl("set", "Interface", "vm1", f"other_config:pmd-rxq-affinity=0:{last},1:0")
    assert rxq_cores(sw, "vm1") == {0: last, 1: 0}
    # with as many PMDs as guest queues each PMD has its own tx queue; traffic
    # from both PMDs towards vm2 arrives complete
    g["vm1"].send(dst=BCAST, count=200, queue="all")
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 200)
    sw.vsctl("set", "Open_vSwitch", ".", f"other_config:pmd-cpu-mask={1 << last:#x}")
    assert [p["core"] for p in sw.json("pmd-stats-show")] == [last]
    # a pin to a core without a PMD falls back to the scheduler, queue still polled
    assert sorted(rxq_cores(sw, "vm1")) == [0, 1]
    g["vm2"].reset()
    g["vm1"].send(dst=BCAST, count=100, queue="all")
    settle(*g.values())
    expect_rx(g["vm2"], MAC[1], 100)


def test_pmd_stats(switch, guests):
    sw = switch
    sw.vsctl("add-br", "br0")
    for n in ("vm1", "vm2"):
        sw.vsctl("add-port", "br0", n, "type=dpdkvhostuser")
    g = attach(sw, guests, ["vm1", "vm2"])
    sw.vsctl("pmd-stats-clear")
    g["vm1"].send(dst=BCAST, count=320)
    settle(*g.values())
    st = sw.json("pmd-stats-show")[0]
    assert st["rx_packets"] == 320
    assert st["busy_cycles"] > 0 and st["idle_cycles"] > 0
    assert st["cycles_per_packet"] > 0
    assert 1 <= st["packets_per_busy_poll"] <= 32
    text = sw.vsctl("pmd-stats-show")
    assert "packets received: 320" in text and "avg processing cycles per packet" in text
    sw.vsctl("pmd-stats-clear")
    assert sw.json("pmd-stats-show")[0]["rx_packets"] == 0


def test_vhost_socket_group_and_mode(switch):
    sw = switch
    group = next(g for g in ("kvm", "libvirt-qemu", "nogroup", "bin") if _has_group(g))
    sw.vsctl("set", "Open_vSwitch", ".", f"other_config:vhost-sock-group={group}",
             "other_config:vhost-sock-mode=0660")
    sw.vsctl("add-br", "br0")
    sw.vsctl("add-port", "br0", "vm1", "type=dpdkvhostuser")
    st = os.stat(sw.sock("vm1"))
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660
    assert st.st_gid == grp.getgrnam(group).gr_gid
    d = os.stat(sw.sockdir)
    assert d.st_gid == grp.getgrnam(group).gr_gid
    # changing the mode applies to existing sockets too
    sw.vsctl("set", "Open_vSwitch", ".", "other_config:vhost-sock-mode=0666")
    time.sleep(0.1)
    assert stat.S_IMODE(os.stat(sw.sock("vm1")).st_mode) == 0o666


def _has_group(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False
