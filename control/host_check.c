/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host prerequisites (host_check.h), called by kvswitchd's main() before
 * rte_eal_init() unless --no-huge.
 *
 * Reads sysfs, one directory per page size (hugepages-2048kB, ...): the
 * pages free now of every size, since the EAL takes any size it finds.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control/host_check.h"

static long read_count(const char *dir, const char *size, const char *file)
{
	char path[512];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, size, file);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int host_check_hugepages(const char *sysfs_dir, char *err, size_t errlen)
{
	long free_pages = 0, total = 0, v;
	char what[96];
	struct dirent *de;
	DIR *d = opendir(sysfs_dir);

	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, "hugepages-", 10) != 0)
				continue;
			if ((v = read_count(sysfs_dir, de->d_name, "free_hugepages")) > 0)
				free_pages += v;
			if ((v = read_count(sysfs_dir, de->d_name, "nr_hugepages")) > 0)
				total += v;
		}
		closedir(d);
	}
	if (free_pages > 0)
		return 0;
	if (total == 0)
		snprintf(what, sizeof(what), "no hugepages reserved");
	else
		snprintf(what, sizeof(what), "no free hugepages (%ld reserved, all in use)", total);
	snprintf(err, errlen,
		 "%s: reserve them with the sysctl vm.nr_hugepages (now: sysctl -w "
		 "vm.nr_hugepages=1024; at every boot: a file in /etc/sysctl.d/ with "
		 "vm.nr_hugepages = 1024) or the kernel command line parameter hugepages=1024 "
		 "(with default_hugepagesz=1G hugepagesz=1G for 1 GiB pages); see "
		 "docs/operations.md",
		 what);
	return -ENOMEM;
}
