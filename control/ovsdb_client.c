/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovsdb_client: the OVSDB session (ovsdb_client.h).  RFC 7047 over one
 * stream (control/jsonrpc.h): "monitor" for a replica of five tables kept in
 * jansson objects, "lock", "transact" for the write-back, "echo" answered.
 *
 * A change is applied as a whole database, not as a diff: the replica is
 * mapped to a struct db, compared with what runs (their YAML dumps), and
 * given to apply_db() if they differ, which already knows how to get from any
 * configuration to any other without touching what did not change.  What one
 * port gets wrong stays with that port: an interface whose keys are bad, or
 * that db_validate()/apply_db() names in an error, keeps running as it was
 * (or is left out if it is new) and its error column says why; the rest is
 * applied.  Writes back only the columns whose value changed, so a quiet
 * switch sends nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

#include "control/db.h"
#include "control/journal_log.h"
#include "control/jsonrpc.h"
#include "control/mono_clock.h"
#include "control/ovsdb_client.h"
#include "control/ovsdb_map.h"
#include "control/ovsdb_status.h"
#include "control/state.h"

#define OC_BACKOFF_MIN_MS 250
#define OC_BACKOFF_MAX_MS 8000
#define OC_STATUS_MS      1000 /* link state, connected guests */
#define OC_MAX_TRIES      8    /* strict tries, taking a port out each time */
#define OC_LOCK           "ovs_vswitchd"

#define OC_LOG(lvl, fmt, ...)                                                                      \
	fprintf(stderr, "%skvswitchd: ovsdb: " fmt "\n", journal_prefix(LOG_##lvl), ##__VA_ARGS__)

static struct {
	bool active;
	char remote[PATH_MAX + 8];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char rundir[PATH_MAX];
	struct jsonrpc *rpc;
	bool monitored;   /* the monitor's first reply arrived */
	bool locked;      /* we hold ovs_vswitchd */
	bool dirty;       /* the replica changed since it was last applied */
	bool more;        /* receive() stopped at its bound with messages left */
	bool system_sent; /* dpdk_initialized etc. written in this session */
	json_t *replica;  /* {table: {uuid: row}} */
	json_t *written;  /* {Interface uuid: {column: value last written}} */
	json_t *iface_errors;
	json_t *local_ifaces;
	json_t *noted; /* notes of ovsdb_map already logged: {text: true} */
	int64_t next_cfg, cur_cfg_written;
	int64_t stats_interval_ms;
	uint64_t retry_ms, status_ms, stats_ms;
	unsigned int backoff_ms;
	unsigned int txn_seq;
	bool down_logged;
	char eal_args[512]; /* from the database at start */
} oc;

int ovsdb_client_init(const char *remote, const char *rundir, char *err, size_t errlen)
{
	if (strncmp(remote, "unix:", 5) != 0) {
		snprintf(err, errlen,
			 "--ovsdb '%s': kvswitchd connects to ovsdb-server by unix:PATH only",
			 remote);
		return -EINVAL;
	}
	if (strlen(remote + 5) == 0 || strlen(remote + 5) >= sizeof(oc.path)) {
		snprintf(err, errlen, "--ovsdb '%s': the socket path is empty or too long", remote);
		return -EINVAL;
	}
	snprintf(oc.remote, sizeof(oc.remote), "%s", remote);
	snprintf(sw.ovsdb_remote, sizeof(sw.ovsdb_remote), "%s", remote);
	snprintf(oc.path, sizeof(oc.path), "%s", remote + 5);
	snprintf(oc.rundir, sizeof(oc.rundir), "%s", rundir);
	oc.replica = json_object();
	oc.written = json_object();
	oc.iface_errors = json_object();
	oc.local_ifaces = json_object();
	oc.noted = json_object();
	oc.stats_interval_ms = 5000;
	oc.cur_cfg_written = -1;
	oc.backoff_ms = OC_BACKOFF_MIN_MS;
	oc.active = true;
	return 0;
}

const char *ovsdb_client_eal_args(void)
{
	return oc.eal_args;
}

bool ovsdb_client_active(void)
{
	return oc.active;
}

const char *ovsdb_client_remote(void)
{
	return oc.remote;
}

static int send_msg(json_t *msg)
{
	return oc.rpc ? jsonrpc_send(oc.rpc, msg) : (json_decref(msg), -ENOTCONN);
}

static void disconnect(const char *why)
{
	if (oc.rpc == NULL)
		return;
	OC_LOG(WARNING, "%s: %s; the running configuration keeps forwarding, reconnecting",
	       oc.remote, why);
	jsonrpc_close(oc.rpc);
	oc.rpc = NULL;
	oc.monitored = oc.locked = oc.system_sent = false;
	json_object_clear(oc.replica);
	json_object_clear(oc.written); /* the next database may be another one */
	oc.cur_cfg_written = -1;
	oc.retry_ms = mono_clock_ms() + oc.backoff_ms;
}

static int try_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	json_t *tables;

	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, oc.path, strlen(oc.path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	oc.rpc = jsonrpc_open(fd);
	if (oc.rpc == NULL)
		return -ENOMEM;
	tables = json_pack("{s:{s:[ssss]},s:{s:[ssssssssss]},s:{s:[sssssssssss]},s:{s:[ssssssss]},"
			   "s:{s:[sssssss]},s:{s:[sss]}}",
			   "Open_vSwitch", "columns", "bridges", "other_config", "next_cfg",
			   "external_ids", "Bridge", "columns", "name", "ports", "other_config",
			   "datapath_type", "mirrors", "netflow", "sflow", "ipfix", "controller",
			   "fail_mode", "Port", "columns", "name", "interfaces", "tag", "trunks",
			   "vlan_mode", "other_config", "qos", "bond_mode", "lacp", "mac",
			   "fake_bridge", "Interface", "columns", "name", "type", "options",
			   "other_config", "mtu_request", "external_ids", "ingress_policing_rate",
			   "ingress_policing_burst", "Mirror", "columns", "name", "select_all",
			   "select_src_port", "select_dst_port", "select_vlan", "output_port",
			   "output_vlan", "QoS", "columns", "type", "other_config", "queues");
	if (send_msg(json_pack("{s:s,s:s,s:[sso]}", "id", "monitor", "method", "monitor", "params",
			       "Open_vSwitch", "kvs", tables)) < 0 ||
	    send_msg(json_pack("{s:s,s:s,s:[s]}", "id", "lock", "method", "lock", "params",
			       OC_LOCK)) < 0) {
		jsonrpc_close(oc.rpc);
		oc.rpc = NULL;
		return -EPIPE;
	}
	return 0;
}

/* RFC 7047 <table-updates> into the replica. */
static void apply_updates(const json_t *updates)
{
	const char *table, *uuid;
	json_t *rows, *upd;

	json_object_foreach((json_t *)updates, table, rows)
	{
		json_t *t = json_object_get(oc.replica, table);

		if (t == NULL) {
			t = json_object();
			json_object_set_new(oc.replica, table, t);
		}
		json_object_foreach(rows, uuid, upd)
		{
			json_t *new = json_object_get(upd, "new");

			if (new != NULL)
				json_object_set(t, uuid, new);
			else
				json_object_del(t, uuid);
		}
	}
	oc.dirty = true;
}

static void log_notes(const json_t *notes)
{
	json_t *n;
	size_t i;

	if (json_object_size(oc.noted) > 4096) /* ports come and go: keep it bounded */
		json_object_clear(oc.noted);
	json_array_foreach(notes, i, n)
	{
		if (json_object_get(oc.noted, json_string_value(n)) != NULL)
			continue;
		OC_LOG(INFO, "not implemented by kvswitch, ignored: %s", json_string_value(n));
		json_object_set_new(oc.noted, json_string_value(n), json_true());
	}
}

static bool same_config(const struct db *a, const struct db *b)
{
	char *da = conf_dump(a), *dbt = conf_dump(b);
	bool same = da && dbt && strcmp(da, dbt) == 0;

	free(da);
	free(dbt);
	return same;
}

static bool smap_same(const struct smap *a, const struct smap *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) /* both sorted by key */
		if (strcmp(a->nodes[i].key, b->nodes[i].key) != 0 ||
		    strcmp(a->nodes[i].value, b->nodes[i].value) != 0)
			return false;
	return true;
}

/* Does port name of ndb run today exactly as ndb has it, in the same bridge? */
static bool port_unchanged(const struct db *ndb, const char *name)
{
	struct db_bridge *nb = NULL, *ob = NULL;
	const struct db_port *n = db_port_find(ndb, name, &nb);
	const struct db_port *o = sw.db ? db_port_find(sw.db, name, &ob) : NULL;

	return n != NULL && o != NULL && strcmp(nb->name, ob->name) == 0 &&
	       strcmp(n->type, o->type) == 0 && smap_same(&n->options, &o->options) &&
	       smap_same(&n->other_config, &o->other_config) && smap_same(&n->filter, &o->filter) &&
	       n->tag == o->tag && n->vlan_mode == o->vlan_mode &&
	       n->mtu_request == o->mtu_request && n->policing_rate == o->policing_rate &&
	       n->policing_burst == o->policing_burst && db_qos_equal(&n->qos, &o->qos) &&
	       n->n_trunks == o->n_trunks &&
	       (n->n_trunks == 0 ||
		memcmp(n->trunks, o->trunks, n->n_trunks * sizeof(*n->trunks)) == 0);
}

/*
 * The port to take out of ndb for an error message: of the ports it names
 * ("port 'vmb': ... is already used by port 'vma'"), the first that ndb has
 * and that is new or changed, since what runs unchanged did not cause a
 * conflict that was not there before.  NULL when there is none.
 */
static const char *culprit(const struct db *ndb, const char *err, char *name, size_t len)
{
	const char *p = err;

	while ((p = strstr(p, "port '")) != NULL) {
		size_t n;

		p += 6;
		n = strcspn(p, "'");
		if (p[n] != '\'' || n == 0 || n >= len)
			continue;
		memcpy(name, p, n);
		name[n] = '\0';
		if (db_port_find(ndb, name, NULL) != NULL && !port_unchanged(ndb, name))
			return name;
	}
	return NULL;
}

/* Take port name out of ndb and put back what runs today under that name,
 * unless restore is false or nothing runs. */
static void keep_running(struct db *ndb, const char *name, bool restore)
{
	struct db_bridge *obr = NULL;
	const struct db_port *old = sw.db ? db_port_find(sw.db, name, &obr) : NULL;
	char err[DB_ERR_LEN];

	if (db_port_find(ndb, name, NULL) != NULL)
		db_port_del(ndb, NULL, name, err, sizeof(err));
	if (restore && old != NULL)
		db_port_copy(ndb, obr->name, old);
}

/* Make the switch run what the replica says, as far as it can. */
static void reconfigure(void)
{
	struct ovsdb_map_result m;
	json_t *restored = json_object(), *v;
	char err[DB_ERR_LEN], name[64];
	const char *iface;
	struct db *ndb;
	int rc = 0, tries;

	oc.dirty = false;
	if (ovsdb_map_db(oc.replica, oc.rundir, &m) < 0) {
		OC_LOG(ERR, "out of memory reading the database; will try again");
		oc.dirty = true;
		json_decref(restored);
		return;
	}
	log_notes(m.ignored);
	oc.next_cfg = m.next_cfg;
	oc.stats_interval_ms = m.stats_interval_ms;
	json_decref(oc.local_ifaces);
	oc.local_ifaces = json_incref(m.local_ifaces);
	ndb = m.db;
	m.db = NULL;
	/* interfaces the map refused keep running as they were */
	json_object_foreach(m.iface_errors, iface, v) keep_running(ndb, iface, true);
	for (tries = 0; tries <= OC_MAX_TRIES; tries++) {
		bool strict = tries < OC_MAX_TRIES;
		const char *bad;

		if (same_config(ndb, sw.db)) {
			db_destroy(ndb);
			rc = 0;
			break;
		}
		rc = db_validate(ndb, err, sizeof(err));
		/* many ports failing to open (VFs missing at boot): after a few
		 * tries the rest is applied as OVS does, those ports staying in
		 * the configuration with their error */
		if (rc == 0)
			rc = apply_db(ndb, strict, err, sizeof(err));
		if (rc == 0) {
			OC_LOG(INFO, "configuration %lld applied%s", (long long)m.next_cfg,
			       strict ? "" : " (ports that cannot open are left with their error)");
			break; /* ndb is sw.db now */
		}
		bad = culprit(ndb, err, name, sizeof(name));
		if (bad == NULL)
			break;
		json_object_set_new(m.iface_errors, bad, jsonrpc_string(err));
		OC_LOG(WARNING, "interface %s not applied: %s", bad, err);
		/* its running version is tried once; if that fails too, out it goes */
		keep_running(ndb, bad, json_object_get(restored, bad) == NULL);
		json_object_set_new(restored, bad, json_true());
	}
	if (rc < 0) {
		OC_LOG(ERR, "configuration %lld not applied, the previous one keeps running: %s",
		       (long long)m.next_cfg, err);
		db_destroy(ndb);
		/* every interface that does not run as asked says why */
		json_object_foreach(json_object_get(oc.replica, "Interface"), iface, v)
		{
			const char *n = json_string_value(json_object_get(v, "name"));

			if (n && json_object_get(m.iface_errors, n) == NULL &&
			    json_object_get(m.local_ifaces, n) == NULL)
				json_object_set_new(m.iface_errors, n, jsonrpc_string(err));
		}
	}
	json_decref(oc.iface_errors);
	oc.iface_errors = json_incref(m.iface_errors);
	json_decref(restored);
	ovsdb_map_result_free(&m);
}

/* The columns of row that differ from what was last written for uuid
 * (cache updated), or NULL if none. */
static json_t *changed(const char *uuid, json_t *row)
{
	json_t *cache = json_object_get(oc.written, uuid), *out = json_object(), *v;
	const char *col;

	if (cache == NULL) {
		cache = json_object();
		json_object_set_new(oc.written, uuid, cache);
	}
	json_object_foreach(row, col, v)
	{
		if (json_equal(json_object_get(cache, col), v))
			continue;
		json_object_set(out, col, v);
		json_object_set(cache, col, v);
	}
	json_decref(row);
	if (json_object_size(out) == 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *update_op(const char *table, const char *uuid, json_t *row)
{
	return json_pack("{s:s,s:s,s:[[s,s,[s,s]]],s:o}", "op", "update", "table", table, "where",
			 "_uuid", "==", "uuid", uuid, "row", row);
}

/* One transaction with every column that changed; with_cfg: cur_cfg too. */
static void write_back(bool with_cfg, bool with_stats)
{
	json_t *ops = json_array(), *row, *v;
	const char *uuid;
	void *tmp;
	char id[32];
	const char *ovs_uuid = NULL;

	json_object_foreach(json_object_get(oc.replica, "Open_vSwitch"), uuid, v) ovs_uuid = uuid;
	json_array_append_new(ops, json_string("Open_vSwitch"));
	json_object_foreach(json_object_get(oc.replica, "Interface"), uuid, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		json_t *diff;

		if (name == NULL)
			continue;
		if (json_object_get(oc.local_ifaces, name) != NULL) {
			/* OVS's OFPP_LOCAL; kvswitch bridges have no such device */
			row = json_pack("{s:i,s:s,s:s,s:[s[]]}", "ofport", 65534, "admin_state",
					"down", "link_state", "down", "error", "set");
		} else {
			row = ovsdb_status_iface(
				name, json_string_value(json_object_get(oc.iface_errors, name)),
				with_stats);
		}
		diff = changed(uuid, row);
		if (diff != NULL)
			json_array_append_new(ops, update_op("Interface", uuid, diff));
	}
	if (ovs_uuid != NULL) {
		row = json_object();
		if (!oc.system_sent) {
			json_decref(row);
			row = ovsdb_status_system();
			oc.system_sent = true;
		}
		if (with_cfg && oc.next_cfg != oc.cur_cfg_written) {
			json_object_set_new(row, "cur_cfg", json_integer(oc.next_cfg));
			oc.cur_cfg_written = oc.next_cfg;
		}
		if (json_object_size(row) > 0)
			json_array_append_new(ops, update_op("Open_vSwitch", ovs_uuid, row));
		else
			json_decref(row);
	}
	/* forget interfaces the database no longer has */
	json_object_foreach_safe(oc.written, tmp, uuid, v)
	{
		if (json_object_get(json_object_get(oc.replica, "Interface"), uuid) == NULL)
			json_object_del(oc.written, uuid);
	}
	if (json_array_size(ops) == 1) {
		json_decref(ops);
		return;
	}
	snprintf(id, sizeof(id), "txn%u", ++oc.txn_seq);
	if (send_msg(json_pack("{s:s,s:s,s:o}", "id", id, "method", "transact", "params", ops)) < 0)
		disconnect("write failed");
}

static void on_reply(const char *id, json_t *msg)
{
	json_t *result = json_object_get(msg, "result"), *error = json_object_get(msg, "error");
	json_t *r;
	size_t i;

	if (error != NULL && !json_is_null(error)) {
		char *text = json_dumps(error, JSON_COMPACT);

		OC_LOG(ERR, "request %s refused: %s", id, text ? text : "?");
		free(text);
		if (strcmp(id, "monitor") == 0)
			disconnect("the database has no Open_vSwitch schema kvswitchd can monitor");
		return;
	}
	if (strcmp(id, "monitor") == 0) {
		json_object_clear(oc.replica);
		apply_updates(result);
		oc.monitored = true;
		OC_LOG(INFO, "connected to %s", oc.remote);
		oc.backoff_ms = OC_BACKOFF_MIN_MS;
		oc.down_logged = false;
	} else if (strcmp(id, "lock") == 0) {
		oc.locked = json_is_true(json_object_get(result, "locked"));
		if (!oc.locked)
			OC_LOG(WARNING, "another ovs-vswitchd holds the '%s' lock: waiting for it",
			       OC_LOCK);
		oc.dirty = true;
	} else if (strncmp(id, "txn", 3) == 0) {
		json_array_foreach(result, i, r)
		{
			const char *e = json_string_value(json_object_get(r, "error"));

			if (e == NULL)
				continue;
			OC_LOG(WARNING, "status write refused: %s: %s", e,
			       json_string_value(json_object_get(r, "details")) ?: "");
			/* write everything again at the next status turn, cur_cfg included */
			json_object_clear(oc.written);
			oc.cur_cfg_written = -1;
			break;
		}
	}
}

static void on_message(json_t *msg)
{
	const char *method = json_string_value(json_object_get(msg, "method"));
	json_t *id = json_object_get(msg, "id"), *params = json_object_get(msg, "params");

	if (method == NULL) {
		if (json_is_string(id))
			on_reply(json_string_value(id), msg);
		return;
	}
	if (strcmp(method, "echo") == 0 && id != NULL && !json_is_null(id)) {
		send_msg(json_pack("{s:O,s:O,s:n}", "id", id, "result", params, "error"));
	} else if (strcmp(method, "update") == 0) {
		apply_updates(json_array_get(params, 1));
	} else if (strcmp(method, "locked") == 0) {
		OC_LOG(INFO, "got the '%s' lock", OC_LOCK);
		oc.locked = true;
		oc.dirty = true;
	} else if (strcmp(method, "stolen") == 0) {
		OC_LOG(WARNING, "the '%s' lock was taken by another client", OC_LOCK);
		oc.locked = false;
	} else if (id != NULL && !json_is_null(id)) {
		send_msg(json_pack("{s:O,s:n,s:s}", "id", id, "result", "error", "unknown method"));
	}
}

static void receive(void)
{
	oc.more = false;
	for (int n = 0; n < 64 && oc.rpc != NULL; n++) {
		json_t *msg;
		int rc = jsonrpc_recv(oc.rpc, &msg);

		if (rc == 0)
			return;
		if (rc < 0) {
			disconnect(rc == -EPIPE    ? "ovsdb-server closed the connection"
				   : rc == -EPROTO ? "ovsdb-server sent something that is not JSON"
						   : strerror(-rc));
			return;
		}
		on_message(msg);
		json_decref(msg);
	}
	oc.more = oc.rpc != NULL; /* the bound, not an empty buffer, ended it */
}

void ovsdb_client_run(void)
{
	uint64_t now;
	int rc;

	if (!oc.active)
		return;
	now = mono_clock_ms();
	if (oc.rpc == NULL) {
		if (now < oc.retry_ms)
			return;
		rc = try_connect();
		if (rc < 0) {
			if (!oc.down_logged)
				OC_LOG(WARNING,
				       "cannot connect to %s: %s; the running configuration keeps "
				       "forwarding, retrying",
				       oc.remote, strerror(-rc));
			oc.down_logged = true;
			oc.retry_ms = now + oc.backoff_ms;
			oc.backoff_ms = oc.backoff_ms * 2 > OC_BACKOFF_MAX_MS ? OC_BACKOFF_MAX_MS
									      : oc.backoff_ms * 2;
			return;
		}
	}
	receive();
	if (oc.rpc == NULL || !oc.monitored || !oc.locked)
		return;
	if (oc.dirty) {
		reconfigure();
		/* cur_cfg with the errors and ofports it implies, in one transaction:
		 * ovs-vsctl reads them as soon as it sees cur_cfg */
		write_back(true, true);
		oc.status_ms = now + OC_STATUS_MS;
		oc.stats_ms = now + (uint64_t)oc.stats_interval_ms;
	} else if (now >= oc.status_ms) {
		bool stats = now >= oc.stats_ms;

		write_back(true, stats); /* cur_cfg too, if a write of it was refused */
		oc.status_ms = now + OC_STATUS_MS;
		if (stats)
			oc.stats_ms = now + (uint64_t)oc.stats_interval_ms;
	}
	if (oc.rpc != NULL && (rc = jsonrpc_flush(oc.rpc)) < 0)
		disconnect(strerror(-rc));
}

bool ovsdb_client_pending(void)
{
	return oc.active && oc.rpc != NULL && (oc.more || (oc.dirty && oc.monitored && oc.locked));
}

unsigned int ovsdb_client_pollfds(struct pollfd *fds, unsigned int max)
{
	if (!oc.active || oc.rpc == NULL || max == 0)
		return 0;
	fds[0] = (struct pollfd){.fd = jsonrpc_fd(oc.rpc),
				 .events = POLLIN | (jsonrpc_wants_write(oc.rpc) ? POLLOUT : 0)};
	return 1;
}

struct db *ovsdb_client_first_db(int timeout_ms)
{
	uint64_t deadline = mono_clock_ms() + (uint64_t)timeout_ms;
	struct ovsdb_map_result m;
	struct db *db;

	while (mono_clock_ms() < deadline) {
		struct pollfd p;

		if (oc.rpc == NULL && try_connect() < 0) {
			usleep(100 * 1000);
			continue;
		}
		receive();
		if (oc.monitored)
			break;
		if (ovsdb_client_pollfds(&p, 1) == 1)
			poll(&p, 1, 100);
	}
	if (!oc.monitored) {
		OC_LOG(WARNING, "%s did not answer within %d ms: starting with no bridges",
		       oc.remote, timeout_ms);
		return db_create();
	}
	if (ovsdb_map_db(oc.replica, oc.rundir, &m) < 0)
		return NULL;
	snprintf(oc.eal_args, sizeof(oc.eal_args), "%s", m.eal_args);
	/* the control loop applies the database, errors and all; this copy
	 * only chooses cores and EAL arguments, so the start never fails on a
	 * port that cannot open */
	db = db_create();
	if (db != NULL) {
		const struct smap *oc_map = &m.db->other_config;
		char err[DB_ERR_LEN];

		for (size_t i = 0; i < oc_map->n; i++)
			db_set(db, "Open_vSwitch", ".", "other_config", oc_map->nodes[i].key,
			       oc_map->nodes[i].value, err, sizeof(err));
	}
	ovsdb_map_result_free(&m);
	oc.dirty = true;
	return db;
}

void ovsdb_client_close(void)
{
	if (!oc.active)
		return;
	jsonrpc_close(oc.rpc);
	oc.rpc = NULL;
	json_decref(oc.replica);
	json_decref(oc.written);
	json_decref(oc.iface_errors);
	json_decref(oc.local_ifaces);
	json_decref(oc.noted);
	oc.active = false;
}
