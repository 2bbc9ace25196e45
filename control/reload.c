/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reload from the configuration file (reload.h), called by kvswitchd's
 * control loop when SIGHUP arrived.
 *
 * Unlike a kvsctl transaction the file is not rewritten first: it is the
 * input.  A refused reload leaves the operator's file as they wrote it (so
 * they can fix it) and the switch running the previous configuration; the
 * next kvsctl change rewrites the file from what runs.
 */
#include <errno.h>
#include <stdio.h>

#include "control/reload.h"
#include "control/state.h"

int reload_config(const char *path, char *err, size_t errlen)
{
	struct db *ndb;
	int rc;

	/* conf_load() parses and validates: a bad file gives "FILE:LINE: msg" */
	ndb = conf_load(path, err, errlen);
	if (ndb == NULL)
		return -(errno ? errno : EINVAL);
	/* strict: any port that cannot be opened refuses the whole file */
	rc = apply_db(ndb, true, err, errlen);
	if (rc < 0)
		db_destroy(ndb);
	return rc;
}
