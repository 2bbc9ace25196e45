#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""64 KB TCP frames with GSO headers between virtio-user guests (kvs-guest), through
kvswitch and through OVS-DPDK with userspace TSO, interleaved round by round: Gbit/s of
TCP payload delivered guest to guest (the receiver accepts GUEST_TSO: the frame passes
whole) and guest to a guest without offloads (the switch segments in software).

The sender is `kvs-guest --offloads tso` issuing `send-tcp count=N payload=60000
mss=1448`: each frame goes as one GSO frame with a partial checksum, and the sender waits
whenever the switch's ring is full (so nothing is lost at the sender; the switch's own
drops are reported).  The receivers count TCP payload bytes (frames, GSO frames, sequence
breaks).  All three guests are vhost-user servers (the switch connects:
dpdkvhostuserclient on both switches) on lcore 0; the switch's PMD has core 1.  Two
busy-polling guests share core 0, so the generator side may be the bottleneck: the report
gives the switch PMD's busy share where the switch exposes it (kvswitch pmd-stats-show).

  /usr/bin/python3 bench/tso_gen.py [--rounds 3] [--frames 20000]
      [--switches kvswitch,ovs-tso] [--out bench/results/DATE/tso_gen]
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

import vm_tcp  # noqa: E402
from guest import Guest  # noqa: E402

MAC = {"tx": "52:54:00:00:07:01", "tso": "52:54:00:00:07:02", "plain": "52:54:00:00:07:03"}
PAYLOAD, MSS = 60000, 1448


def log(msg):
    print(f"tso_gen: {msg}", flush=True)


def run_cell(kind, rnd, frames, base):
    wd = Path(tempfile.mkdtemp(prefix=f"tso-{kind}-", dir=base))
    socks = {n: wd / f"{n}.sock" for n in MAC}
    sw = vm_tcp.make_switch("ovs-tso" if kind == "ovs-tso" else "kvswitch", wd)
    gs = {}
    rows = []
    try:
        offl = {"tx": "tso", "tso": "tso", "plain": "none"}
        for n in MAC:
            gs[n] = Guest(socks[n], MAC[n], server=True, name=n, lcore=0, mem_mb=512,
                          log_dir=wd, args=("--offloads", offl[n]), wait=False)
        time.sleep(1)  # the sockets exist before the switch connects
        sw.start(socks)
        for g in gs.values():  # a server-mode guest is ready once the switch connected
            g.wait_ready(60)
        sw.wait_connected(list(MAC))
        for g in gs.values():
            g.link()
        assert gs["tx"].cmd("offloads")["tx_tso"], f"{kind}: no HOST_TSO for the sender"
        # teach the switch where the receivers are
        for n in ("tso", "plain"):
            gs[n].send(dst="ff:ff:ff:ff:ff:ff", count=1)
        time.sleep(0.5)
        for to in ("tso", "plain"):
            for g in gs.values():
                g.reset()
            t0 = time.time()
            sent = gs["tx"].cmd(f"send-tcp dst={MAC[to]} payload={PAYLOAD} mss={MSS} "
                                f"count={frames}", timeout=600)["sent"]
            gs[to].cmd("quiet idle_ms=200 timeout_ms=20000", timeout=60)
            secs = time.time() - t0 - 0.2
            t = gs[to].stats()["tcp"]
            row = {"switch": kind, "round": rnd, "to": to, "frames_sent": sent,
                   "payload_bytes": t["payload"], "rx_frames": t["frames"],
                   "rx_gso": t["gso"], "seq_breaks": t["seq_breaks"],
                   "seconds": round(secs, 3),
                   "gbit_s": round(t["payload"] * 8 / secs / 1e9, 3),
                   "delivered": round(t["payload"] / (sent * PAYLOAD), 4)}
            row["switch_drops"] = sw.drops(list(MAC))
            rows.append(row)
            log(f"round {rnd} {kind:9s} -> {to:5s}: {row['gbit_s']:6.2f} Gbit/s of payload, "
                f"{row['delivered'] * 100:.1f}% delivered, {t['frames']} frames "
                f"({t['gso']} GSO), drops: {row['switch_drops'] or 'none'}")
    finally:
        for g in gs.values():
            g.close()
        sw.stop()
        shutil.rmtree(wd, ignore_errors=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--frames", type=int, default=20000)
    ap.add_argument("--switches", default="kvswitch,ovs-tso")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" /
                                          str(datetime.date.today()) / "tso_gen"))
    args = ap.parse_args()
    kinds = [s for s in args.switches.split(",") if s]
    if os.geteuid() != 0:
        sys.exit("tso_gen: needs root")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = tempfile.mkdtemp(prefix="tsogen-")
    rows = []
    try:
        for rnd in range(1, args.rounds + 1):
            for k in kinds:
                rows += run_cell(k, rnd, args.frames, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if not rows:
        return
    vm_tcp.write_csv(out / "tso_gen.csv", rows)
    lines = [f"# 64 KB GSO TCP frames between virtio-user guests, {datetime.date.today()}", "",
             f"`/usr/bin/python3 bench/tso_gen.py --rounds {args.rounds} --frames "
             f"{args.frames} --switches {','.join(kinds)}`", "",
             "| switch | to | median Gbit/s of payload | min | max | delivered |", "|---|---|---|---|---|---|"]
    med = {}
    for k in kinds:
        for to in ("tso", "plain"):
            v = [r["gbit_s"] for r in rows if r["switch"] == k and r["to"] == to]
            d = [r["delivered"] for r in rows if r["switch"] == k and r["to"] == to]
            if v:
                med[(k, to)] = statistics.median(v)
                lines.append(f"| {k} | {to} | {med[(k, to)]:.2f} | {min(v):.2f} | {max(v):.2f}"
                             f" | {min(d) * 100:.1f}% |")
    for to in ("tso", "plain"):
        if ("kvswitch", to) in med and ("ovs-tso", to) in med and med[("ovs-tso", to)]:
            lines.append(f"\n- to {to}: kvswitch / OVS-DPDK userspace TSO = "
                         f"{med[('kvswitch', to)] / med[('ovs-tso', to)]:.2f}x")
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
