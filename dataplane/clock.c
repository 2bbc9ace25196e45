/* SPDX-License-Identifier: BSD-3-Clause */
/* The injectable seconds and milliseconds clocks (clock.h).  CLOCK_MONOTONIC_COARSE is a vDSO
 * read of a few ns: cheap enough for once per PMD loop, and second resolution
 * is all MAC ageing needs. */
#include <time.h>

#include "dataplane/clock.h"

static uint32_t clock_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

static dp_clock_fn clock_source = clock_monotonic;

uint32_t dp_now(void)
{
	return clock_source();
}

void dp_clock_set(dp_clock_fn fn)
{
	clock_source = fn ? fn : clock_monotonic;
}

static uint64_t clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static dp_clock_ms_fn clock_ms_source = clock_monotonic_ms;

uint64_t dp_now_ms(void)
{
	return clock_ms_source();
}

void dp_clock_ms_set(dp_clock_ms_fn fn)
{
	clock_ms_source = fn ? fn : clock_monotonic_ms;
}
