/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kvswitchd: the switch daemon.  Loads the configuration file, starts EAL,
 * applies the configuration, then runs the control loop on the main thread:
 * the control socket, vhost events, learn requests (woken by the PMDs'
 * doorbell, dataplane/doorbell.h) and a tick at least every CTL_IDLE_MS for
 * ageing and the periodic work.  The main thread never polls a port; PMD
 * threads do (pmd/).
 *
 * Usage: kvswitchd [--config FILE | --ovsdb unix:PATH [--ovs-rundir DIR]]
 *                  [--unixctl SOCKET] [--no-huge] [--mem MB] [-- EAL ARGS...]
 *
 * Two modes: standalone, where the configuration is a YAML file kvsctl
 * edits; and OVSDB, where it is Open vSwitch's own database, edited with
 * ovs-vsctl, libvirt or ovsdbapp (control/ovsdb_client.h).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "control/capture.h"
#include "control/cmd.h"
#include "control/host_check.h"
#include "control/journal_log.h"
#include "control/metrics.h"
#include "control/mono_clock.h"
#include "control/ovsdb_client.h"
#include "control/ovsdb_map.h"
#include "control/reload.h"
#include "control/rpc.h"
#include "control/sd_service.h"
#include "control/state.h"
#include "control/telemetry.h"
#include "control/unixctl.h"
#include "control/xdp_filter.h"
#include "dataplane/doorbell.h"
#include "vhost-user/vhost_port.h"

/* KVS_SYSCONFDIR: meson's prefix/sysconfdir, /etc for the Debian package */
#define DEFAULT_CONFIG  KVS_SYSCONFDIR "/kvswitch/kvswitch.yaml"
#define DEFAULT_UNIXCTL "/var/run/kvswitch/kvswitchd.ctl"
#define MAX_EAL_ARGS    64

/* The longest the control loop blocks.  Every periodic job (uplink MAC
 * filters and metrics every 100 ms, ageing, pmd-auto-lb, status and OVSDB
 * statistics every second or more) runs at this step or coarser, so blocking
 * longer would stretch them; anything sooner comes as a descriptor event
 * (control clients, vhost events, the PMDs' doorbell).  It was a 1 ms tick:
 * 1000 wake-ups a second on the cores guests run on, which were most of
 * kvswitch's p99 at low load in bench/kvsbench, where the traffic generator
 * shares that core (docs/bench.md).  What it costs: a SIGTERM or SIGHUP
 * that lands between the loop's check of its flag and poll() waits for the
 * end of that poll, CTL_IDLE_MS at most. */
#define CTL_IDLE_MS 100

static volatile sig_atomic_t stop;
static volatile sig_atomic_t reload_asked; /* SIGHUP: systemctl reload */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_sighup(int sig)
{
	(void)sig;
	reload_asked = 1;
}

/* SIGHUP: re-read the configuration file, all or nothing (control/reload.c). */
static void reload_from_file(const char *config)
{
	char err[DB_ERR_LEN];
	int rc;

	if (ovsdb_client_active()) {
		fprintf(stderr,
			"%skvswitchd: SIGHUP ignored: the configuration is the database at %s\n",
			journal_prefix(LOG_INFO), ovsdb_client_remote());
		return;
	}
	sd_service_reloading();
	rc = reload_config(config, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "%skvswitchd: reload refused, configuration unchanged: %s\n",
			journal_prefix(LOG_ERR), err);
	else
		fprintf(stderr, "%skvswitchd: reloaded %s\n", journal_prefix(LOG_INFO), config);
	sd_service_reloaded(rc);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvswitchd [--config FILE | --ovsdb unix:PATH [--ovs-rundir DIR]]\n"
		"                 [--unixctl SOCKET] [--no-huge] [--mem MB] [--version]\n"
		"                 [-- EAL ARGS...]\n"
		"  --config FILE     configuration, rewritten on every change (default %s)\n"
		"  --ovsdb unix:PATH take the configuration from Open vSwitch's ovsdb-server\n"
		"                    instead (ovs-vsctl, libvirt and ovsdbapp configure kvswitch)\n"
		"  --ovs-rundir DIR  with --ovsdb: OVS's run directory, where vhost-user server\n"
		"                    sockets go by default (default $OVS_RUNDIR or %s)\n"
		"  --unixctl SOCKET  control socket for kvsctl (default %s)\n"
		"  --no-huge         run EAL without hugepages (tests)\n"
		"  --mem MB          EAL memory with --no-huge (default 1024)\n"
		"  --version         print the version and exit\n",
		DEFAULT_CONFIG, OVSDB_DEFAULT_RUNDIR, DEFAULT_UNIXCTL);
}

/* Create the directories above path (0755, root's); -errno naming nothing,
 * the caller names the file. */
static int mkdir_parent(const char *path)
{
	char tmp[PATH_MAX], *s;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (s = tmp + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

/* The directory part of path ("." when it has none). */
static void dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* libbpf (the af_xdp PMD loading kvswitch's XDP program, control/xdp_filter.c)
 * asks for locked memory: kernels before 5.11 charge BPF maps to
 * RLIMIT_MEMLOCK, and libbpf checks the limit before loading. */
static void raise_memlock(void)
{
	struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};

	if (setrlimit(RLIMIT_MEMLOCK, &r) == 0 || getrlimit(RLIMIT_MEMLOCK, &r) < 0)
		return;
	/* without CAP_SYS_RESOURCE: as far as the hard limit goes */
	r.rlim_cur = r.rlim_max;
	setrlimit(RLIMIT_MEMLOCK, &r);
	fprintf(stderr,
		"%skvswitchd: RLIMIT_MEMLOCK stays at %llu KiB (no CAP_SYS_RESOURCE): kernels "
		"before 5.11 may refuse af_xdp ports' XDP program\n",
		journal_prefix(LOG_WARNING), (unsigned long long)r.rlim_max / 1024);
}

/* Did the EAL arguments choose which PCI devices EAL probes? */
static bool pci_choice_made(char *const *args, int n)
{
	static const char *const opts[] = {
		"-a",      "-b", "-w", "--allow", "--block", "--pci-whitelist", "--pci-blacklist",
		"--no-pci"};

	for (int i = 0; i < n; i++)
		for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (strncmp(args[i], opts[k], strlen(opts[k])) == 0 &&
			    (args[i][strlen(opts[k])] == '\0' || args[i][strlen(opts[k])] == '=' ||
			     opts[k][1] != '-'))
				return true;
	return false;
}

/* How long the control loop may block, given how many learn requests the
 * last turn applied:
 * - 1 ms, doorbell not armed, after a turn that learned: a storm of new
 *   MACs (a boot, a migration, a guest spraying sources) is drained every
 *   millisecond as before, and costs the PMDs no write() and this thread no
 *   more than 1000 wake-ups a second;
 * - 1 ms while a capture is copying frames (its rings have no doorbell: a
 *   debugging session may cost the wake-ups), or while the OVSDB client has
 *   work no descriptor will signal (ovsdb_client_pending());
 * - otherwise until the next CTL_IDLE_MS step, with the doorbell armed
 *   before the last look at the learn rings (doorbell.h), or 0 if requests
 *   came in the meantime. */
static int loop_timeout(uint64_t *step_ms, unsigned int learned)
{
	uint64_t now = mono_clock_ms();

	if (now >= *step_ms)
		*step_ms = now + CTL_IDLE_MS;
	if (learned > 0 || capture_count() > 0 || ovsdb_client_pending())
		return 1;
	dp_doorbell_arm();
	if (apply_learn_queued()) {
		/* not dp_doorbell_clear(): the eventfd rarely holds a count here,
		 * and if a PMD did write one, the next poll() sees it at once */
		dp_doorbell_disarm();
		return 0;
	}
	return (int)(*step_ms - now);
}

static unsigned int pick_control_core(uint64_t pmd_mask)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), c;

	for (c = 0; c < ncpu && c < 64; c++)
		if (!((pmd_mask >> c) & 1))
			return (unsigned int)c;
	return 0;
}

/* Keep the control thread (and the threads it creates later, such as
 * librte_vhost's) off the PMD cores. */
static void control_affinity(uint64_t pmd_mask)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), c;
	cpu_set_t set;
	int n = 0;

	CPU_ZERO(&set);
	for (c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		if (c >= 64 || !((pmd_mask >> c) & 1)) {
			CPU_SET(c, &set);
			n++;
		}
	if (n == 0)
		for (c = 0; c < ncpu && c < CPU_SETSIZE; c++)
			CPU_SET(c, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"ovsdb", required_argument, NULL, 'o'},
		{"ovs-rundir", required_argument, NULL, 'r'},
		{"unixctl", required_argument, NULL, 'u'},
		{"no-huge", no_argument, NULL, 'n'},
		{"mem", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *config = DEFAULT_CONFIG, *unixctl = DEFAULT_UNIXCTL, *mem = "1024";
	const char *ovsdb = NULL, *ovs_rundir = getenv("OVS_RUNDIR");
	char *file_ovsdb = NULL; /* the file's "ovsdb:" key */
	char *ovs_eal = NULL;    /* EAL arguments from the database */
	char *eal_argv[MAX_EAL_ARGS], core_arg[16], err[DB_ERR_LEN], *extra = NULL;
	char run_dir[PATH_MAX];
	int eal_argc = 0, o, efd, rc, i;
	uint64_t step_ms = 0;     /* the control loop's next CTL_IDLE_MS step */
	unsigned int learned = 0; /* learn requests the last turn applied */
	bool no_huge = false;
	struct db_ovs_cfg ovs;
	struct db *db = NULL;

	journal_log_init(); /* under systemd: "<N>" priorities on every line */
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			config = optarg;
			break;
		case 'u':
			unixctl = optarg;
			break;
		case 'o':
			ovsdb = optarg;
			break;
		case 'r':
			ovs_rundir = optarg;
			break;
		case 'n':
			no_huge = true;
			break;
		case 'm':
			mem = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("kvswitchd %s\n", KVS_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	if (ovsdb == NULL && access(config, F_OK) == 0) {
		db = conf_load(config, err, sizeof(err));
		if (db == NULL) {
			fprintf(stderr, "kvswitchd: %s\n", err);
			return 1;
		}
		/* the file may name the database to follow instead */
		if (db->ovsdb != NULL) {
			ovsdb = file_ovsdb = strdup(db->ovsdb);
			db_destroy(db);
			db = NULL;
		}
	}
	if (ovsdb != NULL) {
		if (ovsdb_client_init(ovsdb, ovs_rundir ? ovs_rundir : OVSDB_DEFAULT_RUNDIR, err,
				      sizeof(err)) < 0) {
			fprintf(stderr, "kvswitchd: %s\n", err);
			return 2;
		}
		/* Open_vSwitch other_config chooses cores and EAL arguments, as
		 * ovs-vswitchd reads dpdk-extra at start; bridges and ports
		 * come with the first turn of the control loop */
		db = ovsdb_client_first_db(10000);
		if (db == NULL)
			return 1;
		config = "";
	} else if (db == NULL) {
		/* A missing file is an empty configuration; its directory is
		 * created now so that the first change can be saved. */
		rc = mkdir_parent(config);
		if (rc < 0) {
			fprintf(stderr, "kvswitchd: cannot create the directory of %s: %s\n",
				config, strerror(-rc));
			return 1;
		}
		db = db_create();
		if (db == NULL)
			return 1;
	}
	snprintf(sw.config_path, sizeof(sw.config_path), "%s", config);
	db_ovs_cfg(db, &ovs);
	sw.control_core = pick_control_core(ovs.pmd_cpu_mask);

	snprintf(core_arg, sizeof(core_arg), "%u", sw.control_core);
	eal_argv[eal_argc++] = argv[0];
	/* --in-memory: no files under /var/run/dpdk, so several switches (and
	 * guests' own DPDK processes) never collide; --no-huge cannot have it */
	eal_argv[eal_argc++] = no_huge ? "--no-shconf" : "--in-memory";
	eal_argv[eal_argc++] = "-l";
	eal_argv[eal_argc++] = core_arg;
	if (no_huge) {
		eal_argv[eal_argc++] = "--no-huge";
		eal_argv[eal_argc++] = "-m";
		eal_argv[eal_argc++] = (char *)mem;
	}
	if (smap_get(&db->other_config, "dpdk-extra")) {
		char *save = NULL, *tok;
		extra = strdup(smap_get(&db->other_config, "dpdk-extra"));
		for (tok = strtok_r(extra, " \t", &save); tok && eal_argc < MAX_EAL_ARGS - 1;
		     tok = strtok_r(NULL, " \t", &save))
			eal_argv[eal_argc++] = tok;
	}
	if (ovsdb != NULL && ovsdb_client_eal_args()[0]) {
		/* OVS's dpdk-socket-mem and friends; with --no-huge, -m sizes
		 * memory and EAL refuses them */
		if (no_huge) {
			fprintf(stderr,
				"%skvswitchd: --no-huge: not passing the database's EAL arguments "
				"'%s'\n",
				journal_prefix(LOG_WARNING), ovsdb_client_eal_args());
		} else {
			char *save = NULL, *tok;

			ovs_eal = strdup(ovsdb_client_eal_args());
			for (tok = ovs_eal ? strtok_r(ovs_eal, " ", &save) : NULL;
			     tok && eal_argc < MAX_EAL_ARGS - 1; tok = strtok_r(NULL, " ", &save))
				eal_argv[eal_argc++] = tok;
		}
	}
	for (i = optind; i < argc && eal_argc < MAX_EAL_ARGS - 1; i++)
		eal_argv[eal_argc++] = argv[i];
	/* EAL probes every PCI device it can at start, and could take one bound
	 * to vfio-pci for a passthrough VM.  An allowlist naming an address no
	 * host has (domain ffff; 0000:00:00.0 is often a host bridge) probes
	 * none; ports still attach theirs by devargs (rte_dev_probe). */
	if (!pci_choice_made(eal_argv, eal_argc) && eal_argc < MAX_EAL_ARGS - 2) {
		eal_argv[eal_argc++] = "-a";
		eal_argv[eal_argc++] = "ffff:ff:1f.7";
	}
	eal_argv[eal_argc] = NULL;
	{
		char line[1024];
		size_t off = 0;

		for (i = 1; i < eal_argc && off < sizeof(line); i++)
			off += (size_t)snprintf(line + off, sizeof(line) - off, " %s", eal_argv[i]);
		fprintf(stderr, "%skvswitchd: EAL arguments:%s\n", journal_prefix(LOG_INFO), line);
	}

	/* Before EAL, so that a second daemon on the same socket stops before
	 * it touches any device.  Requests wait until the loop below runs. */
	rc = mkdir_parent(unixctl);
	if (rc == 0)
		rc = rpc_init(unixctl, cmd_dispatch);
	if (rc < 0) {
		fprintf(stderr, "kvswitchd: cannot listen on %s: %s\n", unixctl,
			rc == -EADDRINUSE ? "another kvswitchd answers on it"
			: rc == -EEXIST   ? "it exists and is not a socket"
					  : strerror(-rc));
		return 1;
	}

	/* Before EAL: it derives the CPU set of its control threads (librte_vhost's
	 * among them) from ours, and those must stay off PMD cores. */
	control_affinity(apply_pmd_cores(ovs.pmd_cpu_mask, sw.control_core));
	raise_memlock(); /* before EAL: it may probe af_xdp devices */
	/* --no-huge may come from dpdk-extra or the command line's EAL part too */
	for (i = 0; i < eal_argc; i++)
		no_huge = no_huge || strcmp(eal_argv[i], "--no-huge") == 0;
	if (!no_huge && host_check_hugepages(HOST_HUGEPAGES_SYSFS, err, sizeof(err)) < 0) {
		fprintf(stderr, "kvswitchd: %s\n", err);
		return 1;
	}
	rc = rte_eal_init(eal_argc, eal_argv);
	if (rc < 0) {
		fprintf(stderr, "kvswitchd: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		rpc_close();
		return 1;
	}
	rte_log_set_level(RTE_LOGTYPE_USER1, RTE_LOG_INFO);
	if (telemetry_init() < 0)
		fprintf(stderr, "%skvswitchd: kvswitch's DPDK telemetry commands not registered\n",
			journal_prefix(LOG_WARNING));
	rte_log_set_level(RTE_LOGTYPE_USER2, RTE_LOG_INFO);

	/* The af_xdp ports' XDP program (0600) goes next to the control
	 * socket: each daemon in its own run directory. */
	dir_of(unixctl, run_dir, sizeof(run_dir));
	rc = xdp_filter_init(run_dir);
	if (rc < 0)
		fprintf(stderr,
			"kvswitchd: cannot write the XDP program to %s: %s; af_xdp ports run "
			"without the kernel half of their ingress rules\n",
			run_dir, strerror(-rc));

	if (dp_rcu_init(DP_MAX_PMDS) < 0) {
		fprintf(stderr, "kvswitchd: cannot allocate the RCU variable\n");
		rpc_close();
		return 1;
	}
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0 || dp_doorbell_open() < 0) {
		perror("kvswitchd: eventfd");
		rpc_close();
		return 1;
	}
	vhost_init(efd);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, on_sighup);

	/* A configuration that cannot be applied at all (not a port that cannot
	 * open: that one is shown by `show`) ends the daemon before READY=1. */
	if (apply_db(db, false, err, sizeof(err)) < 0) {
		fprintf(stderr, "kvswitchd: configuration %s not applied: %s\n", config, err);
		rpc_close();
		return 1;
	}
	/* ovs-appctl finds ovs-vswitchd through OVS's run directory */
	if (ovsdb != NULL &&
	    unixctl_init(ovs_rundir ? ovs_rundir : OVSDB_DEFAULT_RUNDIR, err, sizeof(err)) < 0)
		fprintf(stderr, "%skvswitchd: ovs-appctl cannot reach kvswitchd: %s\n",
			journal_prefix(LOG_WARNING), err);
	sd_service_init();
	sd_service_ready(); /* the control socket and the vhost server sockets exist */
	fprintf(stderr, "%skvswitchd: ready, control socket %s, configuration %s\n",
		journal_prefix(LOG_INFO), unixctl, ovsdb ? ovsdb : config);

	while (!stop) {
		/* control clients, OVSDB, ovs-appctl clients, vhost events, doorbell */
		struct pollfd fds[96];
		unsigned int n = rpc_pollfds(fds, RTE_DIM(fds) - 3);
		unsigned int n_rpc = n;

		n += ovsdb_client_pollfds(fds + n, 1);
		unsigned int n_unixctl = unixctl_pollfds(fds + n, RTE_DIM(fds) - n - 3);
		unsigned int i_metrics = n + n_unixctl;
		bool metrics_ready = false;

		n += n_unixctl;
		n += metrics_pollfds(fds + n, 1);
		fds[n++] = (struct pollfd){.fd = dp_doorbell_fd(), .events = POLLIN};
		fds[n++] = (struct pollfd){.fd = efd, .events = POLLIN};
		bool rang = false;

		if (poll(fds, n, loop_timeout(&step_ms, learned)) > 0) {
			if (fds[n - 1].revents & POLLIN) {
				uint64_t v;
				if (read(efd, &v, sizeof(v)) > 0)
					apply_vhost_events();
			}
			rpc_serve(fds, n_rpc);
			metrics_ready = i_metrics < n - 2 && (fds[i_metrics].revents & POLLIN);
			rang = fds[n - 2].revents & POLLIN;
		}
		/* what rang is drained by apply_tick() below; read() the eventfd
		 * only when it rang, else a learn storm's 1 ms turns would each
		 * pay a syscall for nothing */
		if (rang)
			dp_doorbell_clear();
		else
			dp_doorbell_disarm();
		metrics_run(metrics_ready);
		capture_run();
		ovsdb_client_run();
		unixctl_run();
		if (unixctl_exit_asked())
			stop = 1;
		learned = apply_tick();
		telemetry_refresh();
		if (reload_asked) {
			reload_asked = 0;
			reload_from_file(config);
		}
		sd_service_tick();
	}
	sd_service_stopping();
	fprintf(stderr, "%skvswitchd: exiting\n", journal_prefix(LOG_INFO));
	rpc_close();
	capture_shutdown();
	unixctl_close();
	metrics_stop();
	ovsdb_client_close();
	apply_shutdown();
	dp_doorbell_close();
	db_destroy(sw.db);
	free(extra);
	free(file_ovsdb);
	free(ovs_eal);
	rte_eal_cleanup();
	return 0;
}
