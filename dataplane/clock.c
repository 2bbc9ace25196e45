/* SPDX-License-Identifier: BSD-3-Clause */
/* The injectable seconds clock (clock.h).  CLOCK_MONOTONIC_COARSE is a vDSO
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
