/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the pipeline's component tests (test_pipeline.c,
 * test_mirror.c): a bridge "br0" of SINK_PORTS test ports whose tx keeps the
 * frames in sinks[i] (dp_test.h test_sink_tx), and the helpers that drive
 * it.  Define SINK_PORTS before including; one includer per test binary.
 */
#ifndef KVS_TEST_DP_SINK_H
#define KVS_TEST_DP_SINK_H

#include "tests/unit/dp_test.h"

#ifndef SINK_PORTS
#error "define SINK_PORTS before including dp_sink.h"
#endif

static struct test_sink sinks[SINK_PORTS];
static struct dp_port *ports[SINK_PORTS];
static struct dp_bridge *br;
static struct dp_pmd_ctx *ctx;

static const struct dp_port_ops sink_ops = {.rx_burst = test_rx_none, .tx_burst = test_sink_tx};

static int setup(void **state)
{
	void *priv[SINK_PORTS];
	int i;

	(void)state;
	for (i = 0; i < SINK_PORTS; i++) {
		memset(&sinks[i], 0, sizeof(sinks[i]));
		sinks[i].limit = 512;
		priv[i] = &sinks[i];
	}
	br = test_bridge_create(SINK_PORTS, &sink_ops, priv, ports, &ctx);
	return 0;
}

/* Free what the ports were given so far. */
static void free_sinks(void)
{
	int i;

	for (i = 0; i < SINK_PORTS; i++) {
		rte_pktmbuf_free_bulk(sinks[i].pkts, sinks[i].n);
		sinks[i].n = 0;
	}
}

static int teardown(void **state)
{
	(void)state;
	free_sinks();
	test_bridge_destroy(br, SINK_PORTS, ports, ctx);
	return 0;
}

static void send1(int in, struct rte_mbuf *m)
{
	dp_process_burst(ctx, ports[in], 0, &m, 1);
}

/* What the control thread does about 1 ms after a frame: learn its source. */
static void learn(void)
{
	fdb_learn_drain(br->fdb, ctx->now);
}

#endif
