#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The restart outage: how long guests are cut off when kvswitchd is killed and started again.

For each mode it runs a real kvswitchd with two kvs-guest guests on one bridge; one streams
sequenced frames to the other (PPS per second) and kvswitchd is SIGKILLed and started again
from its configuration file, N times. The receiving guest keeps the longest silence between
two frames of the stream: that is the outage the guests saw, from the last frame the old
switch forwarded to the first the new one forwarded (see tests/system/outage.py). Modes:

  client  dpdkvhostuserclient ports: the guests own their sockets, kvswitchd connects to them;
  server  dpdkvhostuser ports: kvswitchd owns the sockets, the guests connect again every
          RECONNECT ms (QEMU's -chardev reconnect= does the same, in whole seconds).

It prints one line per restart and a summary per mode (min, median, max). Also printed:
"up", from the kill to kvswitchd answering on its control socket (the start-up alone).
Run as root with hugepages, after building:

    KVS_BUILD_DIR=build /usr/bin/python3 bench/restart_outage.py [--restarts 10]
        [--modes client,server] [--pps 5000] [--reconnect-ms 100]
"""
import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "system"))

import outage  # noqa: E402
from kvs import Switch  # noqa: E402


def run_mode(mode, args, workdir):
    sw = Switch(workdir, name=f"sw-{mode}")
    sw.start()
    sw.baseline = sw.mbufs_in_use()  # each restart ends by checking the pools are back to it
    gs = []
    try:
        gs = outage.pair(sw, workdir, mode, log_dir=workdir, reconnect_ms=args.reconnect_ms)
        gaps, ups = [], []
        for i in range(args.restarts):
            r = outage.restart_once(sw, gs[0], gs[1], stream=100 + i, pps=args.pps)
            if not r["resumed"]:
                print(f"{mode} restart {i + 1}: traffic did not resume within 10 s "
                      f"(log: {sw.log})")
                return None
            gaps.append(r["gap_s"] * 1000)
            ups.append(r["up_s"] * 1000)
            print(f"{mode:6} restart {i + 1:3}: cut off {gaps[-1]:7.0f} ms, "
                  f"up {ups[-1]:5.0f} ms", flush=True)
        return gaps, ups
    finally:
        for g in gs:
            g.close()
        sw.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--restarts", type=int, default=10)
    ap.add_argument("--modes", default="client,server")
    ap.add_argument("--pps", type=int, default=5000)
    ap.add_argument("--reconnect-ms", type=int, default=100)
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="kvs-restart-") as d:
        for mode in args.modes.split(","):
            results[mode] = run_mode(mode, args, d)
    print(f"\nrestart outage over {args.restarts} restarts (kill -9, start), ms:")
    print(f"{'mode':8} {'min':>6} {'median':>7} {'max':>6}   {'up median':>9}")
    ok = True
    for mode, r in results.items():
        if r is None:
            print(f"{mode:8} traffic did not resume")
            ok = False
            continue
        gaps, ups = r
        print(f"{mode:8} {min(gaps):6.0f} {statistics.median(gaps):7.0f} {max(gaps):6.0f}"
              f"   {statistics.median(ups):9.0f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
