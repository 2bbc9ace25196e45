#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# bench/micro/run.sh [BUILD_DIR [OUTDIR]] [--bursts N] [--cases a,b] [--repeat R]
# Counts kvs-dp-micro's instructions per packet with callgrind, every case;
# writes OUTDIR/micro.csv and OUTDIR/micro.json (see run.py, README.md).
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
