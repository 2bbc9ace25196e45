# SPDX-License-Identifier: BSD-3-Clause
"""Which state was the core pair in during a window?  (kvs-bench-topo beside it.)

On the VM this bench grew on, a cache line goes between the generator's core and the switch's
core and back in either about 60 ns (the host has the two vCPUs on cores that share a cache)
or about 360 ns (it has not), and the host changes that every few seconds to minutes.  A
closed loop through a virtio ring runs about twice as fast in the first state, whichever
switch it is, so a ratio between two windows in different states measures the host, not the
switches.  bench/topo/topo_probe.c probes every 200 ms; this module runs it around a window
and labels the window:

    near   every probe under NEAR_MAX_NS (the two cores share a cache)
    far    every probe at or over it
    mixed  both: the state changed during the window
    ?      no probe finished (the window was shorter than a probe interval, or it failed)

windows.py repeats a mixed window (unless --topology any), report.py pairs only windows in
the same state when it takes a ratio.
"""
import signal
import statistics
import subprocess

NEAR_MAX_NS = 150.0  # between this VM's two states (60 and 360 ns); a bare-metal pair is near


class Probe:
    """kvs-bench-topo on the two cores under test, from start() to stop()."""

    def __init__(self, binary, cores, log):
        self.argv = [str(binary), "--cores", f"{cores[0]},{cores[1]}"]
        self.log = log
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=self.log,
                                     stdin=subprocess.DEVNULL, text=True)

    def stop(self):
        """The window's label and probes: {topo, topo_ns (median), topo_far_pct, topo_probes,
        topo_error}."""
        p, self.proc = self.proc, None
        if p is None:
            return label([], "not started")
        p.send_signal(signal.SIGTERM)
        try:
            out, _ = p.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        err = None if p.returncode in (0, -signal.SIGTERM) else f"exit {p.returncode}"
        return label(parse(out), err)


def parse(text):
    """[ns per round trip, or None for a probe that timed out] from the probe's lines."""
    vals = []
    for ln in text.splitlines():
        f = ln.split()
        if len(f) == 2:
            vals.append(None if f[1] == "timeout" else float(f[1]))
    return vals


def label(vals, error=None):
    ok = [v for v in vals if v is not None]
    far = sum(1 for v in ok if v >= NEAR_MAX_NS)
    if not ok:
        topo = "?"
    elif far == 0:
        topo = "near"
    elif far == len(ok):
        topo = "far"
    else:
        topo = "mixed"
    return {"topo": topo, "topo_ns": round(statistics.median(ok), 1) if ok else None,
            "topo_far_pct": round(100.0 * far / len(ok), 1) if ok else None,
            "topo_probes": len(vals), "topo_timeouts": len(vals) - len(ok),
            "topo_error": error}


def same(labels):
    """One state for a whole set of windows (a zero-loss search): it, else 'mixed' (or '?')."""
    known = {t for t in labels if t in ("near", "far", "mixed")}
    if not known:
        return "?"
    return known.pop() if len(known) == 1 else "mixed"
