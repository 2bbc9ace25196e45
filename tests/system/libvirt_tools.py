# SPDX-License-Identifier: BSD-3-Clause
"""Debian's libvirtd and virtlogd for tests, and test guests as libvirt domains.

Libvirtd is started by the test (root, system paths) with OVS_RUNDIR in its environment, so
that the ovs-vsctl it runs for vhost-user interfaces reaches the test's ovsdb-server
(OVS_RUNDIR/db.sock), as it reaches /var/run/openvswitch/db.sock on a host.  A libvirtd
already running is not ours to reconfigure: the test then skips.

LibvirtVM is vm.VM with libvirt in QEMU's place: the same guest image and kernel command
line, a control shell on the second serial port, QEMU under TCG with vectors=0 (QEMU 7.2's
MSI-X segfault, passed through <qemu:commandline>), run by libvirt as libvirt-qemu."""
import shutil
import subprocess
import time
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from vm import VM, VMError, qemu_binary

VIRSH = ["virsh", "-q", "-c", "qemu:///system"]
DAEMONS = ("libvirtd", "virtlogd", "virsh")


def virsh(*args, check=True, timeout=60):
    r = subprocess.run(VIRSH + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"virsh {' '.join(map(str, args))} -> rc {r.returncode}: "
                             f"{r.stderr}")
    return r.stdout if check else r


class Libvirtd:
    def __init__(self, workdir, ovs_rundir):
        missing = [d for d in DAEMONS if shutil.which(d) is None]
        if missing:
            pytest.skip(f"needs {', '.join(missing)} (Debian: libvirt-daemon-system, "
                        "libvirt-daemon-driver-qemu; bash .ci/install-deps)")
        if not qemu_binary():
            pytest.skip("qemu-system-x86_64 not found (apt-get install qemu-system-x86)")
        if subprocess.run(["pgrep", "-x", "libvirtd"], capture_output=True).returncode == 0:
            pytest.skip("a libvirtd not started by this test runs: the test needs its own, "
                        "with OVS_RUNDIR set for the ovs-vsctl it runs")
        self.dir = Path(workdir)
        self.env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "OVS_RUNDIR": str(ovs_rundir)}
        self.procs = []

    def start(self):
        if subprocess.run(["pgrep", "-x", "virtlogd"], capture_output=True).returncode != 0:
            self._spawn("virtlogd")
        self._spawn("libvirtd")
        deadline = time.time() + 30
        while virsh("version", check=False).returncode != 0:
            if time.time() > deadline or any(p.poll() is not None for p in self.procs):
                raise RuntimeError("libvirtd did not come up:\n" + self.log_text()[-2000:])
            time.sleep(0.2)
        return self

    def _spawn(self, name):
        log = open(self.dir / f"{name}.log", "ab")
        self.procs.append(subprocess.Popen([name], stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, env=self.env))
        log.close()

    def log_text(self):
        p = self.dir / "libvirtd.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []


DOMAIN = """<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>{domain}</name>
  <memory unit='MiB'>{mem}</memory>
  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
  <vcpu>{smp}</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>{kernel}</kernel>
    <initrd>{initrd}</initrd>
    <cmdline>{cmdline}</cmdline>
  </os>
  <cpu mode='maximum'/>
  <on_reboot>destroy</on_reboot>
  <devices>
    <emulator>{qemu}</emulator>
    <serial type='file'><source path='{console}'/><target port='0'/></serial>
    <serial type='unix'><source mode='bind' path='{ctl}'/><target port='1'/></serial>
    <interface type='vhostuser'>
      <mac address='{mac}'/>
      <source type='unix' path='{sock}' mode='{source_mode}'/>
      <model type='virtio'/>{driver}
    </interface>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-global'/>
    <qemu:arg value='virtio-net-pci.vectors=0'/>
  </qemu:commandline>
</domain>
"""


class LibvirtVM(VM):
    """A test guest started by libvirtd (virsh create: a transient domain).  mode as in
    VM: client = kvswitch owns the socket (libvirt <source mode='client'>)."""

    def domain_xml(self):
        v = self.template_values()
        return DOMAIN.format(
            domain=escape(self.domain), mem=self.mem_mb, smp=self.smp,
            kernel=escape(v["KERNEL"]), initrd=escape(v["INITRD"]),
            cmdline=escape(v["APPEND"]), qemu=escape(v["QEMU"]),
            console=escape(str(self.console_log)), ctl=escape(str(self.ctl_path)),
            mac=self.mac, sock=escape(self.sock),
            source_mode="client" if self.mode == "client" else "server",
            driver=self.driver_xml())

    def driver_xml(self):
        """VM's nic (virtio-net-pci properties) as libvirt's <driver>: packed=on only."""
        if not self.nic:
            return ""
        if self.nic != "packed=on":
            raise ValueError(f"LibvirtVM: no <driver> for nic {self.nic!r}")
        return "\n      <driver packed='on'/>"

    @property
    def domain(self):
        return f"kvs-{self.name}"

    def start(self, timeout=60):
        xml = self.workdir / f"{self.name}.xml"
        xml.write_text(self.domain_xml())
        virsh("create", xml)
        self._started = time.time()
        self._last_check = 0
        self._connect_ctl(timeout)
        return self

    def alive(self):
        r = virsh("domstate", self.domain, check=False)
        return r.returncode == 0 and r.stdout.strip() == "running"

    def _check_alive(self):
        # virsh is slow next to the control shell's reads: ask once a second
        if time.time() - getattr(self, "_last_check", 0) < 1:
            return
        self._last_check = time.time()
        if not self.alive():
            raise VMError(f"{self}: domain {self.domain} is not running\n--- console ---\n"
                          + self.console_text()[-3000:])

    def qemu_log_text(self):
        p = Path("/var/log/libvirt/qemu") / f"{self.domain}.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None
        virsh("destroy", self.domain, check=False)
