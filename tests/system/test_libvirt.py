# SPDX-License-Identifier: BSD-3-Clause
"""libvirt on kvswitch in OVSDB mode, with Debian's own libvirtd and virtlogd: two QEMU/Linux
domains (TCG) whose vhost-user ports were added with the real ovs-vsctl, one in each socket
mode, the second with packed virtqueues (<driver packed='on'/>).  libvirt asks the database
which port each socket is (ovs-vsctl get/find, as on an OVS host), so `virsh domiflist`
names the port; the guests ping each other through the bridge; `virsh domifstat` reads
kvswitch's counters from the Interface statistics column."""
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import need_hugepages, running
from libvirt_tools import Libvirtd, LibvirtVM, virsh
from ovs_tools import OvsdbServer, OvsSwitch, need_ovs
from vm import ImageUnavailable, ensure_image

MAC = {1: "52:54:00:00:02:01", 2: "52:54:00:00:02:02"}
IP = {1: "10.0.2.1/24", 2: "10.0.2.2/24"}


@pytest.fixture
def host():
    """A directory libvirt-qemu can traverse (pytest's tmp_path is root's 0700)."""
    d = Path(tempfile.mkdtemp(prefix="kvs-libvirt-", dir="/var/tmp"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_libvirt_domains_on_ports_added_with_ovs_vsctl(host):
    need_ovs()
    need_hugepages()
    try:
        image = ensure_image()
    except ImageUnavailable as e:
        pytest.skip(f"guest image unavailable: {e}")
    rundir = host / "run"
    rundir.mkdir()
    rundir.chmod(0o755)
    img = host / "img"
    img.mkdir()
    img.chmod(0o755)
    for f in ("vmlinuz", "initrd.img"):  # libvirt relabels what it boots: not the cache
        shutil.copy(image / f, img / f)
        (img / f).chmod(0o644)
    qemu_dir = host / "qemu-sockets"  # QEMU (libvirt-qemu) owns vm2's socket
    qemu_dir.mkdir()
    shutil.chown(qemu_dir, "libvirt-qemu", "libvirt-qemu")
    srv = OvsdbServer(host, sock=rundir / "db.sock").start()
    daemon = Libvirtd(host, rundir)
    sw = OvsSwitch(host, srv, rundir=rundir)
    domains = []
    try:
        sw.ovs_vsctl("--no-wait", "init")
        for _ in running(sw):
            sw.ovs_vsctl("set", "Open_vSwitch", ".", "other_config:vhost-sock-group=libvirt-qemu",
                         "other_config:vhost-sock-mode=0660")
            sw.ovs_vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
            sw.ovs_vsctl("add-port", "br0", "vm1", "--", "set", "Interface", "vm1",
                         "type=dpdkvhostuser")
            vm2_sock = qemu_dir / "vm2.sock"
            sw.ovs_vsctl("add-port", "br0", "vm2", "--", "set", "Interface", "vm2",
                         "type=dpdkvhostuserclient", f"options:vhost-server-path={vm2_sock}")
            daemon.start()
            vm1 = LibvirtVM("vm1", rundir / "vm1", "client", mac=MAC[1], ip=IP[1],
                            workdir=host, image=img)
            vm2 = LibvirtVM("vm2", vm2_sock, "server", mac=MAC[2], ip=IP[2], workdir=host,
                            image=img, nic="packed=on")
            for vm in (vm1, vm2):
                domains.append(vm)
                vm.start()
            for vm in (vm1, vm2):
                vm.wait_boot()
            sw.wait_connected("vm1")
            sw.wait_connected("vm2")
            # vm2's <driver packed='on'/> reached QEMU and was negotiated
            assert sw.port_status("vm1")["ring"] == "split"
            assert sw.port_status("vm2")["ring"] == "packed"

            # libvirt found each port in the database by its socket
            assert virsh("domiflist", "kvs-vm1").split()[0] == "vm1"
            assert virsh("domiflist", "kvs-vm2").split()[0] == "vm2"

            vm1.wait_link()
            vm2.wait_link()
            out = vm1.check(f"ping -c 5 -W 2 {vm2.ip()}", timeout=60)
            assert "5 packets received" in out, out

            # domifstat: the guest's view of kvswitch's counters (libvirt swaps rx and
            # tx: what the port received, the guest transmitted)
            def settled():
                db = sw.ovs_map("Interface", "vm1", "statistics")
                kvs = sw.port_stats("vm1")
                return (db.get("rx_packets") == kvs["rx_packets"]
                        and db.get("tx_packets") == kvs["tx_packets"])
            sw.wait_for(settled, timeout=20, what="vm1 statistics in the database")
            kvs = sw.port_stats("vm1")
            stat = dict(line.split()[1:3] for line in
                        virsh("domifstat", "kvs-vm1", "vm1").splitlines() if line.strip())
            assert int(stat["tx_packets"]) == kvs["rx_packets"] > 0, (stat, kvs)
            assert int(stat["rx_packets"]) == kvs["tx_packets"] > 0, (stat, kvs)
            assert int(stat["tx_bytes"]) == kvs["rx_bytes"]
            for vm in domains:
                vm.close()
    finally:
        for vm in domains:
            vm.close()
        daemon.stop()
        if sw.proc is not None:
            sw.stop()
        srv.stop()
    assert "kvswitchd: ovsdb: configuration" in sw.log_text()
