/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db_qos: a Port's QoS in the configuration model (struct db_qos, db.h):
 * reading OVS's QoS row shape (a type and other_config keys) for the
 * configuration file, kvsctl's `create QoS` and OVSDB mode, writing it back,
 * and db_validate()'s rule for it.  Control thread; no state.
 *
 * Only OVS-DPDK's two policer types are taken.  A QoS type kvswitch does
 * not run (linux-htb, ...) is an error here; OVSDB mode turns that error
 * into a note and runs the port without QoS, as OVS-DPDK does with a type
 * its netdev lacks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "control/db.h"
#include "control/db_priv.h"

static const char *const type_names[] = {
	[DB_QOS_EGRESS_POLICER] = "egress-policer",
	[DB_QOS_TRTCM_POLICER] = "trtcm-policer",
};

/* The keys of each type, in the order they are written back. */
static const char *const keys[] = {"cir", "cbs", "eir", "ebs"};
static const unsigned int n_keys[] = {
	[DB_QOS_EGRESS_POLICER] = 2,
	[DB_QOS_TRTCM_POLICER] = 4,
};

static uint64_t *field(struct db_qos *q, unsigned int k)
{
	uint64_t *f[] = {&q->cir, &q->cbs, &q->eir, &q->ebs};

	return f[k];
}

const char *db_qos_type_name(enum db_qos_type t)
{
	return t == DB_QOS_EGRESS_POLICER || t == DB_QOS_TRTCM_POLICER ? type_names[t] : NULL;
}

enum db_qos_type db_qos_type_of(const char *type)
{
	for (unsigned int t = DB_QOS_EGRESS_POLICER; type != NULL && t <= DB_QOS_TRTCM_POLICER; t++)
		if (strcmp(type, type_names[t]) == 0)
			return (enum db_qos_type)t;
	return DB_QOS_NONE;
}

bool db_qos_key_known(const char *type, const char *key)
{
	enum db_qos_type t = db_qos_type_of(type);

	for (unsigned int k = 0; t != DB_QOS_NONE && k < n_keys[t]; k++)
		if (strcmp(key, keys[k]) == 0)
			return true;
	return false;
}

bool db_qos_equal(const struct db_qos *a, const struct db_qos *b)
{
	return a->type == b->type && a->cir == b->cir && a->cbs == b->cbs && a->eir == b->eir &&
	       a->ebs == b->ebs;
}

int db_qos_parse(const char *type, const struct smap *oc, struct db_qos *out, const char *what,
		 char *err, size_t errlen)
{
	struct db_qos q = {0};
	unsigned int k;

	q.type = (uint8_t)db_qos_type_of(type);
	if (q.type == DB_QOS_NONE)
		return db_fail(err, errlen, -EINVAL,
			       "%s: type '%s' is not one kvswitch runs (egress-policer or "
			       "trtcm-policer)",
			       what, type ? type : "");
	for (size_t i = 0; oc != NULL && i < oc->n; i++) {
		const char *key = oc->nodes[i].key, *v = oc->nodes[i].value;

		for (k = 0; k < n_keys[q.type]; k++)
			if (strcmp(key, keys[k]) == 0)
				break;
		if (k == n_keys[q.type])
			return db_fail(err, errlen, -EINVAL,
				       "%s: %s has no other_config key '%s' (it takes %s)", what,
				       type_names[q.type], key,
				       q.type == DB_QOS_EGRESS_POLICER ? "cir and cbs"
								       : "cir, cbs, eir and ebs");
		if (db_parse_uint(v, DB_QOS_VALUE_MAX, field(&q, k)) != 0)
			return db_fail(err, errlen, -EINVAL,
				       "%s: other_config:%s '%s' is not a number of %s up to %llu",
				       what, key, v, k % 2 ? "bytes" : "bytes per second",
				       DB_QOS_VALUE_MAX);
	}
	*out = q;
	return 0;
}

int db_qos_other_config(const struct db_qos *q, struct smap *out)
{
	char v[24];

	for (unsigned int k = 0; q->type != DB_QOS_NONE && k < n_keys[q->type]; k++) {
		snprintf(v, sizeof(v), "%" PRIu64, *field((struct db_qos *)q, k));
		if (smap_set(out, keys[k], v) != 0)
			return -ENOMEM;
	}
	return 0;
}

int db_qos_check(const struct db_port *p, char *err, size_t errlen)
{
	const struct db_qos *q = &p->qos;
	uint32_t mtu = p->mtu_request ? p->mtu_request : 1500;
	/* a bucket smaller than one frame at the MTU (tagged: 4 more bytes
	 * metered) would drop every such frame, whatever the rate */
	uint64_t frame = mtu + 4u;
	const char *name = db_qos_type_name(q->type);

	if (name == NULL)
		return db_verr(err, errlen, p->line, "port '%s': qos type %u is unknown", p->name,
			       q->type);
	if (q->cir == 0)
		return db_verr(err, errlen, p->line,
			       "port '%s': qos %s: other_config:cir (bytes/s) must be given and "
			       "not 0",
			       p->name, name);
	if (q->cbs < frame)
		return db_verr(err, errlen, p->line,
			       "port '%s': qos %s: other_config:cbs %" PRIu64
			       " bytes is smaller than one frame (%" PRIu64
			       " bytes at mtu_request %u)",
			       p->name, name, q->cbs, frame, mtu);
	if (q->eir != 0 && q->ebs < frame)
		return db_verr(err, errlen, p->line,
			       "port '%s': qos %s: other_config:ebs %" PRIu64
			       " bytes is smaller than one frame (%" PRIu64
			       " bytes at mtu_request %u) while eir is set",
			       p->name, name, q->ebs, frame, mtu);
	return 0;
}
