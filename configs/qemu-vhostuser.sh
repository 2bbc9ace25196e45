#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The QEMU command line that attaches a guest to kvswitch with multi-queue vhost-user
# virtio-net.  The VM tests run this exact line: tests/system/vm.py reads the command
# between the "qemu command" markers below and fills in its ${...} placeholders (the
# variables set above the markers, which vm.py computes the same way; test_qemu.py checks
# that both give the same arguments).  See docs/vm.md.
#
# By hand, as root or as a user of the switch's vhost-sock-group, booting the test guest
# of tests/vm/build-image.sh:
#
#   kvsctl add-port br0 vm1 -- set Interface vm1 type=dpdkvhostuser
#   NAME=vm1 SOCK=/var/run/kvswitch/vm1 sh configs/qemu-vhostuser.sh
#
#   NAME=vm2 MODE=server SOCK=/var/run/vm2.sock sh configs/qemu-vhostuser.sh &
#   kvsctl add-port br0 vm2 -- set Interface vm2 type=dpdkvhostuserclient \
#          options:vhost-server-path=/var/run/vm2.sock
#
# For a guest of your own, replace -kernel/-initrd/-append and the two -serial lines
# with its disk and console; keep the memory, -smp and vhost-user lines.
#
# Variables (environment):
#   NAME      guest name (vm1)
#   MODE      client: QEMU connects to a socket kvswitch created (port type
#             dpdkvhostuser); server: QEMU creates the socket and kvswitch connects to it
#             (dpdkvhostuserclient, options:vhost-server-path=SOCK).  Default client.
#   SOCK      vhost-user socket (/var/run/kvswitch/NAME, kvswitch's default vhost-sock-dir)
#   RECONNECT client mode only: seconds between QEMU's attempts to reconnect after the
#             switch closed the socket (unset: QEMU does not reconnect)
#   QUEUES    queue pairs (4).  Linux enables them all only with as many vCPUs.
#   SMP       vCPUs (QUEUES)
#   MEM       guest RAM (1024M); shared memfd, as vhost-user needs
#   MAC       guest MAC (52:54:00:00:00:01)
#   ACCEL     kvm (default) or tcg (no /dev/kvm, e.g. nested)
#   VECTORS   MSI-X vectors of the NIC: 2*QUEUES+2 under KVM; 0 under TCG, because
#             QEMU 7.2 under TCG segfaults starting a vhost-user device with MSI-X
#   NIC       more virtio-net-pci properties, comma-separated, e.g. packed=on (packed
#             virtqueues, libvirt's <driver packed='on'/>; kvswitch takes either layout)
#   IMAGE     directory with vmlinuz and initrd.img
#             (${KVS_VM_CACHE:-/var/cache/kvswitch-vm}/latest)
#   IP        kvs.ip= for the test guest's eth0 (10.0.0.1/24; empty: none)
#   CMDLINE   more kernel command line
#   RUNDIR    where the console log and the control socket go (/tmp)
#   QEMU      the QEMU binary (qemu-system-x86_64)
# The test guest writes its console to RUNDIR/NAME-console.log and runs a shell on its
# second serial port, RUNDIR/NAME-ctl.sock (raw, no echo, no prompt):
#   socat - UNIX-CONNECT:/tmp/vm1-ctl.sock

set -eu

NAME=${NAME:-vm1}
MODE=${MODE:-client}
SOCK=${SOCK:-/var/run/kvswitch/$NAME}
QUEUES=${QUEUES:-4}
SMP=${SMP:-$QUEUES}
MEM=${MEM:-1024M}
MAC=${MAC:-52:54:00:00:00:01}
ACCEL=${ACCEL:-kvm}
if [ -z "${VECTORS:-}" ]; then
	if [ "$ACCEL" = tcg ]; then VECTORS=0; else VECTORS=$((2 * QUEUES + 2)); fi
fi
NIC_OPTS=${NIC:+,$NIC}
IMAGE=${IMAGE:-${KVS_VM_CACHE:-/var/cache/kvswitch-vm}/latest}
KERNEL=$IMAGE/vmlinuz
INITRD=$IMAGE/initrd.img
IP=${IP-10.0.0.1/24}
APPEND="console=ttyS0 panic=-1 kvs.name=$NAME kvs.mac=$MAC${IP:+ kvs.ip=$IP}${CMDLINE:+ $CMDLINE}"
RUNDIR=${RUNDIR:-/tmp}
CONSOLE_LOG=$RUNDIR/$NAME-console.log
CTL_SOCK=$RUNDIR/$NAME-ctl.sock
CTL_LOG=$RUNDIR/$NAME-ctl.log
QEMU=${QEMU:-qemu-system-x86_64}
case $MODE in
client) SOCK_OPTS=${RECONNECT:+,reconnect=$RECONNECT} ;;
server) SOCK_OPTS=,server=on,wait=off ;;
*)
	echo "qemu-vhostuser.sh: MODE must be client or server, not '$MODE'" >&2
	exit 2
	;;
esac
if [ "$MODE" = server ]; then rm -f "$SOCK"; fi   # a stale socket would make bind() fail
rm -f "$CTL_SOCK"

# >>> qemu command (tests/system/vm.py reads from here to the end marker)
exec "${QEMU}" -name "${NAME}" \
	-machine "q35,accel=${ACCEL}" -cpu max -smp "${SMP}" -m "${MEM}" \
	-object "memory-backend-memfd,id=mem,size=${MEM},share=on" -numa node,memdev=mem \
	-nodefaults -no-user-config -nographic -no-reboot \
	-kernel "${KERNEL}" -initrd "${INITRD}" -append "${APPEND}" \
	-chardev "file,id=con0,path=${CONSOLE_LOG},append=on" -serial chardev:con0 \
	-chardev "socket,id=ctl0,path=${CTL_SOCK},server=on,wait=off,logfile=${CTL_LOG},logappend=on" \
	-serial chardev:ctl0 \
	-chardev "socket,id=vhost0,path=${SOCK}${SOCK_OPTS}" \
	-netdev "vhost-user,id=n0,chardev=vhost0,vhostforce=on,queues=${QUEUES}" \
	-device "virtio-net-pci,netdev=n0,mac=${MAC},mq=on,vectors=${VECTORS}${NIC_OPTS}"
# <<< qemu command
