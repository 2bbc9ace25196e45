/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fdb: the MAC learning table of one bridge, keyed by (MAC, VLAN).
 *
 * Thread rules (the design in one paragraph):
 * - Readers are the PMD threads.  They probe the table inline (fdb_table.h,
 *   used by the pipeline) or through fdb_lookup*() and fdb_learn_request(),
 *   and take no lock; learn requests go through a multi-producer rte_ring.
 * - There is exactly one writer at a time: the control thread.  It drains the
 *   learn requests (fdb_learn_drain), ages (fdb_age) and flushes.  Because all
 *   inserts, moves and deletes happen in one thread, the per-bridge table size
 *   and the per-port limits are plain counters with no races, and a port
 *   spraying random source MACs can only fill its own quota: once a port holds
 *   its limit, or the table is full, new MACs are refused (and counted), never
 *   evicting another port's entries.
 * - Deleted slots are reused only after an RCU grace period on the QSBR
 *   variable given at creation, so a PMD that found an entry may keep reading
 *   it until its next quiescent state.  The writer never blocks for that in
 *   steady state: it polls a grace-period token once per call.
 * - Timestamps are refreshed by readers (relaxed stores, only when the second
 *   changed) for MACs already on the right port; a new MAC or a MAC that moved
 *   costs one ring enqueue per PMD and second (fdb_learn_ask) and is learned
 *   as soon as the control thread wakes: the enqueue rings its doorbell
 *   (doorbell.h), so within a wake-up (tens of us), not a timer tick.
 *   Until then the frames towards it are flooded, as for any unknown
 *   destination.
 * - Time is always a parameter (seconds, any origin) so tests drive ageing with
 *   an injected clock and never sleep.
 */
#ifndef KVS_DP_FDB_H
#define KVS_DP_FDB_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_ether.h>

struct rte_rcu_qsbr;
struct fdb;

#define FDB_PORT_NONE UINT16_MAX

struct fdb_params {
	const char *name;         /* unique among fdbs (names the request ring); copied */
	uint32_t max_entries;     /* other_config:mac-table-size, >= 16 */
	uint32_t port_limit;      /* default per-port limit; 0 = max_entries */
	uint32_t aging_s;         /* other_config:mac-aging-time, >= 1 */
	uint16_t max_ports;       /* port ids are < max_ports */
	int socket_id;            /* NUMA node for the tables, or SOCKET_ID_ANY */
	struct rte_rcu_qsbr *qsv; /* readers' QSBR variable; NULL in single-thread tests */
};

struct fdb_stats {
	uint32_t entries;       /* now in the table */
	uint64_t learned;       /* new MACs inserted */
	uint64_t moved;         /* MACs that moved to another port */
	uint64_t aged;          /* removed by ageing */
	uint64_t refused_full;  /* new MACs refused: table full */
	uint64_t refused_limit; /* new MACs refused: port at its limit */
	uint64_t refused_chain; /* new MACs refused: too many collide in one bucket */
	uint64_t rehashes;      /* tables rebuilt with a new hash after a full chain */
	uint64_t requests_lost; /* learn requests lost: request ring full */
};

struct fdb_entry_info {
	struct rte_ether_addr mac;
	uint16_t vlan;
	uint16_t port;
	uint32_t age_s; /* now - last seen */
};

/* Control thread.  NULL + errno (ENOMEM, EINVAL, EEXIST). */
struct fdb *fdb_create(const struct fdb_params *p);
void fdb_destroy(struct fdb *f);

/* Control thread.  Changing the size or limits never drops entries that fit;
 * entries over a smaller size are removed oldest first. -errno. */
int fdb_set_params(struct fdb *f, uint32_t max_entries, uint32_t port_limit, uint32_t aging_s);
/* Control thread: per-port limit override (0 = bridge default). */
void fdb_set_port_limit(struct fdb *f, uint16_t port, uint32_t limit);

/*
 * PMD, lock-free.  For each i < n: ports[i] = port that (macs[i], vlans[i]) was
 * learned on, or FDB_PORT_NONE.  n <= 64.
 */
void fdb_lookup_bulk(const struct fdb *f, const struct rte_ether_addr *const macs[],
		     const uint16_t vlans[], unsigned int n, uint16_t ports[]);
uint16_t fdb_lookup(const struct fdb *f, const struct rte_ether_addr *mac, uint16_t vlan);

/*
 * PMD, lock-free: source-MAC learning for one frame seen on `port`.  Refreshes
 * the entry if it is already on `port`, otherwise queues a learn request for
 * the control thread.  Returns true if the table already knew it there.
 */
bool fdb_learn_request(struct fdb *f, const struct rte_ether_addr *mac, uint16_t vlan,
		       uint16_t port, uint32_t now);

/*
 * PMD, lock-free: the slow half of learning, for a source (key as built by
 * fdb_key()) that the table does not hold on `port`: queue one learn request,
 * unless this PMD's `asked` memory shows the same request this second.
 */
struct fdb_asked;
void fdb_learn_ask(struct fdb *f, struct fdb_asked *asked, uint64_t key, uint16_t port,
		   uint32_t now);

/* Control thread: apply queued learn requests.  Returns how many were applied. */
unsigned int fdb_learn_drain(struct fdb *f, uint32_t now);
/* Control thread: are learn requests waiting for fdb_learn_drain()?  Asked
 * after dp_doorbell_arm() (doorbell.h), before the control thread blocks. */
bool fdb_learn_queued(const struct fdb *f);
/* Control thread: would a MAC new to the table (moving: one moving from
 * another port) be learned on port now?  0, -ENOSPC (table full; a move
 * never needs room), -EDQUOT (the port is at its limit).  For kvsctl trace. */
int fdb_learn_check(const struct fdb *f, uint16_t port, bool moving);
/* Control thread (and unit tests): learn directly, with limits. 0 or -ENOSPC
 * (table full), -EDQUOT (port limit). */
int fdb_learn(struct fdb *f, const struct rte_ether_addr *mac, uint16_t vlan, uint16_t port,
	      uint32_t now);
/* Control thread: remove entries not seen for aging_s.  Returns how many. */
unsigned int fdb_age(struct fdb *f, uint32_t now);
/* Control thread: remove all entries, or those of one port / one VLAN. */
unsigned int fdb_flush(struct fdb *f);
unsigned int fdb_flush_port(struct fdb *f, uint16_t port);

/* Control thread: visit every entry (order unspecified).  Stops early if cb
 * returns non-zero. */
void fdb_walk(const struct fdb *f, uint32_t now,
	      int (*cb)(const struct fdb_entry_info *e, void *arg), void *arg);
void fdb_stats_get(const struct fdb *f, struct fdb_stats *st);
uint32_t fdb_port_count(const struct fdb *f, uint16_t port);

#endif
