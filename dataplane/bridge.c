/* SPDX-License-Identifier: BSD-3-Clause */
/* Bridge objects (bridge.h): an fdb, an RCU-published member list and the
 * per-VLAN flood lists computed from it.  Control thread only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "dataplane/bridge.h"
#include "dataplane/fdb.h"
#include "dataplane/mirror.h"
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
	rte_free(br->flood);
	rte_free(br->mirrors);
	rte_free(br);
}

int dp_bridge_set_mirrors(struct dp_bridge *br, const struct dp_mirror *m, uint16_t n)
{
	struct dp_mirror_set *set = NULL, *old;

	if (n > DP_MAX_MIRRORS)
		return -EINVAL;
	if (n > 0) {
		set = rte_malloc("kvs_mirrors", sizeof(*set) + n * sizeof(set->m[0]),
				 RTE_CACHE_LINE_SIZE);
		if (set == NULL)
			return -ENOMEM;
		set->n = n;
		memcpy(set->m, m, n * sizeof(set->m[0]));
		set->dups = dp_mirror_mark_dups(set->m, n);
	}
	old = __atomic_exchange_n(&br->mirrors, set, __ATOMIC_ACQ_REL);
	if (old != NULL)
		dp_rcu_defer(old, rte_free);
	return 0;
}

/* The flood list of VLAN vid among the members' confs, into `l`. */
static void flood_list_build(const struct dp_port_conf *const *confs, const uint16_t *ids,
			     uint16_t n, uint16_t vid, struct dp_flood_list *l)
{
	uint16_t i, k = 0;
	int tagged;

	l->n_plain = l->n_tag = 0;
	/* untagged receivers first, then tagged ones */
	for (tagged = 0; tagged < 2; tagged++) {
		for (i = 0; i < n; i++) {
			const struct dp_port_conf *c = confs[i];

			if (c == NULL || !vlan_port_carries(&c->vlan, vid) ||
			    vlan_port_tags(&c->vlan, vid) != tagged)
				continue;
			l->e[k].id = ids[i];
			l->e[k].conf_gen = c->gen;
			k++;
		}
		if (tagged)
			l->n_tag = k - l->n_plain;
		else
			l->n_plain = k;
	}
}

static size_t flood_list_size(const struct dp_flood_list *l)
{
	return sizeof(*l) + (size_t)(l->n_plain + l->n_tag) * sizeof(l->e[0]);
}

/* Build the flood table of a member set.  Costs DP_VLANS x n checks on the
 * control thread (a few ms for a thousand ports); VLANs whose list equals
 * the previous VLAN's share it, so the table stays small unless many trunks
 * carry different VLAN sets.  NULL + errno. */
static struct dp_flood_table *flood_table_build(struct dp_bridge *br, const uint16_t *ids,
						uint16_t n)
{
	const struct dp_port_conf **confs = calloc(n ? n : 1, sizeof(*confs));
	size_t cap = 4096, used = 0,
	       lsz = sizeof(struct dp_flood_list) + (size_t)n * sizeof(struct dp_flood_entry);
	uint8_t *blob = malloc(cap);
	struct dp_flood_list *cur = calloc(1, lsz); /* padding stays 0 for memcmp */
	struct dp_flood_table *t = NULL;
	uint32_t prev_off = 0;
	size_t prev_size = 0;
	uint16_t i, v;

	if (confs == NULL || blob == NULL || cur == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		struct dp_port *p = dp_port_get(ids[i]);
		const struct dp_port_conf *c = p ? p->conf : NULL;

		confs[i] = c && c->bridge == br ? c : NULL;
	}
	t = rte_malloc("kvs_flood", sizeof(*t), RTE_CACHE_LINE_SIZE); /* offsets, for now */
	if (t == NULL)
		goto out;
	for (v = 0; v < DP_VLANS; v++) {
		size_t sz;

		flood_list_build(confs, ids, n, v, cur);
		sz = flood_list_size(cur);
		if (v > 0 && sz == prev_size && memcmp(blob + prev_off, cur, sz) == 0) {
			t->off[v] = (uint32_t)(sizeof(*t) + prev_off);
			continue;
		}
		/* entries are 4-byte aligned */
		used = RTE_ALIGN_CEIL(used, 4);
		if (used + sz > cap) {
			uint8_t *nb;

			while (used + sz > cap)
				cap *= 2;
			nb = realloc(blob, cap);
			if (nb == NULL) {
				rte_free(t);
				t = NULL;
				goto out;
			}
			blob = nb;
		}
		memcpy(blob + used, cur, sz);
		prev_off = (uint32_t)used;
		prev_size = sz;
		t->off[v] = (uint32_t)(sizeof(*t) + used);
		used += sz;
	}
	{
		struct dp_flood_table *full =
			rte_malloc("kvs_flood", sizeof(*t) + used, RTE_CACHE_LINE_SIZE);

		if (full != NULL) {
			memcpy(full, t, sizeof(*t));
			memcpy(full + 1, blob, used);
		}
		rte_free(t);
		t = full;
	}
out:
	free(confs);
	free(blob);
	free(cur);
	if (t == NULL)
		errno = ENOMEM;
	return t;
}

int dp_bridge_set_members(struct dp_bridge *br, const uint16_t *ids, uint16_t n)
{
	struct dp_bridge_members *m, *old;
	struct dp_flood_table *ft, *old_ft;

	m = rte_malloc("kvs_members", sizeof(*m) + n * sizeof(m->ids[0]), RTE_CACHE_LINE_SIZE);
	if (m == NULL)
		return -ENOMEM;
	m->n = n;
	if (n)
		memcpy(m->ids, ids, n * sizeof(ids[0]));
	ft = flood_table_build(br, ids, n);
	if (ft == NULL) {
		rte_free(m);
		return -ENOMEM;
	}
	old = __atomic_exchange_n(&br->members, m, __ATOMIC_ACQ_REL);
	dp_rcu_defer(old, rte_free);
	old_ft = __atomic_exchange_n(&br->flood, ft, __ATOMIC_ACQ_REL);
	dp_rcu_defer(old_ft, rte_free);
	return 0;
}
