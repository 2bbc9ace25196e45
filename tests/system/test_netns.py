# SPDX-License-Identifier: BSD-3-Clause
"""A `dpdk` port (af_packet PMD on a veth, or a net_tap device moved into the
namespace) bridges a virtio-user guest to a real Linux stack in a network
namespace: ARP and ICMP in both directions; TCP segments from a guest's 64 KB
GSO frames reach the kernel with valid checksums, no larger than its MTU."""

import time

import pytest

from netns import netns_host
from test_switching import MAC

HOST_IP, GUEST_IP = "10.99.0.1", "10.99.0.2"


def uplink(switch, host, pmd, ip_cidr):
    """Bridge br0 with a dpdk port `uplink` to host: af_packet on its veth, or
    a tap device net_tap makes, then moved into the namespace."""
    if pmd == "af_packet":
        devargs = f"net_af_packet0,iface={host.near}"
    else:
        devargs = f"net_tap_kvs0,iface={host.near}"
    switch.vsctl("--may-exist", "add-br", "br0")
    switch.vsctl("add-port", "br0", "uplink", "--", "set", "Interface", "uplink", "type=dpdk",
                 f"options:dpdk-devargs={devargs}")
    if pmd == "tap":
        host.adopt(host.near)
    return switch.port_status("uplink")


@pytest.mark.parametrize("pmd", ["af_packet", "tap"])
def test_guest_and_namespace_host_exchange_arp_and_icmp(switch, guests, pmd):
    h = next(netns_host(f"{HOST_IP}/24", veth=pmd == "af_packet"))
    try:
        run_arp_icmp(switch, guests, h, pmd)
    finally:
        h.close()


def run_arp_icmp(switch, guests, host, pmd):
    st = uplink(switch, host, pmd, f"{HOST_IP}/24")
    switch.vsctl("add-port", "br0", "vm1", "type=dpdkvhostuser")
    assert st["driver"] == f"net_{pmd}", st
    g = guests(switch.sock("vm1"), MAC[1], ip=f"{GUEST_IP}/24", gid=1, name="vm1")
    g.link()
    switch.wait_connected("vm1")
    # guest -> host: ARP resolution through the bridge, then echo requests
    r = g.ping(HOST_IP, count=5)
    assert r["arp"] is True
    assert r["peer_mac"] == host.mac()
    assert r["received"] == 5, r
    # host -> guest: the kernel ARPs for the guest and pings it
    out = host.exec("ping", "-c", "3", "-W", "2", "-i", "0.2", GUEST_IP, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert " 0% packet loss" in out.stdout
    neigh = host.exec("ip", "neigh", "show", GUEST_IP).stdout
    assert MAC[1] in neigh.lower()
    # the switch learned the host's MAC on the uplink and the guest's on vm1
    fdb = {e["mac"].lower(): e["port"] for e in switch.json("fdb/show", "br0")}
    assert fdb[host.mac()] == "uplink"
    assert fdb[MAC[1]] == "vm1"
    up = switch.port_stats("uplink")
    assert up["rx_packets"] >= 8 and up["tx_packets"] >= 8
    assert g.stats()["icmp_replies_sent"] >= 3
    # removing the dpdk port under the running switch releases the device
    switch.vsctl("del-port", "uplink")
    assert "uplink" not in switch.vsctl("list-ports", "br0")


@pytest.mark.parametrize("pmd", ["af_packet", "tap"])
def test_guest_gso_frames_reach_namespace_as_valid_segments(switch, guests, pmd):
    """A guest's 64 KB GSO TCP frames (and partial-checksum frames) toward a
    Linux host: af_packet has no offloads, so kvswitch segments and sums;
    net_tap computes the checksums (kvswitch segments: net_tap's TSO of 22.11
    refuses MTU-sized segments).
    The namespace kernel counts every segment and no checksum error; a frame
    over its MTU would not count as TCP segments at all."""
    h = next(netns_host("10.0.0.2/24", veth=pmd == "af_packet"))  # send-tcp's addresses
    try:
        st = uplink(switch, h, pmd, "10.0.0.2/24")
        if pmd == "tap":
            assert st["offloads"] == "csum,ipcsum", st
        else:
            assert st["offloads"] == "", st
        switch.vsctl("add-port", "br0", "vm1", "type=dpdkvhostuser")
        g = guests(switch.sock("vm1"), MAC[1], gid=1, name="vm1", args=("--offloads", "tso"))
        g.link()
        switch.wait_connected("vm1")
        tcp0, ip0 = h.snmp("Tcp"), h.snmp("Ip")
        g.cmd(f"send-tcp dst={h.mac()} payload=60000 mss=1448 count=3")
        g.cmd(f"send-tcp dst={h.mac()} gso=0 partial=1 payload=1000 count=4")
        want = 3 * 42 + 4
        deadline = time.time() + 10
        while h.snmp("Tcp")["InSegs"] - tcp0["InSegs"] < want and time.time() < deadline:
            time.sleep(0.1)
        tcp, ip = h.snmp("Tcp"), h.snmp("Ip")
        assert tcp["InSegs"] - tcp0["InSegs"] == want, (tcp0, tcp)
        assert tcp["InCsumErrors"] == tcp0["InCsumErrors"], tcp
        assert ip["InHdrErrors"] == ip0["InHdrErrors"], ip
        assert sum(switch.port_stats("uplink")["tx_drops"].values()) == 0
        # a tap device holds a ring of mbufs until its port goes
        switch.vsctl("del-port", "uplink")
    finally:
        h.close()
