# SPDX-License-Identifier: BSD-3-Clause
"""kvswitchd as a systemd service, without systemd as PID 1: the sd_notify
protocol against a NOTIFY_SOCKET the test binds (READY=1 only once the
configuration is applied and every server socket exists, STATUS= lines,
WATCHDOG=1 at the interval WATCHDOG_USEC asks, never READY=1 for a
configuration that cannot be applied), SIGHUP reload (all or nothing, the
file's line number on a refusal), journald priority prefixes, the unit file
(systemd-analyze verify) and `meson install`."""
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import need_hugepages
from kvs import BUILD, KVSWITCHD, Switch

STATUS_RE = re.compile(r"^\d+ bridges?, \d+ ports?, \d+ PMDs?( \(\d+ ports? not open\))?"
                       r"(; last reload refused \(see the log\))?$")


class Notify:
    """The service manager's end of the sd_notify protocol: a datagram socket
    the daemon finds through NOTIFY_SOCKET; every message is kept with the
    time it arrived."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.msgs = []  # (monotonic time, {key: value})

    def recv(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        fields = {}
        for line in data.decode().split("\n"):
            if line:
                k, _, v = line.partition("=")
                fields[k] = v
        self.msgs.append((time.monotonic(), fields))
        return fields

    def wait(self, pred, timeout, proc=None, on_msg=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.recv(min(0.2, deadline - time.monotonic()))
            if m is not None:
                if on_msg:
                    on_msg(m)
                if pred(m):
                    return m
            elif proc is not None and proc.poll() is not None:
                return None
        return None

    def close(self):
        self.sock.close()


def start(sw, notify=None, extra_env=None, log=None):
    """Start kvswitchd for `sw` with the environment systemd would give it."""
    env = dict(os.environ)
    for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"):
        env.pop(k, None)
    if notify is not None:
        env["NOTIFY_SOCKET"] = notify.path
    env.update(extra_env or {})
    logf = open(log or sw.log, "ab")
    sw.proc = subprocess.Popen(
        [str(KVSWITCHD), "--config", str(sw.conf), "--unixctl", str(sw.ctl)],
        stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    logf.close()
    return sw.proc


def config(sw, ports, extra=""):
    text = ("open_vswitch:\n"
            "  other_config:\n"
            f"    vhost-sock-dir: {sw.sockdir}\n"
            f"    n-mbufs: {sw.n_mbufs}\n"
            "bridges:\n"
            "  br0:\n"
            "    ports:\n")
    for p in ports:
        text += f"      {p}: {{type: dpdkvhostuser}}\n"
    return text + extra


@pytest.fixture
def svc(tmp_path):
    need_hugepages()
    sw = Switch(tmp_path)
    notify = Notify(tmp_path / "notify.sock")
    yield sw, notify
    sw.stop()
    notify.close()


def wait_ready(sw, notify, timeout=60):
    m = notify.wait(lambda m: m.get("READY") == "1", timeout, sw.proc)
    assert m is not None, "no READY=1; log:\n" + sw.log_text()[-3000:]
    return m


def test_ready_only_after_sockets_exist(svc):
    sw, notify = svc
    sw.write_config(config(sw, ["vm1", "vm2"]))
    start(sw, notify)
    seen = []

    def check(m):
        # what exists at the moment each message arrives
        seen.append((dict(m), sw.ctl.is_socket(), (sw.sockdir / "vm1").is_socket(),
                     (sw.sockdir / "vm2").is_socket()))

    m = notify.wait(lambda m: m.get("READY") == "1", 60, sw.proc, on_msg=check)
    assert m is not None, "no READY=1; log:\n" + sw.log_text()[-3000:]
    # the control socket answers at once, and both vhost server sockets exist
    assert sw.vsctl("list-ports", "br0").split() == ["vm1", "vm2"]
    assert seen[-1][1:] == (True, True, True), seen
    assert m.get("STATUS") == "1 bridge, 2 ports, 1 PMD", m
    for fields, *_ in seen:
        if "STATUS" in fields:
            assert STATUS_RE.match(fields["STATUS"]), fields
    # no watchdog asked, none sent
    assert notify.wait(lambda m: "WATCHDOG" in m, 1.5) is None


def test_status_follows_kvsctl_changes(svc):
    sw, notify = svc
    sw.write_config(config(sw, ["vm1"]))
    start(sw, notify)
    wait_ready(sw, notify)
    sw.vsctl("add-port", "br0", "vm2", "--", "set", "Interface", "vm2", "type=dpdkvhostuser")
    m = notify.wait(lambda m: "STATUS" in m, 5, sw.proc)
    assert m is not None and m["STATUS"] == "1 bridge, 2 ports, 1 PMD", notify.msgs


def test_watchdog_at_half_the_interval(svc):
    sw, notify = svc
    sw.write_config(config(sw, ["vm1"]))
    start(sw, notify, {"WATCHDOG_USEC": "1000000"})
    wait_ready(sw, notify)
    t0 = time.monotonic()
    pings = []
    while time.monotonic() - t0 < 4.0:
        m = notify.recv(0.2)
        if m is not None and m.get("WATCHDOG") == "1":
            pings.append(notify.msgs[-1][0])
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    # every 0.5 s (half of WATCHDOG_USEC, as sd_watchdog_enabled(3) advises):
    # 7..9 in 4 s, and never a gap the service manager would call a hang
    assert 6 <= len(pings) <= 10, pings
    assert max(gaps) < 1.0, gaps
    assert min(gaps) > 0.3, gaps


def test_watchdog_for_another_pid_is_ignored(svc):
    sw, notify = svc
    sw.write_config(config(sw, ["vm1"]))
    start(sw, notify, {"WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"})
    wait_ready(sw, notify)
    assert notify.wait(lambda m: "WATCHDOG" in m, 1.5) is None


@pytest.mark.parametrize("bad,line", [
    ("      vm9: {type: dpdkvhostuser, tag: 5000}\n", 9),   # out of range
    ("      vm9: {type: dpdkvhostuser, colour: red}\n", 9),  # unknown key
    ("      vm9: {type: dpdkvhostuser\n", None),              # YAML syntax
])
def test_unappliable_config_never_ready(svc, bad, line):
    sw, notify = svc
    sw.write_config(config(sw, ["vm1"]) + bad)
    proc = start(sw, notify)
    m = notify.wait(lambda m: m.get("READY") == "1", 30, proc)
    assert m is None, notify.msgs
    assert proc.wait(30) == 1
    assert not sw.ctl.exists()
    if line:
        assert f"{sw.conf}:{line}:" in sw.log_text(), sw.log_text()[-2000:]


def sighup_and_wait(sw, notify):
    sw.proc.send_signal(signal.SIGHUP)
    m = notify.wait(lambda m: m.get("READY") == "1", 30, sw.proc)
    assert m is not None, "no READY=1 after the reload:\n" + sw.log_text()[-3000:]
    assert any(f.get("RELOADING") == "1" for _, f in notify.msgs)
    return m


def test_sighup_applies_one_more_port(svc):
    sw, notify = svc
    sw.write_config(config(sw, ["vm1"]))
    start(sw, notify)
    wait_ready(sw, notify)
    # hand-edited: a comment and one more port
    sw.write_config("# edited by hand\n" + config(sw, ["vm1", "vm2"]))
    m = sighup_and_wait(sw, notify)
    assert m["STATUS"] == "1 bridge, 2 ports, 1 PMD", m
    assert sw.vsctl("list-ports", "br0").split() == ["vm1", "vm2"]
    assert (sw.sockdir / "vm2").is_socket()
    assert "kvswitchd: reloaded" in sw.log_text()


@pytest.mark.parametrize("edit,line,why", [
    # a bad value on line 10, after a port that would be fine
    ("      vm2: {type: dpdkvhostuser}\n      vm3: {type: dpdkvhostuser, tag: 5000}\n",
     10, "tag"),
    # a device that cannot be opened: the whole file is refused, vm2 too
    ("      vm2: {type: dpdkvhostuser}\n"
     "      up0: {type: dpdk, options: {dpdk-devargs: \"net_nonexistent0\"}}\n",
     None, "up0"),
])
def test_sighup_bad_file_changes_nothing(svc, edit, line, why):
    sw, notify = svc
    sw.write_config(config(sw, ["vm1"]))
    start(sw, notify)
    wait_ready(sw, notify)
    before = sw.vsctl("show")
    sw.write_config(config(sw, ["vm1"]) + edit)
    m = sighup_and_wait(sw, notify)
    assert m["STATUS"] == "1 bridge, 1 port, 1 PMD; last reload refused (see the log)", m
    assert sw.vsctl("show") == before
    assert not (sw.sockdir / "vm2").exists()
    log = sw.log_text()
    refused = [ln for ln in log.splitlines() if "reload refused" in ln]
    assert len(refused) == 1, log[-3000:]
    assert why in refused[0]
    if line:
        assert f"{sw.conf}:{line}:" in refused[0], refused
    # the operator's file is left as they wrote it, to be fixed
    assert "vm2" in sw.conf.read_text()
    # and a good file afterwards is applied
    sw.write_config(config(sw, ["vm1", "vm2"]))
    m = sighup_and_wait(sw, notify)
    assert m["STATUS"] == "1 bridge, 2 ports, 1 PMD", m


def test_journal_priority_prefixes(svc, tmp_path):
    sw, notify = svc
    sw.write_config(config(sw, ["vm1"]))
    log = tmp_path / "journal.log"
    log.touch()
    st = os.stat(log)
    # stderr "is the journal" when JOURNAL_STREAM names its device and inode
    start(sw, notify, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}, log=log)
    wait_ready(sw, notify)
    sw.write_config(config(sw, ["vm1"]) + "      vm9: {type: dpdkvhostuser, tag: 5000}\n")
    sighup_and_wait(sw, notify)
    sw.stop()
    lines = [ln for ln in log.read_text().splitlines() if ln]
    assert lines
    bad = [ln for ln in lines if not re.match(r"^<[0-7]>[^<]", ln)]
    assert not bad, bad
    assert any(ln.startswith("<6>kvswitchd: ready") for ln in lines), lines
    assert any(ln.startswith("<3>kvswitchd: reload refused") for ln in lines), lines
    assert any(ln.startswith("<6>kvswitchd: exiting") for ln in lines), lines
    assert any(re.match(r"^<6>control: PMD \d+ started", ln) for ln in lines), lines
    # without JOURNAL_STREAM (a terminal, a test log): plain lines
    assert not re.match(r"^<\d>", sw.log_text() or "plain")


def test_unit_file_verifies(tmp_path):
    unit = BUILD / "configs" / "kvswitch.service"
    if not unit.exists():
        pytest.skip(f"{unit} not built")
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed (package systemd)")
    text = unit.read_text()
    m = re.search(r"^ExecStart=(\S+)", text, re.M)
    assert m and m.group(1).endswith("/sbin/kvswitchd"), text
    # verify checks that ExecStart's binary exists: point it at the build
    copy = tmp_path / "kvswitch.service"
    copy.write_text(text.replace(m.group(1), str(KVSWITCHD)))
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "kvswitch.service" not in r.stderr, r.stderr
    for want in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
                 "RuntimeDirectory=kvswitch", "LimitMEMLOCK=infinity", "WatchdogSec="):
        assert want in text


def test_meson_install_keeps_an_edited_config(tmp_path):
    if not (BUILD / "build.ninja").exists():
        pytest.skip(f"{BUILD} is not a meson build directory")
    dest = tmp_path / "dest"

    def install():
        r = subprocess.run(["meson", "install", "-C", str(BUILD), "--no-rebuild", "--destdir",
                            str(dest)], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr

    install()
    files = {str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()}
    conf = [f for f in files if f.endswith("etc/kvswitch/kvswitch.yaml")]
    assert len(conf) == 1, files
    for want in ("sbin/kvswitchd", "bin/kvsctl", "man/man8/kvswitchd.8", "man/man8/kvsctl.8",
                 "man/man5/kvswitch.yaml.5", "systemd/system/kvswitch.service",
                 "doc/kvswitch/operations.md", "doc/kvswitch/examples/example-full.yaml"):
        assert any(f.endswith(want) for f in files), (want, sorted(files))
    for page in [f for f in files if "/man/man" in f]:
        r = subprocess.run(["man", "-l", str(dest / page)], capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat"),
                           timeout=60)
        assert r.returncode == 0 and "NAME" in r.stdout, (page, r.stderr)
    installed = dest / conf[0]
    installed.write_text(installed.read_text() + "# the operator's edit\n")
    install()
    assert installed.read_text().endswith("# the operator's edit\n")
