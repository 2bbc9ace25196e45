# SPDX-License-Identifier: BSD-3-Clause
"""The guests: kvs-bench-gen (the two traffic ports, A and B) and the idle
guests of the port-scale workload.

Generator contract (bench/gen): EAL args with two virtio-user vdevs (port 0 =
A, port 1 = B), then `-- --mode closed|open --shape --size --queues --macs
--flows --duration [--warmup] [--inflight] [--rate] [--bidir] --events`; on
stdout the lines {"event": "window_start"} and {"event": "window_end"} (the
runner reads the switch's counters then), then one JSON object; exit 0 ok, 1
runtime error, 2 usage.  Open loop adds --event-ack: the generator sends no
frame from each event until the runner answers a line on its stdin, so the
counter reads (processes on the generator's core) cannot cost frames
mid-trial.  server=1 on the vdevs when the switch is the vhost-user client
(OVS dpdkvhostuserclient).

Idle guests: Debian's DPDK has RTE_MAX_ETHPORTS 32, so they are dpdk-testpmd
processes of up to 30 virtio-user vdevs each, interactive and never told to
start forwarding: their ports are configured and started (the switch sees a
connected guest with enabled queues) but nothing polls them, and the process
sleeps in a read of its stdin, which we keep open.
"""
import json
import os
import select
import subprocess
import time

from . import cpu
from . import procs as P
from . import testpmd as T
from .virtio import vdev

IDLE_PER_PROC = 30
# OVS reconnects its vhost-user clients once a second, and its main thread can take
# seconds to tear down the previous generator's device on a busy core 0
LINK_TIMEOUT = 30
TESTPMD = "/usr/bin/dpdk-testpmd"


def _read_until_eof(p, deadline, on_event=None, ack=False):
    """stdout until EOF; event lines go to on_event(name) as they come, not into the output,
    and with ack each is answered on p's stdin once on_event has returned."""
    fd, out, buf = p.stdout.fileno(), [], b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            b = os.read(fd, 65536)
            if not b:
                break
            buf += b
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.startswith(b'{"event"'):
                    if on_event:
                        on_event(json.loads(line)["event"])
                    if ack:
                        try:
                            p.stdin.write(b"go\n")
                            p.stdin.flush()
                        except OSError:
                            pass  # it exited: its exit code says why
                else:
                    out.append(line + b"\n")
    return b"".join(out) + buf


def _reap(p, deadline):
    """(exit code, rusage) of p, or (None, None) if it does not exit by deadline."""
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return p.returncode, ru
        if time.monotonic() > deadline:
            return None, None
        time.sleep(0.01)


class GenResult:
    def __init__(self, rc, out, ticks, err_tail, elapsed):
        self.rc, self.ticks, self.err_tail, self.elapsed = rc, ticks, err_tail, elapsed
        self.data = None
        self.error = None
        if rc == 0:
            try:
                self.data = json.loads(out)
            except ValueError as e:
                self.error = f"generator output is not JSON ({e}): {out[:200]!r}"
        else:
            # its own message names the cause; EAL and driver lines around it do not
            own = [ln for ln in err_tail.splitlines() if ln.startswith("kvs-bench-gen")]
            why = own[-1] if own else ("killed: no report in time" if rc == -9 else
                                       err_tail.strip()[-600:])
            self.error = f"generator exit {rc}: {why}"


def run_gen(ctx, socks, queues, server, mode, size, macs, duration, warmup, inflight=None,
            rate=None, bidir=False, window=None, shape="udp", flows=None, on_event=None,
            ring="split"):
    """Run one generator window; window (cpu.Window) is started just before the fork and
    finished right after the reap, with the generator's own CPU time from wait4.
    on_event(name) is called at "window_start" and "window_end"."""
    prefix = ctx.procs.prefix("gen")
    argv = [str(ctx.gen_bin), "-l", str(ctx.gen_core), "--file-prefix", prefix,
            "--single-file-segments", "-m", "1024", "--no-pci",
            "--vdev", vdev(0, socks[0], queues, server, ring=ring),
            "--vdev", vdev(1, socks[1], queues, server, ring=ring),
            "--", "--mode", mode, "--shape", shape, "--size", str(size), "--queues",
            str(queues), "--macs", str(macs), "--flows", str(flows or macs),
            "--duration", f"{duration:g}", "--warmup", f"{warmup:g}",
            "--link-timeout", str(LINK_TIMEOUT), "--events"]
    if inflight:
        argv += ["--inflight", str(inflight)]
    if rate is not None:
        argv += ["--rate", str(int(rate))]
    if bidir:
        argv += ["--bidir"]
    ack = mode == "open"
    if ack:
        argv += ["--event-ack"]
    t0 = time.monotonic()
    if window:
        window.start()
    p = ctx.procs.spawn("gen", argv, prefix=prefix, stdout=subprocess.PIPE,
                        stdin=subprocess.PIPE if ack else subprocess.DEVNULL)
    # learning MACs and link-up come on top of warmup + duration
    limit = warmup + duration + LINK_TIMEOUT + 30 + macs / 20000
    out = _read_until_eof(p, time.monotonic() + limit, on_event, ack)
    if ack and p.stdin:
        p.stdin.close()
    rc, ru = _reap(p, time.monotonic() + 10)
    if rc is None:  # hung: kill it; its CPU time is then unknown
        ctx.procs.stop(p, timeout=5)
        rc, out = -9, b""
    ticks = cpu.rusage_ticks(ru) if ru else 0.0
    acct = window.finish(ticks) if window else None
    ctx.procs.stop(p, timeout=1)  # forgets it and removes its hugepage files
    res = GenResult(rc, out.decode(errors="replace"), ticks, ctx.procs.tail("gen", 8),
                    time.monotonic() - t0)
    res.acct = acct
    res.argv = argv
    return res


def run_testpmd_guest(ctx, sw, socks, queues, size, inflight, window, on_event, ring="split"):
    """One closed-loop window with the testpmd mac-forwarding guest (testpmd.TestpmdGuest)
    instead of kvs-bench-gen: same sockets, cores, rings and frames in flight. Returns a
    GenResult whose data has the fields of the generator's report that apply (rx_pps,
    rx_frames; lost and latency are not measured) and the guest's own counters."""
    g = T.TestpmdGuest(ctx)
    t0 = time.monotonic()
    window.start()
    try:
        g.start(socks, queues, sw.gen_server, size, check=sw.check, ring=ring)
        window.p0.update({pid: 0 for pid in g.pids()})  # all of the guest's CPU is ours
        d = g.run(inflight, ctx.warmup, ctx.window, lambda: on_event("window_start"),
                  lambda: on_event("window_end"))
        acct = window.finish()
    except (RuntimeError, TimeoutError, OSError) as e:
        acct = window.finish()
        res = GenResult(1, "", 0, str(e), time.monotonic() - t0)
        res.error = f"testpmd guest: {str(e).strip().splitlines()[0]}"
        res.acct = acct
        return res
    finally:
        g.stop()
    d.update(mode="closed", shape="udp", size=size, queues=queues, macs=1, flows=1,
             tx_pps=None, tx_frames=None, lost=None, tx_fail=None, reordered=None)
    res = GenResult(0, json.dumps(d), 0, "", time.monotonic() - t0)
    res.acct = acct
    return res


class IdleGuests:
    """n idle virtio-user guests on the given sockets."""

    def __init__(self, ctx, socks, server):
        self.ctx, self.socks, self.server = ctx, socks, server
        self.procs = []

    def start(self):
        for k in range(0, len(self.socks), IDLE_PER_PROC):
            chunk = self.socks[k:k + IDLE_PER_PROC]
            prefix = self.ctx.procs.prefix(f"idle{k // IDLE_PER_PROC}")
            # testpmd wants a forwarding lcore even if it never forwards; that EAL worker
            # thread blocks on its launch pipe, so the PMD core stays ours
            argv = [TESTPMD, "-l", f"{self.ctx.gen_core},{self.ctx.pmd_core}",
                    "--main-lcore", str(self.ctx.gen_core), "--file-prefix", prefix,
                    "--single-file-segments", "-m", "256", "--no-pci"]
            for i, s in enumerate(chunk):
                argv += ["--vdev", vdev(i, s, 1, self.server, queue_size=256)]
            argv += ["--", "-i", "--rxd=256", "--txd=256", "--total-num-mbufs=16384",
                     "--disable-link-check", "--no-lsc-interrupt", "--no-rmv-interrupt"]
            p = self.ctx.procs.spawn(f"idle{k // IDLE_PER_PROC}", argv, prefix=prefix,
                                     stdin=subprocess.PIPE, stop_timeout=10)
            self.procs.append(p)
        # a testpmd prompt means its ports are configured and started
        for i, p in enumerate(self.procs):
            P.wait_until(lambda i=i: "testpmd>" in self.ctx.procs.tail(f"idle{i}", 3), 240,
                         f"idle guest process {i} to start", check=lambda p=p: self._check(p))

    def _check(self, p):
        if p.poll() is not None:
            raise RuntimeError(f"idle guest process exited rc={p.returncode}")

    def pids(self):
        return [p.pid for p in self.procs if p.poll() is None]

    def stop(self):
        for p in self.procs:
            try:
                p.stdin.write(b"quit\n")
                p.stdin.flush()
            except OSError:
                pass
        for p in self.procs:
            self.ctx.procs.stop(p, timeout=10)
        self.procs = []
