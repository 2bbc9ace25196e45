/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policers (police.h).  dp_police_burst runs on PMDs, the rest on the
 * control thread.
 *
 * Cost: a port without a policer pays one load and one branch per burst
 * and direction (pipeline.c tests it with its captures).  A policed burst
 * pays, per frame, librte_meter's bucket update (a division by the refill
 * period for each bucket it refills, hence about one 64-bit divide for
 * srTCM and two for trTCM) and the compaction of the burst; a shared one
 * also its lock, once per burst.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_meter.h>
#include <rte_spinlock.h>

#include "dataplane/police.h"

struct dp_police_meter {
	union {
		struct rte_meter_srtcm sr;
		struct rte_meter_trtcm_rfc4115 tr;
	};
} __rte_cache_aligned;

struct dp_police {
	struct dp_police_params prm;
	union {
		struct rte_meter_srtcm_profile sr;
		struct rte_meter_trtcm_rfc4115_profile tr;
	} prof;
	rte_spinlock_t lock; /* shared: held while meter 0 meters a burst */
	uint64_t last_tsc;   /* shared: the latest time meter 0 was given */
	/* unshared: slot s for PMD slot s only; shared: meter 0 for all */
	struct dp_police_meter pmd[DP_MAX_PMDS];
};

/* The profile of pol from its params: 0 or -EINVAL. */
static int police_profile(struct dp_police *pol)
{
	const struct dp_police_params *in = &pol->prm;
	uint64_t cbs = RTE_MAX(in->cbs, (uint64_t)in->min_bucket);

	if (in->cir == 0 || in->cir > DP_POLICE_RATE_MAX || in->eir > DP_POLICE_RATE_MAX ||
	    cbs > DP_POLICE_BUCKET_MAX || in->ebs > DP_POLICE_BUCKET_MAX)
		return -EINVAL;
	if (in->kind == DP_POLICE_SRTCM) {
		/* no yellow: a frame over the committed rate is dropped */
		struct rte_meter_srtcm_params p = {.cir = in->cir, .cbs = cbs, .ebs = 0};

		if (rte_meter_srtcm_profile_config(&pol->prof.sr, &p) != 0)
			return -EINVAL;
		/* the meter divides by it on every frame */
		return pol->prof.sr.cir_period != 0 ? 0 : -EINVAL;
	}
	struct rte_meter_trtcm_rfc4115_params p = {
		.cir = in->cir, .cbs = cbs, .eir = in->eir, .ebs = in->ebs};

	if (rte_meter_trtcm_rfc4115_profile_config(&pol->prof.tr, &p) != 0)
		return -EINVAL;
	return pol->prof.tr.cir_period != 0 && pol->prof.tr.eir_period != 0 ? 0 : -EINVAL;
}

struct dp_police *dp_police_create(const struct dp_police_params *in)
{
	struct dp_police *pol;
	unsigned int s;
	int rc;

	if (in->kind != DP_POLICE_SRTCM && in->kind != DP_POLICE_TRTCM) {
		errno = EINVAL;
		return NULL;
	}
	pol = rte_zmalloc("kvs_police", sizeof(*pol), RTE_CACHE_LINE_SIZE);
	if (pol == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	pol->prm = *in;
	rte_spinlock_init(&pol->lock);
	rc = police_profile(pol);
	if (rc < 0) {
		rte_free(pol);
		errno = -rc;
		return NULL;
	}
	for (s = 0; s < DP_MAX_PMDS; s++) /* buckets full */
		if (in->kind == DP_POLICE_SRTCM)
			rte_meter_srtcm_config(&pol->pmd[s].sr, &pol->prof.sr);
		else
			rte_meter_trtcm_rfc4115_config(&pol->pmd[s].tr, &pol->prof.tr);
	return pol;
}

const struct dp_police_params *dp_police_params(const struct dp_police *pol)
{
	return &pol->prm;
}

void dp_port_set_police(struct dp_port *p, enum dp_police_dir dir, struct dp_police *pol)
{
	struct dp_police *old = __atomic_exchange_n(&p->police[dir], pol, __ATOMIC_ACQ_REL);

	dp_rcu_defer(old, rte_free);
}

static inline uint32_t metered_len(const struct rte_mbuf *f)
{
	return f->pkt_len > RTE_ETHER_HDR_LEN ? f->pkt_len - RTE_ETHER_HDR_LEN : 0;
}

uint16_t dp_police_burst(struct dp_police *pol, unsigned int pmd, uint64_t tsc,
			 struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **over)
{
	bool shared = pol->prm.shared;
	struct dp_police_meter *m = &pol->pmd[shared ? 0 : pmd];
	uint16_t i, k = 0, o = 0;

	if (shared) {
		rte_spinlock_lock(&pol->lock);
		/* another PMD's later reading may have gone first: time must not
		 * go back for the meter (its unsigned difference would refill
		 * the buckets) */
		tsc = RTE_MAX(tsc, pol->last_tsc);
		pol->last_tsc = tsc;
	}

	/* one kind per burst: the test is out of the per-frame loop */
	if (pol->prm.kind == DP_POLICE_SRTCM) {
		for (i = 0; i < n; i++) {
			struct rte_mbuf *f = pkts[i];

			if (rte_meter_srtcm_color_blind_check(&m->sr, &pol->prof.sr, tsc,
							      metered_len(f)) == RTE_COLOR_GREEN)
				pkts[k++] = f;
			else
				over[o++] = f;
		}
	} else {
		for (i = 0; i < n; i++) {
			struct rte_mbuf *f = pkts[i];

			if (rte_meter_trtcm_rfc4115_color_blind_check(
				    &m->tr, &pol->prof.tr, tsc, metered_len(f)) != RTE_COLOR_RED)
				pkts[k++] = f;
			else
				over[o++] = f;
		}
	}
	if (shared)
		rte_spinlock_unlock(&pol->lock);
	return k;
}
