/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * filter_cfg_build (filter_cfg.h): the filter a port's `filter` map asks for
 * in one direction, loaded and verified by the dataplane's filter module.
 * Apart from the db library because it links librte_bpf, libbpf and
 * libpcap.  Called by apply (port_filter.c) and the unit tests; control
 * thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control/db.h"
#include "control/filter_cfg.h"

int filter_cfg_build(const struct smap *m, enum filter_dir dir, struct filter **out, char *err,
		     size_t errlen)
{
	const char *prog = filter_cfg_get(m, dir, "program");
	const char *expr = filter_cfg_get(m, dir, "expression");
	struct filter_rules rules;
	int rc;

	*out = NULL;
	rc = filter_cfg_check(m, err, errlen);
	if (rc < 0)
		return rc;
	errno = 0;
	switch (filter_cfg_rules(m, dir, &rules)) {
	case FILTER_CFG_NONE:
		return 0;
	case FILTER_CFG_PROGRAM: {
		char path[4096], *colon;

		snprintf(path, sizeof(path), "%s", prog);
		colon = strrchr(path, ':');
		if (colon)
			*colon++ = '\0';
		*out = filter_from_object(path, colon, err, errlen);
		break;
	}
	case FILTER_CFG_EXPRESSION:
		*out = filter_from_expression(expr, err, errlen);
		break;
	case FILTER_CFG_RULES:
		*out = filter_from_rules(&rules, err, errlen);
		break;
	}
	return *out ? 0 : -(errno ? errno : EINVAL);
}
