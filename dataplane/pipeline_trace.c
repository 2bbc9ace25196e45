/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_trace_frame (pipeline.h, trace.h): the pipeline compiled a second time
 * with DP_PIPELINE_TRACE set, so `kvsctl trace` runs the very code a PMD runs
 * (classification, filters, the MAC table, flood lists, VLAN pushes,
 * offload fitting) while its tx and drop counting go into a struct dp_trace
 * and it neither learns nor refreshes MACs.  Compiling twice rather than
 * testing a flag keeps the PMD's copy exactly as it was: bench/micro counted
 * 3 to 16 more instructions a frame when one copy served both.
 */
#define DP_PIPELINE_TRACE 1
#include "pipeline.c"
