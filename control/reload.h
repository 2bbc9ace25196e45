/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reload: SIGHUP (`systemctl reload kvswitch`) re-reads the configuration
 * file and applies the difference as one all-or-nothing transaction, through
 * apply_db() as kvsctl's transactions are.  Control thread only.
 */
#ifndef KVS_CONTROL_RELOAD_H
#define KVS_CONTROL_RELOAD_H

#include <stddef.h>

/* 0: the file runs now.  -errno: refused (err says why, "FILE:LINE: ..."
 * for a bad file), and nothing changed. */
int reload_config(const char *path, char *err, size_t errlen);

#endif
