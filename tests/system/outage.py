# SPDX-License-Identifier: BSD-3-Clause
"""The restart outage: how long guests are cut off when kvswitchd is killed (SIGKILL, no clean
shutdown) and started again from its configuration file.

One guest streams sequenced frames to another through the switch at a steady rate; the
receiving kvs-guest keeps, per stream, the longest silence between two arrivals (max_gap_us).
Killed and restarted in the middle of the stream, that silence is the outage as the guests see
it: from the last frame the old switch forwarded to the first one the new switch forwards (the
restart, EAL, the vhost-user reconnection and negotiation, the first forwarding), within one
frame interval. Used by tests/system/test_restart.py and bench/restart_outage.py.
"""
import time

from guest import Guest

MAC1, MAC2 = "52:54:00:00:0a:01", "52:54:00:00:0a:02"
BCAST = "ff:ff:ff:ff:ff:ff"


def pair(sw, workdir, mode, log_dir=None, reconnect_ms=100):
    """Two guests on bridge br0 of a started switch, in `mode`:
    client: dpdkvhostuserclient ports, the guests own their sockets (QEMU server=on), kvswitchd
            connects to them (and again after a restart);
    server: dpdkvhostuser ports, kvswitchd owns the sockets, the guests connect and, like QEMU
            with reconnect=, connect again every reconnect_ms once the switch is gone."""
    sw.vsctl("--may-exist", "add-br", "br0")
    gs = []
    for i, mac in ((1, MAC1), (2, MAC2)):
        name = f"o{i}"
        if mode == "client":
            sock = f"{workdir}/{name}.sock"
            g = Guest(sock, mac, gid=i, name=name, server=True, wait=False, log_dir=log_dir,
                      queue_size=4096)
            sw.vsctl("add-port", "br0", name, "--", "set", "Interface", name,
                     "type=dpdkvhostuserclient", f"options:vhost-server-path={sock}")
        else:
            sw.vsctl("add-port", "br0", name, "type=dpdkvhostuser")
            g = Guest(sw.sock(name), mac, gid=i, name=name, wait=False, log_dir=log_dir,
                      queue_size=4096, args=("--reconnect-ms", str(reconnect_ms)))
        gs.append(g)
    for i, g in enumerate(gs, 1):
        g.wait_ready()
        g.link()
        sw.wait_connected(f"o{i}")
    return gs


def _count(g, key):
    return g.stats()["rx"]["streams"].get(key, {}).get("count", 0)


def wait_flowing(g, key, by, timeout):
    """Wait until stream `key` received `by` more frames; False on timeout."""
    start = _count(g, key)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _count(g, key) >= start + by:
            return True
        time.sleep(0.02)
    return False


def restart_once(sw, g1, g2, stream, pps=10000, resume_timeout=10.0):
    """Stream g1 -> g2, kill -9 kvswitchd, start it again, wait until the stream flows again.
    Returns {"gap_s": the longest silence g2 saw, "up_s": kill to control socket answering,
    "resumed": bool, "sent", "received"}."""
    key = f"1:{stream}"
    g2.send(dst=BCAST, count=1)  # both MACs known: the stream is unicast from the start
    g1.send(dst=BCAST, count=1)
    g1.stream_start(dst=MAC2, pps=pps, stream=stream)
    try:
        if not wait_flowing(g2, key, pps // 10, 10):
            raise AssertionError(f"stream {key} does not flow before the restart")
        t0 = time.monotonic()
        sw.kill()
        sw.start()
        up = time.monotonic() - t0
        resumed = wait_flowing(g2, key, pps // 10, resume_timeout)
    finally:
        sent = g1.stream_stop()["sent"]
    g2.quiet(idle_ms=150)
    # Traffic is stopped: the new switch holds no more mbufs than the first one did idle
    # (sw.baseline, taken by the caller at the first start; frames were in flight at this
    # start already, client-mode guests being connected during it).
    if getattr(sw, "baseline", None) is not None:
        sw.wait_mbufs(sw.baseline)
    s = g2.stats()["rx"]["streams"].get(key, {})
    return {"gap_s": s.get("max_gap_us", 0) / 1e6, "up_s": up, "resumed": resumed,
            "sent": sent, "received": s.get("count", 0)}
