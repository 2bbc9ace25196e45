# SPDX-License-Identifier: BSD-3-Clause
"""Real Linux guests under QEMU (TCG) attached to kvswitch through vhost-user.

The guest is the Debian kernel + busybox initramfs built by tests/vm/build-image.sh (cached
in $KVS_VM_CACHE, default /var/cache/kvswitch-vm).  Its /init loads virtio-net, configures
eth0 from the kernel command line (kvs.ip=, kvs.mac=, kvs.name=) and runs a shell on the
second serial port, which QEMU exposes as a unix socket this class talks to:

    vm = VM("vm1", sock, mode="client", mac="52:54:00:00:00:01", ip="10.0.0.1/24",
            queues=2, workdir=tmp_path)
    vm.start()
    vm.wait_boot()
    rc, out = vm.run("ping -c 1 10.0.0.2", timeout=20)
    out = vm.check("ethtool -l eth0")      # raises VMCommandError unless rc == 0
    vm.close()

mode="client": QEMU connects to a socket kvswitch created (a dpdkvhostuser port).
mode="server": QEMU owns the socket (server=on) and kvswitch connects to it (a
dpdkvhostuserclient port).  QEMU 7.2 creates the socket at once (wait=off) but does not run
the guest until a vhost-user backend has connected: its vhost-user netdev waits for the
first connection whatever `wait` says.  Later disconnects (kvswitchd restarted) only take
the link down; the guest keeps running and kvswitch reconnects.

The QEMU command line is not written here: it is read from configs/qemu-vhostuser.sh (the
lines between its "qemu command" markers), whose ${...} placeholders qemu_args() fills in.
So the command documented for users is the command tested.

user="kvs-qemu": QEMU runs as that user (setpriv --reuid/--regid/--init-groups), as libvirt
runs it as libvirt-qemu.  workdir must then be writable by the user and the image readable.

Powering off and booting again: vm.poweroff() (`poweroff -f` in the guest, QEMU exits), then
vm.start() and vm.wait_boot() start a new QEMU with the same settings and socket.

Files in workdir: NAME-console.log (ttyS0: kernel and /init messages), NAME-ctl.log (all
the control shell printed), NAME-qemu.log (QEMU's own stdout/stderr); a new boot appends.
Only the standard library is used.
"""
import atexit
import base64
import ctypes
import grp
import os
import pwd
import re
import select
import shlex
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
import weakref
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_IMAGE = REPO / "tests" / "vm" / "build-image.sh"
QEMU_TEMPLATE = REPO / "configs" / "qemu-vhostuser.sh"
QEMU = os.environ.get("KVS_QEMU", "qemu-system-x86_64")
READY = b"__KVS_READY__"
# A unix socket path must fit in sun_path (108 bytes with the NUL).
MAX_SOCK_PATH = 100


class VMError(RuntimeError):
    """QEMU died, the guest did not boot or did not answer in time."""


class VMCommandError(VMError):
    def __init__(self, vm, cmd, rc, output):
        super().__init__(f"{vm}: `{cmd}` -> rc {rc}:\n{output[-2000:]}")
        self.rc = rc
        self.output = output


class ImageUnavailable(RuntimeError):
    """The guest image could not be built (no apt archive, no dpkg...)."""


def qemu_binary():
    """Path of qemu-system-x86_64, or None."""
    return shutil.which(QEMU)


def qemu_template(path=QEMU_TEMPLATE):
    """The QEMU command of configs/qemu-vhostuser.sh as a list of words, each possibly
    holding ${NAME} placeholders (string.Template syntax, as in the shell).

    The command is the text between the lines "# >>> qemu command" and
    "# <<< qemu command", split as the shell would (quotes, backslash-newlines), less its
    leading `exec`."""
    text = Path(path).read_text()
    m = re.search(r"^# >>> qemu command[^\n]*\n(.*?)^# <<< qemu command", text, re.M | re.S)
    if not m:
        raise ValueError(f"{path}: no '# >>> qemu command' ... '# <<< qemu command' block")
    # backslash-newline continues the line, as in the shell
    words = shlex.split(m.group(1).replace("\\\n", " "), comments=True)
    if words and words[0] == "exec":
        words = words[1:]
    for w in words:
        if re.search(r"\$(?!\{[A-Za-z_][A-Za-z0-9_]*\})", w):
            raise ValueError(f"{path}: '{w}': only ${{NAME}} placeholders are supported")
    return words


def fill_template(words, values):
    """Substitute the placeholders; a placeholder without a value raises KeyError."""
    return [string.Template(w).substitute(values) for w in words]


_image = None


def ensure_image(timeout=900):
    """Build (or reuse from the cache) the guest image; returns its directory.

    Raises ImageUnavailable with build-image.sh's last lines when it fails."""
    global _image
    if _image is not None:
        return _image
    t0 = time.time()
    try:
        r = subprocess.run(["bash", str(BUILD_IMAGE)], capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise ImageUnavailable(f"{BUILD_IMAGE} did not finish in {timeout} s") from e
    if r.returncode != 0 or not r.stdout.strip():
        tail = "\n".join(r.stderr.strip().splitlines()[-8:])
        raise ImageUnavailable(f"{BUILD_IMAGE} failed (rc {r.returncode}):\n{tail}")
    d = Path(r.stdout.strip().splitlines()[-1])
    for f in ("vmlinuz", "initrd.img"):
        if not (d / f).is_file():
            raise ImageUnavailable(f"{d / f} missing after {BUILD_IMAGE}")
    _image = d
    ensure_image.seconds = time.time() - t0
    ensure_image.log = r.stderr
    return d


ensure_image.seconds = 0.0  # how long the (first) call took
ensure_image.log = ""  # build-image.sh's progress output


def _die_with_parent():
    """In the child before exec: SIGKILL QEMU if the test process dies."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


_live = weakref.WeakSet()


@atexit.register
def _close_all():
    for vm in list(_live):
        vm.close()


def tcg_safe_ram_kb(mb):
    """A guest RAM size in KiB for guests that migrate: 8 KiB (QEMU rounds -m to that)
    short of mb MiB.

    QEMU 7.2 under TCG loses guest writes during a live migration: the fast path of its
    dirty-bitmap sync, taken for a RAM block whose length is a multiple of 64 pages,
    clears dirty bits without resetting the TCG TLB, so later stores through that TLB mark
    nothing and their pages are never sent again (fixed upstream in 2024: 'system/physmem:
    Fix migration dirty bitmap coherency with TCG memory access').  The destination guest
    then runs on stale pages (timers, stacks, virtqueues) and breaks.  A length that is not
    such a multiple takes the page-by-page path, which resets the TLB."""
    return mb * 1024 - 8


class VM:
    def __init__(self, name, sock, mode="client", mac="52:54:00:00:00:01", ip=None, queues=1,
                 smp=None, mem_mb=256, workdir=None, image=None, cmdline="", reconnect=None,
                 extra_args=(), user=None, mem_kb=None, nic=""):
        if mode not in ("client", "server"):
            raise ValueError(f"mode must be client or server, not {mode!r}")
        self.name = name
        self.sock = str(sock)
        self.mode = mode
        self.mac = mac
        self.ip_cidr = ip
        self.queues = queues
        self.smp = smp or max(queues, 1)
        self.mem_mb = mem_mb
        self.mem_kb = mem_kb  # instead of mem_mb when set: see tcg_safe_ram_kb()
        self.image = Path(image) if image else None
        self.cmdline = cmdline
        self.reconnect = reconnect
        self.extra_args = list(extra_args)
        self.nic = nic  # more virtio-net-pci properties (the script's NIC), e.g. "packed=on"
        self.user = user
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix=f"kvs-{name}-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.console_log = self.workdir / f"{name}-console.log"
        self.ctl_log = self.workdir / f"{name}-ctl.log"
        self.qemu_log = self.workdir / f"{name}-qemu.log"
        self._sockdir = None
        self.ctl_path = self.workdir / f"{name}-ctl.sock"
        self._ctl_setup()
        self.proc = None
        self.conn = None
        self._buf = b""
        self._seq = 0
        self.boot_seconds = None
        self._started = None

    def __repr__(self):
        return f"VM({self.name})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- lifecycle ----
    def _ctl_setup(self):
        """The control socket goes in workdir unless the path is too long for sun_path."""
        if self._sockdir is None and len(str(self.workdir / f"{self.name}-ctl.sock")) > \
                MAX_SOCK_PATH:
            self._sockdir = tempfile.mkdtemp(prefix="kvs-vm-")
            if self.user:
                pw = pwd.getpwnam(self.user)
                os.chown(self._sockdir, pw.pw_uid, pw.pw_gid)
            self.ctl_path = Path(self._sockdir) / f"{self.name}-ctl.sock"

    def template_values(self):
        """The values of configs/qemu-vhostuser.sh's placeholders for this guest, computed
        as the script computes them from its variables (ACCEL=tcg)."""
        mem = f"{self.mem_kb}K" if self.mem_kb else f"{self.mem_mb}M"
        append = f"console=ttyS0 panic=-1 kvs.name={self.name} kvs.mac={self.mac}"
        if self.ip_cidr:
            append += f" kvs.ip={self.ip_cidr}"
        if self.cmdline:
            append += f" {self.cmdline}"
        if self.mode == "server":
            sock_opts = ",server=on,wait=off"
        else:
            sock_opts = f",reconnect={self.reconnect}" if self.reconnect else ""
        image = self.image or Path("IMAGE")
        return {
            "QEMU": qemu_binary() or QEMU, "NAME": self.name,
            # TCG: nested KVM hangs on the CI machines.  VECTORS=0: QEMU 7.2 under TCG
            # segfaults starting a vhost-user device with MSI-X (under KVM: 2*QUEUES+2)
            "ACCEL": "tcg", "VECTORS": "0",
            "SMP": str(self.smp), "MEM": mem,
            "KERNEL": str(image / "vmlinuz"), "INITRD": str(image / "initrd.img"),
            "APPEND": append,
            "CONSOLE_LOG": str(self.console_log), "CTL_SOCK": str(self.ctl_path),
            "CTL_LOG": str(self.ctl_log),
            "SOCK": self.sock, "SOCK_OPTS": sock_opts,
            "QUEUES": str(self.queues), "MAC": self.mac,
            "NIC_OPTS": f",{self.nic}" if self.nic else "",
        }

    def qemu_args(self):
        """QEMU's argv: configs/qemu-vhostuser.sh's command, filled in, then extra_args;
        behind setpriv when the VM runs as another user."""
        args = fill_template(qemu_template(), self.template_values()) + self.extra_args
        if self.user:
            group = grp.getgrgid(pwd.getpwnam(self.user).pw_gid).gr_name
            # --pdeathsig again: changing the uid clears the one _die_with_parent set
            args = ["setpriv", f"--reuid={self.user}", f"--regid={group}", "--init-groups",
                    "--pdeathsig", "KILL", "--"] + args
        return args

    def start(self, timeout=30):
        """Start QEMU and connect to the control serial port (the guest boots meanwhile)."""
        if self.image is None:
            self.image = ensure_image()
        if not qemu_binary():
            raise VMError(f"{QEMU} not found")
        if self.alive():
            raise VMError(f"{self}: already running")
        if self.conn:  # a QEMU that exited by itself: let go of its control socket
            self.conn.close()
            self.conn = None
        self._ctl_setup()
        self._buf = b""
        for p in (self.ctl_path,) + ((Path(self.sock),) if self.mode == "server" else ()):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        args = self.qemu_args()
        with open(self.qemu_log, "ab") as logf:
            logf.write(("+ " + shlex.join(args) + "\n").encode())
            logf.flush()
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=logf,
                                         stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        self._started = time.time()
        _live.add(self)
        self._connect_ctl(timeout)
        return self

    def _connect_ctl(self, timeout):
        """Connect to the control serial port's socket as soon as QEMU has made it."""
        deadline = time.time() + timeout
        while True:
            self._check_alive()
            if self.ctl_path.exists():
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    s.connect(str(self.ctl_path))
                    self.conn = s
                    return
                except OSError:
                    s.close()
            if time.time() > deadline:
                raise VMError(f"{self}: control socket {self.ctl_path} did not appear\n"
                              + self.qemu_log_text()[-2000:])
            time.sleep(0.05)

    def wait_boot(self, timeout=180):
        """Wait for /init's ready line, then for the shell to answer."""
        self._read_until(lambda: READY in self._buf, timeout, "boot (ready line)")
        self._buf = self._buf[self._buf.index(READY):]
        self.run("true", timeout=max(30, timeout / 4))
        self.boot_seconds = time.time() - self._started
        return self.boot_seconds

    def poweroff(self, timeout=60):
        """Power the guest off from inside, at once (`poweroff -f`: no shutdown scripts, as
        pulling the plug on the guest's side), and wait for QEMU to exit; returns QEMU's
        exit code.  QEMU's sockets are removed as by close(); start() boots it again."""
        if not self.conn or not self.alive():
            raise VMError(f"{self}: not running")
        self.conn.sendall(b"poweroff -f\n")
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise VMError(f"{self}: QEMU still running {timeout} s after poweroff -f\n"
                          + self.console_text()[-2000:]) from None
        self.close()
        return rc

    def close(self):
        """Kill QEMU and remove the sockets it owned.  Idempotent."""
        if self.conn:
            self.conn.close()
            self.conn = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
        owned = [self.ctl_path] + ([Path(self.sock)] if self.mode == "server" else [])
        for p in owned:
            try:
                os.unlink(p)
            except (FileNotFoundError, IsADirectoryError):
                pass
        if self._sockdir:
            shutil.rmtree(self._sockdir, ignore_errors=True)
            self._sockdir = None
        _live.discard(self)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # ---- guest commands ----
    def run(self, cmd, timeout=30):
        """Run a shell command in the guest; returns (exit code, output with stderr).

        The command is shipped base64-encoded and run by a child `sh` under busybox
        `timeout -s KILL`, with stdin from /dev/null, so neither its quoting nor a hang
        can take the control shell down (exit code 137: killed by the guest timeout)."""
        if not self.conn:
            raise VMError(f"{self}: not started")
        self._seq += 1
        n = self._seq
        b64 = base64.b64encode(cmd.encode()).decode()
        f = f"/tmp/.kvs-cmd-{n}"
        # the markers are split by "" so the command line never contains them literally
        line = (f"echo {b64} | base64 -d >{f}; echo __KVS\"\"_BEGIN_{n}; "
                f"timeout -s KILL {max(1, round(timeout))} sh {f} </dev/null 2>&1; "
                f"echo __KVS\"\"_END_{n}_$?; rm -f {f}\n")
        self.conn.sendall(line.encode())
        begin = f"__KVS_BEGIN_{n}\n".encode()
        end = re.compile(rb"__KVS_END_%d_(\d+)\n" % n)

        def done():
            return begin in self._buf and end.search(self._buf, self._buf.index(begin))
        self._read_until(done, timeout + 20, f"`{cmd}`")
        start = self._buf.index(begin) + len(begin)
        m = end.search(self._buf, start)
        out = self._buf[start:m.start()].decode(errors="replace")
        self._buf = self._buf[m.end():]
        return int(m.group(1)), out

    def check(self, cmd, timeout=30):
        """run() that raises VMCommandError unless the command exits 0; returns its output."""
        rc, out = self.run(cmd, timeout)
        if rc != 0:
            raise VMCommandError(self, cmd, rc, out)
        return out

    def ip(self):
        """The guest's IPv4 address (from kvs.ip=, without the prefix length)."""
        return self.ip_cidr.split("/")[0] if self.ip_cidr else None

    def wait_link(self, timeout=60):
        """Wait until eth0 is operationally up in the guest (carrier seen and propagated)."""
        deadline = time.time() + timeout
        while True:
            rc, out = self.run("cat /sys/class/net/eth0/operstate", timeout=10)
            if rc == 0 and out.strip() == "up":
                return
            if time.time() > deadline:
                raise VMError(f"{self}: eth0 not up after {timeout} s (operstate {out.strip()})")
            time.sleep(0.5)

    # ---- logs ----
    def console_text(self):
        try:
            return self.console_log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def qemu_log_text(self):
        try:
            return self.qemu_log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # ---- internals ----
    def _check_alive(self):
        if self.proc is None or self.proc.poll() is not None:
            rc = None if self.proc is None else self.proc.returncode
            raise VMError(f"{self}: QEMU exited (rc {rc})\n--- qemu log ---\n"
                          + self.qemu_log_text()[-2000:] + "\n--- console ---\n"
                          + self.console_text()[-3000:])

    def _read_until(self, done, timeout, what):
        deadline = time.time() + timeout
        while not done():
            self._check_alive()
            left = deadline - time.time()
            if left <= 0:
                raise VMError(f"{self}: timed out after {timeout:.0f} s waiting for {what}\n"
                              f"--- control output ---\n"
                              f"{self._buf[-1500:].decode(errors='replace')}\n"
                              f"--- console ---\n{self.console_text()[-3000:]}")
            r, _, _ = select.select([self.conn], [], [], min(left, 0.5))
            if r:
                data = self.conn.recv(65536)
                if not data:
                    raise VMError(f"{self}: control socket closed\n" + self.qemu_log_text()[-2000:])
                self._buf += data
