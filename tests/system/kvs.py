# SPDX-License-Identifier: BSD-3-Clause
"""Runs a real kvswitchd for system tests and talks to it through kvsctl.

Each Switch lives in its own directory (config file, control socket, vhost
socket directory, log), so tests never share state.  Errors from kvsctl raise
KvsctlError carrying the daemon's message, which tests assert on.
"""
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("KVS_BUILD_DIR", REPO / "build"))
KVSWITCHD = BUILD / "control" / "kvswitchd"
KVSCTL = BUILD / "control" / "kvsctl"
# KVS_SYSTEST_NO_HUGE=1: kvswitchd runs EAL without hugepages (--no-huge; it
# maps the guests' memory through vhost-user whatever backs it).  .ci/run uses
# it for the sanitizer build's system tests.  Guests (kvs-guest) still use
# hugepages: with --no-huge their EAL start-up (4 KiB pages) took over 30 s
# on a loaded 2-core box.
NO_HUGE = os.environ.get("KVS_SYSTEST_NO_HUGE") == "1"
NO_HUGE_MEM_MB = 512


class KvsctlError(Exception):
    def __init__(self, args, rc, stderr):
        super().__init__(f"kvsctl {' '.join(args)} -> rc {rc}: {stderr.strip()}")
        self.rc = rc
        self.stderr = stderr


def hugepages_free():
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("HugePages_Free:"):
            return int(line.split()[1])
    return 0


class Switch:
    def __init__(self, workdir, name="sw", n_mbufs=16384):
        self.dir = Path(workdir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ctl = self.dir / "kvswitchd.ctl"
        self.conf = self.dir / "kvswitch.yaml"
        self.sockdir = self.dir / "sock"
        self.log = self.dir / "kvswitchd.log"
        self.proc = None
        self.n_mbufs = n_mbufs

    # ---- lifecycle ----
    def write_config(self, text):
        self.conf.write_text(text)

    def default_config(self):
        self.write_config(
            "open_vswitch:\n"
            "  other_config:\n"
            f"    vhost-sock-dir: {self.sockdir}\n"
            f"    n-mbufs: {self.n_mbufs}\n")

    def start(self, timeout=30, expect_ok=True):
        if not self.conf.exists():
            self.default_config()
        logf = open(self.log, "ab")
        extra = ["--no-huge", "--mem", str(NO_HUGE_MEM_MB)] if NO_HUGE else []
        self.proc = subprocess.Popen(
            [str(KVSWITCHD), "--config", str(self.conf), "--unixctl", str(self.ctl), *extra],
            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        logf.close()
        if not expect_ok:
            return self.proc
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kvswitchd exited rc={self.proc.returncode}:\n"
                                   + self.log_text()[-3000:])
            if self.ctl.exists():
                try:
                    self.vsctl("version")
                    return self.proc
                except KvsctlError:
                    pass
            time.sleep(0.1)
        self.kill()  # do not leave a spinning PMD behind for the next tests
        raise RuntimeError("kvswitchd did not come up:\n" + self.log_text()[-3000:])

    def _rpc_close(self):
        if getattr(self, "_rpc", None) is not None:
            self._rpc_in.close()
            self._rpc.close()
            self._rpc = None

    def stop(self):
        self._rpc_close()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self):
        """SIGKILL: a crash, no clean-up at all."""
        self._rpc_close()
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # ---- control ----
    def vsctl(self, *args, check=True, fmt=None):
        cmd = [str(KVSCTL), "--unixctl", str(self.ctl)]
        if fmt:
            cmd += ["--format", fmt]
        cmd += [str(a) for a in args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise KvsctlError([str(a) for a in args], r.returncode, r.stderr)
        return r if not check else r.stdout

    def rpc(self, method, params=None):
        """One request on the control socket without spawning kvsctl (for tests that make
        hundreds of changes); the connection is kept. Raises KvsctlError on an error."""
        req = {"id": 1, "method": method, "params": params if params is not None else {}}
        for attempt in (0, 1):
            if getattr(self, "_rpc", None) is None:
                self._rpc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self._rpc.connect(str(self.ctl))
                self._rpc_in = self._rpc.makefile("r")
            try:
                self._rpc.sendall((json.dumps(req) + "\n").encode())
                line = self._rpc_in.readline()
            except (BrokenPipeError, ConnectionResetError):
                line = ""
            if line or attempt:
                break
            # the daemon closes connections idle for 30 s (control/rpc.c): reconnect
            self._rpc_close()
        resp = json.loads(line)
        if "error" in resp:
            raise KvsctlError([method], 1, resp["error"]["message"])
        return resp["result"]["data"]

    def json(self, *args):
        return json.loads(self.vsctl(*args, fmt="json"))

    def sock(self, port):
        return str(self.sockdir / port)

    def port_stats(self, port):
        return self.json("port-stats", port)[0]

    def mbufs_in_use(self):
        return sum(p["in_use"] for p in self.json("memory/show")["mbuf_pools"])

    def mbufs_at_rest(self, samples=10, gap=0.02):
        """The fewest mbufs in use over `samples` reads `gap` s apart: a baseline taken while
        guests already send can otherwise catch a burst in a PMD's hands."""
        least = self.mbufs_in_use()
        for _ in range(samples - 1):
            time.sleep(gap)
            least = min(least, self.mbufs_in_use())
        return least

    def port_status(self, port):
        for br in self.json("show")["bridges"]:
            for p in br["ports"]:
                if p["name"] == port:
                    return p.get("status", {})
        raise KeyError(port)

    def wait_for(self, pred, timeout=10, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def wait_connected(self, port, connected=True, timeout=15):
        self.wait_for(lambda: self.port_status(port).get("connected") == connected, timeout,
                      f"port {port} connected={connected}")

    def wait_mbufs(self, baseline, timeout=5):
        """Wait until the mbuf pools are back to `baseline` in use."""
        try:
            self.wait_for(lambda: self.mbufs_in_use() == baseline, timeout, "mbuf baseline")
        except AssertionError:
            raise AssertionError(f"mbufs in use {self.mbufs_in_use()} != baseline {baseline}")
