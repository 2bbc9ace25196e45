/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Component test of the PMD loop body (pmd_poll) on test ports: which queues
 * an iteration polls when most of them are silent (PMD_IDLE_BUDGET, pmd.h).
 * A busy PMD polls a window of the idle queues per iteration, every idle
 * queue in turn; a silent queue that starts sending is served within
 * n_idle / PMD_IDLE_BUDGET iterations and then every iteration; with every
 * queue idle, all are polled every iteration.  Frames go to no bridge and
 * are dropped as no_bridge, so the mbuf-leak check holds them to account.
 */
#include "tests/unit/dp_test.h"

#include <rte_malloc.h>

#include "dataplane/pipeline.h"
#include "pmd/pmd.h"

#define N_IDLE 100

struct tport {
	unsigned int polls;
	unsigned int frames_per_poll; /* 0: silent */
	unsigned int sent;
};

static struct tport tp[N_IDLE + 1];

static uint16_t t_rx(struct dp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct tport *t = p->priv;
	uint16_t i, k = (uint16_t)RTE_MIN(t->frames_per_poll, n);

	(void)q;
	t->polls++;
	for (i = 0; i < k; i++)
		pkts[i] = test_frame("52:54:00:00:00:02", "52:54:00:00:00:01", -1, 0x0800, 60);
	t->sent += k;
	return k;
}

static uint16_t t_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n)
{
	(void)p, (void)pmd;
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

static const struct dp_port_ops t_ops = {.rx_burst = t_rx, .tx_burst = t_tx};

static unsigned int polls_of(unsigned int from, unsigned int to)
{
	unsigned int i, s = 0;

	for (i = from; i < to; i++)
		s += tp[i].polls;
	return s;
}

static void test_idle_queues_polled_in_turn_under_load(void **state)
{
	struct dp_port *ports[N_IDLE + 1];
	struct pmd_rxq q[N_IDLE + 1];
	struct pmd_rxq_list *l;
	struct pmd pmd = {0};
	unsigned int i, it, before[N_IDLE + 1], most = 0;

	(void)state;
	memset(tp, 0, sizeof(tp));
	pmd.ctx = dp_pmd_ctx_create(0, SOCKET_ID_ANY, test_pool);
	assert_non_null(pmd.ctx);
	l = rte_zmalloc("t", sizeof(*l) + sizeof(q), 0);
	assert_non_null(l);
	for (i = 0; i <= N_IDLE; i++) {
		char name[16];

		snprintf(name, sizeof(name), "tp%u", i);
		ports[i] = dp_port_alloc(name, DP_PORT_TEST, &t_ops, SOCKET_ID_ANY);
		assert_non_null(ports[i]);
		ports[i]->priv = &tp[i];
		l->q[i] = (struct pmd_rxq){.port = ports[i], .qid = 0};
	}
	l->n = N_IDLE + 1;
	tp[0].frames_per_poll = 4; /* port 0 always has frames; 1..100 are silent */

	/* until they count as idle, silent queues are polled every iteration */
	for (it = 0; it < PMD_IDLE_AFTER; it++)
		pmd_poll(&pmd, l);
	assert_int_equal(polls_of(1, N_IDLE + 1), N_IDLE * PMD_IDLE_AFTER);

	/* then a window of about PMD_IDLE_BUDGET of them per iteration, all in turn */
	for (i = 0; i <= N_IDLE; i++)
		before[i] = tp[i].polls;
	for (it = 0; it < 200; it++) {
		unsigned int p0 = polls_of(1, N_IDLE + 1), d;

		pmd_poll(&pmd, l);
		d = polls_of(1, N_IDLE + 1) - p0;
		most = RTE_MAX(most, d);
	}
	assert_int_equal(tp[0].polls - before[0], 200); /* the busy queue: every time */
	assert_true(most <= PMD_IDLE_BUDGET + 1);
	for (i = 1; i <= N_IDLE; i++) {
		/* 200 iterations sweep 100 idle queues 8 times: each polled 7 to 9 times */
		unsigned int d = tp[i].polls - before[i];
		if (d < 7 || d > 9)
			fail_msg("idle queue %u polled %u times in 200 iterations", i, d);
	}

	/* a silent queue starts sending: served within a sweep, then every time */
	tp[57].frames_per_poll = 2;
	for (it = 0; it < N_IDLE / PMD_IDLE_BUDGET + 1 && tp[57].sent == 0; it++)
		pmd_poll(&pmd, l);
	assert_true(tp[57].sent > 0);
	before[57] = tp[57].polls;
	for (it = 0; it < 10; it++)
		pmd_poll(&pmd, l);
	assert_int_equal(tp[57].polls - before[57], 10);

	/* everything falls silent: once all are idle, all are polled every time */
	tp[0].frames_per_poll = tp[57].frames_per_poll = 0;
	for (it = 0; it < PMD_IDLE_AFTER + 1; it++)
		pmd_poll(&pmd, l);
	for (i = 0; i <= N_IDLE; i++)
		before[i] = tp[i].polls;
	for (it = 0; it < 5; it++)
		assert_int_equal(pmd_poll(&pmd, l), 0);
	for (i = 0; i <= N_IDLE; i++)
		assert_int_equal(tp[i].polls - before[i], 5);

	/* every frame sent reached the pipeline: counted, and dropped by name */
	assert_int_equal(ports[0]->rxq[0].packets, tp[0].sent);
	assert_int_equal(ports[57]->rxq[0].packets, tp[57].sent);
	assert_int_equal(ports[0]->rxq[0].drops[DP_DROP_NO_BRIDGE], tp[0].sent);
	for (i = 0; i <= N_IDLE; i++)
		dp_port_free(ports[i]);
	rte_free(l);
	dp_pmd_ctx_destroy(pmd.ctx);
	assert_int_equal(test_in_use(), 0);
}

/* With no more idle queues than the budget, nothing is ever skipped. */
static void test_few_idle_queues_always_polled(void **state)
{
	struct dp_port *ports[3];
	struct pmd_rxq_list *l;
	struct pmd pmd = {0};
	unsigned int i, it;

	(void)state;
	memset(tp, 0, sizeof(tp));
	pmd.ctx = dp_pmd_ctx_create(0, SOCKET_ID_ANY, test_pool);
	l = rte_zmalloc("t", sizeof(*l) + 3 * sizeof(l->q[0]), 0);
	assert_non_null(l);
	for (i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "tq%u", i);
		ports[i] = dp_port_alloc(name, DP_PORT_TEST, &t_ops, SOCKET_ID_ANY);
		ports[i]->priv = &tp[i];
		l->q[i] = (struct pmd_rxq){.port = ports[i], .qid = 0};
	}
	l->n = 3;
	tp[0].frames_per_poll = 1;
	for (it = 0; it < 3 * PMD_IDLE_AFTER; it++)
		pmd_poll(&pmd, l);
	for (i = 0; i < 3; i++)
		assert_int_equal(tp[i].polls, 3 * PMD_IDLE_AFTER);
	for (i = 0; i < 3; i++)
		dp_port_free(ports[i]);
	rte_free(l);
	dp_pmd_ctx_destroy(pmd.ctx);
	assert_int_equal(test_in_use(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_queues_polled_in_turn_under_load),
		cmocka_unit_test(test_few_idle_queues_always_polled),
	};

	test_eal_init("test_pmd_poll");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
