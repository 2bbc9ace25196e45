/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The filter step of an apply transaction (port_filter.h).  Building a
 * filter (validating and JIT-compiling a program, tens of microseconds for
 * rules, more for a tcpdump expression) is the only part that may fail, so
 * it happens before anything changes; installing is a pointer swap per port
 * and direction.  Control thread only.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>

#include <rte_log.h>

#include "control/filter_cfg.h"
#include "control/port_filter.h"
#include "control/xdp_filter.h"
#include "control/state.h"

#define CTL_LOG(lvl, ...) rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_USER2, "control: " __VA_ARGS__)

/* What prepare built for one port, waiting for its commit. */
struct pending_filter {
	char port[32];
	bool need[FILTER_DIR_MAX]; /* install f[dir] (NULL: remove the filter) */
	struct filter *f[FILTER_DIR_MAX];
	char error[256]; /* start-up only: why a direction drops everything */
};

static struct pending_filter pending[DP_MAX_PORTS];
static unsigned int n_pending;

static const struct smap *applied_map(const char *port)
{
	const struct db_port *p = sw.db ? db_port_find(sw.db, port, NULL) : NULL;

	return p ? &p->filter : NULL;
}

static bool is_opening(const struct db_port *p, const struct db_port *const *opening,
		       unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (opening[i] == p)
			return true;
	return false;
}

/* Start-up with a filter that cannot be built: fail closed. */
static struct filter *deny_all(void)
{
	struct filter_rules none = {.n = 0, .default_allow = false};
	char err[256];

	return filter_from_rules(&none, err, sizeof(err));
}

static int prepare_port(const struct db_port *p, bool opening, bool strict, char *err,
			size_t errlen)
{
	const struct smap *old = applied_map(p->name);
	struct pending_filter *pf;
	char why[DB_ERR_LEN];
	int rc;

	/* one entry per port at most: db_validate() holds DB_MAX_PORTS */
	assert(n_pending < DP_MAX_PORTS);
	pf = &pending[n_pending];

	memset(pf, 0, sizeof(*pf));
	for (int d = 0; d < FILTER_DIR_MAX; d++) {
		if (!opening && old != NULL && filter_cfg_same(old, &p->filter, d))
			continue;
		pf->need[d] = true;
		rc = filter_cfg_build(&p->filter, d, &pf->f[d], why, sizeof(why));
		if (rc == 0)
			continue;
		snprintf(err, errlen, "port '%s': %s filter: %s", p->name, filter_cfg_dir_name(d),
			 why);
		if (strict) {
			n_pending++; /* so that abort frees what this port built */
			return rc;
		}
		CTL_LOG(ERR, "%s; it drops every frame until fixed\n", err);
		snprintf(pf->error, sizeof(pf->error), "%s", err);
		pf->f[d] = deny_all();
	}
	if (pf->need[0] || pf->need[1] || pf->error[0]) {
		snprintf(pf->port, sizeof(pf->port), "%s", p->name);
		n_pending++;
	}
	return 0;
}

int port_filter_prepare(const struct db *db, const struct db_port *const *opening,
			unsigned int n_opening, bool strict, char *err, size_t errlen)
{
	int rc;

	n_pending = 0;
	for (size_t b = 0; b < db->n_bridges; b++)
		for (size_t i = 0; i < db->bridges[b]->n_ports; i++) {
			const struct db_port *p = db->bridges[b]->ports[i];

			rc = prepare_port(p, is_opening(p, opening, n_opening), strict, err,
					  errlen);
			if (rc < 0) {
				port_filter_abort();
				return rc;
			}
		}
	return 0;
}

/*
 * The kernel half of an af_xdp port's ingress rules (control/xdp_filter.h):
 * after the port is opened (the PMD has just attached a fresh program) and
 * whenever its ingress filter is rebuilt (port_filter_commit).  NULL: no rules, every frame passes.
 * Other ports: nothing.
 */
void port_filter_xdp(const char *name, const struct db_port_cfg *c,
		     const struct filter_rules *ingress)
{
	char ifname[IF_NAMESIZE];
	int rc;

	if (c->type != DB_PORT_DPDK || xdp_filter_ifname(c->devargs, ifname, sizeof(ifname)) < 0)
		return;
	rc = xdp_filter_apply(ifname, ingress);
	if (rc == -ENOENT || rc == -EPROTO)
		CTL_LOG(INFO, "port '%s': %s on %s: ingress rules are enforced by the PMD only\n",
			name, rc == -ENOENT ? "no XDP program" : "a user's XDP program", ifname);
	else if (rc < 0)
		CTL_LOG(ERR,
			"port '%s': cannot write ingress rules into the XDP program on %s: %s\n",
			name, ifname, strerror(-rc));
}

void port_filter_commit(struct sw_port *sp, const struct db_port *dbp)
{
	struct pending_filter *pf = NULL;

	for (int d = 0; d < FILTER_DIR_MAX; d++)
		sp->filter_kind[d] = filter_cfg_rules(&dbp->filter, d, &sp->filter_rules[d]);
	for (unsigned int i = 0; i < n_pending && pf == NULL; i++)
		if (strcmp(pending[i].port, sp->name) == 0)
			pf = &pending[i];
	if (pf == NULL)
		return;
	snprintf(sp->filter_error, sizeof(sp->filter_error), "%s", pf->error);
	if (sp->dp == NULL)
		return; /* end() frees them */
	for (int d = 0; d < FILTER_DIR_MAX; d++) {
		if (!pf->need[d])
			continue;
		dp_port_set_filter(sp->dp, d, pf->f[d]);
		if (d == FILTER_DIR_INGRESS)
			port_filter_xdp(sp->name, &sp->cfg,
					sp->filter_kind[d] == FILTER_CFG_RULES
						? &sp->filter_rules[d]
						: NULL);
		pf->f[d] = NULL;
		pf->need[d] = false;
	}
}

void port_filter_end(void)
{
	for (unsigned int i = 0; i < n_pending; i++)
		for (int d = 0; d < FILTER_DIR_MAX; d++) {
			filter_destroy(pending[i].f[d]);
			pending[i].f[d] = NULL;
		}
	n_pending = 0;
}

void port_filter_abort(void)
{
	port_filter_end();
}

void port_filter_restore(struct sw_port *sp)
{
	const struct smap *m = applied_map(sp->name);
	char err[DB_ERR_LEN];
	struct filter *f;

	for (int d = 0; m != NULL && sp->dp != NULL && d < FILTER_DIR_MAX; d++) {
		if (filter_cfg_build(m, d, &f, err, sizeof(err)) < 0) {
			CTL_LOG(ERR, "port '%s': %s filter: %s; it drops every frame\n", sp->name,
				filter_cfg_dir_name(d), err);
			f = deny_all();
		}
		dp_port_set_filter(sp->dp, d, f);
	}
}
