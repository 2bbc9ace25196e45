#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Count the dataplane microbenchmark (kvs-dp-micro) with callgrind.

Runs every case under `valgrind --tool=callgrind`, collecting only inside
micro_measured_loop(), with a fixed cache model so the miss counts do not
depend on the host.  Prints a table, writes OUTDIR/micro.csv and
OUTDIR/micro.json, and keeps the callgrind.out files in OUTDIR/callgrind/.
Per-stage numbers are the inclusive cost of the pipeline's functions, read
from the callgrind.out file (what callgrind_annotate --inclusive=yes shows
per function, summed over the files inlined code came from).

Called as bench/micro/run.sh BUILD_DIR OUTDIR (the bench runner does).
"""
import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys

MEASURED = "micro_measured_loop"
CASES = ["unicast", "unicast-100k", "learn", "flood", "vlan", "filter16", "capture", "mirror"]
# A fixed cache model (32 KiB L1s, a 2 MiB LL: a core's share of a server
# L3), so miss counts are the same on every host.
CACHE = ["--cache-sim=yes", "--I1=32768,8,64", "--D1=32768,8,64", "--LL=2097152,16,64"]

# (function, label): the stages reported per packet, when present (a
# function the compiler inlined has no cost of its own and is left out).
STAGES = [
    ("micro_rx_synth", "rx stand-in (bench: mbuf alloc + frame write)"),
    ("dp_process_burst", "pipeline: dp_process_burst (all below)"),
    ("vlan_ingress", "vlan_ingress (tagged or unusual frames)"),
    ("[jit]", "filter programs (JIT code)"),
    ("egress_allows", "egress_allows (egress filter)"),
    ("fdb_learn_ask", "fdb_learn_ask (unknown or moved source)"),
    ("rte_ring_mp_enqueue_elem", "  learn request enqueue"),
    ("vlan_push", "vlan_push"),
    ("rte_pktmbuf_copy", "rte_pktmbuf_copy (tagged flood copy)"),
    ("flood", "flood (refcount, pushes)"),
    ("flood_resolve", "  flood_resolve (targets, once per burst and VLAN)"),
    ("mirror_burst", "mirror_burst (selection, one reference per mirrored frame)"),
    ("micro_tx", "port tx (stats + free)"),
    ("fdb_learn_drain", "control side: fdb_learn_drain"),
    ("dp_capture_burst", "dp_capture_burst (capture copies onto the ring)"),
    ("micro_capture_drain", "control side: capture copies off the ring, freed"),
]
LINE = re.compile(r"^(case=\S+ .*)$", re.M)


class Profile:
    """Self and inclusive Ir per function of one callgrind.out file."""

    def __init__(self, path):
        self.events = []
        self.totals = []
        self.self_ir = {}
        self.incl_ir = {}
        self._parse(path)

    def _parse(self, path):
        names = {"ob": {}, "fl": {}, "fn": {}}
        kind = {"ob": "ob", "cob": "ob", "fl": "fl", "fi": "fl", "fe": "fl", "cfi": "fl",
                "cfl": "fl", "fn": "fn", "cfn": "fn"}
        cur = {"ob": "", "fn": ""}
        callee_ob = None
        callee_fn = None
        in_call = False
        calls = {}
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line[0] == "#":
                    continue
                c = line[0]
                if c.isdigit() or c in "+-*":
                    cost = line.split()
                    ir = int(cost[1]) if len(cost) > 1 else 0
                    key = (cur["ob"], cur["fn"])
                    if in_call:
                        callee = (callee_ob or cur["ob"], callee_fn)
                        if callee != key:  # recursion adds nothing inclusive
                            calls[key] = calls.get(key, 0) + ir
                        in_call = False
                        callee_ob = None
                    else:
                        self.self_ir[key] = self.self_ir.get(key, 0) + ir
                    continue
                head, _, rest = line.partition(":")
                if head == "events":
                    self.events = rest.split()
                    continue
                if head in ("summary", "totals"):
                    self.totals = [int(x) for x in rest.split()]
                    continue
                spec, _, val = line.partition("=")
                if spec == "calls":
                    in_call = True
                elif spec in kind:
                    m = re.match(r"\((\d+)\)(?: (.*))?$", val)
                    table = names[kind[spec]]
                    if m:
                        if m.group(2) is not None:
                            table[m.group(1)] = m.group(2)
                        name = table[m.group(1)]
                    else:
                        name = val
                    if spec in ("ob", "fn"):
                        cur[spec] = name
                    elif spec == "cob":
                        callee_ob = name
                    elif spec == "cfn":
                        callee_fn = name
        self.totals += [0] * (len(self.events) - len(self.totals))
        for key, ir in self.self_ir.items():
            self.incl_ir[key] = ir + calls.get(key, 0)
        for key, ir in calls.items():
            self.incl_ir.setdefault(key, ir)

    def event(self, name):
        return self.totals[self.events.index(name)] if name in self.events else 0

    def inclusive(self, fn):
        """Inclusive Ir of a function (all objects); [jit]: the self cost of
        anonymous code (librte_bpf's JIT output); [memcmp]: libc's memcmp."""
        if fn == "[jit]":
            return sum(ir for (ob, name), ir in self.self_ir.items()
                       if ob == "???" and name.startswith("0x"))
        if fn == "[memcmp]":
            return sum(ir for (ob, name), ir in self.incl_ir.items() if "memcmp" in name)
        return sum(ir for (ob, name), ir in self.incl_ir.items() if name == fn)

    def top(self, n):
        total = self.event("Ir")
        # leave out the measured loop and its callers (everything, or all but
        # the call instruction)
        rows = sorted(((ir, name) for (ob, name), ir in self.incl_ir.items()
                       if ir < total * 0.999),
                      reverse=True)
        return rows[:n]


def run_case(exe, case, bursts, outdir, run_no, extra):
    out = os.path.join(outdir, "callgrind", "callgrind.out.%s.%d" % (case, run_no))
    cmd = ["valgrind", "--tool=callgrind", "--toggle-collect=" + MEASURED,
           "--callgrind-out-file=" + out] + CACHE + [exe, "--case", case,
                                                    "--bursts", str(bursts)] + extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("%s failed (%d):\n%s" % (" ".join(cmd), p.returncode, p.stderr[-3000:]))
    m = LINE.search(p.stdout)
    if m is None:
        sys.exit("%s: no result line in its output:\n%s" % (case, p.stdout))
    info = dict(kv.split("=", 1) for kv in m.group(1).split())
    return info, Profile(out)


def native_ns(exe, case, bursts, extra):
    """Wall-clock ns/packet without valgrind: informative only (noisy)."""
    p = subprocess.run([exe, "--case", case, "--bursts", str(bursts)] + extra,
                       capture_output=True, text=True)
    m = LINE.search(p.stdout) if p.returncode == 0 else None
    if m is None:
        sys.exit("%s failed natively:\n%s%s" % (case, p.stdout, p.stderr))
    return float(dict(kv.split("=", 1) for kv in m.group(1).split())["ns_per_packet"])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build_dir", nargs="?",
                    default=os.path.join(os.path.dirname(os.path.dirname(here)), "build"))
    ap.add_argument("outdir", nargs="?", help="default: BUILD_DIR/bench/micro/results")
    ap.add_argument("--bursts", type=int, default=1000,
                    help="measured bursts of 32 frames per case (default 1000)")
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated")
    ap.add_argument("--repeat", type=int, default=1,
                    help="callgrind runs per case; the spread between them is reported")
    args = ap.parse_args()

    exe = os.path.join(args.build_dir, "bench", "micro", "kvs-dp-micro")
    if not os.access(exe, os.X_OK):
        sys.exit("no %s: build first (ninja -C %s)" % (exe, args.build_dir))
    if shutil.which("valgrind") is None:
        sys.exit("valgrind not found (apt-get install valgrind)")
    outdir = args.outdir or os.path.join(args.build_dir, "bench", "micro", "results")
    os.makedirs(os.path.join(outdir, "callgrind"), exist_ok=True)

    results = []
    for case in args.cases.split(","):
        runs = [run_case(exe, case, args.bursts, outdir, i, []) for i in range(args.repeat)]
        info, prof = runs[0]
        packets = int(info["packets"])
        irs = [p.event("Ir") for _, p in runs]
        ir = irs[0]
        stages = []
        for fn, label in STAGES:
            v = prof.inclusive(fn)
            if v:
                stages.append({"function": fn, "stage": label, "instructions": v,
                               "per_packet": round(v / packets, 1)})
        results.append({
            "case": case,
            "packets": packets,
            "packets_out": int(info["out"]),
            "bursts": int(info["bursts"]),
            "macs": int(info["macs"]),
            "filter": info.get("filter", "none"),
            "instructions": ir,
            "instructions_per_packet": round(ir / packets, 1),
            "pipeline_per_packet": round(prof.inclusive("dp_process_burst") / packets, 1),
            "d1_misses_per_packet": round(
                (prof.event("D1mr") + prof.event("D1mw")) / packets, 2),
            "ll_misses_per_packet": round(
                (prof.event("DLmr") + prof.event("DLmw")) / packets, 2),
            "ns_per_packet_native": native_ns(exe, case, args.bursts, []),
            "runs_instructions": irs,
            "runs_spread_pct": round(100.0 * (max(irs) - min(irs)) / ir, 4),
            "stages": stages,
            "top_inclusive": [{"function": name, "per_packet": round(v / packets, 1)}
                              for v, name in prof.top(15)],
        })
        print("%-13s counted" % case, file=sys.stderr, flush=True)

    cols = ["case", "packets", "instructions", "instructions_per_packet",
            "pipeline_per_packet", "d1_misses_per_packet", "ll_misses_per_packet",
            "ns_per_packet_native", "runs_spread_pct"]
    with open(os.path.join(outdir, "micro.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in results:
            w.writerow([r[c] for c in cols])
    with open(os.path.join(outdir, "micro.json"), "w") as f:
        json.dump({"tool": "valgrind --tool=callgrind --toggle-collect=" + MEASURED,
                   "cache_model": " ".join(CACHE[1:]), "bursts": args.bursts,
                   "cases": results}, f, indent=1)

    print("%-13s %8s %14s %9s %9s %7s %7s %8s %8s" % (
        "case", "packets", "instructions", "Ir/pkt", "pipe/pkt", "D1m/pkt", "LLm/pkt",
        "ns/pkt*", "spread%"))
    for r in results:
        print("%-13s %8d %14d %9.1f %9.1f %7.2f %7.2f %8.1f %8.4f" % (
            r["case"], r["packets"], r["instructions"], r["instructions_per_packet"],
            r["pipeline_per_packet"], r["d1_misses_per_packet"], r["ll_misses_per_packet"],
            r["ns_per_packet_native"], r["runs_spread_pct"]))
    print("* wall clock without valgrind, informative only")
    print("\ninstructions per packet by stage (inclusive):")
    labels = [label for _, label in STAGES]
    print("%-46s" % "" + "".join("%13s" % r["case"] for r in results))
    for label in labels:
        vals = [next((s["per_packet"] for s in r["stages"] if s["stage"] == label), None)
                for r in results]
        if any(v is not None for v in vals):
            print("%-46s" % label + "".join(
                "%13s" % ("-" if v is None else "%.1f" % v) for v in vals))
    print("\nwrote %s/micro.csv and micro.json" % outdir)


if __name__ == "__main__":
    main()
