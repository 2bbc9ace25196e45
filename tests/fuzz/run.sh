#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tests/fuzz/run.sh SECONDS [TARGET...]
#
# Build the libFuzzer targets (clang, ASan+UBSan, in build-fuzz/ at the top
# of the tree) and run each for SECONDS, one at a time: first on every
# committed regression input (regressions/TARGET), then fuzzing from the
# committed seeds (corpus/TARGET) and from what earlier runs found.  Fails
# (exit 1) if any target crashes, breaks an invariant, leaks or hangs; the
# input that did is saved in the work directory and named in the output.
#
# TARGET: rpc conf values cli frame pipeline gro (default: all).
# Environment:
#   KVS_FUZZ_BUILD  build directory (default: build-fuzz/, ignored by git)
#   KVS_FUZZ_WORK   grown corpora and crash inputs (default: BUILD/fuzz-work)
#   KVS_FUZZ_TOLERATE  known bugs to step over in a long campaign (README.md);
#                      unset: every invariant holds
#   KVS_FUZZ_ARGS   more libFuzzer options (e.g. -jobs, -max_len=65536)
# Prints one line per target: executions, executions per second, result.

set -euo pipefail

ALL=(rpc conf values cli frame pipeline gro)
if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
	echo "usage: $0 SECONDS [TARGET...]   (targets: ${ALL[*]})" >&2
	exit 2
fi
secs=$1
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL[@]}")

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${KVS_FUZZ_BUILD:-$ROOT/build-fuzz}
WORK=${KVS_FUZZ_WORK:-$BUILD/fuzz-work}

for t in "${targets[@]}"; do
	[[ " ${ALL[*]} " == *" $t "* ]] || { echo "run.sh: unknown target '$t'" >&2; exit 2; }
done
if ! command -v clang >/dev/null; then
	echo "run.sh: clang is missing (bash .ci/install-deps)" >&2
	exit 2
fi

# clang warns where gcc does not (-Wformat-nonliteral through a va_list in
# dataplane/filter.c): warnings stay warnings in this build only.
if [ ! -d "$BUILD/meson-private" ]; then
	setup_log=$(mktemp)
	CC=clang meson setup "$BUILD" "$ROOT" -Dfuzz=true -Dtests=false -Dwerror=false \
		-Db_sanitize=address,undefined -Db_lundef=false >"$setup_log" 2>&1 ||
		{ cat "$setup_log"; rm -f "$setup_log"; exit 1; }
	rm -f "$setup_log"
fi
ninja -C "$BUILD" $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}") >/dev/null ||
	ninja -C "$BUILD" $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}")

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$WORK/artifacts"
failed=()
for t in "${targets[@]}"; do
	bin=$BUILD/tests/fuzz/fuzz_$t
	log=$WORK/$t.log
	mkdir -p "$WORK/corpus/$t"
	: >"$log"
	# 1. every regression input, as it is
	reg=()
	if [ -d "$HERE/regressions/$t" ]; then
		mapfile -t reg < <(find "$HERE/regressions/$t" -type f | sort)
	fi
	if [ ${#reg[@]} -gt 0 ] && ! nice "$bin" -artifact_prefix="$WORK/artifacts/$t-" "${reg[@]}" >>"$log" 2>&1; then
		echo "fuzz_$t: FAILED on a regression input (log: $log)"
		grep -E "INVARIANT FAILED|ERROR: |SUMMARY|Running: " "$log" | head -5 || true
		failed+=("$t")
		continue
	fi
	# 2. fuzz; new inputs go to the work corpus (the first directory)
	dict=()
	[ -f "$HERE/dict/$t.dict" ] && dict=("-dict=$HERE/dict/$t.dict")
	# shellcheck disable=SC2086
	if nice "$bin" -max_total_time="$secs" -timeout=25 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix="$WORK/artifacts/$t-" "${dict[@]}" \
		${KVS_FUZZ_ARGS:-} "$WORK/corpus/$t" "$HERE/corpus/$t" >>"$log" 2>&1; then
		res=ok
	else
		res=FAILED
		failed+=("$t")
	fi
	execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -1)
	rate=$(awk '/exec\/s:/ { for (i = 1; i <= NF; i++) if ($i == "exec/s:") r = $(i + 1) } END { print r }' "$log")
	echo "fuzz_$t: ${execs:-?} executions in ${secs}s (${rate:-?}/s), $(find "$WORK/corpus/$t" -type f | wc -l) corpus inputs: $res"
	if [ "$res" = FAILED ]; then
		grep -E "INVARIANT FAILED|ERROR: |SUMMARY|Test unit written" "$log" | head -6 || true
		echo "  log: $log"
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "run.sh: FAILED: ${failed[*]}"
	exit 1
fi
echo "run.sh: all ${#targets[@]} targets ran ${secs}s each without a failure"
