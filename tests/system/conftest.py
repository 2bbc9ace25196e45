# SPDX-License-Identifier: BSD-3-Clause
"""Fixtures for kvswitch system tests: a real kvswitchd per test, kvs-guest
virtio-user guests, and the leak check every test gets at teardown (the
switch is still alive and its mbuf pools are back to their baseline)."""
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from guest import Guest  # noqa: E402
from kvs import KVSWITCHD, NO_HUGE, Switch, hugepages_free  # noqa: E402

MIN_HUGEPAGES = 512


def need_hugepages():
    if os.geteuid() != 0:
        pytest.skip("needs root (vhost-user sockets, hugepages, namespaces)")
    if not KVSWITCHD.exists():
        pytest.skip(f"{KVSWITCHD} not built")
    if NO_HUGE:
        return
    if hugepages_free() < MIN_HUGEPAGES:
        pytest.skip(f"needs {MIN_HUGEPAGES} free 2 MiB hugepages, "
                    f"{hugepages_free()} free (echo 2048 > /proc/sys/vm/nr_hugepages)")


# What AddressSanitizer, LeakSanitizer and UBSan print (a build with
# -Db_sanitize=address,undefined, as .ci/run's second pass).
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def sanitizer_report(text):
    """The first line of a sanitizer's report in text, or None."""
    for line in text.splitlines():
        if any(s in line for s in SANITIZER_REPORTS):
            return line
    return None


def running(sw):
    """Start `sw`, yield it, then check it survived, leaked no mbuf and (in a
    sanitizer build) reported nothing, up to and including its exit."""
    sw.start()
    sw.baseline = sw.mbufs_in_use()
    yield sw
    try:
        if sw.proc is not None:
            assert sw.alive(), "kvswitchd died during the test:\n" + sw.log_text()[-3000:]
            sw.wait_mbufs(sw.baseline)
    finally:
        sw.stop()
    report = sanitizer_report(sw.log_text())
    assert report is None, f"kvswitchd: {report}\n" + sw.log_text()[-3000:]


@pytest.fixture
def switch(tmp_path):
    need_hugepages()
    yield from running(Switch(tmp_path))


@pytest.fixture
def guests(tmp_path):
    """Factory: guests(sock, mac, **kw) -> Guest; all closed at teardown."""
    made = []

    def make(sock, mac, **kw):
        # guests use hugepages even when the switch does not (KVS_SYSTEST_NO_HUGE)
        if NO_HUGE and hugepages_free() < MIN_HUGEPAGES:
            pytest.skip(f"guests need {MIN_HUGEPAGES} free 2 MiB hugepages, "
                        f"{hugepages_free()} free")
        kw.setdefault("log_dir", tmp_path)
        g = Guest(sock, mac, **kw)
        made.append(g)
        return g

    yield make
    for g in made:
        g.close()


@pytest.fixture
def osw(tmp_path):
    """kvswitchd in OVSDB mode on a real ovsdb-server of its own, the database
    initialised as ovs-ctl does; checked as `running` checks any switch."""
    from ovs_tools import OvsdbServer, OvsSwitch, need_ovs

    need_ovs()
    need_hugepages()
    srv = OvsdbServer(tmp_path).start()
    ovs = OvsSwitch(tmp_path, srv)
    ovs.ovs_vsctl("--no-wait", "init")
    try:
        yield from running(ovs)
    finally:
        srv.stop()
