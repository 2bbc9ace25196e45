/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ingress policers (police.h).  dp_police_burst runs on PMDs, the rest on
 * the control thread.
 *
 * Cost: a port without a policer pays one load and one branch per received
 * burst.  A policed burst pays, per frame, librte_meter's bucket update
 * (a division by the refill period, hence the per-frame cost is about that
 * of one 64-bit divide) and the compaction of the burst.
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
	struct rte_meter_srtcm m;
} __rte_cache_aligned;

struct dp_police {
	struct dp_police_params prm;
	struct rte_meter_srtcm_profile prof;
	struct dp_police_meter pmd[DP_MAX_PMDS]; /* slot s: PMD slot s only */
};

struct dp_police *dp_police_create(const struct dp_police_params *in)
{
	uint64_t burst_kbit = in->burst_kbit ? in->burst_kbit : DP_POLICE_DEFAULT_BURST_KBIT;
	unsigned int share = in->share ? in->share : 1;
	struct rte_meter_srtcm_params prm;
	struct dp_police *pol;
	unsigned int s;

	prm = (struct rte_meter_srtcm_params){
		.cir = in->rate_kbit * 1000 / 8 / share,
		.cbs = RTE_MAX(burst_kbit * 1000 / 8 / share, (uint64_t)in->min_bucket),
		.ebs = 0, /* no yellow: a frame over the committed rate is dropped */
	};
	if (in->rate_kbit == 0 || prm.cir == 0 || prm.cbs == 0) {
		errno = EINVAL;
		return NULL;
	}
	pol = rte_zmalloc("kvs_police", sizeof(*pol), RTE_CACHE_LINE_SIZE);
	if (pol == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (rte_meter_srtcm_profile_config(&pol->prof, &prm) != 0) {
		rte_free(pol);
		errno = EINVAL;
		return NULL;
	}
	pol->prm = *in;
	for (s = 0; s < DP_MAX_PMDS; s++)
		rte_meter_srtcm_config(&pol->pmd[s].m, &pol->prof); /* buckets full */
	return pol;
}

const struct dp_police_params *dp_police_params(const struct dp_police *pol)
{
	return &pol->prm;
}

void dp_port_set_police(struct dp_port *p, struct dp_police *pol)
{
	struct dp_police *old = __atomic_exchange_n(&p->police, pol, __ATOMIC_ACQ_REL);

	dp_rcu_defer(old, rte_free);
}

uint16_t dp_police_burst(struct dp_police *pol, unsigned int pmd, uint64_t tsc,
			 struct dp_rxq_stats *st, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_meter_srtcm *m = &pol->pmd[pmd].m;
	uint16_t i, k = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *f = pkts[i];
		uint32_t len = f->pkt_len > RTE_ETHER_HDR_LEN ? f->pkt_len - RTE_ETHER_HDR_LEN : 0;

		if (rte_meter_srtcm_color_blind_check(m, &pol->prof, tsc, len) == RTE_COLOR_GREEN) {
			pkts[k++] = f;
			continue;
		}
		/* received all the same: rx counts it, as any frame dropped */
		st->packets++;
		st->bytes += f->pkt_len;
		st->drops[DP_DROP_POLICED_INGRESS]++;
		rte_pktmbuf_free(f);
	}
	return k;
}
