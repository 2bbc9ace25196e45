# SPDX-License-Identifier: BSD-3-Clause
"""The report: raw windows (windows.csv, results.json.gz), aggregation and summary.md.

Aggregation: per (workload, switch, shape, guest, size, queues, point) the kept
values of the rounds give median, min and max.  Ratios are taken per round (kvswitch's
value over the peer's value in the same round, which ran minutes apart at
most) and then summarised the same way; a noisy machine moves both sides of
a round's ratio together, so the ratio's spread is the honest one.  A round whose
two sides ran with the core pair in different states (topo.py: sharing a cache or
not, which moves every switch's closed-loop rate about 2x) is left out of the
ratio and counted as "apart".
"""
import csv
import gzip
import json
import statistics

from . import hiccup
from .windows import BUSY, CSV_FIELDS

SWITCH_ORDER = ["kvswitch", "kvswitch-b", "testpmd", "ovs", "ovs+defaults", "kvswitch+filter"]
TITLES = {"kvswitch": "kvswitch", "kvswitch-b": "kvswitch B", "testpmd": "testpmd io",
          "ovs": "OVS-DPDK",
          "ovs+defaults": "OVS-DPDK, default caches", "kvswitch+filter": "kvswitch + filter"}


def stats(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def rows_by_round(results, **match):
    """{round: result} of the results matching every key=value, with a value."""
    return {r["round"]: r for r in results
            if all(r.get(k) == v for k, v in match.items()) and r["value"] is not None}


def by_round(results, **match):
    """{round: value} of the results matching every key=value."""
    return {k: r["value"] for k, r in rows_by_round(results, **match).items()}


def same_state(x, y):
    """Did two results run with the core pair in one state?  Unknown (older runs, or a probe
    that did not run) pairs as before; a result whose state changed pairs with nothing."""
    tx, ty = x.get("topo"), y.get("topo")
    if "mixed" in (tx, ty):
        return False
    # a latency window that ran in another state than the one its rate came from
    if any(r.get("rate_state") and r.get("topo") != r["rate_state"] for r in (x, y)):
        return False
    if tx in (None, "?") or ty in (None, "?"):
        return True
    return tx == ty


def paired(a, b, value=lambda r: r["value"]):
    """Per-round ratios of two {round: result} maps, rounds in one state only; their stats carry
    'apart', the rounds left out (stats of no ratio: {'n': 0, 'apart': k} when k > 0)."""
    rs, apart = {}, 0
    for k, x in a.items():
        y = b.get(k)
        if y is None or not value(y) or value(x) is None:
            continue
        if not same_state(x, y):
            apart += 1
            continue
        rs[k] = value(x) / value(y)
    st = stats(list(rs.values()))
    if st:
        st["apart"] = apart
    elif apart:
        st = {"n": 0, "apart": apart}
    return rs, st


def ratio(results, num, den):
    """Per-round ratios num/den (dicts of match keys), same-state rounds only, and their stats."""
    return paired(rows_by_round(results, **num), rows_by_round(results, **den))


def round_state(r):
    """A latency round's core pair and offered rate: 'near 6.021', '*far 6.021' when the window
    ran in another state than the one its rate came from (rate_state)."""
    st = r.get("topo") or "?"
    mark = "*" if r.get("rate_state") and st != r["rate_state"] else ""
    off = r.get("offered_pps")
    return f"{mark}{st}" + (f" {off / 1e6:.3f}" if off else "")


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
    apart = (f"; {s['apart']} round{'s' if s['apart'] > 1 else ''} apart"
             if s.get("apart") else "")
    if s["n"] == 0:
        return f"n/a (every round apart: {s['apart']})"
    if s["n"] == 1:
        return f"{s['median']:.2f}×" + (f" ({apart[2:]})" if apart else "")
    return f"{s['median']:.2f}× ({s['min']:.2f}–{s['max']:.2f}{apart})"


def judged(s):
    """A ratio's stats with at least one ratio in them, else None."""
    return s if s and s.get("n") else None


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
                  key=lambda t: tuple((x is None, isinstance(x, str),
                                       x if isinstance(x, (int, float)) else 0,
                                       SHAPE_RANK.get(x, 9) if isinstance(x, str) else 0,
                                       str(x)) for x in t))


GUEST_TITLES = {"gen": "kvs-bench-gen", "testpmd": "testpmd mac",
                "gen-packed": "kvs-bench-gen, packed ring",
                "testpmd-packed": "testpmd mac, packed ring"}
SHAPE_RANK = {"udp": 0, "raw": 1, "gen": 0, "gen-packed": 1, "testpmd": 2, "testpmd-packed": 3}


def normalise(results):
    """Results of runs before shapes and guests were raw frames from kvs-bench-gen."""
    for r in results:
        r.setdefault("shape", "raw")
        r.setdefault("guest", "gen")
    return results


def b_side(ctx, meta):
    """What kvswitch B of an A/B run was, in words."""
    env = " ".join(f"{k}={v}" for k, v in (getattr(ctx, "b_env", None) or {}).items())
    build = meta.get("b_build")
    what = [f"the build in {build}" if build else "the same build"]
    if env:
        what.append(f"{env} in its environment")
    return ", ".join(what)


def rate_table(results, workload, lines):
    """A row per shape, guest, size, queues (and core-pair state, for zero-loss searches, which
    run one per state: their point)."""
    sws = switches_in(results, workload)
    if not sws:
        return
    peers = [s for s in ("ovs", "testpmd", "kvswitch-b") if s in sws and "kvswitch" in sws]
    # an A/B run is judged on cycles per frame as well as on the rate
    ab_cpf = "kvswitch-b" in peers and workload == "closed"
    by_state = any(r.get("point") for r in results if r["workload"] == workload)
    lines.append("| shape | guest | frame | queue pairs | " + ("core pair | " if by_state else "")
                 + " | ".join(f"{TITLES[s]} Mpps" for s in sws)
                 + "".join(f" | kvswitch / {TITLES[p]}" for p in peers)
                 + (" | cycles/frame, kvswitch / kvswitch B" if ab_cpf else "") + " |")
    lines.append("|---" * (4 + by_state + len(sws) + len(peers) + ab_cpf) + "|")
    for shape, guest, size, q, pt in keys_of(results, workload, "shape", "guest", "size",
                                             "queues", "point"):
        k = dict(workload=workload, shape=shape, guest=guest, size=size, queues=q, point=pt)
        cells = [fmt_stat(stats(by_round(results, switch=s, **k).values())) for s in sws]
        rats = [fmt_ratio(ratio(results, dict(switch="kvswitch", **k), dict(switch=p, **k))[1])
                for p in peers]
        if ab_cpf:
            rats.append(fmt_ratio(paired(rows_by_round(results, switch="kvswitch", **k),
                                         rows_by_round(results, switch="kvswitch-b", **k),
                                         lambda r: r.get("sw_cpf"))[1]))
        lines.append(f"| {shape} | {GUEST_TITLES.get(guest, guest)} | {size} B | {q} | "
                     + (f"{pt or '?'} | " if by_state else "")
                     + " | ".join(cells) + "".join(f" | {x}" for x in rats) + " |")
    lines.append("")


def zeroloss_limits(results, windows):
    """Per zero-loss search (switch, shape, size, queues, core-pair state, round): the busy
    shares at its best passing trial and at the lowest failing trial above it, from the kept
    trial windows. {key: [(round, best, fail)]}, best/fail = (Mpps, switch busy %, guest busy
    %) or None."""
    wins = {}
    for w in windows:
        if w.get("workload") == "zeroloss" and w.get("kept") and w.get("offered_pps"):
            wins[(w["switch"], w["round"], w.get("shape"), w["size"], w["queues"],
                  int(w["offered_pps"]), w.get("topo"))] = w
    out = {}
    for r in results:
        if r["workload"] != "zeroloss" or not r.get("trials") or not r.get("value"):
            continue
        key = (r["switch"], r.get("shape"), r["size"], r["queues"], r.get("point"))

        def busy(t):
            w = wins.get((r["switch"], r["round"], r.get("shape"), r["size"], r["queues"],
                          int(t["offered_pps"]), t.get("topo")))
            return (t["offered_pps"] / 1e6, w.get("sw_busy_pct") if w else None,
                    w.get("guest_busy_pct") if w else None)
        best = [t for t in r["trials"] if t["pass"] and t["offered_pps"] == r["value"]]
        above = sorted((t for t in r["trials"] if not t["pass"]
                        and t["offered_pps"] > r["value"]), key=lambda t: t["offered_pps"])
        out.setdefault(key, []).append((r["round"], busy(best[0]) if best else None,
                                        busy(above[0]) if above else None))
    return out


def limit_verdict(sw, guest):
    """Which side was at its limit in an open-loop trial: the one at or above BUSY while the
    other is not (the generator's busy share includes its pacing when it has time to spare)."""
    if sw is None or guest is None:
        return "?"
    if sw >= BUSY and guest < BUSY:
        return "switch"
    if guest >= BUSY and sw < BUSY:
        return "generator"
    return "both busy" if sw >= BUSY else "neither"


def zeroloss_limits_table(results, windows, lines):
    lim = zeroloss_limits(results, windows)
    if not lim:
        return
    order = {s: i for i, s in enumerate(SWITCH_ORDER)}
    lines += ["Which side was at its limit: the busy shares (switch's PMD / generator) at each "
              "search's best passing trial and at the lowest failing trial above it, medians "
              "over rounds; the verdict per round is taken at the failing trial.", "",
              "| shape | frame | qp | core pair | switch | best Mpps | busy % at best (switch / "
              "generator) | first failure Mpps | busy % there (switch / generator) | at its "
              "limit (per round) |", "|---" * 10 + "|"]
    for key in sorted(lim, key=lambda k: (str(k[1]), k[2], k[3], str(k[4]),
                                          order.get(k[0], 9))):
        sw, shape, size, q, pt = key
        g = sorted(lim[key])

        def col(which, i, fmt="{:.0f}"):
            return med([x[which][i] for x in g if x[which]], fmt)
        verdicts = ", ".join(limit_verdict(f[1], f[2]) if f else "no failure above"
                             for _, _, f in g)
        lines.append(f"| {shape} | {size} B | {q} | {pt or '?'} | {TITLES.get(sw, sw)} | "
                     f"{col(1, 0, '{:.3f}')} | {col(1, 1)} / {col(1, 2)} | "
                     f"{col(2, 0, '{:.3f}')} | {col(2, 1)} / {col(2, 2)} | {verdicts} |")
    lines.append("")


def med(vals, fmt="{:.0f}"):
    vals = [v for v in vals if v is not None]
    return fmt.format(statistics.median(vals)) if vals else "n/a"


def counters_table(results, lines):
    """Every closed-loop point: rate, the switch's own cycles per frame and busy share, the
    guest's busy share, the bottleneck per round, and OVS's datapath path (medians)."""
    rs = [r for r in results if r["workload"] in ("closed", "macs", "flows", "ports", "filter")
          and r.get("value") is not None]
    if not rs:
        return
    lines += ["| workload | shape | guest | frame | qp | point | switch | Mpps | switch cycles/frame "
              "| switch busy % | guest busy % | bottleneck (per round) | core pair (per round) | "
              "OVS EMC / SMC / megaflow / upcall % | OVS caches |", "|---" * 15 + "|"]
    order = {s: i for i, s in enumerate(SWITCH_ORDER)}
    keys = sorted({(r["workload"], r["shape"], r["guest"], r["size"], r["queues"],
                    r.get("point"), r["switch"]) for r in rs},
                  key=lambda t: (t[:2], SHAPE_RANK.get(t[2], 9), t[2:5],
                                 (t[5] is None, t[5] if not isinstance(t[5], str) else 0,
                                  str(t[5])), order.get(t[6], 9)))
    for wl, shape, guest, size, q, pt, sw in keys:
        g = sorted((r for r in rs if (r["workload"], r["shape"], r["guest"], r["size"],
                                      r["queues"], r.get("point"), r["switch"])
                    == (wl, shape, guest, size, q, pt, sw)), key=lambda r: r["round"])
        ovs = [r["ovs"]["pct"] for r in g if r.get("ovs") and r["ovs"].get("pct")]
        path = " / ".join(med([o.get(k) for o in ovs], "{:.1f}")
                          for k in ("emc", "smc", "megaflow", "upcall")) if ovs else ""
        cache = ",".join(sorted({r["ovs_cache"] for r in g if r.get("ovs_cache")}))
        cache = cache.replace("emc-insert-inv-prob=", "EMC 1/").replace(
            ",smc-enable=true", ", SMC").replace(",smc-enable=false", "").replace(
            "EMC 1/0", "EMC off")
        lines.append(
            f"| {wl} | {shape} | {GUEST_TITLES.get(guest, guest)} | {size} B | {q} | "
            f"{'' if pt is None else pt} | {TITLES.get(sw, sw)} | "
            f"{med([r['value'] / 1e6 for r in g], '{:.3f}')} | {med([r.get('sw_cpf') for r in g])} | "
            f"{med([r.get('sw_busy_pct') for r in g])} | "
            f"{med([r.get('guest_busy_pct') for r in g])} | "
            f"{', '.join(r.get('bottleneck') or '?' for r in g)} | "
            f"{', '.join(r.get('topo') or '?' for r in g)} | {path} | {cache} |")
    lines.append("")


def scale_table(results, workload, label, lines):
    sws = switches_in(results, workload)
    if not sws:
        return
    pts = sorted({r["point"] for r in results if r["workload"] == workload})
    peers = [s for s in ("ovs", "kvswitch-b") if "kvswitch" in sws and s in sws]
    lines.append(f"| {label} | " + " | ".join(f"{TITLES[s]} Mpps" for s in sws)
                 + " | kvswitch vs first point |"
                 + "".join(f" kvswitch / {TITLES[s]} |" for s in peers))
    lines.append("|---" * (len(sws) + 2 + len(peers)) + "|")
    for p in pts:
        cells = [fmt_stat(stats(by_round(results, workload=workload, switch=s,
                                         point=p).values())) for s in sws]
        kvs = dict(workload=workload, switch="kvswitch", point=p)
        rel = "n/a"
        if "kvswitch" in sws:
            rel = fmt_ratio(ratio(results, kvs, dict(kvs, point=pts[0]))[1])
        rats = [fmt_ratio(ratio(results, kvs, dict(kvs, switch=s))[1]) for s in peers]
        lines.append(f"| {p} | " + " | ".join(cells) + f" | {rel} |"
                     + "".join(f" {x} |" for x in rats))
    lines.append("")


def targets(ctx):
    """[(target, measured text, met: True/False/None)]"""
    R = ctx.results
    out = []

    def add(name, s, goal, what):
        if s is None:
            out.append((name, "not measured" + what, None))
        elif not judged(s):
            out.append((name, fmt_ratio(s) + what, None))
        else:
            out.append((name, fmt_ratio(s) + what, s["median"] >= goal))

    def add_max(name, s, goal, what):
        if s is None:
            out.append((name, "not measured" + what, None))
        elif not judged(s):
            out.append((name, fmt_ratio(s) + what, None))
        else:
            out.append((name, fmt_ratio(s) + what, s["median"] <= goal))

    def cpf_ratio(shape, peer):
        k = dict(workload="closed", shape=shape, guest="gen", size=64, queues=1)
        return paired(rows_by_round(R, switch="kvswitch", **k), rows_by_round(R, switch=peer, **k),
                      lambda r: r.get("sw_cpf"))[1]

    shapes = [sh for sh in ("udp", "raw") if any(r["shape"] == sh for r in R)] or ["udp"]
    for sh in shapes:
        base = dict(size=64, queues=1, shape=sh)
        add_max(f"{sh}: 64 B, 1 PMD, closed loop: kvswitch busy cycles/frame ≤ 0.67× OVS-DPDK's",
                cpf_ratio(sh, "ovs"), 0.67, "")
        add_max(f"{sh}: 64 B, 1 PMD, closed loop: kvswitch busy cycles/frame ≤ 1.1× testpmd io's",
                cpf_ratio(sh, "testpmd"), 1.1, "")
        rs, st = ratio(R, dict(workload="closed", switch="kvswitch", guest="gen", **base),
                       dict(workload="closed", switch="ovs", guest="gen", **base))
        sw_bound = sorted(r["round"] for r in R if r["workload"] == "closed"
                          and r["switch"] == "kvswitch" and r.get("bottleneck") == "switch"
                          and all(r.get(x) == v for x, v in base.items())
                          and r.get("guest") == "gen")
        name = (f"{sh}: 64 B, 1 PMD, closed loop: kvswitch ≥ 1.2× OVS-DPDK where kvswitch's "
                "core is the bottleneck")
        if not judged(st):
            add(name, st, 1.2, "")
        elif not sw_bound:
            out.append((name, f"all rounds {fmt_ratio(st)}; kvswitch's core the bottleneck in "
                        "no round: not judged", None))
        else:
            kv = rows_by_round(R, workload="closed", switch="kvswitch", guest="gen", **base)
            bound = paired({n: kv[n] for n in sw_bound if n in kv},
                           rows_by_round(R, workload="closed", switch="ovs", guest="gen",
                                         **base))[1]
            add(name, bound, 1.2,
                f" (rounds where kvswitch's core is the bottleneck: {sw_bound}; all rounds "
                f"{fmt_ratio(st)})")
        # one search per core-pair state: judged near (the state where the switches, not
        # the cache line transfers, set the rate), far reported beside it
        zl = {pt: ratio(R, dict(workload="zeroloss", switch="kvswitch", point=pt, **base),
                        dict(workload="zeroloss", switch="ovs", point=pt, **base))[1]
              for pt in ("near", "far", None)}
        name = f"{sh}: 64 B zero-loss: kvswitch ≥ 1.5× OVS-DPDK"
        if not any(zl.values()):
            add(name, None, 1.5, "")
        else:
            main = next(pt for pt in ("near", "far", None) if zl[pt])
            add(name, zl[main], 1.5,
                ("" if main is None else f" ({main})")
                + "".join(f"; {pt}: {fmt_ratio(zl[pt])}" for pt in ("near", "far")
                          if pt != main and zl[pt]))
        add_max(f"{sh}: p99 at 50% of the zero-loss rate: kvswitch ≤ testpmd's (64 B)",
                ratio(R, dict(workload="latency", switch="kvswitch", point=50, **base),
                      dict(workload="latency", switch="testpmd", point=50, **base))[1], 1.0, "")
    R = [r for r in R if r["shape"] == shapes[0]]  # the older targets: the first shape
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
    p99 = stats([r["value"] for r in rows_by_round(
        R, workload="latency", switch="kvswitch", size=64, queues=1, point=50,
        shape=shapes[0]).values() if not r.get("rate_state") or r.get("topo") == r["rate_state"]])
    if p99:
        out.append((f"p99 latency ≤ 8.3 µs at 50% of zero-loss rate (kvswitch, 64 B, {shapes[0]})",
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
            "topo": {t: sum(1 for r in kept if r.get("topo") == t)
                     for t in ("near", "far", "mixed", "?")},
            "topo_changed": sum(1 for r in rows if r.get("topo") == "mixed"),
            "errors": sum(1 for r in rows if r["error"]),
            "foreign_median": statistics.median(fp) if fp else None,
            "foreign_max": max(fp) if fp else None}


def summary(ctx, plots):
    m, R = ctx.meta, normalise(ctx.results)
    probed = any(r.get("topo") for r in ctx.rows)
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
          f"{', '.join(ctx.workloads)}; switches {', '.join(ctx.switches)}"
          + (f" (kvswitch B: {b_side(ctx, m)})" if "kvswitch-b" in ctx.switches else "") + ".",
          "",
          f"- Switch PMD on core {ctx.pmd_core}, generator (kvs-bench-gen, one lcore) on core "
          f"{ctx.gen_core}; same DPDK (Debian's), virtio ring 1024, burst 32 for every switch.",
          f"- Closed loop: {ctx.inflight} frames in flight per direction per queue pair; Mpps = "
          "frames forwarded per second, both directions added. Guests: kvs-bench-gen, or "
          "testpmd mac forwarding (testpmd mac; udp frames, 2 MACs); split virtqueues, or "
          "packed ones for the guests marked 'packed ring' (the ring kvswitch and OVS "
          "negotiated is checked in every window; testpmd io's is not).",
          "- Traffic shapes: udp = IPv4/UDP, a distinct 5-tuple per flow (one flow per MAC pair "
          "unless the flow scale says otherwise); raw = ethertype 0x88b5, no IP header (every "
          "flow hashes alike in OVS's software 5-tuple hash). docs/bench.md explains.",
          f"- OVS caches: --ovs-cache {getattr(ctx, 'ovs_cache', 'auto')} (auto: OVS's defaults, "
          "EMC with 1/100 insertion, while both directions' flows fit the EMC's 8192 entries; "
          "beyond, EMC off and SMC on, as OVS's DPDK docs recommend; 'OVS-DPDK, default "
          "caches' rows keep the defaults everywhere). Counters: each switch's own, cleared at "
          "the start of the window and read at its end.",
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
          "cleanest is kept and flagged)."
          + (" A window during which the core pair changed state is not clean either."
             if probed and getattr(ctx, "topology", "off") == "same" else ""),
          "- Core pair: " + (
              "kvs-bench-topo passes a cache line between the two cores every 200 ms (1 s in "
              "open-loop trials) beside every window, which is labelled from the probes "
              "inside it; round trips under 150 ns (about 60 on the VM this bench grew "
              "on) mean the host has the two vCPUs on cores that share a cache ('near'), "
              "longer ones (about 360) that it has not ('far'). Every closed loop through a "
              "virtio ring runs about twice as fast near; ratios pair only rounds whose two "
              "windows ran in one state ('apart': rounds left out). docs/bench.md explains."
              if probed else "not probed (--topology off, or a run from before the probe)."),
          ""]
    n = noise(ctx)
    L += ["## Noise", "",
          f"{n['measurements']} measurements from {n['attempts']} windows: {n['repeated']} "
          f"needed a repeat, {n['kept_dirty']} kept although not clean, {n['errors']} windows "
          "with a generator error. Foreign load per window: median "
          + (f"{n['foreign_median']:.1f}%, max {n['foreign_max']:.1f}%."
             if n["foreign_median"] is not None else "n/a.")
          + (" Core pair in the kept windows: {near} near, {far} far, {mixed} changed state, "
             "{unknown} unknown; {changed} windows (kept or not) saw it change.".format(
                 unknown=n["topo"]["?"], changed=n["topo_changed"], **n["topo"])
             if probed else "")]
    hs = hiccup.sentence(m.get("hiccups"))
    L += ([hs, ""] if hs else [""])
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
        zeroloss_limits_table(R, ctx.rows, L)
    if any(r["workload"] == "latency" for r in R):
        L += ["## Latency (open loop, % of kvswitch's zero-loss rate)", "",
              "Round trip generator → switch → generator, ns; median over rounds. The load is "
              "a share of kvswitch's zero-loss rate in the state the core pair ran in (near or "
              "far, each its own median over rounds); the last column gives each round's state "
              "and offered Mpps, marked * where the window ran in another state than its rate "
              "was taken from (those rounds pair with nothing).", "",
              "| shape | frame | qp | load | switch | offered Mpps | p50 | p99 | p99.9 | max | lost "
              "| core pair, offered Mpps (per round) |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for shape, size, q, pct in keys_of(R, "latency", "shape", "size", "queues", "point"):
            for s in switches_in(R, "latency"):
                rs = [r for r in R if r["workload"] == "latency" and r["switch"] == s
                      and r["size"] == size and r["queues"] == q and r["point"] == pct
                      and r["shape"] == shape]
                if not rs:
                    continue

                def med(k):
                    v = [r.get(k) for r in rs if r.get(k) is not None]
                    return f"{statistics.median(v):.0f}" if v else "n/a"
                off = [r.get("offered_pps") for r in rs if r.get("offered_pps")]
                L.append(f"| {shape} | {size} B | {q} | {pct}% | {TITLES[s]} | "
                         f"{(statistics.median(off) / 1e6 if off else 0):.3f} | {med('p50')} | "
                         f"{med('value')} | {med('p999')} | {med('max')} | "
                         f"{sum(r.get('lost') or 0 for r in rs)} | "
                         f"{', '.join(round_state(r) for r in sorted(rs, key=lambda r: r['round']))} |")
        L.append("")
    for sh in ("udp", "raw"):
        if any(r["workload"] == "macs" and r["shape"] == sh for r in R):
            L += [f"## MAC scale ({sh}, closed loop, 64 B, 1 queue pair)", ""]
            scale_table([r for r in R if r["shape"] == sh], "macs", "MACs per side", L)
    if any(r["workload"] == "flows" for r in R):
        L += ["## Flow scale (udp, closed loop, 64 B, 1 queue pair, 10 MAC pairs)", "",
              "5-tuples per direction; OVS's path per point is in the counters table below.",
              ""]
        scale_table(R, "flows", "5-tuples per direction", L)
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
    if any(r["workload"] in ("closed", "macs", "flows", "ports", "filter") for r in R):
        L += ["## Switch and guest counters (closed-loop windows)", "",
              "Medians over rounds. Switch cycles/frame: the switch's own count of its PMD's busy "
              "(processing) cycles over the frames it received in the window (kvswitch "
              "`pmd-stats-show`, OVS `dpif-netdev/pmd-stats-show` 'avg processing cycles per "
              "packet', testpmd `--record-core-cycles`). Busy %: share of the PMD core's "
              "cycles in passes that found frames. Guest busy %: the same for the guest "
              "(kvs-bench-gen: 100 − its idle share; testpmd mac: its forwarding cycles). "
              f"Bottleneck: the side at ≥ {BUSY:g}% busy while the other is not.", ""]
        counters_table(R, L)
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
