# SPDX-License-Identifier: BSD-3-Clause
"""Which state was the core pair in during a window?  (kvs-bench-topo beside it.)

On the VM this bench grew on, a cache line goes between the generator's core and the switch's
core and back in either about 60 ns (the host has the two vCPUs on cores that share a cache)
or about 360 ns (it has not), and the host changes that every few seconds to minutes.  A
closed loop through a virtio ring runs about twice as fast in the first state, whichever
switch it is, so a ratio between two windows in different states measures the host, not the
switches.  bench/topo/topo_probe.c probes every 200 ms (every second in an open-loop window,
where each probe's pause, 17-92 us on both cores, would otherwise reach the latency tail);
this module runs it around a window and labels the window from the probes that started
between the generator's window_start and window_end (all of them if those never came):

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

# Between this VM's two states (about 66 and 358 ns).  Cores that share a cache on bare metal
# are near; a pair across sockets or chiplets may be far all the time (then every window is
# far, and that is consistent too) or sit close to this line.
NEAR_MAX_NS = 150.0


class Probe:
    """kvs-bench-topo on the two cores under test, from start() to stop()."""

    def __init__(self, binary, cores, log, interval_ms=200):
        self.argv = [str(binary), "--cores", f"{cores[0]},{cores[1]}",
                     "--interval-ms", str(interval_ms)]
        self.log = log
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=self.log,
                                     stdin=subprocess.DEVNULL, text=True)

    def stop(self, t_from=None, t_to=None):
        """The label of the probes that started in [t_from, t_to] (time.monotonic(); all of
        them when either is None): {topo, topo_ns (median), topo_far_pct, topo_probes,
        topo_timeouts, topo_error}."""
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
        probes = parse(out)
        if t_from is not None and t_to is not None:
            probes = [(t, v) for t, v in probes if t_from <= t <= t_to]
        return label([v for _, v in probes], err)


def parse(text):
    """[(start time, ns per round trip or None for a probe that timed out)] from the probe's
    lines; a line that is not one is skipped."""
    out = []
    for ln in text.splitlines():
        f = ln.split()
        if len(f) != 2:
            continue
        try:
            out.append((float(f[0]), None if f[1] == "timeout" else float(f[1])))
        except ValueError:
            continue
    return out


def check(binary, cores):
    """None if the probe runs here (root, SCHED_FIFO, both cores), else why not."""
    try:
        p = subprocess.run([str(binary), "--cores", f"{cores[0]},{cores[1]}", "--interval-ms",
                            "10"], capture_output=True, text=True, timeout=0.5)
        return f"{binary} exited {p.returncode}: {p.stderr.strip()[:300]}"
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        if not any(v is not None for _, v in parse(out)):
            return f"{binary} probed nothing in 0.5 s"
        return None
    except OSError as e:
        return f"{binary}: {e}"


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
    """One state for a set of windows: it, else 'mixed'; windows not probed ('?') are left out,
    and none probed is '?'."""
    known = {t for t in labels if t in ("near", "far", "mixed")}
    if not known:
        return "?"
    return known.pop() if len(known) == 1 else "mixed"

