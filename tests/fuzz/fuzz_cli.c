/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_cli: kvsctl's command-line parser (control/cli_parse.c) on any argv.
 * The input is the command words separated by NUL bytes (as the kernel hands
 * them to main, so any bytes but NUL).  Invariants: a refusal comes with a
 * message; an accepted command is an object with a "method" string and
 * "params", and its JSON text (what kvsctl sends) parses back to an equal
 * value.
 */
#include "control/cli_parse.h"
#include "tests/fuzz/fuzz.h"

#define MAX_ARGS 256

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[MAX_ARGS + 1], err[1024] = "";
	unsigned int argc = size ? fuzz_words(data, size, &buf, argv, MAX_ARGS) : 0;
	json_t *req, *again;
	char *text;

	if (size == 0)
		buf = NULL;
	argv[argc] = NULL;
	req = cli_parse((int)argc, argv, err, sizeof(err));
	if (req == NULL) {
		bool text = true;

		for (unsigned int i = 0; i < argc; i++)
			text = text && fuzz_utf8(argv[i]);
		/* cli-utf8: an argument that is not UTF-8 makes json_pack fail and
		 * cli_parse return NULL with no message (kvsctl prints "kvsctl: ") */
		if (err[0] == '\0' && !(!text && fuzz_tolerate("cli-utf8")))
			fuzz_fail("refused without a message");
		free(buf);
		return 0;
	}
	if (!json_is_object(req) || !json_is_string(json_object_get(req, "method")) ||
	    json_object_get(req, "params") == NULL)
		fuzz_fail("accepted, but not {method, params}");
	text = json_dumps(req, JSON_COMPACT);
	/* json_dumps refuses only strings that are not UTF-8; kvsctl then
	 * reports an error, which is fine for bytes that are not text. */
	if (text != NULL) {
		json_error_t jerr;

		again = json_loads(text, 0, &jerr);
		if (again == NULL)
			fuzz_fail("request does not reparse: %s: %s", jerr.text, text);
		if (!json_equal(req, again))
			fuzz_fail("request reparses to a different value: %s", text);
		json_decref(again);
		free(text);
	}
	json_decref(req);
	free(buf);
	return 0;
}
