/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * host_check: what the host must provide before the EAL starts, checked with
 * a message an operator can act on (the EAL's own failure says only "Cannot
 * get hugepage information").  Main thread, at start.
 */
#ifndef KVS_CONTROL_HOST_CHECK_H
#define KVS_CONTROL_HOST_CHECK_H

#include <stddef.h>

/* 0 if hugepages of some size are free; -ENOMEM with err naming the
 * sysctl and the kernel parameter that reserve them. */
int host_check_hugepages(const char *sysfs_dir, char *err, size_t errlen);

#define HOST_HUGEPAGES_SYSFS "/sys/kernel/mm/hugepages"

#endif
