# SPDX-License-Identifier: BSD-3-Clause
"""kvsbench's modules (bench/kvsbench is the command).

procs     child processes, their clean-up, DPDK file prefixes
cpu       per-window CPU accounting from /proc: foreign load and steal
switches  the switches under test: kvswitch, testpmd io-forward, OVS-DPDK
guests    kvs-bench-gen runs, testpmd-guest windows, the idle guests of the port-scale workload
testpmd   dpdk-testpmd through its console: the testpmd switch's counters, the testpmd guest
windows   one measured window: run the generator, check the window is clean, repeat
workloads what each workload measures, and the interleaved round plan
report    raw CSV/JSON, aggregation (median, min-max, per-round ratios), summary.md
plots     the PNG plots (matplotlib)
prepare   dependencies, the release build, versions of everything
"""
