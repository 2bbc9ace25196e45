# SPDX-License-Identifier: BSD-3-Clause
"""Is a measurement window clean?  CPU accounting from /proc.

During a window the cores under test (the generator's and the switch PMD's)
are meant to run our processes only.  Over the window we read, per core,
/proc/stat (busy = user+nice+system+irq+softirq, steal, total) and, per
process under test, utime+stime (/proc/<pid>/stat; the generator's from
wait4's rusage, since it exits at the end of the window).  Then

    foreign = (busy on the cores - CPU time of our processes) / total time of the cores
    steal   = steal on the cores / total time of the cores

Our processes may also run on other cores; on the 2-core machine this is
built for there are none, and on a bigger one that only makes `foreign` an
underestimate.  Interrupts count as foreign: they are noise to the PMD too.
Resolution is one clock tick (10 ms), so a 3 s window on 2 cores reads to
about 0.2%.
"""
import os

HZ = os.sysconf("SC_CLK_TCK")


def core_ticks(cores):
    """{core: (busy, steal, total)} from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu") or line.startswith("cpu "):
                continue
            name, *vals = line.split()
            c = int(name[3:])
            if c not in cores:
                continue
            v = [int(x) for x in vals[:8]]  # guest time is already in user
            user, nice, system, idle, iowait, irq, softirq, steal = v + [0] * (8 - len(v))
            out[c] = (user + nice + system + irq + softirq, steal, sum(v))
    return out


def proc_ticks(pid):
    """utime + stime of a whole process (all its threads), 0 if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except OSError:
        return 0
    fields = st[st.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


class Window:
    """Snapshot at start(); finish() returns the accounting of the interval."""

    def __init__(self, cores, pids):
        self.cores = set(cores)
        self.pids = list(pids) + [os.getpid()]

    def start(self):
        self.c0 = core_ticks(self.cores)
        self.p0 = {p: proc_ticks(p) for p in self.pids}

    def finish(self, extra_ticks=0.0):
        """extra_ticks: CPU time of ours not visible in /proc (the reaped generator)."""
        c1 = core_ticks(self.cores)
        ours = extra_ticks + sum(max(0, proc_ticks(p) - t0) for p, t0 in self.p0.items())
        busy = sum(c1[c][0] - self.c0[c][0] for c in c1)
        steal = sum(c1[c][1] - self.c0[c][1] for c in c1)
        total = sum(c1[c][2] - self.c0[c][2] for c in c1)
        if total <= 0:
            return {"foreign_pct": 0.0, "steal_pct": 0.0, "ours_pct": 0.0}
        return {
            "foreign_pct": round(100.0 * max(0.0, busy - ours) / total, 2),
            "steal_pct": round(100.0 * steal / total, 2),
            "ours_pct": round(100.0 * ours / total, 2),
        }


def rusage_ticks(ru):
    return (ru.ru_utime + ru.ru_stime) * HZ
