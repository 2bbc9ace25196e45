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
 * 3. Among the eligible PMDs (the PMDs of the first non-empty fallback level
 *    of rule 2 and the details below, taken in core order):
 *    - SCHED_ROUNDROBIN: queues in (port, qid) order, dealt in turn;
 *    - SCHED_CYCLES (OVS's "cycles"): queues sorted by cycles descending
 *      (ties by port, qid), dealt to the eligible PMDs in serpentine order,
 *      0, 1, .. n-1, n-1, .. 1, 0, 0, 1, .., one turn counter per set of
 *      eligible PMDs.  Load-blind once sorted, so cheap and predictable;
 *      within one set the busiest PMD carries at most the heaviest queue
 *      more than the least busy one, but an uneven mix (one heavy queue and
 *      many light ones) is spread badly;
 *    - SCHED_GROUP (OVS's "group"): same order, each queue to the eligible
 *      PMD with the least load so far (ties: the PMD with fewer queues, then
 *      lower core).  Graham's LPT: the busiest PMD is within 4/3 of the
 *      optimal, and uneven mixes are spread far better than by cycles.
 *    Both count a pinned queue's cycles in its PMD's load (visible when
 *    isolate_pinned is false); only group acts on it.
 * The result is deterministic for a given input.
 */
#ifndef KVS_PMD_SCHED_H
#define KVS_PMD_SCHED_H

#include <stdbool.h>
#include <stdint.h>

enum sched_mode { SCHED_CYCLES, SCHED_ROUNDROBIN, SCHED_GROUP };

struct sched_pmd {
	unsigned int core;  /* in */
	int numa;           /* in */
	bool isolated;      /* out: got a pinned queue and isolate_pinned */
	uint64_t load;      /* out: sum of the cycles of its queues */
	unsigned int n_rxq; /* out */
};

struct sched_rxq {
	uint16_t port;   /* in: port id */
	uint16_t qid;    /* in */
	int numa;        /* in: NUMA node of the queue (device / guest memory) */
	int pinned_core; /* in: pmd-rxq-affinity core, -1 if none */
	uint64_t cycles; /* in: measured processing cycles (0 if unknown) */
	int pmd;         /* out: index into the pmds array, -1 if no PMD at all */
	bool cross_numa; /* out: polled from another NUMA node */
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
 * ---- Comparing two placements (pmd/sched_estimate.c) ----
 *
 * The auto load balancer (pmd-auto-lb) and pmd-rxq-rebalance run
 * sched_assign() as a dry run on measured cycles, then ask how the proposed
 * placement compares with the one in effect, and whether that is worth
 * moving queues for.  Both are pure functions too.
 *
 * A PMD's load is the sum of the cycles of the queues placed on it.  The
 * variance is taken per NUMA node (over that node's PMDs), because queues do
 * not move between nodes to even out nodes: an imbalance between nodes is
 * not one a rebalance can fix, and must not hide one it can.
 *
 * The improvement is relative, as in OVS ((current - proposed) / current
 * variance), with one guard: a node whose PMD loads already agree within
 * SCHED_BALANCED_PCT (standard deviation under that share of their mean)
 * counts as balanced, its current variance as at least that floor.  Loads
 * are measured, so two equally busy queues swap rank from one minute to the
 * next; without the floor, swapping them back would look like a large
 * relative gain on a tiny variance, and queues would move for nothing.
 */
#define SCHED_BALANCED_PCT 5

struct sched_spread {
	uint64_t max;    /* busiest PMD's load */
	uint64_t min;    /* least busy PMD's load */
	double variance; /* population variance of PMD loads, per node, summed */
};

struct sched_estimate {
	struct sched_spread cur;  /* the placement in effect */
	struct sched_spread next; /* the proposed one */
	unsigned int moves;       /* queues whose PMD would change */
	double improvement;       /* %: the largest relative drop of one node's
				     variance (floored, above), 0..100; 0 if none */
};

/*
 * Compare the placement in effect, cur_pmd[i] (index into pmds, -1 = not
 * polled) for each queue, with the proposed one in rxqs[i].pmd (as
 * sched_assign() wrote it), both weighed with rxqs[i].cycles.  Only reads
 * its arguments.  0, or -EINVAL (NULL tables with non-zero counts, NULL
 * est, a PMD index out of range), or -ENOMEM.
 */
int sched_estimate(const struct sched_pmd *pmds, unsigned int n_pmds, const struct sched_rxq *rxqs,
		   unsigned int n_rxqs, const int *cur_pmd, struct sched_estimate *est);

enum sched_alb_verdict {
	SCHED_ALB_REBALANCE,      /* move the queues */
	SCHED_ALB_NOT_OVERLOADED, /* busiest PMD below pmd-auto-lb-load-threshold */
	SCHED_ALB_NO_MOVE,        /* the proposal is the placement in effect */
	SCHED_ALB_WORSE_MAX,      /* the busiest PMD would get busier */
	SCHED_ALB_SMALL_GAIN,     /* improvement below pmd-auto-lb-improvement-threshold */
};

/*
 * pmd-auto-lb's decision, as OVS takes it: rebalance only if the busiest
 * PMD is at least load_threshold % busy, the proposal moves something,
 * does not make the busiest PMD busier, and lowers the variance of some
 * node by at least improvement_threshold % (and by something at all, even
 * with a threshold of 0: equal plans never ping-pong).  Checked in that
 * order; the first that fails is the verdict.
 */
enum sched_alb_verdict sched_alb_decide(unsigned int busiest_pct, const struct sched_estimate *est,
					unsigned int load_threshold,
					unsigned int improvement_threshold);
/* Words for logs: "rebalance", "not overloaded", ... never NULL. */
const char *sched_alb_verdict_name(enum sched_alb_verdict v);

/*
 * sched_assign() details beyond the rules above (pmd/sched.c):
 * - A queue with numa < 0 (node unknown, e.g. SOCKET_ID_ANY) counts as local
 *   to every PMD: never cross_numa, never warned about.
 * - Roundrobin picks the eligible PMD with the fewest queues (pinned ones
 *   included), ties by lower core: in (port, qid) order this deals in turn.
 * - Cycles keeps one serpentine turn counter per node for its non-isolated
 *   PMDs and one for all its PMDs (used when every PMD is isolated), and one
 *   each for a queue whose node is unknown (all non-isolated PMDs, all
 *   PMDs).  A queue polled cross-NUMA is dealt on the node whose eligible
 *   PMDs have the least average load so far (ties: lower node), with that
 *   node's counter, so local and remote queues share one sequence.
 * - Every PMD isolated: a queue goes to a PMD of its node chosen by the
 *   mode's rule ignoring isolation, or of any node if its node has none
 *   (cross_numa).  This also calls `warn`, so warn is called
 *   once per unusable pin, per cross-NUMA queue (pinned ones included) and
 *   per queue placed on an isolated PMD; a queue with an unusable pin that
 *   then lands cross-NUMA or on an isolated PMD gets two calls.  `msg` is
 *   only valid during the call.
 * - n_pmds == 0 places nothing and warns about nothing.
 * - pinned_core < -1, a NULL table with a non-zero count, an unknown mode or
 *   a count above INT_MAX give -EINVAL; failing to allocate the one temporary
 *   block gives -ENOMEM.  Both leave every table and out field untouched.
 * - Two PMDs on one core: a pin to that core goes to the first in the array.
 * - sched_mode_name() of an unknown mode returns "unknown", never NULL.
 */

#endif
