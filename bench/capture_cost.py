#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""What `kvsctl capture` costs the switch: 64-byte UDP frames at a fixed open-loop rate
(kvs-bench-gen, virtio-user port a -> port b), with no capture and with every frame
captured, interleaved round by round in one run.

Cells:
  off      no capture
  file     `kvsctl capture a -Q rx -w FILE`: every frame into a pcap file
  pipe     `kvsctl capture a -Q rx -w - | tcpdump -r - -w FILE`: the same through a
           real pipe into tcpdump

For each window: frames the generator offered and received (lost = switch or ring
drops), the PMD's busy cycles per forwarded frame (pmd-stats-show, cleared at the start),
and the capture's own counts (frames written, copies dropped at the ring or for a slow
reader).  The generator (and kvswitchd's control thread, kvsctl, tcpdump) run on core 0,
the switch's PMD on core 1: a capture's writing competes with the generator, not with
the PMD, so the report says which side limited the rate.

  /usr/bin/python3 bench/capture_cost.py [--build build] [--rate 1000000] [--duration 8]
      [--rounds 3] [--out bench/results/DATE/capture_cost]
"""
import argparse
import csv
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "system"))
from rounds import med, run_interleaved, write_csv  # noqa: E402 (bench/, the script's own)

CELLS = ("off", "file", "pipe")


def log(msg):
    print(f"capture_cost: {msg}", flush=True)


def gen_cmd(build, sw, rate, duration, tag):
    return [str(build / "bench" / "gen" / "kvs-bench-gen"), "-l", "0", "--file-prefix",
            f"capc{tag}", "--single-file-segments", "-m", "1024", "--no-pci",
            "--vdev", f"net_virtio_user0,path={sw.sock('a')},queues=1,queue_size=1024",
            "--vdev", f"net_virtio_user1,path={sw.sock('b')},queues=1,queue_size=1024",
            "--", "--mode", "open", "--rate", str(rate), "--duration", str(duration),
            "--warmup", "1", "--events", "--event-ack"]


def run_cell(cell, build, rate, duration, base, tag):
    from kvs import Switch, KVSCTL

    wd = Path(tempfile.mkdtemp(prefix=f"cap-{cell}-", dir=base))
    sw = Switch(wd)
    sw.start()
    row = {"cell": cell}
    cap = reader = None
    try:
        sw.vsctl("add-br", "br0")
        for p in ("a", "b"):
            sw.vsctl("add-port", "br0", p, "--", "set", "Interface", p, "type=dpdkvhostuser")
        g = subprocess.Popen(gen_cmd(build, sw, rate, duration, tag), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        pcap = wd / "a.pcap"
        line = g.stdout.readline()
        assert '"window_start"' in line, line
        if cell != "off":
            out = pcap if cell == "file" else "-"
            cap = subprocess.Popen([str(KVSCTL), "--unixctl", str(sw.ctl), "capture", "a", "-Q",
                                    "rx", "-w", str(out)], stderr=subprocess.PIPE, text=True,
                                   stdout=subprocess.PIPE if cell == "pipe" else None)
            if cell == "pipe":
                reader = subprocess.Popen(["tcpdump", "-r", "-", "-w", str(pcap)],
                                          stdin=cap.stdout, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
                cap.stdout.close()
            sw.wait_for(lambda: sw.json("memory/show")["capture"]["captures"] == 1, 10,
                        "the capture to start")
        sw.vsctl("pmd-stats-clear")
        g.stdin.write("\n")
        g.stdin.flush()
        line = g.stdout.readline()
        assert '"window_end"' in line, line
        pmd = sw.json("pmd-stats-show")[0]
        drops = {}
        for port in ("a", "b"):
            st = sw.port_stats(port)
            for d in ("rx_drops", "tx_drops"):
                for reason, n in (st.get(d) or {}).items():
                    if n:
                        drops[f"{port}.{d[:2]}.{reason}"] = n
        g.stdin.write("\n")
        g.stdin.flush()
        rep = json.loads(g.stdout.read())
        g.wait(30)
        if cap is not None:
            cap.send_signal(signal.SIGINT)
            cap.wait(30)
            err = cap.stderr.read()
            if reader is not None:
                reader.wait(30)
            m = re.search(r"(\d+) frames written, \d+ dropped \((\d+) at the switch's capture "
                          r"ring, (\d+) because the reader was slow\)", err)
            assert m, err
            row.update({"cap_written": int(m[1]), "cap_dropped_ring": int(m[2]),
                        "cap_dropped_reader": int(m[3]), "pcap_bytes": pcap.stat().st_size})
            pcap.unlink()  # hundreds of MB a window
        row.update({
            "offered": rep["tx_frames"], "received": rep["rx_frames"], "lost": rep["lost"],
            "switch_drops": " ".join(f"{k}={v}" for k, v in sorted(drops.items())),
            "gen_tx_fail": rep["tx_fail"], "rx_mpps": rep["rx_pps"] / 1e6,
            "pmd_busy_cycles_per_frame": pmd["busy_cycles"] / max(1, pmd["rx_packets"]),
            "pmd_busy_pct": 100.0 * pmd["busy_cycles"]
            / max(1, pmd["busy_cycles"] + pmd["idle_cycles"]),
        })
    finally:
        for p in (cap, reader):
            if p is not None and p.poll() is None:
                p.kill()
        sw.stop()
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--rate", type=int, default=1000000)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" /
                                         datetime.date.today().isoformat() / "capture_cost"))
    ap.add_argument("--summary-only", action="store_true",
                    help="rewrite summary.md from OUT/results.csv, run nothing")
    a = ap.parse_args()
    if a.summary_only:
        with open(Path(a.out) / "results.csv") as f:
            rows = [{k: (v if k in ("cell", "switch_drops") else float(v) if v else None)
                     for k, v in r.items()} for r in csv.DictReader(f)]
        for r in rows:  # keys with spaces in runs before the dotted form
            r["switch_drops"] = " ".join(
                kv.replace(" ", ".") for kv in re.findall(r"\S+ \S+ \S+=\d+|\S+=\d+",
                                                          r["switch_drops"] or ""))
            for k in [k for k, v in r.items() if v is None]:
                del r[k]
        write_summary(Path(a.out), a, rows)
        return
    build = Path(a.build).resolve()
    os.environ["KVS_BUILD_DIR"] = str(build)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="capture_cost-"))
    rows = run_interleaved("capture_cost", CELLS, a.rounds,
                           lambda cell, r: run_cell(cell, build, a.rate, a.duration, base,
                                                    f"{r}{cell}"))
    write_csv(out / "results.csv",
              ["round", "cell", "offered", "received", "lost", "gen_tx_fail", "rx_mpps",
               "pmd_busy_cycles_per_frame", "pmd_busy_pct", "cap_written", "cap_dropped_ring",
               "cap_dropped_reader", "pcap_bytes", "switch_drops"], rows)
    write_summary(out, a, rows)
    log(f"wrote {out}/summary.md and results.csv")


def write_summary(out, a, rows):
    lines = [f"# What a capture costs, {datetime.datetime.now().isoformat(timespec='seconds')}",
             "",
             f"Command: `bench/capture_cost.py --rate {a.rate} --duration {a.duration} "
             f"--rounds {a.rounds}`; kvswitch "
             + subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                              capture_output=True, text=True).stdout.strip() + ".",
             "",
             f"64 B IPv4/UDP frames, one flow, kvs-bench-gen open loop a -> b at "
             f"{a.rate / 1e6:g} Mpps for {a.duration} s per window; PMD on core 1, the "
             "generator, kvswitchd's control thread, kvsctl and tcpdump on core 0. Medians "
             f"over {a.rounds} interleaved rounds (min-max in results.csv).",
             "",
             "| cell | offered Mpps | received Mpps | lost | frames refused at the generator's "
             "ring | PMD busy cycles/frame | PMD busy % | frames written | copies dropped "
             "(ring / reader) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for c in CELLS:
        lines.append(
            f"| {c} | {med(rows, c, 'offered') / a.duration / 1e6:.3f} | "
            f"{med(rows, c, 'rx_mpps'):.3f} | {med(rows, c, 'lost'):.0f} | "
            f"{med(rows, c, 'gen_tx_fail'):.0f} | {med(rows, c, 'pmd_busy_cycles_per_frame'):.1f} "
            f"| {med(rows, c, 'pmd_busy_pct'):.1f} | "
            + ("-" if c == "off" else f"{med(rows, c, 'cap_written'):.0f}") + " | "
            + ("-" if c == "off" else f"{med(rows, c, 'cap_dropped_ring'):.0f} / "
               f"{med(rows, c, 'cap_dropped_reader'):.0f}") + " |")
    off = med(rows, "off", "rx_mpps")
    lines += ["", "Received rate with a capture against without (per-round medians): "
              + ", ".join(f"{c} {med(rows, c, 'rx_mpps') / off:.3f}x" for c in CELLS[1:])
              + ".", "",
              "Forwarded by the switch out of what the generator offered, and where the rest "
              "went (the switch's own drop counters, summed over rounds):", ""]
    for c in CELLS:
        rs = [r for r in rows if r["cell"] == c]
        fwd = sum(r["received"] for r in rs) / max(1, sum(r["offered"] for r in rs))
        gen_fail = int(sum(r["gen_tx_fail"] for r in rs))
        sd = {}
        for r in rs:
            for kv in r.get("switch_drops", "").split():
                k, v = kv.split("=")
                sd[k] = sd.get(k, 0) + int(v)
        lines.append(f"- {c}: {100 * fwd:.4f}% forwarded; switch drops: "
                     + (", ".join(f"{k} {v}" for k, v in sorted(sd.items())) or "none")
                     + f"; generator: {gen_fail} frames refused at "
                     "its own full tx ring (its core did not keep up)")
    (out / "summary.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
