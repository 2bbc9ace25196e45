# SPDX-License-Identifier: BSD-3-Clause
"""`kvsctl capture`: pcap files of a port's frames, read back by tcpdump and
tshark, compared byte for byte with what a virtio-user guest sent and what a
Linux host in a namespace received (its own tcpdump on the far end of the
veth); the expression filters as tcpdump filters; captures end on their
count, duration, Ctrl-C, their kvsctl going away, or their port closing; bad
requests are refused with the reason and change nothing."""

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import time

import pytest

from kvs import KVSCTL
from netns import netns_host
from test_netns import uplink
from test_switching import MAC

HOST_IP, GUEST_IP = "10.98.0.1", "10.98.0.2"


def read_pcap(path):
    """(nanosecond?, snaplen, linktype, [(ts_ns, caplen, wire_len, bytes)])"""
    data = open(path, "rb").read()
    magic, _, _, _, _, snaplen, linktype = struct.unpack_from("<IHHiIII", data, 0)
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), hex(magic)
    nano = magic == 0xA1B23C4D
    frames, off = [], 24
    while off < len(data):
        sec, frac, caplen, wire = struct.unpack_from("<IIII", data, off)
        off += 16
        frames.append((sec * 10**9 + (frac if nano else frac * 1000), caplen, wire,
                       data[off:off + caplen]))
        off += caplen
    return nano, snaplen, linktype, frames


def capture(switch, *args, stdout=subprocess.DEVNULL, text=False):
    """kvsctl capture ARGS, running; text: its stdout is read as text lines."""
    return subprocess.Popen([str(KVSCTL), "--unixctl", str(switch.ctl), "capture",
                             *[str(a) for a in args]],
                            stdout=subprocess.PIPE if text else stdout, stderr=subprocess.PIPE,
                            text=text)


def captures_running(switch):
    return switch.json("memory/show")["capture"]["captures"]


def wait_running(switch, n, procs=()):
    for p in procs:
        assert p.poll() is None, p.stderr.read()
    switch.wait_for(lambda: captures_running(switch) == n, 10, f"{n} captures running")


def finish(p, sig=signal.SIGINT, timeout=15):
    """End a kvsctl capture (by sig unless it ended itself); its stderr."""
    if sig is not None and p.poll() is None:
        p.send_signal(sig)
    p.wait(timeout)
    err = p.stderr.read()
    return p.returncode, err if isinstance(err, str) else err.decode()


def assert_all_ended(switch):
    switch.wait_for(lambda: captures_running(switch) == 0, 10, "captures to end")
    cap = switch.json("memory/show")["capture"]
    assert cap["in_use"] == 0, cap  # every copy given back


@pytest.fixture
def host():
    h = next(netns_host(f"{HOST_IP}/24"))
    yield h
    h.close()


def icmp_echo_requests(frames, src_mac):
    mac = bytes.fromhex(src_mac.replace(":", ""))
    return [f[3] for f in frames
            if f[3][6:12] == mac and f[3][12:14] == b"\x08\x00" and f[3][23] == 1
            and f[3][34] == 8]


def test_capture_files_match_the_wire(switch, guests, host, tmp_path):
    if shutil.which("tcpdump") is None or shutil.which("tshark") is None:
        pytest.skip("tcpdump and tshark are needed (.ci/install-deps installs them)")
    uplink(switch, host, "af_packet", f"{HOST_IP}/24")
    switch.vsctl("add-port", "br0", "vm1", "type=dpdkvhostuser")
    g = guests(switch.sock("vm1"), MAC[1], ip=f"{GUEST_IP}/24", gid=1, name="vm1")
    g.link()
    switch.wait_connected("vm1")

    ns_pcap = tmp_path / "ns.pcap"
    ns_dump = subprocess.Popen(["ip", "netns", "exec", host.ns, "tcpdump", "-i", host.far,
                                "-U", "--immediate-mode", "-n", "-w", str(ns_pcap), "icmp"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert "listening on" in ns_dump.stderr.readline()

    vm1_rx, up_tx, piped = tmp_path / "vm1_rx.pcap", tmp_path / "up_tx.pcap", tmp_path / "p.pcap"
    t0 = time.time_ns()
    a = capture(switch, "vm1", "--direction", "rx", "-w", vm1_rx)
    # -w - through a real pipe into tcpdump, with an expression
    b = capture(switch, "vm1", "-Q", "rx", "-w", "-", "icmp", stdout=subprocess.PIPE)
    b_reader = subprocess.Popen(["tcpdump", "-r", "-", "-w", str(piped)], stdin=b.stdout,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    b.stdout.close()
    c = capture(switch, "uplink", "--direction", "tx", "--count", 5, "-w", up_tx, "icmp")
    wait_running(switch, 3, (a, b, c))

    r = g.ping(HOST_IP, count=5)
    assert r["received"] == 5, r

    rc, err = finish(c, sig=None)  # ends on its count
    assert rc == 0 and "(count reached): 5 frames written, 0 dropped" in err, err
    for p in (a, b):
        rc, err = finish(p)
        assert rc == 0 and "(stopped by kvsctl)" in err and " 0 dropped" in err, err
    b_reader.wait(10)
    t1 = time.time_ns()
    ns_dump.send_signal(signal.SIGINT)
    ns_dump.wait(10)
    assert_all_ended(switch)

    nano, snaplen, linktype, rx = read_pcap(vm1_rx)
    assert nano and snaplen == 262144 and linktype == 1
    assert all(t0 <= f[0] <= t1 for f in rx), "timestamps are the capture's wall clock"
    assert [f[0] for f in rx] == sorted(f[0] for f in rx)
    assert all(f[1] == f[2] == len(f[3]) for f in rx)
    # what the guest sent, what the switch sent on the uplink, what the
    # namespace's kernel received: the same 5 echo requests, byte for byte
    sent = icmp_echo_requests(rx, MAC[1])
    assert len(sent) == 5
    assert [f[3] for f in read_pcap(up_tx)[3]] == sent
    assert icmp_echo_requests(read_pcap(ns_pcap)[3], MAC[1]) == sent
    # the guest's ARP request is in the unfiltered capture, not in the icmp one
    assert any(f[3][12:14] == b"\x08\x06" for f in rx)
    filtered = tmp_path / "filtered.pcap"
    subprocess.run(["tcpdump", "-r", str(vm1_rx), "-w", str(filtered), "icmp"], check=True,
                   capture_output=True)
    assert [f[3] for f in read_pcap(piped)[3]] == [f[3] for f in read_pcap(filtered)[3]]
    assert len(read_pcap(piped)[3]) == 5

    # Debian's tcpdump and tshark read kvsctl's files
    out = subprocess.run(["tcpdump", "-n", "-r", str(up_tx)], capture_output=True, text=True,
                         check=True).stdout
    assert out.count(f"IP {GUEST_IP} > {HOST_IP}: ICMP echo request") == 5, out
    out = subprocess.run(["tshark", "-n", "-r", str(vm1_rx), "-Y", "icmp.type == 8", "-T",
                          "fields", "-e", "eth.src", "-e", "ip.dst"],
                         capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [f"{MAC[1]}\t{HOST_IP}"] * 5, out
    # capturing cost the guests nothing
    assert switch.port_stats("vm1")["rx_packets"] >= 6


def test_capture_ends_with_duration_reader_or_port(switch, host, tmp_path):
    uplink(switch, host, "af_packet", f"{HOST_IP}/24")

    # duration, and text lines without -w; snaplen
    p = capture(switch, "uplink", "--duration", 2, "-s", 60, "-w", tmp_path / "d.pcap")
    wait_running(switch, 1, (p,))
    t = time.monotonic()
    host.exec("ping", "-c", "2", "-i", "0.2", "-s", "200", "-W", "1", "10.98.0.77", check=False)
    rc, err = finish(p, sig=None)
    assert rc == 0 and "(duration reached)" in err, err
    assert 1.5 < time.monotonic() - t < 6
    _, snaplen, _, frames = read_pcap(tmp_path / "d.pcap")
    assert snaplen == 60 and frames  # the host's ARP requests for .77
    assert all(f[1] == len(f[3]) <= 60 and f[2] >= f[1] for f in frames)

    # ends on its first frame: the host's ARP requests (or one still coming
    # from the ping above) until it has one
    p = capture(switch, "uplink", "-c", 1, text=True)
    deadline = time.monotonic() + 15
    while p.poll() is None and time.monotonic() < deadline:
        host.exec("ping", "-c", "1", "-W", "1", "10.98.0.78", check=False)
    p.wait(5)
    out = p.stdout.read()
    assert p.returncode == 0 and " rx 42 bytes " in out and "ethertype 0x0806" in out, out

    # kvsctl killed: the daemon sees its connection go and ends the capture
    p = capture(switch, "uplink", "-w", tmp_path / "k.pcap")
    wait_running(switch, 1, (p,))
    p.kill()
    p.wait()
    switch.wait_for(lambda: captures_running(switch) == 0, 10, "capture of a killed kvsctl ends")
    assert "capture on port 'uplink' ended" in switch.log_text()

    # the port goes away under a capture
    p = capture(switch, "uplink", "-w", tmp_path / "g.pcap")
    wait_running(switch, 1, (p,))
    switch.vsctl("del-port", "uplink")
    rc, err = finish(p, sig=None)
    assert rc == 0 and "(port closed (removed or reopened))" in err, err
    assert_all_ended(switch)


def test_capture_survives_broken_readers(switch, host, tmp_path):
    """A reader that stops reading its socket (shuts it for reading), and an output that
    cannot be written (/dev/full): the capture ends, its copies go back to the pool, and
    the port's capture slots are free again."""
    uplink(switch, host, "af_packet", f"{HOST_IP}/24")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(switch.ctl))
    s.sendall(json.dumps({"id": 1, "method": "capture", "params": {"port": "uplink"}})
              .encode() + b"\n")
    assert b'"result"' in s.recv(4096)
    s.shutdown(socket.SHUT_RD)  # the daemon's writes fail from now on
    host.exec("ping", "-c", "3", "-i", "0.2", "-W", "1", "10.98.0.80", check=False)
    switch.wait_for(lambda: captures_running(switch) == 0, 10, "the capture to end")
    s.close()
    assert "capture on port 'uplink' ended (kvsctl went away)" in switch.log_text()
    host.exec("ping", "-c", "2", "-i", "0.2", "-W", "1", "10.98.0.81", check=False)
    assert_all_ended(switch)  # no copy left on a forgotten ring

    # the pcap header already fails: kvsctl ends the capture at once, by itself
    p = capture(switch, "uplink", "-w", "/dev/full")
    rc, err = finish(p, sig=None)
    assert rc == 1 and "cannot write '/dev/full': No space left on device" in err, err
    assert_all_ended(switch)
    eight = [capture(switch, "uplink", "-w", tmp_path / f"c{i}.pcap") for i in range(8)]
    wait_running(switch, 8, eight)  # every slot free again
    for p in eight:
        assert finish(p)[0] == 0


def test_capture_bad_requests_change_nothing(switch, host, tmp_path):
    uplink(switch, host, "af_packet", f"{HOST_IP}/24")

    def refused(*args):
        p = capture(switch, *args)
        rc, err = finish(p, sig=None)
        return rc, err

    rc, err = refused("nope")
    assert rc == 1 and "no port 'nope'" in err, err
    rc, err = refused("uplink", "icmp", "and", "and")
    assert rc == 1 and "expression 'icmp and and'" in err, err
    rc, err = refused("uplink", "-w", "/nonexistent/dir/x.pcap")
    assert rc == 1 and "cannot write '/nonexistent/dir/x.pcap'" in err, err
    rc, err = refused("uplink", "-w", tmp_path)
    assert rc == 1 and "is a directory" in err, err
    rc, err = refused("uplink", "--snaplen", 300000)
    assert rc == 2 and "snaplen '300000'" in err, err
    rc, err = refused("uplink", "--bogus", "icmp")
    assert rc == 2 and "unknown option '--bogus'" in err, err
    rc, err = refused("uplink", "--direction", "up")
    assert rc == 2 and "direction 'up'" in err, err
    assert captures_running(switch) == 0
    assert not (tmp_path / "x.pcap").exists()

    # eight at once on one port; the ninth is refused, the eight keep going
    eight = [capture(switch, "uplink", "-w", tmp_path / f"c{i}.pcap") for i in range(8)]
    wait_running(switch, 8, eight)
    rc, err = refused("uplink")
    assert rc == 1 and "the most captures at once" in err, err
    host.exec("ping", "-c", "1", "-W", "1", "10.98.0.79", check=False)
    for p in eight:
        rc, err = finish(p)
        assert rc == 0 and "frames written" in err, err
    for i in range(8):
        assert len(read_pcap(tmp_path / f"c{i}.pcap")[3]) >= 1
    assert_all_ended(switch)
    assert os.path.exists(switch.ctl) and switch.alive()
