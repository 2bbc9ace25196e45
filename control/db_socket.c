/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * db_socket: what a control-socket client may change (db.h,
 * db_check_socket_change).  Called by the transaction path (control/cmd.c)
 * on the control thread, before anything is applied or saved.
 *
 * The control socket is root: whoever can connect can reconfigure the
 * switch.  What this file takes away from it is what would reach beyond the
 * switch: EAL arguments (dpdk-extra, which can load a shared object at the
 * next start) and devices of any driver (net_pcap writes files, net_vhost
 * creates sockets at any path).  Those stay with whoever writes the
 * configuration file, which is root's.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "control/db.h"

static const char *const file_only_keys[] = {"dpdk-extra", "dpdk-devargs-allow"};

static bool same_value(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool hex_run(const char **s, int min, int max)
{
	int n = 0;

	while (isxdigit((unsigned char)**s) && n < max)
		(*s)++, n++;
	return n >= min;
}

/* [DDDD:]BB:DD.F, exactly (what EAL's PCI bus takes as a device name). */
static bool is_pci_addr(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	const char *colon = memchr(s, ':', len);

	if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL) {
		if (!hex_run(&p, 4, 8) || *p++ != ':')
			return false;
	}
	return hex_run(&p, 2, 2) && *p++ == ':' && hex_run(&p, 2, 2) && *p++ == '.' &&
	       hex_run(&p, 1, 1) && p == end;
}

static bool name_chars_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return len > 0;
}

/* Is the comma-separated list allow holding word (len bytes)? */
static bool allow_has(const char *allow, const char *word, size_t len, bool prefix)
{
	const char *p = allow;

	while (*p) {
		size_t n = strcspn(p, ",");

		/* vdev names are the driver's name and any suffix ("net_tap0"):
		 * EAL picks the driver whose name starts the device's */
		if (n > 0 && (prefix ? n <= len : n == len) && strncmp(p, word, n) == 0)
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

int db_devargs_allowed(const char *allow, const char *devargs, char *err, size_t errlen)
{
	size_t len = strcspn(devargs, ",");

	if (is_pci_addr(devargs, len)) {
		if (allow_has(allow, "pci", 3, false))
			return 0;
		snprintf(err, errlen,
			 "dpdk-devargs '%s': PCI devices are not in dpdk-devargs-allow (%s)",
			 devargs, allow);
		return -EPERM;
	}
	if (!name_chars_ok(devargs, len)) {
		snprintf(err, errlen,
			 "dpdk-devargs '%s': the device must be a PCI address or a vdev name "
			 "(letters, digits, '_')",
			 devargs);
		return -EPERM;
	}
	if (allow_has(allow, devargs, len, true))
		return 0;
	snprintf(err, errlen,
		 "dpdk-devargs '%s': its driver is not in dpdk-devargs-allow (%s); the "
		 "configuration file can allow it",
		 devargs, allow);
	return -EPERM;
}

int db_check_socket_change(const struct db *old, const struct db *new, char *err, size_t errlen)
{
	const char *allow = smap_get(&new->other_config, "dpdk-devargs-allow");
	char why[DB_ERR_LEN];

	for (size_t k = 0; k < sizeof(file_only_keys) / sizeof(file_only_keys[0]); k++) {
		const char *key = file_only_keys[k];

		if (same_value(smap_get(&old->other_config, key),
			       smap_get(&new->other_config, key)))
			continue;
		snprintf(err, errlen,
			 "other_config:%s can be changed only in the configuration file, not "
			 "over the control socket",
			 key);
		return -EPERM;
	}
	if (allow == NULL)
		allow = DB_DEVARGS_ALLOW_DEFAULT;
	for (size_t b = 0; b < new->n_bridges; b++)
		for (size_t i = 0; i < new->bridges[b]->n_ports; i++) {
			const struct db_port *p = new->bridges[b]->ports[i];
			const char *da = smap_get(&p->options, "dpdk-devargs");
			const struct db_port *o;

			if (da == NULL || p->type == NULL || strcmp(p->type, "dpdk") != 0)
				continue;
			/* unchanged: it came from the file, or passed here before */
			o = db_port_find(old, p->name, NULL);
			if (o != NULL && o->type != NULL && strcmp(o->type, "dpdk") == 0 &&
			    same_value(smap_get(&o->options, "dpdk-devargs"), da))
				continue;
			if (db_devargs_allowed(allow, da, why, sizeof(why)) < 0) {
				snprintf(err, errlen, "port '%s': %s", p->name, why);
				return -EPERM;
			}
		}
	return 0;
}
