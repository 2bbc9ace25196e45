/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Component tests of captures (dataplane/capture.h) on the real pipeline:
 * test ports, a real bridge, frames driven burst by burst.  What a capture
 * copies (direction, tags as sent, snap length, the expression), what it
 * counts when its ring is full, and that it never changes what the switch
 * forwards.  Teardown checks both pools: no frame and no copy leaked.
 */
#include "tests/unit/dp_test.h"

#include "dataplane/bridge.h"
#include "dataplane/capture.h"
#include "dataplane/fdb.h"
#include "dataplane/filter.h"
#include "dataplane/pipeline.h"

#define MAC_A  "52:54:00:00:00:0a"
#define MAC_B  "52:54:00:00:00:0b"
#define BCAST  "ff:ff:ff:ff:ff:ff"
#define NPORTS 3

static unsigned int sinks[NPORTS]; /* frames each port sent */
static struct dp_port *ports[NPORTS];
static struct dp_bridge *br;
static struct dp_pmd_ctx *ctx;

static const struct dp_port_ops sink_ops = {.rx_burst = test_rx_none, .tx_burst = test_tx_count};

/* tag: access VLAN, or 0: trunk of every VLAN */
static void port_conf(int i, uint16_t tag)
{
	test_port_vlan(ports[i], br, tag, NULL, 0);
}

static int setup(void **state)
{
	void *priv[NPORTS];
	int i;

	(void)state;
	for (i = 0; i < NPORTS; i++) {
		sinks[i] = 0;
		priv[i] = &sinks[i];
	}
	br = test_bridge_create(NPORTS, &sink_ops, priv, ports, &ctx);
	return 0;
}

static int teardown(void **state)
{
	unsigned int in_use, size;

	(void)state;
	test_bridge_destroy(br, NPORTS, ports, ctx);
	dp_capture_pool_info(&in_use, &size);
	assert_int_equal(in_use, 0); /* and no copy either */
	return 0;
}

static void send1(int in, struct rte_mbuf *m)
{
	dp_process_burst(ctx, ports[in], 0, &m, 1);
}

static struct dp_capture *start(int port, unsigned int dirs, uint32_t snaplen, const char *expr)
{
	struct filter *f = NULL;
	struct dp_capture *c;
	char err[256];

	if (expr != NULL) {
		f = filter_from_expression(expr, err, sizeof(err));
		assert_non_null(f);
	}
	c = dp_capture_create(dirs, snaplen, f);
	assert_non_null(c);
	assert_int_equal(dp_capture_attach(ports[port], c), 0);
	dp_rcu_flush();
	return c;
}

static void stop(int port, struct dp_capture *c)
{
	assert_int_equal(dp_capture_detach(ports[port], c), 0);
	dp_rcu_flush();
	dp_capture_destroy(c);
}

/* Take every copy off c's ring into out (at most max); returns how many. */
static unsigned int take(struct dp_capture *c, struct rte_mbuf **out, unsigned int max)
{
	unsigned int n = 0, k;

	while (n < max && (k = dp_capture_dequeue(c, out + n, max - n)) > 0)
		n += k;
	return n;
}

static void test_rx_and_tx_as_on_the_wire(void **state)
{
	struct dp_capture *c;
	struct rte_mbuf *m, *got[8];
	uint8_t sent_rx[100];
	uint64_t sel, drop;

	(void)state;
	port_conf(1, 0);
	port_conf(2, 10); /* access VLAN 10: p1 (trunk) sends its frames tagged */
	dp_rcu_flush();
	c = start(1, DP_CAPTURE_BOTH, DP_CAPTURE_SNAPLEN, NULL);

	/* rx on p1, exactly as received */
	m = test_frame(BCAST, MAC_B, -1, 0x88b5, 100);
	memcpy(sent_rx, rte_pktmbuf_mtod(m, void *), 100);
	send1(1, m);
	/* tx on p1: from the access port, tagged 10 by the switch */
	send1(2, test_frame(BCAST, MAC_A, -1, 0x88b5, 80));

	assert_int_equal(take(c, got, 8), 2);
	assert_int_equal(dp_capture_meta(got[0])->dir, DP_CAPTURE_RX);
	assert_int_equal(dp_capture_meta(got[0])->wire_len, 100);
	assert_int_equal(got[0]->pkt_len, 100);
	assert_memory_equal(rte_pktmbuf_mtod(got[0], void *), sent_rx, 100);
	assert_int_equal(dp_capture_meta(got[1])->dir, DP_CAPTURE_TX);
	assert_int_equal(dp_capture_meta(got[1])->wire_len, 84);
	assert_int_equal(test_frame_vlan(got[1]), 10);
	assert_true(dp_capture_meta(got[1])->tsc >= dp_capture_meta(got[0])->tsc);
	rte_pktmbuf_free_bulk(got, 2);
	dp_capture_counts(c, &sel, &drop);
	assert_int_equal(sel, 2);
	assert_int_equal(drop, 0);
	/* forwarding as without a capture: p0 got both floods, p1 the second */
	assert_int_equal(sinks[0], 2);
	assert_int_equal(sinks[1], 1);
	stop(1, c);
}

static void test_direction_snaplen_and_expression(void **state)
{
	struct dp_capture *rx, *tx, *arp;
	struct rte_mbuf *got[8];

	(void)state;
	rx = start(0, DP_CAPTURE_RX, 20, NULL);
	tx = start(0, DP_CAPTURE_TX, DP_CAPTURE_SNAPLEN, NULL);
	arp = start(0, DP_CAPTURE_BOTH, DP_CAPTURE_SNAPLEN, "arp");

	send1(0, test_frame(BCAST, MAC_A, -1, 0x0806, 200)); /* rx on p0, ARP */
	send1(1, test_frame(BCAST, MAC_B, -1, 0x88b5, 60));  /* tx on p0 */

	assert_int_equal(take(rx, got, 8), 1);
	assert_int_equal(got[0]->pkt_len, 20); /* snaplen */
	assert_int_equal(dp_capture_meta(got[0])->wire_len, 200);
	rte_pktmbuf_free(got[0]);
	assert_int_equal(take(tx, got, 8), 1);
	assert_int_equal(got[0]->pkt_len, 60);
	rte_pktmbuf_free(got[0]);
	assert_int_equal(take(arp, got, 8), 1); /* the ARP frame only */
	assert_int_equal(dp_capture_meta(got[0])->wire_len, 200);
	rte_pktmbuf_free(got[0]);
	stop(0, arp);
	stop(0, tx);
	stop(0, rx);
}

static void test_full_ring_drops_copies_not_frames(void **state)
{
	struct dp_capture *c;
	struct rte_mbuf *burst[DP_BURST];
	uint64_t sel, drop;
	unsigned int i, k, total = 0;

	(void)state;
	c = start(0, DP_CAPTURE_RX, DP_CAPTURE_SNAPLEN, NULL);
	for (i = 0; i < DP_CAPTURE_RING / DP_BURST + 32; i++) { /* nobody reads the ring */
		for (k = 0; k < DP_BURST; k++)
			burst[k] = test_frame(BCAST, MAC_A, -1, 0x88b5, 64);
		dp_process_burst(ctx, ports[0], 0, burst, DP_BURST);
		total += DP_BURST;
	}
	dp_capture_counts(c, &sel, &drop);
	assert_int_equal(sel, total);
	assert_int_equal(drop, total - (DP_CAPTURE_RING - 1)); /* a ring holds size - 1 */
	/* every frame was switched all the same */
	assert_int_equal(sinks[1], total);
	assert_int_equal(sinks[2], total);
	stop(0, c); /* frees the copies still on the ring: teardown checks */
}

static void test_detached_capture_copies_nothing(void **state)
{
	struct dp_capture *c[DP_CAPTURE_PER_PORT + 1];
	struct rte_mbuf *got[4];
	unsigned int i;

	(void)state;
	for (i = 0; i < DP_CAPTURE_PER_PORT; i++)
		c[i] = start(2, DP_CAPTURE_RX, 64, NULL);
	c[i] = dp_capture_create(DP_CAPTURE_RX, 64, NULL);
	assert_non_null(c[i]);
	assert_int_equal(dp_capture_attach(ports[2], c[i]), -ENOSPC);
	dp_capture_destroy(c[i]);
	assert_null(dp_capture_create(0, 64, NULL));
	assert_null(dp_capture_create(DP_CAPTURE_RX, 0, NULL));

	assert_int_equal(dp_capture_detach(ports[2], c[0]), 0);
	dp_rcu_flush();
	send1(2, test_frame(BCAST, MAC_A, -1, 0x88b5, 64));
	assert_int_equal(take(c[0], got, 4), 0);
	dp_capture_destroy(c[0]);
	for (i = 1; i < DP_CAPTURE_PER_PORT; i++) {
		assert_int_equal(take(c[i], got, 4), 1);
		rte_pktmbuf_free(got[0]);
		stop(2, c[i]);
	}
	assert_null(ports[2]->capture); /* the last one out leaves no set */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rx_and_tx_as_on_the_wire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direction_snaplen_and_expression, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_ring_drops_copies_not_frames, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_detached_capture_copies_nothing, setup,
						teardown),
	};

	test_eal_init("test_capture");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
