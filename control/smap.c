/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smap: the string-to-string map behind every other_config and options
 * column of the db (control/db.h).  Used by db.c, db_schema.c and
 * conf_file.c.  An array kept sorted by key: the maps hold a handful of
 * entries, lookups are binary searches, and iteration order is the sorted
 * order, which keeps the saved configuration file stable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/db.h"

void smap_init(struct smap *m)
{
	m->nodes = NULL;
	m->n = 0;
	m->cap = 0;
}

void smap_destroy(struct smap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->nodes[i].key);
		free(m->nodes[i].value);
	}
	free(m->nodes);
	smap_init(m);
}

/* Index of key if present (*found = true), else where it would be inserted. */
static size_t smap_search(const struct smap *m, const char *key, bool *found)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, m->nodes[mid].key);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return lo;
}

int smap_clone(struct smap *dst, const struct smap *src)
{
	smap_init(dst);
	if (src->n == 0)
		return 0;
	dst->nodes = calloc(src->n, sizeof(*dst->nodes));
	if (dst->nodes == NULL)
		return -ENOMEM;
	dst->cap = src->n;
	for (size_t i = 0; i < src->n; i++) {
		char *k = strdup(src->nodes[i].key);
		char *v = strdup(src->nodes[i].value);

		if (k == NULL || v == NULL) {
			free(k);
			free(v);
			smap_destroy(dst);
			return -ENOMEM;
		}
		dst->nodes[i].key = k;
		dst->nodes[i].value = v;
		dst->n++;
	}
	return 0;
}

const char *smap_get(const struct smap *m, const char *key)
{
	bool found;
	size_t i = smap_search(m, key, &found);

	return found ? m->nodes[i].value : NULL;
}

int smap_set(struct smap *m, const char *key, const char *value)
{
	bool found;
	size_t i = smap_search(m, key, &found);
	char *v = strdup(value);

	if (v == NULL)
		return -ENOMEM;
	if (found) {
		free(m->nodes[i].value);
		m->nodes[i].value = v;
		return 0;
	}

	char *k = strdup(key);

	if (k == NULL) {
		free(v);
		return -ENOMEM;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4;
		struct smap_node *nodes = realloc(m->nodes, cap * sizeof(*nodes));

		if (nodes == NULL) {
			free(k);
			free(v);
			return -ENOMEM;
		}
		m->nodes = nodes;
		m->cap = cap;
	}
	memmove(&m->nodes[i + 1], &m->nodes[i], (m->n - i) * sizeof(*m->nodes));
	m->nodes[i].key = k;
	m->nodes[i].value = v;
	m->n++;
	return 0;
}

bool smap_remove(struct smap *m, const char *key)
{
	bool found;
	size_t i = smap_search(m, key, &found);

	if (!found)
		return false;
	free(m->nodes[i].key);
	free(m->nodes[i].value);
	memmove(&m->nodes[i], &m->nodes[i + 1], (m->n - i - 1) * sizeof(*m->nodes));
	m->n--;
	return true;
}
