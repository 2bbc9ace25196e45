# SPDX-License-Identifier: BSD-3-Clause
"""The Debian package, end to end: dpkg-buildpackage from a fresh clone of
the repository in a temp dir, dpkg -i + apt-get -f install, the installed
kvswitchd and kvsctl run, the man pages open, the unit verifies, the edited
configuration survives a reinstall, and dpkg --purge leaves nothing behind.

About 2 minutes on 2 cores (the build is most of it).  Set KVS_SKIP_PACKAGE=1
to leave it out of a short CI run.  It installs the package on this machine,
so it skips when a kvswitch package is already installed (an operator's)."""
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = ("/usr/share/man/man8/kvswitchd.8.gz", "/usr/share/man/man8/kvsctl.8.gz",
         "/usr/share/man/man5/kvswitch.yaml.5.gz")


def run(cmd, timeout=600, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, **kw)
    if check:
        assert r.returncode == 0, f"{cmd} -> {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def installed(pkg="kvswitch"):
    r = run(["dpkg-query", "-W", "-f=${Status}", pkg], check=False)
    return r.returncode == 0 and "installed" in r.stdout.split()


def kvswitchd_pids():
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if os.readlink(p / "exe") == "/usr/sbin/kvswitchd":
                    pids.append(int(p.name))
            except OSError:
                pass
    return pids


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    if os.environ.get("KVS_SKIP_PACKAGE"):
        pytest.skip("KVS_SKIP_PACKAGE is set")
    if os.geteuid() != 0:
        pytest.skip("needs root (dpkg -i)")
    for tool in ("dpkg-buildpackage", "dpkg-checkbuilddeps", "git", "dh"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (bash .ci/install-deps installs debhelper, "
                        "dpkg-dev)")
    if installed():
        pytest.skip("a kvswitch package is already installed here; not replacing it")
    top = tmp_path_factory.mktemp("deb")
    src = top / "kvswitch"
    # the committed tree, as CI's clean clone: nothing of this worktree's build
    run(["git", "clone", "-q", str(REPO), str(src)])
    r = run(["dpkg-checkbuilddeps"], cwd=src, check=False)
    if r.returncode != 0:
        pytest.skip("build dependencies missing: " + (r.stderr or r.stdout).strip())
    t0 = time.monotonic()
    run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, timeout=1800)
    print(f"dpkg-buildpackage: {time.monotonic() - t0:.0f} s")
    # the build left nothing in the tree that git would see
    assert run(["git", "status", "--porcelain"], cwd=src).stdout == ""
    version = re.match(r"kvswitch \(([^)]+)\)", (src / "debian/changelog").read_text()).group(1)
    debs = list(top.glob("kvswitch_*_amd64.deb"))
    assert [d.name for d in debs] == [f"kvswitch_{version}_amd64.deb"]
    yield debs[0], version
    if installed():
        run(["dpkg", "--purge", "kvswitch"], check=False)


def test_package_install_run_purge(deb, tmp_path):
    path, version = deb
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")

    # lintian: no errors (warnings and infos are listed in the closing report)
    if shutil.which("lintian"):
        r = run(["lintian", str(path)], check=False)
        errors = [ln for ln in r.stdout.splitlines() if ln.startswith("E:")]
        assert not errors, r.stdout

    # what dpkg says the package depends on came from shlibs
    depends = run(["dpkg-deb", "-f", str(path), "Depends"]).stdout
    for lib in ("librte-eal", "librte-vhost", "libbpf", "libnuma", "libpcap", "libjansson",
                "libyaml", "libsystemd0"):
        assert lib in depends, depends

    r = run(["dpkg", "-i", str(path)], check=False, env=env)
    run(["apt-get", "-f", "install", "-y"], env=env)
    assert installed(), r.stdout + r.stderr
    files = [f for f in run(["dpkg", "-L", "kvswitch"]).stdout.splitlines() if f]
    # what the package put there (not /lib, /usr...: directories, some symlinks)
    own = [f for f in files if os.path.isfile(f)]
    assert "/usr/sbin/kvswitchd" in own and "/lib/systemd/system/kvswitch.service" in own

    assert run(["/usr/sbin/kvswitchd", "--version"]).stdout.strip() == \
        f"kvswitchd {version.split('-')[0]}"
    r = run(["/usr/bin/kvsctl", "--help"], check=False)
    assert "usage: kvsctl" in r.stdout + r.stderr
    for page in PAGES:
        assert page in files
        r = run(["man", "-l", page], env=dict(env, MANPAGER="cat", PAGER="cat", MANWIDTH="80"))
        assert "NAME" in r.stdout and "SEE ALSO" in r.stdout, r.stdout[:500]
    conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", "kvswitch"]).stdout
    assert "/etc/kvswitch/kvswitch.yaml" in conffiles
    if shutil.which("systemd-analyze"):
        r = run(["systemd-analyze", "verify", "--man=no",
                 "/lib/systemd/system/kvswitch.service"], check=False)
        assert r.returncode == 0, r.stderr
    else:
        print("systemd-analyze not installed: unit not verified")

    # the installed binaries work together on the shipped configuration
    # (a copy: kvswitchd rewrites its file), without hugepages
    conf = tmp_path / "kvswitch.yaml"
    shutil.copy("/etc/kvswitch/kvswitch.yaml", conf)
    ctl = tmp_path / "ctl"
    log = open(tmp_path / "kvswitchd.log", "w")
    d = subprocess.Popen(["/usr/sbin/kvswitchd", "--no-huge", "--mem", "512", "--config",
                          str(conf), "--unixctl", str(ctl)], stdout=log, stderr=log,
                         stdin=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while not ctl.exists() and time.time() < deadline and d.poll() is None:
            time.sleep(0.2)
        run(["/usr/bin/kvsctl", "--unixctl", str(ctl), "add-br", "br0"])
        assert run(["/usr/bin/kvsctl", "--unixctl", str(ctl), "list-br"]).stdout == "br0\n"
    finally:
        d.send_signal(signal.SIGTERM)
        d.wait(30)
        log.close()

    # an operator's edit survives reinstalling (an upgrade's unpack): conffile
    with open("/etc/kvswitch/kvswitch.yaml", "a") as f:
        f.write("# the operator's edit\n")
    run(["dpkg", "-i", str(path)], env=env)
    assert "# the operator's edit" in Path("/etc/kvswitch/kvswitch.yaml").read_text()

    run(["dpkg", "--purge", "kvswitch"], env=env)
    assert not installed()
    left = [f for f in own if os.path.lexists(f)]
    assert not left, left
    assert not os.path.exists("/etc/kvswitch")
    assert not kvswitchd_pids()
