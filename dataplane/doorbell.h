/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * doorbell: how a PMD wakes the control thread when it hands it work (a
 * learn request, fdb.h), so that the control thread can block in poll() for
 * long spells instead of waking every millisecond to look.
 *
 * Why it exists: the control thread runs on the cores the guests (and, in
 * bench/kvsbench, the traffic generator) run on.  Waking 1000 times a second
 * cost those cores a preemption per millisecond: with the generator on that
 * core, kvswitch's p99 at 10% load was 16 us against testpmd's 4 (bench
 * results 2026-12-05).  Now the control thread sleeps up to CTL_IDLE_MS
 * (control/kvswitchd.c) unless a PMD rings.
 *
 * Protocol (Dekker's, one flag and an eventfd):
 *   control: dp_doorbell_arm(); if (work already queued) don't block;
 *            poll(..., dp_doorbell_fd(), ...);
 *            dp_doorbell_clear() if it was readable, else dp_doorbell_disarm();
 *   PMD:     queue the work; dp_doorbell_ring();
 * arm stores the flag then fences; ring fences after the enqueue then reads
 * the flag, so either the control thread sees the work before it blocks or
 * the PMD sees the flag and writes the eventfd.  Only the PMD whose exchange
 * takes the flag writes, so one arming costs at most one write(2) (about a
 * microsecond on that PMD); a PMD that finds the bell unarmed pays a fence
 * and a load, on the learn path only (once per new MAC and second, fdb.h).
 * The control thread arms only before a turn that follows one with nothing
 * learned; while MACs keep coming it polls every millisecond unarmed
 * (kvswitchd.c), so a storm of new MACs costs the PMDs no write() and the
 * control thread no more wake-ups than the old 1 ms tick.
 *
 * Thread rules: arm/disarm/clear/fd/open from the control thread only; ring from
 * any thread; close only once no thread can ring (the PMDs are joined:
 * a ring racing close could write to a reused descriptor number).  Without
 * dp_doorbell_open() (unit tests), ring is a no-op.
 */
#ifndef KVS_DP_DOORBELL_H
#define KVS_DP_DOORBELL_H

#include <stdbool.h>

#include <rte_atomic.h>
#include <rte_common.h>

/* Private to doorbell.c; in the header only so that dp_doorbell_ring() can
 * test the flag inline (a call per learned source cost 10 Ir in bench/micro's
 * learn case).  Its own cache line: PMDs read it on the learn path, the
 * control thread writes it once per loop. */
struct dp_doorbell {
	bool armed;
	int fd;
} __rte_cache_aligned;
extern struct dp_doorbell dp_doorbell_bell;

/* Control thread, at start: the eventfd.  Returns it, or -errno. */
int dp_doorbell_open(void);
/* Control thread, at exit. */
void dp_doorbell_close(void);
/* The eventfd to poll for POLLIN; -1 before dp_doorbell_open(). */
int dp_doorbell_fd(void);
/* Control thread, before it checks for queued work and blocks. */
void dp_doorbell_arm(void);
/* Control thread, after poll() found the eventfd readable: empties it and
 * disarms. */
void dp_doorbell_clear(void);
/* Control thread, when it will not block after all, or poll() returned for
 * another descriptor: disarms without the read(2) of dp_doorbell_clear(). */
void dp_doorbell_disarm(void);

/* The part of dp_doorbell_ring() that takes the flag and writes the eventfd;
 * call dp_doorbell_ring() instead. */
void dp_doorbell_ring_armed(void);

/* Any thread, after queueing work for the control thread. */
static inline void dp_doorbell_ring(void)
{
	/* the caller's enqueue before the look at the flag (see above) */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&dp_doorbell_bell.armed, __ATOMIC_RELAXED))
		dp_doorbell_ring_armed();
}

#endif
