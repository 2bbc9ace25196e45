/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * unixctl: ovs-appctl's commands on kvswitchd (unixctl.h).  Each command is
 * a line of the table below: its OVS name, its usage, and either the
 * control-socket view it shows (with how its arguments become that view's
 * parameters) or a handler of its own (vlog, dpctl/show, exit).  Answers
 * are the same text kvsctl prints, so the two never disagree.
 *
 * Clients are few and short-lived (ovs-appctl sends one request and
 * waits); at most UNIXCTL_MAX_CLIENTS at once, the next ones waiting in the
 * listen backlog.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_log.h>
#include <rte_version.h>

#include "control/cmd.h"
#include "control/db.h"
#include "control/jsonrpc.h"
#include "control/state.h"
#include "control/unixctl.h"
#include "dataplane/drop.h"

#define UNIXCTL_MAX_CLIENTS 16
#define UNIXCTL_MAX_ARGS    8

static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char pid_path[4096];
static struct jsonrpc *clients[UNIXCTL_MAX_CLIENTS];
static bool exit_asked;
static int pid_fd = -1; /* holds the pidfile's lock: ovs-appctl checks it */

/* A handler: text in *out (malloc'd) and 0, or -errno with err set. */
typedef int (*unixctl_fn)(int argc, const char *argv[], char **out, char *err, size_t errlen);

static int view_text(const char *method, json_t *params, char **out, char *err, size_t errlen)
{
	int code = 0;
	json_t *r = cmd_dispatch(method, params, &code, err, errlen);
	const char *text;

	json_decref(params);
	if (r == NULL)
		return code ? code : -EINVAL;
	text = json_string_value(json_object_get(r, "text"));
	*out = strdup(text ? text : "");
	json_decref(r);
	return *out ? 0 : -ENOMEM;
}

/* [-pmd CORE] [DP]: the datapath name is OVS's ("netdev@ovs-netdev"); kvswitch
 * has one datapath and takes any. */
static json_t *pmd_params(int argc, const char *argv[], char *err, size_t errlen)
{
	json_t *p = json_object();

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-pmd") == 0 && i + 1 < argc) {
			char *end;
			long core = strtol(argv[++i], &end, 10);

			if (*end || core < 0) {
				snprintf(err, errlen, "-pmd '%s': not a core number", argv[i]);
				json_decref(p);
				return NULL;
			}
			json_object_set_new(p, "pmd", json_integer(core));
		}
	}
	return p;
}

#define PMD_VIEW(fn, method)                                                                       \
	static int fn(int argc, const char *argv[], char **out, char *err, size_t errlen)          \
	{                                                                                          \
		json_t *p = pmd_params(argc, argv, err, errlen);                                   \
		return p ? view_text(method, p, out, err, errlen) : -EINVAL;                       \
	}
PMD_VIEW(uc_pmd_stats_show, "pmd-stats-show")
PMD_VIEW(uc_pmd_stats_clear, "pmd-stats-clear")
PMD_VIEW(uc_pmd_perf_show, "pmd-perf-show")
PMD_VIEW(uc_pmd_rxq_show, "pmd-rxq-show")
PMD_VIEW(uc_pmd_rxq_rebalance, "pmd-rxq-rebalance")

#define BRIDGE_VIEW(fn, method)                                                                    \
	static int fn(int argc, const char *argv[], char **out, char *err, size_t errlen)          \
	{                                                                                          \
		return view_text(method,                                                           \
				 argc ? json_pack("{s:s}", "bridge", argv[0]) : json_object(),     \
				 out, err, errlen);                                                \
	}
BRIDGE_VIEW(uc_fdb_show, "fdb/show")
BRIDGE_VIEW(uc_fdb_flush, "fdb/flush")
BRIDGE_VIEW(uc_fdb_stats_show, "fdb/stats-show")
BRIDGE_VIEW(uc_fdb_stats_clear, "fdb/stats-clear")

static int uc_memory_show(int argc, const char *argv[], char **out, char *err, size_t errlen)
{
	(void)argc, (void)argv;
	return view_text("memory/show", json_object(), out, err, errlen);
}

static int uc_port_stats(int argc, const char *argv[], char **out, char *err, size_t errlen)
{
	return view_text("port-stats", argc ? json_pack("{s:s}", "port", argv[0]) : json_object(),
			 out, err, errlen);
}

/* ovs-appctl dpctl/show [-s]: the datapath's ports with their numbers. */
static int uc_dpctl_show(int argc, const char *argv[], char **out, char *err, size_t errlen)
{
	bool stats = false;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)err, (void)errlen;
	for (int i = 0; i < argc; i++)
		stats = stats || strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--statistics") == 0;
	f = open_memstream(&text, &len);
	if (f == NULL)
		return -ENOMEM;
	fprintf(f, "netdev@ovs-netdev:\n  ports: %u\n", sw.n_ports);
	for (unsigned int i = 0; i < sw.n_ports; i++) {
		const struct sw_port *sp = sw.ports[i];
		struct dp_port_totals t;
		uint64_t rxd = 0, txd = 0;

		if (sp->dp == NULL) {
			fprintf(f, "  port -: %s (%s, not open: %s)\n", sp->name,
				sp->cfg.type == DB_PORT_DPDK ? "dpdk" : "dpdkvhostuser", sp->error);
			continue;
		}
		fprintf(f, "  port %u: %s (%s)\n", sw_ofport(sp->dp), sp->name,
			sp->cfg.type == DB_PORT_DPDK           ? "dpdk"
			: sp->cfg.type == DB_PORT_VHOST_CLIENT ? "dpdkvhostuserclient"
							       : "dpdkvhostuser");
		if (!stats)
			continue;
		dp_port_totals(sp->dp, &t);
		for (int r = 0; r < DP_DROP_MAX; r++)
			rxd += t.rx_drops[r], txd += t.tx_drops[r];
		fprintf(f, "    RX packets:%lu errors:0 dropped:%lu\n", t.rx_packets, rxd);
		fprintf(f, "    TX packets:%lu errors:0 dropped:%lu\n", t.tx_packets, txd);
		fprintf(f, "    RX bytes:%lu  TX bytes:%lu\n", t.rx_bytes, t.tx_bytes);
	}
	fclose(f);
	*out = text;
	return 0;
}

/* coverage/show: kvswitch's event counters are its named drops, totalled over
 * ports (per port: dpctl/show -s, kvsctl port-stats). */
static int uc_coverage_show(int argc, const char *argv[], char **out, char *err, size_t errlen)
{
	uint64_t tot[DP_DROP_MAX] = {0};
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)argc, (void)argv, (void)err, (void)errlen;
	for (unsigned int i = 0; i < sw.n_ports; i++) {
		struct dp_port_totals t;

		if (sw.ports[i]->dp == NULL)
			continue;
		dp_port_totals(sw.ports[i]->dp, &t);
		for (int r = 0; r < DP_DROP_MAX; r++)
			tot[r] += t.rx_drops[r] + t.tx_drops[r];
	}
	f = open_memstream(&text, &len);
	if (f == NULL)
		return -ENOMEM;
	fprintf(f, "Event coverage (kvswitch: drops by reason, all ports, since start):\n");
	for (int r = 0; r < DP_DROP_MAX; r++)
		fprintf(f, "drop_%-24s total: %lu\n", dp_drop_name(r), tot[r]);
	fclose(f);
	*out = text;
	return 0;
}

/* ---- vlog: DPDK's log types are kvswitch's log modules ---- */

static const struct {
	const char *name;
	uint32_t level;
} vlog_levels[] = {
	{"off", RTE_LOG_EMERG},    {"emer", RTE_LOG_EMERG}, {"err", RTE_LOG_ERR},
	{"warn", RTE_LOG_WARNING}, {"info", RTE_LOG_INFO},  {"dbg", RTE_LOG_DEBUG},
};

static const char *level_name(int level)
{
	for (size_t i = 1; i < RTE_DIM(vlog_levels); i++)
		if ((int)vlog_levels[i].level == level)
			return vlog_levels[i].name;
	return level > (int)RTE_LOG_INFO ? "dbg" : "err";
}

/* kvswitch's own two modules go by names a user can guess */
static const char *module_alias(const char *m)
{
	if (strcmp(m, "control") == 0)
		return "user2";
	if (strcmp(m, "dataplane") == 0)
		return "user1";
	return m;
}

/* rte_log_dump() into a string: "id N: NAME, level is LEVEL" per type. */
static char *log_dump(void)
{
	char *dump = NULL;
	size_t len = 0;
	FILE *d = open_memstream(&dump, &len);

	if (d == NULL)
		return NULL;
	rte_log_dump(d);
	fclose(d);
	return dump;
}

static bool module_exists(const char *name)
{
	char *dump = log_dump(), *line, *save = NULL;
	bool found = false;

	for (line = dump ? strtok_r(dump, "\n", &save) : NULL; line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char n[128];
		int type;

		found = sscanf(line, "id %d: %127[^,],", &type, n) == 2 && strcmp(n, name) == 0;
	}
	free(dump);
	return found;
}

static int uc_vlog_list(int argc, const char *argv[], char **out, char *err, size_t errlen)
{
	char *dump = log_dump(), *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f;

	(void)argc, (void)argv, (void)err, (void)errlen;
	if (dump == NULL)
		return -ENOMEM;
	f = open_memstream(&text, &len);
	if (f == NULL) {
		free(dump);
		return -ENOMEM;
	}
	fprintf(f, "                 console    syslog    file\n");
	fprintf(f, "                 -------    ------    ------\n");
	for (line = strtok_r(dump, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];
		int type;

		if (sscanf(line, "id %d: %127[^,],", &type, name) != 2)
			continue;
		if (strcmp(name, "user1") == 0)
			snprintf(name, sizeof(name), "dataplane");
		else if (strcmp(name, "user2") == 0)
			snprintf(name, sizeof(name), "control");
		/* one stream for every module: kvswitchd's stderr (the journal) */
		fprintf(f, "%-24s %-10s %-9s %s\n", name,
			level_name(rte_log_get_level((uint32_t)type)), "-", "-");
	}
	fclose(f);
	free(dump);
	*out = text;
	return 0;
}

/* vlog/set [SPEC...]: SPEC is MODULE[:DEST][:LEVEL] as in OVS, where MODULE
 * is a DPDK log type, a pattern of them ("lib.vhost*"), "any", "control"
 * or "dataplane"; DEST (console, syslog, file, any) is accepted and
 * ignored: every module logs to kvswitchd's one stream. */
static int uc_vlog_set(int argc, const char *argv[], char **out, char *err, size_t errlen)
{
	for (int i = 0; i < argc; i++) {
		char spec[256], *parts[3], *save = NULL, *tok;
		const char *module = "any";
		int n = 0, level = -1;

		snprintf(spec, sizeof(spec), "%s", argv[i]);
		for (tok = strtok_r(spec, ":", &save); tok && n < 3;
		     tok = strtok_r(NULL, ":", &save))
			parts[n++] = tok;
		for (int k = 0; k < n; k++) {
			size_t l;

			for (l = 0; l < RTE_DIM(vlog_levels); l++)
				if (strcmp(parts[k], vlog_levels[l].name) == 0)
					break;
			if (l < RTE_DIM(vlog_levels)) {
				level = (int)vlog_levels[l].level;
				continue;
			}
			if (strcmp(parts[k], "console") == 0 || strcmp(parts[k], "syslog") == 0 ||
			    strcmp(parts[k], "file") == 0)
				continue;
			module = module_alias(parts[k]);
		}
		if (level < 0) {
			snprintf(err, errlen,
				 "vlog/set '%s': no level (off, emer, err, warn, info, dbg)",
				 argv[i]);
			return -EINVAL;
		}
		if (strcasecmp(module, "any") == 0) /* OVS writes ANY */
			module = "*";
		if (strchr(module, '*') == NULL && !module_exists(module)) {
			snprintf(err, errlen, "vlog/set '%s': unknown module (see vlog/list)",
				 argv[i]);
			return -EINVAL;
		}
		if (rte_log_set_level_pattern(module, (uint32_t)level) < 0) {
			snprintf(err, errlen, "vlog/set '%s': cannot set module '%s'", argv[i],
				 module);
			return -EINVAL;
		}
	}
	*out = strdup("");
	return *out ? 0 : -ENOMEM;
}

static int uc_version(int argc, const char *argv[], char **out, char *err, size_t errlen)
{
	char text[256];

	(void)argc, (void)argv, (void)err, (void)errlen;
	snprintf(text, sizeof(text), "kvswitchd (kvswitch) %s\n%s\n", KVS_VERSION, rte_version());
	*out = strdup(text);
	return *out ? 0 : -ENOMEM;
}

static int uc_do_exit(int argc, const char *argv[], char **out, char *err, size_t errlen)
{
	(void)argc, (void)argv, (void)err, (void)errlen;
	exit_asked = true; /* --cleanup: kvswitchd removes its sockets on any exit */
	*out = strdup("");
	return *out ? 0 : -ENOMEM;
}

static int uc_list_commands(int argc, const char *argv[], char **out, char *err, size_t errlen);

static const struct unixctl_cmd {
	const char *name;
	const char *usage;
	int min_args, max_args;
	unixctl_fn fn;
} commands[] = {
	{"coverage/show", "", 0, 0, uc_coverage_show},
	{"dpctl/show", "[-s] [DP]", 0, 2, uc_dpctl_show},
	{"dpif-netdev/pmd-perf-show", "[-pmd CORE] [DP]", 0, 3, uc_pmd_perf_show},
	{"dpif-netdev/pmd-rxq-rebalance", "[DP]", 0, 1, uc_pmd_rxq_rebalance},
	{"dpif-netdev/pmd-rxq-show", "[-pmd CORE] [DP]", 0, 3, uc_pmd_rxq_show},
	{"dpif-netdev/pmd-stats-clear", "[-pmd CORE] [DP]", 0, 3, uc_pmd_stats_clear},
	{"dpif-netdev/pmd-stats-show", "[-pmd CORE] [DP]", 0, 3, uc_pmd_stats_show},
	{"exit", "[--cleanup]", 0, 1, uc_do_exit},
	{"fdb/flush", "[BRIDGE]", 0, 1, uc_fdb_flush},
	{"fdb/show", "BRIDGE", 1, 1, uc_fdb_show},
	{"fdb/stats-clear", "[BRIDGE]", 0, 1, uc_fdb_stats_clear},
	{"fdb/stats-show", "BRIDGE", 1, 1, uc_fdb_stats_show},
	{"list-commands", "", 0, 0, uc_list_commands},
	{"memory/show", "", 0, 0, uc_memory_show},
	{"netdev-dpdk/get-mempool-info", "[INTERFACE]", 0, 1, uc_memory_show},
	{"netdev/show", "[INTERFACE]", 0, 1, uc_port_stats},
	{"version", "", 0, 0, uc_version},
	{"vlog/list", "", 0, 0, uc_vlog_list},
	{"vlog/set", "{SPEC | PATTERN:DEST:PATTERN}", 1, UNIXCTL_MAX_ARGS, uc_vlog_set},
};

static int uc_list_commands(int argc, const char *argv[], char **out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)argc, (void)argv, (void)err, (void)errlen;
	if (f == NULL)
		return -ENOMEM;
	fprintf(f, "The available commands are:\n");
	for (size_t i = 0; i < RTE_DIM(commands); i++)
		fprintf(f, "  %-32s%s\n", commands[i].name, commands[i].usage);
	fclose(f);
	*out = text;
	return 0;
}

static json_t *handle(json_t *req)
{
	const char *method = json_string_value(json_object_get(req, "method"));
	json_t *params = json_object_get(req, "params"), *id = json_object_get(req, "id"), *p;
	const char *argv[UNIXCTL_MAX_ARGS];
	char err[DB_ERR_LEN] = "", *out = NULL;
	const struct unixctl_cmd *c = NULL;
	int argc = 0, rc;
	json_t *resp;
	size_t i;

	if (method == NULL || !json_is_array(params) || id == NULL) {
		snprintf(err, sizeof(err), "not a JSON-RPC request");
		goto error;
	}
	for (i = 0; i < RTE_DIM(commands); i++)
		if (strcmp(commands[i].name, method) == 0)
			c = &commands[i];
	if (c == NULL) {
		snprintf(err, sizeof(err), "\"%s\" is not a valid command (use list-commands)",
			 method);
		goto error;
	}
	json_array_foreach(params, i, p)
	{
		if (!json_is_string(p) || argc == UNIXCTL_MAX_ARGS) {
			snprintf(err, sizeof(err), "\"%s\": arguments must be at most %d strings",
				 method, UNIXCTL_MAX_ARGS);
			goto error;
		}
		argv[argc++] = json_string_value(p);
	}
	if (argc < c->min_args || argc > c->max_args) {
		snprintf(err, sizeof(err), "\"%s\" command takes %s (usage: %s %s)", method,
			 c->min_args == c->max_args ? "exactly that many arguments"
						    : "a different number of arguments",
			 method, c->usage);
		goto error;
	}
	rc = c->fn(argc, argv, &out, err, sizeof(err));
	if (rc < 0) {
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "%s", strerror(-rc));
		goto error;
	}
	resp = json_pack("{s:O,s:o,s:n}", "id", id, "result", jsonrpc_string(out), "error");
	free(out);
	return resp ? resp
		    : json_pack("{s:O,s:n,s:s}", "id", id, "result", "error", "out of memory");
error:
	/* ovs-appctl prints the error as it is: OVS's end in a newline */
	strncat(err, "\n", sizeof(err) - strlen(err) - 1);
	return json_pack("{s:O,s:n,s:o}", "id", id ? id : json_null(), "result", "error",
			 jsonrpc_string(err));
}

int unixctl_init(const char *rundir, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, n;

	n = snprintf(sock_path, sizeof(sock_path), "%s/ovs-vswitchd.%d.ctl", rundir, getpid());
	if (n < 0 || (size_t)n >= sizeof(sock_path)) {
		snprintf(err, errlen, "ovs-appctl socket path under '%s' is too long", rundir);
		return -ENAMETOOLONG;
	}
	snprintf(pid_path, sizeof(pid_path), "%s/ovs-vswitchd.pid", rundir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	unlink(sock_path); /* our pid's: a stale one of an earlier process */
	if (fchmod(fd, 0700) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 128) < 0) {
		int rc = -errno;

		snprintf(err, errlen, "cannot listen on %s: %s", sock_path, strerror(-rc));
		close(fd);
		return rc;
	}
	/* OVS's pidfile: ovs-appctl believes a pid only while a process holds a
	 * write lock on the file, so a stale file never points at a reused pid */
	pid_fd = open(pid_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (pid_fd >= 0) {
		struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		char text[32];
		int len = snprintf(text, sizeof(text), "%d\n", getpid());

		if (fcntl(pid_fd, F_SETLK, &lk) < 0) {
			snprintf(err, errlen, "%s is locked: another ovs-vswitchd runs", pid_path);
			close(pid_fd);
			pid_fd = -1;
			errno = EBUSY;
		} else if (ftruncate(pid_fd, 0) < 0 || write(pid_fd, text, (size_t)len) != len) {
			snprintf(err, errlen, "cannot write %s: %s", pid_path, strerror(errno));
			close(pid_fd);
			pid_fd = -1;
		}
	} else {
		snprintf(err, errlen, "cannot open %s: %s", pid_path, strerror(errno));
	}
	if (pid_fd < 0) {
		int rc = -errno;

		close(fd);
		unlink(sock_path);
		return rc;
	}
	listen_fd = fd;
	return 0;
}

unsigned int unixctl_pollfds(struct pollfd *fds, unsigned int max)
{
	unsigned int n = 0;

	if (listen_fd < 0)
		return 0;
	if (n < max)
		fds[n++] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
	for (int i = 0; i < UNIXCTL_MAX_CLIENTS && n < max; i++)
		if (clients[i])
			fds[n++] = (struct pollfd){
				.fd = jsonrpc_fd(clients[i]),
				.events = POLLIN | (jsonrpc_wants_write(clients[i]) ? POLLOUT : 0)};
	return n;
}

static void drop_client(int i)
{
	jsonrpc_close(clients[i]);
	clients[i] = NULL;
}

void unixctl_run(void)
{
	int fd, i;

	if (listen_fd < 0)
		return;
	for (i = 0; i < UNIXCTL_MAX_CLIENTS; i++) {
		json_t *req;
		int rc;

		if (clients[i] == NULL)
			continue;
		while ((rc = jsonrpc_recv(clients[i], &req)) == 1) {
			rc = jsonrpc_send(clients[i], handle(req));
			json_decref(req);
			if (rc < 0)
				break;
		}
		/* a client that sent its request and closed still gets the answer */
		if ((rc < 0 && rc != -EPIPE) || jsonrpc_flush(clients[i]) < 0 ||
		    (rc == -EPIPE && !jsonrpc_wants_write(clients[i])))
			drop_client(i);
	}
	/* new clients only into free slots: the others wait in the listen
	 * backlog until an ovs-appctl before them is done (milliseconds) */
	for (i = 0; i < UNIXCTL_MAX_CLIENTS; i++) {
		if (clients[i] != NULL)
			continue;
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			break;
		clients[i] = jsonrpc_open(fd);
	}
}

bool unixctl_exit_asked(void)
{
	return exit_asked;
}

void unixctl_close(void)
{
	if (listen_fd < 0)
		return;
	for (int i = 0; i < UNIXCTL_MAX_CLIENTS; i++)
		if (clients[i])
			drop_client(i);
	close(listen_fd);
	listen_fd = -1;
	unlink(sock_path);
	unlink(pid_path);
	close(pid_fd);
	pid_fd = -1;
}
