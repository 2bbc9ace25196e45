/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PMD threads (pmd.h).  Started and stopped by the control thread.
 *
 * The loop polls each rx queue of its list once (idle ones less often while
 * others are busy: PMD_IDLE_BUDGET in pmd.h), switches what arrived, and
 * reports a quiescent state.  Cycles are charged in intervals that end where
 * the TSC is read: after each poll that got frames (the interval, charged to
 * busy and to that queue's cycles for the scheduler, then also holds the
 * empty polls just before it) and once at the end of a loop whose last polls
 * found nothing (idle).  Reading the TSC before and after every poll, as
 * before, put 4.3% of the PMD's cycles in pmd_poll itself, three quarters
 * of them on rdtsc, with a testpmd guest (perf on the PMD core, closed loop,
 * bursts of a few frames); this reads it once per busy poll plus at most
 * once per loop, and pmd_poll is 0.8%.
 *
 * A loop that got nothing may end in a sleep (pmd-sleep-max, pmd.h).  What
 * it costs: a frame that arrives while the PMD sleeps waits for the end of
 * the sleep, so at most pmd-sleep-max us more latency per PMD it crosses,
 * on an otherwise idle switch; under steady traffic the back-off never
 * grows far, because any frame resets it (bench/idle_sleep.py measures
 * both sides).  The sleep is charged to sleep_cycles, never to idle.  A
 * guest's kick ends it early, and so does a device's rx interrupt
 * (pmd_wake.h): for vhost-user queues and dpdk ports with rx interrupts the
 * latency is then a wake-up, not the rest of the sleep.
 */
#include <errno.h>
#include <numa.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/clock.h"
#include "dataplane/pipeline.h"
#include "dataplane/pktmbuf.h"
#include "dataplane/port.h"
#include "dataplane/txhold.h"
#include "pmd/pmd.h"
#include "pmd/pmd_wake.h"

#define PMD_LOG(lvl, ...) rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_USER1, "pmd: " __VA_ARGS__)

int pmd_core_numa(unsigned int core)
{
	int n;

	if (numa_available() < 0)
		return 0;
	n = numa_node_of_cpu((int)core);
	return n < 0 ? 0 : n;
}

_Static_assert(PMD_HIST_BURST == DP_BURST, "one histogram bin per burst size");

/* Does the idle window [cursor, cursor + w) of a list of n hold position i? */
static inline bool pmd_in_window(uint16_t i, uint16_t cursor, uint16_t w, uint16_t n)
{
	return (i >= cursor ? i - cursor : i + n - cursor) < w;
}

unsigned int pmd_poll(struct pmd *pmd, struct pmd_rxq_list *l)
{
	struct rte_mbuf *pkts[DP_BURST];
	unsigned int total = 0;
	uint16_t i, n, n_idle = 0, w = l->n;
	bool limit = l->n_idle > PMD_IDLE_BUDGET && l->n_idle < l->n;
	bool empty_since_mark = false;
	uint64_t t = pmd->tsc_mark, t1, t_start;
	unsigned int bin;

	if (unlikely(t == 0))
		t = rte_rdtsc();
	t_start = t;

	if (limit)
		w = (uint16_t)RTE_MAX(1u, (unsigned int)PMD_IDLE_BUDGET * l->n / l->n_idle);
	for (i = 0; i < l->n; i++) {
		struct pmd_rxq *e = &l->q[i];
		struct dp_port *p = e->port;
		uint16_t qid = e->qid;

		if (limit && e->empty >= PMD_IDLE_AFTER && !pmd_in_window(i, l->cursor, w, l->n)) {
			n_idle++;
			continue;
		}
		n = p->ops->rx_burst(p, qid, pkts, DP_BURST);
		if (n) {
			dp_process_burst(pmd->ctx, p, qid, pkts, n);
			t1 = rte_rdtsc();
			pmd->stats.busy_cycles += t1 - t;
			pmd->stats.busy_polls++;
			pmd->stats.burst_hist[n - 1]++;
			pmd->stats.rx_packets += n;
			p->rxq[qid].cycles += t1 - t;
			p->rxq[qid].polls_busy++;
			t = t1;
			empty_since_mark = false;
			total += n;
			e->empty = 0;
		} else {
			empty_since_mark = true;
			if (e->empty < PMD_IDLE_AFTER)
				e->empty++;
		}
		n_idle += e->empty >= PMD_IDLE_AFTER;
	}
	if (empty_since_mark || total == 0) {
		t1 = rte_rdtsc();
		pmd->stats.idle_cycles += t1 - t;
		t = t1;
	}
	pmd->tsc_mark = t;
	bin = 63u - (unsigned int)__builtin_clzll((t - t_start) | 1);
	pmd->stats.iter_hist[RTE_MIN(bin, PMD_HIST_CYCLES - 1u)]++;
	if (l->n)
		l->cursor = (uint16_t)((l->cursor + w) % l->n);
	l->n_idle = n_idle;
	return total;
}

/*
 * Sleep `us` microseconds, RCU-offline: the control thread's grace periods
 * (queue moves, port removal) must not wait up to pmd-sleep-max for a PMD
 * that holds no reference anyway, since it sleeps after its quiescent state
 * and reads its poll list afresh when it wakes.
 */
static bool pmd_sleep(struct pmd *pmd, struct rte_rcu_qsbr *qsv, struct pmd_wake *w, uint32_t us)
{
	uint64_t t0 = rte_rdtsc();
	bool kicked;

	rte_rcu_qsbr_thread_offline(qsv, pmd->slot);
	kicked = pmd_wake_sleep(w, us);
	rte_rcu_qsbr_thread_online(qsv, pmd->slot);
	pmd->tsc_mark = rte_rdtsc(); /* the sleep is neither busy nor idle */
	pmd->stats.sleep_cycles += pmd->tsc_mark - t0;
	pmd->stats.sleeps++;
	pmd->stats.kick_wakes += kicked;
	return kicked;
}

static void *pmd_main(void *arg)
{
	struct pmd *pmd = arg;
	struct rte_rcu_qsbr *qsv = dp_rcu();
	struct pmd_wake wake;
	uint32_t sleep_us = 0;
	bool kicked = false;    /* the last sleep ended by a kick or rx interrupt */
	bool restarted = false; /* this idle spell was started over once */
	cpu_set_t set;
	char name[16];

	CPU_ZERO(&set);
	CPU_SET(pmd->core, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
		PMD_LOG(WARNING, "pmd%u: cannot pin to core %u\n", pmd->slot, pmd->core);
	snprintf(name, sizeof(name), "pmd-c%02u", pmd->core);
	pthread_setname_np(pthread_self(), name);
	if (rte_thread_register() < 0)
		PMD_LOG(WARNING, "pmd%u: no EAL lcore id: mempool caches disabled\n", pmd->slot);

	/* Without this a 1 us nanosleep lasts the default 50 us of timer slack. */
	if (prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) != 0)
		PMD_LOG(WARNING, "pmd%u: timer slack not lowered: idle sleeps overshoot\n",
			pmd->slot);

	pmd_wake_init(&wake, pmd->bell);
	rte_rcu_qsbr_thread_register(qsv, pmd->slot);
	rte_rcu_qsbr_thread_online(qsv, pmd->slot);
	while (!__atomic_load_n(&pmd->stop, __ATOMIC_ACQUIRE)) {
		struct pmd_rxq_list *l = __atomic_load_n(&pmd->rxqs, __ATOMIC_ACQUIRE);
		uint32_t max_us, next_us;
		unsigned int got = 0;

		pmd->ctx->now = dp_now();
		dp_txhold_loop(pmd->slot);
		if (l != NULL)
			got = pmd_poll(pmd, l);
		else
			pmd->tsc_mark = 0; /* a spell without queues is no queue's busy time */
		/* Frames a full guest ring refused, for ports no new frame came
		 * for (txhold.h): tx work, charged as busy, to no rx queue.
		 * While anything is held the loop does not sleep: the guest's
		 * ring may free up any time (for tx-hold-ms at most). */
		if (unlikely(dp_txhold_pending(pmd->slot))) {
			uint64_t t1;

			got += dp_txhold_flush(pmd->slot);
			t1 = rte_rdtsc();
			if (pmd->tsc_mark != 0)
				pmd->stats.busy_cycles += t1 - pmd->tsc_mark;
			pmd->tsc_mark = t1;
		}
		pmd->stats.iterations++;
		rte_rcu_qsbr_quiescent(qsv, pmd->slot);
		/* past the quiescent state the list read above may be freed: the
		 * kick arming below takes the current one */
		l = __atomic_load_n(&pmd->rxqs, __ATOMIC_ACQUIRE);

		/* Idle back-off: 1, 2, 4 .. max us while empty; a frame resets it,
		 * and so does a guest's kick, which is on for the empty spell
		 * only (pmd_wake.h). */
		max_us = __atomic_load_n(&pmd->sleep_max_us, __ATOMIC_RELAXED);
		if (pmd_wake_list_changed(&wake, l)) {
			pmd_wake_disarm(&wake, l); /* queues may come from an armed PMD */
			sleep_us = 0;              /* and may be busy: poll them soon */
			restarted = false;
		}
		if (got || max_us == 0) {
			if (wake.armed)
				pmd_wake_disarm(&wake, l);
			sleep_us = 0;
			kicked = false;
			restarted = false;
			continue;
		}
		/* Woken, and nothing to take yet: net_tap's rx waits for its
		 * SIGIO handler, which another thread may not have run, and a
		 * VF's vector fires once per enabling.  Starting the spell over
		 * polls again within microseconds and arms afresh, re-polling
		 * after; sleeping on would leave the frame to the timer.  Once
		 * per spell: a guest kicking without sending would otherwise
		 * cost a re-arming of every queue (a vhost lock each) per kick. */
		if (kicked && wake.armed && !restarted) {
			pmd_wake_disarm(&wake, l);
			sleep_us = 0;
			restarted = true;
		}
		kicked = false;
		next_us = sleep_us == 0 ? 1 : RTE_MIN(sleep_us * 2, max_us);
		/* Kicks on only once the spell outlasts the short sleeps: a gap of
		 * a few us between bursts would otherwise cost the guest a kick
		 * and the PMD an arming per burst. */
		if (!wake.armed && next_us >= RTE_MIN(PMD_WAKE_ARM_US, max_us) &&
		    pmd_wake_arm(&wake, l) > 0)
			continue; /* what came before the kicks were on kicked nobody */
		sleep_us = next_us;
		kicked = pmd_sleep(pmd, qsv, &wake, sleep_us);
	}
	if (wake.armed)
		pmd_wake_disarm(&wake, __atomic_load_n(&pmd->rxqs, __ATOMIC_ACQUIRE));
	pmd_wake_fini(&wake);
	rte_rcu_qsbr_thread_offline(qsv, pmd->slot);
	rte_rcu_qsbr_thread_unregister(qsv, pmd->slot);
	rte_thread_unregister();
	return NULL;
}

static void bell_close(struct pmd *pmd)
{
	if (pmd->bell >= 0)
		close(pmd->bell);
	pmd->bell = -1;
}

/* Control thread: end the PMD's sleep, if it sleeps (pmd_wake.h).  The
 * write fails only at a full counter (EAGAIN), which nobody reading it
 * would reach after 2^64 - 2 rings: the change then waits for the sleep's
 * end, as without a bell. */
static void bell_ring(struct pmd *pmd)
{
	uint64_t one = 1;
	ssize_t n;

	if (pmd->bell < 0)
		return;
	n = write(pmd->bell, &one, sizeof(one));
	RTE_SET_USED(n);
}

struct pmd *pmd_start(unsigned int slot, unsigned int core)
{
	struct rte_mempool *mp;
	struct pmd *pmd;
	int rc;

	if (slot >= DP_MAX_PMDS) {
		errno = EINVAL;
		return NULL;
	}
	pmd = rte_zmalloc_socket("kvs_pmd", sizeof(*pmd), RTE_CACHE_LINE_SIZE, pmd_core_numa(core));
	if (pmd == NULL)
		pmd = rte_zmalloc("kvs_pmd", sizeof(*pmd), RTE_CACHE_LINE_SIZE);
	if (pmd == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	pmd->slot = slot;
	pmd->core = core;
	pmd->numa = pmd_core_numa(core);
	/* without a bell the PMD still works: changes wait for its sleep's end */
	pmd->bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pmd->bell < 0)
		PMD_LOG(WARNING, "pmd%u: eventfd: %s: a sleeping PMD takes new queues late\n", slot,
			strerror(errno));
	mp = dp_pool_get(pmd->numa);
	pmd->ctx = mp ? dp_pmd_ctx_create(slot, pmd->numa, mp) : NULL;
	if (pmd->ctx == NULL) {
		bell_close(pmd);
		rte_free(pmd);
		errno = ENOMEM;
		return NULL;
	}
	rc = pthread_create(&pmd->thread, NULL, pmd_main, pmd);
	if (rc != 0) {
		dp_pmd_ctx_destroy(pmd->ctx);
		bell_close(pmd);
		rte_free(pmd);
		errno = rc;
		return NULL;
	}
	return pmd;
}

void pmd_stop(struct pmd *pmd)
{
	if (pmd == NULL)
		return;
	__atomic_store_n(&pmd->stop, true, __ATOMIC_RELEASE);
	bell_ring(pmd);
	pthread_join(pmd->thread, NULL);
	bell_close(pmd);
	dp_txhold_release_pmd(pmd->slot);
	dp_pmd_ctx_destroy(pmd->ctx);
	rte_free(pmd->rxqs);
	rte_free(pmd);
}

int pmd_set_rxqs(struct pmd *pmd, const struct pmd_rxq *q, uint16_t n)
{
	struct pmd_rxq_list *l, *old;

	l = rte_malloc_socket("kvs_rxqs", sizeof(*l) + n * sizeof(l->q[0]), RTE_CACHE_LINE_SIZE,
			      pmd->numa);
	if (l == NULL)
		return -ENOMEM;
	l->gen = ++pmd->rxqs_gen;
	l->n = n;
	l->cursor = l->n_idle = 0;
	for (uint16_t i = 0; i < n; i++)
		l->q[i] = (struct pmd_rxq){.port = q[i].port, .qid = q[i].qid};
	old = __atomic_exchange_n(&pmd->rxqs, l, __ATOMIC_ACQ_REL);
	bell_ring(pmd);
	dp_rcu_defer(old, rte_free);
	return 0;
}

void pmd_set_sleep_max(struct pmd *pmd, uint32_t us)
{
	if (__atomic_exchange_n(&pmd->sleep_max_us, us, __ATOMIC_RELAXED) != us)
		bell_ring(pmd);
}

void pmd_stats_raw(const struct pmd *pmd, struct pmd_stats *st)
{
	*st = pmd->stats;
}

void pmd_stats_get(const struct pmd *pmd, struct pmd_stats *st)
{
	st->iterations = pmd->stats.iterations - pmd->base.iterations;
	st->busy_cycles = pmd->stats.busy_cycles - pmd->base.busy_cycles;
	st->idle_cycles = pmd->stats.idle_cycles - pmd->base.idle_cycles;
	st->sleep_cycles = pmd->stats.sleep_cycles - pmd->base.sleep_cycles;
	st->sleeps = pmd->stats.sleeps - pmd->base.sleeps;
	st->kick_wakes = pmd->stats.kick_wakes - pmd->base.kick_wakes;
	st->rx_packets = pmd->stats.rx_packets - pmd->base.rx_packets;
	st->busy_polls = pmd->stats.busy_polls - pmd->base.busy_polls;
	for (unsigned int i = 0; i < PMD_HIST_BURST; i++)
		st->burst_hist[i] = pmd->stats.burst_hist[i] - pmd->base.burst_hist[i];
	for (unsigned int i = 0; i < PMD_HIST_CYCLES; i++)
		st->iter_hist[i] = pmd->stats.iter_hist[i] - pmd->base.iter_hist[i];
}

void pmd_stats_clear(struct pmd *pmd)
{
	pmd->base = pmd->stats;
}
