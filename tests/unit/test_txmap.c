/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Component tests of the tx queue rule (dataplane/port.h): a queue more than
 * one PMD can reach is locked by all of them.  Exact sharing flags, no
 * fallback onto another slot's queue on a real ethdev (net_null), and map
 * replacement under a concurrent reader that checks every pair of maps it
 * can hold at once.
 */
#include <pthread.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "tests/unit/dp_test.h"

#include "dataplane/ethdev_port.h"
#include "dataplane/pktmbuf.h"

static void test_build_marks_exactly_the_shared_queues(void **state)
{
	struct dp_txmap m;

	(void)state;
	/* 3 PMDs on 2 queues: slots 0 and 2 share queue 0, slot 1 has queue 1 */
	dp_txmap_build(&m, 3, 2);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.qid[0], 0);
	assert_int_equal(m.qid[1], 1);
	assert_int_equal(m.qid[2], 0);
	assert_true(m.shared[0]);
	assert_false(m.shared[1]);
	assert_true(m.shared[2]);
	dp_txmap_build(&m, 2, 4);
	assert_false(m.shared[0]);
	assert_false(m.shared[1]);
	dp_txmap_build(&m, 4, 0);
	assert_int_equal(m.n, 0);
}

/* A PMD whose slot is not in the map (yet) must not send on the queue of a
 * slot that is, which sends without the lock. */
static void test_ethdev_slot_beyond_map_sends_nothing(void **state)
{
	struct ethdev_port_params prm = {.devargs = "net_null_txmap0",
					 .n_rxq = 1,
					 .n_rxq_desc = 256,
					 .n_txq_desc = 256,
					 .mtu = 1500,
					 .max_pmds = 1,
					 .promiscuous = false};
	struct rte_mbuf *pkts[4];
	struct dp_txmap m;
	struct dp_port *p;
	char err[256];
	unsigned int i;

	(void)state;
	p = ethdev_port_create("null0", &prm, err, sizeof(err));
	if (p == NULL) {
		print_message("skipped: no net_null device: %s\n", err);
		skip();
	}
	dp_txmap_build(&m, 1, p->n_txq);
	assert_int_equal(dp_port_set_txmap(p, &m), 0);
	assert_false(p->txmap->shared[0]);

	for (i = 0; i < 4; i++)
		pkts[i] = test_frame("52:54:00:00:00:01", "52:54:00:00:00:02", -1, 0x88b5, 64);
	assert_int_equal(p->ops->tx_burst(p, 1, pkts, 4), 0);
	assert_int_equal(p->tx[1].packets, 0);
	assert_int_equal(p->tx[1].drops[DP_DROP_TX_NO_QUEUE], 4);

	for (i = 0; i < 4; i++)
		pkts[i] = test_frame("52:54:00:00:00:01", "52:54:00:00:00:02", -1, 0x88b5, 64);
	assert_int_equal(p->ops->tx_burst(p, 0, pkts, 4), 4);
	assert_int_equal(p->tx[0].packets, 4);
	dp_rcu_flush();
	ethdev_port_destroy(p);
	assert_int_equal(test_in_use(), 0);
}

/* ---- replacement under a reader ---- */

struct reader {
	struct dp_port *port;
	struct rte_rcu_qsbr *qsv;
	volatile bool stop;
	unsigned long pairs, violations;
};

/* Two maps a reader can hold at once: a slot of one and another slot of the
 * other on the same queue must both lock. */
static unsigned long unsafe_pairs(const struct dp_txmap *a, const struct dp_txmap *b)
{
	unsigned int i, j;
	unsigned long bad = 0;

	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++)
			if (i != j && a->qid[i] == b->qid[j] && !(a->shared[i] && b->shared[j]))
				bad++;
	return bad;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	rte_rcu_qsbr_thread_register(r->qsv, 0);
	rte_rcu_qsbr_thread_online(r->qsv, 0);
	while (!r->stop) {
		const struct dp_txmap *a = __atomic_load_n(&r->port->txmap, __ATOMIC_ACQUIRE);
		unsigned int spin;

		/* a PMD in a burst: holds a while another PMD may read anew */
		for (spin = 0; spin < 200; spin++)
			rte_pause();
		const struct dp_txmap *b = __atomic_load_n(&r->port->txmap, __ATOMIC_ACQUIRE);
		if (a != NULL && b != NULL) {
			r->violations += unsafe_pairs(a, b) + unsafe_pairs(b, a);
			r->pairs++;
		}
		rte_rcu_qsbr_quiescent(r->qsv, 0);
	}
	rte_rcu_qsbr_thread_offline(r->qsv, 0);
	rte_rcu_qsbr_thread_unregister(r->qsv, 0);
	return NULL;
}

static uint16_t null_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n)
{
	dp_port_drop_tx(p, pmd, DP_DROP_TX_DOWN, pkts, n);
	return 0;
}

static uint16_t null_rx(struct dp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	(void)p, (void)q, (void)pkts, (void)n;
	return 0;
}

static const struct dp_port_ops null_ops = {.rx_burst = null_rx, .tx_burst = null_tx};

/* A guest going from one queue to two and back while a reader holds maps:
 * slots 0,1 on queue 0 (both lock), then 0 -> q0 and 1 -> q1 (neither needs
 * to).  Swapped directly, a reader holding the old map sends on q0 locked
 * while slot 0 on the new map sends on q0 unlocked. */
static void test_replace_keeps_every_concurrent_pair_locked(void **state)
{
	struct dp_txmap one, two;
	struct reader r = {0};
	struct dp_port *p;
	pthread_t th;
	unsigned int round;

	(void)state;
	p = dp_port_alloc("txmap", DP_PORT_TEST, &null_ops, SOCKET_ID_ANY);
	assert_non_null(p);
	dp_txmap_build(&one, 2, 1);
	dp_txmap_build(&two, 2, 2);
	assert_true(one.shared[0] && one.shared[1]);
	assert_false(two.shared[0] || two.shared[1]);
	assert_int_equal(dp_port_replace_txmaps(&p, &one, 1), 0);
	dp_rcu_flush();

	r.port = p;
	r.qsv = dp_rcu();
	assert_int_equal(pthread_create(&th, NULL, reader_main, &r), 0);
	while (__atomic_load_n(&r.pairs, __ATOMIC_RELAXED) == 0)
		rte_pause();
	for (round = 0; round < 400; round++) {
		assert_int_equal(dp_port_replace_txmaps(&p, round & 1 ? &one : &two, 1), 0);
		dp_rcu_flush();
	}
	r.stop = true;
	pthread_join(th, NULL);
	print_message("%lu map pairs seen, %lu unsafe\n", r.pairs, r.violations);
	assert_true(r.pairs > 0);
	assert_int_equal(r.violations, 0);
	/* ends exact: no lock where none is needed */
	assert_int_equal(dp_port_replace_txmaps(&p, &two, 1), 0);
	assert_false(p->txmap->shared[0] || p->txmap->shared[1]);
	/* unchanged maps are not republished */
	{
		const struct dp_txmap *before = p->txmap;
		assert_int_equal(dp_port_replace_txmaps(&p, &two, 1), 0);
		assert_ptr_equal(p->txmap, before);
	}
	dp_port_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_marks_exactly_the_shared_queues),
		cmocka_unit_test(test_ethdev_slot_beyond_map_sends_nothing),
		cmocka_unit_test(test_replace_keeps_every_concurrent_pair_locked),
	};

	test_eal_init("test_txmap");
	dp_pool_configure(4096);
	if (dp_rcu_init(1) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
