/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rx queue planning (rxq_plan.h): the running switch in, sched_assign() in
 * the middle, PMD poll lists and tx maps out.
 *
 * The inputs are rebuilt from scratch on each call (a few thousand queues at
 * most, on a configuration change or once a rebalance interval), from the
 * ports the switch has open: a vhost port's queue pairs while its guest is
 * connected, an ethdev port's n_rxq.  The loads come from the measured
 * window, so a re-plan after traffic changed places queues by what they do
 * now; a queue that has done nothing weighs 0 and is spread by count.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_log.h>

#include "control/rxq_load.h"
#include "control/rxq_plan.h"
#include "control/state.h"
#include "dataplane/pktmbuf.h"
#include "pmd/pmd.h"
#include "vhost-user/vhost_port.h"

#define PLAN_LOG(lvl, ...) rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_USER2, "control: " __VA_ARGS__)
#define PLAN_MAX_RXQS      (DP_MAX_PORTS * 4)

/* One plan's tables; static because they are large and the control thread is one. */
struct plan {
	struct sched_pmd sp[DP_MAX_PMDS];
	unsigned int slot_of[DP_MAX_PMDS]; /* sp index -> sw.pmds slot */
	unsigned int n_pmds;
	struct sched_rxq rq[PLAN_MAX_RXQS];
	int cur[PLAN_MAX_RXQS]; /* sp index polling it now, -1 if none */
	unsigned int n_rq;
	unsigned int base[DP_MAX_PORTS];    /* port id -> its first entry in rq */
	uint16_t count[DP_MAX_PORTS];       /* port id -> its entries in rq */
	struct dp_port *port[DP_MAX_PORTS]; /* port id -> the port planned */
};

/*
 * What a placement depends on, but the loads: one key per queue and per PMD,
 * with the mode and isolation.  The last published one is kept to tell a
 * change that needs a new placement from one that does not.
 */
struct plan_key {
	const void *who; /* the port, or the PMD */
	uint32_t a, b;   /* qid, pinned core + 1; or core, slot */
	int numa;
};

struct plan_inputs {
	unsigned int n;
	int mode;
	bool isolate;
	struct plan_key k[PLAN_MAX_RXQS + DP_MAX_PMDS];
};

static struct plan plan;
static struct plan_inputs last, now;
static bool isolated[DP_MAX_PMDS]; /* by slot, as last published */

static void plan_warn(void *arg, const struct sched_rxq *q, const char *msg)
{
	struct dp_port *p = dp_port_get(q->port);

	(void)arg;
	PLAN_LOG(WARNING, "port '%s' rx queue %u: %s\n", p ? p->name : "?", q->qid, msg);
}

static uint16_t port_rxqs(struct dp_port *p, int *numa)
{
	struct vhost_port_info vi;

	if (p->kind != DP_PORT_VHOST) {
		*numa = p->numa;
		return p->n_rxq;
	}
	vhost_port_info(p, &vi);
	*numa = vi.numa;
	return vi.connected ? vi.n_qp : 0;
}

/*
 * A guest's frames go into the mbuf pool of its memory's node, set before
 * its queues are published.  Only a real re-plan does it (commit); a dry run
 * changes nothing.  False if the port cannot be polled at all.
 */
static bool port_pool(struct sw_port *p, uint16_t n, int numa, bool commit)
{
	struct rte_mempool *mp;

	if (p->dp->kind != DP_PORT_VHOST || n == 0)
		return true;
	mp = dp_pool_get(numa);
	if (mp == NULL) {
		if (commit)
			PLAN_LOG(ERR, "port '%s': no mbuf pool for NUMA node %d: not polled\n",
				 p->name, numa);
		return false;
	}
	if (commit) {
		p->dp->numa = numa;
		vhost_port_set_pool(p->dp, mp);
	}
	return true;
}

static void plan_port(struct plan *pl, struct sw_port *p, bool commit)
{
	uint16_t n, q, a;
	int numa;

	n = port_rxqs(p->dp, &numa);
	if (!port_pool(p, n, numa, commit))
		return;
	if (pl->n_rq + n > RTE_DIM(pl->rq) && commit)
		PLAN_LOG(ERR, "port '%s': more than %zu rx queues in all: some not polled\n",
			 p->name, RTE_DIM(pl->rq));
	pl->base[p->dp->id] = pl->n_rq;
	pl->port[p->dp->id] = p->dp;
	for (q = 0; q < n && pl->n_rq < RTE_DIM(pl->rq); q++) {
		struct sched_rxq *r = &pl->rq[pl->n_rq];

		*r = (struct sched_rxq){.port = p->dp->id,
					.qid = q,
					.numa = numa,
					.pinned_core = -1,
					.cycles = rxq_load_queue(p->dp, q)};
		for (a = 0; a < p->cfg.n_affinity; a++)
			if (p->cfg.affinity[a].qid == q)
				r->pinned_core = p->cfg.affinity[a].core;
		pl->cur[pl->n_rq++] = -1;
		pl->count[p->dp->id]++;
	}
}

/* Where each planned queue is polled now, from the PMDs' published lists. */
static void plan_current(struct plan *pl)
{
	unsigned int i;
	uint16_t j;

	for (i = 0; i < pl->n_pmds; i++) {
		const struct pmd_rxq_list *l = sw.pmds[pl->slot_of[i]]->rxqs;

		for (j = 0; l != NULL && j < l->n; j++) {
			const struct dp_port *p = l->q[j].port;

			/* A port being closed is still listed, and not planned. */
			if (pl->port[p->id] == p && l->q[j].qid < pl->count[p->id])
				pl->cur[pl->base[p->id] + l->q[j].qid] = (int)i;
		}
	}
}

static void plan_inputs(const struct plan *pl, const struct sched_opts *so, struct plan_inputs *in)
{
	unsigned int i;

	in->n = 0;
	in->mode = (int)so->mode;
	in->isolate = so->isolate_pinned;
	for (i = 0; i < pl->n_pmds; i++)
		in->k[in->n++] = (struct plan_key){.who = sw.pmds[pl->slot_of[i]],
						   .a = pl->sp[i].core,
						   .b = pl->slot_of[i],
						   .numa = pl->sp[i].numa};
	for (i = 0; i < pl->n_rq; i++)
		in->k[in->n++] = (struct plan_key){.who = pl->port[pl->rq[i].port],
						   .a = pl->rq[i].qid,
						   .b = (uint32_t)(pl->rq[i].pinned_core + 1),
						   .numa = pl->rq[i].numa};
}

static bool inputs_equal(const struct plan_inputs *x, const struct plan_inputs *y)
{
	unsigned int i;

	if (x->n != y->n || x->mode != y->mode || x->isolate != y->isolate)
		return false;
	for (i = 0; i < x->n; i++)
		if (x->k[i].who != y->k[i].who || x->k[i].a != y->k[i].a ||
		    x->k[i].b != y->k[i].b || x->k[i].numa != y->k[i].numa)
			return false;
	return true;
}

static struct sched_opts plan_opts(void)
{
	struct sched_opts so = {.mode = SCHED_CYCLES, .isolate_pinned = sw.ovs.pmd_rxq_isolate};
	enum sched_mode mode;

	if (sched_mode_parse(sw.ovs.pmd_rxq_assign, &mode) == 0)
		so.mode = mode;
	return so;
}

/* Fill the tables from the running switch, and `now` with their key. */
static void plan_fill(struct plan *pl, bool commit)
{
	struct sched_opts so = plan_opts();
	unsigned int i, s;

	pl->n_pmds = 0;
	pl->n_rq = 0;
	memset(pl->count, 0, sizeof(pl->count));
	for (s = 0; s < sw.n_pmd_slots; s++) {
		if (sw.pmds[s] == NULL)
			continue;
		pl->sp[pl->n_pmds] =
			(struct sched_pmd){.core = sw.pmds[s]->core, .numa = sw.pmds[s]->numa};
		pl->slot_of[pl->n_pmds++] = s;
	}
	for (i = 0; i < sw.n_ports; i++)
		if (sw.ports[i]->dp != NULL)
			plan_port(pl, sw.ports[i], commit);
	plan_current(pl);
	plan_inputs(pl, &so, &now);
}

/* Run the scheduler on the filled tables; the placement is in rq[].pmd. */
static int plan_schedule(struct plan *pl, bool warn)
{
	struct sched_opts so = plan_opts();
	int rc = sched_assign(pl->sp, pl->n_pmds, pl->rq, pl->n_rq, &so, warn ? plan_warn : NULL,
			      NULL);

	return rc < 0 ? rc : 0;
}

static bool list_has(const struct pmd_rxq_list *l, const struct dp_port *p, uint16_t q)
{
	uint16_t i;

	for (i = 0; l && i < l->n; i++)
		if (l->q[i].port == p && l->q[i].qid == q)
			return true;
	return false;
}

/*
 * Publish the plan: first every PMD keeps only the queues it keeps, grace
 * period, then every PMD gets its full list.  A queue that moves is polled by
 * nobody for one grace period (microseconds; its frames wait in its ring),
 * never by two PMDs at once, which would break its single-consumer ring.
 */
static void plan_publish(struct plan *pl)
{
	static struct pmd_rxq lists[DP_MAX_PMDS][DP_MAX_PORTS];
	static struct pmd_rxq keep[DP_MAX_PORTS];
	uint16_t n_list[DP_MAX_PMDS] = {0};
	unsigned int i, s;

	for (i = 0; i < pl->n_rq; i++) {
		if (pl->rq[i].pmd < 0)
			continue;
		s = (unsigned int)pl->rq[i].pmd;
		if (n_list[s] == DP_MAX_PORTS) {
			PLAN_LOG(ERR,
				 "PMD on core %u: more than %d rx queues, port '%s' queue %u "
				 "not polled\n",
				 pl->sp[s].core, DP_MAX_PORTS, pl->port[pl->rq[i].port]->name,
				 pl->rq[i].qid);
			continue;
		}
		/* The port planned (the switch's), not the table's: the same once
		 * published, and never NULL. */
		lists[s][n_list[s]++] =
			(struct pmd_rxq){.port = pl->port[pl->rq[i].port], .qid = pl->rq[i].qid};
	}

	/* phase 1: keep only what stays on the same PMD */
	for (i = 0; i < pl->n_pmds; i++) {
		struct pmd *pmd = sw.pmds[pl->slot_of[i]];
		uint16_t k = 0, j;

		for (j = 0; j < n_list[i]; j++)
			if (list_has(pmd->rxqs, lists[i][j].port, lists[i][j].qid))
				keep[k++] = lists[i][j];
		pmd_set_rxqs(pmd, keep, k);
	}
	dp_rcu_flush();
	/* phase 2: the full plan */
	memset(isolated, 0, sizeof(isolated));
	for (i = 0; i < pl->n_pmds; i++) {
		pmd_set_rxqs(sw.pmds[pl->slot_of[i]], lists[i], n_list[i]);
		isolated[pl->slot_of[i]] = pl->sp[i].isolated;
	}
}

bool rxq_plan_isolated(unsigned int slot)
{
	return slot < DP_MAX_PMDS && isolated[slot];
}

/* tx maps: every PMD slot gets a queue */
static void publish_txmaps(void)
{
	static struct dp_txmap maps[DP_MAX_PORTS];
	static struct dp_port *ports[DP_MAX_PORTS];
	unsigned int i, n = 0;

	for (i = 0; i < sw.n_ports && n < DP_MAX_PORTS; i++) {
		struct dp_port *p = sw.ports[i]->dp;

		if (p == NULL)
			continue;
		if (p->kind == DP_PORT_VHOST)
			vhost_port_txmap(p, sw.n_pmd_slots, &maps[n]);
		else
			dp_txmap_build(&maps[n], sw.n_pmd_slots, p->n_txq);
		ports[n++] = p;
	}
	if (dp_port_replace_txmaps(ports, maps, n) < 0)
		PLAN_LOG(ERR, "tx maps: out of memory; ports keep locking every queue\n");
}

void rxq_plan_apply(bool force)
{
	int rc;

	/* tx maps first: a PMD that gets rx queues below (a new one, or after a
	 * pmd-cpu-mask change) has frames to send at once, and its slot must be
	 * in every map by then, or it would find no queue (port.h).  The
	 * release store of its rx list orders these stores before it. */
	publish_txmaps();
	plan_fill(&plan, true);
	/* Same inputs: same placement wanted, and the warnings were given. */
	if (force || !inputs_equal(&now, &last)) {
		rc = plan_schedule(&plan, true);
		if (rc < 0) {
			/* Allocation failure only: keep the lists in effect rather
			 * than publish a half-filled plan, and try again next time. */
			PLAN_LOG(ERR, "rx queue plan failed: %s; placement unchanged\n",
				 strerror(-rc));
			last.mode = -1;
		} else {
			plan_publish(&plan);
			last = now;
		}
	}
	dp_rcu_flush();
}

int rxq_plan_estimate(struct rxq_plan_report *r)
{
	uint64_t w = rxq_load_window();
	unsigned int i;
	int rc;

	memset(r, 0, sizeof(*r));
	plan_fill(&plan, false);
	rc = plan_schedule(&plan, false);
	if (rc < 0)
		return rc;
	rc = sched_estimate(plan.sp, plan.n_pmds, plan.rq, plan.n_rq, plan.cur, &r->est);
	if (rc < 0)
		return rc;
	r->n_rxqs = plan.n_rq;
	for (i = 0; i < plan.n_pmds; i++) {
		struct pmd_stats st;

		rxq_load_pmd(sw.pmds[plan.slot_of[i]], &st);
		r->busiest_pct = RTE_MAX(r->busiest_pct, rxq_load_pct(st.busy_cycles));
	}
	if (w) {
		r->max_cur_pct = rxq_load_pct(r->est.cur.max);
		r->max_next_pct = rxq_load_pct(r->est.next.max);
	}
	return 0;
}
