#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Live migration of a QEMU/Linux guest (TCG) with a TCP stream crossing the switch-over,
on kvswitch and on OVS-DPDK in turn: does the guest come out whole on the destination?

Per round and switch: three guests with one queue pair each, QEMU as the vhost-user
server (dpdkvhostuserclient on both switches): a peer vm1, the migrating vmA and its
destination (the same guest, `-incoming`, on port vmAdst).  The peer pings vmA every
0.1 s and streams --mb MB into it with busybox nc; one second in, QMP `migrate` moves vmA.
Recorded: whether migration completed, QEMU's downtime, the virtqueue indexes QEMU holds
for the stopped source (`x-query-virtio-queue-status`: last-avail-idx against used-idx,
i.e. nothing in flight when the backend stopped), whether the stream's md5 arrived right
on the destination, and any `virtio_net ... is not a head!` in the destination guest's
console, the error of issue 16.

A third row, `qemu-nic`, runs the same on kvswitch but streams over a second virtio-net
device that QEMU emulates itself (a `-netdev socket` multicast hub on the host's loopback,
no vhost-user): no switch and no librte_vhost touch that stream's guest memory, so a
failure there is QEMU's (its TCG migration), whatever the switch.  The row also counts the
frames kvswitch wrote into the migrating guest during the migration.

  /usr/bin/python3 bench/migration_stream.py [--rounds 3] [--mb 24]
      [--switches kvswitch,ovs] [--out bench/results/DATE/migration_stream]

Needs root, qemu-system-x86, hugepages, and for the OVS rows openvswitch-switch-dpdk.
"""
import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests" / "system"))
os.environ.setdefault("KVS_BUILD_DIR", str(REPO / "build"))

import vm_tcp  # noqa: E402
from test_migration import QMP, wait_final  # noqa: E402
from test_qemu import PORT, start_receiver  # noqa: E402
from vm import VM, ensure_image, tcg_safe_ram_kb  # noqa: E402

MAC = {1: "52:54:00:00:01:01", 2: "52:54:00:00:01:02"}
IP = {1: "10.0.0.1/24", 2: "10.0.0.2/24"}


def log(msg):
    print(f"migration_stream: {msg}", flush=True)


def queues(q):
    """QEMU's view of the virtio-net queues: {queue: (last_avail_idx, used_idx)}."""
    devs = q.cmd("x-query-virtio")
    path = [d["path"] for d in devs if "net" in d.get("name", "")][0]
    out = {}
    for i in (0, 1):
        r = q.cmd("x-query-virtio-queue-status", path=path, queue=i)
        out[i] = (r.get("last-avail-idx"), r.get("used-idx"))
    return out


def qemu_nic(mac):
    """A second virtio-net device QEMU emulates: a multicast hub on the loopback."""
    return ["-netdev", "socket,id=n2,mcast=230.0.0.1:1234,localaddr=127.0.0.1",
            "-device", f"virtio-net-pci,netdev=n2,mac={mac},vectors=0"]


def start_trio(sw, wd, image, vms, mem_kb=None, nic=None, mac=MAC, ip=IP):
    """Three one-queue TCG guests, each the vhost-user server of its socket wd/NAME.sock:
    the peer vm1, the source vmA (QMP on wd/qs.sock) and its destination vmAdst (QMP on
    wd/qd.sock, -incoming unix:wd/mig.sock, files in wd/dst).  Then the switch under test
    is started on the sockets, the two running guests booted with their links up.  Each VM
    is appended to vms, for the caller to close.  nic(name): more QEMU arguments."""
    socks = {n: wd / f"{n}.sock" for n in ("vm1", "vmA", "vmAdst")}

    def vm(name, sock, workdir, extra):
        i = 2 if name == "vmA" else 1
        v = VM(name, sock, mode="server", mac=mac[i], ip=ip[i], queues=1, smp=1, mem_mb=512,
               mem_kb=mem_kb, workdir=workdir, image=image,
               extra_args=(nic(name) if nic else []) + extra).start()
        vms.append(v)
        return v
    peer = vm("vm1", socks["vm1"], wd, [])
    src = vm("vmA", socks["vmA"], wd, ["-qmp", f"unix:{wd}/qs.sock,server=on,wait=off"])
    dd = wd / "dst"
    dd.mkdir()
    dst = vm("vmA", socks["vmAdst"], dd, ["-qmp", f"unix:{wd}/qd.sock,server=on,wait=off",
                                          "-incoming", f"unix:{wd}/mig.sock"])
    sw.start(socks)
    for v in (peer, src):
        v.wait_boot(timeout=300)
        v.wait_link(timeout=120)
    sw.wait_connected(["vm1", "vmA"])
    return peer, src, dst


def run_cell(kind, rnd, mb, image, base, ram):
    wd = Path(tempfile.mkdtemp(prefix=f"mig-{kind}-", dir=base))
    own = kind == "qemu-nic"
    sw = vm_tcp.make_switch("kvswitch" if own else kind, wd)
    vms = []
    row = {"switch": kind, "round": rnd, "mb": mb, "ram": ram}
    try:
        nic = (lambda name: qemu_nic("52:54:00:00:09:0" + ("2" if name == "vmA" else "1"))) \
            if own else None
        peer, src, dst = start_trio(sw, wd, image, vms, tcg_safe_ram_kb(512)
                                    if ram == "tcg-safe" else None, nic)
        dd = wd / "dst"
        target = src.ip()
        if own:
            for v, ip in ((peer, "10.1.0.1"), (src, "10.1.0.2")):
                v.check(f"ip link set eth1 up; ip addr add {ip}/24 dev eth1")
            target = "10.1.0.2"
        peer.check(f"ping -c 2 -w 20 {target}", timeout=30)
        start_receiver(src)
        want = peer.check(f"dd if=/dev/urandom of=/tmp/data bs=1M count={mb} 2>/dev/null && "
                          "md5sum < /tmp/data").split()[0]
        peer.check(f"ping -i 0.1 -c 400 {target} > /tmp/ping.log 2>&1 &")
        peer.check(f"nc {target} {PORT} < /tmp/data > /tmp/nc.log 2>&1 &")
        tx0 = sw.sw.port_stats("vmA")["tx_packets"] if kind != "ovs" else None
        time.sleep(1)
        q = QMP(wd / "qs.sock")
        t0 = time.time()
        q.cmd("migrate", uri=f"unix:{wd}/mig.sock")
        st = wait_final(q)
        row.update(status=st.get("status"), seconds=round(time.time() - t0, 1),
                   downtime_ms=st.get("downtime"))
        if tx0 is not None:
            row["switch_frames_into_vmA"] = sw.sw.port_stats("vmA")["tx_packets"] - tx0
        qs = queues(q)
        row["src_in_flight"] = sum((a - u) & 0xffff for a, u in qs.values())
        row["src_queues"] = " ".join(f"q{i}:{a}/{u}" for i, (a, u) in qs.items())
        q.close()
        src.close()
        deadline, got = time.time() + 120, ""
        while time.time() < deadline and not got:
            try:
                got = dst.run("cat /tmp/recv.md5 2>/dev/null", timeout=20)[1].strip()
            except Exception as e:  # a locked-up guest stops answering
                row["dst_error"] = str(e)[:80]
                break
            time.sleep(1)
        console = (dd / "vmA-console.log").read_text(errors="replace")
        heads = re.findall(r"virtio_net \S+ \S+ is not a head!|kernel BUG at \S+", console)
        row.update(md5_ok=got.split()[:1] == [want], guest_error=heads[0] if heads else "")
    finally:
        for v in vms:
            v.close()
        sw.stop()
        shutil.rmtree(wd, ignore_errors=True)
    log(f"round {rnd} {kind:9s}: {row.get('status')} in {row.get('seconds')} s, downtime "
        f"{row.get('downtime_ms')} ms, source in flight {row.get('src_in_flight')} "
        f"({row.get('src_queues')}), md5 {'ok' if row.get('md5_ok') else 'NOT OK'}"
        f"{', ' + row['guest_error'] if row.get('guest_error') else ''}")
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--mb", type=int, default=24)
    ap.add_argument("--switches", default="kvswitch,ovs,qemu-nic")
    ap.add_argument("--ram", default="tcg-safe", choices=("tcg-safe", "aligned"),
                    help="guest RAM 8 KiB short of 512 MB (tcg-safe, the default: QEMU "
                    "7.2's TCG dirty tracking works) or 512 MB (aligned: it loses writes)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" /
                                          str(datetime.date.today()) / "migration_stream"))
    args = ap.parse_args()
    kinds = [s for s in args.switches.split(",") if s]
    for k in kinds:
        if k not in ("kvswitch", "ovs", "qemu-nic"):
            ap.error(f"unknown switch {k!r} (kvswitch, ovs or qemu-nic)")
    if "qemu-nic" in kinds:  # the hub's multicast needs a route on the loopback
        subprocess.run(["ip", "link", "set", "lo", "multicast", "on"], check=True)
        subprocess.run(["ip", "route", "replace", "230.0.0.0/8", "dev", "lo"], check=True)
    if os.geteuid() != 0:
        sys.exit("migration_stream: needs root")
    image = ensure_image()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = tempfile.mkdtemp(prefix="migstream-")
    rows = []
    try:
        for rnd in range(1, args.rounds + 1):
            for k in kinds:
                rows.append(run_cell(k, rnd, args.mb, image, base, args.ram))
    finally:
        shutil.rmtree(base, ignore_errors=True)
        if rows:
            vm_tcp.write_csv(out / "migration_stream.csv", rows)
            lines = [f"# Live migration with a TCP stream across the switch-over, "
                     f"{datetime.date.today()}", "",
                     f"`/usr/bin/python3 bench/migration_stream.py --rounds {args.rounds} "
                     f"--mb {args.mb} --switches {','.join(kinds)} --ram {args.ram}`", "",
                     "| row | migrations completed | md5 right on the destination | "
                     "guest error (`not a head!`, kernel BUG) | source in flight at stop |"
                     " frames the switch wrote into vmA while migrating |",
                     "|---|---|---|---|---|---|"]
            for k in kinds:
                rs = [r for r in rows if r["switch"] == k]
                lines.append(f"| {k} | {sum(r.get('status') == 'completed' for r in rs)}/{len(rs)}"
                             f" | {sum(bool(r.get('md5_ok')) for r in rs)}/{len(rs)} | "
                             f"{sum(bool(r.get('guest_error')) for r in rs)}/{len(rs)} | "
                             f"{max(r.get('src_in_flight') or 0 for r in rs)} | "
                             f"{' '.join(str(r.get('switch_frames_into_vmA', '-')) for r in rs)} |")
            (out / "summary.md").write_text("\n".join(lines) + "\n")
            print("\n".join(lines))


if __name__ == "__main__":
    main()
