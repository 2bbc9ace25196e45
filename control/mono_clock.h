/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mono_clock: the control side's milliseconds clock, for timeouts and
 * periods (the control loop's steps, RPC and OVSDB deadlines, capture
 * timestamps, uplink filter retries).  CLOCK_MONOTONIC, not the coarse
 * clock the dataplane ages with (dataplane/clock.h): a poll timeout computed
 * from a 4 ms-resolution clock would wake early or late by a tick.  Not
 * injectable: these deadlines run in real time in tests too (only MAC
 * ageing has a fake clock, dp_clock_set()).  Any thread; header-only so
 * kvsctl links it without the dataplane.
 */
#ifndef KVS_CTL_MONO_CLOCK_H
#define KVS_CTL_MONO_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
