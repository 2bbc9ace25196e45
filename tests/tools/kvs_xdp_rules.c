/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvs-xdp-rules: write ingress MAC rules into the XDP program kvswitchd's
 * af_xdp PMD attached to an interface, or read its counters, through
 * control/xdp_filter.c, from outside kvswitchd (the state is in the
 * kernel).  For the system tests until the Port filter column drives
 * xdp_filter_apply() inside kvswitchd, and for looking at a live port.
 *
 *   kvs-xdp-rules IFACE [default allow|deny] [allow|deny src|dst MAC[/MASK]]...
 *   kvs-xdp-rules IFACE stats      one JSON line
 *
 * Rules are words, three per rule, in order (first match wins).  No rule and
 * no default: every frame passes.  Exit 0, 1 on a refusal (printed), 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control/xdp_filter.h"

static int usage(void)
{
	fprintf(stderr, "usage: kvs-xdp-rules IFACE [default allow|deny] "
			"[allow|deny src|dst MAC[/MASK]]...\n"
			"       kvs-xdp-rules IFACE stats\n");
	return 2;
}

static int parse_rule(char **w, struct filter_rule *r)
{
	char addr[64], *slash;

	if (strcmp(w[0], "allow") != 0 && strcmp(w[0], "deny") != 0)
		return -1;
	if (strcmp(w[1], "src") != 0 && strcmp(w[1], "dst") != 0)
		return -1;
	r->allow = strcmp(w[0], "allow") == 0;
	r->match_dst = strcmp(w[1], "dst") == 0;
	snprintf(addr, sizeof(addr), "%s", w[2]);
	slash = strchr(addr, '/');
	if (slash)
		*slash++ = '\0';
	memset(&r->mask, 0xff, sizeof(r->mask));
	if (rte_ether_unformat_addr(addr, &r->mac) != 0 ||
	    (slash && rte_ether_unformat_addr(slash, &r->mask) != 0))
		return -1;
	return 0;
}

static int stats(const char *ifname)
{
	struct xdp_filter_stats st;
	int rc = xdp_filter_read_stats(ifname, &st);
	uint16_t i;

	if (rc < 0) {
		fprintf(stderr, "kvs-xdp-rules: %s: %s\n", ifname, strerror(-rc));
		return 1;
	}
	printf("{\"denied\": %lu, \"default_denied\": %lu, \"rules_denied\": [", st.denied,
	       st.default_denied);
	for (i = 0; i < st.n_rules; i++)
		printf("%s%lu", i ? ", " : "", st.rule_denied[i]);
	printf("]}\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct filter_rules rules = {.n = 0, .default_allow = true};
	int i = 2, rc;

	if (argc < 2)
		return usage();
	if (argc == 3 && strcmp(argv[2], "stats") == 0)
		return stats(argv[1]);
	if (argc >= 4 && strcmp(argv[2], "default") == 0) {
		if (strcmp(argv[3], "allow") != 0 && strcmp(argv[3], "deny") != 0)
			return usage();
		rules.default_allow = strcmp(argv[3], "allow") == 0;
		i = 4;
	}
	for (; i < argc; i += 3) {
		if (i + 3 > argc || rules.n == FILTER_MAX_RULES ||
		    parse_rule(&argv[i], &rules.r[rules.n]) < 0)
			return usage();
		rules.n++;
	}
	rc = xdp_filter_apply(argv[1], &rules);
	if (rc < 0) {
		fprintf(stderr, "kvs-xdp-rules: %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	return 0;
}
