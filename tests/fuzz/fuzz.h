/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the libFuzzer targets of tests/fuzz share: the entry points, a failed
 * invariant (printed, then abort(), which libFuzzer reports as a crash and
 * saves the input), splitting an input into NUL-separated words, and the
 * UTF-8 check that stands for jansson's and libyaml's (text that reaches the
 * control plane has passed one of them).  Single-threaded, one input at a
 * time.
 */
#ifndef KVS_TEST_FUZZ_H
#define KVS_TEST_FUZZ_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static inline void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "INVARIANT FAILED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/*
 * Known bugs a long campaign may step over so that it can look for others:
 * KVS_FUZZ_TOLERATE=m4,cli-utf8,h1 (names in tests/fuzz/README.md).  Unset
 * (run.sh, CI): every invariant holds, known bug or not.
 */
static inline bool fuzz_tolerate(const char *bug)
{
	const char *t = getenv("KVS_FUZZ_TOLERATE"), *p;
	size_t n = strlen(bug);

	for (p = t; p != NULL && (p = strstr(p, bug)) != NULL; p += n)
		if ((p == t || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

/* Split data into at most max NUL-terminated words (a copy in *buf, which
 * the caller frees); a word ends at a NUL byte or at the end. */
static inline unsigned int fuzz_words(const uint8_t *data, size_t size, char **buf, char **w,
				      unsigned int max)
{
	unsigned int n = 0;
	size_t i, start = 0;

	*buf = malloc(size + 1);
	if (*buf == NULL)
		abort();
	memcpy(*buf, data, size);
	(*buf)[size] = '\0';
	for (i = 0; i <= size && n < max; i++)
		if ((*buf)[i] == '\0') {
			w[n++] = *buf + start;
			start = i + 1;
		}
	return n;
}

/* Is s valid UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF)? */
static inline bool fuzz_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned int c = *p, n, cp, i;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

#endif
