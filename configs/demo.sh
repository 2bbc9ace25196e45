#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# kvswitch demo: install what is needed, build, and run the switch on a demo
# topology where two virtio-user guests exchange traffic through a bridge,
# printing live rates.
#
#   guest vm1 (kvs-guest) <-vhost-user-> [ kvswitchd: br0 ] <-vhost-user-> guest vm2 (kvs-guest)
#
# The guests are kvs-guest processes ("guests without a VM", tests/tools/kvs_guest.c) on
# core 0; each streams test frames to the other.  Every second one line shows, per switch
# port, the packets the switch received from the guest (rx) and sent to it (tx), in Kpps,
# and the port's drop total.  At the end: kvsctl show, pmd-stats-show, and what each guest
# received from the other.  Everything (processes, sockets, temp dir) is removed on exit.
#
# Usage (as root):  bash configs/demo.sh
# Environment:
#   DEMO_SECONDS   how long to stream (default 20; 0 = until Ctrl-C)
#   DEMO_PPS       frames per second each guest sends (default 200000)
#   DEMO_SKIP_DEPS 1 = do not run .ci/install-deps
#   KVS_BUILD_DIR  build directory (default <repo>/build)
#   DEMO_KEEP      1 = keep the temp dir (config, logs) for a look afterwards
# Exits non-zero if no traffic crossed the switch (in either direction).

# cleanup() and on_int() run from traps, which shellcheck cannot see:
# shellcheck disable=SC2317

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${KVS_BUILD_DIR:-$REPO/build}
SECONDS_TO_RUN=${DEMO_SECONDS:-20}
PPS=${DEMO_PPS:-200000}
MACS=("" "52:54:00:00:00:01" "52:54:00:00:00:02")

say() { echo "demo: $*"; }
die() {
	echo "demo: ERROR: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root (hugepages, vhost-user sockets)"
[[ $SECONDS_TO_RUN =~ ^[0-9]+$ ]] || die "DEMO_SECONDS must be a whole number, not '$SECONDS_TO_RUN'"
[[ $PPS =~ ^[1-9][0-9]*$ ]] || die "DEMO_PPS must be a positive whole number, not '$PPS'"

# ---- install and build ----
if [ "${DEMO_SKIP_DEPS:-0}" != 1 ]; then
	say "installing dependencies and reserving hugepages (.ci/install-deps)"
	"$REPO/.ci/install-deps"
fi
if [ -f "$BUILD/build.ninja" ]; then
	say "building in $BUILD (already configured)"
else
	say "configuring $BUILD"
	meson setup "$BUILD" "$REPO"
	say "building in $BUILD"
fi
ninja -C "$BUILD"

KVSWITCHD=$BUILD/control/kvswitchd
KVSCTL_BIN=$BUILD/control/kvsctl
GUEST=$BUILD/tests/tools/kvs-guest
for b in "$KVSWITCHD" "$KVSCTL_BIN" "$GUEST"; do
	[ -x "$b" ] || die "$b was not built"
done

# ---- run-time state, cleaned up on exit ----
TMP=$(mktemp -d /tmp/kvs-demo.XXXXXX)
SW_PID=""
GPID=("" "" "")
GIN=("" "" "")
GOUT=("" "" "")
STOP=0
IN_LOOP=0
CLEANED=0

# alive PID: running and not a zombie waiting to be reaped
alive() {
	local stat
	[ -n "$1" ] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# stop_pid PID NAME SECONDS: SIGTERM, wait up to SECONDS, then SIGKILL; reaps it
stop_pid() {
	local pid=$1 name=$2 secs=$3 i
	alive "$pid" || {
		wait "$pid" 2>/dev/null
		return 0
	}
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		say "$name did not stop within ${secs}s, killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

cleanup() {
	local rc=$? n fd
	[ "$CLEANED" = 1 ] && return
	CLEANED=1
	set +e
	trap - INT TERM
	for n in 1 2; do
		fd=${GIN[$n]}
		if alive "${GPID[$n]}"; then
			{ printf 'quit\n' >&"$fd"; } 2>/dev/null
			sleep 0.5
			stop_pid "${GPID[$n]}" "vm$n guest" 5
		fi
		[ -n "$fd" ] && exec {fd}>&-
		fd=${GOUT[$n]}
		[ -n "$fd" ] && exec {fd}<&-
		rm -rf "/var/run/dpdk/demo-vm$n"
	done
	[ -n "$SW_PID" ] && stop_pid "$SW_PID" kvswitchd 20
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] && [ "$rc" -ne 143 ]; then
		for f in "$TMP"/kvswitchd.log "$TMP"/vm1.log "$TMP"/vm2.log; do
			[ -s "$f" ] || continue
			echo "--- tail of $(basename "$f") ---" >&2
			tail -n 15 "$f" >&2
		done
	fi
	if [ "${DEMO_KEEP:-0}" = 1 ]; then
		say "kept $TMP (config and logs)"
	else
		rm -rf "$TMP"
	fi
	return 0
}
trap cleanup EXIT
on_int() {
	if [ "$IN_LOOP" = 1 ]; then
		STOP=1
	else
		echo >&2
		say "interrupted"
		exit 130
	fi
}
trap on_int INT
trap 'exit 143' TERM

kvsctl() { "$KVSCTL_BIN" --unixctl "$TMP/kvswitchd.ctl" -t 10 "$@"; }

# ---- the switch ----
cat >"$TMP/kvswitch.yaml" <<EOF
# kvswitch demo: bridge br0 with two vhost-user ports (sockets in $TMP/sock)
open_vswitch:
  other_config:
    vhost-sock-dir: $TMP/sock
    n-mbufs: 16384
bridges:
  br0:
    ports:
      vm1:
        type: dpdkvhostuser
      vm2:
        type: dpdkvhostuser
EOF
mkdir -p "$TMP/sock"
say "starting kvswitchd (bridge br0, ports vm1 vm2, sockets in $TMP/sock)"
setsid "$KVSWITCHD" --config "$TMP/kvswitch.yaml" --unixctl "$TMP/kvswitchd.ctl" \
	</dev/null >"$TMP/kvswitchd.log" 2>&1 &
SW_PID=$!
for ((i = 0; ; i++)); do
	alive "$SW_PID" || die "kvswitchd exited during start-up"
	if [ -S "$TMP/kvswitchd.ctl" ] && kvsctl version >/dev/null 2>&1; then
		break
	fi
	((i < 300)) || die "kvswitchd did not come up within 30s"
	sleep 0.1
done
for p in vm1 vm2; do
	[ -S "$TMP/sock/$p" ] || die "kvswitchd did not create $TMP/sock/$p"
done
say "kvswitchd is up (pid $SW_PID): $(kvsctl version | head -n 1)"

# ---- the guests ----
# gcmd N LINE [TIMEOUT]: one command to guest N, its JSON answer on stdout
gcmd() {
	local n=$1 line=$2 t=${3:-30} ans i
	printf '%s\n' "$line" >&"${GIN[$n]}" || die "vm$n: cannot write '$line'"
	for ((i = 0; ; i++)); do
		if IFS= read -r -t 1 ans <&"${GOUT[$n]}"; then
			break
		fi
		alive "${GPID[$n]}" || die "vm$n guest exited (command '$line')"
		((i < t)) || die "vm$n: no answer to '$line' within ${t}s"
	done
	if jq -e 'type == "object" and has("error")' >/dev/null 2>&1 <<<"$ans"; then
		die "vm$n: '$line': $(jq -r .error <<<"$ans")"
	fi
	printf '%s\n' "$ans"
}

for n in 1 2; do
	mac=${MACS[$n]}
	mkfifo "$TMP/vm$n.in" "$TMP/vm$n.out"
	# read-write opens never block, whoever comes first
	exec {fdin}<>"$TMP/vm$n.in" {fdout}<>"$TMP/vm$n.out"
	GIN[n]=$fdin
	GOUT[n]=$fdout
	say "starting guest vm$n (mac $mac, core 0) on $TMP/sock/vm$n"
	setsid "$GUEST" -l 0 --no-pci --in-memory --single-file-segments -m 128 \
		--file-prefix "demo-vm$n" \
		--vdev "net_virtio_user0,path=$TMP/sock/vm$n,queues=1,queue_size=1024,mac=$mac" \
		-- --mac "$mac" --id "$n" \
		<"$TMP/vm$n.in" >"$TMP/vm$n.out" 2>"$TMP/vm$n.log" &
	GPID[n]=$!
done
for n in 1 2; do
	gcmd "$n" queues 60 >/dev/null
	ans=$(gcmd "$n" "link timeout_ms=10000" 40)
	[ "$(jq -r .link <<<"$ans")" = true ] || die "vm$n: link did not come up: $ans"
	say "vm$n link up ($ans)"
done

# ---- traffic ----
gcmd 1 "stream start dst=${MACS[2]} pps=$PPS" >/dev/null
gcmd 2 "stream start dst=${MACS[1]} pps=$PPS" >/dev/null
if [ "$SECONDS_TO_RUN" -eq 0 ]; then
	say "vm1 <-> vm2 streaming at $PPS pps each way; Ctrl-C to stop"
else
	say "vm1 <-> vm2 streaming at $PPS pps each way for ${SECONDS_TO_RUN}s (Ctrl-C stops early)"
fi
say "per switch port: rx = from the guest, tx = to the guest (Kpps), drops = total so far"

# one line per port: NAME RX_PACKETS TX_PACKETS DROPS
port_counters() {
	kvsctl --format json port-stats |
		jq -r '.[] | "\(.name) \(.rx_packets) \(.tx_packets) \([(.rx_drops // {})[], (.tx_drops // {})[]] | add // 0)"'
}

declare -A PRX PTX
now() { date +%s.%N; }
T0=$(now)
TPREV=$T0
while read -r name rx tx drops; do
	PRX[$name]=$rx
	PTX[$name]=$tx
done < <(port_counters)

IN_LOOP=1
for ((sec = 1; SECONDS_TO_RUN == 0 || sec <= SECONDS_TO_RUN; sec++)); do
	sleep 1 || true
	[ "$STOP" = 1 ] && break
	alive "$SW_PID" || die "kvswitchd died"
	TNOW=$(now)
	if ! counters=$(port_counters); then
		[ "$STOP" = 1 ] && break # Ctrl-C hit kvsctl or jq
		die "kvsctl port-stats failed"
	fi
	line=""
	while read -r name rx tx drops; do
		r=$(awk -v a="${PRX[$name]:-0}" -v b="$rx" -v c="${PTX[$name]:-0}" -v d="$tx" \
			-v t0="$TPREV" -v t1="$TNOW" \
			'BEGIN { dt = t1 - t0; if (dt <= 0) dt = 1;
			         printf "rx %7.1f  tx %7.1f Kpps  drops %s", (b - a) / dt / 1000,
			                (d - c) / dt / 1000, "'"$drops"'" }')
		line+="${line:+ | }$name: $r"
		PRX[$name]=$rx
		PTX[$name]=$tx
	done <<<"$counters"
	printf '[%4ds] %s\n' "$sec" "$line"
	TPREV=$TNOW
	[ "$STOP" = 1 ] && break
done
IN_LOOP=0
[ "$STOP" = 1 ] && say "stopped by Ctrl-C"
trap on_int INT

echo
echo "=== kvsctl show ==="
kvsctl show
echo
echo "=== kvsctl pmd-stats-show ==="
kvsctl pmd-stats-show
echo
echo "=== drops by reason (kvsctl port-stats, non-zero only) ==="
kvsctl --format json port-stats | jq -r '.[] | "\(.name): " +
	(([(.rx_drops // {}) | to_entries[] | select(.value > 0) | "rx \(.key) \(.value)"] +
	  [(.tx_drops // {}) | to_entries[] | select(.value > 0) | "tx \(.key) \(.value)"])
	 | if length == 0 then "none" else join(", ") end)'
echo

# ---- results ----
declare -A SENT
for n in 1 2; do
	ans=$(gcmd "$n" "stream stop")
	SENT[$n]=$(jq -r .sent <<<"$ans")
done
for n in 1 2; do
	gcmd "$n" "quiet idle_ms=200 timeout_ms=3000" >/dev/null
done
crossed=1
for n in 1 2; do
	other=$((3 - n))
	st=$(gcmd "$n" stats)
	got=$(jq -r --arg m "${MACS[$other]}" '.rx.by_src[$m] // 0' <<<"$st")
	total=$(jq -r '.rx.total' <<<"$st")
	loss=$(awk -v s="${SENT[$other]}" -v g="$got" \
		'BEGIN { if (s > 0) printf "%.3f%%", (s - g) * 100 / s; else printf "n/a" }')
	say "vm$n received $got frames from vm$other (vm$other sent ${SENT[$other]}, lost $loss; vm$n rx total $total)"
	[ "$got" -gt 0 ] 2>/dev/null || crossed=0
done

# ---- orderly shutdown (cleanup() is the safety net) ----
for n in 1 2; do
	gcmd "$n" quit 10 >/dev/null || true
done
for n in 1 2; do
	for ((i = 0; i < 100; i++)); do
		alive "${GPID[$n]}" || break
		sleep 0.1
	done
	stop_pid "${GPID[$n]}" "vm$n guest" 5
done
say "stopping kvswitchd"
stop_pid "$SW_PID" kvswitchd 20
SW_PID=""

if [ "$crossed" = 1 ]; then
	say "OK: traffic crossed the switch in both directions"
	exit 0
fi
say "FAILED: no traffic crossed the switch in at least one direction"
exit 1
