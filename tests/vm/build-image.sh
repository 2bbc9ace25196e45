#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build the guest image the QEMU system tests boot (tests/system/vm.py): a Debian
# kernel and a small busybox initramfs, made only from Debian packages fetched with
# `apt-get download` and unpacked with `dpkg -x` (nothing is installed on the host).
#
#   tests/vm/build-image.sh            # build (or reuse) and print the image directory
#   KVS_VM_CACHE=/tmp/vmc tests/vm/build-image.sh
#
# The image lands in $KVS_VM_CACHE/<key>/ (default /var/cache/kvswitch-vm), with
#   vmlinuz      the kernel of linux-image-amd64's current dependency
#   initrd.img   gzip'd newc cpio: busybox-static, ethtool and iperf3 (+ their libraries), the
#                virtio-net modules and /init (below)
#   manifest     packages, versions and sha256 of every input and output
# <key> is a hash of the package versions and of this script, so a new kernel or
# busybox in the archive, or an edit here, builds a new image; an existing one is
# reused without downloading anything.  The archive is built reproducibly (fixed
# mtimes and owners, sorted, gzip -n): the same inputs give the same bytes.
# If the apt metadata cannot be read (no `apt-get update` yet, no archive), the
# most recent image in the cache is used; with none the script fails.
#
# Progress goes to stderr; the image directory is the only line on stdout.
# Exit status: 0 ok, 1 failure (the reason is on stderr).
#
# The guest's /init takes from the kernel command line:
#   kvs.ip=A.B.C.D/N   address of eth0 (none: eth0 only brought up)
#   kvs.mac=MAC        MAC of eth0 (normally QEMU's -device mac= already)
#   kvs.name=NAME      hostname
# It mounts proc/sys/dev, loads virtio_ring virtio virtio_pci_legacy_dev
# virtio_pci_modern_dev virtio_pci failover net_failover virtio_net (skipping any
# the kernel has built in), configures eth0, logs to ttyS0 (the kernel console) and
# runs a control shell on ttyS1: raw mode, no echo, no prompt, a plain `sh` that
# reads commands from the serial line and writes their output back.  It announces
# itself with a line "__KVS_READY__ <name>" once it is listening.

set -euo pipefail

CACHE=${KVS_VM_CACHE:-/var/cache/kvswitch-vm}
SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
	failover net_failover virtio_net)
EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

say() { echo "build-image: $*" >&2; }
die() { echo "build-image: ERROR: $*" >&2; exit 1; }

for t in apt-get apt-cache dpkg cpio gzip sha256sum flock; do
	command -v "$t" >/dev/null || die "$t not found (Debian host with dpkg, apt, cpio, gzip needed)"
done

resolve() {  # sets KPKG and VERS[] from the apt metadata; returns 1 if unavailable
	KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$KPKG" ] || return 1
	PKGS=("$KPKG" busybox-static ethtool libmnl0 libc6 iperf3 libiperf0 libsctp1 libssl3)
	# one apt-cache call: "pkg=candidate" for each package that has one
	mapfile -t VERS < <(apt-cache policy "${PKGS[@]}" 2>/dev/null | awk '
		/^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
		/^  Candidate:/ && $2 != "(none)" { print p "=" $2 }')
	[ "${#VERS[@]}" -eq "${#PKGS[@]}" ]
}

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9   # one builder at a time; the others then find the image in the cache

if ! resolve; then
	if [ -L "$CACHE/latest" ] && [ -f "$CACHE/latest/initrd.img" ]; then
		say "apt metadata unavailable (no 'apt-get update'?): reusing $(readlink -f "$CACHE/latest")"
		readlink -f "$CACHE/latest"
		exit 0
	fi
	die "cannot resolve linux-image-amd64/busybox-static/ethtool in the apt metadata" \
		"(run 'apt-get update'; is a Debian archive reachable?)"
fi

KEY=$( { printf '%s\n' "${VERS[@]}" "arch=$(dpkg --print-architecture)"; sha256sum <"$SCRIPT"; } |
	sha256sum | cut -c1-16)
OUT=$CACHE/$KEY
if [ -f "$OUT/initrd.img" ] && [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/manifest" ]; then
	say "cached image $OUT (${VERS[*]})"
	ln -sfn "$KEY" "$CACHE/latest"
	echo "$OUT"
	exit 0
fi

T0=$SECONDS
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kvs-vm-build.XXXXXX")
chmod 0755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
say "building image $KEY in $WORK"
say "packages: ${VERS[*]}"

# ---- fetch and unpack ----
mkdir -p "$WORK/debs" "$WORK/x"
chmod 0777 "$WORK/debs"   # apt-get download drops to user _apt when it can write there
(cd "$WORK/debs" && apt-get download -q "${VERS[@]}" >&2) ||
	die "apt-get download ${VERS[*]} failed (no Debian archive reachable?)"
for d in "$WORK"/debs/*.deb; do
	say "unpacking $(basename "$d") ($(du -h "$d" | cut -f1))"
	dpkg -x "$d" "$WORK/x"
done
X=$WORK/x
KVER=${KPKG#linux-image-}
if [ ! -f "$X/boot/vmlinuz-$KVER" ] || [ ! -d "$X/lib/modules/$KVER" ]; then
	die "no vmlinuz-$KVER or modules in $KPKG"
fi
say "kernel $KVER"

# ---- initramfs tree ----
R=$WORK/root
mkdir -p "$R"/{bin,sbin,dev,proc,sys,tmp,run,etc,root,lib/modules/kvs,lib/x86_64-linux-gnu,lib64}
chmod 1777 "$R/tmp"
install -m 0755 "$X/bin/busybox" "$R/bin/busybox"
for a in $("$R/bin/busybox" --list); do
	[ "$a" = busybox ] || ln -s busybox "$R/bin/$a"
done

MB=$X/lib/modules/$KVER/modules.builtin
cp "$MB" "$R/lib/modules/kvs/modules.builtin"
for m in "${MODULES[@]}"; do
	f=$(find "$X/lib/modules/$KVER/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" |
		head -n1)
	if [ -z "$f" ]; then
		grep -q "/$m.ko\$" "$MB" || die "module $m neither in $KPKG nor built in"
		say "module $m: built in"
		continue
	fi
	case $f in
	*.xz) xz -dc "$f" >"$R/lib/modules/kvs/$m.ko" ;;
	*.zst) zstd -qdc "$f" >"$R/lib/modules/kvs/$m.ko" ;;
	*) cp "$f" "$R/lib/modules/kvs/$m.ko" ;;
	esac
	say "module $m: $(basename "$f")"
done
printf '%s\n' "${MODULES[@]}" >"$R/lib/modules/kvs/order"

# ethtool and iperf3 (the TCP benchmarks' tool) are dynamically linked: ship them
# with the loader and their libraries (libcrypto is the image's largest file, ~2 MB
# compressed, a fraction of a second of TCG boot)
install -m 0755 "$X/sbin/ethtool" "$R/sbin/ethtool"
install -m 0755 "$X/usr/bin/iperf3" "$R/bin/iperf3"
for l in lib/x86_64-linux-gnu/libc.so.6 lib/x86_64-linux-gnu/libm.so.6 \
	lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 usr/lib/x86_64-linux-gnu/libmnl.so.0 \
	usr/lib/x86_64-linux-gnu/libiperf.so.0 usr/lib/x86_64-linux-gnu/libsctp.so.1 \
	usr/lib/x86_64-linux-gnu/libcrypto.so.3; do
	cp -L "$X/$l" "$R/lib/x86_64-linux-gnu/$(basename "$l")"
done
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$R/lib64/ld-linux-x86-64.so.2"

echo "root:x:0:0:root:/root:/bin/sh" >"$R/etc/passwd"
echo "root:x:0:" >"$R/etc/group"
printf '127.0.0.1 localhost\n' >"$R/etc/hosts"

cat >"$R/init" <<'EOF'
#!/bin/sh
# kvswitch test guest init (generated by tests/vm/build-image.sh)
export PATH=/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t tmpfs tmp /tmp
log() { echo "kvs-init: $*" >/dev/console; }

IP='' MAC='' NAME=guest
for w in $(cat /proc/cmdline); do
	case $w in
	kvs.ip=*) IP=${w#kvs.ip=} ;;
	kvs.mac=*) MAC=${w#kvs.mac=} ;;
	kvs.name=*) NAME=${w#kvs.name=} ;;
	esac
done
hostname "$NAME"
log "kernel $(uname -r), $(nproc) cpus, name $NAME ip ${IP:-none}"

for m in $(cat /lib/modules/kvs/order); do
	if [ -f "/lib/modules/kvs/$m.ko" ]; then
		insmod "/lib/modules/kvs/$m.ko" 2>/dev/console || log "insmod $m failed"
	elif ! grep -q "/$m.ko\$" /lib/modules/kvs/modules.builtin; then
		log "module $m missing"
	fi
done

ip link set lo up
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ -e /sys/class/net/eth0 ]; then
	[ -n "$MAC" ] && ip link set eth0 address "$MAC"
	ip link set eth0 up
	[ -n "$IP" ] && ip addr add "$IP" dev eth0
	log "eth0 up: $(cat /sys/class/net/eth0/address) ${IP:-no address}"
else
	log "no eth0"
fi

if [ ! -c /dev/ttyS1 ]; then
	log "no /dev/ttyS1: no control shell"
	exec sh </dev/console >/dev/console 2>&1
fi
# the control channel: a plain shell on ttyS1, raw and without echo
exec 0</dev/ttyS1 1>/dev/ttyS1 2>&1
stty raw -echo clocal
log "control shell on ttyS1"
echo "__KVS_READY__ $NAME"
while :; do
	sh
	echo "__KVS_SHELL_RESTART__"
	sleep 0.2
done
EOF
chmod 0755 "$R/init"

# ---- pack, reproducibly ----
mkdir -p "$WORK/out"
find "$R" -exec touch -h -d "@$EPOCH" {} +
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -9 >"$WORK/out/initrd.img"
cp "$X/boot/vmlinuz-$KVER" "$WORK/out/vmlinuz"
{
	echo "key $KEY"
	echo "kernel $KVER"
	printf 'package %s\n' "${VERS[@]}"
	(cd "$WORK/debs" && sha256sum ./*.deb | sed 's/^/deb /')
	(cd "$WORK/out" && sha256sum vmlinuz initrd.img | sed 's/^/out /')
	echo "script $(sha256sum <"$SCRIPT" | cut -d' ' -f1)"
} >"$WORK/out/manifest"
STAGE=$CACHE/.stage-$KEY.$$
rm -rf "$STAGE" "$OUT"
cp -a "$WORK/out" "$STAGE"
mv "$STAGE" "$OUT"   # same file system: the image appears whole or not at all
ln -sfn "$KEY" "$CACHE/latest"
for d in "$CACHE"/????????????????; do   # older images (other keys)
	[ "$d" = "$OUT" ] || { say "removing old image $d"; rm -rf "$d"; }
done
say "initrd.img $(du -h "$OUT/initrd.img" | cut -f1), vmlinuz $(du -h "$OUT/vmlinuz" | cut -f1)," \
	"built in $((SECONDS - T0)) s"
echo "$OUT"
