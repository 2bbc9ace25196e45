# SPDX-License-Identifier: BSD-3-Clause
"""One measured window, repeated until it is clean.

A window is one generator run against a running switch.  It is clean when
the foreign CPU load and the steal on the two cores under test (cpu.py) stay
at or under ctx.threshold percent.  A window that is not clean is run again,
up to ctx.repeats attempts in all; if none is clean, the cleanest is kept and
flagged.  Every attempt is a row of windows.csv; the kept one is returned.

Each window also gets the state of the core pair (topo.py: do the generator's and the
switch's cores share a cache right now?); one whose state changed halfway is not clean
either, unless ctx.topology is "any".

Each window also gets the switch's own counters (switches.py: cycles per
frame, busy share of its PMD, OVS's EMC/SMC/megaflow hits), cleared at the
generator's window_start event and read at its window_end, the guest's busy
share, and from both a verdict on which side limited the rate (bottleneck()).
"""
import subprocess
import time

from . import cpu
from . import guests
from . import topo
from .virtio import ring_of

CSV_FIELDS = ["time", "round", "switch", "workload", "shape", "guest", "size", "queues", "macs",
              "flows", "extra_ports", "point", "mode", "offered_pps", "attempt", "kept", "clean",
              "foreign_pct", "steal_pct", "ours_pct", "rx_pps", "tx_pps", "tx_frames",
              "rx_frames", "lost", "tx_fail", "reordered", "lat_p50_ns", "lat_p99_ns",
              "lat_p999_ns", "lat_max_ns", "lat_mean_ns", "sw_cpf", "sw_busy_pct",
              "guest_busy_pct", "guest_rx_burst", "bottleneck", "sw_drops", "ovs_emc_pct",
              "ovs_smc_pct", "ovs_megaflow_pct", "ovs_upcall_pct", "ovs_packets", "ovs_emc", "ovs_smc",
              "ovs_megaflow", "ovs_upcall", "ovs_cache", "ring", "topo", "topo_ns",
              "topo_far_pct", "topo_timeouts", "topo_error", "attempts", "error"]
BUSY = 95.0  # a poll loop at or above this busy share has no slack left


def bottleneck(sw_busy, guest_busy):
    """Which side limited a closed loop: the one whose poll loop had no slack (busy share >=
    BUSY: nearly every pass found frames), while the other still had empty passes. Both
    busy: undecided (both saturated, or the machine took time from both); neither: something
    else (foreign load, steal) held the loop back."""
    s = sw_busy is not None and sw_busy >= BUSY
    g = guest_busy is not None and guest_busy >= BUSY
    if s and g:
        return "both busy"
    if s:
        return "switch"
    if g:
        return "guest"
    return "?" if sw_busy is None and guest_busy is None else "neither"


def ring_error(guest, seen):
    """Why a window did not measure the virtqueue layout its guest asked for; None if it did.
    seen: what the switch said it negotiated (Switch.ring_seen), "?" when asking it failed,
    None when it does not say (testpmd io: its rows are not checked)."""
    if seen is None or seen == ring_of(guest):
        return None
    if seen == "?":
        return f"could not read which virtqueues the switch negotiated ({guest} asked for " \
               f"{ring_of(guest)} ones)"
    return f"the guest asked for {ring_of(guest)} virtqueues; the switch negotiated {seen} ones"


def _row(ctx, cell, params, attempt, res):
    d = res.data or {}
    lat = d.get("latency_ns") or {}
    a = res.acct or {}
    tl = getattr(res, "topo", None) or {}
    clean = (res.error is None and a.get("foreign_pct", 100) <= ctx.threshold
             and a.get("steal_pct", 100) <= ctx.threshold
             and not (ctx.topology == "same" and tl.get("topo") == "mixed"))
    row = {
        "time": time.strftime("%H:%M:%S"), "round": cell.round, "switch": cell.label,
        "workload": cell.workload, "attempt": attempt, "kept": False, "clean": clean,
        "foreign_pct": a.get("foreign_pct"), "steal_pct": a.get("steal_pct"),
        "ours_pct": a.get("ours_pct"), "error": res.error or "",
        "lat_p50_ns": lat.get("p50"), "lat_p99_ns": lat.get("p99"),
        "lat_p999_ns": lat.get("p999"), "lat_max_ns": lat.get("max"),
        "lat_mean_ns": lat.get("mean"),
    }
    for k in ("topo", "topo_ns", "topo_far_pct", "topo_timeouts", "topo_error"):
        row[k] = tl.get(k)
    for k in ("rx_pps", "tx_pps", "tx_frames", "rx_frames", "lost", "tx_fail", "reordered"):
        row[k] = d.get(k)
    row.update(params)
    cnt = getattr(res, "counters", None) or {}
    row["sw_cpf"], row["sw_busy_pct"] = cnt.get("sw_cpf"), cnt.get("sw_busy_pct")
    row["sw_drops"] = cnt.get("sw_drops")
    row["counter_error"] = cnt.get("counter_error")
    row["ring"] = cnt.get("ring")
    ovs = cnt.get("ovs")
    if ovs:
        row["ovs"] = ovs
        for k in ("emc", "smc", "megaflow", "upcall"):
            row[f"ovs_{k}_pct"] = ovs["pct"].get(k)
            row[f"ovs_{k}"] = ovs.get(k)
        row["ovs_packets"] = cnt.get("sw_packets")
        row["ovs_cache"] = cnt.get("ovs_cache")
    if "guest_busy_pct" in d:  # the testpmd guest
        row["guest_busy_pct"], row["guest_rx_burst"] = d["guest_busy_pct"], None
    elif d.get("gen_idle_pct") is not None:
        row["guest_busy_pct"] = round(100.0 - d["gen_idle_pct"], 1)
        row["guest_rx_burst"] = d.get("gen_rx_burst")
    row["bottleneck"] = (bottleneck(row["sw_busy_pct"], row.get("guest_busy_pct"))
                         if params.get("mode") == "closed" else "")
    return row, d


def describe(params):
    s = f"{params['size']}B q{params['queues']}"
    if params.get("macs") not in (None, 10):
        s += f" macs={params['macs']}"
    if params.get("extra_ports"):
        s += f" +{params['extra_ports']} ports"
    if params.get("offered_pps"):
        s += f" @{params['offered_pps'] / 1e6:.3f} Mpps"
    if params.get("flows") not in (None, params.get("macs")):
        s += f" flows={params['flows']}"
    if params.get("point") not in (None, ""):
        s += f" [{params['point']}]"
    return f"{params.get('shape', '')}/{params.get('guest', '')} {s}"


def counters_hooks(ctx, sw):
    """(on_event for the generator, the dict the counters land in)."""
    cnt = {}

    def on_event(name):
        try:
            if name == "window_start":
                cnt["t0"] = time.monotonic()  # also where the core pair's label starts
                sw.counters_clear()
                sw.drops_start()
                # while the guest is surely there: kvs-bench-gen may be gone at window_end;
                # "?" (an error for ring_error) stays if the read raises
                cnt["ring"] = "?"
                cnt["ring"] = sw.ring_seen()
            elif name == "window_end":
                cnt["t1"] = time.monotonic()
                cnt.update(sw.counters_read(cnt["t1"] - cnt.get("t0", cnt["t1"])))
                if "sw_drops" not in cnt:
                    cnt["sw_drops"] = sw.drops_since_start()
                if sw.name == "ovs":
                    cnt["ovs_cache"] = ",".join(f"{k}={v}" for k, v in sw.cache_config().items())
        except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as e:
            cnt["counter_error"] = f"{name}: {str(e).strip()[:300]}"
    return on_event, cnt


def measure(ctx, sw, cell, size, macs, mode="closed", rate_total=None, point="", flows=None):
    """Measure one window (closed loop, or open loop bidirectional at rate_total frames/s
    over both directions) with the cell's shape and guest, `flows` 5-tuples per direction
    (default one per MAC pair); returns the kept row, its generator JSON under row['gen']."""
    flows = flows or macs
    params = {"size": size, "queues": cell.queues, "macs": macs, "flows": flows,
              "shape": cell.shape, "guest": cell.guest, "extra_ports": cell.extra,
              "point": point, "mode": mode,
              "offered_pps": int(rate_total) if rate_total else None}
    socks = (sw.sock("a"), sw.sock("b"))
    tried = []
    for attempt in range(1, ctx.repeats + 1):
        sw.check()
        sw.configure_flows(flows)
        t = time.monotonic()
        if sw.restart_per_window and sw.windows:
            sw.restart()
        sw.windows += 1
        sw.settle()
        if time.monotonic() - t > 2:
            ctx.progress(f"r{cell.round} {cell.label}: waited {time.monotonic() - t:.1f}s for "
                         "the switch to (re)start and settle")
        pids = sw.pids() + (cell.idle.pids() if cell.idle else [])
        with open(ctx.procs.log_path("topo"), "ab") as tlog:
            probe = (topo.Probe(ctx.topo_bin, (ctx.gen_core, ctx.pmd_core), tlog,
                                interval_ms=1000 if mode == "open" else 200)
                     if ctx.topology != "off" else None)
            cnt = {}
            if probe:
                probe.start()
                pids.append(probe.proc.pid)
            try:
                win = cpu.Window([ctx.gen_core, ctx.pmd_core], pids)
                on_event, cnt = counters_hooks(ctx, sw)
                ring = ring_of(cell.guest)
                if cell.guest.startswith("testpmd"):
                    res = guests.run_testpmd_guest(ctx, sw, socks, cell.queues, size,
                                                   ctx.inflight * cell.queues, win, on_event,
                                                   ring=ring)
                else:
                    res = guests.run_gen(
                        ctx, socks, cell.queues, sw.gen_server, mode, size, macs,
                        ctx.trial if mode == "open" else ctx.window, ctx.warmup,
                        inflight=ctx.inflight * cell.queues if mode == "closed" else None,
                        rate=rate_total / 2 if rate_total else None, bidir=mode == "open",
                        window=win, shape=cell.shape, flows=flows, on_event=on_event,
                        ring=ring)
            finally:
                t_from = cnt.get("t0")
                # a generator that died inside its window: the probes up to now
                t_to = cnt.get("t1") or (time.monotonic() if t_from else None)
                tl = probe.stop(t_from, t_to) if probe else {}
        res.topo = tl
        res.counters = cnt
        wrong_ring = ring_error(cell.guest, cnt.get("ring")) if not res.error else None
        if wrong_ring:  # an error, and no number: the window measured another layout
            res.error, res.data = wrong_ring, None
        row, data = _row(ctx, cell, params, attempt, res)
        row["gen"] = data
        ctx.rows.append(row)
        tried.append(row)
        a = res.acct or {}
        if res.error:
            note = f"ERROR {res.error.splitlines()[-1] if res.error else ''}"
        else:
            note = (f"{(row['rx_pps'] or 0) / 1e6:7.3f} Mpps lost {row['lost']}"
                    + (f" p99 {row['lat_p99_ns'] / 1000:.1f}us" if row["lat_p99_ns"] else "")
                    + (f" sw {row['sw_cpf']:.0f} cyc/f {row['sw_busy_pct']:.0f}% busy"
                       if row["sw_cpf"] and row["sw_busy_pct"] is not None else "")
                    + (f" guest {row['guest_busy_pct']:.0f}%" if row.get("guest_busy_pct")
                       is not None else "")
                    + (f" -> {row['bottleneck']}" if row["bottleneck"] else "")
                    + (f" [{row['topo']} {row['topo_ns']:.0f}ns]" if row.get("topo_ns")
                       else f" [core pair unknown: {row['topo_error']}]" if row.get("topo_error")
                       else f" [core pair unknown: all {row['topo_timeouts']} probes timed out]"
                       if row.get("topo_timeouts")
                       else " [core pair unknown: no probe inside the window]"
                       if ctx.topology != "off" else "")
                    + (" emc/smc/mf {emc}/{smc}/{megaflow}%".format(**row["ovs"]["pct"])
                       if row.get("ovs") and row["ovs"].get("pct") else "")
                    + (f" switch drops: {row['sw_drops']}" if row.get("sw_drops") else "")
                    + (f" [counters: {row['counter_error']}]" if row.get("counter_error")
                       else ""))
        state = "clean" if row["clean"] else (
            "error" if res.error else
            f"NOT clean (the core pair changed state: {row['topo_far_pct']}% of probes far)"
            if row.get("topo") == "mixed" and ctx.topology == "same" else
            f"NOT clean (foreign {a.get('foreign_pct', 0):.1f}%, steal "
            f"{a.get('steal_pct', 0):.1f}%)")
        more = (" -> repeat" if not row["clean"] and attempt < ctx.repeats else
                " -> kept, flagged" if not row["clean"] else "")
        ctx.progress(f"r{cell.round} {cell.label:<16} {cell.workload:<8} {describe(params):<34}"
                     f" {note}  {state}{more}" + (f" (try {attempt})" if attempt > 1 else ""))
        if row["clean"] or wrong_ring:  # a repeat would negotiate the same
            break
        if res.error:
            sw.check()  # a dead switch ends the cell, not the run
    kept = keep(tried)
    kept["kept"] = True
    kept["attempts"] = len(tried)
    return kept


def keep(tried):
    """The attempt a window keeps: a clean one, else one without an error, in one state of the
    core pair (a mixed one pairs with nothing in the report), with the least foreign load."""
    ok = [r for r in tried if not r["error"]]
    return min(ok or tried, key=lambda r: (not r["clean"], r.get("topo") == "mixed",
                                           (r["foreign_pct"] or 0) + (r["steal_pct"] or 0)))
