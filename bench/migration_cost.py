#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""What a live migration costs the traffic into the migrating guest, on kvswitch: the
rate of a TCP stream into a QEMU/TCG guest before, during and after its migration, and
the switch PMD's busy cycles per frame it received (both directions: the stream's
frames, mostly 64 KB TSO segments, and the guest's ACKs) in each phase.  During a
migration librte_vhost logs every guest page the switch writes (VHOST_F_LOG_ALL);
kvswitch's own code has no migration branch, so before and after measure the same data
path with no logging.

Per round: one kvswitch, three guests with one queue pair each, QEMU the vhost-user
server (dpdkvhostuserclient): a peer vm1, the migrating vmA and its destination (the
same guest, `-incoming`, on port vmAdst).  vm1 sends to vmA with iperf3 for the whole
round.  Once a second the switch's counters are read: frames and bytes the
switch wrote into the guest (vmA's tx, then vmAdst's), the PMD's busy and idle cycles
(pmd-stats-show), and QEMU's migration status tells which phase the second belongs to.
QMP `migrate` starts after --before seconds with max-bandwidth --bandwidth MB/s (so the
migration lasts long enough to sample), and the stream runs --after seconds more.

The PMD's busy share says which side of the loop limits the rate: a PMD mostly idle
means the guest (TCG) is the bottleneck, not the switch.

  /usr/bin/python3 bench/migration_cost.py [--rounds 2] [--before 8] [--after 8]
      [--bandwidth 16] [--out bench/results/DATE/migration_cost]

Needs root, qemu-system-x86 and hugepages.
"""
import argparse
import datetime
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests" / "system"))
os.environ.setdefault("KVS_BUILD_DIR", str(REPO / "build"))

import migration_stream  # noqa: E402
import vm_tcp  # noqa: E402
from test_migration import QMP, wait_final  # noqa: E402
from test_qemu import PORT  # noqa: E402
from vm import ensure_image, tcg_safe_ram_kb  # noqa: E402

MAC = {1: "52:54:00:00:03:01", 2: "52:54:00:00:03:02"}
IP = {1: "10.0.3.1/24", 2: "10.0.3.2/24"}
PHASES = ("before", "during", "after")


def log(msg):
    print(f"migration_cost: {msg}", flush=True)


def sample(sw):
    """The switch's counters now: frames and bytes into the guest (both its ports),
    PMD busy and idle cycles."""
    into = [sw.port_stats(p) for p in ("vmA", "vmAdst")]
    pmd = sw.json("pmd-stats-show")[0]
    return {"t": time.time(), "frames": sum(s["tx_packets"] for s in into),
            "bytes": sum(s["tx_bytes"] for s in into), "busy": pmd["busy_cycles"],
            "idle": pmd["idle_cycles"], "rx": pmd["rx_packets"]}


def run_round(rnd, args, image, base):
    wd = Path(tempfile.mkdtemp(prefix="migcost-", dir=base))
    kvs = vm_tcp.make_switch("kvswitch", wd)
    vms, rows = [], []
    try:
        peer, src, _ = migration_stream.start_trio(kvs, wd, image, vms, tcg_safe_ram_kb(512),
                                                   mac=MAC, ip=IP)
        peer.check(f"ping -c 2 -w 20 {src.ip()}", timeout=30)
        src.check(f"iperf3 -s -p {PORT} > /tmp/iperf3-s.log 2>&1 &")
        time.sleep(1)
        peer.check(f"iperf3 -c {src.ip()} -p {PORT} -t 600 > /tmp/iperf3-c.log 2>&1 &")
        q = QMP(wd / "qs.sock")
        q.cmd("migrate-set-parameters", **{"max-bandwidth": args.bandwidth << 20})
        sw = kvs.sw
        time.sleep(2)  # the stream up to speed
        prev, phase, started, ended = sample(sw), "before", None, None
        while True:
            time.sleep(1)
            if started is None and len(rows) >= args.before:
                q.cmd("migrate", uri=f"unix:{wd}/mig.sock")
                started = time.time()
                prev = sample(sw)
                continue
            st = q.cmd("query-migrate").get("status") if started else None
            now = sample(sw)
            # a second in which the migration started or ended belongs to neither side
            if started and ended is None and st in ("completed", "failed", "cancelled"):
                ended = time.time()
                assert st == "completed", q.cmd("query-migrate")
                prev = now
                continue
            phase = "before" if started is None else "during" if ended is None else "after"
            dt = now["t"] - prev["t"]
            frames = now["frames"] - prev["frames"]
            busy = now["busy"] - prev["busy"]
            idle = now["idle"] - prev["idle"]
            rows.append({"round": rnd, "phase": phase, "seconds": round(dt, 3),
                         "mbit_s": round((now["bytes"] - prev["bytes"]) * 8 / dt / 1e6, 2),
                         "frames_s": round(frames / dt),
                         "pmd_busy_pct": round(100 * busy / (busy + idle), 2) if busy + idle
                         else 0,
                         "pmd_cycles_per_frame": round(busy / max(now["rx"] - prev["rx"], 1))})
            prev = now
            if ended and time.time() - ended >= args.after:
                break
            assert started is None or time.time() - started < 600, "migration never ended"
        st = wait_final(q)
        q.close()
        log(f"round {rnd}: migration {st['status']} in {ended - started:.1f} s, "
            f"downtime {st.get('downtime')} ms")
        for p in PHASES:
            rs = [r for r in rows if r["phase"] == p]
            if rs:
                log(f"round {rnd} {p:6s}: {statistics.median(r['mbit_s'] for r in rs):7.1f} "
                    f"Mbit/s into the guest, PMD {statistics.median(r['pmd_busy_pct'] for r in rs):5.1f}% busy, "
                    f"{statistics.median(r['pmd_cycles_per_frame'] for r in rs)} cycles/frame "
                    f"({len(rs)} s)")
    finally:
        for v in vms:
            v.close()
        kvs.stop()
        shutil.rmtree(wd, ignore_errors=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--before", type=int, default=8)
    ap.add_argument("--after", type=int, default=8)
    ap.add_argument("--bandwidth", type=int, default=16, help="migration MB/s")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" /
                                          str(datetime.date.today()) / "migration_cost"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("migration_cost: needs root")
    image = ensure_image()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = tempfile.mkdtemp(prefix="migcost-")
    rows = []
    try:
        for rnd in range(1, args.rounds + 1):
            rows += run_round(rnd, args, image, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    vm_tcp.write_csv(out / "migration_cost.csv", rows)
    lines = [f"# Traffic into a guest before, during and after its live migration, "
             f"{datetime.date.today()}", "",
             f"`/usr/bin/python3 bench/migration_cost.py --rounds {args.rounds} --before "
             f"{args.before} --after {args.after} --bandwidth {args.bandwidth}`", "",
             "Medians of one-second samples; TCP (iperf3) from a peer guest into the "
             "migrating guest, QEMU TCG, one kvswitch PMD.", "",
             "| round | phase | seconds | Mbit/s into the guest | frames/s | PMD busy % | "
             "PMD busy cycles per frame it received (both directions) |",
             "|---|---|---|---|---|---|---|"]
    for rnd in range(1, args.rounds + 1):
        for p in PHASES:
            rs = [r for r in rows if r["round"] == rnd and r["phase"] == p]
            if not rs:
                continue
            med = {k: statistics.median(r[k] for r in rs) for k in
                   ("mbit_s", "frames_s", "pmd_busy_pct", "pmd_cycles_per_frame")}
            lines.append(f"| {rnd} | {p} | {len(rs)} | {med['mbit_s']:.1f} | "
                         f"{med['frames_s']:.0f} | {med['pmd_busy_pct']:.1f} | "
                         f"{med['pmd_cycles_per_frame']:.0f} |")
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
