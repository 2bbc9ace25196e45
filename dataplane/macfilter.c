/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * macfilter: one device's receive filter kept in step with the MACs the
 * switch wants (what and why in macfilter.h).  Called by the control thread
 * only: control/uplink.c every 100 ms per filtering port, and the unit test.
 *
 * State is what the device holds (programmed MACs in the order they were
 * added, the multicast list last given, promiscuous/allmulticast and who
 * turned them on) and when a refused operation may be tried again.  Sets are
 * compared sorted: a sync costs O((wanted + programmed) log wanted), and
 * device operations only for the difference.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/macfilter.h"

struct mac_array {
	struct rte_ether_addr *a;
	uint32_t n, cap;
};

struct macfilter {
	const struct macfilter_ops *ops;
	void *dev;
	uint32_t uc_max;                /* what the device advertises */
	uint32_t uc_limit;              /* lower after -ENOSPC below uc_max, until the next retry */
	struct mac_array prog;          /* unicast MACs in the device, in the order added */
	struct mac_array want;          /* scratch: wanted unicast, sorted, unique */
	struct mac_array mc_given;      /* the last multicast list given, sorted, unique */
	struct mac_array mc_want;       /* scratch */
	bool mc_ok;                     /* mc_given was accepted */
	bool promisc, promisc_fallback; /* on; turned on by us because the filter is full */
	bool allmulti;                  /* turned on by us because the list was refused */
	bool full, losing, promisc_refused;
	uint64_t promisc_retry_at, uc_retry_at, mc_retry_at;
	enum macfilter_mode mode;
	enum macfilter_mc_mode mc_mode;
	int promisc_err, uc_err, mc_err;
	uint64_t full_events, fallbacks, uc_added, uc_removed;
};

static int mac_cmp(const void *a, const void *b)
{
	return memcmp(a, b, RTE_ETHER_ADDR_LEN);
}

/* Not rte_is_zero/broadcast_ether_addr(): they read the bytes as uint16_t,
 * which strict aliasing lets the compiler reorder against byte stores. */
static bool mac_usable_unicast(const struct rte_ether_addr *m)
{
	static const struct rte_ether_addr zero;

	return !rte_is_multicast_ether_addr(m) && mac_cmp(m, &zero) != 0;
}

static bool mac_usable_multicast(const struct rte_ether_addr *m)
{
	static const struct rte_ether_addr bcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

	return rte_is_multicast_ether_addr(m) && mac_cmp(m, &bcast) != 0;
}

static bool mac_in(const struct mac_array *sorted, const struct rte_ether_addr *m)
{
	return sorted->n && bsearch(m, sorted->a, sorted->n, sizeof(*m), mac_cmp) != NULL;
}

static int array_reserve(struct mac_array *v, uint32_t n)
{
	struct rte_ether_addr *a;
	uint32_t cap;

	if (n <= v->cap)
		return 0;
	cap = RTE_MAX(n, v->cap * 2);
	cap = RTE_MAX(cap, 16u);
	a = realloc(v->a, cap * sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	v->a = a;
	v->cap = cap;
	return 0;
}

/* Sorted, unique copy of in[] keeping only unicast (or only multicast). */
static int set_from(struct mac_array *v, const struct rte_ether_addr *in, uint32_t n,
		    bool multicast)
{
	uint32_t i, k = 0;

	if (array_reserve(v, n) < 0)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (multicast ? mac_usable_multicast(&in[i]) : mac_usable_unicast(&in[i]))
			v->a[k++] = in[i];
	if (k)
		qsort(v->a, k, sizeof(*v->a), mac_cmp);
	v->n = 0;
	for (i = 0; i < k; i++)
		if (v->n == 0 || mac_cmp(&v->a[v->n - 1], &v->a[i]) != 0)
			v->a[v->n++] = v->a[i];
	return 0;
}

static bool same_set(const struct mac_array *x, const struct mac_array *y)
{
	return x->n == y->n && (x->n == 0 || memcmp(x->a, y->a, x->n * sizeof(*x->a)) == 0);
}

static bool due(uint64_t at, uint64_t now)
{
	return now >= at;
}

struct macfilter *macfilter_create(const struct macfilter_ops *ops, void *dev, uint32_t uc_max,
				   bool promisc_now)
{
	struct macfilter *mf = calloc(1, sizeof(*mf));

	if (mf == NULL || array_reserve(&mf->prog, uc_max + 1) < 0) {
		free(mf);
		errno = ENOMEM;
		return NULL;
	}
	mf->ops = ops;
	mf->dev = dev;
	mf->uc_max = mf->uc_limit = uc_max;
	mf->promisc = promisc_now;
	mf->mc_ok = true; /* a device starts with an empty list */
	mf->mode = promisc_now ? MACFILTER_PROMISC : MACFILTER_FILTER;
	return mf;
}

void macfilter_destroy(struct macfilter *mf)
{
	if (mf == NULL)
		return;
	free(mf->prog.a);
	free(mf->want.a);
	free(mf->mc_given.a);
	free(mf->mc_want.a);
	free(mf);
}

/* Take a MAC out of the device and out of prog (index i). */
static void uc_remove_at(struct macfilter *mf, uint32_t i)
{
	/* A failed remove leaves a stale entry the device keeps delivering
	 * for: harmless (the pipeline switches or floods it), so forget it. */
	mf->ops->uc_del(mf->dev, &mf->prog.a[i]);
	mf->uc_removed++;
	memmove(&mf->prog.a[i], &mf->prog.a[i + 1], (mf->prog.n - i - 1) * sizeof(*mf->prog.a));
	mf->prog.n--;
}

static bool prog_has(const struct macfilter *mf, const struct rte_ether_addr *m)
{
	uint32_t i;

	/* at most uc_max entries (tens on a VF): a scan beats keeping it sorted */
	for (i = 0; i < mf->prog.n; i++)
		if (mac_cmp(&mf->prog.a[i], m) == 0)
			return true;
	return false;
}

/* Unicast: drop what is not wanted, add what is, in priority order. */
static unsigned int uc_sync(struct macfilter *mf, const struct rte_ether_addr *uc, uint32_t n_uc,
			    uint64_t now)
{
	unsigned int ev = 0;
	uint32_t i;

	for (i = mf->prog.n; i-- > 0;)
		if (!mac_in(&mf->want, &mf->prog.a[i]))
			uc_remove_at(mf, i);
	if (mf->uc_limit < mf->uc_max && due(mf->uc_retry_at, now))
		mf->uc_limit = mf->uc_max; /* the device said full below its size: ask again */
	for (i = 0; i < n_uc && mf->prog.n < mf->uc_limit && mf->prog.n < mf->want.n; i++) {
		const struct rte_ether_addr *m = &uc[i];
		int rc;

		if (!mac_usable_unicast(m) || prog_has(mf, m))
			continue;
		if (mf->uc_err && !due(mf->uc_retry_at, now))
			break;
		rc = mf->ops->uc_add(mf->dev, m);
		if (rc == 0) {
			mf->prog.a[mf->prog.n++] = *m;
			mf->uc_added++;
			mf->uc_err = 0;
			continue;
		}
		mf->uc_retry_at = now + MACFILTER_RETRY_MS;
		if (rc == -ENOSPC) {
			mf->uc_limit = mf->prog.n;
		} else {
			if (mf->uc_err == 0)
				ev |= MACFILTER_EV_UC_ERROR;
			mf->uc_err = rc;
		}
		break;
	}
	return ev;
}

static int set_promisc(struct macfilter *mf, bool on, uint64_t now)
{
	int rc = mf->ops->promisc(mf->dev, on);

	if (rc == 0) {
		mf->promisc = on;
		if (on)
			mf->promisc_err = 0;
		else
			mf->promisc_fallback = false;
	} else {
		if (on)
			mf->promisc_err = rc;
		mf->promisc_retry_at = now + MACFILTER_RETRY_MS;
	}
	return rc;
}

static unsigned int mc_sync(struct macfilter *mf, uint64_t now)
{
	unsigned int ev = 0;
	int rc;

	if (same_set(&mf->mc_want, &mf->mc_given) && (mf->mc_ok || !due(mf->mc_retry_at, now)))
		return 0;
	if (array_reserve(&mf->mc_given, mf->mc_want.n) < 0)
		return 0;
	memcpy(mf->mc_given.a, mf->mc_want.a, mf->mc_want.n * sizeof(*mf->mc_want.a));
	mf->mc_given.n = mf->mc_want.n;
	rc = mf->ops->mc_set(mf->dev, mf->mc_given.a, mf->mc_given.n);
	mf->mc_ok = rc == 0;
	if (rc == 0) {
		if (mf->mc_mode != MACFILTER_MC_LIST)
			ev |= MACFILTER_EV_MC_LIST;
		if (mf->allmulti && mf->ops->allmulti(mf->dev, false) == 0)
			mf->allmulti = false;
		mf->mc_err = 0;
		mf->mc_mode = MACFILTER_MC_LIST;
		return ev;
	}
	mf->mc_err = rc;
	mf->mc_retry_at = now + MACFILTER_RETRY_MS;
	if (!mf->allmulti && mf->ops->allmulti(mf->dev, true) == 0)
		mf->allmulti = true;
	if (mf->allmulti) {
		if (mf->mc_mode != MACFILTER_MC_ALLMULTI)
			ev |= MACFILTER_EV_MC_ALLMULTI;
		mf->mc_mode = MACFILTER_MC_ALLMULTI;
	} else {
		if (mf->mc_mode != MACFILTER_MC_LOST)
			ev |= MACFILTER_EV_MC_LOST;
		mf->mc_mode = MACFILTER_MC_LOST;
	}
	return ev;
}

/* Empty the device's filter: promiscuous mode does not need it, and slots
 * left behind would be missing when filtering starts again. */
static void filters_empty(struct macfilter *mf)
{
	while (mf->prog.n)
		uc_remove_at(mf, mf->prog.n - 1);
	if (mf->mc_given.n || !mf->mc_ok) {
		mf->mc_given.n = 0;
		mf->mc_ok = mf->ops->mc_set(mf->dev, NULL, 0) == 0;
	}
	if (mf->allmulti && mf->ops->allmulti(mf->dev, false) == 0)
		mf->allmulti = false;
	mf->mc_mode = MACFILTER_MC_LIST;
	mf->mc_err = 0;
}

unsigned int macfilter_sync(struct macfilter *mf, bool want_promisc,
			    const struct rte_ether_addr *uc, uint32_t n_uc,
			    const struct rte_ether_addr *mc, uint32_t n_mc, uint64_t now_ms)
{
	unsigned int ev = 0;
	uint32_t overflow;

	if (set_from(&mf->want, uc, n_uc, false) < 0 || set_from(&mf->mc_want, mc, n_mc, true) < 0)
		return 0; /* out of memory: keep what is programmed, try next time */

	if (want_promisc) {
		if (!mf->promisc && due(mf->promisc_retry_at, now_ms)) {
			if (set_promisc(mf, true, now_ms) < 0 && !mf->promisc_refused)
				ev |= MACFILTER_EV_PROMISC_REFUSED;
			mf->promisc_refused = !mf->promisc;
		}
		if (mf->promisc) {
			mf->promisc_fallback = false; /* it is what was asked for now */
			filters_empty(mf);
			mf->full = mf->losing = false;
			mf->mode = MACFILTER_PROMISC;
			return ev;
		}
	} else {
		mf->promisc_refused = false;
	}

	ev |= uc_sync(mf, uc, n_uc, now_ms);
	overflow = mf->want.n - mf->prog.n;
	if (overflow) {
		if (!mf->full) {
			mf->full = true;
			mf->full_events++;
			ev |= MACFILTER_EV_FULL;
		}
		if (!mf->promisc && due(mf->promisc_retry_at, now_ms) &&
		    set_promisc(mf, true, now_ms) == 0) {
			mf->fallbacks++;
			ev |= MACFILTER_EV_FALLBACK;
		}
		if (mf->promisc) {
			/* ours now, even if it was configured until a moment ago */
			mf->promisc_fallback = true;
			mf->losing = false;
		} else if (!mf->losing) {
			mf->losing = true;
			ev |= MACFILTER_EV_LOSING;
		}
		mf->mode = mf->promisc ? MACFILTER_FULL_PROMISC : MACFILTER_FULL;
	} else {
		if (mf->full)
			ev |= MACFILTER_EV_FITS;
		mf->full = mf->losing = false;
		/* promiscuous on and not wanted: our fallback, or a configured
		 * mode just switched off.  Every MAC is programmed by now, so
		 * turning it off loses nothing. */
		if (mf->promisc && due(mf->promisc_retry_at, now_ms))
			set_promisc(mf, false, now_ms);
		mf->mode = MACFILTER_FILTER;
	}
	return ev | mc_sync(mf, now_ms);
}

void macfilter_clear(struct macfilter *mf)
{
	filters_empty(mf);
	if (mf->promisc && mf->promisc_fallback)
		set_promisc(mf, false, 0);
}

void macfilter_status(const struct macfilter *mf, struct macfilter_status *st)
{
	*st = (struct macfilter_status){
		.mode = mf->mode,
		.mc_mode = mf->mc_mode,
		.promisc = mf->promisc,
		.allmulti = mf->allmulti,
		.uc_max = mf->uc_max,
		.uc_programmed = mf->prog.n,
		.uc_wanted = mf->mode == MACFILTER_PROMISC ? 0 : mf->want.n,
		.uc_overflow = mf->mode == MACFILTER_PROMISC ? 0 : mf->want.n - mf->prog.n,
		.mc_programmed = mf->mc_ok ? mf->mc_given.n : 0,
		.mc_wanted = mf->mode == MACFILTER_PROMISC ? 0 : mf->mc_want.n,
		.promisc_err = mf->promisc_err,
		.uc_err = mf->uc_err,
		.mc_err = mf->mc_err,
		.full_events = mf->full_events,
		.fallbacks = mf->fallbacks,
		.uc_added = mf->uc_added,
		.uc_removed = mf->uc_removed,
	};
}

uint32_t macfilter_programmed(const struct macfilter *mf, struct rte_ether_addr *out, uint32_t max)
{
	memcpy(out, mf->prog.a, RTE_MIN(max, mf->prog.n) * sizeof(*out));
	return mf->prog.n;
}

/* ---- wanted sets ---- */

static int entry_cmp(const void *a, const void *b)
{
	const struct macfilter_entry *x = a, *y = b;

	return mac_cmp(&x->mac, &y->mac);
}

static bool carried(const uint64_t *vlans, uint16_t vlan)
{
	return vlans == NULL || vlan == MACFILTER_ANY_VLAN ||
	       (vlan < 4096 && (vlans[vlan / 64] >> (vlan % 64) & 1));
}

uint32_t macfilter_wanted_uc(struct macfilter_entry *e, uint32_t n, uint16_t self,
			     const uint64_t *vlans, const struct rte_ether_addr *own,
			     struct rte_ether_addr *out)
{
	uint32_t i, j, n_out = 0;
	int pass;

	if (n == 0)
		return 0;
	qsort(e, n, sizeof(*e), entry_cmp);
	/* pass 0 emits the configured MACs, pass 1 the learned ones; a MAC is
	 * wanted if any of its entries (one per VLAN) is on another port, in a
	 * VLAN this one carries (a slot on a VF is too dear for frames the
	 * switch would drop anyway) */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i = j) {
			bool other = false, configured = false;

			for (j = i; j < n && mac_cmp(&e[j].mac, &e[i].mac) == 0; j++) {
				bool there = e[j].port != self && carried(vlans, e[j].vlan);

				other |= there;
				configured |= there && e[j].configured;
			}
			if (!other || configured != (pass == 0) || !mac_usable_unicast(&e[i].mac) ||
			    (own != NULL && mac_cmp(&e[i].mac, own) == 0))
				continue;
			out[n_out++] = e[i].mac;
		}
	}
	return n_out;
}

uint32_t macfilter_wanted_mc(const struct rte_ether_addr *uc, uint32_t n_uc,
			     struct rte_ether_addr *out)
{
	static const struct rte_ether_addr all_nodes = {{0x33, 0x33, 0, 0, 0, 0x01}};
	uint32_t i, n = 0;

	out[n++] = all_nodes;
	for (i = 0; i < n_uc; i++)
		out[n++] = (struct rte_ether_addr){{0x33, 0x33, 0xff, uc[i].addr_bytes[3],
						    uc[i].addr_bytes[4], uc[i].addr_bytes[5]}};
	return n;
}

const char *macfilter_mode_name(enum macfilter_mode m)
{
	switch (m) {
	case MACFILTER_PROMISC:
		return "promiscuous";
	case MACFILTER_FILTER:
		return "filter";
	case MACFILTER_FULL_PROMISC:
		return "full-promiscuous";
	case MACFILTER_FULL:
		return "full";
	}
	return "?";
}

const char *macfilter_mc_mode_name(enum macfilter_mc_mode m)
{
	switch (m) {
	case MACFILTER_MC_LIST:
		return "list";
	case MACFILTER_MC_ALLMULTI:
		return "allmulticast";
	case MACFILTER_MC_LOST:
		return "lost";
	}
	return "?";
}
