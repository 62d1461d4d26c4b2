/* attache --check: what would trip the server or its readers, found before
 * they do.  Each problem is one line, "file:line: message". */
#ifndef ATTACHE_CHECK_H
#define ATTACHE_CHECK_H

#include <stdio.h>

#include "conf.h"

struct check_report {
	FILE	*out;
	int	 errors;
	int	 warnings;
};

/* One problem; line 0 when it belongs to no line of the file. */
void	check_problem(struct check_report *r, int is_error, const char *file,
	    unsigned long line, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/*
 * A problem with a setting: at FILE:LINE when the configuration comes from
 * a file, else at what names it on the command line (path, line 0).
 */
void	check_setting(struct check_report *r, const struct conf *conf,
	    unsigned line, const char *path, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/*
 * A site's settings that cannot work: a capsule that is missing or not a
 * directory, a certificate directory inside it.  Returns 0 when the
 * capsule can be checked.
 */
int	check_site(const struct conf *conf, const struct conf_site *s,
	    struct check_report *r);

/*
 * Every file of the capsule: links to missing files or dotfiles, text that
 * is not UTF-8, CR-only line ends, unclosed preformatted blocks, pages
 * without a level-1 heading, preformatted lines wider than the Gopher
 * width, no index.gmi at the root.  Symlinks are never followed out.
 */
void	check_capsule(const struct conf *conf, const struct conf_site *site,
	    struct check_report *r);

/* 1 when path (existing or not) lies inside the existing directory dir. */
int	check_path_inside(const char *path, const char *dir);

#endif
