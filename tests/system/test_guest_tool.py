# SPDX-License-Identifier: BSD-3-Clause
"""Tests of kvs-guest itself, against dpdk-testpmd as a trivial vhost "switch".

testpmd owns two vhost-user server ports (SOCK0, SOCK1) and forwards in io mode: port 0 <->
port 1, rx queue i -> tx queue i. Guest g1 sits on SOCK0 and g2 on SOCK1, so whatever g1 sends
g2 receives, unchanged and on the same queue number.

Run: KVS_BUILD_DIR=/work/main/build-guest python3 -m pytest -v tests/system/test_guest_tool.py
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from guest import (Guest, GuestError, guest_binary, hugepages_free,  # noqa: E402
                   remove_runtime_dir)

TESTPMD = "/usr/bin/dpdk-testpmd"
NEEDED_HUGEPAGES = 256  # testpmd 256 MiB + two guests of 128 MiB, in 2 MiB pages
MAC1, MAC2 = "52:54:00:00:00:01", "52:54:00:00:00:02"
IP1, IP2 = "10.0.0.1", "10.0.0.2"
QUEUES = 2


def skip_reason():
    if not os.path.exists(TESTPMD):
        return f"{TESTPMD} is missing (apt-get install dpdk)"
    if not guest_binary().exists():
        return f"{guest_binary()} is not built (set KVS_BUILD_DIR)"
    if os.geteuid() != 0:
        return "needs root for hugepages and vhost-user"
    if hugepages_free() < NEEDED_HUGEPAGES:
        return (f"needs {NEEDED_HUGEPAGES} free hugepages, have {hugepages_free()} "
                "(echo 2048 > /proc/sys/vm/nr_hugepages)")
    return None


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    reason = skip_reason()
    if reason:
        print(f"skipping kvs-guest tests: {reason}", file=sys.stderr)
        pytest.skip(reason)
    # Sockets get a short path of their own (sun_path is 108 bytes); logs stay with pytest.
    sockdir = Path(tempfile.mkdtemp(prefix="kvsg-"))
    logdir = tmp_path_factory.mktemp("kvs-guest-logs")
    yield sockdir, logdir
    shutil.rmtree(sockdir, ignore_errors=True)


class VhostForwarder:
    def __init__(self, sockdir, logdir):
        self.socks = [str(sockdir / f"sock{i}") for i in range(2)]
        self.log_path = logdir / "testpmd.log"
        self.prefix = f"kvsgtp{os.getpid()}"
        argv = [TESTPMD, "-l", "0,1", "--no-pci", "--in-memory", "-m", "256",
                "--file-prefix", self.prefix]
        for i, sock in enumerate(self.socks):
            argv += ["--vdev", f"net_vhost{i},iface={sock},queues={QUEUES}"]
        argv += ["--", "--forward-mode=io", f"--rxq={QUEUES}", f"--txq={QUEUES}",
                 "--nb-cores=1", "--total-num-mbufs=16384", "--auto-start"]
        with open(self.log_path, "wb") as log:
            # Non-interactive testpmd forwards until a key arrives on stdin (or it gets EOF).
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while not all(os.path.exists(s) for s in self.socks):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"testpmd did not come up, see {self.log_path}:\n"
                                   + self.log_path.read_text(errors="replace")[-3000:])
            time.sleep(0.1)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # EOF: testpmd stops forwarding and exits
            except OSError:
                pass
            for sig in (None, signal.SIGTERM, signal.SIGKILL):
                if sig:
                    try:
                        os.killpg(self.proc.pid, sig)
                    except ProcessLookupError:
                        break
                try:
                    self.proc.wait(10)
                    break
                except subprocess.TimeoutExpired:
                    pass
        for sock in self.socks:
            if os.path.exists(sock):
                os.unlink(sock)
        if self.proc.poll() is not None:
            remove_runtime_dir(self.prefix)


@pytest.fixture(scope="module")
def testpmd(workdir):
    pmd = VhostForwarder(*workdir)
    yield pmd
    pmd.close()


def wait_path(src, dst, tries=20):
    """Send single frames src -> dst until one arrives: the vhost side may get ready a little
    after the guest sees its link up. Counters are reset afterwards."""
    for _ in range(tries):
        src.send(dst=dst.mac, stream=65535)
        if dst.wait_rx(1, timeout=0.5, idle_ms=50)["rx"]["total"] > 0:
            src.reset()
            dst.reset()
            return
        time.sleep(0.1)
    raise AssertionError(f"no frame made it from {src.name} to {dst.name}")


@pytest.fixture
def guests(testpmd, workdir):
    _, logdir = workdir
    started = []
    try:
        g1 = Guest(testpmd.socks[0], MAC1, ip=f"{IP1}/24", gid=1, queues=QUEUES, name="g1",
                   log_dir=logdir)
        started.append(g1)
        g2 = Guest(testpmd.socks[1], MAC2, ip=f"{IP2}/24", gid=2, queues=QUEUES, name="g2",
                   log_dir=logdir)
        started.append(g2)
        for g in started:
            assert g.link()["link"], f"{g.name}: link down"
        wait_path(g1, g2)
        wait_path(g2, g1)
        yield g1, g2
    finally:
        for g in started:
            g.close()


def stream_of(stats, sender, stream):
    return stats["rx"]["streams"].get(f"{sender}:{stream}")


def test_link_and_queues(guests):
    for g in guests:
        assert g.link(timeout_ms=1000) == {"link": True, "queues": QUEUES}
        assert g.queues() == {"rx_queues": QUEUES, "tx_queues": QUEUES}


def test_send_1000(guests):
    g1, g2 = guests
    assert g1.send(dst=g2.mac, count=1000, stream=7) == {"sent": 1000, "failed": 0}
    rx = g2.wait_rx(1000)["rx"]
    assert rx["total"] == 1000
    assert rx["by_src"] == {g1.mac: 1000}
    assert rx["by_dst"] == {g2.mac: 1000}
    assert rx["by_vlan"] == {"0": 1000}
    s = stream_of(g2.stats(), 1, 7)
    gap = s.pop("max_gap_us")
    assert s == {"count": 1000, "max_seq": 1000, "out_of_order": 0, "dup": 0}
    # 1000 frames paced at 50000 pps: 20 us apart, the longest silence well under a second
    assert 0 < gap < 1e6, gap
    last = rx["last"][-1]
    assert (last["src"], last["dst"], last["ethertype"], last["length"]) == (
        g1.mac, g2.mac, 0x88b5, 64)
    tx = g1.stats()["tx"]
    assert tx["total"] == 1000 and tx["failed"] == 0
    # Sequence numbers go on per stream id across sends.
    g1.send(dst=g2.mac, count=10, stream=7)
    g2.wait_rx(1010)
    assert stream_of(g2.stats(), 1, 7)["max_seq"] == 1010


def test_vlan_counted(guests):
    g1, g2 = guests
    g1.send(dst=g2.mac, count=100, vlan=10, stream=1)
    g1.send(dst=g2.mac, count=30, stream=3)
    g1.send(dst=g2.mac, count=50, vlan=20, pcp=5, stream=2, size=128)
    rx = g2.wait_rx(180)["rx"]
    assert rx["by_vlan"] == {"0": 30, "10": 100, "20": 50}
    for stream, count in ((1, 100), (2, 50), (3, 30)):
        assert stream_of(g2.stats(), 1, stream)["count"] == count
    assert all(f["vlan"] == 20 and f["length"] == 128 and f["ethertype"] == 0x88b5
               for f in rx["last"])


def test_queue_all_spreads(guests):
    g1, g2 = guests
    assert g1.send(dst=g2.mac, count=1000, queue="all", stream=4)["sent"] == 1000
    tx_by_queue = g1.stats()["tx"]["by_queue"]
    rx = g2.wait_rx(1000)["rx"]
    assert tx_by_queue == [500, 500]
    assert rx["by_queue"] == tx_by_queue  # testpmd io: rx queue i -> tx queue i
    assert {f["queue"] for f in g2.stats()["rx"]["last"]} <= {0, 1}
    s = stream_of(g2.stats(), 1, 4)
    assert s["count"] == 1000 and s["max_seq"] == 1000 and s["dup"] == 0
    # A single queue lands on that queue only.
    g2.reset()
    g1.send(dst=g2.mac, count=20, queue=1)
    assert g2.wait_rx(20)["rx"]["by_queue"] == [0, 20]


def test_ping_responder(guests):
    g1, g2 = guests
    answer = g1.ping(IP2, count=3)
    rtt = answer.pop("rtt_us")
    assert answer == {"arp": True, "peer_mac": g2.mac, "sent": 3, "received": 3}
    assert 0 < rtt["min"] <= rtt["p50"] <= rtt["p99"] <= rtt["max"]
    assert rtt["min"] <= rtt["avg"] <= rtt["max"]
    s1, s2 = g1.stats(), g2.stats()
    assert s2["arp_replies_sent"] >= 1
    assert s2["icmp_replies_sent"] == 3
    assert s1["icmp_echo_replies_received"] == 3
    # The other way round works too, and nobody answers for an unknown address.
    assert g2.ping(IP1, count=1)["received"] == 1
    assert g1.ping("10.0.0.99", count=1, timeout_ms=300) == {
        "arp": False, "peer_mac": None, "sent": 0, "received": 0}


def test_stream(guests):
    g1, g2 = guests
    assert g1.stream_start(dst=g2.mac, pps=5000, stream=9, vlan=30) == {"ok": True}
    with pytest.raises(GuestError, match="already running"):
        g1.stream_start(dst=g2.mac)
    # Frames keep coming, so the receiver never gets quiet.
    assert g2.quiet(idle_ms=200, timeout_ms=500) == {"ok": True, "idle": False}
    stopped = g1.stream_stop()
    assert stopped["failed"] == 0
    assert 1000 <= stopped["sent"] <= 4000  # ~2500 at 5000 pps
    g2.wait_rx(stopped["sent"])
    s = stream_of(g2.stats(), 1, 9)
    assert s["count"] == stopped["sent"] == s["max_seq"]
    assert g2.stats()["rx"]["by_vlan"] == {"30": stopped["sent"]}
    with pytest.raises(GuestError, match="no stream"):
        g1.stream_stop()


def test_jumbo_and_raw(guests):
    g1, g2 = guests
    assert g1.send(dst=g2.mac, count=5, size=9018, stream=5)["sent"] == 5
    raw = g2.mac.replace(":", "") + g1.mac.replace(":", "") + "0800" + "45" + "00" * 45
    assert g1.send(raw=raw, count=2)["sent"] == 2
    rx = g2.wait_rx(7)["rx"]
    assert stream_of(g2.stats(), 1, 5)["count"] == 5
    assert [f["length"] for f in rx["last"]] == [9018] * 5 + [60] * 2
    assert rx["last"][-1]["ethertype"] == 0x0800


def test_reset(guests):
    g1, g2 = guests
    g1.send(dst=g2.mac, count=5)
    assert g2.wait_rx(5)["rx"]["total"] == 5
    assert g2.reset() == {"ok": True}
    rx = g2.stats()["rx"]
    assert rx["total"] == 0 and rx["streams"] == {} and rx["last"] == [] and rx["by_src"] == {}


def test_bad_commands_keep_tool_alive(guests):
    g1, g2 = guests
    cases = {
        "frobnicate": "frobnicate",
        f"send dst={g2.mac} colour=blue": "colour",
        "send count=3": "dst",
        "send dst=zz:zz": "dst",
        f"send dst={g2.mac} size=3": "size",
        f"send dst={g2.mac} queue=7": "queue",
        "ping": "ip",
        "stream sideways": "start",
        "stats now": "now",
    }
    for line, word in cases.items():
        answer = g1.cmd(line, check=False)
        assert word in answer.get("error", ""), (line, answer)
        with pytest.raises(GuestError):
            g1.cmd(line)
    assert g1.queues() == {"rx_queues": QUEUES, "tx_queues": QUEUES}
    assert g1.send(dst=g2.mac, count=3)["sent"] == 3


def test_quit_and_eof_exit_0(guests):
    g1, g2 = guests
    assert g1.quit() == 0
    g2.proc.stdin.close()  # EOF on stdin means quit as well
    assert g2.wait() == 0
