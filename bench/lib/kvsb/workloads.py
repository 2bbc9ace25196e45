# SPDX-License-Identifier: BSD-3-Clause
"""What each workload measures, and the plan that interleaves the switches.

The plan is a list of cells.  A cell is one switch, started fresh, running
the windows of one workload group (e.g. closed loop, 1 queue pair, every frame
size) for one round, then stopped.  For each group the cells go round by
round, A B C A B C ..., so each round compares the switches a few seconds or
minutes apart and gives its own ratios.

  closed    closed loop, inflight frames per direction, Mpps forwarded (both directions)
  zeroloss  RFC 2544 binary search on the offered rate (open loop, both directions), one per
            state of the core pair (near, far: topo.py), for
            zero loss; upper bound from the closed-loop result
  latency   open loop at 10/50/90% of kvswitch's zero-loss rate, every switch
  macs      closed loop 64B 1 queue pair with N distinct MACs per side
  flows     closed loop 64B 1 queue pair, N 5-tuples per direction over FLOW_MACS MAC pairs
            (udp shape): where OVS's EMC (8192 entries) overflows
  ports     closed loop 64B 1 queue pair while N idle guests are attached
  filter    closed loop 64B 1 queue pair, kvswitch with a 16-rule ingress policy on
            both ports against kvswitch without one
  micro     bench/micro/run.sh (callgrind microbenchmark), copied into the report
  idle      bench/idle_sleep.py (pmd-sleep-max idle CPU and wake-up latency)

Shapes and guests: closed, zeroloss, latency and macs run once per traffic shape
(ctx.shapes: udp, raw); closed also once per guest (ctx.guests: gen = kvs-bench-gen,
testpmd = the testpmd mac-forwarding guest, udp shape only; gen-packed, testpmd-packed
the same guests with packed virtqueues); flows runs the udp shape; ports and filter the
first shape. Every workload but closed runs kvs-bench-gen on split virtqueues.

Every measurement lands in ctx.results as {workload, switch, round, shape, guest, size,
queues, macs, flows, extra_ports, point, value, sw_cpf, sw_busy_pct, ...}; report.py
aggregates them.
"""
import os
import statistics
import subprocess
import time

from . import guests
from . import procs as P
from .switches import SWITCHES, FilterUnavailable, extra_names
from .windows import measure

ORDER = ["closed", "zeroloss", "latency", "macs", "flows", "ports", "filter", "micro", "idle"]
FLOW_MACS = 10  # the flow scale's MAC pairs
OVS_DEFAULTS = "ovs+defaults"  # the label of OVS with its default caches (--ovs-cache both)
BASE_MACS = 10  # the MAC scale's first point: everything else runs with it too
LAT_PCTS = [10, 50, 90]
START_S = {"kvswitch": 4, "kvswitch-b": 4, "testpmd": 3, "ovs": 8}
FILTER_DECOYS = 15  # + 1 rule that matches: 16 rules, every frame walks them all


def filter_rules(side):
    """16 'allow src' rules for the port facing generator side 'a' or 'b': 15 MACs that
    never appear, then the generator's side prefix (gen_frame.c: 02:00:0a / 02:00:0b)."""
    rules = [f"allow src 52:54:00:ee:{side == 'a' and 10 or 11:02x}:{i:02x}"
             for i in range(FILTER_DECOYS)]
    rules.append(f"allow src 02:00:{'0a' if side == 'a' else '0b'}:00:00:00/ff:ff:ff:00:00:00")
    return ", ".join(rules)


class Cell:
    def __init__(self, workload, rnd, switch, queues=1, extra=0, filt=False, sizes=(64,),
                 points=(None,), est=0.0, shape="udp", guest="gen", ovs_cache="auto",
                 label=None):
        self.workload, self.round, self.switch = workload, rnd, switch
        self.shape, self.guest, self.ovs_cache = shape, guest, ovs_cache
        self.queues, self.extra, self.filter = queues, extra, filt
        self.sizes, self.points, self.est = list(sizes), list(points), est
        self.label = label or switch + ("+filter" if filt else "")
        self.idle = None


def plan(ctx):
    """The cells of this run, in order."""
    w = ctx.warmup + ctx.window + 2  # a window: EAL start, link, learning, measure
    t = ctx.warmup + ctx.trial + 2
    cells = []
    sws = ctx.switches

    def rounds(workload, switches, est, **kw):
        # --ovs-cache both: where the flows can outgrow the EMC, OVS as its docs recommend
        # and OVS with its default caches, side by side in every round
        both = ctx.ovs_cache == "both" and workload in ("macs", "flows")
        for r in range(1, ctx.rounds + 1):
            # an A/B pair takes turns at going first, so that what going first or second
            # does falls on both sides alike
            order = list(switches)
            if r % 2 == 0 and "kvswitch" in order and "kvswitch-b" in order:
                i, j = order.index("kvswitch"), order.index("kvswitch-b")
                order[i], order[j] = order[j], order[i]
            for s in order:
                if s == "ovs":
                    cells.append(Cell(workload, r, s, est=est + START_S[s],
                                      ovs_cache="default" if ctx.ovs_cache == "default"
                                      else "auto", **kw))
                    if both:
                        cells.append(Cell(workload, r, s, est=est + START_S[s],
                                          ovs_cache="default", label=OVS_DEFAULTS, **kw))
                else:
                    cells.append(Cell(workload, r, s, est=est + START_S[s], **kw))

    first = ctx.shapes[0]
    tw = w + 1.5  # the testpmd guest's EAL start and console round trips
    for wl in ctx.workloads:
        if wl == "closed":
            for shape in ctx.shapes:
                for guest in ctx.guests:
                    tp = guest.startswith("testpmd")
                    if tp and shape != "udp":
                        continue  # testpmd's frames are IPv4/UDP
                    for q in ctx.queues:
                        rounds(wl, sws, (tw if tp else w) * len(ctx.sizes),
                               queues=q, sizes=ctx.sizes, shape=shape, guest=guest)
        elif wl == "zeroloss":
            for shape in ctx.shapes:
                for q in ctx.queues:
                    rounds(wl, sws, t * (ctx.search_steps + 1) * len(ctx.sizes), queues=q,
                           sizes=ctx.sizes, shape=shape)
        elif wl == "latency":
            for shape in ctx.shapes:
                for q in ctx.queues:
                    rounds(wl, sws, t * len(LAT_PCTS) * len(ctx.sizes), queues=q,
                           sizes=ctx.sizes, points=LAT_PCTS, shape=shape)
        elif wl == "macs":
            for shape in ctx.shapes:
                rounds(wl, sws, sum(w + m / 50000 for m in ctx.macs), points=ctx.macs,
                       shape=shape)
        elif wl == "flows":
            if "udp" in ctx.shapes:
                rounds(wl, sws, len(ctx.flows) * w, points=ctx.flows, shape="udp")
        elif wl == "ports":
            for n in ctx.ports:
                hosts = [s for s in sws if SWITCHES[s].max_extra > 0]
                rounds(wl, hosts, w + n * (1.0 if "ovs" in hosts else 0.2), extra=n,
                       shape=first)
        elif wl == "filter":
            if "kvswitch" in sws:
                for r in range(1, ctx.rounds + 1):
                    for f in (False, True):
                        cells.append(Cell(wl, r, "kvswitch", filt=f, est=w + START_S["kvswitch"],
                                          shape=first))
        elif wl == "micro":
            cells.append(Cell(wl, 1, "-", est=180))
        elif wl == "idle":
            cells.append(Cell(wl, 1, "-", est=60))
    return cells


COUNTER_KEYS = ("sw_cpf", "sw_busy_pct", "guest_busy_pct", "guest_rx_burst", "bottleneck",
                "ovs", "ovs_cache", "topo", "topo_ns")


def result(ctx, cell, row, value, size, point=None, **extra):
    r = {"workload": cell.workload, "switch": cell.label, "round": cell.round, "size": size,
         "shape": cell.shape, "guest": cell.guest,
         "queues": cell.queues, "macs": row.get("macs") if row else None,
         "flows": row.get("flows") if row else None,
         "extra_ports": cell.extra, "point": point, "value": value,
         "clean": row.get("clean") if row else None, "error": row.get("error") if row else ""}
    for k in COUNTER_KEYS:
        if row and row.get(k) is not None:
            r[k] = row[k]
    r.update(extra)
    ctx.results.append(r)
    return r


# ---- the workloads: fn(ctx, sw, cell) ----

def run_closed(ctx, sw, cell):
    for size in cell.sizes:
        row = measure(ctx, sw, cell, size, BASE_MACS)
        result(ctx, cell, row, row["rx_pps"], size)


def closed_max(ctx, label, size, queues, shape):
    vals = [r["value"] for r in ctx.results if r["workload"] == "closed" and r["switch"] == label
            and r["size"] == size and r["queues"] == queues and r["value"]
            and r.get("shape") == shape and r.get("guest") == "gen"]
    return max(vals) if vals else None


class Bisect:
    """One core-pair state's zero-loss search: passes so far up to lo (best), failures from hi,
    done when the upper bound passed or the interval is down to top / 2**steps.  The upper
    bound comes from the closed loop, which may have run in the other state (far: about half
    the rate): a pass at it raises it by half, twice at most."""

    RAISES = 2

    def __init__(self, top, steps):
        self.top, self.lo, self.hi, self.best = top, 0.0, top, None
        self.steps, self.width, self.raised = steps, top / 2 ** steps, 0
        self.top_known = False  # the upper bound passed, or something below it failed
        self.trials = []

    def next_rate(self):
        return self.top if not self.top_known else (self.lo + self.hi) / 2

    def feed(self, trial):
        rate, ok = trial["offered_pps"], trial["pass"]
        self.trials.append(trial)
        if ok:
            if self.best is None or rate > self.best:
                self.lo = self.best = rate
            if rate >= self.top and self.raised < self.RAISES and self.hi >= self.top:
                self.raised += 1
                self.top = self.hi = self.top * 1.5
                self.width = self.top / 2 ** self.steps
                return
            self.top_known = self.top_known or rate >= self.top
        else:
            self.hi = min(self.hi, rate)
            self.top_known = True  # a failure below the bound: the bound fails too

    def done(self):
        return (self.best is not None and self.best >= self.top) or (
            self.top_known and self.hi - self.lo <= self.width * 1.0001)


def search(ctx, sw, cell, size):
    """Zero-loss rate (frames/s over both directions), RFC 2544 style, one search per state of
    the core pair (topo.py): try the upper bound, then halve the interval ctx.search_steps
    times.  Each trial is run at the next rate of the search of the state the last trial ran
    in, and goes to the search of the state it ran in (a pass raises that search's floor, a
    failure lowers its ceiling), so a state change in the middle of a search costs a trial at
    most, never the search; a trial whose state changed counts for none.  Ends when every state
    seen has its rate, or after 3x the trials of one search (plus the raises of Bisect).  A trial passes when the frames
    lost after the switch took them are within ctx.loss_tolerance percent of those offered,
    and the frames it refused (the guest's tx ring full: generator tx failures) within
    ctx.refused_tolerance.  Returns ({state: Bisect}, every trial); the state is '?' for all
    when the core pair is not probed."""
    hi = closed_max(ctx, cell.label, size, cell.queues, cell.shape)
    if not hi:
        row = measure(ctx, sw, cell, size, BASE_MACS, point="upper bound")
        hi = row["rx_pps"]
    if not hi:
        return {}, []
    hi *= 1.05
    searches, trials, last = {}, [], None

    def state_of(t):
        return None if t == "mixed" else (t or "?")

    while len(trials) < 3 * (ctx.search_steps + 1) + Bisect.RAISES:
        live = [k for k, b in searches.items() if not b.done()]
        if searches and not live:
            break
        b = searches.get(last) if last in live else (searches[live[0]] if live else None)
        rate = b.next_rate() if b else hi
        row = measure(ctx, sw, cell, size, BASE_MACS, mode="open", rate_total=rate,
                      point=f"trial {len(trials)}")
        offered = rate * ctx.trial
        lost, refused = row["lost"] or 0, row["tx_fail"] or 0
        ok = (not row["error"] and row["lost"] is not None
              and lost <= ctx.loss_tolerance / 100.0 * offered
              and refused <= ctx.refused_tolerance / 100.0 * offered
              and (row["tx_pps"] or 0) >= 0.98 * rate * (1 - ctx.refused_tolerance / 100.0))
        t = {"offered_pps": rate, "pass": ok, "lost": row["lost"], "tx_pps": row["tx_pps"],
             "clean": row["clean"], "topo": row.get("topo")}
        trials.append(t)
        st = state_of(row.get("topo"))
        if st is None:
            continue  # the state changed during the trial: it says nothing about either
        searches.setdefault(st, Bisect(hi, ctx.search_steps)).feed(t)
        last = st
    return searches, trials


def run_zeroloss(ctx, sw, cell):
    for size in cell.sizes:
        searches, trials = search(ctx, sw, cell, size)
        # one result per state of the core pair (point near/far, or None when not probed);
        # no passing trial: 0, so the round shows (and its ratios say n/a)
        for st, b in sorted(searches.items()):
            result(ctx, cell, {"macs": BASE_MACS}, b.best or 0.0, size, trials=b.trials,
                   point=None if st == "?" else st, topo=st)
        if not searches:
            result(ctx, cell, {"macs": BASE_MACS}, 0.0, size, trials=trials)
        if not cell.filter:
            ctx.progress(f"r{cell.round} {cell.label:<16} zeroloss {size}B q{cell.queues}: "
                         + ", ".join(f"{(b.best or 0) / 1e6:.3f} Mpps"
                                     + ("" if st == "?" else f" {st}") +
                                     ("" if b.done() else " (unfinished)")
                                     for st, b in sorted(searches.items()))
                         + f" in {len(trials)} trials")


def zl_references(ctx, size, queues, shape):
    """kvswitch's zero-loss rates (median over rounds) for latency's operating points, per
    state of the core pair: {"near": r, "far": r} for the states a search finished in, or
    {None: r} when the core pair was not probed; {} when there is none."""
    refs = {}
    for pt in ("near", "far", None):
        vals = [r["value"] for r in ctx.results if r["workload"] == "zeroloss"
                and r["switch"] == "kvswitch" and r["size"] == size and r["queues"] == queues
                and r["value"] and r.get("shape") == shape and r.get("point") == pt]
        if vals:
            refs[pt] = statistics.median(vals)
    return refs


# A latency window whose core pair ran in another state than the one its rate was taken
# from is run again at that state's rate, this many times in all at most.
LATENCY_STATE_TRIES = 3


def latency_window(ctx, sw, cell, size, refs, pct):
    """One latency window at pct% of the zero-loss rate of the state the core pair is in.
    The state is known only from the probes inside the window, so the rate is that of the
    state the last window ran in, and a window that then ran in the other state is repeated
    at its rate: 50% of the near rate overloads every switch far (about half the rate), which
    measured queueing, not the switch (2026-12-05).  Returns (row, the state the rate came
    from: None when the rates are not per state, or only one state has one)."""
    last = next((r.get("topo") for r in reversed(ctx.rows) if r.get("kept")), None)
    st = last if last in refs else next(iter(refs))
    for i in range(LATENCY_STATE_TRIES):
        row = measure(ctx, sw, cell, size, BASE_MACS, mode="open",
                      rate_total=refs[st] * pct / 100.0, point=f"{pct}%")
        ran = row.get("topo")
        if len(refs) < 2 or ran == st or ran not in refs or i == LATENCY_STATE_TRIES - 1:
            break
        ctx.progress(f"r{cell.round} {cell.label}: latency {pct}% ran {ran} at {st}'s rate: "
                     f"again at {ran}'s")
        st = ran
    return row, (st if len(refs) > 1 else None)


def run_latency(ctx, sw, cell):
    for size in cell.sizes:
        refs = zl_references(ctx, size, cell.queues, cell.shape)
        if not refs and cell.switch == "kvswitch":
            ctx.progress(f"latency {size}B q{cell.queues}: no zero-loss rate yet, searching")
            searches, _ = search(ctx, sw, cell, size)
            for st, b in sorted(searches.items()):
                if b.best:
                    result(ctx, Cell("zeroloss", cell.round, "kvswitch", queues=cell.queues,
                                     shape=cell.shape),
                           {"macs": BASE_MACS}, b.best, size, trials=b.trials,
                           point=None if st == "?" else st, topo=st)
            refs = zl_references(ctx, size, cell.queues, cell.shape)
        if not refs:
            ctx.progress(f"latency {size}B q{cell.queues}: no kvswitch zero-loss rate, skipped")
            continue
        for pct in cell.points:
            row, rate_state = latency_window(ctx, sw, cell, size, refs, pct)
            lat = (row.get("gen") or {}).get("latency_ns") or {}
            result(ctx, cell, row, row["lat_p99_ns"], size, point=pct,
                   p50=row["lat_p50_ns"], p999=row["lat_p999_ns"], max=row["lat_max_ns"],
                   mean=row["lat_mean_ns"], lost=row["lost"], offered_pps=row["offered_pps"],
                   rate_state=rate_state, hist=lat.get("hist"))


def run_macs(ctx, sw, cell):
    for m in cell.points:
        row = measure(ctx, sw, cell, 64, m)
        result(ctx, cell, row, row["rx_pps"], 64, point=m)


def run_flows(ctx, sw, cell):
    for n in cell.points:
        row = measure(ctx, sw, cell, 64, FLOW_MACS, flows=n)
        result(ctx, cell, row, row["rx_pps"], 64, point=n)


def run_ports(ctx, sw, cell):
    row = measure(ctx, sw, cell, 64, BASE_MACS)
    result(ctx, cell, row, row["rx_pps"], 64, point=cell.extra)


def run_filter(ctx, sw, cell):
    row = measure(ctx, sw, cell, 64, BASE_MACS)
    result(ctx, cell, row, row["rx_pps"], 64, point="policy" if cell.filter else "none")


def run_micro(ctx, cell):
    script = ctx.repo / "bench" / "micro" / "run.sh"
    out = ctx.outdir
    if not script.exists():
        ctx.notes["micro"] = "not available: bench/micro/run.sh does not exist in this tree"
        return
    with open(ctx.procs.log_path("micro"), "ab") as log:
        r = subprocess.run(["bash", str(script), str(ctx.build), str(out)], stdout=log,
                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        ctx.notes["micro"] = (f"failed: bench/micro/run.sh exit {r.returncode}; see raw/micro.log:"
                              f"\n{ctx.procs.tail('micro', 10)}")
    elif not (out / "micro.csv").exists():
        ctx.notes["micro"] = "bench/micro/run.sh wrote no micro.csv"
    else:
        ctx.notes["micro"] = "ok"


def run_idle(ctx, cell):
    script = ctx.repo / "bench" / "idle_sleep.py"
    env = dict(os.environ, KVS_BUILD_DIR=str(ctx.build))
    with open(ctx.procs.log_path("idle"), "ab") as log:
        r = subprocess.run(["/usr/bin/python3", str(script)], stdout=subprocess.PIPE,
                           stderr=log, stdin=subprocess.DEVNULL, env=env, text=True)
    (ctx.outdir / "idle_sleep.txt").write_text(r.stdout)
    ctx.notes["idle"] = ("ok" if r.returncode == 0 else
                         f"failed: exit {r.returncode}; see raw/idle.log:\n"
                         f"{ctx.procs.tail('idle', 10)}")


RUN = {"closed": run_closed, "zeroloss": run_zeroloss, "latency": run_latency,
       "macs": run_macs, "flows": run_flows, "ports": run_ports, "filter": run_filter}


def run_cell(ctx, cell):
    """Start the cell's switch (and idle guests, and filter), run its windows, stop it all.
    A failure ends the cell, is recorded, and the run goes on."""
    if cell.workload == "micro":
        return run_micro(ctx, cell)
    if cell.workload == "idle":
        return run_idle(ctx, cell)
    sw = SWITCHES[cell.switch](ctx)
    sw.cache_mode = cell.ovs_cache
    t = time.monotonic()
    try:
        sw.start(cell.queues, extra=cell.extra)
        ctx.progress(f"r{cell.round} {cell.label}: started in {time.monotonic() - t:.1f}s")
        if cell.extra:
            socks = [sw.sock(n) for n in extra_names(cell.extra)]
            cell.idle = guests.IdleGuests(ctx, socks, sw.gen_server)
            cell.idle.start()
            P.wait_until(lambda: sw.connected_extra() >= cell.extra, 240,
                         f"{cell.extra} idle guests to connect to {sw.name}", interval=1,
                         check=sw.check)
            ctx.progress(f"r{cell.round} {cell.label}: {sw.connected_extra()} idle guests "
                         "connected")
        if cell.filter:
            try:
                sw.set_filter(filter_rules("a"), filter_rules("b"))
            except FilterUnavailable as e:
                ctx.notes["filter"] = f"not available: {e}"
                ctx.progress(f"filter: not available in this build ({e})")
                return
        RUN[cell.workload](ctx, sw, cell)
    except (RuntimeError, TimeoutError, OSError) as e:
        msg = str(e).strip()
        ctx.failures.append({"workload": cell.workload, "switch": cell.label,
                             "round": cell.round, "error": msg})
        ctx.progress(f"r{cell.round} {cell.label} {cell.workload}: FAILED: {msg.splitlines()[0]}")
        for line in msg.splitlines()[1:8]:
            ctx.progress("    " + line)
    finally:
        if cell.idle:
            cell.idle.stop()
            cell.idle = None
        t = time.monotonic()
        sw.stop()
        ctx.progress(f"r{cell.round} {cell.label}: stopped in {time.monotonic() - t:.1f}s")


def run_plan(ctx, cells):
    t0 = time.monotonic()
    total = sum(c.est for c in cells)
    done = 0.0
    for i, c in enumerate(cells):
        elapsed = time.monotonic() - t0
        scale = elapsed / done if done > 0 else 1.0
        ctx.eta = (total - done) * scale
        ctx.progress(f"=== cell {i + 1}/{len(cells)}: {c.workload} {c.label} round {c.round}"
                     + (f" {c.shape}/{c.guest}" if c.workload not in ("micro", "idle") else "")
                     + (f" q{c.queues}" if c.workload not in ("micro", "idle") else "")
                     + (f" +{c.extra} idle ports" if c.extra else ""))
        run_cell(ctx, c)
        done += c.est
