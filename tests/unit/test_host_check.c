/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * host_check_hugepages() (control/host_check.c) against fake sysfs trees:
 * free pages of any size pass; none reserved, or all in use, fail with a
 * message naming the sysctl and the kernel parameter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/host_check.h"

static char root[64];

static void put(const char *size, const char *file, long v)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, size);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", root, size, file);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%ld\n", v);
	fclose(f);
}

/* A tree with both page sizes: reserved and free 2 MiB, then 1 GiB pages. */
static void pages(long nr_2m, long free_2m, long nr_1g, long free_1g)
{
	put("hugepages-2048kB", "nr_hugepages", nr_2m);
	put("hugepages-2048kB", "free_hugepages", free_2m);
	put("hugepages-1048576kB", "nr_hugepages", nr_1g);
	put("hugepages-1048576kB", "free_hugepages", free_1g);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/kvs-hugepages-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_free_2m_pages_pass(void **state)
{
	char err[512] = "";

	(void)state;
	pages(1024, 1000, 0, 0);
	assert_int_equal(host_check_hugepages(root, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void test_free_1g_pages_pass(void **state)
{
	char err[512] = "";

	(void)state;
	pages(0, 0, 4, 2);
	assert_int_equal(host_check_hugepages(root, err, sizeof(err)), 0);
}

static void test_none_reserved_names_the_settings(void **state)
{
	char err[512] = "";

	(void)state;
	pages(0, 0, 0, 0);
	assert_int_equal(host_check_hugepages(root, err, sizeof(err)), -ENOMEM);
	assert_non_null(strstr(err, "no hugepages reserved"));
	assert_non_null(strstr(err, "vm.nr_hugepages"));
	assert_non_null(strstr(err, "hugepages=1024"));
}

static void test_all_in_use(void **state)
{
	char err[512] = "";

	(void)state;
	pages(512, 0, 0, 0);
	assert_int_equal(host_check_hugepages(root, err, sizeof(err)), -ENOMEM);
	assert_non_null(strstr(err, "512 reserved, all in use"));
}

static void test_no_sysfs(void **state)
{
	char err[512] = "";

	(void)state;
	assert_int_equal(host_check_hugepages("/nonexistent/hugepages", err, sizeof(err)), -ENOMEM);
	assert_non_null(strstr(err, "vm.nr_hugepages"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_free_2m_pages_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_1g_pages_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_none_reserved_names_the_settings, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_all_in_use, setup, teardown),
		cmocka_unit_test(test_no_sysfs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
