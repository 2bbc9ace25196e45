# SPDX-License-Identifier: BSD-3-Clause
"""dpdk-testpmd driven through its interactive prompt, for the two roles it plays:

- the testpmd *switch* (switches.TestPmd: io forwarding between two net_vhost ports), whose
  forwarding-core cycles per frame we read per window;
- the testpmd *guest* (TestpmdGuest: mac forwarding on two virtio-user ports), the second
  kind of guest of the closed loop.

Console: testpmd runs with -i and its stdin a pipe we keep open; its stdout goes to its log
file, line-buffered (stdbuf -oL: testpmd writes with printf, and a file would otherwise be
block-buffered), so after writing a command we read the log from where it ended until the
next "testpmd> " prompt: that is the command's output.

Counters: with --record-core-cycles, testpmd adds to each stream the TSC cycles of every
forwarding pass that received frames (its "busy cycles"), and `show fwd stats all` prints
"CPU cycles/packet=C (busy cycles=B / total <mode> packets=N) at M MHz Clock" for the
streams, cleared with `clear fwd stats all`. Busy share = B / (TSC rate x the interval the
harness measured between the clear and the show).
"""
import os
import re
import subprocess
import time

from . import procs as P
from .virtio import vdev

TESTPMD = "/usr/bin/dpdk-testpmd"
PROMPT = "testpmd> "
RE_CYCLES = re.compile(r"CPU cycles/packet=([\d.]+) \((?:busy|total) cycles=(\d+) / total \w+ packets=(\d+)\)"
                       r" at (\d+) MHz")
RE_ACC = re.compile(r"Accumulated forward statistics for all ports\+*\s*\n\s*RX-packets:\s*(\d+)"
                    r"\s+RX-dropped:\s*(\d+).*?\n\s*TX-packets:\s*(\d+)\s+TX-dropped:\s*(\d+)",
                    re.S)


class Console:
    """An interactive testpmd process: spawn(), cmd(), stop()."""

    def __init__(self, ctx, name):
        self.ctx, self.name = ctx, name
        self.p = None
        self.prefix = None

    def spawn(self, eal, app, timeout=180, check=None):
        c = self.ctx
        self.prefix = c.procs.prefix(self.name)
        argv = (["stdbuf", "-oL", TESTPMD] + eal + ["--file-prefix", self.prefix, "--"]
                + app + ["-i", "--record-core-cycles"])
        self.log = c.procs.log_path(self.name)
        self.p = c.procs.spawn(self.name, argv, prefix=self.prefix, stdin=subprocess.PIPE,
                               stop_timeout=10)
        self._until_prompt(0, timeout, "its first prompt", check)

    def _size(self):
        try:
            return os.path.getsize(self.log)
        except OSError:
            return 0

    def _read_from(self, off):
        with open(self.log, "rb") as f:
            f.seek(off)
            return f.read().decode(errors="replace")

    def _until_prompt(self, off, timeout, what, check=None):
        out = []

        def got():
            if self.p.poll() is not None:
                raise RuntimeError(f"{self.name} exited (rc {self.p.returncode}) waiting for "
                                   f"{what}:\n{self.ctx.procs.tail(self.name, 12)}")
            out[:] = [self._read_from(off)]
            return PROMPT in out[0]
        P.wait_until(got, timeout, f"{self.name}: {what}", interval=0.02, check=check)
        return out[0]

    def cmd(self, line, timeout=30):
        """Runs one command; returns what testpmd printed for it."""
        off = self._size()
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()
        return self._until_prompt(off, timeout, f"'{line}'")

    def fwd_stats(self):
        """{rx, tx, tx_dropped, busy_cycles, packets, cpp, mhz} of `show fwd stats all`."""
        txt = self.cmd("show fwd stats all")
        out = {}
        m = RE_ACC.search(txt)
        if m:
            out.update(rx=int(m.group(1)), rx_dropped=int(m.group(2)), tx=int(m.group(3)),
                       tx_dropped=int(m.group(4)))
        m = RE_CYCLES.search(txt)
        if m:
            out.update(cpp=float(m.group(1)), busy_cycles=int(m.group(2)),
                       packets=int(m.group(3)), mhz=int(m.group(4)))
        return out

    def stop(self):
        if not self.p:
            return
        try:
            self.p.stdin.write(b"stop\nquit\n")
            self.p.stdin.flush()
        except OSError:
            pass
        self.ctx.procs.stop(self.p, timeout=10)
        self.p = None


def busy_share(st, seconds):
    """Counters of fwd_stats() over `seconds` -> (cycles per frame, busy %)."""
    if not st.get("mhz") or seconds <= 0:
        return None, None
    cpf = st["busy_cycles"] / st["packets"] if st.get("packets") else None
    return cpf, round(100.0 * st["busy_cycles"] / (st["mhz"] * 1e6 * seconds), 1)


class TestpmdGuest:
    """The second kind of guest: one testpmd with two virtio-user ports A and B (MACs
    02:00:0a:00:00:00 and 02:00:0b:00:00:00) in mac forwarding, each port's peer the other
    port's MAC, so a frame received on A leaves B addressed to A and the switch carries it
    back to A (and the reverse): both directions circulate through the switch. `start
    tx_first N` puts N bursts of 32 frames (testpmd's txonly frames: IPv4/UDP 198.18.0.1 ->
    198.18.0.2, ports 9 -> 8, --txpkts long) in flight from each port. Its forwarding lcore
    shares the generator's core with its main lcore, which sleeps on the console."""

    MACS = ("02:00:0a:00:00:00", "02:00:0b:00:00:00")

    def __init__(self, ctx):
        self.ctx = ctx
        self.con = Console(ctx, "guest")

    def start(self, socks, queues, server, size, check=None, ring="split"):
        c = self.ctx
        eal = [f"--lcores=0@{c.gen_core},1@{c.gen_core}", "--main-lcore", "0",
               "--single-file-segments", "-m", "1024", "--no-pci"]
        for i, (s, mac) in enumerate(zip(socks, self.MACS)):
            eal += ["--vdev", vdev(i, s, queues, server, ring=ring, mac=mac)]
        app = ["--forward-mode=mac", f"--eth-peer=0,{self.MACS[1]}",
               f"--eth-peer=1,{self.MACS[0]}", "--nb-cores=1", f"--rxq={queues}",
               f"--txq={queues}", "--rxd=1024", "--txd=1024", "--burst=32",
               f"--txpkts={size - 4}", "--total-num-mbufs=65536", "--no-lsc-interrupt"]
        self.con.spawn(eal, app, check=check)

    def run(self, inflight, warmup, window, on_start, on_end):
        """Puts inflight frames per direction in flight, warms up, measures one window; returns
        {rx_pps, rx_frames, tx_dropped, guest_cpf, guest_busy_pct, seconds}."""
        bursts = max(1, inflight // 32)
        self.con.cmd(f"start tx_first {bursts}")
        time.sleep(warmup)
        self.con.cmd("clear fwd stats all")
        t0 = time.monotonic()
        on_start()
        time.sleep(window)
        st = self.con.fwd_stats()
        secs = time.monotonic() - t0
        on_end()
        self.con.cmd("stop")
        cpf, busy = busy_share(st, secs)
        return {"rx_frames": st.get("rx"), "rx_pps": (st.get("rx") or 0) / secs,
                "tx_dropped": st.get("tx_dropped"), "guest_cpf": cpf, "guest_busy_pct": busy,
                "seconds": round(secs, 3), "inflight": bursts * 32}

    def pids(self):
        return [self.con.p.pid] if self.con.p and self.con.p.poll() is None else []

    def stop(self):
        self.con.stop()
