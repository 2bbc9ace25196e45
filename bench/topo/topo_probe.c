/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-bench-topo: how far apart are the generator's core and the switch's
 * core right now?  kvsbench runs it beside every window (bench/lib/kvsb/
 * topo.py reads its lines).
 *
 * Why: on the 2-vCPU VM this bench grew on, the host moves the vCPUs between
 * physical cores every few seconds to minutes.  Sometimes the two share a
 * cache and a cache line goes from one to the other and back in about 60 ns;
 * sometimes they do not and it takes about 360 ns.  Every closed loop through
 * a virtio ring moves cache lines between the two cores, so the same switch
 * forwards about twice the frames at half the cycles per frame in the first
 * case (bench/results/2026-12-04/topology/).  A window that does not say
 * which case it ran in cannot be compared with another.
 *
 * How: two threads, one pinned to each core, SCHED_FIFO so that they preempt
 * the busy pollers at once and are not preempted themselves, wake at the
 * same absolute times (--interval-ms apart) and pass one cache line back and
 * forth --trips times.  The first trip absorbs the skew between the two
 * wake-ups and is not timed; the others are timed in TOPO_BLOCKS blocks and
 * the probe's value is the median block's time per trip, so that an
 * interrupt or a host hiccup inside one block (a mean over a probe went from
 * 65 to 150-180 ns, or to 10 us, about once in 100 probes on an idle
 * machine) does not flip its label.  Each probe prints one line, its start
 * time in seconds on CLOCK_MONOTONIC (Python's time.monotonic(), so that
 * kvsbench keeps the probes of the measured window only):
 *
 *     <seconds> <ns per round trip>      or      <seconds> timeout
 *
 * A block's time includes one clock_gettime (tens of ns on a TSC or
 * kvm-clock vDSO) per 31 trips with the default --trips; with very few
 * trips, or a clocksource without a vDSO fast path, it inflates the value.
 *
 * What it costs the window: --trips round trips per probe on both cores,
 * 256 x 0.36 us = 92 us every 200 ms at the far end, under 0.05% of either
 * core, and one pause of that length in the traffic.  A trip not answered
 * within 5 ms voids the probe, and so does a probe still running after half
 * an interval (a peer that stalls trip after trip).  Runs until SIGTERM or
 * SIGINT, or until the process that started it dies.  Plain C and pthreads:
 * it must not touch the switch's hugepages.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#define TOPO_TIMEOUT_NS 5000000LL /* no answer within 5 ms of one trip: the probe is void */
#define TOPO_BLOCKS     8

static struct {
	uint64_t ball; /* (probe << 32) | step: odd from the initiator, even back */
	char pad[64 - sizeof(uint64_t)];
} line __attribute__((aligned(64)));

static int stopping; /* set by the signal handler, read by both threads */
/* a probe whose peer stalls again and again ends after this, trips or not:
 * both threads spin at SCHED_FIFO until it does */
static int64_t probe_cap_ns;
static int core_a = 0, core_b = 1;
static long interval_ms = 200;
static uint32_t trips = 256;
static struct timespec epoch;

static int64_t ns_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static bool is_stopping(void)
{
	return __atomic_load_n(&stopping, __ATOMIC_RELAXED) != 0;
}

/* Pinned to core and real-time: as attributes for a new thread, so that a
 * refusal comes back from pthread_create (a probe that can be preempted
 * measures the scheduler). */
static int thread_attr(pthread_attr_t *a, int core)
{
	struct sched_param sp = {.sched_priority = 1};
	cpu_set_t set;
	int rc;

	CPU_ZERO(&set);
	CPU_SET(core, &set);
	rc = pthread_attr_init(a);
	if (rc == 0)
		rc = pthread_attr_setaffinity_np(a, sizeof(set), &set);
	if (rc == 0)
		rc = pthread_attr_setinheritsched(a, PTHREAD_EXPLICIT_SCHED);
	if (rc == 0)
		rc = pthread_attr_setschedpolicy(a, SCHED_FIFO);
	if (rc == 0)
		rc = pthread_attr_setschedparam(a, &sp);
	return rc;
}

/* Sleep until probe k's start time: epoch + k * interval. */
static void sleep_until_probe(uint64_t k)
{
	int64_t at = (int64_t)epoch.tv_sec * 1000000000LL + epoch.tv_nsec +
		     (int64_t)k * interval_ms * 1000000LL;
	struct timespec ts = {.tv_sec = at / 1000000000LL, .tv_nsec = at % 1000000000LL};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
	       !is_stopping())
		;
}

/* Spin until the ball holds want; false after about TOPO_TIMEOUT_NS, once
 * the probe that began at `start` has run probe_cap_ns, or on a stop.  The
 * clock is first read after 1024 spins, so a trip that is answered at once
 * reads no clock. */
static bool wait_for(uint64_t want, int64_t start)
{
	unsigned int spins = 0;
	int64_t deadline = 0;

	while (__atomic_load_n(&line.ball, __ATOMIC_ACQUIRE) != want) {
		int64_t now;

		cpu_relax();
		if (++spins % 1024 != 0)
			continue;
		now = ns_now();
		if (deadline == 0)
			deadline = now + TOPO_TIMEOUT_NS;
		else if (now > deadline || now - start > probe_cap_ns || is_stopping())
			return false;
	}
	return true;
}

/* Cancelled by main on a stop (clock_nanosleep is a cancellation point). */
static void *responder(void *arg)
{
	uint64_t k;

	(void)arg;
	for (k = 1; !is_stopping(); k++) {
		int64_t start;
		uint32_t s;

		sleep_until_probe(k);
		start = ns_now();
		for (s = 0; s < trips; s++) {
			uint64_t v = (k << 32) | (2u * s + 1);

			if (!wait_for(v, start))
				break;
			/* a compare-exchange: after a timeout the initiator may
			 * have started the next probe, which this must not undo */
			if (!__atomic_compare_exchange_n(&line.ball, &v, v + 1, false,
							 __ATOMIC_RELEASE, __ATOMIC_RELAXED))
				break;
		}
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&stopping, 1, __ATOMIC_RELAXED);
}

static void usage(void)
{
	fprintf(stderr, "usage: kvs-bench-topo [--cores A,B] [--interval-ms MS] [--trips N]\n"
			"Every MS milliseconds, passes a cache line between cores A and B N times\n"
			"and prints '<CLOCK_MONOTONIC seconds> <ns per round trip>' (or\n"
			"'<seconds> timeout'), until SIGTERM.  Needs root (SCHED_FIFO).\n");
}

static int parse(int argc, char **argv)
{
	static const struct option opts[] = {{"cores", required_argument, NULL, 'c'},
					     {"interval-ms", required_argument, NULL, 'i'},
					     {"trips", required_argument, NULL, 't'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end = NULL;

		switch (o) {
		case 'c':
			if (sscanf(optarg, "%d,%d", &core_a, &core_b) != 2 || core_a < 0 ||
			    core_b < 0 || core_a == core_b || core_a >= CPU_SETSIZE ||
			    core_b >= CPU_SETSIZE) {
				fprintf(stderr,
					"kvs-bench-topo: --cores '%s': want two different "
					"core numbers, A,B\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'i':
			interval_ms = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || interval_ms < 10 ||
			    interval_ms > 60000) {
				fprintf(stderr,
					"kvs-bench-topo: --interval-ms '%s': want 10..60000\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 't': {
			long t = strtol(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || t < 2 || t > 10000) {
				fprintf(stderr, "kvs-bench-topo: --trips '%s': want 2..10000\n",
					optarg);
				return -EINVAL;
			}
			trips = (uint32_t)t;
			break;
		}
		case 'h':
			usage();
			exit(0);
		default:
			usage();
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kvs-bench-topo: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct sched_param sp = {.sched_priority = 1};
	sigset_t stop_sigs;
	pthread_attr_t attr;
	cpu_set_t set;
	pthread_t peer;
	uint64_t k;
	int rc;

	if (parse(argc, argv) < 0)
		return 2;
	probe_cap_ns = interval_ms * 1000000LL / 2 > TOPO_TIMEOUT_NS ? interval_ms * 1000000LL / 2
								     : TOPO_TIMEOUT_NS;
	/* a real-time spinner must not outlive the harness that started it */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	CPU_ZERO(&set);
	CPU_SET(core_a, &set);
	rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (rc != 0) {
		fprintf(stderr, "kvs-bench-topo: core %d: %s\n", core_a, strerror(rc));
		return 2;
	}
	rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (rc != 0) {
		fprintf(stderr, "kvs-bench-topo: real-time scheduling (SCHED_FIFO) refused: %s\n",
			strerror(rc));
		return 2;
	}
	/* the signals go to this thread only: the responder starts with them
	 * blocked and is cancelled */
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGTERM);
	sigaddset(&stop_sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);
	clock_gettime(CLOCK_MONOTONIC, &epoch);
	rc = thread_attr(&attr, core_b);
	if (rc == 0)
		rc = pthread_create(&peer, &attr, responder, NULL);
	if (rc != 0) {
		fprintf(stderr, "kvs-bench-topo: core %d: %s%s\n", core_b, strerror(rc),
			rc == EPERM ? " (real-time scheduling, SCHED_FIFO, refused)" : "");
		return 2;
	}
	pthread_attr_destroy(&attr);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pthread_sigmask(SIG_UNBLOCK, &stop_sigs, NULL);
	for (k = 1; !is_stopping(); k++) {
		/* trips - 1 timed trips in blocks of `per` (the last block takes the rest) */
		uint32_t per = (trips - 1) / TOPO_BLOCKS ? (trips - 1) / TOPO_BLOCKS : 1;
		uint32_t nb = (trips - 1) / per < TOPO_BLOCKS ? (trips - 1) / per : TOPO_BLOCKS;
		double block[TOPO_BLOCKS], at;
		int64_t t0 = 0, start;
		bool ok = true;
		uint32_t s, b = 0;

		sleep_until_probe(k);
		if (is_stopping())
			break;
		start = ns_now();
		at = (double)start / 1e9;
		for (s = 0; s < trips && ok; s++) {
			uint64_t v = (k << 32) | (2u * s + 1);
			uint32_t in_block = b + 1 < nb ? per : trips - 1 - b * per;

			__atomic_store_n(&line.ball, v, __ATOMIC_RELEASE);
			ok = wait_for(v + 1, start);
			if (s == 0) {
				t0 = ns_now(); /* the first trip waited for the peer's wake-up */
			} else if (s - b * per == in_block) {
				int64_t t1 = ns_now();

				block[b++] = (double)(t1 - t0) / in_block;
				t0 = t1;
			}
		}
		if (ok) {
			qsort(block, nb, sizeof(block[0]), cmp_double);
			printf("%.3f %.1f\n", at, block[nb / 2]);
		} else if (!is_stopping()) {
			printf("%.3f timeout\n", at);
		}
		fflush(stdout);
	}
	pthread_cancel(peer);
	pthread_join(peer, NULL);
	return 0;
}
