# SPDX-License-Identifier: BSD-3-Clause
"""Uplinks that are not promiscuous: kvswitch programs the device's MAC
filter with the MACs of the bridge's other ports, and says so when the
filter is full.

The uplink is net_fakevf (tests/fakevf), a PMD that behaves like an
untrusted SR-IOV VF: it delivers unicast frames only for the MACs in its
filter (uc_slots of them), refuses promiscuous mode unless trust=1, and
counts what its filter dropped in imissed.  Its frames go through a veth into
a network namespace, so the sender is a real Linux host.  The same path on
net_af_packet checks options:promiscuous against the kernel's IFF_PROMISC.
"""
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import need_hugepages, running
from kvs import BUILD, Switch
from netns import netns_host, sh
from test_switching import BCAST, MAC, expect_rx, rx_from

HOST_IP = "10.97.0.1"
GUEST_IP = {i: f"10.97.0.{10 + i}" for i in range(1, 10)}
FAKEVF = BUILD / "tests" / "fakevf" / "librte_net_fakevf.so"
ETHERTYPE = 0x88B6


@pytest.fixture
def fakevf_lib():
    """EAL loads -d plugins only from directories no other user can write to,
    all the way up (a build directory under /tmp is refused): a private copy
    under /run."""
    if not FAKEVF.exists():
        pytest.skip(f"{FAKEVF} not built")
    d = Path(tempfile.mkdtemp(prefix="kvs-fakevf-", dir="/run"))
    os.chmod(d, 0o755)
    lib = d / FAKEVF.name
    shutil.copy(FAKEVF, lib)
    yield lib
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def vfswitch(tmp_path, fakevf_lib):
    """conftest's `switch`, with the fake VF driver loaded (dpdk-extra) and
    allowed in dpdk-devargs (dpdk-devargs-allow); both are file-only keys."""
    need_hugepages()
    sw = Switch(tmp_path)
    sw.write_config(
        "open_vswitch:\n"
        "  other_config:\n"
        f"    vhost-sock-dir: {sw.sockdir}\n"
        f"    n-mbufs: {sw.n_mbufs}\n"
        f"    dpdk-extra: \"-d {fakevf_lib}\"\n"
        # drivers a control-socket client may name (the file's choice)
        "    dpdk-devargs-allow: \"net_fakevf,net_af_packet\"\n")
    yield from running(sw)


@pytest.fixture
def host():
    yield from netns_host(f"{HOST_IP}/24")


def host_send(host, dst, count=10, src=None):
    """Raw frames from the namespace host's interface, `count` of them to dst."""
    src = src or host.mac()
    code = (
        "import socket\n"
        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
        f"s.bind(({host.far!r}, 0))\n"
        f"hdr = bytes.fromhex({dst.replace(':', '')!r} + {src.replace(':', '')!r}"
        f" + '{ETHERTYPE:04x}')\n"
        f"for i in range({count}):\n"
        "    s.send(hdr + i.to_bytes(4, 'big') + bytes(42))\n")
    host.exec("python3", "-c", code)


def mac_filter(sw, port="uplink"):
    return sw.port_status(port).get("mac_filter")


def wait_filter(sw, what, pred, port="uplink", timeout=15):
    """Wait until the port's mac_filter status satisfies pred; show it if not."""
    last = {}

    def ok():
        last["mf"] = mac_filter(sw, port)
        return last["mf"] is not None and pred(last["mf"])
    try:
        sw.wait_for(ok, timeout=timeout, what=what)
    except AssertionError:
        raise AssertionError(f"timed out waiting for {what}: mac_filter={last.get('mf')}")
    return last["mf"]


def imissed(sw, port="uplink"):
    return sw.port_stats(port)["device"]["imissed"]


def add_uplink(sw, devargs, *extra):
    sw.vsctl("--may-exist", "add-br", "br0")
    sw.vsctl("add-port", "br0", "uplink", "--", "set", "Interface", "uplink", "type=dpdk",
             f"options:dpdk-devargs={devargs}", *extra)


def add_guests(sw, guests, n):
    """n guests vm1..vmN, guest i with MAC[i] and GUEST_IP[i]."""
    gs = []
    for i in range(1, n + 1):
        sw.vsctl("add-port", "br0", f"vm{i}", "type=dpdkvhostuser")
        gs.append(guests(sw.sock(f"vm{i}"), MAC[i], ip=f"{GUEST_IP[i]}/24", gid=i,
                         name=f"vm{i}", mem_mb=64))
    for i, g in enumerate(gs, 1):
        g.link()
        sw.wait_connected(f"vm{i}")
    return gs


def test_guests_receive_only_macs_kvswitch_programmed(vfswitch, guests, host):
    sw = vfswitch
    add_uplink(sw, f"net_fakevf0,iface={host.near},uc_slots=4")
    mf = wait_filter(sw, "filter mode", lambda m: m["mode"] == "filter")
    assert mf["promiscuous"] is False
    assert mf["promiscuous_error"] == "Operation not permitted"
    assert mf["max"] == 4 and mf["programmed"] == 0
    assert "promiscuous mode refused by the device" in sw.log_text()
    g1, g2 = add_guests(sw, guests, 2)
    hmac = host.mac()

    # The guests have not said anything yet: nothing is programmed, and the
    # VF drops the host's frames to them before kvswitch ever sees them.
    host_send(host, MAC[1], 20)
    sw.wait_for(lambda: imissed(sw) >= 20, what="the VF filtering 20 frames")
    g1.quiet(idle_ms=200)
    assert rx_from(g1, hmac) == 0
    assert sw.port_stats("uplink")["rx_packets"] == 0

    # They speak (learned on vm1/vm2): kvswitch programs their MACs ...
    g1.send(dst=BCAST, count=1)
    g2.send(dst=BCAST, count=1)
    mf = wait_filter(sw, "2 MACs programmed", lambda m: m["programmed"] == 2)
    assert sorted(mf["macs"]) == sorted([MAC[1], MAC[2]])
    assert mf["wanted"] == 2 and mf["overflow"] == 0 and mf["mode"] == "filter"
    # ... and the IPv6 groups their guests need (all-nodes, solicited-node)
    assert mf["multicast"]["mode"] == "list" and mf["multicast"]["programmed"] == 3
    # ... so now the same frames arrive, each at its own guest only.
    missed = imissed(sw)
    host_send(host, MAC[1], 20)
    host_send(host, MAC[2], 30)
    expect_rx(g1, hmac, 20)
    expect_rx(g2, hmac, 30)
    assert imissed(sw) == missed
    # Multicast: all-nodes is in the list and reaches both guests; a group
    # that is not (mDNS) stays in the VF.
    host_send(host, "33:33:00:00:00:01", 5)
    expect_rx(g1, hmac, 25)
    expect_rx(g2, hmac, 35)
    host_send(host, "33:33:00:00:00:fb", 5)
    sw.wait_for(lambda: imissed(sw) == missed + 5, what="the VF filtering 5 frames")

    # The MACs follow the MAC table: flushed, they leave the filter ...
    sw.vsctl("fdb/flush", "br0")
    wait_filter(sw, "flushed MACs out of the filter", lambda m: m["programmed"] == 0)
    host_send(host, MAC[1], 10)
    sw.wait_for(lambda: imissed(sw) >= missed + 15, what="the VF filtering again")
    g1.quiet(idle_ms=200)
    assert rx_from(g1, hmac) == 25
    # ... aged, too (ageing is measured in whole seconds: 1..2 s here) ...
    g1.send(dst=BCAST, count=1)
    wait_filter(sw, "MAC1 programmed again", lambda m: m["macs"] == [MAC[1]])
    sw.vsctl("set", "Bridge", "br0", "other_config:mac-aging-time=1")
    wait_filter(sw, "aged MAC out of the filter", lambda m: m["programmed"] == 0)
    sw.vsctl("remove", "Bridge", "br0", "other_config", "mac-aging-time")
    # ... and a MAC that moves onto the uplink itself is not the uplink's to filter.
    g2.send(dst=BCAST, count=1)
    wait_filter(sw, "MAC2 programmed", lambda m: m["macs"] == [MAC[2]])
    host_send(host, BCAST, 1, src=MAC[2])
    wait_filter(sw, "moved MAC out of the filter", lambda m: m["programmed"] == 0)

    # The whole path with a real stack: the host ARPs and pings the guest.
    g1.send(dst=BCAST, count=1)
    wait_filter(sw, "MAC1 programmed", lambda m: MAC[1] in m["macs"])
    out = host.exec("ping", "-c", "3", "-W", "2", "-i", "0.2", GUEST_IP[1], check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert g1.stats()["icmp_replies_sent"] >= 3

    # Deleting the uplink takes its entries out and releases the device.
    sw.vsctl("del-port", "uplink")
    assert "uplink" not in sw.vsctl("list-ports", "br0")


@pytest.mark.parametrize("trust", [0, 1], ids=["untrusted", "trusted"])
def test_full_filter_is_reported_and_falls_back(vfswitch, guests, host, trust):
    sw = vfswitch
    add_uplink(sw, f"net_fakevf0,iface={host.near},uc_slots=4,trust={trust}",
               "options:promiscuous=false")
    wait_filter(sw, "filter mode", lambda m: m["mode"] == "filter")
    gs = add_guests(sw, guests, 6)
    for g in gs:
        g.send(dst=BCAST, count=1)
    full = "full" if trust == 0 else "full-promiscuous"
    mf = wait_filter(sw, f"mode {full}, 2 MACs over",
                     lambda m: m["mode"] == full and m["wanted"] == 6)
    assert mf["programmed"] == 4 and mf["max"] == 4 and mf["overflow"] == 2, mf
    assert mf["full_events"] == 1
    programmed = set(mf["macs"])
    assert len(programmed) == 4 and programmed <= {MAC[i] for i in range(1, 7)}
    log = sw.log_text()
    # logged once, when the filter became full: with 5 or 6 MACs wanted, depending on
    # whether the last guest's MAC came in the same 100 ms step (the status above has 6)
    assert re.search(r"MAC filter full: 4 of (5|6) MACs programmed, (1|2) do not fit", log), log
    stats = sw.port_stats("uplink")["mac_filter"]
    assert stats["full_events"] == 1 and stats["overflow"] == 2
    if trust == 0:
        assert mf["promiscuous"] is False and mf["fallbacks"] == 0
        assert mf["promiscuous_error"] == "Operation not permitted"
        assert re.search(r"frames for (1|2) MACs cannot be received", log), log
        assert "cannot be received" in sw.vsctl("show")
    else:
        assert mf["promiscuous"] is True and mf["fallbacks"] == 1
        assert "promiscuous mode on until every MAC fits" in log
        assert sw.port_status("uplink")["promiscuous"] is True

    # Frames for each guest: with the fallback all arrive; without, only the
    # programmed guests get theirs and the VF drops the rest.
    hmac = host.mac()
    missed = imissed(sw)
    for i in range(1, 7):
        host_send(host, MAC[i], 10)
    for i, g in enumerate(gs, 1):
        expect_rx(g, hmac, 10 if trust or MAC[i] in programmed else 0)
    assert imissed(sw) - missed == (0 if trust else 20)

    # Two guests leave: everything fits again, and the fallback goes away.
    unprogrammed = [i for i in range(1, 7) if MAC[i] not in programmed]
    for i in unprogrammed:
        sw.vsctl("del-port", f"vm{i}")
    mf = wait_filter(sw, "every MAC fits", lambda m: m["mode"] == "filter")
    assert mf["overflow"] == 0 and mf["programmed"] == 4 and mf["promiscuous"] is False
    assert "every MAC fits the filter again" in sw.log_text()


@pytest.mark.parametrize("trust", [0, 1], ids=["untrusted", "trusted"])
def test_multicast_list_refused_falls_back_to_allmulticast(vfswitch, guests, host, trust):
    sw = vfswitch
    add_uplink(sw, f"net_fakevf0,iface={host.near},mc_slots=1,trust={trust}",
               "options:promiscuous=false")
    (g1,) = add_guests(sw, guests, 1)
    g1.send(dst=BCAST, count=1)
    want = "allmulticast" if trust else "lost"
    mf = wait_filter(sw, f"multicast {want}", lambda m: m["multicast"]["mode"] == want)
    assert mf["mode"] == "filter" and mf["macs"] == [MAC[1]]
    assert mf["multicast"]["wanted"] == 2  # all-nodes and vm1's solicited-node group
    assert mf["multicast"]["error"] == "No space left on device"
    assert mf["multicast"]["allmulticast"] is bool(trust)
    assert ("allmulticast instead" if trust else "may not be received") in sw.log_text()
    missed = imissed(sw)
    host_send(host, "01:00:5e:00:00:fb", 10)
    expect_rx(g1, host.mac(), 10 if trust else 0)
    assert imissed(sw) - missed == (0 if trust else 10)


def test_trusted_vf_goes_promiscuous_and_programs_nothing(vfswitch, guests, host):
    sw = vfswitch
    add_uplink(sw, f"net_fakevf0,iface={host.near},uc_slots=1,trust=1")
    g1, g2 = add_guests(sw, guests, 2)
    for g in (g1, g2):
        g.send(dst=BCAST, count=1)
    mf = wait_filter(sw, "promiscuous mode", lambda m: m["mode"] == "promiscuous")
    assert mf["promiscuous"] is True and mf["programmed"] == 0
    # nothing programmed, everything received
    hmac = host.mac()
    host_send(host, MAC[1], 10)
    host_send(host, MAC[2], 10)
    expect_rx(g1, hmac, 10)
    expect_rx(g2, hmac, 10)
    # options:promiscuous=false at run time: the filter takes over (1 slot, 2
    # guests: the second one keeps promiscuous mode on as a fallback)
    sw.vsctl("set", "Interface", "uplink", "options:promiscuous=false")
    mf = wait_filter(sw, "full-promiscuous", lambda m: m["mode"] == "full-promiscuous")
    assert mf["programmed"] == 1 and mf["overflow"] == 1
    sw.vsctl("del-port", "vm2")
    mf = wait_filter(sw, "filter mode", lambda m: m["mode"] == "filter")
    assert mf["promiscuous"] is False and mf["macs"] == [MAC[1]]


def test_attached_mac_is_programmed_before_the_guest_speaks(vfswitch, guests, host):
    sw = vfswitch
    add_uplink(sw, f"net_fakevf0,iface={host.near},uc_slots=4")
    (g1,) = add_guests(sw, guests, 1)
    sw.vsctl("set", "Port", "vm1", f"other_config:attached-mac={MAC[1]}")
    mf = wait_filter(sw, "attached MAC programmed", lambda m: m["macs"] == [MAC[1]])
    assert mf["mode"] == "filter"
    # never learned, yet received: flooded by the switch, accepted by the VF
    hmac = host.mac()
    host_send(host, MAC[1], 10)
    expect_rx(g1, hmac, 10)
    # it stays through a flush, and leaves with the setting
    sw.vsctl("fdb/flush", "br0")
    assert wait_filter(sw, "still programmed", lambda m: m["programmed"] == 1)
    sw.vsctl("remove", "Port", "vm1", "other_config", "attached-mac")
    wait_filter(sw, "attached MAC gone", lambda m: m["programmed"] == 0)


def promisc_flag(host):
    """The kernel's view of the af_packet port's interface."""
    return "PROMISC" in sh("ip", "link", "show", host.near).stdout


def test_af_packet_promiscuous_option_and_fallback(switch, guests, host):
    """net_af_packet has no MAC filter (one address): with
    options:promiscuous=false it is promiscuous only while a guest needs it,
    and the kernel interface shows it."""
    sw = switch
    add_uplink(sw, f"net_af_packet0,iface={host.near}")
    mf = wait_filter(sw, "promiscuous", lambda m: m["mode"] == "promiscuous")
    assert promisc_flag(host)
    sw.vsctl("set", "Interface", "uplink", "options:promiscuous=false")
    mf = wait_filter(sw, "filter mode", lambda m: m["mode"] == "filter")
    assert mf["max"] == 0 and not promisc_flag(host)
    (g1,) = add_guests(sw, guests, 1)
    g1.send(dst=BCAST, count=1)
    mf = wait_filter(sw, "fallback", lambda m: m["mode"] == "full-promiscuous")
    assert mf["overflow"] == 1 and promisc_flag(host)
    out = host.exec("ping", "-c", "2", "-W", "2", "-i", "0.2", GUEST_IP[1], check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    sw.vsctl("del-port", "vm1")
    wait_filter(sw, "filter mode again", lambda m: m["mode"] == "filter")
    assert not promisc_flag(host)


def test_representors_are_ports_of_their_own(vfswitch, guests, host):
    """PF devargs with representor=[...]: each representor ethdev is one
    kvswitch port; the device goes away with the last of them, not the first."""
    sw = vfswitch
    dev = f"net_fakevf0,iface={host.near},trust=1"
    sw.vsctl("add-br", "br0")
    sw.vsctl("add-br", "br1")  # the representors share the veth: one each way
    sw.vsctl("add-port", "br1", "rep0", "--", "set", "Interface", "rep0", "type=dpdk",
             f"options:dpdk-devargs={dev},representor=[0-1]")
    assert "names 2 ethdevs (representors?)" in sw.log_text()
    sw.vsctl("add-port", "br0", "rep1", "--", "set", "Interface", "rep1", "type=dpdk",
             f"options:dpdk-devargs={dev},representor=[1]")
    st0, st1 = sw.port_status("rep0"), sw.port_status("rep1")
    assert st0["driver"] == st1["driver"] == "net_fakevf"
    assert st0["mac"] != st1["mac"]  # two ethdevs
    probes = sw.log_text().count("net_fakevf0: port")
    # every representor the devargs name is taken
    with pytest.raises(Exception) as e:
        sw.vsctl("add-port", "br0", "rep2", "--", "set", "Interface", "rep2", "type=dpdk",
                 f"options:dpdk-devargs={dev},representor=[0,1]")
    assert "each ethdev is a port already" in str(e.value)
    # the port that probed the device goes first: the other one keeps working
    sw.vsctl("del-port", "rep0")
    (g1,) = add_guests(sw, guests, 1)
    out = host.exec("ping", "-c", "2", "-W", "2", "-i", "0.2", GUEST_IP[1], check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert sw.port_status("rep1")["link_up"] is True
    # the last one removes the device: adding a port probes it afresh
    sw.vsctl("del-port", "rep1")
    sw.vsctl("add-port", "br1", "rep0", "--", "set", "Interface", "rep0", "type=dpdk",
             f"options:dpdk-devargs={dev},representor=[0]")
    assert sw.log_text().count("net_fakevf0: port") == probes + 1
