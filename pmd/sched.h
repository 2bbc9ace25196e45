/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sched: which PMD polls which rx queue.  A pure function of its inputs (PMD
 * cores with their NUMA node, rx queues with their NUMA node, pins and
 * measured cycles), so it is unit-tested on synthetic 1-, 2- and 4-node
 * topologies and the control thread just feeds it what libnuma and the stats
 * say.
 *
 * Rules, in order (as OVS-DPDK users expect):
 * 1. A queue pinned by other_config:pmd-rxq-affinity goes to the PMD on that
 *    core, whatever its NUMA node.  If the core has no PMD the queue is
 *    treated as unpinned and a warning says so.  With isolate_pinned, a PMD
 *    that got a pinned queue receives no other queue.
 * 2. Other queues go to a non-isolated PMD on their own NUMA node.  Only when
 *    that node has none does a queue go to another node's PMD (cross_numa set,
 *    warning emitted): polled from afar rather than not at all.
 * 3. Among eligible PMDs:
 *    - SCHED_ROUNDROBIN: queues in (port, qid) order, dealt in turn;
 *    - SCHED_CYCLES: queues sorted by cycles descending (ties by port, qid),
 *      each given to the eligible PMD with the least load so far (ties: the
 *      PMD with fewer queues, then lower core);
 *    - SCHED_GROUP: like cycles, but a PMD's load is compared including the
 *      queue being placed, which spreads better when loads are uneven.
 * The result is deterministic for a given input.
 */
#ifndef KVS_PMD_SCHED_H
#define KVS_PMD_SCHED_H

#include <stdbool.h>
#include <stdint.h>

enum sched_mode { SCHED_CYCLES, SCHED_ROUNDROBIN, SCHED_GROUP };

struct sched_pmd {
	unsigned int core; /* in */
	int numa;          /* in */
	bool isolated;     /* out: got a pinned queue and isolate_pinned */
	uint64_t load;     /* out: sum of the cycles of its queues */
	unsigned int n_rxq; /* out */
};

struct sched_rxq {
	uint16_t port;     /* in: port id */
	uint16_t qid;      /* in */
	int numa;          /* in: NUMA node of the queue (device / guest memory) */
	int pinned_core;   /* in: pmd-rxq-affinity core, -1 if none */
	uint64_t cycles;   /* in: measured processing cycles (0 if unknown) */
	int pmd;           /* out: index into the pmds array, -1 if no PMD at all */
	bool cross_numa;   /* out: polled from another NUMA node */
};

struct sched_opts {
	enum sched_mode mode;
	bool isolate_pinned; /* other_config:pmd-rxq-isolate, default true */
};

typedef void (*sched_warn_fn)(void *arg, const struct sched_rxq *q, const char *msg);

/*
 * Assign every rx queue.  Returns the number of queues left without a PMD
 * (non-zero only when n_pmds == 0), or -EINVAL on bad arguments.  `warn` may
 * be NULL; it is called once per cross-NUMA or unusable pin.
 */
int sched_assign(struct sched_pmd *pmds, unsigned int n_pmds, struct sched_rxq *rxqs,
		 unsigned int n_rxqs, const struct sched_opts *opts, sched_warn_fn warn,
		 void *warn_arg);

/* Parse "cycles", "roundrobin", "group". -EINVAL otherwise. */
int sched_mode_parse(const char *s, enum sched_mode *mode);
const char *sched_mode_name(enum sched_mode mode);

/*
 * sched_assign() details beyond the rules above (pmd/sched.c):
 * - A queue with numa < 0 (node unknown, e.g. SOCKET_ID_ANY) counts as local
 *   to every PMD: never cross_numa, never warned about.
 * - Roundrobin picks the eligible PMD with the fewest queues (pinned ones
 *   included), ties by lower core: in (port, qid) order this deals in turn.
 * - Every PMD isolated: a queue goes to the least loaded PMD of its node
 *   (fewest queues for roundrobin) ignoring isolation, or of any node if its
 *   node has none (cross_numa).  This also calls `warn`, so warn is called
 *   once per unusable pin, per cross-NUMA queue (pinned ones included) and
 *   per queue placed on an isolated PMD; a queue with an unusable pin that
 *   then lands cross-NUMA or on an isolated PMD gets two calls.  `msg` is
 *   only valid during the call.
 * - n_pmds == 0 places nothing and warns about nothing.
 * - pinned_core < -1, a NULL table with a non-zero count, an unknown mode or
 *   a count above INT_MAX give -EINVAL; failing to allocate the one temporary
 *   array gives -ENOMEM.  Both leave every table and out field untouched.
 * - Two PMDs on one core: a pin to that core goes to the first in the array.
 * - sched_mode_name() of an unknown mode returns "unknown", never NULL.
 */

#endif
