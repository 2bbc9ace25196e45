/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * journal_log: kvswitchd's log lines under systemd.  When stderr is the
 * journal (JOURNAL_STREAM names it), every line gets a "<N>" syslog priority
 * prefix that journald turns into the entry's priority: DPDK's rte_log lines
 * (the control, PMD and vhost modules) with their own level, kvswitchd's
 * stderr lines with the level given by journal_prefix() or, without one,
 * "<3>" (every unprefixed stderr line in kvswitchd reports an error).
 * Without the journal nothing changes: plain lines, DPDK's own log stream.
 */
#ifndef KVS_CONTROL_JOURNAL_LOG_H
#define KVS_CONTROL_JOURNAL_LOG_H

#include <stdbool.h>

/* Before anything logs (first thing in main, before rte_eal_init() so the
 * EAL's own lines are covered).  Returns true if stderr is the journal. */
bool journal_log_init(void);
/* "<6>" for LOG_INFO etc. under the journal, "" otherwise; for
 * fprintf(stderr, "%s...", journal_prefix(LOG_INFO), ...). */
const char *journal_prefix(int syslog_priority);

#endif
