/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fdb_priv: what fdb.c (the writer) and fdb_reader.c (the PMD side) share
 * and nobody else uses: the learn request, and key conversions.
 */
#ifndef KVS_DP_FDB_PRIV_H
#define KVS_DP_FDB_PRIV_H

#include <stdint.h>
#include <string.h>

#include <rte_ether.h>

#include "dataplane/fdb_table.h"

#define FDB_REQ_RING_SIZE 4096

/* Learn request: 16 bytes, one ring element. */
struct fdb_req {
	uint64_t key;
	uint16_t port;
	uint16_t reserved[3];
};
_Static_assert(sizeof(struct fdb_req) == 16, "fdb_req must be 16 bytes");

static inline uint64_t fdb_key_of_mac(const struct rte_ether_addr *mac, uint16_t vlan)
{
	uint64_t v = 0;

	memcpy(&v, mac->addr_bytes, RTE_ETHER_ADDR_LEN); /* little-endian: low 48 bits */
	return fdb_key(v, vlan);
}

static inline void fdb_key_to_mac(uint64_t key, struct rte_ether_addr *mac)
{
	memcpy(mac->addr_bytes, &key, RTE_ETHER_ADDR_LEN);
}

/* Control thread: learn (key, port) with limits; fdb_learn() on a key. */
int fdb_learn_key(struct fdb *f, uint64_t key, uint16_t port, uint32_t now);

#endif
