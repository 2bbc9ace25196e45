# SPDX-License-Identifier: BSD-3-Clause
"""CPU time of kvswitchd's PMD threads and of their cores, from /proc.

Used by the idle-sleep system test and bench/idle_sleep.py: a PMD thread is
named pmd-cNN after its core (pmd/pmd.c), its CPU time is utime + stime of
/proc/<pid>/task/<tid>/stat, and its core's busy share comes from /proc/stat
(which also counts whatever else runs on that core).
"""
import os
import time
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")


def pmd_threads(pid):
    """{core: tid} of the PMD threads of process `pid`."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
        except OSError:
            continue
        if name.startswith("pmd-c"):
            out[int(name[5:])] = int(tid)
    return out


def thread_ticks(pid, tid):
    """utime + stime of one thread, in clock ticks."""
    stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def core_ticks(core):
    """(busy, total) ticks of one CPU from /proc/stat."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{core} "):
            v = [int(x) for x in line.split()[1:]]
            idle = v[3] + v[4]  # idle + iowait
            return sum(v) - idle, sum(v)
    raise RuntimeError(f"cpu{core} not in /proc/stat")


def pmd_cpu(pid, seconds):
    """(PMD thread CPU %, its core's busy %) of the first PMD over `seconds`."""
    core, tid = sorted(pmd_threads(pid).items())[0]
    t0, (b0, a0), w0 = thread_ticks(pid, tid), core_ticks(core), time.monotonic()
    time.sleep(seconds)
    t1, (b1, a1), w1 = thread_ticks(pid, tid), core_ticks(core), time.monotonic()
    return 100.0 * (t1 - t0) / HZ / (w1 - w0), 100.0 * (b1 - b0) / max(1, a1 - a0)
