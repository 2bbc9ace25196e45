# SPDX-License-Identifier: BSD-3-Clause
"""Real Linux guests (QEMU TCG, Debian kernel, busybox) attached to kvswitchd through
vhost-user multi-queue virtio-net: link, ARP and ping both ways, a TCP transfer checked
end to end, in both socket modes; kvswitchd killed and restarted under running guests.

Needs qemu-system-x86_64 (apt-get install qemu-system-x86) and the guest image of
tests/vm/build-image.sh (built on first use from the Debian archive, then cached in
$KVS_VM_CACHE, default /var/cache/kvswitch-vm); skipped with the reason otherwise.
Guests run under TCG (nested KVM is not relied upon): each boots in about 10 s.
"""
import sys
import time

import pytest

from vm import QEMU, VM, ImageUnavailable, ensure_image, qemu_binary

QUEUES = 2
MAC = {1: "52:54:00:00:01:01", 2: "52:54:00:00:01:02"}
IP = {1: "10.0.0.1/24", 2: "10.0.0.2/24"}
TRANSFER_MB = 4
PORT = 5001


@pytest.fixture(scope="session")
def vm_image():
    if not qemu_binary():
        reason = f"{QEMU} not found (apt-get install qemu-system-x86)"
        print(f"test_qemu: skip: {reason}", file=sys.stderr)
        pytest.skip(reason)
    try:
        d = ensure_image()
    except ImageUnavailable as e:
        print(f"test_qemu: skip: guest image unavailable: {e}", file=sys.stderr)
        pytest.skip(f"guest image unavailable: {e}")
    print(f"test_qemu: guest image {d} ({ensure_image.seconds:.1f} s)", file=sys.stderr)
    return d


@pytest.fixture
def vms(vm_image, switch, tmp_path):
    """Factory: vms(name, sock, mode, ...) -> started VM; all killed at teardown, before the
    switch fixture checks kvswitchd is alive and its mbufs are back to baseline."""
    made = []

    def make(name, sock, mode, **kw):
        kw.setdefault("workdir", tmp_path)
        kw.setdefault("queues", QUEUES)
        v = VM(name, sock, mode=mode, image=vm_image, **kw)
        made.append(v)
        return v.start()

    yield make
    for v in made:
        v.close()
    for v in made:
        assert not v.alive()


def boot_pair(switch, vms, mode, tmp_path):
    """Two guests on br0, QUEUES queue pairs each.  mode "server": kvswitch owns the
    sockets (dpdkvhostuser); "client": QEMU does (dpdkvhostuserclient)."""
    switch.vsctl("add-br", "br0")
    g = {}
    if mode == "server":
        for i in (1, 2):
            switch.vsctl("add-port", "br0", f"vm{i}", "--", "set", "Interface", f"vm{i}",
                         "type=dpdkvhostuser")
        for i in (1, 2):
            g[i] = vms(f"vm{i}", switch.sock(f"vm{i}"), "client", mac=MAC[i], ip=IP[i])
    else:
        # QEMU first: it creates its socket and waits there for kvswitch to connect
        for i in (1, 2):
            g[i] = vms(f"vm{i}", tmp_path / f"vm{i}.sock", "server", mac=MAC[i], ip=IP[i])
        for i in (1, 2):
            switch.vsctl("add-port", "br0", f"vm{i}", "--", "set", "Interface", f"vm{i}",
                         "type=dpdkvhostuserclient",
                         f"options:vhost-server-path={tmp_path / f'vm{i}.sock'}")
    for v in g.values():
        t = v.wait_boot()
        print(f"{v.name}: booted in {t:.1f} s")
    for v in g.values():
        v.wait_link()
    for i in (1, 2):
        switch.wait_connected(f"vm{i}", timeout=30)
    return g


def assert_queues(switch, g):
    """Linux enabled every queue pair (as many vCPUs as queues) and kvswitch sees them."""
    for i, v in g.items():
        out = v.check("ethtool -l eth0")
        combined = [int(line.split()[-1]) for line in out.splitlines()
                    if line.startswith("Combined:")]
        assert combined == [QUEUES, QUEUES], out
        switch.wait_for(lambda: switch.port_status(f"vm{i}").get("rx_queues_enabled") == QUEUES,
                        timeout=15, what=f"vm{i} {QUEUES} rx queues enabled")
        st = switch.port_status(f"vm{i}")
        assert st["queue_pairs"] == QUEUES and st["tx_queues_enabled"] == QUEUES, st


def ping(src, dst, count=3, timeout=30):
    rc, out = src.run(f"ping -c {count} -w {timeout - 5} {dst.ip()}", timeout=timeout)
    assert rc == 0, f"{src.name} -> {dst.name}: ping rc {rc}:\n{out}"
    assert f"{count} packets received" in out, out
    return out


def assert_pings_and_arp(switch, g):
    ping(g[1], g[2])
    ping(g[2], g[1])
    for a, b in ((1, 2), (2, 1)):
        neigh = g[a].check("ip neigh show dev eth0")
        assert g[b].ip() in neigh and MAC[b] in neigh.lower(), \
            f"vm{a} did not resolve vm{b}:\n{neigh}"
    fdb = {e["mac"].lower(): e["port"] for e in switch.json("fdb/show", "br0")}
    assert fdb.get(MAC[1]) == "vm1" and fdb.get(MAC[2]) == "vm2", fdb


def tcp_transfer(sender, receiver, mb=TRANSFER_MB, timeout=120):
    """mb MB of random data over TCP with busybox nc, checked with md5sum on both ends.

    busybox's nc exits as soon as its peer half-closes, so the receiving end is
    `nc -l -e SCRIPT` (the script reads the socket to EOF) rather than `nc -l > file`
    with stdin at EOF, which would half-close at once and cut the transfer short."""
    receiver.check("rm -f /tmp/recv /tmp/recv.md5; "
                   "printf '#!/bin/sh\\ncat > /tmp/recv\\nmd5sum < /tmp/recv > /tmp/recv.md5\\n' "
                   "> /tmp/rx.sh; chmod +x /tmp/rx.sh")
    receiver.check(f"nc -l -p {PORT} -e /tmp/rx.sh >/dev/null 2>&1 &")
    want = sender.check(f"dd if=/dev/urandom of=/tmp/data bs=1M count={mb} 2>/dev/null && "
                        "md5sum < /tmp/data").split()[0]
    t0 = time.time()
    rc, out = sender.run(f"nc {receiver.ip()} {PORT} < /tmp/data", timeout=timeout)
    assert rc == 0, f"sender nc rc {rc}:\n{out}"
    deadline = time.time() + 30
    got = ""
    while time.time() < deadline:
        got = receiver.run("cat /tmp/recv.md5 2>/dev/null", timeout=10)[1].strip()
        if got:
            break
        time.sleep(0.5)
    secs = time.time() - t0
    size = receiver.run("wc -c < /tmp/recv", timeout=10)[1].strip()
    assert got.split()[:1] == [want], \
        f"md5 {got!r} != {want!r}, received {size} of {mb << 20} bytes"
    print(f"{sender.name} -> {receiver.name}: {mb} MB in {secs:.1f} s, md5 {want}")


def test_two_guests_kvswitch_server(switch, vms, tmp_path):
    """dpdkvhostuser: kvswitch creates the sockets, QEMU connects."""
    g = boot_pair(switch, vms, "server", tmp_path)
    assert_queues(switch, g)
    assert_pings_and_arp(switch, g)
    before = {i: switch.port_stats(f"vm{i}") for i in (1, 2)}
    for i in (1, 2):  # e.g. tx_down/tx_no_queue: frames flooded to a guest still booting
        boot_drops = {f"{side}.{k}": v for side in ("rx_drops", "tx_drops")
                      for k, v in before[i][side].items() if v}
        if boot_drops:
            print(f"vm{i} drops while the guests came up: {boot_drops}")
    tcp_transfer(g[2], g[1])
    # the data went vm2 -> switch -> vm1; nothing was dropped on the way except, possibly,
    # frames for a guest whose ring was full (TCG guests are slow; TCP retransmits them)
    after = {i: switch.port_stats(f"vm{i}") for i in (1, 2)}
    assert after[2]["rx_bytes"] - before[2]["rx_bytes"] > TRANSFER_MB << 20, after[2]
    assert after[1]["tx_bytes"] - before[1]["tx_bytes"] > TRANSFER_MB << 20, after[1]
    for i in (1, 2):
        for side in ("rx_drops", "tx_drops"):
            d = {k: v - before[i][side][k] for k, v in after[i][side].items()
                 if v != before[i][side][k]}
            ring_full = d.pop("tx_ring_full", 0)
            assert not d, f"vm{i} {side} during the transfer: {d}"
            if ring_full:
                print(f"vm{i}: {ring_full} frames dropped on a full guest ring")


def test_two_guests_kvswitch_client(switch, vms, tmp_path):
    """dpdkvhostuserclient: QEMU owns the sockets (server=on), kvswitch connects."""
    g = boot_pair(switch, vms, "client", tmp_path)
    assert_queues(switch, g)
    assert_pings_and_arp(switch, g)
    tcp_transfer(g[1], g[2])


def test_kvswitchd_restart_under_running_guests(switch, vms, tmp_path):
    """kvswitchd is SIGKILLed under client-mode guests and started again from its
    configuration file: it reconnects to QEMU, the guests (not rebooted) see their link
    come back and ping each other again."""
    g = boot_pair(switch, vms, "client", tmp_path)
    ping(g[1], g[2])
    boot_id = {i: v.check("cat /proc/sys/kernel/random/boot_id").strip() for i, v in g.items()}
    pids = {i: v.proc.pid for i, v in g.items()}

    switch.kill()
    for v in g.values():  # QEMU saw the backend go: link down in the guest
        deadline = time.time() + 30
        while v.check("cat /sys/class/net/eth0/operstate").strip() != "down":
            assert time.time() < deadline, f"{v.name}: link still up after kvswitchd died"
            time.sleep(0.5)
    rc, out = g[1].run(f"ping -c 1 -w 2 {g[2].ip()}", timeout=15)
    assert rc != 0, f"ping went through without a switch:\n{out}"

    t0 = time.time()
    switch.start()
    switch.baseline = switch.mbufs_in_use()
    for i in (1, 2):
        switch.wait_connected(f"vm{i}", timeout=30)
    for v in g.values():
        v.wait_link(timeout=30)
    ping(g[1], g[2])
    ping(g[2], g[1])
    print(f"traffic back {time.time() - t0:.1f} s after kvswitchd restarted")
    for i, v in g.items():
        assert v.alive() and v.proc.pid == pids[i]
        assert v.check("cat /proc/sys/kernel/random/boot_id").strip() == boot_id[i], \
            f"{v.name} rebooted"
        assert switch.port_status(f"vm{i}")["queue_pairs"] == QUEUES
    tcp_transfer(g[2], g[1], mb=1)


def test_guest_changes_queue_count_with_ethtool(switch, vms):
    """`ethtool -L eth0 combined N` in the guest enables/disables queue pairs; kvswitch
    follows (pmd-rxq polls only enabled queues) and traffic keeps flowing."""
    switch.vsctl("add-br", "br0")
    for i in (1, 2):
        switch.vsctl("add-port", "br0", f"vm{i}", "--", "set", "Interface", f"vm{i}",
                     "type=dpdkvhostuser")
    g = {i: vms(f"vm{i}", switch.sock(f"vm{i}"), "client", mac=MAC[i], ip=IP[i])
         for i in (1, 2)}
    for v in g.values():
        v.wait_boot()
        v.wait_link()
    switch.wait_for(lambda: switch.port_status("vm1").get("rx_queues_enabled") == QUEUES,
                    timeout=15, what="vm1 2 rx queues enabled")
    for n in (1, QUEUES):
        g[1].check(f"ethtool -L eth0 combined {n}")
        switch.wait_for(lambda: switch.port_status("vm1").get("rx_queues_enabled") == n,
                        timeout=15, what=f"vm1 {n} rx queue(s) enabled")
        assert "Combined:\t" + str(n) in g[1].check("ethtool -l eth0").split("Current")[1]
        ping(g[1], g[2], count=2)
