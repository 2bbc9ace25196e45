# SPDX-License-Identifier: BSD-3-Clause
"""Open vSwitch's own tools around kvswitchd in OVSDB mode: a real
ovsdb-server on the stock schema (Debian's openvswitch-common), the real
ovs-vsctl and ovs-appctl, and a kvswitchd started with --ovsdb.  Nothing of
OVS's services is started: each test gets its own database, sockets and run
directory under its tmp_path."""
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from kvs import KVSWITCHD, NO_HUGE, NO_HUGE_MEM_MB, Switch

SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
TOOLS = ("ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovs-appctl")


def need_ovs():
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing or not SCHEMA.exists():
        pytest.skip(f"needs Open vSwitch's {', '.join(missing) or SCHEMA} "
                    "(Debian: openvswitch-common, openvswitch-switch; bash .ci/install-deps)")


class OvsdbServer:
    """ovsdb-server holding the Open_vSwitch database, on a unix socket."""

    def __init__(self, workdir, sock=None):
        self.dir = Path(workdir) / "ovsdb"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db = self.dir / "conf.db"
        # sock: OVS_RUNDIR/db.sock is where ovs-vsctl looks without --db
        self.sock = Path(sock) if sock else self.dir / "db.sock"
        self.remote = f"unix:{self.sock}"
        self.proc = None
        if not self.db.exists():
            subprocess.run(["ovsdb-tool", "create", str(self.db), str(SCHEMA)], check=True)

    def start(self):
        log = open(self.dir / "ovsdb-server.log", "ab")
        self.proc = subprocess.Popen(
            ["ovsdb-server", str(self.db), f"--remote=punix:{self.sock}",
             f"--unixctl={self.dir / 'ovsdb-server.ctl'}", "--no-chdir"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.time() + 10
        while not self.sock.exists():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("ovsdb-server did not start: "
                                   + (self.dir / "ovsdb-server.log").read_text()[-2000:])
            time.sleep(0.05)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class OvsSwitch(Switch):
    """kvswitchd --ovsdb: configured through ovs-vsctl, observed through both
    ovs-vsctl and kvsctl (whose views still work in this mode)."""

    def __init__(self, workdir, ovsdb, name="sw", rundir=None):
        super().__init__(workdir, name)
        self.ovsdb = ovsdb
        self.rundir = Path(rundir) if rundir else self.dir / "run"
        self.sockdir = self.rundir  # OVS puts vhost-user server sockets there
        self.rundir.mkdir(exist_ok=True)

    def start(self, timeout=30, expect_ok=True):
        logf = open(self.log, "ab")
        extra = ["--no-huge", "--mem", str(NO_HUGE_MEM_MB)] if NO_HUGE else []
        self.proc = subprocess.Popen(
            [str(KVSWITCHD), "--ovsdb", self.ovsdb.remote, "--ovs-rundir", str(self.rundir),
             "--unixctl", str(self.ctl), *extra],
            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        logf.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kvswitchd exited rc={self.proc.returncode}:\n"
                                   + self.log_text()[-3000:])
            if self.ctl.exists() and self.vsctl("version", check=False).returncode == 0:
                return self.proc
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("kvswitchd did not come up:\n" + self.log_text()[-3000:])

    def ovs_vsctl(self, *args, check=True, timeout=20):
        """The real ovs-vsctl on this switch's database; stdout, or the result with
        check=False."""
        cmd = ["ovs-vsctl", f"--db={self.ovsdb.remote}", f"--timeout={timeout}",
               *[str(a) for a in args]]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 10,
                           env={**os.environ, "OVS_RUNDIR": str(self.rundir)})
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} -> rc {r.returncode}: {r.stderr}")
        return r.stdout if check else r

    def ovs_appctl(self, *args, check=True):
        """The real ovs-appctl, finding kvswitchd the way it finds ovs-vswitchd (the
        pidfile in OVS_RUNDIR)."""
        r = subprocess.run(["ovs-appctl", "--timeout=20", *[str(a) for a in args]],
                           capture_output=True, text=True, timeout=30,
                           env={**os.environ, "OVS_RUNDIR": str(self.rundir)})
        if check and r.returncode != 0:
            raise AssertionError(f"ovs-appctl {' '.join(map(str, args))} -> rc {r.returncode}: "
                                 f"{r.stderr}")
        return r.stdout if check else r

    def get(self, table, record, column):
        return self.ovs_vsctl("get", table, record, column).strip()

    def ovs_map(self, table, record, column):
        """A map column as a dict, read the way libvirt reads statistics
        (--format=json, OVSDB's ["map", [[k, v], ...]])."""
        out = json.loads(self.ovs_vsctl("--format=json", f"--columns={column}", "list",
                                        table, record))
        kind, pairs = out["data"][0][0]
        assert kind == "map", out
        return dict(pairs)
