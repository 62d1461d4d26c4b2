/* Minimal unit-test helpers: each test file defines main() and calls the
 * checks; unit_done() prints a summary line and gives the exit status.
 * What cannot run here is said by unit_skip(), never passed over in
 * silence. */
#ifndef UNIT_H
#define UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int unit_failures;
static int unit_checks;
static int unit_skips;

#define CHECK(cond) do {						\
	unit_checks++;							\
	if (!(cond)) {							\
		unit_failures++;					\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

#define CHECK_INT(got, want) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	unit_checks++;							\
	if (g_ != w_) {							\
		unit_failures++;					\
		fprintf(stderr, "%s:%d: %s = %lld, want %lld\n",	\
		    __FILE__, __LINE__, #got, g_, w_);			\
	}								\
} while (0)

#define CHECK_STR(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	unit_checks++;							\
	if (g_ == NULL || w_ == NULL ? g_ != w_ : strcmp(g_, w_) != 0) {	\
		unit_failures++;					\
		fprintf(stderr, "%s:%d: %s = \"%s\", want \"%s\"\n",	\
		    __FILE__, __LINE__, #got, g_ ? g_ : "(null)",	\
		    w_ ? w_ : "(null)");				\
	}								\
} while (0)

/* Compares a byte string (may hold NULs) with the expected bytes. */
#define CHECK_MEM(got, gotlen, want, wantlen) do {			\
	size_t gl_ = (gotlen), wl_ = (wantlen);				\
	unit_checks++;							\
	if (gl_ != wl_ || memcmp((got), (want), gl_) != 0) {		\
		unit_failures++;					\
		fprintf(stderr, "%s:%d: %s differs (len %zu, want %zu)\n" \
		    "--- got:\n%.*s\n--- want:\n%.*s\n---\n",		\
		    __FILE__, __LINE__, #got, gl_, wl_,			\
		    (int)gl_, (const char *)(got), (int)wl_,		\
		    (const char *)(want));				\
	}								\
} while (0)

/* A part of the test that this machine cannot run: one line "SKIP name:
 * what and why" on the output, and a count in unit_done()'s line. */
static inline void unit_skip(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void
unit_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	unit_skips++;
	printf("SKIP %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline int
unit_done(const char *name)
{
	if (unit_skips > 0)
		printf("%s: %d checks, %d failed, %d skipped (SKIP lines "
		    "above)\n", name, unit_checks, unit_failures, unit_skips);
	else
		printf("%s: %d checks, %d failed\n", name, unit_checks,
		    unit_failures);
	return unit_failures == 0 ? 0 : 1;
}

#endif
