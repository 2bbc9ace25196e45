/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_conf: the configuration file loader (control/conf_file.c, libyaml)
 * on any text.  A text it refuses must come with an error naming where
 * ("NAME:LINE: ..." or "NAME: ..."); a text it accepts must have passed
 * validation, with typed views in range (tests/fuzz/db_checks.h), and dumping it (the text
 * conf_save writes), loading the dump and dumping again must give the same text: what kvswitchd
 * saves it can read back, unchanged, at the next start.
 */
#include <errno.h>

#include "control/db.h"
#include "tests/fuzz/db_checks.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[DB_ERR_LEN] = "";
	char *text = malloc(size + 1);
	struct db *db;

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0'; /* up to a NUL: conf_load refuses a file with one */
	db = conf_load_string(text, "f.yaml", err, sizeof(err));
	free(text);
	if (db == NULL) {
		if (strncmp(err, "f.yaml", 6) != 0 || strlen(err) < 9)
			fuzz_fail("refused without a located error: '%s'", err);
		return 0;
	}
	if (db_validate(db, err, sizeof(err)) < 0)
		fuzz_fail("loaded a configuration that does not validate: %s", err);
	fuzz_check_views(db);
	fuzz_check_reload(db);
	db_destroy(db);
	return 0;
}
