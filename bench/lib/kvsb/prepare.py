# SPDX-License-Identifier: BSD-3-Clause
"""Before a run: packages, the benchmark build, and what to write in the report
about the machine and the software.

Packages: .ci/install-deps (build and test dependencies, hugepages), then the
bench-only ones (OVS-DPDK, matplotlib, and valgrind for the micro workload), which .ci/install-deps must not
install.  Installing openvswitch-switch-dpdk may start the system OVS service;
we stop it, since its PMD would share our cores (we run our own ovsdb and
vswitchd, see switches.Ovs).

Build: meson, -O2 with NDEBUG (debugoptimized + b_ndebug=true: the
optimisation level Debian builds OVS and DPDK with; the tree is not
warning-free at -O3), only the targets the run needs.
"""
import json
import os
import platform
import subprocess

from . import procs as P

BENCH_PACKAGES = ["openvswitch-switch-dpdk", "python3-matplotlib"]


def say(msg):
    print(f"kvsbench: {msg}", flush=True)


def missing(pkgs):
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Status}\n", *pkgs],
                         capture_output=True, text=True).stdout
    ok = {ln.split()[0] for ln in out.splitlines() if ln.endswith("install ok installed")}
    return [p for p in pkgs if p not in ok]


def install(repo, want_micro=False):
    say("dependencies and hugepages (.ci/install-deps)")
    subprocess.run(["bash", str(repo / ".ci" / "install-deps")], check=True,
                   stdin=subprocess.DEVNULL)
    miss = missing(BENCH_PACKAGES + (["valgrind"] if want_micro else []))
    if miss:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        say(f"installing bench packages: {' '.join(miss)}")
        subprocess.run(["apt-get", "-qq", "update"], check=True, env=env,
                       stdin=subprocess.DEVNULL)
        subprocess.run(["apt-get", "-y", "-qq", "install", *miss], check=True, env=env,
                       stdin=subprocess.DEVNULL)
    else:
        say(f"bench packages already installed: {' '.join(BENCH_PACKAGES)}")
    stop_system_ovs()


def stop_system_ovs():
    """The packaged service, if running (its pidfiles are in /run/openvswitch)."""
    running = []
    for name in ("ovs-vswitchd", "ovsdb-server"):
        try:
            pid = int(open(f"/run/openvswitch/{name}.pid").read().strip())
        except (OSError, ValueError):
            continue
        if P.alive(pid):
            running.append(name)
    if not running:
        return
    say(f"stopping the system Open vSwitch service ({', '.join(running)} running)")
    for cmd in (["service", "openvswitch-switch", "stop"],
                ["/usr/share/openvswitch/scripts/ovs-ctl", "stop"]):
        if subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL).returncode == 0:
            return


def build(repo, build_dir, want_guest, want_micro=False):
    """Configure (once) and build what the run needs."""
    if not (build_dir / "build.ninja").exists():
        say(f"configuring {build_dir} (-O2, NDEBUG)")
        subprocess.run(["meson", "setup", str(build_dir), str(repo), "--buildtype=debugoptimized",
                        "-Db_ndebug=true", "-Dtests=true"], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL)
    targets = ["control/kvswitchd", "control/kvsctl", "bench/gen/kvs-bench-gen",
               "bench/topo/kvs-bench-topo", "bench/topo/kvs-bench-hiccup"]
    if want_guest:
        targets.append("tests/tools/kvs-guest")
    if want_micro:
        targets.append("bench/micro/kvs-dp-micro")
    say(f"building {' '.join(os.path.basename(t) for t in targets)} in {build_dir}")
    r = subprocess.run(["ninja", "-C", str(build_dir), *targets], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("build failed:\n" + (r.stdout + r.stderr)[-3000:])


def read(path, default="?"):
    try:
        return open(path).read().strip()
    except OSError:
        return default


def cpu_model():
    for line in read("/proc/cpuinfo", "").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def git_describe(repo):
    try:
        return P.run(["git", "-C", str(repo), "describe", "--always", "--dirty", "--tags"],
                     timeout=10).strip()
    except (RuntimeError, OSError, subprocess.TimeoutExpired):
        return "unknown (not a git tree)"


def build_source(build):
    """The source tree a meson build directory was configured from, or None."""
    try:
        with open(os.path.join(build, "meson-info", "meson-info.json")) as f:
            return json.load(f)["directories"]["source"]
    except (OSError, ValueError, KeyError):
        return None


def versions(repo, b_build=None):
    """What ran: the machine, kvswitch's commit (and kvswitch B's, in an A/B run: the commit
    of the tree its build directory came from), the peers' packages."""
    from .switches import versions as peer_versions
    v = {
        "CPU": f"{cpu_model()} ({os.cpu_count()} cores)",
        "kernel": platform.release(),
        "Debian": read("/etc/debian_version"),
        "kvswitch": git_describe(repo),
        "hugepages": next((ln.split(":")[1].strip() for ln in read("/proc/meminfo", "").splitlines()
                           if ln.startswith("HugePages_Total")), "?") + " x 2 MiB",
        "load average at start": " ".join(read("/proc/loadavg").split()[:3]),
    }
    if b_build:
        src = build_source(b_build)
        v["kvswitch B"] = f"{git_describe(src) if src else 'unknown source'} (build {b_build})"
    v.update(peer_versions())
    return v
