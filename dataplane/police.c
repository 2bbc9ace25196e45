/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policers (police.h).  dp_police_burst runs on PMDs, the rest on the
 * control thread.
 *
 * Cost: a port without a policer pays one load and one branch per burst
 * and direction (pipeline.c tests it with its captures).  A policed burst
 * pays, per frame, librte_meter's bucket update (a division by the refill
 * period for each bucket it refills, hence about one 64-bit divide for
 * srTCM and two for trTCM) and the compaction of the burst.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_meter.h>

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
	struct dp_police_meter pmd[DP_MAX_PMDS]; /* slot s: PMD slot s only */
};

/* The profile of pol from its params, split over share PMDs. */
static int police_profile(struct dp_police *pol, unsigned int share)
{
	const struct dp_police_params *in = &pol->prm;
	uint64_t cir = in->cir / share, eir = in->eir / share;
	uint64_t cbs = RTE_MAX(in->cbs / share, (uint64_t)in->min_bucket), ebs = in->ebs / share;

	if (cir == 0 || cbs == 0)
		return -EINVAL;
	if (in->kind == DP_POLICE_SRTCM) {
		/* no yellow: a frame over the committed rate is dropped */
		struct rte_meter_srtcm_params p = {.cir = cir, .cbs = cbs, .ebs = 0};

		return rte_meter_srtcm_profile_config(&pol->prof.sr, &p) == 0 ? 0 : -EINVAL;
	}
	struct rte_meter_trtcm_rfc4115_params p = {.cir = cir, .cbs = cbs, .eir = eir, .ebs = ebs};

	return rte_meter_trtcm_rfc4115_profile_config(&pol->prof.tr, &p) == 0 ? 0 : -EINVAL;
}

struct dp_police *dp_police_create(const struct dp_police_params *in)
{
	unsigned int share = in->share ? in->share : 1;
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
	rc = police_profile(pol, share);
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
	struct dp_police_meter *m = &pol->pmd[pmd];
	uint16_t i, k = 0, o = 0;

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
	return k;
}
