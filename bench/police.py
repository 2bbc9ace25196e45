#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Policers held to their rate: a virtio-user guest (kvs-guest) streams 1514-byte frames
into port vm1 at three times the policed rate, either vm1's ingress_policing_rate or, with
--egress TYPE, a QoS of that type (egress-policer; trtcm-policer, whose rate is cir + eir
split 60/40) on vm2, the receiving port; the guest on vm2 counts what arrives.  Rates 1 Mbit/s, 100 Mbit/s and 1 Gbit/s, each over 10-second windows after a
warm-up that empties the bucket, then the same rates offered at half the rate (nothing may
be lost).  The rate is measured as the policer meters it: bytes less the 14-byte Ethernet
header of each frame.  The bucket is a tenth of the rate (at least one frame).

Both guests run on core 0 and the switch's PMD on core 1.  The sender's own count says
what it really offered; where it could not reach three times the rate, the report says so.

  /usr/bin/python3 bench/police.py [--build build] [--rounds 2] [--window 10]
      [--egress egress-policer|trtcm-policer] [--out bench/results/DATE/police[-TYPE]]
"""
import argparse
import csv
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "system"))

RATES_KBIT = (1000, 100000, 1000000)
FRAME = 1514
METERED = FRAME - 14
MAC1, MAC2 = "52:54:00:00:09:01", "52:54:00:00:09:02"


def log(msg):
    print(f"police: {msg}", flush=True)


def window(g1, g2, seconds):
    a, s_a, t0 = g2.stats()["rx"], g1.stats()["tx"], time.monotonic()
    time.sleep(seconds)
    b, s_b, t1 = g2.stats()["rx"], g1.stats()["tx"], time.monotonic()
    frames, nbytes = b["total"] - a["total"], b["bytes"] - a["bytes"]
    sent = s_b["total"] - s_a["total"]
    dt = t1 - t0
    return {"received_mbit": (nbytes - 14 * frames) * 8 / dt / 1e6,
            "offered_mbit": sent * METERED * 8 / dt / 1e6,
            "frames_sent": sent, "frames_received": frames, "seconds": dt}


def set_policer(sw, egress, rate):
    """Police at rate kbit/s (bucket a tenth of it, at least one frame); returns the port
    and the counter that counts what it drops."""
    burst = max(rate // 10, (METERED + 4 + 124) // 125)
    if egress is None:
        sw.vsctl("set", "Interface", "vm1", f"ingress_policing_rate={rate}",
                 f"ingress_policing_burst={burst}")
        return "vm1", "rx_drops", "policed_ingress", burst
    bps, bucket = rate * 1000 // 8, burst * 1000 // 8
    cfg = {"cir": bps, "cbs": bucket}
    if egress == "trtcm-policer":
        cfg = {"cir": bps * 6 // 10, "cbs": bucket * 6 // 10 + METERED,
               "eir": bps * 4 // 10, "ebs": bucket * 4 // 10 + METERED}
    sw.vsctl("--", "--id=@q", "create", "QoS", f"type={egress}",
             *[f"other-config:{k}={v}" for k, v in cfg.items()],
             "--", "set", "Port", "vm2", "qos=@q")
    return "vm2", "tx_drops", "policed_egress", burst


def run_round(rnd, base, win, egress):
    from kvs import Switch
    from guest import Guest

    wd = Path(tempfile.mkdtemp(prefix=f"police-{rnd}-", dir=base))
    sw = Switch(wd)
    sw.start()
    gs, rows = [], []
    try:
        sw.vsctl("add-br", "br0")
        for p in ("vm1", "vm2"):
            sw.vsctl("add-port", "br0", p, "type=dpdkvhostuser")
        g1 = Guest(sw.sock("vm1"), MAC1, name="vm1", gid=1, log_dir=wd)
        gs.append(g1)
        g2 = Guest(sw.sock("vm2"), MAC2, name="vm2", gid=2, log_dir=wd)
        gs.append(g2)
        g1.link()
        g2.link()
        g2.send(MAC1, count=1)
        time.sleep(0.3)
        for load in (3.0, 0.5):
            for rate in RATES_KBIT:
                port, side, counter, burst = set_policer(sw, egress, rate)
                d0 = sw.port_stats(port)[side][counter]
                pps = max(1, int(load * rate * 1000 / (METERED * 8)))
                g1.stream_start(MAC2, size=FRAME, pps=pps)
                time.sleep(2)  # the bucket empties at 3x; steady state at 0.5x
                w = window(g1, g2, win)
                sent = g1.stream_stop()["sent"]
                g2.quiet()
                d1 = sw.port_stats(port)[side][counter]
                w.update({"round": rnd, "rate_mbit": rate / 1000, "load": load, "pps": pps,
                          "burst_kbit": burst, "policed": d1 - d0, "stream_sent": sent})
                w["ratio"] = w["received_mbit"] / (rate / 1000)
                log(f"round {rnd} rate {rate / 1000:g} Mbit/s at {load}x: "
                    f"received {w['received_mbit']:.3f} Mbit/s ({w['ratio']:.4f}x), offered "
                    f"{w['offered_mbit']:.3f}, policed {w['policed']}")
                rows.append(w)
    finally:
        for g in gs:
            g.close()
        sw.stop()
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=str(REPO / "build"))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--window", type=float, default=10)
    ap.add_argument("--egress", choices=("egress-policer", "trtcm-policer"),
                    help="police vm2's egress with a QoS of this type, not vm1's ingress")
    ap.add_argument("--out", help="default bench/results/DATE/police[-TYPE]")
    a = ap.parse_args()
    a.out = a.out or str(REPO / "bench" / "results" / datetime.date.today().isoformat() /
                         ("police" + (f"-{a.egress}" if a.egress else "")))
    build = str(Path(a.build).resolve())
    os.environ["KVS_BUILD_DIR"] = build
    os.environ["KVS_GUEST_BUILD_DIR"] = build
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="police-"))
    rows = []
    for r in range(1, a.rounds + 1):
        rows += run_round(r, base, a.window, a.egress)
    keys = ["round", "rate_mbit", "load", "burst_kbit", "pps", "offered_mbit", "received_mbit",
            "ratio", "frames_sent", "frames_received", "policed", "seconds"]
    with open(out / "results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    what = {None: "vm1's ingress_policing_rate (bucket a tenth of the rate)",
            "egress-policer": "vm2's QoS egress-policer (cbs a tenth of the rate)",
            "trtcm-policer": "vm2's QoS trtcm-policer, the rate being cir + eir split 60/40 "
                             "(cbs and ebs a tenth of each, plus one frame)"}[a.egress]
    lines = [f"# {'Egress (QoS ' + a.egress + ')' if a.egress else 'Ingress'} policing, "
             f"{datetime.datetime.now().isoformat(timespec='seconds')}", "",
             f"Command: `bench/police.py --rounds {a.rounds} --window {a.window:g}"
             f"{' --egress ' + a.egress if a.egress else ''}`; kvswitch "
             + subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                              capture_output=True, text=True).stdout.strip() + ".", "",
             f"kvs-guest on vm1 streams {FRAME}-byte frames at the load times {what}; "
             "the guest on vm2 measures "
             f"over {a.window:g} s windows, as the policer meters (less 14 bytes a frame). "
             "Guests on core 0, PMD on core 1.", "",
             "| rate | load | offered Mbit/s | received Mbit/s | received / rate | frames "
             "lost to the policer | within 5% |", "|---|---|---|---|---|---|---|"]
    for load in (3.0, 0.5):
        for rate in RATES_KBIT:
            rs = [r for r in rows if r["rate_mbit"] == rate / 1000 and r["load"] == load]
            got = [r["ratio"] for r in rs]
            if load > 1:
                ok = all(0.95 <= x <= 1.05 for x in got)
                ok_text = "yes" if ok else "NO"
            else:
                ok_text = "n/a (below the rate: lost must be 0)"
            lines.append(
                f"| {rate / 1000:g} Mbit/s | {load:g}x | "
                f"{statistics.median(r['offered_mbit'] for r in rs):.3f} | "
                f"{statistics.median(r['received_mbit'] for r in rs):.3f} | "
                f"{statistics.median(got):.4f} ({min(got):.4f}-{max(got):.4f}) | "
                f"{sum(r['policed'] for r in rs)} | {ok_text} |")
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    log(f"wrote {out}/summary.md and results.csv")


if __name__ == "__main__":
    main()
