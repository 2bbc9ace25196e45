/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for dataplane/doorbell.c: a ring writes the eventfd only while
 * the control side is armed, once per arming; clear empties and disarms; and
 * a producer racing a consumer that follows kvswitchd's loop (arm, look,
 * block, clear) never leaves the consumer blocked with work queued.  No EAL.
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/doorbell.h"

static int readable(int ms)
{
	struct pollfd p = {.fd = dp_doorbell_fd(), .events = POLLIN};

	return poll(&p, 1, ms);
}

static int setup(void **state)
{
	(void)state;
	return dp_doorbell_open() < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	dp_doorbell_close();
	return 0;
}

static void test_closed_is_a_no_op(void **state)
{
	(void)state;
	dp_doorbell_close();
	assert_int_equal(dp_doorbell_fd(), -1);
	dp_doorbell_arm();
	dp_doorbell_ring();
	dp_doorbell_clear();
	assert_true(dp_doorbell_open() >= 0);
}

static void test_unarmed_ring_writes_nothing(void **state)
{
	(void)state;
	dp_doorbell_ring();
	assert_int_equal(readable(0), 0);
}

static void test_armed_ring_writes_once(void **state)
{
	uint64_t v = 0;

	(void)state;
	dp_doorbell_arm();
	dp_doorbell_ring();
	dp_doorbell_ring(); /* the first took the flag: no second write */
	assert_int_equal(readable(0), 1);
	assert_int_equal(read(dp_doorbell_fd(), &v, sizeof(v)), (ssize_t)sizeof(v));
	assert_int_equal(v, 1);
	dp_doorbell_ring();
	assert_int_equal(readable(0), 0);
}

static void test_clear_empties_and_disarms(void **state)
{
	(void)state;
	dp_doorbell_arm();
	dp_doorbell_ring();
	dp_doorbell_clear();
	assert_int_equal(readable(0), 0);
	dp_doorbell_ring();
	assert_int_equal(readable(0), 0);
	dp_doorbell_clear(); /* nothing to read: harmless */
	dp_doorbell_arm();
	dp_doorbell_clear();
	dp_doorbell_ring();
	assert_int_equal(readable(0), 0);
}

/* kvswitchd disarms without reading when it will not block, or when poll()
 * returned for another descriptor; a ring after that must not write, and a
 * count written before it must still be there for the next poll(). */
static void test_disarm_keeps_a_pending_count(void **state)
{
	(void)state;
	dp_doorbell_arm();
	dp_doorbell_disarm();
	dp_doorbell_ring();
	assert_int_equal(readable(0), 0);
	dp_doorbell_arm();
	dp_doorbell_ring();
	dp_doorbell_disarm();
	assert_int_equal(readable(0), 1);
	dp_doorbell_clear();
	assert_int_equal(readable(0), 0);
}

#define N_ITEMS 20000

static uint64_t queued;

static void *producer(void *arg)
{
	(void)arg;
	for (uint32_t i = 0; i < N_ITEMS; i++) {
		/* a plain store-release, as rte_ring publishes its tail: a
		 * locked add would be a full barrier and hide a missing fence */
		__atomic_store_n(&queued, (uint64_t)i + 1, __ATOMIC_RELEASE);
		dp_doorbell_ring();
		/* pauses of 0-60 us, so the consumer often gets to block */
		if (i % 3 == 0)
			usleep(i % 61);
	}
	return NULL;
}

/* kvswitchd's loop (arm, look, disarm or block, clear only what rang): a lost
 * wake-up is a 2 s block with work queued. */
static void test_no_lost_wakeup(void **state)
{
	uint64_t consumed = 0, blocks = 0;
	pthread_t t;

	(void)state;
	__atomic_store_n(&queued, 0, __ATOMIC_RELAXED);
	assert_int_equal(pthread_create(&t, NULL, producer, NULL), 0);
	while (consumed < N_ITEMS) {
		int timeout = 2000;
		int rc;

		dp_doorbell_arm();
		if (__atomic_load_n(&queued, __ATOMIC_ACQUIRE) > consumed) {
			dp_doorbell_disarm(); /* as kvswitchd's loop_timeout() */
			timeout = 0;
		}
		rc = readable(timeout);
		/* a 2 s timeout is lost only if the work was there before it */
		if (timeout != 0 && rc == 0 &&
		    __atomic_load_n(&queued, __ATOMIC_ACQUIRE) > consumed)
			fail_msg("blocked 2 s with %lu queued, %lu consumed",
				 (unsigned long)__atomic_load_n(&queued, __ATOMIC_ACQUIRE),
				 (unsigned long)consumed);
		blocks += timeout != 0;
		/* as kvswitchd: read the eventfd only when it was readable */
		if (rc > 0)
			dp_doorbell_clear();
		else
			dp_doorbell_disarm();
		consumed = __atomic_load_n(&queued, __ATOMIC_ACQUIRE);
	}
	pthread_join(t, NULL);
	/* the race was run: the consumer did block, and was woken each time */
	assert_true(blocks > 100);
	print_message("consumer blocked %lu times for %u items\n", (unsigned long)blocks, N_ITEMS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_closed_is_a_no_op, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unarmed_ring_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_armed_ring_writes_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear_empties_and_disarms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disarm_keeps_a_pending_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_lost_wakeup, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
