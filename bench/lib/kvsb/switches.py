# SPDX-License-Identifier: BSD-3-Clause
"""The switches under test, each started fresh in its own directory and
stopped completely (processes, sockets, hugepage files) after its windows.

All three: PMD on ctx.pmd_core, everything else of theirs on ctx.gen_core,
vhost-user ports "a" and "b" for the generator plus "x000".."xNNN" for idle
guests, the same DPDK (Debian's 22.11 shared libraries), 1024-entry rings
(the guests' queue_size) and bursts of 32 (all three's default; testpmd told so).

- kvswitch: kvswitchd with a YAML configuration, dpdkvhostuser ports (the
  guests are vhost-user clients), MAC table large enough for the MAC scale.
- testpmd: io forwarding between two net_vhost ports: no lookup, no copy,
  the ceiling a vhost-user switch can reach on this machine.
- ovs: OVS-DPDK from Debian's openvswitch-switch-dpdk, private ovsdb and
  run directory (never the system service), netdev bridge with the NORMAL
  flow, dpdkvhostuserclient ports (the guests are vhost-user servers), EMC
  and SMC set as OVS's DPDK docs recommend for the number of flows
  (Ovs.cache_config).

Counters: each switch's own account of its PMD over a window,
counters_clear() at the window's start and counters_read(seconds) at its
end: {"sw_cpf": busy cycles per frame received, "sw_busy_pct": busy share
of the PMD core, "sw_packets": frames received, "sw_drops": the switch's own
drop counters that moved in the window, as "port:counter=N ..." (kvswitch's
named drop reasons, OVS's interface statistics, testpmd's RX/TX-dropped), so
a lost frame is placed in the switch or outside it} and for OVS also its
datapath's path counters (EMC, SMC, megaflow hits, upcalls).  The commands
run pinned to the generator's core so they never take the PMD's.
"""
import json
import os
import re
import shutil

from . import procs as P
from . import testpmd as T

MAC_TABLE_SIZE = 262144  # >= 2 x 100k MACs, with room
OVS_EMC_ENTRIES = 8192  # EM_FLOW_HASH_SHIFT 13 in OVS 3.1: per PMD, both directions share it
N_MBUFS = 65536  # 2 ports x 4 queues x 1024 descriptors x 2 directions, 4x over
OVS_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


class FilterUnavailable(Exception):
    """This kvswitch build has no Port filter column (or refuses the policy)."""


def extra_names(n):
    return [f"x{i:03d}" for i in range(n)]


class Switch:
    name = "?"
    gen_server = False  # the guests' virtio-user vdevs are vhost-user servers
    max_extra = 1 << 20  # idle ports it can host

    def __init__(self, ctx):
        self.ctx = ctx
        self.dir = os.path.join(ctx.workdir, self.name)
        self.procs = []
        self.extra = 0

    restart_per_window = False
    windows = 0  # windows run on this instance

    def fresh_dir(self, keep_socks=False):
        """An empty directory; keep_socks keeps sock/ (idle guests listening there)."""
        if keep_socks and os.path.isdir(self.dir):
            for n in os.listdir(self.dir):
                if n != "sock":
                    p = os.path.join(self.dir, n)
                    shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else os.unlink(p)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(os.path.join(self.dir, "sock"), exist_ok=True)

    def sock(self, port):
        return os.path.join(self.dir, "sock", port)

    def pids(self):
        return [p.pid for p in self.procs if p.poll() is None]

    def check(self):
        for p in self.procs:
            if p.poll() is not None:
                raise RuntimeError(f"{self.name} exited (rc {p.returncode}); log "
                                   f"{self.ctx.procs.log_path(self.name)}:\n"
                                   + self.ctx.procs.tail(self.name))

    def stop(self, keep_socks=False):
        for p in reversed(self.procs):
            self.ctx.procs.stop(p)
        self.procs = []
        if not keep_socks:
            shutil.rmtree(self.dir, ignore_errors=True)

    def connected_extra(self):
        """How many of the idle ports have a connected guest."""
        return 0

    def settle(self):
        """Before a window: wait until the switch has dealt with the last guest leaving."""

    def set_filter(self, rules_a, rules_b):
        raise FilterUnavailable(f"{self.name} has no port filters")

    def configure_flows(self, flows):
        """Before a window with `flows` 5-tuples per direction (OVS tunes its caches)."""

    def counters_clear(self):
        pass

    def counters_read(self, seconds):
        return {}

    def drop_counters(self):
        """{"port:counter": value} of every drop counter the switch keeps for the
        generator's ports "a" and "b" ({} when it keeps none)."""
        return {}

    def ring_seen(self):
        """The virtqueue layout port "a" negotiated with its guest, "split" or "packed";
        "?" when a switch that says could not tell (port not connected, field missing), None
        when the switch does not say."""
        return None

    def drops_start(self):
        try:
            self._drops0 = self.drop_counters()
        except (RuntimeError, ValueError) as e:
            self._drops0 = None
            self._drops_err = str(e).strip()[:200]

    def drops_since_start(self):
        """The drop counters that moved since drops_start(), "port:counter=N ..." ("" when
        none did)."""
        if getattr(self, "_drops0", None) is None:
            return "?" + getattr(self, "_drops_err", "")
        delta = {k: v - self._drops0.get(k, 0) for k, v in self.drop_counters().items()}
        return " ".join(f"{k}={v}" for k, v in sorted(delta.items()) if v)

    def pinned(self, argv):
        return ["taskset", "-c", str(self.ctx.gen_core)] + argv


class KvSwitch(Switch):
    name = "kvswitch"

    def start(self, queues, extra=0):
        c = self.ctx
        self.fresh_dir()
        self.extra = extra
        self.conf = os.path.join(self.dir, "kvswitch.yaml")
        self.ctl = os.path.join(self.dir, "kvswitchd.ctl")
        ports = "".join(f"      {p}: {{type: dpdkvhostuser}}\n"
                        for p in ["a", "b"] + extra_names(extra))
        with open(self.conf, "w") as f:
            f.write("# written by bench/kvsbench\n"
                    "open_vswitch:\n"
                    "  other_config:\n"
                    f"    pmd-cpu-mask: \"{1 << c.pmd_core:#x}\"\n"
                    f"    vhost-sock-dir: {os.path.join(self.dir, 'sock')}\n"
                    f"    n-mbufs: {N_MBUFS}\n"
                    "bridges:\n"
                    "  br0:\n"
                    "    other_config:\n"
                    f"      mac-table-size: {MAC_TABLE_SIZE}\n"
                    f"      mac-port-limit: {MAC_TABLE_SIZE}\n"
                    "    ports:\n" + ports)
        p = c.procs.spawn(self.name, [str(self.build() / "control" / "kvswitchd"), "--config",
                                      self.conf, "--unixctl", self.ctl], env=self.env())
        self.procs = [p]
        P.wait_until(lambda: os.path.exists(self.ctl) and self._answers(), 60,
                     "kvswitchd to answer kvsctl", check=self.check)
        P.wait_until(lambda: all(os.path.exists(self.sock(n)) for n in ["a", "b"]), 30,
                     "kvswitchd's vhost-user sockets", check=self.check)

    def env(self):
        """kvswitchd's environment (None: kvsbench's own)."""
        return None

    def build(self):
        """The build directory whose kvswitchd and kvsctl run."""
        return self.ctx.build

    def _answers(self):
        try:
            self.kvsctl("version")
            return True
        except RuntimeError:
            return False

    def kvsctl(self, *args):
        return P.run(self.pinned([str(self.build() / "control" / "kvsctl"), "--unixctl",
                                  self.ctl, "-t", "30", *args]), timeout=60)

    def counters_clear(self):
        self.kvsctl("pmd-stats-clear")

    def counters_read(self, seconds):
        """kvsctl pmd-stats-show: busy (processing) cycles per frame received, busy share of
        the PMD's awake + asleep cycles."""
        pmds = json.loads(self.kvsctl("--format", "json", "pmd-stats-show"))
        if isinstance(pmds, dict):
            pmds = pmds.get("pmds", [])
        busy = sum(p.get("busy_cycles", 0) for p in pmds)
        allc = busy + sum(p.get("idle_cycles", 0) + p.get("sleep_cycles", 0) for p in pmds)
        pk = sum(p.get("rx_packets", 0) for p in pmds)
        return {"sw_cpf": round(busy / pk, 1) if pk else None,
                "sw_busy_pct": round(100.0 * busy / allc, 1) if allc else None,
                "sw_packets": pk}

    def drop_counters(self):
        """port-stats: the named rx and tx drop reasons of ports a and b."""
        out = {}
        for p in json.loads(self.kvsctl("--format", "json", "port-stats")):
            if p.get("name") in ("a", "b"):
                for side in ("rx_drops", "tx_drops"):
                    for reason, v in (p.get(side) or {}).items():
                        out[f"{p['name']}:{side[:2]}:{reason}"] = v
        return out

    def ring_seen(self):
        show = json.loads(self.kvsctl("--format", "json", "show"))
        return next((p.get("status", {}).get("ring") for br in show.get("bridges", [])
                     for p in br.get("ports", []) if p.get("name") == "a"), None) or "?"

    def connected_extra(self):
        names = set(extra_names(self.extra))
        show = json.loads(self.kvsctl("--format", "json", "show"))
        return sum(1 for br in show.get("bridges", []) for p in br.get("ports", [])
                   if p.get("name") in names and p.get("status", {}).get("connected"))

    def set_filter(self, rules_a, rules_b):
        try:
            self.kvsctl("set", "Port", "a", f"filter:ingress-rules={rules_a}",
                        "filter:ingress-default=deny", "--", "set", "Port", "b",
                        f"filter:ingress-rules={rules_b}", "filter:ingress-default=deny")
        except RuntimeError as e:
            raise FilterUnavailable(str(e))


class KvSwitchB(KvSwitch):
    """The B side of an A/B run, interleaved with kvswitch in every round: the kvswitchd of
    --b-build (e.g. a build of the commit before a data-path change; default the same build,
    an A/A run that measures the noise), with --b-env added to its environment."""
    name = "kvswitch-b"

    def env(self):
        return dict(os.environ, **getattr(self.ctx, "b_env", {}))

    def build(self):
        return getattr(self.ctx, "b_build", None) or self.ctx.build


class TestPmd(Switch):
    name = "testpmd"
    max_extra = 0  # RTE_MAX_ETHPORTS is 32 in Debian's DPDK: no port scale

    def start(self, queues, extra=0):
        c = self.ctx
        if extra:
            raise ValueError("testpmd cannot host extra ports")
        self.fresh_dir()
        eal = ["-l", f"{c.gen_core},{c.pmd_core}", "--main-lcore", str(c.gen_core),
               "--single-file-segments", "-m", "1024", "--no-pci",
               "--vdev", f"net_vhost0,iface={self.sock('a')},queues={queues}",
               "--vdev", f"net_vhost1,iface={self.sock('b')},queues={queues}"]
        app = ["--forward-mode=io", "--nb-cores=1", f"--rxq={queues}", f"--txq={queues}",
               "--rxd=1024", "--txd=1024", "--burst=32", "--total-num-mbufs=65536",
               "--disable-link-check", "--auto-start"]
        # interactive (testpmd.Console), so that its forwarding counters can be cleared and
        # read per window; its main lcore sleeps on the console
        self.con = T.Console(c, self.name)
        self.procs = []
        self.con.spawn(eal, app, check=self.check)
        self.procs = [self.con.p]
        P.wait_until(lambda: all(os.path.exists(self.sock(n)) for n in ["a", "b"]), 60,
                     "testpmd's vhost-user sockets", check=self.check)

    def stop(self, keep_socks=False):
        if getattr(self, "con", None):
            self.con.stop()
        super().stop(keep_socks)

    def counters_clear(self):
        self.con.cmd("clear fwd stats all")

    def counters_read(self, seconds):
        st = self.con.fwd_stats()
        cpf, busy = T.busy_share(st, seconds)
        # cleared at the window's start with the rest of the forwarding stats
        drops = " ".join(f"all:{k}={st[k]}" for k in ("rx_dropped", "tx_dropped") if st.get(k))
        return {"sw_cpf": round(cpf, 1) if cpf else None, "sw_busy_pct": busy,
                "sw_drops": drops}


class Ovs(Switch):
    name = "ovs"
    gen_server = True
    # A second guest on the same vhost-user client port got a stalled OVS on our test
    # machine (main thread blocked for tens of seconds, or the PMD forwarding ~0.1 Mpps
    # for the whole window), so every window gets a fresh ovs-vswitchd (it starts in ~1 s).
    restart_per_window = True

    def restart(self):
        self.stop(keep_socks=True)
        self.start(self.queues, self.extra, keep_socks=True)
        if self.extra:
            P.wait_until(lambda: self.connected_extra() >= self.extra, 240,
                         f"{self.extra} idle guests to reconnect to ovs", interval=1,
                         check=self.check)

    def env(self):
        e = dict(os.environ)
        for k in ("OVS_RUNDIR", "OVS_LOGDIR", "OVS_DBDIR", "OVS_SYSCONFDIR", "OVS_PKGDATADIR"):
            e.pop(k, None)
        e.update(OVS_RUNDIR=self.dir, OVS_LOGDIR=self.dir, OVS_DBDIR=self.dir)
        return e

    def appctl(self, *args, timeout=30):
        return P.run(self.pinned(["ovs-appctl", "-t", os.path.join(self.dir, "vswitchd.ctl"),
                                  f"--timeout={timeout}", *args]), timeout=timeout + 10,
                     env=self.env())

    def configure_flows(self, flows):
        self.flows = flows

    def cache_config(self):
        """OVS's DPDK docs (topics/dpdk/bridge.rst): the EMC holds 8192 entries per PMD and by
        default inserts 1 in 100 new flows; "for certain traffic profiles with many parallel
        flows, it's recommended to set N [emc-insert-inv-prob] to 0", and "when traffic flow
        count is much larger than EMC size, it is generally beneficial to turn off EMC and turn
        on SMC". --ovs-cache auto does that when both directions' flows exceed the EMC;
        --ovs-cache default keeps OVS's defaults (EMC 1/100, no SMC) at every point; the cell
        sets cache_mode (--ovs-cache both runs an OVS cell of each)."""
        many = 2 * getattr(self, "flows", 1) > OVS_EMC_ENTRIES
        if getattr(self, "cache_mode", "auto") == "auto" and many:
            return {"emc-insert-inv-prob": "0", "smc-enable": "true"}
        return {"emc-insert-inv-prob": "100", "smc-enable": "false"}

    def counters_clear(self):
        self.appctl("dpif-netdev/pmd-stats-clear")

    def counters_read(self, seconds):
        """dpif-netdev/pmd-stats-show of the PMD: processing cycles per packet, its busy share,
        and which path the packets took."""
        txt = self.appctl("dpif-netdev/pmd-stats-show")
        return parse_ovs_pmd_stats(txt, self.ctx.pmd_core)

    def drop_counters(self):
        """Interface statistics of a and b whose names say drop, error or failure (OVS
        3.1: tx_dropped, ovs_tx_failure_drops, ovs_tx_retries is not a drop)."""
        out = {}
        for p in ("a", "b"):
            txt = self.vsctl("get", "Interface", p, "statistics", wait=False)
            for k, v in re.findall(r"([a-z0-9_]+)=([0-9]+)", txt):
                if re.search(r"drop|error|fail", k):
                    out[f"{p}:{k}"] = int(v)
        return out

    def vsctl(self, *args, wait=True):
        argv = ["ovs-vsctl", f"--db=unix:{self.db}", "--timeout=60"]
        if not wait:
            argv.append("--no-wait")
        return P.run(argv + list(args), timeout=90, env=self.env())

    def start(self, queues, extra=0, keep_socks=False):
        c = self.ctx
        self.fresh_dir(keep_socks)
        self.extra, self.queues = extra, queues
        self.db = os.path.join(self.dir, "db.sock")
        conf = os.path.join(self.dir, "conf.db")
        P.run(["ovsdb-tool", "create", conf, OVS_SCHEMA], env=self.env())
        db = c.procs.spawn("ovsdb", [
            "ovsdb-server", conf, f"--remote=punix:{self.db}",
            f"--unixctl={os.path.join(self.dir, 'ovsdb.ctl')}",
            f"--pidfile={os.path.join(self.dir, 'ovsdb.pid')}", "--log-file="
            + os.path.join(c.procs.logdir, "ovsdb-server.log")], env=self.env())
        self.procs = [db]
        P.wait_until(lambda: os.path.exists(self.db), 30, "ovsdb-server", check=self.check)
        prefix = c.procs.prefix("ovs")
        self.vsctl("init", wait=False)
        self.vsctl("set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                   f"other_config:dpdk-lcore-mask={1 << c.gen_core:#x}",
                   f"other_config:pmd-cpu-mask={1 << c.pmd_core:#x}",
                   "other_config:dpdk-socket-mem=2048",
                   f"other_config:dpdk-extra=--no-pci --file-prefix {prefix}",
                   "other_config:n-handler-threads=1", "other_config:n-revalidator-threads=1",
                   *[f"other_config:{k}={v}" for k, v in self.cache_config().items()],
                   wait=False)
        sw = c.procs.spawn(self.name, [
            OVS_VSWITCHD, f"unix:{self.db}",
            f"--unixctl={os.path.join(self.dir, 'vswitchd.ctl')}",
            f"--pidfile={os.path.join(self.dir, 'vswitchd.pid')}", "--log-file="
            + os.path.join(c.procs.logdir, "ovs-vswitchd.log"),
            # the log file has everything; the console (raw/ovs.log) only errors, or it
            # repeats the log file line for line
            "-vconsole:err"], prefix=prefix, env=self.env())
        self.procs = [db, sw]
        P.wait_until(lambda: self._get("Open_vSwitch", ".", "dpdk_initialized") == "true", 90,
                     "ovs-vswitchd's DPDK initialisation", interval=0.5, check=self.check)
        cmd = ["add-br", "br0", "--", "set", "Bridge", "br0", "datapath_type=netdev",
               f"other_config:mac-table-size={MAC_TABLE_SIZE}"]
        for p in ["a", "b"] + extra_names(extra):
            cmd += ["--", "add-port", "br0", p, "--", "set", "Interface", p,
                    "type=dpdkvhostuserclient", f"options:vhost-server-path={self.sock(p)}",
                    f"options:n_rxq={queues}"]
        self.vsctl(*cmd)
        self._cache = self.cache_config()

    def settle(self):
        if self.cache_config() != self._cache:
            # the next window wants the other cache settings: OVS reads them at any time
            self.vsctl("set", "Open_vSwitch", ".",
                       *[f"other_config:{k}={v}" for k, v in self.cache_config().items()])
            self._cache = self.cache_config()
        # ovs-vswitchd's main thread can stay blocked for tens of seconds after a vhost-user
        # guest leaves, and its PMD does not poll the next guest's queues until the main
        # thread has reconfigured them: a window started then measures a stalled switch.
        # An appctl answer means the main loop runs again.
        P.run(["ovs-appctl", "-t", os.path.join(self.dir, "vswitchd.ctl"), "--timeout=120",
               "version"], timeout=130, env=self.env())

    def _get(self, *args):
        try:
            return self.vsctl("get", *args, wait=False).strip()
        except RuntimeError:
            return ""

    def ring_seen(self):
        f = self._get("Interface", "a", "status:features").strip('"')
        try:
            return "packed" if int(f, 16) >> 34 & 1 else "split"
        except ValueError:  # not connected, or no such key
            return "?"

    def connected_extra(self):
        out = self.vsctl("--bare", "--columns=name", "find", "Interface", "link_state=up",
                         wait=False)
        names = set(extra_names(self.extra))
        return sum(1 for n in out.split() if n in names)


OVS_PATHS = ("simple", "emc", "smc", "megaflow", "upcall")
OVS_KEYS = {"packets received": "packets", "simple match hits": "simple", "emc hits": "emc",
            "smc hits": "smc",
            "megaflow hits": "megaflow", "miss with success upcall": "upcall",
            "miss with failed upcall": "upcall_failed", "avg. packets per output batch":
            "batch", "avg. subtable lookups per megaflow hit": "subtables"}


def parse_ovs_pmd_stats(txt, core):
    """The PMD on `core` in `ovs-appctl dpif-netdev/pmd-stats-show` (OVS 3.1)."""
    block, cur = {}, None
    for line in txt.splitlines():
        if line and not line[0].isspace():  # a thread's heading: "main thread:" or a PMD's
            m = re.match(r"pmd thread numa_id \S+ core_id (\d+):", line)
            cur = int(m.group(1)) if m else None
            continue
        if cur != core or ":" not in line:
            continue
        k, v = (x.strip() for x in line.split(":", 1))
        block[k] = v
    if not block:
        return {}
    out = {}
    for k, short in OVS_KEYS.items():
        if k in block:
            out[short] = float(block[k].split()[0])
    m = re.match(r"[\d.]+ \(([\d.]+)%\)", block.get("processing cycles", ""))
    busy = float(m.group(1)) if m else None
    cpf = block.get("avg processing cycles per packet", "").split()
    pk = out.get("packets") or 0
    path = {k: round(100.0 * out.get(k, 0) / pk, 1) for k in OVS_PATHS} if pk else {}
    return {"sw_cpf": float(cpf[0]) if cpf else None, "sw_busy_pct": busy,
            "sw_packets": int(pk), "ovs": {**{k: int(out[k]) for k in
                                             OVS_PATHS if k in out},
                                          "pct": path, "batch": out.get("batch"),
                                          "subtables": out.get("subtables")}}


SWITCHES = {"kvswitch": KvSwitch, "kvswitch-b": KvSwitchB, "testpmd": TestPmd, "ovs": Ovs}


def versions():
    """Versions of the peers, for the report."""
    out = {}
    for pkg in ("dpdk", "openvswitch-switch-dpdk", "python3-matplotlib"):
        try:
            out[pkg] = P.run(["dpkg-query", "-W", "-f", "${Version}", pkg]).strip()
        except (RuntimeError, OSError):
            out[pkg] = "not installed"
    try:
        out["ovs-vswitchd-dpdk"] = P.run([OVS_VSWITCHD, "--version"]).splitlines()[0]
    except (RuntimeError, OSError, IndexError):
        out["ovs-vswitchd-dpdk"] = "not available"
    return out
