/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of vhost-user/ share: the port's state and its thread rules
 * (vhost_port.h), the vring numbering, the queue-enable bits.  vhost_port.c
 * owns the port (creation, librte_vhost callbacks, rx); vhost_tx.c sends to
 * the guest.  Not for other modules.
 */
#ifndef KVS_VHOST_PRIV_H
#define KVS_VHOST_PRIV_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/port.h"

struct rte_mbuf;
struct rte_mempool;

#define GUEST_RX_VRING(q) ((q)*2)
#define GUEST_TX_VRING(q) ((q)*2 + 1)

struct vhost_port {
	struct dp_port *port;
	int vid; /* -1: not connected; PMDs load-acquire */
	struct rte_mempool *pool;
	uint64_t rx_enabled[2]; /* atomic bits, by queue pair */
	uint64_t tx_enabled[2];
	uint16_t n_qp;
	int numa;
	bool client;
	unsigned int events;   /* atomic enum vhost_event bits */
	bool rx_offloads;      /* the guest may send partial checksums / GSO frames */
	unsigned int offloads; /* VHOST_OL_* offered (control thread) */
	uint64_t features;     /* negotiated with the connected guest */
	uint64_t connects, disconnects;
	char path[PATH_MAX];
};

static inline uint64_t bits_get(const uint64_t *b, uint16_t q)
{
	return (__atomic_load_n(&b[q >> 6], __ATOMIC_ACQUIRE) >> (q & 63)) & 1;
}

static inline uint16_t first_enabled(const struct vhost_port *vp)
{
	uint16_t q;

	for (q = 0; q < vp->n_qp; q++)
		if (bits_get(vp->tx_enabled, q))
			return q;
	return UINT16_MAX;
}

/* PMD: dp_port_ops.tx_burst and .tx_flush of vhost ports (vhost_tx.c). */
uint16_t vhost_tx(struct dp_port *p, unsigned int pmd, struct rte_mbuf **pkts, uint16_t n);
void vhost_tx_flush(struct dp_port *p, unsigned int pmd);

#endif
