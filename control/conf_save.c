/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conf_save: the configuration as YAML text (conf_dump, in the format
 * conf_file.c reads and documents) and its atomic replacement of the file
 * after every committed change: written to a temporary file opened
 * O_EXCL|O_NOFOLLOW, synced, renamed over the old one only at the commit
 * (conf_save_prepare, conf_save_commit, conf_save_abort), then the directory
 * synced.  Called by the control thread (control/apply.c, reload.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "control/db.h"

#define HEADER                                                                                     \
	"# kvswitch configuration: rewritten by kvswitchd on every change (comments are not "      \
	"kept).\n"

struct outbuf {
	char *buf;
	size_t len, cap;
	bool failed;
};

static bool out_append(struct outbuf *o, const void *data, size_t n)
{
	if (o->failed)
		return false;
	if (o->cap - o->len <= n) {
		size_t cap = o->cap ? o->cap : 4096;
		char *b;

		while (cap - o->len <= n)
			cap *= 2;
		b = realloc(o->buf, cap);
		if (b == NULL) {
			o->failed = true;
			return false;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, data, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return true;
}

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	return out_append(data, buffer, size);
}

struct emit {
	yaml_emitter_t e;
	bool ok;
};

static void emit_event(struct emit *em, yaml_event_t *ev, int initialized)
{
	if (!initialized || !em->ok) {
		if (initialized)
			yaml_event_delete(ev);
		em->ok = false;
		return;
	}
	/* yaml_emitter_emit() takes ownership of the event, even on failure. */
	if (!yaml_emitter_emit(&em->e, ev))
		em->ok = false;
}

/*
 * Decimal numbers and true/false go out plain; other text that a YAML
 * reader would take for a number, bool or null ("0x6", "0660", "0:1",
 * "yes") is quoted so the file means the same to any YAML tool; everything
 * else is left to the emitter, which quotes only when the syntax needs it.
 */
static yaml_scalar_style_t style_of(const char *s)
{
	static const char *const special[] = {"~", "null", "yes", "no", "on", "off", "y", "n"};
	bool decimal = s[0] != '\0' && (s[0] != '0' || s[1] == '\0');

	for (const char *c = s; decimal && *c; c++)
		decimal = *c >= '0' && *c <= '9';
	if (decimal || strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
		return YAML_PLAIN_SCALAR_STYLE;
	if (s[0] == '\0' || (s[0] >= '0' && s[0] <= '9') || strchr("+-.", s[0]) != NULL)
		return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (strcasecmp(s, special[i]) == 0 || strcasecmp(s, "true") == 0 ||
		    strcasecmp(s, "false") == 0)
			return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	return YAML_ANY_SCALAR_STYLE;
}

static void scalar(struct emit *em, const char *s)
{
	yaml_event_t ev;

	emit_event(em, &ev,
		   yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
						1, 1, style_of(s)));
}

static void mapping_start(struct emit *em)
{
	yaml_event_t ev;

	emit_event(
		em, &ev,
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

static void mapping_end(struct emit *em)
{
	yaml_event_t ev;

	emit_event(em, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void emit_smap(struct emit *em, const char *name, const struct smap *m)
{
	if (m->n == 0)
		return;
	scalar(em, name);
	mapping_start(em);
	for (size_t i = 0; i < m->n; i++) {
		scalar(em, m->nodes[i].key);
		scalar(em, m->nodes[i].value);
	}
	mapping_end(em);
}

static void emit_uint(struct emit *em, const char *name, unsigned int v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	scalar(em, name);
	scalar(em, buf);
}

/* name: [a, b] on one line; nothing when n is 0.  item(i) is the i-th text. */
static void emit_list(struct emit *em, const char *name, size_t n,
		      const char *(*item)(const void *, size_t, char *), const void *arg)
{
	yaml_event_t ev;
	char buf[8];

	if (n == 0)
		return;
	scalar(em, name);
	emit_event(
		em, &ev,
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE));
	for (size_t i = 0; i < n; i++)
		scalar(em, item(arg, i, buf));
	emit_event(em, &ev, yaml_sequence_end_event_initialize(&ev));
}

/* A VLAN of a uint16_t array, in buf (8 bytes). */
static const char *vlan_item(const void *arg, size_t i, char *buf)
{
	snprintf(buf, 8, "%u", (unsigned int)((const uint16_t *)arg)[i]);
	return buf;
}

static const char *name_item(const void *arg, size_t i, char *buf)
{
	(void)buf;
	return ((char *const *)arg)[i];
}

static void emit_mirror(struct emit *em, const void *rec)
{
	const struct db_mirror *m = rec;

	scalar(em, m->name);
	mapping_start(em);
	if (m->select_all) {
		scalar(em, "select_all");
		scalar(em, "true");
	}
	emit_list(em, "select_src_port", m->n_src, name_item, m->src_ports);
	emit_list(em, "select_dst_port", m->n_dst, name_item, m->dst_ports);
	emit_list(em, "select_vlan", m->n_vlans, vlan_item, m->select_vlans);
	if (m->output_port != NULL) {
		scalar(em, "output_port");
		scalar(em, m->output_port);
	}
	/* a valid db has none; written so that the dump of any db loads back */
	if (m->output_vlan != 0)
		emit_uint(em, "output_vlan", m->output_vlan);
	mapping_end(em);
}

static void emit_port(struct emit *em, const void *rec)
{
	const struct db_port *p = rec;

	scalar(em, p->name);
	mapping_start(em);
	/* A fixed, readable order: type first, then what it configures. */
	if (p->type != NULL && p->type[0] != '\0') {
		scalar(em, "type");
		scalar(em, p->type);
	}
	emit_smap(em, "options", &p->options);
	emit_smap(em, "other_config", &p->other_config);
	emit_smap(em, "filter", &p->filter);
	if (p->tag != 0)
		emit_uint(em, "tag", p->tag);
	emit_list(em, "trunks", p->n_trunks, vlan_item, p->trunks);
	if (p->vlan_mode != DB_VLAN_MODE_NONE) {
		scalar(em, "vlan_mode");
		scalar(em, db_vlan_mode_name(p->vlan_mode));
	}
	if (p->mtu_request != 0)
		emit_uint(em, "mtu_request", p->mtu_request);
	if (p->policing_rate != 0)
		emit_uint(em, "ingress_policing_rate", p->policing_rate);
	if (p->policing_burst != 0)
		emit_uint(em, "ingress_policing_burst", p->policing_burst);
	if (p->qos.type != DB_QOS_NONE) {
		struct smap oc;

		smap_init(&oc);
		scalar(em, "qos");
		mapping_start(em);
		scalar(em, "type");
		scalar(em, db_qos_type_name(p->qos.type));
		if (db_qos_other_config(&p->qos, &oc) != 0)
			em->ok = false;
		emit_smap(em, "other_config", &oc);
		mapping_end(em);
		smap_destroy(&oc);
	}
	mapping_end(em);
}

/* A bridge's ports or mirrors, name: {NAME: ...}; nothing when n is 0. */
static void emit_records(struct emit *em, const char *name, void *const *recs, size_t n,
			 void (*emit_one)(struct emit *, const void *))
{
	if (n == 0)
		return;
	scalar(em, name);
	mapping_start(em);
	for (size_t i = 0; i < n; i++)
		emit_one(em, recs[i]);
	mapping_end(em);
}

static void emit_db(struct emit *em, const struct db *db)
{
	mapping_start(em);
	if (db->ovsdb != NULL) {
		scalar(em, "ovsdb");
		scalar(em, db->ovsdb);
	}
	if (db->other_config.n != 0) {
		scalar(em, "open_vswitch");
		mapping_start(em);
		emit_smap(em, "other_config", &db->other_config);
		mapping_end(em);
	}
	if (db->n_bridges != 0) {
		scalar(em, "bridges");
		mapping_start(em);
	}
	for (size_t i = 0; i < db->n_bridges; i++) {
		const struct db_bridge *br = db->bridges[i];

		scalar(em, br->name);
		mapping_start(em);
		emit_smap(em, "other_config", &br->other_config);
		emit_records(em, "ports", (void *const *)br->ports, br->n_ports, emit_port);
		emit_records(em, "mirrors", (void *const *)br->mirrors, br->n_mirrors, emit_mirror);
		mapping_end(em);
	}
	if (db->n_bridges != 0)
		mapping_end(em);
	mapping_end(em);
}

char *conf_dump(const struct db *db)
{
	struct outbuf o = {0};
	struct emit em = {.ok = true};
	yaml_event_t ev;

	out_append(&o, HEADER, strlen(HEADER));
	if (!yaml_emitter_initialize(&em.e)) {
		free(o.buf);
		errno = ENOMEM;
		return NULL;
	}
	yaml_emitter_set_output(&em.e, write_handler, &o);
	yaml_emitter_set_indent(&em.e, 2);
	yaml_emitter_set_width(&em.e, -1);
	yaml_emitter_set_unicode(&em.e, 1);
	yaml_emitter_set_break(&em.e, YAML_LN_BREAK);
	emit_event(&em, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit_event(&em, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	emit_db(&em, db);
	emit_event(&em, &ev, yaml_document_end_event_initialize(&ev, 1));
	emit_event(&em, &ev, yaml_stream_end_event_initialize(&ev));
	if (em.ok && !yaml_emitter_flush(&em.e))
		em.ok = false;
	yaml_emitter_delete(&em.e);
	if (!em.ok || o.failed) {
		free(o.buf);
		/* Our events are well-formed, so libyaml refused the text: not UTF-8. */
		errno = o.failed ? ENOMEM : EILSEQ;
		return NULL;
	}
	return o.buf;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync of the directory makes the rename itself survive a crash. */
static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int tmp_path(const char *path, char *tmp, size_t len, char *err, size_t errlen)
{
	if ((size_t)snprintf(tmp, len, "%s.tmp", path) >= len) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	return 0;
}

/*
 * PATH.tmp is created, never reused: whatever a crash (or anyone who can
 * write in the directory) left there is unlinked first (unlink removes the
 * name only, it follows no symlink and opens no FIFO), then O_EXCL|O_NOFOLLOW
 * makes sure the file written is the one just created.
 */
int conf_save_prepare(const struct db *db, const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	const char *step;
	struct stat st;
	char *text;
	int fd, rc;

	rc = tmp_path(path, tmp, sizeof(tmp), err, errlen);
	if (rc < 0)
		return rc;
	text = conf_dump(db);
	if (text == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot format the configuration: %s", path,
			 strerror(-rc));
		return rc;
	}
	if (unlink(tmp) < 0 && errno != ENOENT) {
		rc = -errno;
		free(text);
		snprintf(err, errlen, "%s: cannot remove the stale file: %s", tmp, strerror(-rc));
		return rc;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		rc = -errno;
		free(text);
		if (rc == -ENOENT)
			snprintf(err, errlen, "%s: cannot create: its directory does not exist",
				 tmp);
		else
			snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(-rc));
		return rc;
	}
	/* Keep the permissions an administrator gave the file. */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		(void)fchmod(fd, st.st_mode & 07777);
	step = "cannot write";
	rc = write_all(fd, text, strlen(text));
	free(text);
	if (rc == 0 && fsync(fd) < 0) {
		step = "cannot fsync";
		rc = -errno;
	}
	if (close(fd) < 0 && rc == 0) {
		step = "cannot close";
		rc = -errno;
	}
	if (rc) {
		unlink(tmp);
		snprintf(err, errlen, "%s: %s: %s", tmp, step, strerror(-rc));
	}
	return rc;
}

int conf_save_commit(const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int rc;

	rc = tmp_path(path, tmp, sizeof(tmp), err, errlen);
	if (rc < 0)
		return rc;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		unlink(tmp);
		snprintf(err, errlen, "%s: cannot rename over the configuration file: %s", tmp,
			 strerror(-rc));
		return rc;
	}
	rc = sync_dir(path);
	if (rc)
		snprintf(err, errlen, "%s: saved, but cannot fsync its directory: %s", path,
			 strerror(-rc));
	return rc;
}

void conf_save_abort(const char *path)
{
	char tmp[PATH_MAX], err[64];

	if (tmp_path(path, tmp, sizeof(tmp), err, sizeof(err)) == 0)
		unlink(tmp);
}

int conf_save(const struct db *db, const char *path, char *err, size_t errlen)
{
	int rc = conf_save_prepare(db, path, err, errlen);

	return rc < 0 ? rc : conf_save_commit(path, err, errlen);
}
