/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_rpc: the control socket's request path as a client reaches it.  The
 * input is what one client writes on its connection, then it hangs up:
 * control/rpc.c frames it into lines, cmd.c dispatches each line, and
 * "transact" edits a clone of the configuration (fuzz_base_conf, restored for
 * every input) and validates it for real (db.c, db_schema.c, filter_cfg.c).
 *
 * What stands in for the running switch: apply_db() is a check of what the
 * real one relies on (below) instead of building dataplane objects; the views
 * that read PMDs, MAC tables and ports answer a fixed stub; the configuration
 * file is not written (its text is checked instead).
 *
 * Invariants, per input:
 * - every complete line gets exactly one answer, in order, and the connection
 *   is served to the end (no hang: a bounded number of poll rounds);
 * - each answer is a JSON object with the request's "id" (null when the
 *   request had none) and exactly one of "result" and "error", an error with
 *   a negative code and a message;
 * - apply is handed only configurations that pass db_validate, whose typed
 *   views hold in-range values, whose YAML dump loads back to the same dump,
 *   and that fit the arrays apply copies them into (SW_MAX_BRIDGES bridges,
 *   DP_MAX_PORTS ports: issue 13, H1; fails until validation enforces them).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "control/balance.h"
#include "control/capture.h"
#include "control/cmd.h"
#include "control/db.h"
#include "control/filter_cfg.h"
#include "control/rpc.h"
#include "control/state.h"
#include "control/trace.h"
#include "tests/fuzz/base_conf.h"
#include "tests/fuzz/db_checks.h"
#include "tests/fuzz/fuzz.h"

struct sw sw;
static struct db *base;
static char sock_path[108];
/* The listening socket and every client slot of control/rpc.c. */
#define RPC_MAX_POLLFDS (1 + 64)

/* ---- what the running switch would provide ---- */

struct sw_port *sw_port_find(const char *name)
{
	(void)name;
	return NULL; /* no dataplane port: views show the configuration only */
}

int balance_rebalance(struct rxq_plan_report *r)
{
	memset(r, 0, sizeof(*r));
	return -EOPNOTSUPP;
}

int apply_db(struct db *db, bool strict, char *err, size_t errlen)
{
	char verr[DB_ERR_LEN];
	size_t i, n_ports = 0;

	(void)strict;
	for (i = 0; i < db->n_bridges; i++)
		n_ports += db->bridges[i]->n_ports;
	if ((db->n_bridges > SW_MAX_BRIDGES || n_ports > DP_MAX_PORTS) && !fuzz_tolerate("h1"))
		fuzz_fail("apply_db handed %zu bridges and %zu ports; control/apply.c holds %d and "
			  "%d (issue 13 H1: validation must refuse this)",
			  db->n_bridges, n_ports, SW_MAX_BRIDGES, DP_MAX_PORTS);
	if (db_validate(db, verr, sizeof(verr)) < 0)
		fuzz_fail("apply_db handed a configuration that does not validate: %s", verr);
	fuzz_check_views(db);
	fuzz_check_reload(db);
	/* A device that cannot be opened: the transaction must fail cleanly. */
	for (i = 0; i < db->n_bridges; i++)
		for (size_t j = 0; j < db->bridges[i]->n_ports; j++) {
			const char *dev =
				smap_get(&db->bridges[i]->ports[j]->options, "dpdk-devargs");
			if (dev && strncmp(dev, "net_fail", 8) == 0) {
				snprintf(err, errlen, "port '%s': cannot open '%s'",
					 db->bridges[i]->ports[j]->name, dev);
				return -ENODEV;
			}
		}
	db_destroy(sw.db);
	sw.db = db;
	return 0;
}

static json_t *stub_view(json_t *params, int *code, char *err, size_t errlen)
{
	(void)params, (void)code, (void)err, (void)errlen;
	return view_new("", json_object());
}

json_t *show_config(json_t *params, int *code, char *err, size_t errlen)
{
	char *text = conf_dump(sw.db);
	json_t *v;

	(void)params, (void)code, (void)err, (void)errlen;
	v = view_new(text, json_object());
	free(text);
	return v;
}

/* The views that read PMDs, MAC tables and ports: their parameter checks
 * need a running dataplane, so they are out of this target's reach. */
#define STUB_VIEW(name)                                                                            \
	json_t *name(json_t *p, int *c, char *e, size_t l)                                         \
	{                                                                                          \
		return stub_view(p, c, e, l);                                                      \
	}
STUB_VIEW(show_pmd_stats)
STUB_VIEW(show_pmd_stats_clear)
STUB_VIEW(show_pmd_perf)
STUB_VIEW(show_pmd_rxq)
STUB_VIEW(show_fdb)
STUB_VIEW(show_fdb_flush)
STUB_VIEW(show_fdb_stats)
STUB_VIEW(show_fdb_stats_clear)
STUB_VIEW(show_port_stats)
STUB_VIEW(show_memory)
STUB_VIEW(show_drop_reasons)
/* capture checks the port first, and no port exists here */
STUB_VIEW(capture_start)
STUB_VIEW(trace_frame)

/* The Interface columns the running switch fills in: none here. */
int cmd_iface_column(const char *iface, const char *column, const char *key, char *out,
		     size_t outlen, char *err, size_t errlen)
{
	(void)key;
	snprintf(out, outlen, "[]");
	snprintf(err, errlen, "port '%s': %s: no switch", iface, column);
	return 0;
}

/* ---- the target ---- */

static void cleanup(void)
{
	char *slash = strrchr(sock_path, '/');

	rpc_close(); /* unlinks the socket */
	if (slash) {
		*slash = '\0';
		rmdir(sock_path);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/kvs-fuzz-rpc.XXXXXX", err[DB_ERR_LEN];
	int rc;

	(void)argc, (void)argv;
	if (mkdtemp(dir) == NULL)
		fuzz_fail("mkdtemp: %s", strerror(errno));
	snprintf(sock_path, sizeof(sock_path), "%s/ctl", dir);
	rc = rpc_init(sock_path, cmd_dispatch);
	if (rc < 0)
		fuzz_fail("rpc_init %s: %s", sock_path, strerror(-rc));
	/* the directory is removed at exit (LLVMFuzzerInitialize has no pair) */
	atexit(cleanup);
	base = conf_load_string(fuzz_base_conf, "base", err, sizeof(err));
	if (base == NULL)
		fuzz_fail("base configuration: %s", err);
	return 0;
}

/* A client connection, accepted by the next rpc_serve(). */
static int connect_client(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fuzz_fail("socket: %s", strerror(errno));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fuzz_fail("connect %s: %s", sock_path, strerror(errno));
	return fd;
}

/* Check answer number i against request line i. */
static void check_answer(const char *ans, size_t alen, const char *req, size_t rlen, size_t i)
{
	json_t *a = json_loadb(ans, alen, 0, NULL), *r = json_loadb(req, rlen, 0, NULL);
	json_t *id, *want, *res, *err, *code;

	if (a == NULL || !json_is_object(a))
		fuzz_fail("answer %zu is not a JSON object: %.*s", i, (int)alen, ans);
	id = json_object_get(a, "id");
	want = json_is_object(r) ? json_object_get(r, "id") : NULL;
	if (id == NULL || !json_equal(id, want ? want : json_null()))
		fuzz_fail("answer %zu has the wrong id: %.*s", i, (int)alen, ans);
	res = json_object_get(a, "result");
	err = json_object_get(a, "error");
	if ((res == NULL) == (err == NULL))
		fuzz_fail("answer %zu needs exactly one of result and error: %.*s", i, (int)alen,
			  ans);
	if (err) {
		code = json_object_get(err, "code");
		if (!json_is_integer(code) || json_integer_value(code) >= 0 ||
		    json_string_length(json_object_get(err, "message")) == 0)
			fuzz_fail("answer %zu: error without a negative code and a message: %.*s",
				  i, (int)alen, ans);
	}
	json_decref(a);
	json_decref(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the answers; kept between inputs (a fresh 64 KiB per input was a
	 * tenth of the time in page faults) */
	static char *out;
	static size_t out_cap;
	size_t out_len = 0, w = 0, lines = 0, i, rounds;
	struct pollfd fds[RPC_MAX_POLLFDS];
	bool shut = false, hung_up = false;
	int fd;

	db_destroy(sw.db);
	sw.db = db_clone(base);
	if (sw.db == NULL)
		fuzz_fail("db_clone: out of memory");
	fd = connect_client();
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	/* Every round moves bytes one way or the other, or serves a line. */
	for (rounds = 0; !hung_up; rounds++) {
		unsigned int n;
		ssize_t r;

		if (rounds > 64 + 4 * (size + lines * 8))
			fuzz_fail("connection not served to the end after %zu rounds", rounds);
		if (w < size) {
			r = write(fd, data + w, size - w);
			if (r > 0)
				w += (size_t)r;
			else if (r < 0 && errno != EAGAIN)
				fuzz_fail("client write: %s", strerror(errno));
		} else if (!shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		n = rpc_pollfds(fds, RPC_MAX_POLLFDS);
		if (poll(fds, n, 0) < 0)
			fuzz_fail("poll: %s", strerror(errno));
		rpc_serve(fds, n);
		for (;;) {
			if (out_cap - out_len < 65536) {
				out_cap = out_cap * 2 + 65536;
				out = realloc(out, out_cap);
				if (out == NULL)
					abort();
			}
			r = read(fd, out + out_len, out_cap - out_len);
			if (r > 0) {
				out_len += (size_t)r;
				continue;
			}
			if (r == 0)
				hung_up = true;
			else if (errno != EAGAIN)
				fuzz_fail("client read: %s", strerror(errno));
			break;
		}
	}
	close(fd);
	if (getenv("KVS_FUZZ_VERBOSE"))
		fprintf(stderr, "%.*s", (int)out_len, out ? out : "");
	{
		const char *a = out, *q = (const char *)data;
		size_t n_ans = 0;

		for (i = 0; i < out_len; i++)
			n_ans += out[i] == '\n';
		if (n_ans != lines || (out_len && out[out_len - 1] != '\n'))
			fuzz_fail("%zu request lines got %zu answers", lines, n_ans);
		for (i = 0; i < lines; i++) {
			const char *ae = memchr(a, '\n', (size_t)(out + out_len - a));
			const char *qe = memchr(q, '\n', (size_t)((const char *)data + size - q));
			check_answer(a, (size_t)(ae - a), q, (size_t)(qe - q), i);
			a = ae + 1;
			q = qe + 1;
		}
	}
	return 0;
}
