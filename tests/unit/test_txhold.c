/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Component tests of held tx frames (dataplane/txhold.h) with test ports
 * whose queue takes as many frames as the test allows, used the way the
 * vhost-user driver uses a hold: held frames first, new ones only behind an
 * empty hold.  Order across the ring's wrap, the three bounds, plain frames
 * only, expiry and blocking on the millisecond clock (injected: no sleeping),
 * the generation that keeps frames from outliving their settings, the PMD
 * loop's flush list, and frames of a freed port or a stopped PMD freed and
 * counted.  Every test ends with the pool's in-use count where it started.
 */
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "tests/unit/dp_test.h"

#include "dataplane/clock.h"
#include "dataplane/pktmbuf.h"
#include "dataplane/txhold.h"

#define N_TOYS  10
#define HOLD_MS 100

/* A queue that takes `room` frames, then refuses. */
struct toy {
	unsigned int room;
	unsigned int n_got;
	struct rte_mbuf *got[4096];
	unsigned int flushes;
};

static struct toy toys[N_TOYS];
static uint64_t ms_now = 5000000;

static uint64_t test_clock_ms(void)
{
	return ms_now;
}

static uint16_t take(struct toy *t, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t k = (uint16_t)RTE_MIN((unsigned int)n, t->room);

	for (uint16_t i = 0; i < k; i++)
		t->got[t->n_got++] = pkts[i];
	t->room -= k;
	return k;
}

/* What vhost_send does with a hold, on a queue of `room` frames. */
static void toy_send(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n)
{
	struct toy *t = p->priv;
	struct dp_txhold *h = dp_txhold_of(p, pmd);
	struct rte_mbuf **run;
	uint16_t k, s, kept = 0, moved = 0;

	if (h != NULL && dp_txhold_stale(p, h))
		dp_txhold_drop(p, pmd, h, DP_DROP_TX_HELD_STALE);
	while (h != NULL && (k = dp_txhold_front(h, &run, DP_BURST)) != 0) {
		s = take(t, run, k);
		dp_txhold_sent(pmd, h, s);
		moved += s;
		if (s < k)
			break;
	}
	if (h != NULL && moved)
		dp_txhold_moved(h, ms_now);
	if (h != NULL && h->n != 0)
		dp_txhold_expire(p, pmd, h, ms_now, HOLD_MS, DP_DROP_TX_RING_FULL);
	s = h == NULL || h->n == 0 ? take(t, pkts, n) : 0;
	if (h != NULL && s)
		h->blocked = false;
	if (h != NULL)
		kept = dp_txhold_add(p, pmd, h, pkts + s, n - s, ms_now);
	dp_port_drop_tx(p, pmd, DP_DROP_TX_RING_FULL, pkts + s + kept, n - s - kept);
}

static uint16_t toy_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n)
{
	toy_send(p, pmd, pkts, n);
	return 0;
}

static void toy_flush(struct dp_port *p, unsigned int pmd)
{
	((struct toy *)p->priv)->flushes++;
	toy_send(p, pmd, NULL, 0);
}

static uint16_t toy_rx(struct dp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	(void)p, (void)q, (void)pkts, (void)n;
	return 0;
}

static const struct dp_port_ops toy_ops = {
	.rx_burst = toy_rx, .tx_burst = toy_tx, .tx_flush = toy_flush};
static const struct dp_port_ops plain_ops = {.rx_burst = toy_rx, .tx_burst = toy_tx};

static struct dp_port *toy_port(unsigned int i, unsigned int n_pmds)
{
	struct dp_txmap m;
	struct dp_port *p;
	char name[16];

	snprintf(name, sizeof(name), "toy%u", i);
	p = dp_port_alloc(name, DP_PORT_TEST, &toy_ops, SOCKET_ID_ANY);
	assert_non_null(p);
	memset(&toys[i], 0, sizeof(toys[i]));
	p->priv = &toys[i];
	dp_txmap_build(&m, n_pmds, 1);
	assert_int_equal(dp_port_set_txmap(p, &m), 0);
	dp_port_publish(p);
	for (unsigned int slot = 0; slot < n_pmds; slot++)
		dp_txhold_loop(slot); /* as each PMD's loop does before it sends */
	return p;
}

static void toy_free(struct dp_port *p)
{
	struct toy *t = p->priv;

	dp_port_unpublish(p);
	dp_rcu_flush();
	dp_port_free(p);
	rte_pktmbuf_free_bulk(t->got, t->n_got);
	t->n_got = 0;
}

static void burst(struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		pkts[i] = test_frame("02:00:00:00:00:02", "02:00:00:00:00:01", -1, 0x88b5, 60);
}

static void send_burst(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n)
{
	burst(pkts, n);
	p->ops->tx_burst(p, pmd, pkts, n);
}

/* Frames leave in the order they came, across the hold's wrap-around, and
 * new frames wait behind held ones. */
static void test_order_across_wrap(void **state)
{
	unsigned int base = test_in_use(), i, total = 0;
	struct rte_mbuf *sent[600], *pkts[DP_BURST];
	struct dp_port *p = toy_port(0, 1);
	struct toy *t = p->priv;

	(void)state;
	/* 10 frames fit, then 200 wait; 150 leave; 200 more wrap the ring */
	t->room = 10;
	for (i = 0; i < 7; i++) {
		send_burst(p, 0, pkts, 30);
		memcpy(&sent[total], pkts, 30 * sizeof(pkts[0]));
		total += 30;
	}
	assert_int_equal(dp_txhold_of(p, 0)->n, 200);
	assert_true(dp_txhold_pending(0));
	t->room = 150;
	assert_int_equal(dp_txhold_flush(0), 50);
	for (i = 0; i < 6; i++) {
		send_burst(p, 0, pkts, 30);
		memcpy(&sent[total], pkts, 30 * sizeof(pkts[0]));
		total += 30;
	}
	/* 50 + 180 held: the tail passed the end of the ring */
	assert_int_equal(dp_txhold_of(p, 0)->n, 230);
	assert_true(dp_txhold_of(p, 0)->head + 230 > DP_TXHOLD_LEN);
	t->room = 1000;
	send_burst(p, 0, pkts, 5); /* goes behind all 230 */
	memcpy(&sent[total], pkts, 5 * sizeof(pkts[0]));
	total += 5;
	assert_int_equal(t->n_got, total);
	for (i = 0; i < total; i++)
		assert_ptr_equal(t->got[i], sent[i]);
	assert_int_equal(p->tx[0].held, 380);
	assert_int_equal(p->tx[0].drops[DP_DROP_TX_RING_FULL], 0);
	assert_int_equal(dp_txhold_flush(0), 0);
	assert_false(dp_txhold_pending(0));
	toy_free(p);
	assert_int_equal(test_in_use(), base);
}

/* DP_TXHOLD_LEN per (port, PMD), DP_TXHOLD_PMD_MAX per PMD: beyond them a
 * full queue drops as before, counted. */
static void test_bounds(void **state)
{
	unsigned int base = test_in_use(), i, j, n_ports = DP_TXHOLD_PMD_MAX / DP_TXHOLD_LEN + 1;
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_port *p[N_TOYS];

	(void)state;
	assert_true(n_ports <= N_TOYS);
	for (i = 0; i < n_ports; i++)
		p[i] = toy_port(i, 2);
	for (i = 0; i < n_ports; i++)
		for (j = 0; j < DP_TXHOLD_LEN / DP_BURST + 1; j++)
			send_burst(p[i], 1, pkts, DP_BURST);
	for (i = 0; i < n_ports; i++) {
		unsigned int want = i < n_ports - 1 ? DP_TXHOLD_LEN : 0;
		struct dp_txhold *h = dp_txhold_of(p[i], 1);

		assert_int_equal(h->n, want);
		assert_int_equal(p[i]->tx[1].drops[DP_DROP_TX_RING_FULL],
				 DP_TXHOLD_LEN + DP_BURST - want);
		assert_null(dp_txhold_of(p[i], 2)); /* the map has 2 slots */
	}
	/* the other slot holds on its own budget */
	send_burst(p[n_ports - 1], 0, pkts, DP_BURST);
	assert_int_equal(dp_txhold_of(p[n_ports - 1], 0)->n, DP_BURST);
	assert_int_equal(dp_txhold_flush(1), DP_TXHOLD_PMD_MAX);
	for (i = 0; i < n_ports; i++)
		toy_free(p[i]);
	assert_true(dp_txhold_pending(0)); /* a stale id, gone at the next flush */
	assert_int_equal(dp_txhold_flush(0), 0);
	assert_int_equal(dp_txhold_flush(1), 0);
	assert_false(dp_txhold_pending(0));
	assert_false(dp_txhold_pending(1));
	assert_int_equal(test_in_use(), base);
}

/* A frame waits at most HOLD_MS (the port's tx-hold-ms); frames that
 * expire once the queue has taken none for HOLD_MS block the hold until it
 * takes one. */
static void test_expiry_and_block(void **state)
{
	unsigned int base = test_in_use();
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_port *p = toy_port(0, 1);
	struct dp_txhold *h = dp_txhold_of(p, 0);

	(void)state;
	send_burst(p, 0, pkts, 8); /* at t */
	ms_now += 50;
	send_burst(p, 0, pkts, 4); /* at t + 50 */
	assert_int_equal(h->n, 12);
	ms_now += HOLD_MS - 51; /* t + 99: nothing is old enough */
	dp_txhold_flush(0);
	assert_int_equal(h->n, 12);
	toys[0].room = 1;
	ms_now += 1; /* t + 100: one leaves, the other 7 of t have waited too long */
	dp_txhold_flush(0);
	assert_int_equal(toys[0].n_got, 1);
	assert_int_equal(h->n, 4);
	assert_int_equal(p->tx[0].drops[DP_DROP_TX_RING_FULL], 7);
	assert_false(h->blocked);
	ms_now += 50; /* t + 150: the 4 of t + 50 expire; the queue took one 50 ms ago */
	dp_txhold_flush(0);
	assert_int_equal(h->n, 0);
	assert_false(h->blocked);
	assert_false(dp_txhold_pending(0));
	send_burst(p, 0, pkts, 5); /* held: the hold restarts at t + 150 */
	assert_int_equal(h->n, 5);
	ms_now += HOLD_MS; /* t + 250: nothing taken for HOLD_MS: they expire, blocked */
	dp_txhold_flush(0);
	assert_int_equal(h->n, 0);
	assert_true(h->blocked);
	assert_false(dp_txhold_pending(0));
	send_burst(p, 0, pkts, 5); /* blocked: dropped at once, as without holds */
	assert_int_equal(h->n, 0);
	assert_int_equal(p->tx[0].drops[DP_DROP_TX_RING_FULL], 7 + 4 + 5 + 5);
	toys[0].room = 3;
	send_burst(p, 0, pkts, 5); /* the queue takes 3 again: holding resumes */
	assert_false(h->blocked);
	assert_int_equal(h->n, 2);
	toy_free(p);
	assert_int_equal(test_in_use(), base);
}

/* Frames held across a change of settings are dropped as tx_held_stale,
 * never sent: the port's own change drops its holds only, an all-port one
 * every hold; frames held after the change are not stale. */
static void test_generation(void **state)
{
	unsigned int base = test_in_use();
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_port *p = toy_port(0, 1), *o = toy_port(1, 1);
	struct dp_txhold *h = dp_txhold_of(p, 0), *ho = dp_txhold_of(o, 0);

	(void)state;
	dp_txhold_loop(0);
	send_burst(p, 0, pkts, 10);
	send_burst(o, 0, pkts, 3);
	dp_txhold_invalidate(p);
	assert_true(dp_txhold_stale(p, h));
	assert_false(dp_txhold_stale(o, ho));
	toys[0].room = 100;
	dp_txhold_flush(0);
	assert_int_equal(toys[0].n_got, 0);
	assert_int_equal(p->tx[0].drops[DP_DROP_TX_HELD_STALE], 10);
	assert_int_equal(ho->n, 3);
	/* held again in a loop that began before the change: stale too */
	toys[0].room = 0;
	send_burst(p, 0, pkts, 4);
	dp_txhold_invalidate(p);
	assert_true(dp_txhold_stale(p, h));
	dp_txhold_loop(0); /* a loop that sees the change: what it holds is not */
	send_burst(p, 0, pkts, 6);
	assert_int_equal(p->tx[0].drops[DP_DROP_TX_HELD_STALE], 14);
	assert_int_equal(h->n, 6);
	assert_false(dp_txhold_stale(p, h));
	/* an ingress filter changed: every hold is stale */
	dp_txhold_invalidate(NULL);
	assert_true(dp_txhold_stale(p, h));
	assert_true(dp_txhold_stale(o, ho));
	dp_txhold_loop(0);
	dp_txhold_flush(0);
	assert_int_equal(h->n + ho->n, 0);
	assert_int_equal(o->tx[0].drops[DP_DROP_TX_HELD_STALE], 3);
	assert_false(dp_txhold_pending(0));
	toy_free(p);
	toy_free(o);
	assert_int_equal(test_in_use(), base);
}

/* Only direct one-segment frames wait: the hold keeps the plain ones before
 * the first that is not, and the rest are dropped as before. */
static void test_only_plain_frames(void **state)
{
	unsigned int base = test_in_use();
	struct rte_mbuf *pkts[5];
	struct dp_port *p = toy_port(0, 1);

	(void)state;
	burst(pkts, 5);
	assert_int_equal(
		rte_pktmbuf_chain(pkts[3], test_frame("02:00:00:00:00:02", "02:00:00:00:00:01", -1,
						      0x88b5, 60)),
		0);
	p->ops->tx_burst(p, 0, pkts, 5);
	assert_int_equal(dp_txhold_of(p, 0)->n, 3);
	assert_int_equal(p->tx[0].drops[DP_DROP_TX_RING_FULL], 2);
	toy_free(p);
	assert_int_equal(test_in_use(), base);
}

/* All PMDs together hold at most an eighth of a pool. */
static void test_pool_share(void **state)
{
	unsigned int base = test_in_use(), i, j;
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_port *p[3];

	(void)state;
	dp_pool_configure(4096); /* 512 held at most */
	for (i = 0; i < 3; i++)
		p[i] = toy_port(i, 2);
	for (i = 0; i < 3; i++)
		for (j = 0; j < DP_TXHOLD_LEN / DP_BURST; j++)
			send_burst(p[i], i % 2, pkts, DP_BURST);
	assert_int_equal(dp_txhold_of(p[0], 0)->n, 256);
	assert_int_equal(dp_txhold_of(p[1], 1)->n, 256);
	assert_int_equal(dp_txhold_of(p[2], 0)->n, 0);
	assert_int_equal(p[2]->tx[0].drops[DP_DROP_TX_RING_FULL], DP_TXHOLD_LEN);
	for (i = 0; i < 3; i++)
		toy_free(p[i]);
	dp_txhold_flush(0);
	dp_txhold_flush(1);
	dp_pool_configure(65536);
	assert_int_equal(test_in_use(), base);
}

/* The loop flushes only ports that hold frames, keeps listing those that
 * still do, and forgets a port freed meanwhile, whose frames went with it
 * (counted as tx_down); a stopped PMD's holds are emptied too. */
static void test_flush_list_and_release(void **state)
{
	unsigned int base = test_in_use();
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_port *a = toy_port(0, 2), *b = toy_port(1, 2), *c = toy_port(2, 2);

	(void)state;
	send_burst(a, 0, pkts, 20);
	send_burst(b, 0, pkts, 20);
	toys[0].room = 100;
	assert_int_equal(dp_txhold_flush(0), 20);
	assert_int_equal(toys[0].flushes, 1);
	assert_int_equal(toys[1].flushes, 1);
	assert_int_equal(toys[2].flushes, 0); /* holds nothing: never asked */
	assert_int_equal(dp_txhold_flush(0), 20);
	assert_int_equal(toys[0].flushes, 1); /* emptied: off the list */
	assert_int_equal(toys[1].flushes, 2);
	toy_free(b);
	assert_int_equal(dp_txhold_flush(0), 0);
	assert_false(dp_txhold_pending(0));
	/* slot 1 stops with frames held: control thread empties them */
	send_burst(c, 1, pkts, 12);
	assert_true(dp_txhold_pending(1));
	dp_txhold_release_pmd(1);
	assert_false(dp_txhold_pending(1));
	assert_int_equal(dp_txhold_of(c, 1)->n, 0);
	assert_int_equal(c->tx[1].drops[DP_DROP_TX_DOWN], 12);
	assert_int_equal(dp_txhold_flush(1), 0);
	toy_free(a);
	toy_free(c);
	assert_int_equal(test_in_use(), base);
}

/* A port whose driver cannot hold gets no holds and drops as before. */
static void test_port_without_flush_has_no_hold(void **state)
{
	unsigned int base = test_in_use();
	struct dp_txmap m;
	struct dp_port *p = dp_port_alloc("plain", DP_PORT_TEST, &plain_ops, SOCKET_ID_ANY);

	(void)state;
	assert_non_null(p);
	dp_txmap_build(&m, 4, 1);
	assert_int_equal(dp_port_set_txmap(p, &m), 0);
	for (unsigned int i = 0; i < DP_MAX_PMDS; i++)
		assert_null(dp_txhold_of(p, i));
	dp_rcu_flush();
	dp_port_free(p);
	assert_int_equal(test_in_use(), base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_across_wrap),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_expiry_and_block),
		cmocka_unit_test(test_generation),
		cmocka_unit_test(test_only_plain_frames),
		cmocka_unit_test(test_pool_share),
		cmocka_unit_test(test_flush_list_and_release),
		cmocka_unit_test(test_port_without_flush_has_no_hold),
	};

	test_eal_init("test_txhold");
	if (dp_rcu_init(1) != 0)
		return 1;
	dp_clock_ms_set(test_clock_ms);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
