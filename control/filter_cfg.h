/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * filter_cfg: a port's filter configuration, as the user writes it in the
 * Port `filter` map, checked, edited (the kvsctl filter commands are sugar
 * over the map) and turned into a dataplane filter (dataplane/filter.h).
 *
 * Keys, per direction D = ingress | egress (all optional):
 *   D-rules       "allow src MAC[/MASK], deny dst MAC[/MASK], ..." first match wins
 *   D-default     allow (default) | deny: what matches no rule
 *   D-program     PATH[:SECTION] of an eBPF object (instead of rules)
 *   D-expression  a tcpdump expression (instead of rules)
 *
 * Parsing, checking and editing live in the db library (filter_cfg.c, no
 * DPDK call: the configuration validator and its unit tests use them);
 * filter_cfg_build loads programs and lives with kvswitchd
 * (filter_build.c).  Control thread only.
 */
#ifndef KVS_CONTROL_FILTER_CFG_H
#define KVS_CONTROL_FILTER_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "dataplane/filter.h"

struct smap;

/* What a direction of a map asks for. */
enum filter_cfg_kind {
	FILTER_CFG_NONE,
	FILTER_CFG_RULES,
	FILTER_CFG_PROGRAM,
	FILTER_CFG_EXPRESSION,
};

const char *filter_cfg_dir_name(enum filter_dir d);
/* "ingress" | "egress" → 0 with *d set, or -EINVAL. */
int filter_cfg_dir_parse(const char *s, enum filter_dir *d);
/* The value of key "DIR-what" (what: rules, default, program, expression). */
const char *filter_cfg_get(const struct smap *m, enum filter_dir d, const char *what);

/* Parse a rule list. 0 or -EINVAL with err naming the rule. */
int filter_cfg_parse_rules(const char *text, struct filter_rules *out, char *err, size_t errlen);
/* One rule as filter_cfg_parse_rules reads it back ("allow src MAC[/MASK]"). */
void filter_cfg_format_rule(const struct filter_rule *r, char *out, size_t outlen);
/* One key of a filter map: known key, value syntax.  For the file loader,
 * so an error points at the key's line. */
int filter_cfg_check_key(const char *key, const char *value, char *err, size_t errlen);
/* Check the keys and values of a filter map without loading anything. */
int filter_cfg_check(const struct smap *m, char *err, size_t errlen);
/*
 * What a direction asks for; for FILTER_CFG_RULES, *rules (if not NULL)
 * receives the parsed table with its default.  The map must have passed
 * filter_cfg_check.  This is the parsed form other dataplanes (XDP) take.
 */
enum filter_cfg_kind filter_cfg_rules(const struct smap *m, enum filter_dir d,
				      struct filter_rules *rules);
/* Same configuration for this direction in both maps? */
bool filter_cfg_same(const struct smap *a, const struct smap *b, enum filter_dir dir);

/* ---- Edits behind the kvsctl commands; each leaves a map that still has to
 * pass filter_cfg_check.  0 or -errno with err set. ---- */

/* Ingress: allow src each MAC of "MAC[,MAC...]", deny the rest; replaces
 * whatever the ingress direction had. */
int filter_cfg_lock(struct smap *m, const char *macs, char *err, size_t errlen);
/* Ingress back to no filter. */
void filter_cfg_unlock(struct smap *m);
/* Append one rule ("allow src MAC[/MASK]") to a direction's rules. */
int filter_cfg_add_rule(struct smap *m, enum filter_dir d, const char *rule, char *err,
			size_t errlen);
/* Remove rule number N (from 1) or the rule with this text. */
int filter_cfg_del_rule(struct smap *m, enum filter_dir d, const char *which, char *err,
			size_t errlen);
/* allow | deny */
int filter_cfg_set_default(struct smap *m, enum filter_dir d, const char *policy, char *err,
			   size_t errlen);

/* ---- kvswitchd only (filter_build.c, links the dataplane) ---- */

/*
 * Build the filter of one direction.  0 with *out = NULL when the map asks
 * for none; 0 with a new filter; -errno with the reason in err.
 */
int filter_cfg_build(const struct smap *m, enum filter_dir dir, struct filter **out, char *err,
		     size_t errlen);

#endif
