#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""What pmd-sleep-max saves and what it costs.

For each pmd-sleep-max value it runs a real kvswitchd with one PMD and two
kvs-guest guests on one bridge, and measures:

  - idle CPU: with no traffic at all, the CPU time of the PMD thread
    (/proc/<pid>/task/<tid>/stat) and the busy share of the PMD's core
    (/proc/stat, which also counts anything else that runs there) over
    SECONDS seconds;
  - latency: ping round trips guest to guest through the switch, one echo
    every GAP ms (the switch is idle in between, so the PMD has backed off
    to its longest sleep: the worst case) and back to back (the next echo
    leaves as soon as the reply is in: a chatty, never-idle switch).

It prints one table.  Run as root with hugepages, after building:

    KVS_BUILD_DIR=build /usr/bin/python3 bench/idle_sleep.py [--values 0,500,10000]
        [--seconds 5] [--pings 200] [--gap-ms 20]

Both guests also sleep 50 us when they have nothing to do, so round trips
carry that noise too: compare rows with each other, not with wire latency.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "system"))

from guest import Guest  # noqa: E402
from kvs import Switch  # noqa: E402
from procstat import pmd_cpu  # noqa: E402

MACS = ["52:54:00:00:00:01", "52:54:00:00:00:02"]
IPS = ["10.9.0.1/24", "10.9.0.2/24"]


def measure(sleep_max, args, workdir):
    sw = Switch(workdir, name=f"sw{sleep_max}")
    sw.start()
    guests = []
    try:
        sw.vsctl("set", "Open_vSwitch", ".", f"other_config:pmd-sleep-max={sleep_max}")
        sw.vsctl("add-br", "br0")
        for i in (1, 2):
            sw.vsctl("add-port", "br0", f"vm{i}", "type=dpdkvhostuser")
        for i in (1, 2):
            guests.append(Guest(sw.sock(f"vm{i}"), MACS[i - 1], ip=IPS[i - 1], gid=i,
                                name=f"vm{i}-{sleep_max}", log_dir=workdir))
        for i, g in enumerate(guests, 1):
            g.link()
            sw.wait_connected(f"vm{i}")
        # Learn both MACs and warm up ARP before measuring.
        guests[0].ping(IPS[1].split("/")[0], count=3)
        sw.vsctl("pmd-stats-clear")
        time.sleep(0.5)
        thread_pct, core_pct = pmd_cpu(sw.proc.pid, args.seconds)
        st = sw.json("pmd-stats-show")[0]
        awake = st["busy_cycles"] + st["idle_cycles"] + st["sleep_cycles"]
        asleep_pct = 100.0 * st["sleep_cycles"] / awake if awake else 0.0
        ip2 = IPS[1].split("/")[0]
        gap = guests[0].ping(ip2, count=args.pings, interval_ms=args.gap_ms,
                             timeout_ms=args.pings * (args.gap_ms + 50) + 5000)
        b2b = guests[0].ping(ip2, count=args.pings, timeout_ms=args.pings * 50 + 5000)
        return {"sleep_max": sleep_max, "thread": thread_pct, "core": core_pct,
                "asleep": asleep_pct, "gap": gap, "b2b": b2b}
    finally:
        for g in guests:
            g.close()
        sw.stop()


def rtt(answer, key):
    if answer.get("received", 0) == 0:
        return "lost"
    return f"{answer['rtt_us'][key]:.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--values", default="0,500,10000",
                    help="pmd-sleep-max values to compare, us (default 0,500,10000)")
    ap.add_argument("--seconds", type=float, default=5.0, help="idle CPU window (default 5)")
    ap.add_argument("--pings", type=int, default=200, help="echoes per latency run")
    ap.add_argument("--gap-ms", type=int, default=20, help="idle time between echoes")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("idle_sleep.py: needs root (hugepages, vhost-user sockets)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="kvs-bench-sleep-") as d:
        for v in (int(x) for x in args.values.split(",")):
            rows.append(measure(v, args, Path(d)))
    print(f"idle PMD CPU over {args.seconds:.0f} s; ping RTT in us, {args.pings} echoes "
          f"each, {args.gap_ms} ms apart ('gap') or back to back ('b2b'); "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'pmd-sleep-max':>13} | {'PMD thread':>10} | {'PMD core':>8} | {'asleep':>6} | "
          f"{'gap p50':>7} {'gap avg':>7} {'gap p99':>7} {'gap max':>7} | "
          f"{'b2b p50':>7} {'b2b avg':>7} {'b2b p99':>7}")
    for r in rows:
        print(f"{r['sleep_max']:>10} us | {r['thread']:>9.1f}% | {r['core']:>7.1f}% | "
              f"{r['asleep']:>5.1f}% | "
              f"{rtt(r['gap'], 'p50'):>7} {rtt(r['gap'], 'avg'):>7} {rtt(r['gap'], 'p99'):>7} "
              f"{rtt(r['gap'], 'max'):>7} | "
              f"{rtt(r['b2b'], 'p50'):>7} {rtt(r['b2b'], 'avg'):>7} {rtt(r['b2b'], 'p99'):>7}")


if __name__ == "__main__":
    main()
