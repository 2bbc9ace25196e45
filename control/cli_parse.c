/* SPDX-License-Identifier: BSD-3-Clause */
/* kvsctl argument parsing (cli_parse.h).  Pure: no I/O, unit-tested. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "control/cli_parse.h"

static const char usage_text[] =
	"usage: kvsctl [--unixctl SOCKET] [--format text|json|table|list] [--columns C,C...]\n"
	"              [--bare] [--no-headings] [-t|--timeout SECONDS] [--no-wait]\n"
	"              COMMAND [ARG...]\n"
	"\n"
	"Configuration (chain several with --; all or nothing):\n"
	"  [--may-exist] add-br BRIDGE [COLUMN[:KEY]=VALUE...]\n"
	"  [--if-exists] del-br BRIDGE\n"
	"  [--may-exist] add-port BRIDGE PORT [COLUMN[:KEY]=VALUE...]\n"
	"  [--if-exists] del-port [BRIDGE] PORT\n"
	"  set TABLE RECORD COLUMN[:KEY]=VALUE...   (TABLE: Open_vSwitch . | Bridge | Port |\n"
	"                                            Interface, any case or a unique prefix)\n"
	"  add TABLE RECORD COLUMN VALUE...        add VLANs to trunks, KEY=VALUE to a map\n"
	"  remove TABLE RECORD COLUMN KEY          remove one key of a map column (a VLAN of "
	"trunks)\n"
	"  clear TABLE RECORD COLUMN               reset a column\n"
	"  --id=@NAME create QoS|Mirror COLUMN[:KEY]=VALUE...   a record to refer to as @NAME\n"
	"  --id=@NAME get Port PORT                 name a port for a Mirror's columns\n"
	"      e.g. -- --id=@q create QoS type=egress-policer other-config:cir=125000 \\\n"
	"              other-config:cbs=15000 -- set Port vm1 qos=@q\n"
	"\n"
	"Frame filters (edit the Port filter column; docs/filters.md):\n"
	"  lock-port PORT MAC[,MAC...]             PORT may send from these MACs only\n"
	"  unlock-port PORT                        remove PORT's ingress filter\n"
	"  add-filter-rule PORT ingress|egress allow|deny src|dst MAC[/MASK]\n"
	"  del-filter-rule PORT ingress|egress NUMBER|RULE\n"
	"  set-filter-default PORT ingress|egress allow|deny\n"
	"  list-filter-rules PORT                  rules, programs and filter drops\n"
	"\n"
	"Views:\n"
	"  show | list-br | list-ports BRIDGE | list-ifaces BRIDGE | get TABLE RECORD "
	"COLUMN[:KEY]\n"
	"  br-exists BRIDGE (exit 2 if not) | port-to-br PORT | iface-to-br IFACE\n"
	"  list TABLE [RECORD...] | find TABLE [COLUMN[:KEY]=VALUE...]\n"
	"  get Interface IFACE ofport|link_state|admin_state|mtu|status|statistics|error\n"
	"  pmd-stats-show | pmd-stats-clear | pmd-perf-show | pmd-rxq-show   (also "
	"dpif-netdev/...)\n"
	"  fdb/show BRIDGE | fdb/flush [BRIDGE] | fdb/stats-show BRIDGE | fdb/stats-clear "
	"[BRIDGE]\n"
	"  port-stats [PORT] | memory/show | drop-reasons | version\n"
	"\n"
	"Capture (docs/capture.md; ends on Ctrl-C, its count or its duration):\n"
	"  capture PORT [--direction|-Q rx|tx|both] [--count|-c N] [--duration SECONDS]\n"
	"          [--snaplen|-s BYTES] [-w FILE.pcap | -w -] [EXPRESSION]\n"
	"                      PORT's frames as a pcap file (-w - to stdout: | tcpdump -r -),\n"
	"                      or one line each; EXPRESSION in tcpdump's syntax\n"
	"  trace PORT [N]      the next N frames PORT receives, step by step through the switch\n"
	"  trace --frame HEX PORT   the same for a frame given in hex, not sent\n"
	"\n"
	"Actions:\n"
	"  pmd-rxq-rebalance   re-place rx queues on PMDs by measured load now\n"
	"                      (also dpif-netdev/pmd-rxq-rebalance)\n"
	"\n"
	"Example:\n"
	"  kvsctl add-br br0\n"
	"  kvsctl add-port br0 vm1 -- set Interface vm1 type=dpdkvhostuserclient \\\n"
	"         options:vhost-server-path=/var/run/vm1.sock\n";

const char *cli_usage(void)
{
	return usage_text;
}

/* OVS's tables: ovs-vsctl takes any of them in any case or by a unique
 * prefix; kvswitch has the first four. */
static const char *const ovs_tables[] = {"Open_vSwitch",
					 "Bridge",
					 "Port",
					 "Interface",
					 "Flow_Table",
					 "QoS",
					 "Queue",
					 "Mirror",
					 "Controller",
					 "Manager",
					 "NetFlow",
					 "SSL",
					 "sFlow",
					 "IPFIX",
					 "Flow_Sample_Collector_Set",
					 "AutoAttach",
					 "Datapath",
					 "CT_Zone",
					 "CT_Timeout_Policy"};
#define N_KVS_TABLES 4

/* Is name the first n characters of table, in any case, '-' standing for '_'
 * (as ovs-vsctl takes them)? */
static bool table_prefix(const char *table, const char *name, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char a = (char)tolower((unsigned char)table[i]),
		     b = (char)tolower((unsigned char)name[i]);

		if (a == '\0' || (a != b && !(a == '_' && b == '-')))
			return false;
	}
	return true;
}

/* The table name argv means, or NULL with err set; with created, also the
 * two tables whose records kvswitch keeps inside others (QoS, Mirror),
 * which only create names. */
static const char *canon_table_of(const char *name, bool created, char *err, size_t errlen)
{
	const char *found = NULL;
	size_t n = strlen(name), matches = 0, i;

	for (i = 0; i < sizeof(ovs_tables) / sizeof(ovs_tables[0]); i++) {
		if (strlen(ovs_tables[i]) == n && table_prefix(ovs_tables[i], name, n)) {
			found = ovs_tables[i];
			matches = 1;
			break;
		}
		if (n > 0 && table_prefix(ovs_tables[i], name, n)) {
			found = ovs_tables[i];
			matches++;
		}
	}
	if (matches == 0) {
		snprintf(err, errlen,
			 "unknown table '%s' (kvswitch has Open_vSwitch, Bridge, Port "
			 "and Interface)",
			 name);
		return NULL;
	}
	if (matches > 1) {
		snprintf(err, errlen, "'%s' matches several tables: give more of the name", name);
		return NULL;
	}
	for (i = 0; i < N_KVS_TABLES; i++)
		if (found == ovs_tables[i])
			return found;
	if (created && (strcmp(found, "QoS") == 0 || strcmp(found, "Mirror") == 0))
		return found;
	snprintf(err, errlen,
		 "table '%s' is not supported by kvswitch (it has Open_vSwitch, "
		 "Bridge, Port and Interface)",
		 found);
	return NULL;
}

static const char *canon_table(const char *name, char *err, size_t errlen)
{
	return canon_table_of(name, false, err, errlen);
}

/* "column[:key]=value" → {"column","key","value"}; quotes around the value
 * are removed as ovs-vsctl does. */
static json_t *parse_set(const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '='), *colon;
	char col[128], key[256], val[4096];
	size_t lhs, vlen;
	json_t *o;

	if (eq == NULL || eq == arg) {
		snprintf(err, errlen, "'%s': expected COLUMN[:KEY]=VALUE", arg);
		return NULL;
	}
	lhs = (size_t)(eq - arg);
	colon = memchr(arg, ':', lhs);
	if (colon && (colon == arg || colon + 1 == eq)) {
		snprintf(err, errlen, "'%s': empty column or key", arg);
		return NULL;
	}
	/* refuse rather than truncate (a cut could also split a UTF-8 character) */
	if ((size_t)((colon ? colon : eq) - arg) >= sizeof(col) ||
	    (colon && (size_t)(eq - colon - 1) >= sizeof(key)) || strlen(eq + 1) >= sizeof(val)) {
		snprintf(err, errlen, "'%.40s...': column, key or value too long", arg);
		return NULL;
	}
	snprintf(col, sizeof(col), "%.*s", (int)((colon ? colon : eq) - arg), arg);
	if (colon)
		snprintf(key, sizeof(key), "%.*s", (int)(eq - colon - 1), colon + 1);
	snprintf(val, sizeof(val), "%s", eq + 1);
	vlen = strlen(val);
	if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
		memmove(val, val + 1, vlen - 2);
		val[vlen - 2] = '\0';
	}
	o = json_pack("{s:s,s:s}", "column", col, "value", val);
	if (o != NULL && colon)
		json_object_set_new(o, "key", json_string(key));
	if (o == NULL)
		snprintf(err, errlen, "'%.40s...': cannot be encoded", arg);
	return o;
}

static json_t *parse_sets(int argc, char **argv, char *err, size_t errlen)
{
	json_t *arr = json_array();
	int i;

	for (i = 0; i < argc; i++) {
		json_t *s = parse_set(argv[i], err, errlen);
		if (s == NULL) {
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, s);
	}
	return arr;
}

static bool nargs(const char *cmd, int have, int min, int max, char *err, size_t errlen)
{
	if (have >= min && (max < 0 || have <= max))
		return true;
	if (max == min)
		snprintf(err, errlen, "'%s' takes %d argument%s, %d given", cmd, min,
			 min == 1 ? "" : "s", have);
	else if (max < 0)
		snprintf(err, errlen, "'%s' takes at least %d arguments, %d given", cmd, min, have);
	else
		snprintf(err, errlen, "'%s' takes %d to %d arguments, %d given", cmd, min, max,
			 have);
	return false;
}

/* argv[0..n-1] joined with sep, into out. */
static void join(int n, char **argv, const char *sep, char *out, size_t outlen)
{
	size_t off = 0;

	out[0] = '\0';
	for (int i = 0; i < n && off < outlen; i++)
		off += (size_t)snprintf(out + off, outlen - off, "%s%s", i ? sep : "", argv[i]);
}

static bool is_dir(const char *s, char *err, size_t errlen)
{
	if (strcmp(s, "ingress") == 0 || strcmp(s, "egress") == 0)
		return true;
	snprintf(err, errlen, "'%s': expected ingress or egress", s);
	return false;
}

/* The filter commands: sugar over the Port filter column, so also part of a
 * transaction.  NULL with err set, or with err empty if c is not one. */
static json_t *parse_filter_write(const char *c, int n, char **argv, char *err, size_t errlen)
{
	char text[4096];

	if (strcmp(c, "lock-port") == 0) {
		if (!nargs(c, n, 2, -1, err, errlen))
			return NULL;
		join(n - 1, argv + 2, ",", text, sizeof(text));
		return json_pack("{s:s,s:s,s:s}", "op", c, "port", argv[1], "macs", text);
	}
	if (strcmp(c, "unlock-port") == 0)
		return nargs(c, n, 1, 1, err, errlen)
			       ? json_pack("{s:s,s:s}", "op", c, "port", argv[1])
			       : NULL;
	if (strcmp(c, "add-filter-rule") == 0 || strcmp(c, "del-filter-rule") == 0) {
		if (!nargs(c, n, 3, -1, err, errlen) || !is_dir(argv[2], err, errlen))
			return NULL;
		join(n - 2, argv + 3, " ", text, sizeof(text));
		return json_pack("{s:s,s:s,s:s,s:s}", "op", c, "port", argv[1], "direction",
				 argv[2], "rule", text);
	}
	if (strcmp(c, "set-filter-default") == 0) {
		if (!nargs(c, n, 3, 3, err, errlen) || !is_dir(argv[2], err, errlen))
			return NULL;
		if (strcmp(argv[3], "allow") != 0 && strcmp(argv[3], "deny") != 0) {
			snprintf(err, errlen, "'%s': expected allow or deny", argv[3]);
			return NULL;
		}
		return json_pack("{s:s,s:s,s:s,s:s}", "op", c, "port", argv[1], "direction",
				 argv[2], "policy", argv[3]);
	}
	err[0] = '\0';
	return NULL;
}

/* One write command (argv[0] is its name, options already removed; id:
 * its --id=@name or NULL). */
static json_t *parse_write(int argc, char **argv, bool may_exist, bool if_exists, const char *id,
			   char *err, size_t errlen)
{
	const char *c = argv[0], *table;
	int n = argc - 1;
	json_t *op = NULL, *sets;

	if (id != NULL && strcmp(c, "create") != 0 && strcmp(c, "get") != 0) {
		snprintf(err, errlen, "--id names the record of a create or get, not of '%s'", c);
		return NULL;
	}
	if (strcmp(c, "create") == 0) {
		if (!nargs(c, n, 1, -1, err, errlen) ||
		    (table = canon_table_of(argv[1], true, err, errlen)) == NULL)
			return NULL;
		sets = parse_sets(n - 1, argv + 2, err, errlen);
		if (sets)
			op = json_pack("{s:s,s:s,s:o}", "op", c, "table", table, "sets", sets);
	} else if (strcmp(c, "get") == 0) {
		/* in a chain, get names a record for the others (--id=@p get Port P) */
		if (nargs(c, n, 2, 2, err, errlen) &&
		    (table = canon_table(argv[1], err, errlen)) != NULL)
			op = json_pack("{s:s,s:s,s:s}", "op", c, "table", table, "record", argv[2]);
	} else if (strcmp(c, "add-br") == 0) {
		if (!nargs(c, n, 1, -1, err, errlen))
			return NULL;
		sets = parse_sets(n - 1, argv + 2, err, errlen);
		if (sets)
			op = json_pack("{s:s,s:s,s:b,s:o}", "op", c, "bridge", argv[1], "may_exist",
				       may_exist, "sets", sets);
	} else if (strcmp(c, "del-br") == 0) {
		if (nargs(c, n, 1, 1, err, errlen))
			op = json_pack("{s:s,s:s,s:b}", "op", c, "bridge", argv[1], "if_exists",
				       if_exists);
	} else if (strcmp(c, "add-port") == 0) {
		if (!nargs(c, n, 2, -1, err, errlen))
			return NULL;
		sets = parse_sets(n - 2, argv + 3, err, errlen);
		if (sets)
			op = json_pack("{s:s,s:s,s:s,s:b,s:o}", "op", c, "bridge", argv[1], "port",
				       argv[2], "may_exist", may_exist, "sets", sets);
	} else if (strcmp(c, "del-port") == 0) {
		if (nargs(c, n, 1, 2, err, errlen))
			op = json_pack("{s:s,s:s,s:b}", "op", c, "port", argv[n], "if_exists",
				       if_exists);
		if (op && n == 2)
			json_object_set_new(op, "bridge", json_string(argv[1]));
	} else if (strcmp(c, "set") == 0) {
		if (!nargs(c, n, 3, -1, err, errlen) ||
		    (table = canon_table(argv[1], err, errlen)) == NULL)
			return NULL;
		sets = parse_sets(n - 2, argv + 3, err, errlen);
		if (sets)
			op = json_pack("{s:s,s:s,s:s,s:o}", "op", c, "table", table, "record",
				       argv[2], "sets", sets);
	} else if (strcmp(c, "remove") == 0) {
		if (nargs(c, n, 4, 4, err, errlen) &&
		    (table = canon_table(argv[1], err, errlen)) != NULL)
			op = json_pack("{s:s,s:s,s:s,s:s,s:s}", "op", c, "table", table, "record",
				       argv[2], "column", argv[3], "key", argv[4]);
	} else if (strcmp(c, "add") == 0) {
		json_t *vals = json_array();

		if (!nargs(c, n, 4, -1, err, errlen) ||
		    (table = canon_table(argv[1], err, errlen)) == NULL) {
			json_decref(vals);
			return NULL;
		}
		for (int i = 4; i < argc; i++)
			json_array_append_new(vals, json_string(argv[i]));
		op = json_pack("{s:s,s:s,s:s,s:s,s:o}", "op", c, "table", table, "record", argv[2],
			       "column", argv[3], "values", vals);
	} else if (strcmp(c, "clear") == 0) {
		if (nargs(c, n, 3, 3, err, errlen) &&
		    (table = canon_table(argv[1], err, errlen)) != NULL)
			op = json_pack("{s:s,s:s,s:s,s:s}", "op", c, "table", table, "record",
				       argv[2], "column", argv[3]);
	} else {
		op = parse_filter_write(c, n, argv, err, errlen);
		if (op == NULL && err[0] == '\0')
			snprintf(err, errlen, "unknown command '%s' (kvsctl --help lists them)", c);
	}
	return op;
}

struct read_cmd {
	const char *name;
	const char *method;
	int min, max;
	const char *arg; /* name of the optional/required argument */
};

/* Commands that are one request of their own, not a transaction: the views,
 * and pmd-rxq-rebalance, an action on the running switch that changes no
 * configuration. */
static const struct read_cmd reads[] = {
	{"show", "show", 0, 0, NULL},
	{"list-br", "list-br", 0, 0, NULL},
	{"list-ports", "list-ports", 1, 1, "bridge"},
	{"list-ifaces", "list-ports", 1, 1, "bridge"}, /* one record per port here */
	{"br-exists", "br-exists", 1, 1, "bridge"},
	{"port-to-br", "port-to-br", 1, 1, "port"},
	{"iface-to-br", "port-to-br", 1, 1, "port"},
	{"pmd-stats-show", "pmd-stats-show", 0, 0, NULL},
	{"dpif-netdev/pmd-stats-show", "pmd-stats-show", 0, 0, NULL},
	{"pmd-stats-clear", "pmd-stats-clear", 0, 0, NULL},
	{"dpif-netdev/pmd-stats-clear", "pmd-stats-clear", 0, 0, NULL},
	{"pmd-perf-show", "pmd-perf-show", 0, 0, NULL},
	{"dpif-netdev/pmd-perf-show", "pmd-perf-show", 0, 0, NULL},
	{"pmd-rxq-show", "pmd-rxq-show", 0, 0, NULL},
	{"dpif-netdev/pmd-rxq-show", "pmd-rxq-show", 0, 0, NULL},
	{"pmd-rxq-rebalance", "pmd-rxq-rebalance", 0, 0, NULL},
	{"dpif-netdev/pmd-rxq-rebalance", "pmd-rxq-rebalance", 0, 0, NULL},
	{"fdb/show", "fdb/show", 1, 1, "bridge"},
	{"fdb/flush", "fdb/flush", 0, 1, "bridge"},
	{"fdb/stats-show", "fdb/stats-show", 1, 1, "bridge"},
	{"fdb/stats-clear", "fdb/stats-clear", 0, 1, "bridge"},
	{"port-stats", "port-stats", 0, 1, "port"},
	{"memory/show", "memory/show", 0, 0, NULL},
	{"drop-reasons", "drop-reasons", 0, 0, NULL},
	{"list-filter-rules", "list-filter-rules", 1, 1, "port"},
	{"version", "version", 0, 0, NULL},
};

static json_t *parse_read(const struct read_cmd *r, int argc, char **argv, char *err, size_t errlen)
{
	json_t *params = json_object();

	if (!nargs(r->name, argc - 1, r->min, r->max, err, errlen)) {
		json_decref(params);
		return NULL;
	}
	if (argc > 1)
		json_object_set_new(params, r->arg, json_string(argv[1]));
	return json_pack("{s:s,s:o}", "method", r->method, "params", params);
}

static json_t *parse_get(int argc, char **argv, char *err, size_t errlen)
{
	const char *colon;
	json_t *p;

	const char *table;

	if (!nargs("get", argc - 1, 3, 3, err, errlen) ||
	    (table = canon_table(argv[1], err, errlen)) == NULL)
		return NULL;
	p = json_pack("{s:s,s:s}", "table", table, "record", argv[2]);
	colon = strchr(argv[3], ':');
	if (colon) {
		json_object_set_new(p, "column", json_stringn(argv[3], (size_t)(colon - argv[3])));
		json_object_set_new(p, "key", json_string(colon + 1));
	} else {
		json_object_set_new(p, "column", json_string(argv[3]));
	}
	return json_pack("{s:s,s:o}", "method", "get", "params", p);
}

/* list TABLE [RECORD...] | find TABLE [COLUMN[:KEY]=VALUE...] */
static json_t *parse_list(int argc, char **argv, char *err, size_t errlen)
{
	bool find = strcmp(argv[0], "find") == 0;
	const char *table;
	json_t *p, *more;

	if (!nargs(argv[0], argc - 1, 1, -1, err, errlen) ||
	    (table = canon_table(argv[1], err, errlen)) == NULL)
		return NULL;
	if (find) {
		more = parse_sets(argc - 2, argv + 2, err, errlen);
		if (more == NULL)
			return NULL;
	} else {
		more = json_array();
		for (int i = 2; i < argc; i++)
			json_array_append_new(more, json_string(argv[i]));
	}
	p = json_pack("{s:s,s:o}", "table", table, find ? "conditions" : "records", more);
	return json_pack("{s:s,s:o}", "method", argv[0], "params", p);
}

/* A whole non-negative decimal number no larger than max. */
static bool parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0' && *out <= max;
}

/*
 * capture PORT [--direction|-Q rx|tx|both] [--count|-c N] [--duration S]
 *         [--snaplen|-s B] [-w FILE|-] [EXPRESSION...]
 * The words after the options are the expression, joined by spaces as
 * tcpdump joins them.  The output file goes in "write" beside method and
 * params: kvsctl's business, not the daemon's.
 */
static json_t *parse_capture(int argc, char **argv, char *err, size_t errlen)
{
	json_t *p = json_object(), *req;
	const char *write = NULL;
	char expr[4096] = "";
	size_t elen = 0;
	int k;

	if (argc < 2 || argv[1][0] == '-') {
		snprintf(err, errlen, "capture: give a port first (kvsctl capture PORT ...)");
		json_decref(p);
		return NULL;
	}
	json_object_set_new(p, "port", json_string(argv[1]));
	for (k = 2; k < argc && argv[k][0] == '-' && argv[k][1] != '\0'; k++) {
		const char *o = argv[k], *eq = strchr(o, '='), *v;
		char name[16];
		unsigned long long n;

		if (strcmp(o, "--") == 0) {
			k++;
			break;
		}
		/* --opt=value or --opt value, as kvsctl's global options */
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - o) : (int)strlen(o), o);
		if (strcmp(name, "--direction") != 0 && strcmp(name, "-Q") != 0 &&
		    strcmp(name, "--count") != 0 && strcmp(name, "-c") != 0 &&
		    strcmp(name, "--duration") != 0 && strcmp(name, "--snaplen") != 0 &&
		    strcmp(name, "-s") != 0 && strcmp(name, "-w") != 0 &&
		    strcmp(name, "--write") != 0) {
			snprintf(err, errlen,
				 "capture: unknown option '%s' (kvsctl --help lists capture's)", o);
			goto fail;
		}
		v = eq ? eq + 1 : k + 1 < argc ? argv[++k] : NULL;
		if (v == NULL) {
			snprintf(err, errlen, "capture: %s needs a value", name);
			goto fail;
		}
		if (strcmp(name, "--direction") == 0 || strcmp(name, "-Q") == 0) {
			if (strcmp(v, "in") == 0 || strcmp(v, "out") == 0 ||
			    strcmp(v, "inout") == 0)
				v = v[0] == 'o'   ? "tx"
				    : v[2] == 'o' ? "both"
						  : "rx"; /* tcpdump's words */
			if (strcmp(v, "rx") != 0 && strcmp(v, "tx") != 0 &&
			    strcmp(v, "both") != 0) {
				snprintf(err, errlen,
					 "capture: direction '%s': give rx, tx or both", v);
				goto fail;
			}
			json_object_set_new(p, "direction", json_string(v));
		} else if (strcmp(name, "--count") == 0 || strcmp(name, "-c") == 0) {
			if (!parse_num(v, 1ull << 62, &n) || n == 0) {
				snprintf(err, errlen,
					 "capture: count '%s': give a number of frames", v);
				goto fail;
			}
			json_object_set_new(p, "count", json_integer((json_int_t)n));
		} else if (strcmp(name, "--duration") == 0) {
			if (!parse_num(v, 86400ull * 365, &n) || n == 0) {
				snprintf(err, errlen, "capture: duration '%s': give whole seconds",
					 v);
				goto fail;
			}
			json_object_set_new(p, "duration", json_integer((json_int_t)n));
		} else if (strcmp(name, "--snaplen") == 0 || strcmp(name, "-s") == 0) {
			if (!parse_num(v, 262144, &n)) { /* 0: all of it, as tcpdump */
				snprintf(err, errlen,
					 "capture: snaplen '%s': give 1 to 262144 bytes (0: all)",
					 v);
				goto fail;
			}
			json_object_set_new(p, "snaplen", json_integer((json_int_t)n));
		} else {
			write = v;
		}
	}
	for (; k < argc; k++) {
		size_t l = strlen(argv[k]);

		if (elen + l + 2 > sizeof(expr)) {
			snprintf(err, errlen, "capture: expression longer than %zu bytes",
				 sizeof(expr) - 1);
			goto fail;
		}
		if (elen > 0)
			expr[elen++] = ' ';
		memcpy(expr + elen, argv[k], l + 1);
		elen += l;
	}
	if (elen > 0)
		json_object_set_new(p, "expression", json_string(expr));
	req = json_pack("{s:s,s:o}", "method", "capture", "params", p);
	if (write != NULL)
		json_object_set_new(req, "write", json_string(write));
	return req;
fail:
	json_decref(p);
	return NULL;
}

/*
 * trace --frame HEX PORT: one request, answered with the steps.
 * trace PORT [N]: the next N frames PORT receives (default 1): a capture of
 * them (rx, count N) whose frames kvsctl sends back as trace requests, so
 * the request is a capture's, marked "trace".
 */
static json_t *parse_trace(int argc, char **argv, char *err, size_t errlen)
{
	unsigned long long n = 1;

	if (argc == 4 && (strcmp(argv[1], "--frame") == 0 || strcmp(argv[1], "-f") == 0))
		return json_pack("{s:s,s:{s:s,s:s}}", "method", "trace", "params", "port", argv[3],
				 "frame", argv[2]);
	if (argc < 2 || argc > 3 || argv[1][0] == '-') {
		snprintf(err, errlen, "trace: give PORT [N] or --frame HEX PORT");
		return NULL;
	}
	if (argc == 3 && (!parse_num(argv[2], 10000, &n) || n == 0)) {
		snprintf(err, errlen, "trace: '%s': give a number of frames, 1 to 10000", argv[2]);
		return NULL;
	}
	return json_pack("{s:s,s:{s:s,s:s,s:I},s:b}", "method", "capture", "params", "port",
			 argv[1], "direction", "rx", "count", (json_int_t)n, "trace", 1);
}

json_t *cli_parse(int argc, char **argv, char *err, size_t errlen)
{
	json_t *ops;
	size_t i;
	int start = 0, k;

	err[0] = '\0';
	if (argc == 0) {
		snprintf(err, errlen, "no command given (kvsctl --help lists them)");
		return NULL;
	}
	/* Requests are JSON, whose strings are UTF-8: name the argument that
	 * is not, rather than fail later in json_pack with no message. */
	for (k = 0; k < argc; k++) {
		json_t *j = json_string(argv[k]);

		if (j == NULL) {
			snprintf(err, errlen, "argument %d is not valid UTF-8", k + 1);
			return NULL;
		}
		json_decref(j);
	}
	for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		if (strcmp(argv[0], reads[i].name) == 0)
			return parse_read(&reads[i], argc, argv, err, errlen);
	if (strcmp(argv[0], "get") == 0)
		return parse_get(argc, argv, err, errlen);
	if (strcmp(argv[0], "capture") == 0)
		return parse_capture(argc, argv, err, errlen);
	if (strcmp(argv[0], "trace") == 0)
		return parse_trace(argc, argv, err, errlen);
	if (strcmp(argv[0], "list") == 0 || strcmp(argv[0], "find") == 0)
		return parse_list(argc, argv, err, errlen);

	ops = json_array();
	while (start < argc) {
		bool may_exist = false, if_exists = false;
		const char *id = NULL;
		json_t *op;
		int end = start;

		while (end < argc && strcmp(argv[end], "--") != 0)
			end++;
		if (end == 0) { /* ovs-vsctl -- --id=@p ...: an empty first command */
			start = 1;
			continue;
		}
		k = start;
		while (k < end && strncmp(argv[k], "--", 2) == 0) {
			if (strcmp(argv[k], "--may-exist") == 0)
				may_exist = true;
			else if (strcmp(argv[k], "--if-exists") == 0)
				if_exists = true;
			else if (strncmp(argv[k], "--id=", 5) == 0)
				id = argv[k] + 5;
			else {
				snprintf(err, errlen, "unknown option '%s'", argv[k]);
				json_decref(ops);
				return NULL;
			}
			k++;
		}
		if (k == end) {
			snprintf(err, errlen, "empty command between '--' separators");
			json_decref(ops);
			return NULL;
		}
		op = parse_write(end - k, argv + k, may_exist, if_exists, id, err, errlen);
		if (op != NULL && id != NULL)
			json_object_set_new(op, "id", json_string(id));
		if (op == NULL) {
			if (err[0] == '\0')
				snprintf(err, errlen, "'%s': cannot be encoded", argv[k]);
			json_decref(ops);
			return NULL;
		}
		json_array_append_new(ops, op);
		start = end + 1;
	}
	return json_pack("{s:s,s:o}", "method", "transact", "params", ops);
}
