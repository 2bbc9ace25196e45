/* SPDX-License-Identifier: BSD-3-Clause */
/* Names of the drop reasons (drop.h).  Called by the control thread when it
 * renders statistics; never on the fast path. */
#include "dataplane/drop.h"

static const char *const drop_names[DP_DROP_MAX] = {
#define X(e, n, d) [DP_DROP_##e] = n,
	DP_DROP_REASONS(X)
#undef X
};

static const char *const drop_descs[DP_DROP_MAX] = {
#define X(e, n, d) [DP_DROP_##e] = d,
	DP_DROP_REASONS(X)
#undef X
};

const char *dp_drop_name(enum dp_drop r)
{
	return (unsigned)r < DP_DROP_MAX ? drop_names[r] : "unknown";
}

const char *dp_drop_desc(enum dp_drop r)
{
	return (unsigned)r < DP_DROP_MAX ? drop_descs[r] : "unknown";
}
