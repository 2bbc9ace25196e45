/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-bench-gen's latency histogram (gen.h struct gen_hist): the loops add to it once per
 * received frame (gen_hist_add, inline in gen.h); this file turns it into the report's
 * "latency_ns" for gen_main.c.
 *
 * Values are TSC cycles, so adding one is a clz and an increment, no conversion (as a call
 * it was 4% of the closed loop's profile). Below 64 cycles each value has its bucket; from
 * 2^e (e >= 6) on, [2^e, 2^(e+1)) is split in 64 equal buckets, so a bucket is at most 1/64
 * (1.6%) of its values wide: at most 32 ns wide at 2 us, 160 us at 10 ms.
 * Percentiles are the upper bound of the bucket holding the rank (never above the exact max),
 * so they err by at most one bucket, upwards.
 */

#include <math.h>

#include <rte_common.h>

#include "gen.h"

/* The largest value bucket i holds. */
static uint64_t bucket_upper(unsigned int i)
{
	unsigned int e, sub;

	if (i < GEN_HIST_SUB)
		return i;
	e = i / GEN_HIST_SUB + 5;
	sub = i % GEN_HIST_SUB;
	return ((uint64_t)(GEN_HIST_SUB + sub + 1) << (e - 6)) - 1;
}

static double to_ns(uint64_t cycles, uint64_t tsc_hz)
{
	return (double)cycles * 1e9 / (double)tsc_hz;
}

static uint64_t percentile(const struct gen_hist *h, double q)
{
	uint64_t rank = (uint64_t)ceil(q * (double)h->count), seen = 0;
	unsigned int i;

	if (rank == 0)
		rank = 1;
	for (i = 0; i < GEN_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			return RTE_MIN(bucket_upper(i), h->max);
	}
	return h->max;
}

static json_t *ns_json(double ns)
{
	return json_real(round(ns * 10) / 10);
}

/* {"p50","p99","p999","max","mean","hist":[[upper_ns,count],...]}; numbers are null when
 * nothing was measured. */
json_t *gen_hist_json(const struct gen_hist *h, uint64_t tsc_hz)
{
	json_t *o = json_object(), *hist = json_array();
	static const struct {
		const char *key;
		double q;
	} pct[] = {{"p50", 0.50}, {"p99", 0.99}, {"p999", 0.999}};
	unsigned int i;

	for (i = 0; i < RTE_DIM(pct); i++)
		json_object_set_new(o, pct[i].key,
				    h->count ? ns_json(to_ns(percentile(h, pct[i].q), tsc_hz))
					     : json_null());
	json_object_set_new(o, "max", h->count ? ns_json(to_ns(h->max, tsc_hz)) : json_null());
	json_object_set_new(o, "mean",
			    h->count ? ns_json(to_ns(h->sum, tsc_hz) / (double)h->count)
				     : json_null());
	for (i = 0; i < GEN_HIST_BUCKETS; i++) {
		if (h->b[i] == 0)
			continue;
		json_array_append_new(hist,
				      json_pack("[oI]", ns_json(to_ns(bucket_upper(i), tsc_hz)),
						(json_int_t)h->b[i]));
	}
	json_object_set_new(o, "hist", hist);
	return o;
}
