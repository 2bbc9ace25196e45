/* SPDX-License-Identifier: BSD-3-Clause */
/* Bridge objects (bridge.h): an fdb plus an RCU-published member list.
 * Control thread only. */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

#include "dataplane/bridge.h"
#include "dataplane/fdb.h"
#include "dataplane/port.h"

struct dp_bridge *dp_bridge_create(const char *name, const struct fdb_params *fp)
{
	struct dp_bridge *br = rte_zmalloc("kvs_bridge", sizeof(*br), RTE_CACHE_LINE_SIZE);

	if (br == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	snprintf(br->name, sizeof(br->name), "%s", name);
	br->fdb = fdb_create(fp);
	if (br->fdb == NULL) {
		int e = errno;
		rte_free(br);
		errno = e;
		return NULL;
	}
	if (dp_bridge_set_members(br, NULL, 0) < 0) {
		fdb_destroy(br->fdb);
		rte_free(br);
		errno = ENOMEM;
		return NULL;
	}
	return br;
}

void dp_bridge_destroy(struct dp_bridge *br)
{
	if (br == NULL)
		return;
	fdb_destroy(br->fdb);
	rte_free(br->members);
	rte_free(br);
}

int dp_bridge_set_members(struct dp_bridge *br, const uint16_t *ids, uint16_t n)
{
	struct dp_bridge_members *m, *old;

	m = rte_malloc("kvs_members", sizeof(*m) + n * sizeof(m->ids[0]), RTE_CACHE_LINE_SIZE);
	if (m == NULL)
		return -ENOMEM;
	m->n = n;
	if (n)
		memcpy(m->ids, ids, n * sizeof(ids[0]));
	old = __atomic_exchange_n(&br->members, m, __ATOMIC_ACQ_REL);
	dp_rcu_defer(old, rte_free);
	return 0;
}
