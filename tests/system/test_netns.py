# SPDX-License-Identifier: BSD-3-Clause
"""A `dpdk` port (af_packet PMD on a veth) bridges a virtio-user guest to a
real Linux stack in a network namespace: ARP and ICMP in both directions."""

import pytest

from netns import netns_host
from test_switching import MAC

HOST_IP, GUEST_IP = "10.99.0.1", "10.99.0.2"


@pytest.fixture
def host():
    yield from netns_host(f"{HOST_IP}/24")


@pytest.mark.parametrize("pmd", ["af_packet"])
def test_guest_and_namespace_host_exchange_arp_and_icmp(switch, guests, host, pmd):
    devargs = f"net_af_packet0,iface={host.near}"
    switch.vsctl("add-br", "br0")
    switch.vsctl("add-port", "br0", "uplink", "--", "set", "Interface", "uplink", "type=dpdk",
                 f"options:dpdk-devargs={devargs}")
    switch.vsctl("add-port", "br0", "vm1", "type=dpdkvhostuser")
    st = switch.port_status("uplink")
    assert st["driver"] == "net_af_packet", st
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
