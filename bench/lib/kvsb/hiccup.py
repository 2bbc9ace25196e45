"""How often the cores under test are taken from a thread that never yields them
(kvs-bench-hiccup, bench/topo/hiccup.c), measured at the start and at the end of a run.
bench/kvsbench calls measure(); report.py calls sentence() for the noise section.

Every latency tail in the report includes these gaps: a switch forwards nothing while its
core is gone, and the generator receives nothing while its is. The summary's noise section
gives the counts, so that p99s from two runs (or two machines) are read against them."""

import json
import subprocess

SECONDS = 2.0
THRESHOLDS = ("10", "25", "50", "100", "250", "1000")  # us, as the tool prints them


def measure(binary, cores, seconds=SECONDS):
    """{core: {threshold_us: gaps per second}} for each core in turn, or {"error": why}."""
    out = {}
    for core in cores:
        try:
            r = subprocess.run([str(binary), "--core", str(core), "--seconds", f"{seconds:g}"],
                               capture_output=True, text=True, timeout=seconds + 30,
                               stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as e:
            return {"error": f"{binary}: {e}"}
        if r.returncode != 0:
            return {"error": f"{binary} --core {core}: exit {r.returncode}: {r.stderr.strip()}"}
        try:
            per_s = json.loads(r.stdout)["per_s"]
            out[str(core)] = {t: float(per_s[t]) for t in THRESHOLDS}
        except (ValueError, KeyError, TypeError) as e:
            return {"error": f"{binary} --core {core}: unreadable output ({e}): {r.stdout!r}"}
    return out


def sentence(h):
    """The noise section's sentence for meta['hiccups'] ({'start': ..., 'end': ...}), or ''."""
    if not h:
        return ""
    parts = []
    for when in ("start", "end"):
        m = h.get(when)
        if not m:
            continue
        if "error" in m:
            parts.append(f"at the {when}: not measured ({m['error']})")
            continue
        cores = "; ".join(
            f"core {c}: {v['10']:.0f}/s over 10 µs, {v['25']:.0f}/s over 25, "
            f"{v['50']:.0f}/s over 50, {v['100']:.0f}/s over 100, {v['250']:.0f}/s over 250, "
            f"{v['1000']:.0f}/s over 1000"
            for c, v in sorted(m.items()))
        parts.append(f"at the {when}: {cores}")
    if not parts:
        return ""
    return ("Cores taken from a busy thread (kvs-bench-hiccup, %g s per core on the idle "
            "machine; every latency tail includes such gaps): " % SECONDS) + "; ".join(parts) + "."
