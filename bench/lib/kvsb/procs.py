# SPDX-License-Identifier: BSD-3-Clause
"""Child processes of a benchmark run and their clean-up.

Every process the runner starts (switches, generators, idle guests, ovsdb) goes
through Procs.spawn: it runs in its own session (so a Ctrl-C reaches the runner
only, which then stops everything in order), its output goes to a log file, and
Procs.stop_all() ends whatever is left, on any exit.  DPDK processes get a file
prefix from Procs.prefix(); their hugepage files and run-time directories are
removed when they stop, and stale ones of dead runs at start.
"""
import glob
import os
import re
import shutil
import signal
import subprocess
import time

HUGE_DIRS = ["/dev/hugepages"]
DPDK_RUN = "/var/run/dpdk"
PREFIX_TAG = "kvsb"  # every file prefix of ours starts kvsb<runner pid>-


class Interrupted(Exception):
    """SIGTERM or SIGINT: unwind, stop everything, exit."""


def _raise_interrupted(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


def install_signal_handlers():
    signal.signal(signal.SIGTERM, _raise_interrupted)
    signal.signal(signal.SIGINT, _raise_interrupted)
    signal.signal(signal.SIGHUP, _raise_interrupted)


def alive(pid):
    """Running and not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rindex(")") + 2] != "Z"


def remove_prefix_files(prefix):
    for d in HUGE_DIRS:
        for f in glob.glob(os.path.join(d, prefix + "map_*")):
            try:
                os.unlink(f)
            except OSError:
                pass
    shutil.rmtree(os.path.join(DPDK_RUN, prefix), ignore_errors=True)


def remove_stale_prefixes():
    """Hugepage files and run dirs of earlier runs whose runner is gone."""
    names = set()
    for d in HUGE_DIRS:
        names.update(os.path.basename(f) for f in glob.glob(os.path.join(d, PREFIX_TAG + "*")))
    if os.path.isdir(DPDK_RUN):
        names.update(n for n in os.listdir(DPDK_RUN) if n.startswith(PREFIX_TAG))
    removed = 0
    for n in names:
        m = re.match(PREFIX_TAG + r"(\d+)-([\w.-]+?)(map_.*)?$", n)
        if m and not alive(int(m.group(1))):
            remove_prefix_files(f"{PREFIX_TAG}{m.group(1)}-{m.group(2)}")
            removed += 1
    return removed


class Procs:
    def __init__(self, logdir):
        self.logdir = logdir
        self.running = []  # (name, Popen, prefix or None, stop_timeout)
        self.prefixes = set()

    def prefix(self, role):
        p = f"{PREFIX_TAG}{os.getpid()}-{role}"
        self.prefixes.add(p)
        return p

    def log_path(self, name):
        return os.path.join(self.logdir, name + ".log")

    def spawn(self, name, argv, prefix=None, stdin=subprocess.DEVNULL, stdout=None, env=None,
              stop_timeout=20):
        """Start argv; stdout and stderr to <logdir>/<name>.log unless stdout is given."""
        log = open(self.log_path(name), "ab")
        log.write(("\n$ " + " ".join(argv) + "\n").encode())
        log.flush()
        try:
            p = subprocess.Popen(argv, stdin=stdin, stdout=stdout if stdout else log, stderr=log,
                                 env=env, start_new_session=True)
        finally:
            log.close()
        self.running.append((name, p, prefix, stop_timeout))
        return p

    def forget(self, p):
        self.running = [r for r in self.running if r[1] is not p]

    def stop(self, p, timeout=None, sig=signal.SIGTERM):
        """Signal p, wait up to timeout, then SIGKILL; removes its DPDK files."""
        entry = next((r for r in self.running if r[1] is p), None)
        timeout = timeout if timeout is not None else (entry[3] if entry else 20)
        if p.poll() is None:
            try:
                p.send_signal(sig)
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            except ProcessLookupError:
                pass
        if p.stdin:
            try:
                p.stdin.close()
            except OSError:
                pass
        if entry:
            self.forget(p)
            if entry[2]:
                remove_prefix_files(entry[2])
        return p.returncode

    def stop_all(self):
        for name, p, _prefix, _t in list(reversed(self.running)):
            self.stop(p)
        for pre in self.prefixes:
            remove_prefix_files(pre)

    def tail(self, name, n=15):
        try:
            with open(self.log_path(name), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


def wait_until(pred, timeout, what, interval=0.1, check=None):
    """Poll pred() until true; check() may raise (a process died). TimeoutError names `what`."""
    deadline = time.monotonic() + timeout
    while True:
        if check:
            check()
        if pred():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def run(argv, timeout=60, check=True, env=None):
    """A short command; its stdout, or RuntimeError with its stderr."""
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                       stdin=subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:6])}{' ...' if len(argv) > 6 else ''} -> "
                           f"rc {r.returncode}: {(r.stderr or r.stdout).strip()[-800:]}")
    return r.stdout
