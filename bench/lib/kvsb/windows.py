# SPDX-License-Identifier: BSD-3-Clause
"""One measured window, repeated until it is clean.

A window is one generator run against a running switch.  It is clean when
the foreign CPU load and the steal on the two cores under test (cpu.py) stay
at or under ctx.threshold percent.  A window that is not clean is run again,
up to ctx.repeats attempts in all; if none is clean, the cleanest is kept and
flagged.  Every attempt is a row of windows.csv; the kept one is returned.
"""
import time

from . import cpu
from . import guests

CSV_FIELDS = ["time", "round", "switch", "workload", "size", "queues", "macs", "extra_ports",
              "point", "mode", "offered_pps", "attempt", "kept", "clean", "foreign_pct",
              "steal_pct", "ours_pct", "rx_pps", "tx_pps", "tx_frames", "rx_frames", "lost",
              "tx_fail", "reordered", "lat_p50_ns", "lat_p99_ns", "lat_p999_ns", "lat_max_ns",
              "lat_mean_ns", "attempts", "error"]


def _row(ctx, cell, params, attempt, res):
    d = res.data or {}
    lat = d.get("latency_ns") or {}
    a = res.acct or {}
    clean = (res.error is None and a.get("foreign_pct", 100) <= ctx.threshold
             and a.get("steal_pct", 100) <= ctx.threshold)
    row = {
        "time": time.strftime("%H:%M:%S"), "round": cell.round, "switch": cell.label,
        "workload": cell.workload, "attempt": attempt, "kept": False, "clean": clean,
        "foreign_pct": a.get("foreign_pct"), "steal_pct": a.get("steal_pct"),
        "ours_pct": a.get("ours_pct"), "error": res.error or "",
        "lat_p50_ns": lat.get("p50"), "lat_p99_ns": lat.get("p99"),
        "lat_p999_ns": lat.get("p999"), "lat_max_ns": lat.get("max"),
        "lat_mean_ns": lat.get("mean"),
    }
    for k in ("rx_pps", "tx_pps", "tx_frames", "rx_frames", "lost", "tx_fail", "reordered"):
        row[k] = d.get(k)
    row.update(params)
    return row, d


def describe(params):
    s = f"{params['size']}B q{params['queues']}"
    if params.get("macs") not in (None, 10):
        s += f" macs={params['macs']}"
    if params.get("extra_ports"):
        s += f" +{params['extra_ports']} ports"
    if params.get("offered_pps"):
        s += f" @{params['offered_pps'] / 1e6:.3f} Mpps"
    if params.get("point") not in (None, ""):
        s += f" [{params['point']}]"
    return s


def measure(ctx, sw, cell, size, macs, mode="closed", rate_total=None, point=""):
    """Measure one window (closed loop, or open loop bidirectional at rate_total frames/s
    over both directions); returns the kept row, its generator JSON under row['gen']."""
    params = {"size": size, "queues": cell.queues, "macs": macs, "extra_ports": cell.extra,
              "point": point, "mode": mode,
              "offered_pps": int(rate_total) if rate_total else None}
    socks = (sw.sock("a"), sw.sock("b"))
    tried = []
    for attempt in range(1, ctx.repeats + 1):
        sw.check()
        t = time.monotonic()
        if sw.restart_per_window and sw.windows:
            sw.restart()
        sw.windows += 1
        sw.settle()
        if time.monotonic() - t > 2:
            ctx.progress(f"r{cell.round} {cell.label}: waited {time.monotonic() - t:.1f}s for "
                         "the switch to (re)start and settle")
        pids = sw.pids() + (cell.idle.pids() if cell.idle else [])
        win = cpu.Window([ctx.gen_core, ctx.pmd_core], pids)
        res = guests.run_gen(
            ctx, socks, cell.queues, sw.gen_server, mode, size, macs,
            ctx.trial if mode == "open" else ctx.window, ctx.warmup,
            inflight=ctx.inflight * cell.queues if mode == "closed" else None,
            rate=rate_total / 2 if rate_total else None, bidir=mode == "open", window=win)
        row, data = _row(ctx, cell, params, attempt, res)
        row["gen"] = data
        ctx.rows.append(row)
        tried.append(row)
        a = res.acct or {}
        if res.error:
            note = f"ERROR {res.error.splitlines()[-1] if res.error else ''}"
        else:
            note = (f"{(row['rx_pps'] or 0) / 1e6:7.3f} Mpps lost {row['lost']}"
                    + (f" p99 {row['lat_p99_ns'] / 1000:.1f}us" if row["lat_p99_ns"] else ""))
        state = "clean" if row["clean"] else (
            "error" if res.error else
            f"NOT clean (foreign {a.get('foreign_pct', 0):.1f}%, steal "
            f"{a.get('steal_pct', 0):.1f}%)")
        more = (" -> repeat" if not row["clean"] and attempt < ctx.repeats else
                " -> kept, flagged" if not row["clean"] else "")
        ctx.progress(f"r{cell.round} {cell.label:<16} {cell.workload:<8} {describe(params):<34}"
                     f" {note}  {state}{more}" + (f" (try {attempt})" if attempt > 1 else ""))
        if row["clean"]:
            break
        if res.error:
            sw.check()  # a dead switch ends the cell, not the run
    ok = [r for r in tried if not r["error"]]
    kept = min(ok or tried, key=lambda r: (not r["clean"],
                                           (r["foreign_pct"] or 0) + (r["steal_pct"] or 0)))
    kept["kept"] = True
    kept["attempts"] = len(tried)
    return kept
