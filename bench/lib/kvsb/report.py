# SPDX-License-Identifier: BSD-3-Clause
"""The report: raw windows (windows.csv, results.json.gz), aggregation and summary.md.

Aggregation: per (workload, switch, size, queues, point) the kept values of
the rounds give median, min and max.  Ratios are taken per round (kvswitch's
value over the peer's value in the same round, which ran minutes apart at
most) and then summarised the same way; a noisy machine moves both sides of
a round's ratio together, so the ratio's spread is the honest one.
"""
import csv
import gzip
import json
import statistics

from .windows import CSV_FIELDS

SWITCH_ORDER = ["kvswitch", "testpmd", "ovs", "kvswitch+filter"]
TITLES = {"kvswitch": "kvswitch", "testpmd": "testpmd io", "ovs": "OVS-DPDK",
          "kvswitch+filter": "kvswitch + filter"}


def stats(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def by_round(results, **match):
    """{round: value} of the results matching every key=value."""
    out = {}
    for r in results:
        if all(r.get(k) == v for k, v in match.items()) and r["value"] is not None:
            out[r["round"]] = r["value"]
    return out


def ratio(results, num, den):
    """Per-round ratios num/den (dicts of match keys) and their stats."""
    a, b = by_round(results, **num), by_round(results, **den)
    rs = {k: a[k] / b[k] for k in a if k in b and b[k]}
    return rs, stats(list(rs.values()))


def fmt_stat(s, scale=1e6, unit="", digits=3):
    if not s:
        return "n/a"
    if s["n"] == 1:
        return f"{s['median'] / scale:.{digits}f}{unit}"
    return (f"{s['median'] / scale:.{digits}f}{unit} ({s['min'] / scale:.{digits}f}–"
            f"{s['max'] / scale:.{digits}f})")


def fmt_ratio(s):
    if not s:
        return "n/a"
    if s["n"] == 1:
        return f"{s['median']:.2f}×"
    return f"{s['median']:.2f}× ({s['min']:.2f}–{s['max']:.2f})"


def write_raw(ctx):
    with open(ctx.outdir / "windows.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in ctx.rows:
            w.writerow(r)
    doc = {"meta": ctx.meta, "results": ctx.results, "failures": ctx.failures,
           "notes": ctx.notes, "windows": ctx.rows}
    # gzipped: the latency histograms and the generators' full output make it megabytes
    with gzip.open(ctx.outdir / "results.json.gz", "wt") as f:
        json.dump(doc, f, indent=1, default=str)


def read_raw(outdir):
    """results.json.gz (or an older run's plain results.json) of a report directory."""
    gz = outdir / "results.json.gz"
    if gz.exists():
        with gzip.open(gz, "rt") as f:
            return json.load(f)
    return json.loads((outdir / "results.json").read_text())


def switches_in(results, workload):
    present = {r["switch"] for r in results if r["workload"] == workload}
    return [s for s in SWITCH_ORDER if s in present]


def keys_of(results, workload, *fields):
    return sorted({tuple(r[f] for f in fields) for r in results if r["workload"] == workload},
                  key=lambda t: tuple((x is None, x if not isinstance(x, str) else 0)
                                      for x in t))


def rate_table(results, workload, lines):
    sws = switches_in(results, workload)
    if not sws:
        return
    peers = [s for s in ("ovs", "testpmd") if s in sws and "kvswitch" in sws]
    lines.append("| frame | queue pairs | " + " | ".join(f"{TITLES[s]} Mpps" for s in sws)
                 + "".join(f" | kvswitch / {TITLES[p]}" for p in peers) + " |")
    lines.append("|---" * (2 + len(sws) + len(peers)) + "|")
    for size, q in keys_of(results, workload, "size", "queues"):
        cells = [fmt_stat(stats(by_round(results, workload=workload, switch=s, size=size,
                                         queues=q).values())) for s in sws]
        rats = [fmt_ratio(ratio(results, dict(workload=workload, switch="kvswitch", size=size,
                                              queues=q),
                                dict(workload=workload, switch=p, size=size, queues=q))[1])
                for p in peers]
        lines.append(f"| {size} B | {q} | " + " | ".join(cells)
                     + "".join(f" | {x}" for x in rats) + " |")
    lines.append("")


def scale_table(results, workload, label, lines):
    sws = switches_in(results, workload)
    if not sws:
        return
    pts = sorted({r["point"] for r in results if r["workload"] == workload})
    lines.append(f"| {label} | " + " | ".join(f"{TITLES[s]} Mpps" for s in sws)
                 + " | kvswitch vs first point |")
    lines.append("|---" * (len(sws) + 2) + "|")
    for p in pts:
        cells = [fmt_stat(stats(by_round(results, workload=workload, switch=s,
                                         point=p).values())) for s in sws]
        rel = "n/a"
        if "kvswitch" in sws:
            rel = fmt_ratio(ratio(results, dict(workload=workload, switch="kvswitch", point=p),
                                  dict(workload=workload, switch="kvswitch",
                                       point=pts[0]))[1])
        lines.append(f"| {p} | " + " | ".join(cells) + f" | {rel} |")
    lines.append("")


def targets(ctx):
    """[(target, measured text, met: True/False/None)]"""
    R = ctx.results
    out = []

    def add(name, s, goal, what):
        if s is None:
            out.append((name, "not measured" + what, None))
        else:
            out.append((name, fmt_ratio(s) + what, s["median"] >= goal))

    base = dict(size=64, queues=1)
    for wl, txt in (("closed", "64 B, 1 PMD, closed loop"), ("zeroloss", "64 B zero-loss")):
        add(f"{txt}: kvswitch ≥ 1.5× OVS-DPDK",
            ratio(R, dict(workload=wl, switch="kvswitch", **base),
                  dict(workload=wl, switch="ovs", **base))[1], 1.5, "")
        if wl == "closed":
            add(f"{txt}: kvswitch ≥ 95% of testpmd",
                ratio(R, dict(workload=wl, switch="kvswitch", **base),
                      dict(workload=wl, switch="testpmd", **base))[1], 0.95, "")
    for wl, name, goal, unit in (
            ("macs", "100k MACs within 10% of 10 MACs (kvswitch)", 0.90, "MACs"),
            ("ports", "254 extra ports within 5% of none (kvswitch)", 0.95, "extra ports")):
        # judged on the largest point measured against the first (quick: 10k MACs, 30 ports)
        pts = sorted({r["point"] for r in R if r["workload"] == wl and r["switch"] == "kvswitch"})
        if len(pts) < 2:
            add(name, None, goal, "")
            continue
        add(name, ratio(R, dict(workload=wl, switch="kvswitch", point=pts[-1]),
                        dict(workload=wl, switch="kvswitch", point=pts[0]))[1], goal,
            f" ({pts[-1]} vs {pts[0]} {unit})")
    p99 = stats(by_round(R, workload="latency", switch="kvswitch", size=64, queues=1,
                         point=50).values())
    if p99:
        out.append(("p99 latency ≤ 8.3 µs at 50% of zero-loss rate (kvswitch, 64 B)",
                    fmt_stat(p99, 1e3, " µs", 2), p99["median"] <= 8300))
    else:
        out.append(("p99 latency ≤ 8.3 µs at 50% of zero-loss rate (kvswitch, 64 B)",
                    "not measured", None))
    if ctx.notes.get("filter", "").startswith("not available"):
        out.append(("16-rule filter ≥ 95% of no filter", ctx.notes["filter"], None))
    else:
        add("16-rule filter ≥ 95% of no filter",
            ratio(R, dict(workload="filter", switch="kvswitch+filter"),
                  dict(workload="filter", switch="kvswitch"))[1], 0.95, "")
    return out


def noise(ctx):
    rows = ctx.rows
    kept = [r for r in rows if r["kept"]]
    fp = [r["foreign_pct"] for r in rows if r["foreign_pct"] is not None]
    return {"attempts": len(rows), "measurements": len(kept),
            "repeated": sum(1 for r in rows if r["attempt"] == 2),  # one per repeated window
            "kept_dirty": sum(1 for r in kept if not r["clean"]),
            "errors": sum(1 for r in rows if r["error"]),
            "foreign_median": statistics.median(fp) if fp else None,
            "foreign_max": max(fp) if fp else None}


def summary(ctx, plots):
    m, R = ctx.meta, ctx.results
    L = [f"# kvswitch benchmark, {m['date']}", ""]
    if m["profile"] == "quick":
        L += ["**Quick profile**: short windows (%g s, trials %g s), %d round(s), few points. "
              "It validates the harness; its numbers are indicative only." %
              (ctx.window, ctx.trial, ctx.rounds), ""]
    L += ["## Machine and versions", "", "| what | value |", "|---|---|"]
    for k, v in m["versions"].items():
        L.append(f"| {k} | {v} |")
    L += ["", "## Method", "",
          f"Command: `{m['command']}`. Profile `{m['profile']}`; workloads "
          f"{', '.join(ctx.workloads)}; switches {', '.join(ctx.switches)}.",
          "",
          f"- Switch PMD on core {ctx.pmd_core}, generator (kvs-bench-gen, one lcore) on core "
          f"{ctx.gen_core}; same DPDK (Debian's), virtio ring 1024, burst 32 for every switch.",
          f"- Closed loop: {ctx.inflight} frames in flight per direction per queue pair; Mpps = "
          "frames forwarded per second, both directions added.",
          f"- Windows: {ctx.warmup:g} s warm-up + {ctx.window:g} s (closed), "
          f"{ctx.trial:g} s (open-loop trials). Zero-loss: binary search, upper bound 1.05 × "
          f"the closed-loop rate, {ctx.search_steps} halvings; a trial passes when frames lost "
          f"after the switch took them are ≤ {getattr(ctx, 'loss_tolerance', 0):g}% of those "
          "offered and frames refused at the guest's full tx ring (generator tx failures) ≤ "
          f"{getattr(ctx, 'refused_tolerance', 0):g}%"
          + ("." if not getattr(ctx, "refused_tolerance", 0) and not
             getattr(ctx, "loss_tolerance", 0) else
             " (not RFC 2544's strict zero: see docs/bench.md, 'zeroloss')."),
          f"- Rounds: {ctx.rounds}, switches interleaved in each round (A B C A B C); every "
          "switch starts fresh for each cell. Values are medians over rounds with min–max; "
          "ratios are per round, then median (min–max).",
          f"- Clean window: foreign CPU load and steal on cores {ctx.gen_core},{ctx.pmd_core} "
          f"each ≤ {ctx.threshold:g}%, else repeated (up to {ctx.repeats} attempts; then the "
          "cleanest is kept and flagged).", ""]
    n = noise(ctx)
    L += ["## Noise", "",
          f"{n['measurements']} measurements from {n['attempts']} windows: {n['repeated']} "
          f"needed a repeat, {n['kept_dirty']} kept although not clean, {n['errors']} windows "
          "with a generator error. Foreign load per window: median "
          + (f"{n['foreign_median']:.1f}%, max {n['foreign_max']:.1f}%."
             if n["foreign_median"] is not None else "n/a."), ""]
    L += ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for name, meas, met in targets(ctx):
        L.append(f"| {name} | {meas} | {'n/a' if met is None else 'met' if met else 'NOT met'} |")
    L.append("")
    if any(r["workload"] == "closed" for r in R):
        L += ["## Closed loop (maximum forwarding rate)", ""]
        rate_table(R, "closed", L)
    if any(r["workload"] == "zeroloss" for r in R):
        L += ["## Zero-loss throughput (RFC 2544 binary search)", ""]
        rate_table(R, "zeroloss", L)
    if any(r["workload"] == "latency" for r in R):
        L += ["## Latency (open loop, % of kvswitch's zero-loss rate)", "",
              "Round trip generator → switch → generator, ns; median over rounds.", "",
              "| frame | qp | load | switch | offered Mpps | p50 | p99 | p99.9 | max | lost |",
              "|---|---|---|---|---|---|---|---|---|---|"]
        for size, q, pct in keys_of(R, "latency", "size", "queues", "point"):
            for s in switches_in(R, "latency"):
                rs = [r for r in R if r["workload"] == "latency" and r["switch"] == s
                      and r["size"] == size and r["queues"] == q and r["point"] == pct]
                if not rs:
                    continue

                def med(k):
                    v = [r.get(k) for r in rs if r.get(k) is not None]
                    return f"{statistics.median(v):.0f}" if v else "n/a"
                off = [r.get("offered_pps") for r in rs if r.get("offered_pps")]
                L.append(f"| {size} B | {q} | {pct}% | {TITLES[s]} | "
                         f"{(statistics.median(off) / 1e6 if off else 0):.3f} | {med('p50')} | "
                         f"{med('value')} | {med('p999')} | {med('max')} | "
                         f"{sum(r.get('lost') or 0 for r in rs)} |")
        L.append("")
    if any(r["workload"] == "macs" for r in R):
        L += ["## MAC scale (closed loop, 64 B, 1 queue pair)", ""]
        scale_table(R, "macs", "MACs per side", L)
    if any(r["workload"] == "ports" for r in R):
        L += ["## Port scale (closed loop, 64 B, idle guests attached; testpmd: n/a)", ""]
        scale_table(R, "ports", "extra ports", L)
    if any(r["workload"] == "filter" for r in R) or "filter" in ctx.notes:
        L += ["## Filter cost (kvswitch, 16 ingress rules on both ports)", ""]
        if ctx.notes.get("filter"):
            L += [ctx.notes["filter"], ""]
        else:
            s0 = stats(by_round(R, workload="filter", switch="kvswitch").values())
            s1 = stats(by_round(R, workload="filter", switch="kvswitch+filter").values())
            rs = ratio(R, dict(workload="filter", switch="kvswitch+filter"),
                       dict(workload="filter", switch="kvswitch"))[1]
            L += ["| no policy Mpps | 16-rule policy Mpps | policy / none |", "|---|---|---|",
                  f"| {fmt_stat(s0)} | {fmt_stat(s1)} | {fmt_ratio(rs)} |", ""]
    if "micro" in ctx.notes:
        L += ["## Microbenchmark (callgrind, bench/micro)", ""]
        csvp = ctx.outdir / "micro.csv"
        if ctx.notes["micro"] == "ok" and csvp.exists():
            rows = list(csv.reader(open(csvp)))
            if rows:
                L.append("| " + " | ".join(rows[0]) + " |")
                L.append("|---" * len(rows[0]) + "|")
                L += ["| " + " | ".join(r) + " |" for r in rows[1:]]
            L += ["", "Raw: micro.csv, micro.json.", ""]
        else:
            L += [ctx.notes["micro"], ""]
    if "idle" in ctx.notes:
        L += ["## PMD idle sleep (bench/idle_sleep.py)", ""]
        txt = ctx.outdir / "idle_sleep.txt"
        if txt.exists() and txt.read_text().strip():
            L += ["```", txt.read_text().rstrip(), "```", ""]
        if ctx.notes["idle"] != "ok":
            L += [ctx.notes["idle"], ""]
    if ctx.failures:
        L += ["## Failures", ""]
        for f in ctx.failures:
            L.append(f"- round {f['round']} {f['switch']} {f['workload']}: "
                     f"{f['error'].splitlines()[0] if f['error'] else ''}")
        L.append("")
    if plots:
        L += ["## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    L += ["Raw data: `windows.csv` (every window, kept or not), `results.json.gz` (everything, "
          "with latency histograms); logs of every process in `raw/`.", ""]
    (ctx.outdir / "summary.md").write_text("\n".join(L))
    return L
