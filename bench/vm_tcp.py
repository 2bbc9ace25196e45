#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""TCP throughput between two real Linux guests (QEMU TCG, the tests' guest image),
one bridge, both directions, md5-checked (iperf3 for the rate and an nc transfer for the md5
by default, or busybox nc alone), with
the switches interleaved in one run:

  kvswitch          offloads offered (default: CSUM, GUEST_CSUM, TSO4/6, ECN)
  kvswitch-nooff    the same ports with options:csum=false (no offload offered)
  ovs               OVS-DPDK 3.1 (Debian's openvswitch-switch-dpdk), default features
  ovs-tso           OVS-DPDK with other_config:userspace-tso-enable=true

Every guest has one vCPU and one queue pair and is a vhost-user server (QEMU owns the
socket, the switch connects: dpdkvhostuserclient on both switches).  Under TCG the
guests, not the switch, set the rate, so this measures what offloads save the guest:
with TSO a guest hands 64 KB segments to its virtio-net device instead of cutting and
checksumming 1448-byte ones.  Each transfer records the cores the switch, the sending
and the receiving QEMU used, which say which side had the machine.  Throughput is the receiver's: bytes over the time from
accepting the connection to EOF, read from the guest's /proc/uptime.

  /usr/bin/python3 bench/vm_tcp.py [--rounds 2] [--mb 64] [--switches kvswitch,...]
      [--out bench/results/DATE/vm_tcp]

Writes OUT/vm_tcp.csv (one row per transfer) and OUT/summary.md (medians, ratios).
Needs root, qemu-system-x86, hugepages, and for the OVS rows openvswitch-switch-dpdk.
"""
import argparse
import csv
import json
import datetime
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "system"))
os.environ.setdefault("KVS_BUILD_DIR", str(REPO / "build"))

from kvs import Switch  # noqa: E402
from vm import VM, ensure_image, qemu_binary  # noqa: E402

OVS_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
MAC = {1: "52:54:00:00:02:01", 2: "52:54:00:00:02:02"}
IP = {1: "10.0.2.1/24", 2: "10.0.2.2/24"}
PORT = 5201
IPERF_SECONDS = 6
ALL = ["kvswitch", "kvswitch-nooff", "ovs", "ovs-tso"]
ETHTOOL_KEYS = ("tx-checksumming", "rx-checksumming", "tcp-segmentation-offload",
                "generic-receive-offload", "large-receive-offload")


def log(msg):
    print(f"vm_tcp: {msg}", flush=True)


class KvsUnderTest:
    def __init__(self, workdir, offload, sleep_us):
        self.sw = Switch(workdir, name="kvs")
        self.offload = offload
        self.sleep_us = sleep_us

    def start(self, socks):
        self.sw.start()
        if self.sleep_us:
            self.sw.vsctl("set", "Open_vSwitch", ".",
                          f"other_config:pmd-sleep-max={self.sleep_us}")
        self.sw.vsctl("add-br", "br0")
        for name, path in socks.items():
            opts = [] if self.offload else ["options:csum=false"]
            self.sw.vsctl("add-port", "br0", name, "--", "set", "Interface", name,
                          "type=dpdkvhostuserclient", f"options:vhost-server-path={path}",
                          *opts)

    def wait_connected(self, names):
        for n in names:
            self.sw.wait_connected(n, timeout=60)

    def drops(self, names):
        """Every non-zero drop counter of the ports, as 'port:side:reason=N'."""
        out = []
        for n in names:
            st = self.sw.port_stats(n)
            for side in ("rx_drops", "tx_drops"):
                out += [f"{n}:{side[:2]}:{k}={v}" for k, v in st.get(side, {}).items() if v]
        return " ".join(out)

    def pid(self):
        return self.sw.proc.pid

    def stop(self):
        self.sw.stop()


class OvsUnderTest:
    def __init__(self, workdir, tso, sleep_us):
        self.dir = Path(workdir) / "ovs"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db = self.dir / "db.sock"
        self.tso = tso
        self.sleep_us = sleep_us
        self.procs = []
        self.env = dict(os.environ, OVS_RUNDIR=str(self.dir), OVS_LOGDIR=str(self.dir),
                        OVS_DBDIR=str(self.dir))

    def vsctl(self, *args, wait=True):
        argv = ["ovs-vsctl", f"--db=unix:{self.db}", "--timeout=60"]
        if not wait:
            argv.append("--no-wait")
        r = subprocess.run(argv + list(args), env=self.env, capture_output=True, text=True,
                           timeout=90)
        if r.returncode:
            raise RuntimeError(f"ovs-vsctl {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout.strip()

    def start(self, socks):
        conf = self.dir / "conf.db"
        conf.unlink(missing_ok=True)
        subprocess.run(["ovsdb-tool", "create", str(conf), OVS_SCHEMA], check=True,
                       env=self.env)
        logf = open(self.dir / "ovs.log", "ab")
        self.procs.append(subprocess.Popen(
            ["ovsdb-server", str(conf), f"--remote=punix:{self.db}",
             f"--unixctl={self.dir / 'ovsdb.ctl'}"], env=self.env, stdout=logf,
            stderr=subprocess.STDOUT))
        deadline = time.time() + 30
        while not self.db.exists():
            if time.time() > deadline:
                raise RuntimeError("ovsdb-server did not start")
            time.sleep(0.1)
        self.vsctl("init", wait=False)
        cfg = ["other_config:dpdk-init=true", "other_config:dpdk-lcore-mask=0x1",
               "other_config:pmd-cpu-mask=0x2", "other_config:dpdk-socket-mem=1024",
               "other_config:dpdk-extra=--no-pci --file-prefix ovsvmtcp",
               "other_config:n-handler-threads=1", "other_config:n-revalidator-threads=1"]
        if self.tso:
            cfg.append("other_config:userspace-tso-enable=true")
        if self.sleep_us:
            cfg.append(f"other_config:pmd-maxsleep={self.sleep_us}")
        self.vsctl("set", "Open_vSwitch", ".", *cfg, wait=False)
        self.procs.append(subprocess.Popen(
            [OVS_VSWITCHD, f"unix:{self.db}", f"--unixctl={self.dir / 'vswitchd.ctl'}"],
            env=self.env, stdout=logf, stderr=subprocess.STDOUT))
        logf.close()
        deadline = time.time() + 90
        while self.vsctl("get", "Open_vSwitch", ".", "dpdk_initialized",
                         wait=False) != "true":
            if time.time() > deadline:
                raise RuntimeError("ovs-vswitchd did not initialise DPDK")
            time.sleep(0.5)
        cmd = ["add-br", "br0", "--", "set", "Bridge", "br0", "datapath_type=netdev"]
        for name, path in socks.items():
            cmd += ["--", "add-port", "br0", name, "--", "set", "Interface", name,
                    "type=dpdkvhostuserclient", f"options:vhost-server-path={path}"]
        self.vsctl(*cmd)

    def wait_connected(self, names):
        deadline = time.time() + 60
        for n in names:
            while self.vsctl("get", "Interface", n, "link_state", wait=False) != "up":
                if time.time() > deadline:
                    raise RuntimeError(f"ovs: {n} not connected")
                time.sleep(0.5)

    def drops(self, names):
        out = []
        for n in names:
            st = self.vsctl("get", "Interface", n, "statistics", wait=False).strip("{}")
            out += [f"{n}:{kv.strip()}" for kv in st.split(",")
                    if "drop" in kv or "error" in kv and not kv.strip().endswith("=0")]
        return " ".join(o for o in out if not o.endswith("=0"))

    def pid(self):
        return self.procs[-1].pid  # ovs-vswitchd, its PMD's process

    def stop(self):
        for p in reversed(self.procs):
            p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []
        for f in Path("/dev/hugepages").glob("ovsvmtcp*"):
            f.unlink(missing_ok=True)


def make_switch(kind, workdir, sleep_us=0):
    if kind == "kvswitch":
        return KvsUnderTest(workdir, offload=True, sleep_us=sleep_us)
    if kind == "kvswitch-nooff":
        return KvsUnderTest(workdir, offload=False, sleep_us=sleep_us)
    if kind == "ovs":
        return OvsUnderTest(workdir, tso=False, sleep_us=sleep_us)
    return OvsUnderTest(workdir, tso=True, sleep_us=sleep_us)


def cpu_seconds(pid):
    """User + system CPU seconds of process pid (all its threads) so far."""
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def uptime(vm):
    return float(vm.check("cut -d' ' -f1 /proc/uptime").strip())


def make_data(sender, mb):
    """mb MB of random data in the sender's /tmp/data (once per guest); its md5."""
    return sender.check(f"[ -s /tmp/data ] || dd if=/dev/urandom of=/tmp/data bs=1M count={mb}"
                        " 2>/dev/null; md5sum < /tmp/data", timeout=120).split()[0]


def received(receiver, want, deadline_s=300):
    """Wait for /tmp/recv.md5 on the receiver; (size, md5 equal)."""
    deadline = time.time() + deadline_s
    got = ""
    while time.time() < deadline and not got:
        got = receiver.run("cat /tmp/recv.md5 2>/dev/null", timeout=30)[1].strip()
        if not got:
            time.sleep(1)
    size = int(receiver.check("wc -c < /tmp/recv").strip())
    return size, got.split()[:1] == [want]


def transfer_nc(sender, receiver, mb):
    """mb MB sender -> receiver over TCP (busybox nc),
    md5-checked; the receiver's Mbit/s from its /proc/uptime."""
    receiver.check("rm -f /tmp/recv /tmp/t0 /tmp/t1 /tmp/recv.md5; printf '"
                   "#!/bin/sh\\ncut -d\" \" -f1 /proc/uptime > /tmp/t0\\ncat > /tmp/recv\\n"
                   "cut -d\" \" -f1 /proc/uptime > /tmp/t1\\nmd5sum < /tmp/recv > /tmp/recv.md5\\n'"
                   " > /tmp/rx.sh; chmod +x /tmp/rx.sh")
    receiver.check(f"nc -l -p {PORT} -e /tmp/rx.sh >/dev/null 2>&1 &")
    want = make_data(sender, mb)
    rc, out = sender.run(f"nc {receiver.ip()} {PORT} < /tmp/data", timeout=900)
    if rc != 0:
        raise RuntimeError(f"{sender.name}: nc rc {rc}: {out}")
    size, ok = received(receiver, want)
    t0 = float(receiver.check("cat /tmp/t0").strip())
    t1 = float(receiver.check("cat /tmp/t1").strip())
    secs = max(t1 - t0, 0.01)
    return {"bytes": size, "seconds": round(secs, 2), "mbit_s": round(size * 8 / secs / 1e6, 1),
            "md5_ok": ok}


def transfer_iperf3(sender, receiver, mb, secs=IPERF_SECONDS):
    """secs seconds sender -> receiver with iperf3 (128 KB writes from memory, as
    applications drive TCP; the first second, slow start, is left out); the rate is
    the receiver's, from iperf3's report (end.sum_received).  iperf3 3.12's -F (file) mode loses and reorders data even
    over a guest's own loopback, so the md5 proof is a busybox nc transfer of the same
    size right after, through the same ports and offloads; its rate is kept too."""
    receiver.check(f"iperf3 -s -1 -p {PORT + 1} >/tmp/iperf3-s.log 2>&1 &")
    time.sleep(0.5)  # the server's listen, under TCG
    rc, out = sender.run(f"iperf3 -c {receiver.ip()} -p {PORT + 1} -t {secs} -O 1 -J "
                         "> /tmp/iperf3-c.json 2>&1; echo rc=$?", timeout=900)
    js = sender.run("cat /tmp/iperf3-c.json", timeout=60)[1]
    if "rc=0" not in out:
        raise RuntimeError(f"{sender.name}: iperf3 failed: {out} {js[-400:]}")
    end = json.loads(js[js.index("{"):])["end"]
    nc = transfer_nc(sender, receiver, mb)
    return {"bytes": end["sum_received"]["bytes"],
            "seconds": round(end["sum_received"]["seconds"], 2),
            "mbit_s": round(end["sum_received"]["bits_per_second"] / 1e6, 1),
            "retransmits": end["sum_sent"].get("retransmits", 0),
            "nc_mbit_s": nc["mbit_s"], "md5_ok": nc["md5_ok"]}


TRANSFER = {"iperf3": transfer_iperf3, "nc": transfer_nc}


def ethtool_k(vm):
    out = vm.run("ethtool -k eth0", timeout=30)[1]
    feats = {}
    for line in out.splitlines():
        k, _, v = line.strip().partition(":")
        if k in ETHTOOL_KEYS:
            feats[k] = v.split()[0] if v.split() else ""
    return feats


def run_cell(kind, rnd, mb, image, base, tool, sleep_us=0):
    workdir = Path(tempfile.mkdtemp(prefix=f"vmtcp-{kind}-", dir=base))
    socks = {f"vm{i}": workdir / f"vm{i}.sock" for i in (1, 2)}
    sw = make_switch(kind, workdir, sleep_us)
    vms = {}
    rows = []
    try:
        for i in (1, 2):
            vms[i] = VM(f"vm{i}", socks[f"vm{i}"], mode="server", mac=MAC[i], ip=IP[i],
                        queues=1, smp=1, mem_mb=512, workdir=workdir, image=image).start()
        sw.start(socks)
        for v in vms.values():
            v.wait_boot(timeout=300)
            v.wait_link(timeout=120)
        sw.wait_connected(list(socks))
        feats = ethtool_k(vms[1])
        vms[1].check(f"ping -c 2 -w 20 {vms[2].ip()}", timeout=30)
        for a, b in ((1, 2), (2, 1)):
            # which side had the cores: CPU the switch, the sending and the receiving
            # QEMU used over the transfer (iperf3 and the nc run), in cores
            pids = {"switch": sw.pid(), "sender": vms[a].proc.pid,
                    "receiver": vms[b].proc.pid}
            c0 = {k: cpu_seconds(p) for k, p in pids.items()}
            t0 = time.monotonic()
            r = TRANSFER[tool](vms[a], vms[b], mb)
            wall = time.monotonic() - t0
            cores = {k: (cpu_seconds(p) - c0[k]) / wall for k, p in pids.items()}
            r["switch_cores"] = round(cores["switch"], 2)
            r["sender_cores"] = round(cores["sender"], 2)
            r["receiver_cores"] = round(cores["receiver"], 2)
            r.update(switch=kind + (f"+sleep{sleep_us}" if sleep_us else ""), round=rnd,
                     direction=f"vm{a}->vm{b}", tool=tool,
                     **{f"guest_{k}": v for k, v in feats.items()})
            log(f"round {rnd} {r['switch']:21s} vm{a}->vm{b}: {r['mbit_s']:8.1f} Mbit/s "
                f"({r['bytes'] >> 20} MB in {r['seconds']} s"
                + (f", {r['retransmits']} retransmits, nc {r['nc_mbit_s']} Mbit/s"
                   if "nc_mbit_s" in r else "")
                + f", cores: switch {r['switch_cores']} sender {r['sender_cores']}"
                f" receiver {r['receiver_cores']}, md5 "
                f"{'ok' if r['md5_ok'] else 'MISMATCH'})")
            rows.append(r)
        drops = sw.drops(list(socks))
        log(f"round {rnd} {kind}: drops after both transfers: {drops or 'none'}")
        for r in rows:
            r["switch_drops"] = drops
    finally:
        for v in vms.values():
            v.close()
        sw.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def write_csv(path, rows):
    """rows (dicts) as CSV, the union of their keys as columns (sorted)."""
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=sorted({k for r in rows for k in r}))
        w.writeheader()
        w.writerows(rows)


def summary(rows, args, out):
    by = {}
    for r in rows:
        by.setdefault(r["switch"], []).append(r["mbit_s"])
    med = {k: statistics.median(v) for k, v in by.items()}
    sleep = "" if args.pmd_sleep == [0] else f" --pmd-sleep {','.join(map(str, args.pmd_sleep))}"
    lines = [f"# TCP between two QEMU/Linux guests (TCG), {datetime.date.today()}", "",
             f"`/usr/bin/python3 bench/vm_tcp.py --rounds {args.rounds} --mb {args.mb} "
             f"--switches {','.join(args.switches)} --tool {args.tool}{sleep}`", "",
             f"One vCPU and one queue pair per guest, {args.tool}, md5 checked, both directions,"
             " the switches interleaved round by round. The TCG guests, not the switch, set"
             " the rate: this measures what the offloads save the guest. The cores columns"
             " are the CPU the switch process, the sending and the receiving QEMU used over"
             " each transfer (medians; the machine has 2): a spinning PMD takes most of a"
             " core from the guests, a sleeping one gives it back.", "",
             "| switch | transfers | median Mbit/s | min | max | nc median (md5 run) |"
             " md5 all ok | guest tso | switch cores | sender cores | receiver cores |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    names = [k + (f"+sleep{us}" if us else "") for k in args.switches for us in args.pmd_sleep]
    for k in names:
        if k not in by:
            continue
        rs = [r for r in rows if r["switch"] == k]
        ncs = [r["nc_mbit_s"] for r in rs if "nc_mbit_s" in r]
        nc = f"{statistics.median(ncs):.1f}" if ncs else "-"
        cores = [f"{statistics.median(r[c] for r in rs):.2f}" if all(c in r for r in rs)
                 else "-" for c in ("switch_cores", "sender_cores", "receiver_cores")]
        lines.append(f"| {k} | {len(rs)} | {med[k]:.1f} | {min(by[k]):.1f} | {max(by[k]):.1f}"
                     f" | {nc} | {all(r['md5_ok'] for r in rs)} | "
                     f"{rs[0].get('guest_tcp-segmentation-offload', '?')} | {cores[0]} |"
                     f" {cores[1]} | {cores[2]} |")
    lines.append("")
    for us in args.pmd_sleep:
        sfx = f"+sleep{us}" if us else ""
        kvs = "kvswitch" + sfx
        if kvs not in med:
            continue
        if sfx:
            lines.append(f"With every PMD sleeping when idle (up to {us} us):")
        for other in ("kvswitch-nooff", "ovs", "ovs-tso"):
            if other + sfx in med and med[other + sfx] > 0:
                lines.append(f"- {kvs} / {other + sfx}: {med[kvs] / med[other + sfx]:.2f}x")
        best_ovs = max([med[k + sfx] for k in ("ovs", "ovs-tso") if k + sfx in med] or [0])
        if best_ovs:
            lines.append(f"- {kvs} / best OVS-DPDK: {med[kvs] / best_ovs:.2f}x (target >= 2)")
        if "kvswitch-nooff" + sfx in med:
            lines.append(f"- {kvs} / kvswitch without offloads: "
                         f"{med[kvs] / med['kvswitch-nooff' + sfx]:.2f}x (target >= 3)")
        lines.append("")
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--mb", type=int, default=64)
    ap.add_argument("--switches", default=",".join(ALL))
    ap.add_argument("--tool", choices=sorted(TRANSFER), default="iperf3",
                    help="iperf3 (128 KB writes) then an md5-checked nc transfer (default), or nc alone")
    ap.add_argument("--pmd-sleep", default="0", metavar="US[,US...]",
                    help="run every switch with its PMD sleeping when idle up to US"
                         " microseconds (kvswitch pmd-sleep-max, OVS pmd-maxsleep), once per"
                         " value, interleaved; 0 = spin (default); rows of a value > 0 are"
                         " named SWITCH+sleepUS")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" /
                                          str(datetime.date.today()) / "vm_tcp"))
    args = ap.parse_args()
    args.switches = [s for s in args.switches.split(",") if s]
    try:
        args.pmd_sleep = [int(v) for v in args.pmd_sleep.split(",")]
    except ValueError:
        ap.error(f"--pmd-sleep: not a list of microseconds: {args.pmd_sleep!r}")
    if any(not 0 <= v <= 10000 for v in args.pmd_sleep):
        ap.error("--pmd-sleep: each value must be 0..10000 us (OVS's pmd-maxsleep range)")
    for s in args.switches:
        if s not in ALL:
            ap.error(f"unknown switch {s!r} (one of {', '.join(ALL)})")
    if os.geteuid() != 0:
        sys.exit("vm_tcp: needs root (hugepages, vhost-user sockets)")
    if not qemu_binary():
        sys.exit("vm_tcp: qemu-system-x86_64 not found (apt-get install qemu-system-x86)")
    if any(s.startswith("ovs") for s in args.switches) and not os.path.exists(OVS_VSWITCHD):
        sys.exit(f"vm_tcp: {OVS_VSWITCHD} not found (apt-get install openvswitch-switch-dpdk)"
                 " or leave ovs out of --switches")
    image = ensure_image()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = tempfile.mkdtemp(prefix="vmtcp-")
    rows = []
    try:
        for rnd in range(1, args.rounds + 1):
            for kind in args.switches:
                for us in args.pmd_sleep:
                    rows += run_cell(kind, rnd, args.mb, image, base, args.tool, us)
    finally:
        shutil.rmtree(base, ignore_errors=True)
        if rows:
            write_csv(out / "vm_tcp.csv", rows)
            summary(rows, args, out)


if __name__ == "__main__":
    main()
