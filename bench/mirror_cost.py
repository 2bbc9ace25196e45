#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""What a port mirror costs the switch in a closed loop: kvs-bench-gen forwards 64-byte
UDP frames between virtio-user ports a and b as fast as they come back (--mode closed),
with no mirror and with mirrors to a third port, interleaved round by round in one run.

Cells:
  off   no mirror
  src   select_src_port=a: every frame a sends (one direction) copied to the output port
  all   select_all: every frame of the bridge (both directions)

The output port is a `dpdk` port on DPDK's net_null PMD (no-rx=1), whose tx frees what it is
given: it costs the switch what a real output port's tx costs, with no process behind
it competing for a core.  Reported per window: the received rate (both directions), the
PMD's busy cycles per forwarded frame and busy share (pmd-stats-show, cleared at the
start), the generator's idle share, and the frames the output port sent.  The generator
runs on core 0 and the switch's PMD on core 1: the side with no idle time is the
bottleneck, and the report says which.

  /usr/bin/python3 bench/mirror_cost.py [--build build] [--duration 8] [--rounds 3]
      [--out bench/results/DATE/mirror_cost]
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "system"))
from rounds import med, run_interleaved, write_csv  # noqa: E402 (bench/, the script's own)

CELLS = ("off", "src", "all")
MIRRORS = {
    "off": "",
    "src": "    mirrors:\n      m0:\n        select_src_port: [a]\n        output_port: mon\n",
    "all": "    mirrors:\n      m0:\n        select_all: true\n        output_port: mon\n",
}


def log(msg):
    print(f"mirror_cost: {msg}", flush=True)


def config(sw, cell):
    return ("open_vswitch:\n  other_config:\n"
            f"    vhost-sock-dir: {sw.sockdir}\n    n-mbufs: 32768\n"
            "bridges:\n  br0:\n    ports:\n"
            "      a: {type: dpdkvhostuser}\n      b: {type: dpdkvhostuser}\n"
            "      mon:\n        type: dpdk\n        options: {dpdk-devargs: \"net_null0,no-rx=1\"}\n"
            + MIRRORS[cell])


def run_cell(cell, build, duration, base, tag):
    from kvs import Switch

    wd = Path(tempfile.mkdtemp(prefix=f"mir-{cell}-", dir=base))
    sw = Switch(wd)
    sw.write_config(config(sw, cell))
    sw.start()
    try:
        gen = [str(build / "bench" / "gen" / "kvs-bench-gen"), "-l", "0", "--file-prefix",
               f"mirc{tag}", "--single-file-segments", "-m", "1024", "--no-pci",
               "--vdev", f"net_virtio_user0,path={sw.sock('a')},queues=1,queue_size=1024",
               "--vdev", f"net_virtio_user1,path={sw.sock('b')},queues=1,queue_size=1024",
               "--", "--mode", "closed", "--duration", str(duration), "--warmup", "1",
               "--events"]
        g = subprocess.Popen(gen, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = g.stdout.readline()
        assert '"window_start"' in line, line
        sw.vsctl("pmd-stats-clear")
        mon0 = sw.port_stats("mon")["tx_packets"]
        line = g.stdout.readline()
        assert '"window_end"' in line, line
        pmd = sw.json("pmd-stats-show")[0]
        mon = sw.port_stats("mon")
        rep = json.loads(g.stdout.read())
        g.wait(30)
        return {
            "cell": cell, "rx_frames": rep["rx_frames"], "rx_mpps": rep["rx_pps"] / 1e6,
            "gen_idle_pct": rep["gen_idle_pct"],
            "pmd_busy_cycles_per_frame": pmd["busy_cycles"] / max(1, pmd["rx_packets"]),
            "pmd_busy_pct": 100.0 * pmd["busy_cycles"]
            / max(1, pmd["busy_cycles"] + pmd["idle_cycles"]),
            "mirrored": mon["tx_packets"] - mon0,
            "mirror_drops": sum((mon.get("tx_drops") or {}).values()),
        }
    finally:
        sw.stop()


def write_summary(out, a, rows):
    rev = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    lines = [f"# What a mirror costs, {datetime.datetime.now().isoformat(timespec='seconds')}",
             "", f"Command: `bench/mirror_cost.py --duration {a.duration} --rounds {a.rounds}`;"
             f" kvswitch {rev}.", "",
             "64 B IPv4/UDP frames, one flow, kvs-bench-gen closed loop between virtio-user "
             "ports a and b (both directions); the mirror's output port is a net_null `dpdk` "
             "port. PMD on core 1, generator on core 0. Medians over "
             f"{a.rounds} interleaved rounds (every window in results.csv).", "",
             "| cell | received Mpps | vs off | PMD busy cycles/frame | PMD busy % | "
             "generator idle % | mirrored frames / received | mirror port drops |",
             "|---|---|---|---|---|---|---|---|"]
    off = med(rows, "off", "rx_mpps")
    for c in CELLS:
        lines.append(
            f"| {c} | {med(rows, c, 'rx_mpps'):.3f} | {med(rows, c, 'rx_mpps') / off:.3f}x | "
            f"{med(rows, c, 'pmd_busy_cycles_per_frame'):.1f} | "
            f"{med(rows, c, 'pmd_busy_pct'):.1f} | {med(rows, c, 'gen_idle_pct'):.1f} | "
            f"{med(rows, c, 'mirrored') / max(1, med(rows, c, 'rx_frames')):.3f} | "
            f"{med(rows, c, 'mirror_drops'):.0f} |")
    lines += ["", "Bottleneck: the side with no idle time. The PMD busy % is near 100 in a "
              "closed loop when the switch limits the rate; a generator with idle time left "
              "was waiting for the switch."]
    (out / "summary.md").write_text("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" /
                                         datetime.date.today().isoformat() / "mirror_cost"))
    a = ap.parse_args()
    build = Path(a.build).resolve()
    os.environ["KVS_BUILD_DIR"] = str(build)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="mirror_cost-"))
    rows = run_interleaved("mirror_cost", CELLS, a.rounds,
                           lambda cell, r: run_cell(cell, build, a.duration, base, f"{r}{cell}"))
    write_csv(out / "results.csv",
              ["round", "cell", "rx_frames", "rx_mpps", "gen_idle_pct",
               "pmd_busy_cycles_per_frame", "pmd_busy_pct", "mirrored", "mirror_drops"], rows)
    write_summary(out, a, rows)
    log(f"wrote {out}/summary.md and results.csv")


if __name__ == "__main__":
    main()
