/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-bench-hiccup: how often is a core taken away from a thread that never
 * yields it?  kvsbench runs it on the generator's and the switch's cores at
 * the start and the end of a run, and its summary's noise section reports it.
 *
 * Why: every latency tail kvsbench reports includes the times the PMD's or
 * the generator's core stopped running them: host preemption of the vCPU,
 * VM exits, timer and other interrupts.  A switch cannot forward a frame
 * while its core is gone, so at 3 Mpps a 25 us gap delays some 75 frames.
 * On the 2-vCPU VM this bench grew on, an idle core lost more than 25 us
 * 740-1400 times a second on 2026-12-05, when every switch's p99 at 10% load
 * was 40-70 us; in a run the day before they were 5-8 us (not counted then).
 * Without the count beside them, p99s from two runs cannot be compared.
 * The gaps count whatever took the core: the host (preemption, VM exits)
 * and the guest's own interrupts and kernel threads alike.
 *
 * How: pinned to --core, it reads CLOCK_MONOTONIC (vDSO, tens of ns) in a
 * loop for --seconds and counts the gaps between two consecutive reads over
 * each threshold.  Prints one JSON line:
 *
 *     {"core": 1, "seconds": 2, "per_s": {"10": 1352.0, "25": 900.5, ...}}
 *
 * with the gaps per second over 10, 25, 50, 100, 250 and 1000 us.  It does
 * not raise its priority: it measures what a busy poller at normal priority
 * (a PMD, the generator) gets.  Plain C: no DPDK, no hugepages.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const unsigned int thresholds_us[] = {10, 25, 50, 100, 250, 1000};
#define N_TH (sizeof(thresholds_us) / sizeof(thresholds_us[0]))

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: kvs-bench-hiccup --core N [--seconds S]\n"
			"Spins on core N for S seconds (default 2) and prints, as one JSON\n"
			"line, how many times per second the core was taken away for more\n"
			"than 10, 25, 50, 100, 250 and 1000 us.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t counts[N_TH] = {0}, t, prev, end, gap;
	double secs = 2.0;
	long core = -1;
	cpu_set_t set;
	unsigned int i;
	char *e;
	int a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--core") == 0 && a + 1 < argc) {
			const char *v = argv[++a];

			core = strtol(v, &e, 10);
			if (e == v || *e || core < 0 || core >= CPU_SETSIZE)
				usage();
		} else if (strcmp(argv[a], "--seconds") == 0 && a + 1 < argc) {
			const char *v = argv[++a];

			secs = strtod(v, &e);
			if (e == v || *e || !(secs > 0 && secs <= 3600))
				usage();
		} else {
			usage();
		}
	}
	if (core < 0)
		usage();
	CPU_ZERO(&set);
	CPU_SET(core, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		fprintf(stderr, "kvs-bench-hiccup: cannot run on core %ld: %s\n", core,
			strerror(errno));
		return 1;
	}
	prev = now_ns();
	end = prev + (uint64_t)(secs * 1e9);
	while ((t = now_ns()) < end) {
		gap = t - prev;
		prev = t;
		if (gap < (uint64_t)thresholds_us[0] * 1000)
			continue;
		for (i = 0; i < N_TH; i++)
			counts[i] += gap >= (uint64_t)thresholds_us[i] * 1000;
	}
	printf("{\"core\": %ld, \"seconds\": %g, \"per_s\": {", core, secs);
	for (i = 0; i < N_TH; i++)
		printf("%s\"%u\": %.1f", i ? ", " : "", thresholds_us[i], (double)counts[i] / secs);
	printf("}}\n");
	return 0;
}
