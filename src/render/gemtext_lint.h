/*
 * What a reader of a gemtext page would trip on (pure): shared by --check
 * and by Titan uploads, whose warnings are logged.
 */
#ifndef ATTACHE_GEMTEXT_LINT_H
#define ATTACHE_GEMTEXT_LINT_H

#include <stddef.h>

#include "gemtext.h"

struct gemtext_lint_sink {
	/* One problem at a line (from 1); msg is valid during the call. */
	void	(*report)(void *arg, int is_error, unsigned long line,
		    const char *msg);
	/* Each link line, for checks that need the capsule; may be NULL. */
	void	(*link)(void *arg, unsigned long line,
		    const struct gemtext_line *l);
	void	*arg;
};

/*
 * Reports, in line order: CR-only line ends (error), preformatted lines
 * wider than width columns (warning: Gopher clients cut them), a
 * preformatted block never closed (error), no level-1 heading (warning).
 */
void		 gemtext_lint(const char *buf, size_t len, unsigned width,
		    const struct gemtext_lint_sink *sink);

/* The line (from 1) holding byte off of buf. */
unsigned long	 gemtext_line_at(const char *buf, size_t off);

#endif
