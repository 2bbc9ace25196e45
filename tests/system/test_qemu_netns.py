# SPDX-License-Identifier: BSD-3-Clause
"""A QEMU/Linux guest with its checksum and TSO offloads on, and a real Linux host in a
network namespace behind a `dpdk` port (af_packet on a veth, or a net_tap device moved
into the namespace): iperf3 TCP both ways, then the same path md5-checked both ways.

The guest hands kvswitch 64 KB TCP segments with partial checksums.  Neither port takes
them as they are (af_packet has no offloads; net_tap's TSO of DPDK 22.11 refuses
MTU-sized segments), so kvswitch cuts them with librte_gso and finishes the checksums
(net_tap finishes them for a tap port).  What shows it: the namespace kernel counts no
TCP or IP checksum error, every frame it captured during the guest's send is at most
its MTU plus the Ethernet header, and iperf3 reports the rate.  The other way, the
namespace's frames reach the guest with complete checksums and the guest counts no
error either.

The namespace end of an af_packet veth has its tx checksum and TSO offloads off
(`ethtool -K ... tx off tso off`): a packet socket reads a local veth's frames before
the kernel finishes them, which is true of any af_packet user (docs/vm.md).

Needs qemu-system-x86_64, the guest image (tests/vm/build-image.sh, which ships
iperf3), iperf3 and tcpdump on the host; skipped with the reason otherwise.
"""
import hashlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

import pytest

from netns import netns_host
from test_qemu import vm_image, vms  # noqa: F401  (fixtures)
from test_netns import uplink

MAC = "52:54:00:00:05:01"
GUEST_IP, HOST_IP = "10.0.5.2", "10.0.5.1"
IPERF_PORT, NC_PORT = 5202, 5203
SECONDS = 4
MD5_MB = 8
MTU = 1500


def need(tool):
    if shutil.which(tool) is None:
        reason = f"{tool} not installed on the host (apt-get install {tool})"
        print(f"test_qemu_netns: skip: {reason}", file=sys.stderr)
        pytest.skip(reason)


def max_frame_len(pcap):
    """Largest original length of the frames in a pcap file (classic format)."""
    with open(pcap, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data)[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off, most, n = 24, 0, 0
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack_from(end + "IIII", data, off)
        most, n = max(most, orig), n + 1
        off += 16 + incl
    return most, n


def ns_popen(h, *argv):
    return subprocess.Popen(["ip", "netns", "exec", h.ns, *map(str, argv)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def iperf3(h, g, reverse):
    """iperf3 between the guest (client) and the namespace (server); reverse: the
    namespace sends.  Returns (receiver's Mbit/s, retransmits)."""
    srv = ns_popen(h, "iperf3", "-s", "-1", "-p", IPERF_PORT)
    time.sleep(0.5)
    rc, out = g.run(f"iperf3 -c {HOST_IP} -p {IPERF_PORT} -t {SECONDS} -J"
                    + (" -R" if reverse else "") + " > /tmp/ipf.json 2>&1; echo rc=$?",
                    timeout=SECONDS + 60)
    js = g.run("cat /tmp/ipf.json", timeout=30)[1]
    srv.wait(timeout=30)
    assert "rc=0" in out, f"iperf3 in the guest failed: {out}\n{js[-600:]}"
    end = json.loads(js[js.index("{"):])["end"]
    mbit = end["sum_received"]["bits_per_second"] / 1e6
    assert mbit > 1, end["sum_received"]
    return mbit, end["sum_sent"].get("retransmits", 0)


def md5_guest_to_ns(h, g, mb):
    """mb MB from the guest's busybox nc to a Python receiver in the namespace."""
    code = ("import socket,hashlib\n"
            "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
            f"s.bind(('{HOST_IP}',{NC_PORT})); s.listen(1); c,_=s.accept(); h=hashlib.md5(); n=0\n"
            "while True:\n b=c.recv(1<<20)\n if not b: break\n h.update(b); n+=len(b)\n"
            "print(n, h.hexdigest())\n")
    rcv = ns_popen(h, sys.executable, "-c", code)
    time.sleep(0.5)
    want = g.check(f"dd if=/dev/urandom of=/tmp/data bs=1M count={mb} 2>/dev/null && "
                   "md5sum < /tmp/data").split()[0]
    rc, out = g.run(f"nc {HOST_IP} {NC_PORT} < /tmp/data", timeout=120)
    assert rc == 0, out
    got = rcv.communicate(timeout=60)[0].split()
    assert got == [str(mb << 20), want], (got, want)


def md5_ns_to_guest(h, g, mb):
    """mb MB from the namespace to the guest's nc -l, md5 compared in the guest."""
    g.check("rm -f /tmp/recv /tmp/recv.md5; printf '#!/bin/sh\\ncat > /tmp/recv\\n"
            "md5sum < /tmp/recv > /tmp/recv.md5\\n' > /tmp/rx.sh; chmod +x /tmp/rx.sh")
    g.check(f"nc -l -p {NC_PORT} -e /tmp/rx.sh >/dev/null 2>&1 &")
    data = os.urandom(mb << 20)
    want = hashlib.md5(data).hexdigest()
    code = ("import socket,sys\n"
            f"s=socket.create_connection(('{GUEST_IP}',{NC_PORT}),timeout=30)\n"
            "s.sendall(sys.stdin.buffer.read()); s.close()\n")
    time.sleep(0.5)
    r = subprocess.run(["ip", "netns", "exec", h.ns, sys.executable, "-c", code], input=data,
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    deadline, got = time.time() + 60, ""
    while time.time() < deadline and not got:
        got = g.run("cat /tmp/recv.md5 2>/dev/null", timeout=10)[1].strip()
        time.sleep(0.3 if not got else 0)
    assert got.split()[:1] == [want], (got, want)


def csum_errors(snmp_of):
    tcp, ip = snmp_of("Tcp"), snmp_of("Ip")
    return {"tcp_in_csum": tcp["InCsumErrors"], "tcp_in_errs": tcp["InErrs"],
            "ip_in_hdr": ip["InHdrErrors"]}


def guest_snmp(g):
    def of(proto):
        lines = [ln.split() for ln in g.check("cat /proc/net/snmp").splitlines()
                 if ln.startswith(proto + ":")]
        return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])}
    return of


def guest_rx(g):
    st = "/sys/class/net/eth0/statistics"
    out = g.check(f"cat {st}/rx_packets {st}/rx_bytes").split()
    return int(out[0]), int(out[1])


@pytest.mark.parametrize("gro", [False, True], ids=["gro_off", "gro_on"])
@pytest.mark.parametrize("pmd", ["af_packet", "tap"])
def test_guest_tcp_with_namespace_host_over_dpdk_port(switch, vms, tmp_path, pmd, gro):
    for tool in ("iperf3", "tcpdump"):
        need(tool)
    h = next(netns_host(f"{HOST_IP}/24", veth=pmd == "af_packet"))
    try:
        if pmd == "af_packet":
            h.exec("ethtool", "-K", h.far, "tx", "off", "tso", "off")
        uplink(switch, h, pmd, f"{HOST_IP}/24")
        if gro:
            switch.vsctl("set", "Interface", "uplink", "options:gro=true")
        assert switch.port_status("uplink")["gro"] is gro
        switch.vsctl("add-port", "br0", "vm1", "--", "set", "Interface", "vm1",
                     "type=dpdkvhostuser")
        g = vms("vm1", switch.sock("vm1"), "client", mac=MAC, ip=f"{GUEST_IP}/24",
                queues=1, smp=1)
        g.wait_boot()
        g.wait_link()
        switch.wait_connected("vm1", timeout=30)
        k = g.check("ethtool -k eth0")
        assert "tcp-segmentation-offload: on" in k and "tx-checksumming: on" in k, k
        g.check(f"ping -c 2 -w 20 {HOST_IP}", timeout=30)
        ns0, g0 = csum_errors(h.snmp), csum_errors(guest_snmp(g))

        pcap = tmp_path / "ns.pcap"
        dump = ns_popen(h, "tcpdump", "-i", h.far, "-s", "96", "-w", pcap,
                        f"tcp and src host {GUEST_IP}")
        time.sleep(1)
        up, up_rtx = iperf3(h, g, reverse=False)
        dump.terminate()
        dump.wait(timeout=10)
        rx0 = guest_rx(g)
        down, down_rtx = iperf3(h, g, reverse=True)
        rx1 = guest_rx(g)
        per_frame = (rx1[1] - rx0[1]) / max(rx1[0] - rx0[0], 1)
        most, frames = max_frame_len(pcap)
        print(f"{pmd} gro={gro}: guest->ns {up:.1f} Mbit/s ({up_rtx} retransmits), "
              f"ns->guest {down:.1f} Mbit/s ({down_rtx} retransmits, {per_frame:.0f} B per "
              f"frame the guest received); {frames} guest frames captured in the namespace, "
              f"largest {most} B")
        # merged frames reach the guest whole (virtio_net counts the Ethernet
        # header in rx_bytes); without gro no frame is over the MTU
        if gro:
            assert per_frame > 2 * MTU, f"gro on: {per_frame:.0f} B per frame"
        else:
            assert per_frame <= MTU + 14, f"gro off: {per_frame:.0f} B per frame"
        assert frames > 1000, f"tcpdump saw {frames} frames of the guest's iperf3"
        assert most <= MTU + 14, f"a {most}-byte frame reached a {MTU}-MTU namespace"

        md5_guest_to_ns(h, g, MD5_MB)
        md5_ns_to_guest(h, g, MD5_MB)
        assert csum_errors(h.snmp) == ns0, "checksum errors in the namespace"
        assert csum_errors(guest_snmp(g)) == g0, "checksum errors in the guest"
        st = switch.port_stats("uplink")
        gso = switch.port_stats("vm1")
        nz = {f"{n}:{k}": v for n, ps in (("uplink", st), ("vm1", gso))
              for side in ("rx_drops", "tx_drops") for k, v in ps[side].items() if v}
        print(f"uplink tx {st['tx_packets']} frames, rx {st['rx_packets']} frames "
              f"{st['rx_bytes']} B; vm1 rx {gso['rx_packets']} frames, tx {gso['tx_packets']}; "
              f"drops {nz or 'none'}")
        assert st["tx_packets"] > gso["rx_packets"], "the guest's GSO frames were not cut"
        assert sum(st["tx_drops"].values()) == 0, st["tx_drops"]
        # rx counters stay what the wire carried, merged or not
        dev = st["device"]
        assert st["rx_packets"] == dev["ipackets"], (st["rx_packets"], dev)
        switch.vsctl("del-port", "uplink")
    finally:
        h.close()
