# SPDX-License-Identifier: BSD-3-Clause
"""Drive kvs-guest (tests/tools/kvs_guest.c) from Python tests.

kvs-guest is a "guest without a VM": a DPDK process with one virtio-user port that plugs into a
vhost-user socket like a VM's virtio-net would. It takes one command per line on stdin and
answers one JSON line on stdout. Guest starts it, talks to it and cleans up after it:

    with Guest("/tmp/x/vm1.sock", mac="52:54:00:00:00:01", ip="10.0.0.1/24") as g1:
        g1.link()
        g1.send(dst="52:54:00:00:00:02", count=1000, vlan=10)
        print(g1.stats()["tx"]["total"])

The binary is $KVS_BUILD_DIR/tests/tools/kvs-guest (KVS_BUILD_DIR defaults to <repo>/build).
Its stderr goes to <log_dir>/<name>.log (a fresh temporary directory unless log_dir is given).
Only the standard library is used.
"""

import atexit
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def build_dir():
    return Path(os.environ.get("KVS_BUILD_DIR", REPO / "build"))


def guest_binary():
    # KVS_GUEST_BUILD_DIR: guests from another build than the switch under
    # test (.ci/run's sanitizer pass tests kvswitchd, not the test tool)
    guest_build = Path(os.environ.get("KVS_GUEST_BUILD_DIR", build_dir()))
    return guest_build / "tests" / "tools" / "kvs-guest"


def hugepages_free():
    """Free hugepages of the default size (0 when hugetlbfs is not usable)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Free:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def remove_runtime_dir(prefix):
    """DPDK leaves <runtime>/dpdk/<file-prefix>/ behind (empty with --in-memory); drop ours."""
    base = "/var/run" if os.geteuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp")
    shutil.rmtree(os.path.join(base, "dpdk", prefix), ignore_errors=True)


class GuestError(RuntimeError):
    """kvs-guest answered {"error": ...}, died, or did not answer in time."""


def _words(kw):
    out = []
    for key, value in kw.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = int(value)
        out.append(f"{key}={value}")
    return out


class Guest:
    """One kvs-guest process attached to vhost-user socket `sock`.

    server=True makes the guest the vhost-user server (it creates the socket and its start
    blocks until the switch connects: pass wait=False and call wait_ready() after starting the
    switch). queue_size sets the virtio ring size (deeper rings ride out scheduling hiccups
    when guests share a core). eal_args and args are appended to the EAL and tool arguments.
    queues is the device's (the vdev's queues=): the guest enables them all unless args has
    "--queues", "N" (then only the first N, see also set_queues()). vdev_opts are more of
    virtio-user's devargs, e.g. ("packed_vq=1",) for packed virtqueues.
    """

    _count = itertools.count()
    _live = set()

    def __init__(self, sock, mac, ip=None, gid=0, queues=1, server=False, lcore=0, mem_mb=128,
                 queue_size=1024, mtu=None, name=None, log_dir=None, eal_args=(), args=(),
                 wait=True, start_timeout=30, vdev_opts=()):
        n = next(Guest._count)
        self.sock = str(sock)
        self.mac = mac.lower()
        self.ip = ip.split("/")[0] if ip else None
        self.server = server
        self.name = name or f"guest{n}"
        self.prefix = f"kvsg{os.getpid()}_{n}"
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="kvs-guest-logs-"))
        self.log_path = self.log_dir / f"{self.name}.log"
        self.returncode = None
        vdev = f"net_virtio_user0,path={self.sock},queues={queues},queue_size={queue_size}"
        vdev += f",mac={self.mac}" + (",server=1" if server else "")
        vdev += "".join(f",{o}" for o in vdev_opts)
        argv = [str(guest_binary()), "-l", str(lcore), "--no-pci", "--in-memory",
                "--single-file-segments", "-m", str(mem_mb), "--file-prefix", self.prefix,
                "--vdev", vdev, *eal_args, "--", "--mac", self.mac, "--id", str(gid)]
        if ip:
            argv += ["--ip", ip]
        if mtu:
            argv += ["--mtu", str(mtu)]
        argv += list(args)
        self.argv = argv
        self._buf = b""
        with open(self.log_path, "wb") as log:
            log.write(("$ " + " ".join(argv) + "\n").encode())
            log.flush()
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log, start_new_session=True)
        Guest._live.add(self)
        if wait:
            try:
                self.wait_ready(start_timeout)
            except Exception:
                self.close()
                raise

    def __repr__(self):
        return f"<Guest {self.name} {self.mac} {self.sock}>"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- plumbing ----

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _fail(self, what):
        return GuestError(f"{self.name}: {what}\n--- {self.log_path} (tail) ---\n"
                          f"{self.log_tail()}")

    def _readline(self, timeout):
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._fail(f"no answer within {timeout:.0f} s")
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not ready:
                if self.proc.poll() is not None:
                    raise self._fail(f"exited with {self.proc.returncode}")
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self.proc.wait(5)
                raise self._fail(f"exited with {self.proc.returncode}")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode()

    def cmd(self, line, timeout=60, check=True):
        """Send one command line, return the parsed answer; GuestError on {"error": ...}."""
        if self.proc.poll() is not None:
            raise self._fail(f"not running (exit code {self.proc.returncode})")
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise self._fail("stdin closed") from None
        text = self._readline(timeout)
        try:
            answer = json.loads(text)
        except ValueError:
            raise self._fail(f"bad JSON answer to {line!r}: {text!r}") from None
        if check and "error" in answer:
            raise GuestError(f"{self.name}: {line!r}: {answer['error']}")
        return answer

    def wait_ready(self, timeout=30):
        """Wait until the port is up and the command loop answers (EAL init can take a while,
        and in server mode it waits for the switch to connect)."""
        return self.cmd("queues", timeout=timeout)

    # ---- commands ----

    def link(self, timeout_ms=5000):
        return self.cmd(f"link timeout_ms={timeout_ms}", timeout=timeout_ms / 1000 + 30)

    def queues(self):
        return self.cmd("queues")

    def set_queues(self, n):
        """Use n queue pairs from now on, like `ethtool -L eth0 combined n` in a Linux guest:
        the port restarts with n rx/tx queues and virtio-user enables the first n queue pairs
        on the vhost-user side (VHOST_USER_SET_VRING_ENABLE) and disables the others. n ranges
        over 1..queues (the vdev's). DPDK 22.11's virtio-user turns the control queue on by
        itself whenever queues > 1, so no cq=1 is needed. Frames that reach the guest while
        its port restarts (typically well under a millisecond) are lost. Returns {"queues": n}."""
        return self.cmd(f"set-queues n={n}")

    def send(self, dst=None, **kw):
        """send dst=MAC [src= vlan= pcp= count= size= queue=Q|all stream= ethertype= raw= pps=
        srcs=N (source MACs stepping through N values)]"""
        count, pps = kw.get("count", 1), kw.get("pps", 50000) or 1000000
        words = " ".join(["send"] + _words({"dst": dst, **kw}))
        return self.cmd(words, timeout=60 + count / pps)

    def stream_start(self, dst, **kw):
        """stream start dst=MAC [src= vlan= pcp= size= pps= stream= queue= ethertype=]"""
        return self.cmd(" ".join(["stream start"] + _words({"dst": dst, **kw})))

    def stream_stop(self):
        return self.cmd("stream stop")

    def stats(self):
        return self.cmd("stats")

    def reset(self):
        return self.cmd("reset")

    def quiet(self, idle_ms=200, timeout_ms=5000):
        return self.cmd(f"quiet idle_ms={idle_ms} timeout_ms={timeout_ms}",
                        timeout=timeout_ms / 1000 + 30)

    def wait_rx(self, total, timeout=10, idle_ms=200):
        """Wait until at least `total` frames have arrived since the last reset (a busy switch
        may forward late), then until nothing more arrives for idle_ms; return stats()."""
        deadline = time.monotonic() + timeout
        while self.stats()["rx"]["total"] < total and time.monotonic() < deadline:
            time.sleep(0.02)
        self.quiet(idle_ms=idle_ms)
        return self.stats()

    def ping(self, ip, count=3, timeout_ms=3000, vlan=None, interval_ms=None):
        """Echo requests one at a time (interval_ms apart); the answer has "rtt_us" {min, avg,
        p50, p99, max} when any was answered."""
        words = ["ping"] + _words({"ip": ip, "count": count, "timeout_ms": timeout_ms,
                                   "vlan": vlan, "interval_ms": interval_ms})
        return self.cmd(" ".join(words), timeout=timeout_ms / 1000 + 30)

    def quit(self, timeout=15):
        """Ask the tool to quit; returns its exit code."""
        self.cmd("quit")
        return self.wait(timeout)

    # ---- lifetime ----

    def wait(self, timeout=15):
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise self._fail(f"still running {timeout} s after quit") from None
        self._cleanup_files()
        return self.returncode

    def close(self):
        """Stop the process, however it is doing: EOF on stdin (= quit), then SIGTERM, then
        SIGKILL. Safe to call more than once."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            for sig in (None, signal.SIGTERM, signal.SIGKILL):
                if sig is not None:
                    try:
                        os.killpg(self.proc.pid, sig)
                    except ProcessLookupError:
                        break
                try:
                    self.proc.wait(5)
                    break
                except subprocess.TimeoutExpired:
                    continue
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        self.returncode = self.proc.poll()
        self._cleanup_files()
        Guest._live.discard(self)

    def _cleanup_files(self):
        if self.proc.poll() is not None:
            remove_runtime_dir(self.prefix)
        if self.server:  # the socket is ours to remove
            try:
                os.unlink(self.sock)
            except OSError:
                pass


@atexit.register
def _close_leftovers():
    for g in list(Guest._live):
        g.close()
