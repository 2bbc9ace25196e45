# SPDX-License-Identifier: BSD-3-Clause
"""PNG plots of a run (matplotlib, Agg backend: no display needed).

Bars and points are medians over rounds, error bars min-max.  Returns the
file names written (relative to the report directory).  Without matplotlib
it returns [] and the summary says so.
"""
from .report import SWITCH_ORDER, TITLES, by_round, stats, switches_in

COLORS = {"kvswitch": "tab:blue", "kvswitch-b": "tab:purple", "testpmd": "tab:gray",
          "ovs": "tab:orange", "ovs+defaults": "tab:red", "kvswitch+filter": "tab:cyan"}


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _bars(plt, R, workload, title, path):
    sws = switches_in(R, workload)
    qs = sorted({r["queues"] for r in R if r["workload"] == workload})
    sizes = sorted({r["size"] for r in R if r["workload"] == workload})
    if not sws:
        return None
    fig, axes = plt.subplots(1, len(qs), figsize=(5 * len(qs) + 1, 4), squeeze=False)
    w = 0.8 / len(sws)
    for ax, q in zip(axes[0], qs):
        for i, s in enumerate(sws):
            med, lo, hi = [], [], []
            for size in sizes:
                st = stats(by_round(R, workload=workload, switch=s, size=size, queues=q).values())
                med.append(st["median"] / 1e6 if st else 0)
                lo.append((st["median"] - st["min"]) / 1e6 if st else 0)
                hi.append((st["max"] - st["median"]) / 1e6 if st else 0)
            xs = [k + (i - (len(sws) - 1) / 2) * w for k in range(len(sizes))]
            ax.bar(xs, med, w, yerr=[lo, hi], capsize=3, label=TITLES[s], color=COLORS[s])
        ax.set_xticks(range(len(sizes)))
        ax.set_xticklabels([f"{s} B" for s in sizes])
        ax.set_ylabel("Mpps (both directions)")
        ax.set_title(f"{title}, {q} queue pair{'s' if q > 1 else ''}")
        ax.grid(axis="y", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name


def _curve(plt, R, workload, xlabel, title, path, logx=False):
    sws = switches_in(R, workload)
    if not sws:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for s in sws:
        pts = sorted({r["point"] for r in R if r["workload"] == workload and r["switch"] == s})
        xs, med, lo, hi = [], [], [], []
        for p in pts:
            st = stats(by_round(R, workload=workload, switch=s, point=p).values())
            if not st:
                continue
            xs.append(p)
            med.append(st["median"] / 1e6)
            lo.append((st["median"] - st["min"]) / 1e6)
            hi.append((st["max"] - st["median"]) / 1e6)
        ax.errorbar(xs, med, yerr=[lo, hi], marker="o", capsize=3, label=TITLES[s],
                    color=COLORS[s])
    if logx:
        ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Mpps (both directions)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name


def _latency_cdf(plt, R, path):
    lat = [r for r in R if r["workload"] == "latency" and r.get("hist")]
    if not lat:
        return None
    size = 64 if any(r["size"] == 64 for r in lat) else min(r["size"] for r in lat)
    q = min(r["queues"] for r in lat)
    pcts = sorted({r["point"] for r in lat})
    fig, ax = plt.subplots(figsize=(7, 4.5))
    styles = {p: s for p, s in zip(pcts, ["-", "--", ":", "-."])}
    for s in [s for s in SWITCH_ORDER if any(r["switch"] == s for r in lat)]:
        for p in pcts:
            hist = {}
            for r in lat:
                if r["switch"] == s and r["point"] == p and r["size"] == size and r["queues"] == q:
                    for ub, n in r["hist"]:
                        hist[ub] = hist.get(ub, 0) + n
            total = sum(hist.values())
            if not total:
                continue
            xs, ys, acc = [], [], 0
            for ub in sorted(hist):
                acc += hist[ub]
                xs.append(ub / 1000.0)
                ys.append(acc / total)
            ax.plot(xs, ys, styles[p], color=COLORS[s], label=f"{TITLES[s]} {p}%")
    ax.axvline(8.3, color="red", alpha=0.4, lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("round-trip latency, µs (log)")
    ax.set_ylabel("fraction of frames")
    ax.set_title(f"Latency CDF, {size} B, {q} qp, load = % of kvswitch's zero-loss rate")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name


def make_all(ctx):
    try:
        plt = _plt()
    except ImportError as e:
        ctx.notes["plots"] = f"no plots: matplotlib missing ({e})"
        return []
    d = ctx.outdir
    out = []
    for shape in ("udp", "raw"):
        # kvs-bench-gen only: the testpmd guest's rows are in the tables
        R = [r for r in ctx.results if r.get("shape", "raw") == shape
             and r.get("guest", "gen") == "gen"]
        if not R:
            continue
        t = f" ({shape})"
        # one zero-loss search per core-pair state: the near one where there is one
        near = any(r.get("point") == "near" for r in R if r["workload"] == "zeroloss")
        zl = [r for r in R if r["workload"] == "zeroloss"
              and r.get("point") in (None, "near" if near else "far")]
        out += [
            _bars(plt, R, "closed", "Closed loop" + t, d / f"closed_mpps_{shape}.png"),
            _bars(plt, zl, "zeroloss", "Zero-loss rate" + t + (", core pair near" if near else ""),
                  d / f"zeroloss_mpps_{shape}.png"),
            _latency_cdf(plt, R, d / f"latency_cdf_{shape}.png"),
            _curve(plt, R, "macs", "distinct MACs per side", f"MAC scale (64 B, 1 qp){t}",
                   d / f"mac_scale_{shape}.png", logx=True),
            _curve(plt, R, "flows", "5-tuples per direction (10 MAC pairs)",
                   f"Flow scale (64 B, 1 qp){t}", d / f"flow_scale_{shape}.png", logx=True),
            _curve(plt, R, "ports", "idle vhost-user ports attached",
                   f"Port scale (64 B, 1 qp){t}", d / f"port_scale_{shape}.png"),
        ]
    return [p for p in out if p]
