# SPDX-License-Identifier: BSD-3-Clause
"""Soak under faults: for KVS_SOAK_SECONDS (default 180) traffic flows between guests while a
seeded random sequence of faults hits the switch, then the switch must be whole.

The guests:
  - a control pair, c1 and c2, on dpdkvhostuserclient ports (they own their sockets, so they
    stay up when kvswitchd dies) in VLAN 100, which no other port ever carries. Their ports are
    never touched. They stream sequenced frames to each other in *windows*: a window opens
    once both are connected and their MACs are known, and closes just before kvswitchd is
    killed (and at the end). Everything else happens inside windows.
  - up to four chaos guests on dpdkvhostuser ports p1..p6, each an access port of VLAN 10 or
    20 or a trunk of 10, 20 or both (never neither: that carries every VLAN), each streaming
    broadcasts; they reconnect by themselves every 100 ms
    (kvs-guest --reconnect-ms) when their socket goes away.

The faults, picked at random (KVS_SOAK_SEED reproduces a run; the seed is printed): ports
added and removed (with or without their guest), guests connected and disconnected, VLAN
changes (access tag, trunks), filters (lock-port, unlock-port, rules, defaults, tcpdump
expressions, cleared), pmd-cpu-mask, a MAC flood from one guest (random sources), malformed
and hostile frames (runts, bad 802.3 lengths, stacked tags with TPIDs 0x8100 0x88a8 0x9100
0x9200 0x9300, tags for VLAN 100, oversize), commands that must be refused, and kill -9 of
kvswitchd followed by a start from its configuration file.

What must hold:
  - kvswitchd alive and answering after every fault;
  - no mbuf leaked: before every kill and at the end, with all traffic stopped, the mbufs in
    use are back to what they were when the first kvswitchd started (idle, before any port);
  - the configuration (the file and `show` without run-time status) equal to the one after
    the last accepted command: after every refused command and after every restart;
  - the control pair lost nothing in any window: every frame c1 (c2) sent during a window
    arrived at c2 (c1) once, and nothing from any other guest reached them.
At the end the events survived are printed, per kind."""
import json
import os
import random
import time

import pytest

from guest import Guest
from kvs import KvsctlError

SECONDS = float(os.environ.get("KVS_SOAK_SECONDS", "180"))
CONTROL_VLAN = 100
C_MAC = {1: "52:54:00:00:c0:01", 2: "52:54:00:00:c0:02"}
C_GID = {1: 101, 2: 102}
CHAOS = [f"p{i}" for i in range(1, 7)]
MAX_GUESTS = 4
BCAST = "ff:ff:ff:ff:ff:ff"
# Slow enough that a control guest descheduled for seconds on a loaded box does not overflow
# its 4096-descriptor ring (which the switch would count as tx_ring_full: a loss not its own).
CONTROL_PPS = 200
CHAOS_PPS = 300
MIN_RESTART_GAP = 40  # events between two kills, so that windows are long enough

# kind: weight
EVENTS = {
    "add_port": 6, "del_port": 4, "connect": 5, "disconnect": 3, "vlan": 6, "filter": 6,
    "pmd_mask": 3, "mac_flood": 3, "hostile": 4, "refused": 3, "restart": 3,
}


def chaos_mac(name):
    return f"52:54:00:00:01:{int(name[1:]):02x}"


def hexmac(mac):
    return mac.replace(":", "")


def tag(tpid, vid):
    return f"{tpid:04x}{vid:04x}"


def hostile_frames(src):
    """Raw frames (hex) no guest may get through, each with the drop reason the switch must
    count it under (dataplane/vlan.c), whatever VLAN mode the port is in."""
    d, s = hexmac(BCAST), hexmac(src)
    c2 = hexmac(C_MAC[2])
    pad = "00" * 46
    frames = [
        (d + s[:4], "runt"),                                  # 8 bytes
        (d + s, "runt"),                                      # no ethertype
        (d + s + tag(0x8100, 10), "runt"),                    # a tag and nothing after it
        (d + s + "05dc" + pad, "bad_length"),                 # 802.3 length 1500 in 60 bytes
        (d + s + tag(0x8100, 10) + "05dc" + pad[:-8], "bad_length"),
        (d + s + "05f0" + pad, "bad_ethertype"),              # 1520: neither length nor type
        (d + s + tag(0x8100, CONTROL_VLAN) + "0800" + pad, "vlan_not_allowed"),
        (c2 + s + tag(0x8100, CONTROL_VLAN) + "0800" + pad, "vlan_not_allowed"),
    ]
    for outer in (0x8100, 0x88a8, 0x9100, 0x9200, 0x9300):
        if outer != 0x8100:  # an S-tag alone is a stack too
            frames.append((d + s + tag(outer, CONTROL_VLAN) + "0800" + pad, "double_vlan"))
        frames.append((d + s + tag(outer, 10) + tag(0x8100, CONTROL_VLAN) + "0800" + pad[:-8],
                       "double_vlan"))
        frames.append((c2 + s + tag(outer, 20) + tag(0x8100, CONTROL_VLAN) +
                       tag(0x8100, CONTROL_VLAN) + "0800" + pad[:-16], "double_vlan"))
    return frames


CHECKED_DROPS = ("runt", "bad_length", "bad_ethertype", "double_vlan", "oversize")


def show_config(sw):
    """`show` without run-time status: what the configuration says."""
    data = sw.json("show")
    for br in data.get("bridges", []):
        for p in br.get("ports", []):
            p.pop("status", None)
    return data


class Soak:
    def __init__(self, sw, tmp_path, seed):
        self.sw = sw
        self.tmp = tmp_path
        self.rng = random.Random(seed)
        self.seed = seed
        self.counts = {k: 0 for k in EVENTS}
        self.counts.update(refused_by_daemon=0, reconnects=0, windows=0)
        self.history = []
        self.ports = {}     # chaos port -> {"tag": int|None, "trunks": str|None}
        self.guests = {}    # chaos port -> Guest
        self.control = {}
        self.snapshot = None
        self.window = None
        self.window_results = []
        self.control_frames = 0
        self.last_restart = 0
        self.n_events = 0
        self.n_guest = 0

    # ---- bookkeeping ----

    def note(self, what):
        self.history.append(f"{time.monotonic() - self.t0:7.2f} {what}")

    def fail(self, msg):
        tail = "\n".join(self.history[-25:])
        log = self.sw.log_text()[-3000:]
        pytest.fail(f"{msg}\nseed {self.seed} (KVS_SOAK_SEED={self.seed} reproduces the "
                    f"sequence)\nlast events:\n{tail}\n--- kvswitchd log (tail) ---\n{log}")

    def take_snapshot(self):
        self.snapshot = (self.sw.conf.read_text(), show_config(self.sw))

    def check_config(self, after):
        text, show = self.snapshot
        if self.sw.conf.read_text() != text:
            self.fail(f"configuration file changed by {after}")
        now = show_config(self.sw)
        if now != show:
            self.fail(f"configuration changed by {after}:\nwas {json.dumps(show)}\n"
                      f"now {json.dumps(now)}")

    def check_alive(self, after):
        if not self.sw.alive():
            self.fail(f"kvswitchd died after {after}")
        try:
            self.sw.vsctl("version")
        except KvsctlError as e:
            self.fail(f"kvswitchd does not answer after {after}: {e}")

    def vsctl_ok(self, *args):
        """A command that must be accepted."""
        try:
            self.sw.vsctl(*args)
        except KvsctlError as e:
            self.check_alive(" ".join(map(str, args)))
            self.fail(f"refused a valid command: {e}")
        self.take_snapshot()

    def vsctl_maybe(self, *args):
        """A command that may be refused (depends on what the port has): if so, it changed
        nothing. Returns whether it was accepted."""
        try:
            self.sw.vsctl(*args)
        except KvsctlError as e:
            self.check_alive(" ".join(map(str, args)))
            self.counts["refused_by_daemon"] += 1
            self.note(f"  refused: {e.stderr.strip()[:120]}")
            self.check_config("a refused command")
            return False
        self.take_snapshot()
        return True

    # ---- set-up ----

    def start(self):
        sw = self.sw
        self.t0 = time.monotonic()
        sw.vsctl("set", "Open_vSwitch", ".", "other_config:pmd-sleep-max=100")
        sw.vsctl("add-br", "br0")
        for i in (1, 2):
            sock = self.tmp / f"c{i}.sock"
            # enough mbufs to fill the whole ring (the default pool posts ~3000)
            self.control[i] = Guest(sock, C_MAC[i], gid=C_GID[i], name=f"c{i}", server=True,
                                    wait=False, log_dir=self.tmp, queue_size=4096, mtu=1500,
                                    args=("--mbufs", "12288"))
            sw.vsctl("add-port", "br0", f"c{i}", f"tag={CONTROL_VLAN}", "--", "set",
                     "Interface", f"c{i}", "type=dpdkvhostuserclient",
                     f"options:vhost-server-path={sock}", "options:tx-retries-max=32")
        for g in self.control.values():
            g.wait_ready(90)  # EAL start-up is slow on a loaded box
        self.take_snapshot()
        self.open_window()

    # ---- control windows ----

    def open_window(self):
        sw, c = self.sw, self.control
        for i in (1, 2):
            sw.wait_connected(f"c{i}", timeout=30)
            c[i].link(timeout_ms=15000)
        n = len(self.window_results) + 1
        for g in c.values():
            g.reset()
        # learn both MACs, then start counting from clean counters
        for i in (1, 2):
            c[i].send(dst=BCAST, count=1)
        for g in c.values():
            g.quiet(idle_ms=100)
            g.reset()
        c[1].stream_start(dst=C_MAC[2], pps=CONTROL_PPS, stream=n)
        c[2].stream_start(dst=C_MAC[1], pps=CONTROL_PPS, stream=n)
        self.window = {"n": n, "start": time.monotonic()}
        self.note(f"window {n} open")

    def close_window(self):
        c, w = self.control, self.window
        sent = {1: c[1].stream_stop()["sent"], 2: c[2].stream_stop()["sent"]}
        for g in c.values():
            g.quiet(idle_ms=200)
        res = {"n": w["n"], "seconds": time.monotonic() - w["start"]}
        for i, j in ((1, 2), (2, 1)):
            rx = c[j].stats()["rx"]
            s = rx["streams"].get(f"{C_GID[i]}:{w['n']}", {"count": 0, "dup": 0})
            strangers = {m: n for m, n in rx["by_src"].items() if m != C_MAC[i]}
            res[f"c{i}->c{j}"] = (sent[i], s["count"], s["dup"])
            if strangers:
                self.fail(f"window {w['n']}: c{j} received frames from other guests "
                          f"(VLAN {CONTROL_VLAN} is theirs alone): {strangers}; "
                          f"last frames {rx['last']}")
            if s["count"] != sent[i] or s["dup"]:
                drops = {p: {k: v for d in ("rx_drops", "tx_drops")
                             for k, v in self.sw.port_stats(p)[d].items() if v}
                         for p in ("c1", "c2")}
                self.fail(f"window {w['n']} ({res['seconds']:.1f} s): c{i} sent {sent[i]}, "
                          f"c{j} received {s['count']} ({s['dup']} duplicates); "
                          f"switch drops {drops}")
            self.control_frames += sent[i]
        self.window_results.append(res)
        self.counts["windows"] += 1
        self.note(f"window {w['n']} closed: {res}")
        self.window = None

    # ---- chaos traffic ----

    def stream(self, name):
        g = self.guests[name]
        g.stream_start(dst=BCAST, pps=CHAOS_PPS, stream=1)

    def quiesce(self):
        """Stop every stream and wait for silence (the control window is closed by then)."""
        for g in self.guests.values():
            g.stream_stop()
        for g in list(self.guests.values()) + list(self.control.values()):
            g.quiet(idle_ms=200)

    def check_mbufs(self, when):
        try:
            self.sw.wait_mbufs(self.sw.baseline, timeout=10)
        except AssertionError as e:
            pools = self.sw.json("memory/show")["mbuf_pools"]
            self.fail(f"mbuf leak {when}: {e}; pools {pools}")

    # ---- the faults ----

    def ev_add_port(self):
        free = [p for p in CHAOS if p not in self.ports]
        if not free:
            return False
        p = self.rng.choice(free)
        # never neither tag nor trunks: such a port carries every VLAN, 100 included
        vlan = self.rng.choice([10, 20, "10,20"])
        extra = f"tag={vlan}" if isinstance(vlan, int) else f"trunks=[{vlan}]"
        self.note(f"add-port {p} {extra}")
        self.vsctl_ok("add-port", "br0", p, "type=dpdkvhostuser", extra)
        self.ports[p] = {"tag": vlan, "trunks": None} if isinstance(vlan, int) else \
            {"tag": None, "trunks": vlan}
        return True

    def ev_del_port(self):
        if not self.ports:
            return False
        p = self.rng.choice(sorted(self.ports))
        keep = p in self.guests and self.rng.random() < 0.5
        if p in self.guests and not keep:
            self.note(f"disconnect {p} (before del-port)")
            self.close_guest(p)
        self.note(f"del-port {p}" + (" (its guest stays, reconnecting)" if keep else ""))
        self.vsctl_ok("del-port", p)
        del self.ports[p]
        return True

    def ev_connect(self):
        cands = [p for p in self.ports if p not in self.guests]
        if not cands or len(self.guests) >= MAX_GUESTS:
            return False
        p = self.rng.choice(cands)
        self.n_guest += 1
        self.note(f"connect {p}")
        try:
            g = Guest(self.sw.sock(p), chaos_mac(p), gid=int(p[1:]), name=f"{p}-{self.n_guest}",
                      log_dir=self.tmp, mtu=9000, args=("--reconnect-ms", "100"),
                      start_timeout=90)
        except Exception as e:  # noqa: BLE001
            self.check_alive(f"connect {p}")
            self.fail(f"guest on {p} could not attach: {e}")
        self.guests[p] = g
        g.link(timeout_ms=10000)
        self.stream(p)
        return True

    def ev_disconnect(self):
        if not self.guests:
            return False
        p = self.rng.choice(sorted(self.guests))
        self.note(f"disconnect {p}")
        self.close_guest(p)
        return True

    def close_guest(self, p):
        g = self.guests.pop(p)
        g.close()
        # kvs-guest logs each time it attached again by itself (--reconnect-ms)
        self.counts["reconnects"] += g.log_path.read_text(errors="replace").count(
            "attached net_virtio_user0 again")

    def ev_vlan(self):
        if not self.ports:
            return False
        p = self.rng.choice(sorted(self.ports))
        st = self.ports[p]
        choice = self.rng.choice(["tag", "trunks"])
        if choice == "tag":
            v = self.rng.choice([10, 20])
            args = ["clear", "Port", p, "trunks", "--", "set", "Port", p, f"tag={v}"]
            st.update(tag=v, trunks=None)
        elif choice == "trunks":
            t = self.rng.choice(["10", "20", "10,20"])
            args = ["clear", "Port", p, "tag", "--", "set", "Port", p, f"trunks=[{t}]"]
            st.update(tag=None, trunks=t)
        self.note(" ".join(args))
        self.vsctl_ok(*args)
        return True

    def ev_filter(self):
        if not self.ports:
            return False
        p = self.rng.choice(sorted(self.ports))
        d = self.rng.choice(["ingress", "egress"])
        oui = self.rng.choice(["02:00:00:00:00:00/ff:00:00:00:00:00",
                               "52:54:00:00:01:00/ff:ff:ff:ff:ff:00", chaos_mac(p)])
        ops = [
            ["lock-port", p, chaos_mac(p)],
            ["unlock-port", p],
            ["add-filter-rule", p, d, self.rng.choice(["allow", "deny"]),
             self.rng.choice(["src", "dst"]), oui],
            ["del-filter-rule", p, d, "1"],
            ["set-filter-default", p, d, self.rng.choice(["allow", "deny"])],
            ["set", "Port", p, f'filter:{d}-expression=not ether src {chaos_mac("p1")}'],
            ["clear", "Port", p, "filter"],
        ]
        args = self.rng.choice(ops)
        self.note(" ".join(args))
        self.vsctl_maybe(*args)
        return True

    def ev_pmd_mask(self):
        if os.cpu_count() < 2:
            return False
        mask = self.rng.choice(["0x1", "0x2", "0x3"])
        self.note(f"pmd-cpu-mask={mask}")
        self.vsctl_ok("set", "Open_vSwitch", ".", f"other_config:pmd-cpu-mask={mask}")
        return True

    def ev_mac_flood(self):
        if not self.live_guests():
            return False
        p = self.rng.choice(self.live_guests())
        n = self.rng.randint(32, 128)
        self.note(f"mac flood from {p}: {n} random sources")
        g = self.guests[p]
        for _ in range(n):
            src = "02:" + ":".join(f"{self.rng.randrange(256):02x}" for _ in range(5))
            g.send(dst=self.rng.choice([BCAST, C_MAC[2], "02:00:00:00:00:99"]), src=src,
                   vlan=self.rng.choice([None, None, 10, 20]), count=1)
        return True

    def live_guests(self):
        """Chaos guests whose port exists (the others wait to reconnect)."""
        return sorted(p for p in self.guests if p in self.ports)

    def ev_hostile(self):
        cands = self.live_guests()
        if not cands:
            return False
        p = self.rng.choice(cands)
        g = self.guests[p]
        frames = hostile_frames(chaos_mac(p))
        self.note(f"hostile frames from {p}: {len(frames)} kinds + oversize")
        before = self.sw.port_stats(p)["rx_drops"]
        want = {k: 0 for k in CHECKED_DROPS}
        complete = True
        sends = [(dict(raw=raw), why) for raw, why in frames]
        sends += [(dict(dst=BCAST, size=self.rng.choice([1519, 4000, 9000])), "oversize"),
                  (dict(dst=C_MAC[2], size=9000, vlan=CONTROL_VLAN), "oversize")]
        for kw, why in sends:
            r = g.send(count=self.rng.randint(1, 4), **kw)
            complete = complete and r["failed"] == 0
            if why in want:
                want[why] += r["sent"]
        if not complete:  # the guest lost its link meanwhile: counts are not exact
            return True

        def got():
            now = self.sw.port_stats(p)["rx_drops"]
            return {k: now.get(k, 0) - before.get(k, 0) for k in CHECKED_DROPS}
        try:
            self.sw.wait_for(lambda: all(got()[k] >= want[k] for k in CHECKED_DROPS),
                             timeout=10, what="hostile frames dropped")
        except AssertionError:
            pass
        if got() != want:
            self.fail(f"hostile frames from {p}: drops by reason {got()}, expected {want} "
                      f"(port {self.ports[p]})")
        return True

    def ev_refused(self):
        p = self.rng.choice(sorted(self.ports) or ["c1"])
        bad = [
            ["set", "Port", p, "tag=5000"],
            ["add-port", "nobr", "px", "type=dpdkvhostuser"],
            ["set", "Open_vSwitch", ".", "other_config:pmd-cpu-mask=zz"],
            ["add-filter-rule", p, "ingress", "deny", "src", "52:54:zz:00:00:01"],
            ["set", "Port", p, "tag=10", "trunks=[10]"],
            ["add-port", "br0", "p9", "type=dpdkvhostuser", "--", "set", "Port", "p9",
             "tag=0"],
            ["set", "Interface", p, "type=vxlan"],
        ]
        args = self.rng.choice(bad)
        self.note("must be refused: " + " ".join(args))
        try:
            self.sw.vsctl(*args)
        except KvsctlError:
            self.check_alive(" ".join(args))
            self.check_config("a refused command")
            return True
        self.fail(f"accepted an invalid command: {args}")

    def ev_restart(self):
        if self.n_events - self.last_restart < MIN_RESTART_GAP:
            return False
        self.close_window()
        self.quiesce()
        self.check_mbufs("before kill")
        self.check_config("(before kill)")
        for p in self.guests:  # killed under traffic
            self.stream(p)
        self.note("kill -9 kvswitchd")
        self.sw.kill()
        try:
            self.sw.start()
        except RuntimeError as e:
            self.fail(f"kvswitchd did not start again: {e}")
        # sw.baseline stays the first start's: idle, every kvswitchd holds as many mbufs
        # (traffic may already flow now: chaos guests reconnect as soon as it listens)
        self.note("kvswitchd started again")
        self.check_config("a restart")
        self.last_restart = self.n_events
        self.open_window()
        return True

    def run(self, seconds):
        kinds, weights = zip(*EVENTS.items())
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            kind = self.rng.choices(kinds, weights)[0]
            self.n_events += 1
            if getattr(self, f"ev_{kind}")():
                self.counts[kind] += 1
                self.check_alive(self.history[-1] if self.history else kind)
            time.sleep(self.rng.uniform(0.05, 0.4))
        self.close_window()
        self.quiesce()
        self.check_alive("the end")
        self.check_mbufs("at the end")
        self.check_config("the end")

    def close(self):
        for p in list(self.guests):
            self.close_guest(p)
        for g in self.control.values():
            g.close()


def test_soak_under_faults(switch, tmp_path):
    seed = int(os.environ.get("KVS_SOAK_SEED", str(time.time_ns() % 1000000007)))
    print(f"\nsoak: {SECONDS:.0f} s, seed {seed} (KVS_SOAK_SEED={seed} to repeat)")
    soak = Soak(switch, tmp_path, seed)
    try:
        soak.start()
        soak.run(SECONDS)
    finally:
        soak.close()
    frames = soak.control_frames
    print(f"soak: events survived (seed {seed}):")
    for k, v in soak.counts.items():
        print(f"  {k:18} {v}")
    print(f"  control frames     {frames} in {len(soak.window_results)} windows, none lost")
    assert soak.counts["windows"] >= 1 and frames > 0
