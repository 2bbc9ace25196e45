# SPDX-License-Identifier: BSD-3-Clause
"""The control plane: ovs-vsctl-like commands, errors that name what was
wrong and change nothing, persistence, and configuration files."""
import json
import subprocess

import pytest

from kvs import KVSCTL, KvsctlError, Switch


def expect_error(sw, *args, contains):
    before_conf = sw.conf.read_text() if sw.conf.exists() else ""
    before_show = sw.json("show")
    with pytest.raises(KvsctlError) as e:
        sw.vsctl(*args)
    assert contains in e.value.stderr, e.value.stderr
    assert sw.json("show") == before_show, "a failed command changed the switch"
    assert (sw.conf.read_text() if sw.conf.exists() else "") == before_conf
    return e.value


def test_ovs_vocabulary(switch):
    sw = switch
    sw.vsctl("add-br", "br0")
    sw.vsctl("add-br", "br1", "other_config:mac-aging-time=60")
    sw.vsctl("add-port", "br0", "vm1", "--", "set", "Interface", "vm1", "type=dpdkvhostuser")
    sw.vsctl("add-port", "br0", "vm2", "type=dpdkvhostuserclient",
             "options:vhost-server-path=/tmp/kvs-test-nonexistent.sock", "tag=10")
    sw.vsctl("add-port", "br1", "vm3", "type=dpdkvhostuser", "trunks=10,20")
    assert sw.vsctl("list-br").split() == ["br0", "br1"]
    assert sw.vsctl("list-ports", "br0").split() == ["vm1", "vm2"]
    assert sw.vsctl("get", "Port", "vm2", "tag").strip() == "10"
    assert sw.vsctl("get", "Bridge", "br1", "other_config:mac-aging-time").strip() == "60"
    sw.vsctl("set", "Open_vSwitch", ".", "other_config:pmd-rxq-assign=roundrobin")
    sw.vsctl("set", "Port", "vm3", "trunks=[10,20,30]")
    assert sw.vsctl("get", "Port", "vm3", "trunks").strip() == "[10, 20, 30]"
    sw.vsctl("remove", "Open_vSwitch", ".", "other_config", "pmd-rxq-assign")
    sw.vsctl("clear", "Port", "vm2", "tag")
    sw.vsctl("--may-exist", "add-br", "br0")
    long_name = "b" * 31
    sw.vsctl("add-br", long_name)
    sw.vsctl("add-port", long_name, "p" * 31, "type=dpdkvhostuser")
    sw.vsctl("del-br", long_name)
    sw.vsctl("--if-exists", "del-port", "nope")
    sw.vsctl("del-port", "br0", "vm2")
    sw.vsctl("del-br", "br1")
    show = sw.vsctl("show")
    assert "Bridge br0" in show and "Port vm1" in show and "br1" not in show
    # every change was persisted: the file has the same content
    text = sw.conf.read_text()
    assert "vm1" in text and "vm3" not in text and "br1" not in text
    assert "dpdkvhostuser" in text
    for view in ("pmd-stats-show", "pmd-rxq-show", "pmd-stats-clear", "memory/show",
                 "drop-reasons", "port-stats", "dpif-netdev/pmd-stats-show"):
        sw.vsctl(view)
    assert "tx_ring_full" in sw.vsctl("drop-reasons")


def test_ovs_vsctl_habits(switch):
    """Commands as OVS users type them for ovs-vsctl, given to kvsctl unchanged."""
    sw = switch
    sw.vsctl("--timeout=5", "--no-wait", "add-br", "br0", "--", "set", "bridge", "br0",
             "datapath_type=netdev")
    sw.vsctl("-t", "5", "add-port", "br0", "vm1", "--", "set", "int", "vm1",
             "type=dpdkvhostuser")
    sw.vsctl("add-port", "br0", "vm2", "--", "set", "INTERFACE", "vm2", "type=dpdkvhostuser")
    sw.vsctl("set", "PORT", "vm1", "tag=10")
    sw.vsctl("set", "Br", "br0", "other_config:mac-aging-time=60")
    assert sw.vsctl("get", "bridge", "br0", "datapath_type").strip() == "netdev"
    assert sw.vsctl("get", "Interface", "vm1", "ofport").strip() == "1"
    assert sw.vsctl("get", "Interface", "vm1", "link_state").strip() == "down"
    assert sw.vsctl("get", "Interface", "vm1", "admin_state").strip() == "up"
    assert sw.vsctl("get", "Interface", "vm1", "statistics:rx_packets").strip() == "0"
    assert "mode=server" in sw.vsctl("get", "Interface", "vm1", "status")
    assert sw.vsctl("get", "Interface", "vm1", "error").strip() == "[]"
    assert sw.vsctl("br-exists", "br0", check=False).returncode == 0
    assert sw.vsctl("br-exists", "br9", check=False).returncode == 2
    assert sw.vsctl("port-to-br", "vm2").strip() == "br0"
    assert sw.vsctl("iface-to-br", "vm2").strip() == "br0"
    assert sw.vsctl("list-ifaces", "br0").split() == ["vm1", "vm2"]
    out = sw.vsctl("list", "Bridge", "br0")
    assert "ports               : [vm1, vm2]" in out
    assert "other_config        : {mac-aging-time=60}" in out
    out = sw.vsctl("--columns=name,ofport", "list", "Interface")
    assert out.split("\n\n")[1].splitlines() == ["name                : vm2",
                                                   "ofport              : 2"]
    assert sw.vsctl("--bare", "--columns=name", "find", "Port", "tag=10").split() == ["vm1"]
    assert sw.vsctl("--bare", "--columns=name", "find", "Interface",
                    "type=dpdkvhostuser").split() == ["vm1", "vm2"]
    assert sw.vsctl("--no-headings", "--columns=name,tag", "--format=table", "list",
                    "Port").split() == ["vm1", "10", "vm2", "[]"]
    data = json.loads(sw.vsctl("--format=json", "--columns=name", "find", "Port", "tag=10"))
    assert data == {"headings": ["name"], "data": [["vm1"]]}
    # what kvswitch does not have is named
    r = sw.vsctl("set", "bridge", "br0", "datapath_type=system", check=False)
    assert r.returncode == 1 and "only the netdev (userspace) datapath" in r.stderr
    r = sw.vsctl("set", "qos", "q1", "type=linux-htb", check=False)
    assert r.returncode == 2 and "table 'QoS' is not supported by kvswitch" in r.stderr
    r = sw.vsctl("set", "i", "vm1", "mtu_request=9000", check=False)
    assert r.returncode == 2 and "matches several tables" in r.stderr
    r = sw.vsctl("--columns=nosuch", "list", "Port", check=False)
    assert r.returncode == 1 and "no column 'nosuch'" in r.stderr
    # add and remove elements of a set or a map, as ovs-vsctl
    sw.vsctl("set", "Port", "vm2", "trunks=10,20")
    sw.vsctl("add", "Port", "vm2", "trunks", "30", "5")
    assert sw.vsctl("--bare", "--columns=trunks", "list", "Port", "vm2").strip() == "5 10 20 30"
    sw.vsctl("remove", "Port", "vm2", "trunks", "20")
    assert sw.vsctl("get", "Port", "vm2", "trunks").strip() == "[5, 10, 30]"
    sw.vsctl("add", "Bridge", "br0", "other_config", "mac-table-size=4096",
             "mac-aging-time=99")
    oc = sw.json("show")["bridges"][0]["other_config"]
    assert oc == {"mac-aging-time": "60", "mac-table-size": "4096"}  # a key keeps its value
    r = sw.vsctl("add", "Port", "vm1", "tag", "5", check=False)
    assert r.returncode == 1 and "neither a set nor a map" in r.stderr
    assert sw.vsctl("get", "open-vswitch", ".", "other_config").startswith("{")
    # requests kvsctl never sends are refused, not a crash
    with pytest.raises(KvsctlError, match="strings"):
        sw.rpc("find", {"table": "Interface", "conditions": [{"value": "x"}]})
    with pytest.raises(KvsctlError, match="strings"):
        sw.rpc("list", {"table": "Interface", "records": [1], "columns": ["ofport"]})
    with pytest.raises(KvsctlError, match="strings"):
        sw.rpc("list", {"table": "Port", "columns": [7]})
    with pytest.raises(KvsctlError, match="strings"):  # found by fuzz_rpc on 2026-12-05
        sw.rpc("transact", [{"op": "add", "table": "Bridge", "record": "br0",
                             "column": "mirrors", "values": [7]}])
    assert sw.alive()


def test_errors_name_the_problem_and_change_nothing(switch):
    sw = switch
    sw.vsctl("add-br", "br0")
    sw.vsctl("add-port", "br0", "vm1", "type=dpdkvhostuser")
    expect_error(sw, "add-port", "br9", "x", "type=dpdkvhostuser",
                 contains="bridge 'br9' does not exist")
    expect_error(sw, "add-port", "br0", "vm1", "type=dpdkvhostuser", contains="vm1")
    expect_error(sw, "del-port", "nosuch", contains="nosuch")
    expect_error(sw, "set", "Interface", "vm1", "options:n_rxq=4",
                 contains="unknown option 'n_rxq'")
    expect_error(sw, "set", "Port", "vm1", "tag=5000", contains="5000")
    expect_error(sw, "set", "Port", "vm1", "tag=ten", contains="ten")
    expect_error(sw, "set", "Bridge", "br0", "other_config:mac-aging-time=0", contains="0")
    expect_error(sw, "set", "Bridge", "br0", "other_config:mac-tabel-size=10",
                 contains="mac-tabel-size")
    expect_error(sw, "set", "Open_vSwitch", ".", "other_config:pmd-cpu-mask=zz", contains="zz")
    expect_error(sw, "set", "Interface", "vm1", "type=vxlan", contains="vxlan")
    expect_error(sw, "set", "Open_vSwitch", ".", "other_config:pmd-cpu-mask=0x8000000000",
                 contains="selects no online core")
    expect_error(sw, "add-port", "br0", "vm2", "type=dpdk",
                 contains="dpdk-devargs")
    expect_error(sw, "add-port", "br0", "vm2", "type=dpdk",
                 "options:dpdk-devargs=net_nosuchdriver0", contains="net_nosuchdriver0")
    expect_error(sw, "set", "Port", "vm1", "tag=10", "trunks=10", contains="exclusive")
    expect_error(sw, "fdb/show", "nobr", contains="bridge 'nobr' does not exist")
    expect_error(sw, "port-stats", "nope", contains="port 'nope' does not exist")
    # a transaction is all or nothing: the first part is valid, the second not
    expect_error(sw, "add-port", "br0", "vm5", "type=dpdkvhostuser", "--", "set", "Port", "vm5",
                 "tag=0", contains="tag")
    assert "vm5" not in sw.vsctl("list-ports", "br0")
    # usage errors are caught by kvsctl itself (exit 2), daemon errors exit 1
    r = subprocess.run([str(KVSCTL), "--unixctl", str(sw.ctl), "frobnicate"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr
    r = subprocess.run([str(KVSCTL), "--unixctl", str(sw.ctl), "set", "Port", "vm1", "tag=0"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    # garbage on the control socket gets an error, and the daemon keeps going
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(sw.ctl))
    s.sendall(b"this is not json\n")
    assert b"error" in s.recv(4096)
    s.close()
    # two requests in one write get two answers, in order
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(sw.ctl))
    s.sendall(b'{"id":1,"method":"version"}\n{"id":2,"method":"list-br"}\n')
    data = b""
    while data.count(b"\n") < 2:
        chunk = s.recv(65536)
        assert chunk, "connection closed before two answers"
        data += chunk
    s.close()
    answers = [json.loads(line) for line in data.splitlines()]
    assert [a["id"] for a in answers] == [1, 2]
    assert sw.vsctl("list-ports", "br0").split() == ["vm1"]


def test_bad_config_file_is_refused_with_its_line(tmp_path):
    sw = Switch(tmp_path)
    sw.write_config("bridges:\n"
                    "  br0:\n"
                    "    ports:\n"
                    "      vm1:\n"
                    "        type: dpdkvhostuser\n"
                    "        tag: 9999\n")
    p = sw.start(expect_ok=False)
    rc = p.wait(30)
    assert rc != 0
    log = sw.log_text()
    assert f"{sw.conf}:6:" in log, log[-2000:]
    assert "9999" in log
    assert not sw.ctl.exists()


def test_config_file_loaded_at_start(tmp_path):
    sw = Switch(tmp_path)
    sw.write_config("open_vswitch:\n"
                    "  other_config:\n"
                    f"    vhost-sock-dir: {sw.sockdir}\n"
                    "    n-mbufs: 8192\n"
                    "bridges:\n"
                    "  br0:\n"
                    "    other_config:\n"
                    "      mac-aging-time: 42\n"
                    "    ports:\n"
                    "      vm1: {type: dpdkvhostuser, tag: 7}\n")
    try:
        from conftest import need_hugepages
        need_hugepages()
        sw.start()
        assert sw.vsctl("get", "Port", "vm1", "tag").strip() == "7"
        assert (sw.sockdir / "vm1").is_socket()
    finally:
        sw.stop()


# ---- hardening (issue 13) ----

def test_too_many_bridges_or_ports_refused(switch):
    """One request asking for more than apply's tables hold used to overflow
    them (65 bridges: "success" and two bridges silently unbuilt; 1100 ports:
    a segfault).  Now: refused with the limit named, nothing changed."""
    sw = switch
    before = sw.conf.read_text()
    args = []
    for i in range(65):
        args += (["--"] if args else []) + ["add-br", f"b{i}"]
    expect_error(sw, *args, contains="at most 64 bridges")
    assert sw.vsctl("list-br").split() == []
    sw.vsctl("add-br", "br0")
    args = []
    for i in range(1100):
        args += (["--"] if args else []) + ["add-port", "br0", f"p{i}", "type=dpdk",
                                            f"options:dpdk-devargs=net_null{i}"]
    expect_error(sw, *args, contains="at most 1024 ports")
    assert sw.alive()
    assert sw.vsctl("list-ports", "br0").split() == []
    assert sw.vsctl("list-br").split() == ["br0"]
    assert before != sw.conf.read_text() and "br0" in sw.conf.read_text()


def test_idle_and_half_open_clients_do_not_lock_out_kvsctl(switch):
    """64 idle connections used to take every slot of the control socket."""
    import socket
    import time
    sw = switch
    idle = []
    for i in range(100):
        s = socket.socket(socket.AF_UNIX)
        s.connect(str(sw.ctl))
        if i % 2:
            s.sendall(b'{"id":1,"method":')  # half a request, then nothing
        idle.append(s)
        if i % 10 == 9:
            time.sleep(0.05)  # let the daemon accept them in order
    for _ in range(3):
        assert sw.vsctl("version").strip() == "kvswitchd 0.1.0"
    # a half request holds its slot for at most a few seconds
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(sw.ctl))
    s.sendall(b'{"id":1,')
    s.settimeout(15)
    t0 = time.time()
    assert s.recv(4096) == b""
    assert time.time() - t0 < 10
    for s in idle:
        s.close()
    assert sw.vsctl("version").strip() == "kvswitchd 0.1.0"


def test_kvsctl_exits_3_when_the_daemon_hangs_up(tmp_path):
    """A daemon that closes the connection mid-request: kvsctl says it could
    not reach it (exit 3) instead of dying of SIGPIPE."""
    import socket
    import threading
    path = tmp_path / "fake.ctl"
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(str(path))
    srv.listen(1)

    def hang_up():
        c, _ = srv.accept()
        c.recv(1)
        c.close()
    t = threading.Thread(target=hang_up)
    t.start()
    # a request (1.2 MB; a value is at most 4 KiB) larger than the socket
    # buffer, so kvsctl is still writing
    big = ["other_config:k%d=%s" % (i, "x" * 3000) for i in range(400)]
    r = subprocess.run([str(KVSCTL), "--unixctl", str(path), "set", "Open_vSwitch", ".", *big],
                       capture_output=True, text=True, timeout=30)
    t.join()
    srv.close()
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert "kvswitchd" in r.stderr


def test_second_daemon_does_not_take_the_control_socket(switch):
    import shutil
    import tempfile
    from pathlib import Path
    sw = switch
    short = Path(tempfile.mkdtemp(prefix="kvs2-"))  # socket paths are short
    other = Switch(short)
    other.ctl = sw.ctl
    p = other.start(expect_ok=False)
    try:
        rc = p.wait(30)
    finally:
        other.kill()
        log = other.log_text()
        shutil.rmtree(short, ignore_errors=True)
    assert rc != 0
    assert "another kvswitchd answers on it" in log, log[-2000:]
    assert sw.ctl.is_socket()
    assert sw.vsctl("version").strip() == "kvswitchd 0.1.0"


def test_socket_cannot_set_eal_args_or_any_driver(switch):
    """The control socket is root, but what reaches beyond the switch stays
    with the configuration file: EAL arguments, and drivers not allowed."""
    sw = switch
    sw.vsctl("add-br", "br0")
    expect_error(sw, "set", "Open_vSwitch", ".", "other_config:dpdk-extra=-d /tmp/x.so",
                 contains="dpdk-extra can be changed only in the configuration file")
    expect_error(sw, "set", "Open_vSwitch", ".", "other_config:dpdk-devargs-allow=net_pcap",
                 contains="dpdk-devargs-allow can be changed only in the configuration file")
    victim = sw.dir / "victim"
    victim.write_text("precious\n")
    expect_error(sw, "add-port", "br0", "cap", "type=dpdk",
                 f"options:dpdk-devargs=net_pcap0,rx_iface=lo,tx_pcap={victim}",
                 contains="not in dpdk-devargs-allow")
    assert victim.read_text() == "precious\n"
    assert "dpdk-extra" not in sw.conf.read_text()


def test_eal_probes_no_pci_device_at_start(switch):
    """EAL used to probe every PCI device at start (here it tried the host's
    own virtio NIC); devices now come by devargs only."""
    assert "Probe PCI driver" not in switch.log_text()


def test_vhost_socket_paths_are_not_followed_or_deleted(switch, tmp_path):
    """Root touches only sockets in the socket directory: a symlink planted
    there is neither chmod-ed through nor deleted, a file is not replaced,
    and a directory holding other files is refused."""
    import os
    import stat
    sw = switch
    sw.vsctl("set", "Open_vSwitch", ".", "other_config:vhost-sock-mode=0666")
    sw.vsctl("add-br", "br0")
    sw.vsctl("add-port", "br0", "vm1", "type=dpdkvhostuser")
    sock = sw.sockdir / "vm1"
    assert stat.S_IMODE(sock.lstat().st_mode) == 0o666
    secret = tmp_path / "secret"
    secret.write_text("s\n")
    os.chmod(secret, 0o600)
    sock.unlink()
    sock.symlink_to(secret)
    sw.vsctl("add-br", "br9")  # unrelated: touches no permission
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    sw.vsctl("set", "Open_vSwitch", ".", "other_config:vhost-sock-mode=0660")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600  # a change: not followed
    sw.vsctl("del-port", "vm1")
    # (librte_vhost unlinks the name at unregister: the link, not its target)
    assert secret.read_text() == "s\n"
    if sock.is_symlink():
        sock.unlink()
    # a regular file where a socket would go: left alone, the port refused
    keep = sw.sockdir / "keep"
    keep.write_text("k\n")
    expect_error(sw, "add-port", "br0", "keep", "type=dpdkvhostuser",
                 contains="is not a socket")
    assert keep.read_text() == "k\n"
    keep.unlink()
    # a socket directory with other files in it is not kvswitch's
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "passwd").write_text("root:x:0:0\n")
    expect_error(sw, "set", "Open_vSwitch", ".", f"other_config:vhost-sock-dir={etc}", "--",
                 "add-port", "br0", "passwd", "type=dpdkvhostuser",
                 contains="which is not a socket")
    assert (etc / "passwd").read_text() == "root:x:0:0\n"
    assert sw.alive()


def test_refused_apply_leaves_the_file_untouched(switch):
    """The file is renamed into place only after the change is applied: a
    change refused while applied (a device that cannot be opened) never
    reaches it, not even for a moment (it used to be written, then written
    back)."""
    import os
    sw = switch
    sw.vsctl("add-br", "br0")
    st = os.stat(sw.conf)
    text = sw.conf.read_text()
    expect_error(sw, "add-port", "br0", "nic", "type=dpdk",
                 "options:dpdk-devargs=0000:ff:1f.7", contains="0000:ff:1f.7")
    after = os.stat(sw.conf)
    # (an inode number alone can be reused by the write-back)
    assert (after.st_ino, after.st_mtime_ns) == (st.st_ino, st.st_mtime_ns)
    assert sw.conf.read_text() == text
    assert not os.path.exists(str(sw.conf) + ".tmp")


def test_missing_config_directory_is_created(tmp_path):
    """No file and no directory for it: an empty configuration, and the first
    change is saved (every save used to fail with "cannot create")."""
    from conftest import need_hugepages, running
    need_hugepages()
    sw = Switch(tmp_path)
    sw.conf = sw.dir / "etc" / "kvswitch" / "kvswitch.yaml"
    sw.default_config = lambda: None  # start with no file at all
    for s in running(sw):
        s.vsctl("add-br", "br0")
        assert "br0" in s.conf.read_text()


def test_control_socket_path_holding_a_file_is_left_alone(tmp_path):
    from conftest import need_hugepages
    need_hugepages()
    sw = Switch(tmp_path)
    sw.ctl.parent.mkdir(parents=True, exist_ok=True)
    sw.ctl.write_text("not a socket\n")
    p = sw.start(expect_ok=False)
    try:
        rc = p.wait(30)
    finally:
        sw.kill()
    assert rc != 0
    assert "it exists and is not a socket" in sw.log_text()
    assert sw.ctl.read_text() == "not a socket\n"
