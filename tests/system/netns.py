# SPDX-License-Identifier: BSD-3-Clause
"""A real Linux host for tests: a network namespace at the far end of a veth
pair whose near end a kvswitch `dpdk` port drives (af_packet or af_xdp)."""
import os
import shutil
import subprocess


def sh(*args, check=True):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=check)


class NetnsHost:
    def __init__(self, ip_cidr, tag=None, veth=True):
        n = tag or f"{os.getpid() % 100000}"
        self.ns = f"kvsns{n}"
        self.near = f"kvs{n}a"   # stays in the root namespace, given to DPDK
        self.far = f"kvs{n}b"    # inside the namespace, a kernel interface
        self.ip = ip_cidr.split("/")[0]
        self.ip_cidr = ip_cidr
        sh("ip", "netns", "add", self.ns)
        if not veth:
            return               # adopt() brings the interface
        try:
            sh("ip", "link", "add", self.near, "type", "veth", "peer", "name", self.far)
            sh("ip", "link", "set", self.far, "netns", self.ns)
            for dev in (self.near,):
                sh("sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1", check=False)
                sh("ip", "link", "set", dev, "up")
            self.exec("sysctl", "-qw", f"net.ipv6.conf.{self.far}.disable_ipv6=1", check=False)
            self.exec("ip", "addr", "add", ip_cidr, "dev", self.far)
            self.exec("ip", "link", "set", self.far, "up")
            self.exec("ip", "link", "set", "lo", "up")
        except Exception:
            self.close()
            raise

    def adopt(self, dev):
        """Move dev (a tap device DPDK made) into the namespace as its interface."""
        sh("ip", "link", "set", dev, "netns", self.ns)
        self.far = dev
        self.exec("sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1", check=False)
        self.exec("ip", "addr", "add", self.ip_cidr, "dev", dev)
        self.exec("ip", "link", "set", dev, "up")
        self.exec("ip", "link", "set", "lo", "up")

    def snmp(self, proto):
        """The namespace's /proc/net/snmp counters of one protocol ("Tcp", "Ip")."""
        lines = [ln.split() for ln in self.exec("cat", "/proc/net/snmp").stdout.splitlines()
                 if ln.startswith(proto + ":")]
        return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:])}

    def exec(self, *args, check=True):
        return sh("ip", "netns", "exec", self.ns, *args, check=check)

    def mac(self):
        out = self.exec("cat", f"/sys/class/net/{self.far}/address").stdout
        return out.strip()

    def close(self):
        sh("ip", "link", "del", self.near, check=False)
        sh("ip", "netns", "del", self.ns, check=False)


def netns_host(ip_cidr, veth=True):
    """Fixture body: a NetnsHost for one test, skipped without iproute2."""
    import pytest

    if shutil.which("ip") is None:
        pytest.skip("iproute2 (ip) is not installed")
    h = NetnsHost(ip_cidr, veth=veth)
    yield h
    h.close()
