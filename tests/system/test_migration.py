# SPDX-License-Identifier: BSD-3-Clause
"""Live migration of a QEMU/Linux guest (TCG) between two kvswitch ports on one host: the
source QEMU on port vmA, the destination QEMU (-incoming) on port vmA-dst, a peer guest
pinging the migrating one every 0.1 s across the switch-over.  Reports the echoes lost
(QEMU's stop-and-copy downtime) and checks that the MAC table follows the guest and that
TCP works on the destination (md5 on both ends).

Failure paths: a migration cancelled half-way (the source keeps running and keeps its
network), the destination QEMU killed during the migration (the same), and kvswitchd
killed and restarted during the migration (the guests reconnect; the migration completes
or fails, and the guest runs on the side QEMU says, reachable through the switch).  Each
ends with the switch alive, its configuration intact and, through the switch fixture, no
mbuf leaked.

KVS_MIGRATION_STREAM_MB=N (default 0) also runs an N MB TCP stream into the migrating
guest across the switch-over: its md5 is meant as the proof that the switch's writes into
guest memory during the migration were logged as dirty.  With 24 MB the destination guest
often breaks (`virtio_net virtio0: output.0:id N is not a head!`, or a kernel BUG) on
this machine, and it does the same on OVS-DPDK and over a virtio-net device QEMU emulates
itself with no switch involved: a QEMU 7.2 TCG migration fault, not the switch's
(bench/migration_stream.py, docs/vm.md)."""
import json
import os
import re
import socket
import time

import pytest

from test_qemu import IP, MAC, PORT, ping, start_receiver, vm_image, vms  # noqa: F401


class QMP:
    """QEMU's machine protocol on a unix socket: capabilities, then commands."""

    def __init__(self, path, timeout=30):
        deadline = time.time() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(str(path))
                break
            except OSError:
                self.s.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.f = self.s.makefile("r")
        json.loads(self.f.readline())  # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.s.sendall(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        while True:
            msg = json.loads(self.f.readline())
            if "event" in msg:
                continue
            if "error" in msg:
                raise RuntimeError(f"QMP {name}: {msg['error']}")
            return msg["return"]

    def close(self):
        self.f.close()
        self.s.close()


def test_live_migration_keeps_the_network_and_every_byte(switch, vms, tmp_path):
    switch.vsctl("add-br", "br0")
    for p in ("vm1", "vmA", "vmA-dst"):
        switch.vsctl("add-port", "br0", p, "--", "set", "Interface", p, "type=dpdkvhostuser")
    mig = tmp_path / "migrate.sock"
    qmp_src, qmp_dst = tmp_path / "qmp-src.sock", tmp_path / "qmp-dst.sock"
    peer = vms("vm1", switch.sock("vm1"), "client", mac=MAC[1], ip=IP[1], queues=1)
    src = vms("vmA", switch.sock("vmA"), "client", mac=MAC[2], ip=IP[2], queues=1,
              extra_args=["-qmp", f"unix:{qmp_src},server=on,wait=off"])
    for v in (peer, src):
        v.wait_boot()
        v.wait_link()
    ping(peer, src)
    # the destination: the same machine, another port, waiting for the state
    dst_dir = tmp_path / "dst"
    dst_dir.mkdir()
    dst = vms("vmA", switch.sock("vmA-dst"), "client", mac=MAC[2], ip=IP[2], queues=1,
              workdir=dst_dir,
              extra_args=["-qmp", f"unix:{qmp_dst},server=on,wait=off",
                          "-incoming", f"unix:{mig}"])
    qd = QMP(qmp_dst)  # kvswitch's port starts once the guest runs there
    assert qd.cmd("query-status")["status"] == "inmigrate"

    # traffic across the switch-over: echoes every 0.1 s, and optionally a TCP stream
    mb = int(os.environ.get("KVS_MIGRATION_STREAM_MB", "0")) or 4
    stream = os.environ.get("KVS_MIGRATION_STREAM_MB", "0") != "0"
    start_receiver(src)
    want = peer.check(f"dd if=/dev/urandom of=/tmp/data bs=1M count={mb} 2>/dev/null && "
                      "md5sum < /tmp/data").split()[0]
    peer.check(f"ping -i 0.1 -c 400 {src.ip()} > /tmp/ping.log 2>&1 &")
    if stream:
        peer.check(f"nc {src.ip()} {PORT} < /tmp/data > /tmp/nc.log 2>&1 &")
    time.sleep(1)

    q = QMP(qmp_src)
    t0 = time.time()
    q.cmd("migrate", uri=f"unix:{mig}")
    status = wait_final(q)
    q.close()
    took = time.time() - t0
    assert status.get("status") == "completed", status
    downtime = status.get("downtime")
    print(f"migration: {took:.1f} s, QEMU's downtime {downtime} ms, "
          f"{status.get('ram', {}).get('dirty-sync-count')} dirty syncs")
    assert qd.cmd("query-status")["status"] == "running"
    t_done = time.time()
    qd.close()
    switch.wait_connected("vmA-dst", timeout=30)

    # the announcement moves the MAC at once, while the paused source QEMU is still
    # there, and nothing from the source's side takes it back
    def on_dst():
        return any(e["mac"].lower() == MAC[2] and e["port"] == "vmA-dst"
                   for e in switch.json("fdb/show", "br0"))
    switch.wait_for(on_dst, timeout=20, what="vmA's MAC on vmA-dst")
    print(f"MAC on vmA-dst {time.time() - t_done:.2f} s after QEMU reported completion, "
          f"source QEMU {'still alive' if src.alive() else 'gone'}")
    assert src.alive()
    moved = switch.json("fdb/stats-show", "br0")["moved"]
    assert moved >= 1
    time.sleep(1)
    assert on_dst(), "the source port took vmA's MAC back"
    src.close()  # the source QEMU stays paused after a migration: gone now

    # the guest runs on the destination with its MAC and IP
    assert MAC[2] in dst.check("cat /sys/class/net/eth0/address")
    assert IP[2].split("/")[0] in dst.check("ip -4 addr show dev eth0")

    # every byte arrived (through the switch-over with a stream: dirty logging)
    if not stream:
        peer.check(f"nc {src.ip()} {PORT} < /tmp/data > /tmp/nc.log 2>&1", timeout=240)
    deadline, got = time.time() + 240, ""
    while time.time() < deadline and not got:
        got = dst.run("cat /tmp/recv.md5 2>/dev/null", timeout=20)[1].strip()
        time.sleep(1)
    size = dst.run("wc -c < /tmp/recv", timeout=20)[1].strip()
    assert got.split()[:1] == [want], f"md5 {got!r} != {want!r}, {size} bytes received"

    # echoes lost: the switch-over's cost
    deadline = time.time() + 120
    while time.time() < deadline and "packets received" not in \
            peer.run("cat /tmp/ping.log", timeout=10)[1]:
        time.sleep(1)
    log = peer.check("cat /tmp/ping.log")
    m = re.search(r"(\d+) packets transmitted, (\d+) packets received", log)
    assert m, log[-500:]
    lost = int(m.group(1)) - int(m.group(2))
    gaps = [float(x) for x in re.findall(r"time=([\d.]+) ms", log)]
    print(f"echoes: {m.group(1)} sent, {lost} lost, slowest {max(gaps):.0f} ms")
    # QEMU's stop-and-copy downtime bounds the loss: at most 1 s of echoes under TCG
    # beyond what that downtime covers
    allowed = 10 + int((downtime or 0) / 100)
    assert lost <= allowed, f"{lost} echoes lost (downtime {downtime} ms)\n{log[-800:]}"
    ping(peer, dst)


SLOW = 4 << 20  # bytes/s: a 512 MB guest takes minutes, so the test acts mid-way


def three_guests(switch, vms, tmp_path, mode):
    """Ports vm1, vmA, vmA-dst on br0; the peer and the migration source booted, the
    destination waiting (-incoming).  mode "server": kvswitch owns the sockets; "client":
    QEMU does and kvswitch connects (what survives a kvswitchd restart)."""
    switch.vsctl("add-br", "br0")
    socks = {}
    for p in ("vm1", "vmA", "vmA-dst"):
        if mode == "server":
            switch.vsctl("add-port", "br0", p, "--", "set", "Interface", p,
                         "type=dpdkvhostuser")
            socks[p] = switch.sock(p)
        else:
            socks[p] = tmp_path / f"{p}.sock"
    qemu_mode = "client" if mode == "server" else "server"
    qs, qd, mig = tmp_path / "qmp-src.sock", tmp_path / "qmp-dst.sock", tmp_path / "mig.sock"
    peer = vms("vm1", socks["vm1"], qemu_mode, mac=MAC[1], ip=IP[1], queues=1)
    src = vms("vmA", socks["vmA"], qemu_mode, mac=MAC[2], ip=IP[2], queues=1,
              extra_args=["-qmp", f"unix:{qs},server=on,wait=off"])
    dst_dir = tmp_path / "dst"
    dst_dir.mkdir()
    dst = vms("vmA", socks["vmA-dst"], qemu_mode, mac=MAC[2], ip=IP[2], queues=1,
              workdir=dst_dir,
              extra_args=["-qmp", f"unix:{qd},server=on,wait=off", "-incoming", f"unix:{mig}"])
    if mode == "client":
        for p in ("vm1", "vmA", "vmA-dst"):
            switch.vsctl("add-port", "br0", p, "--", "set", "Interface", p,
                         "type=dpdkvhostuserclient", f"options:vhost-server-path={socks[p]}")
    for v in (peer, src):
        v.wait_boot()
        v.wait_link()
    ping(peer, src)
    return peer, src, dst, QMP(qs), QMP(qd), mig


def start_slow_migration(q, mig):
    q.cmd("migrate-set-parameters", **{"max-bandwidth": SLOW})
    q.cmd("migrate", uri=f"unix:{mig}")
    deadline = time.time() + 30
    while q.cmd("query-migrate").get("status") != "active":
        assert time.time() < deadline, q.cmd("query-migrate")
        time.sleep(0.2)
    time.sleep(2)  # some RAM sent, the dirty log on
    st = q.cmd("query-migrate")
    assert st["status"] == "active" and st["ram"]["remaining"] > 0, st
    return st


def wait_final(q, timeout=240):
    """QMP query-migrate until the migration completed, failed or was cancelled."""
    deadline = time.time() + timeout
    while True:
        st = q.cmd("query-migrate")
        if st.get("status") in ("completed", "failed", "cancelled"):
            return st
        assert time.time() < deadline, st
        time.sleep(0.2)


def assert_guest_on(switch, peer, guest, port):
    """guest answers the peer through the switch, and its MAC is learned on port."""
    ping(peer, guest)
    switch.wait_for(lambda: any(e["mac"].lower() == MAC[2] and e["port"] == port
                                for e in switch.json("fdb/show", "br0")),
                    timeout=20, what=f"vmA's MAC on {port}")


def assert_config_intact(switch):
    assert set(switch.vsctl("list-ports", "br0").split()) == {"vm1", "vmA", "vmA-dst"}


def test_migration_cancelled_half_way_keeps_the_source(switch, vms, tmp_path):
    peer, src, dst, q, qd, mig = three_guests(switch, vms, tmp_path, "server")
    before = start_slow_migration(q, mig)
    q.cmd("migrate_cancel")
    st = wait_final(q, timeout=60)
    assert st["status"] == "cancelled", st
    assert q.cmd("query-status")["status"] == "running"
    print(f"cancelled with about {before['ram']['remaining'] >> 20} MB of RAM left to send")
    assert_guest_on(switch, peer, src, "vmA")
    # the switch still writes into the source correctly: TCP md5 to it
    start_receiver(src)
    want = peer.check("dd if=/dev/urandom of=/tmp/data bs=1M count=2 2>/dev/null && "
                      "md5sum < /tmp/data").split()[0]
    peer.check(f"nc {src.ip()} {PORT} < /tmp/data", timeout=120)
    deadline, got = time.time() + 60, ""
    while time.time() < deadline and not got:
        got = src.run("cat /tmp/recv.md5 2>/dev/null", timeout=20)[1].strip()
        time.sleep(0.5)
    assert got.split()[:1] == [want], (got, want)
    assert_config_intact(switch)
    q.close()
    qd.close()


def test_migration_destination_killed_keeps_the_source(switch, vms, tmp_path):
    peer, src, dst, q, qd, mig = three_guests(switch, vms, tmp_path, "server")
    start_slow_migration(q, mig)
    qd.close()
    dst.proc.kill()
    dst.proc.wait(timeout=30)
    st = wait_final(q, timeout=120)
    assert st["status"] == "failed", st
    print(f"source: migration {st['status']} ({st.get('error-desc', '')})")
    assert q.cmd("query-status")["status"] == "running"
    assert_guest_on(switch, peer, src, "vmA")
    assert switch.port_status("vmA-dst").get("connected") is not True
    assert_config_intact(switch)
    q.close()


def test_kvswitchd_restarted_during_migration(switch, vms, tmp_path):
    peer, src, dst, q, qd, mig = three_guests(switch, vms, tmp_path, "client")
    start_slow_migration(q, mig)
    switch.kill()
    switch.start()
    switch.baseline = switch.mbufs_in_use()
    assert_config_intact(switch)
    for p in ("vm1", "vmA"):
        switch.wait_connected(p, timeout=60)
    q.cmd("migrate-set-parameters", **{"max-bandwidth": 1 << 30})
    st = wait_final(q)
    print(f"migration across the restart: {st['status']} ({st.get('error-desc', '')})")
    assert st["status"] in ("completed", "failed"), st
    if st["status"] == "completed":
        assert qd.cmd("query-status")["status"] == "running"
        src.close()
        switch.wait_connected("vmA-dst", timeout=60)
        dst.wait_link(timeout=60)
        assert_guest_on(switch, peer, dst, "vmA-dst")
    else:
        assert q.cmd("query-status")["status"] == "running"
        src.wait_link(timeout=60)
        assert_guest_on(switch, peer, src, "vmA")
    q.close()
    qd.close()
