/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * clock: the dataplane's notion of "now" in whole seconds, used for MAC
 * ageing.  PMDs read it once per poll loop; the control thread reads it when
 * it drains learn requests and ages.  Tests replace the source with
 * dp_clock_set() so ageing is driven without sleeping.
 *
 * dp_now_ms() is the same clock in milliseconds (CLOCK_MONOTONIC_COARSE:
 * 1-4 ms resolution), for how long held tx frames wait (txhold.h); tests
 * replace it with dp_clock_ms_set().
 */
#ifndef KVS_DP_CLOCK_H
#define KVS_DP_CLOCK_H

#include <stdint.h>

typedef uint32_t (*dp_clock_fn)(void);

/* Seconds from an arbitrary origin; monotonic. Any thread. */
uint32_t dp_now(void);
/* Replace the clock source (NULL restores CLOCK_MONOTONIC_COARSE).  Call
 * before PMDs start; tests only. */
void dp_clock_set(dp_clock_fn fn);

typedef uint64_t (*dp_clock_ms_fn)(void);
/* Milliseconds from an arbitrary origin; monotonic. Any thread. */
uint64_t dp_now_ms(void);
/* Replace the millisecond source (NULL restores the default); tests only. */
void dp_clock_ms_set(dp_clock_ms_fn fn);

#endif
