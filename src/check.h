/* attache --check: what would trip the server or its readers, found before
 * they do.  Each problem is printed as one line on stdout. */
#ifndef ATTACHE_CHECK_H
#define ATTACHE_CHECK_H

#include <stdio.h>

#include "config.h"

struct check_counts {
	int	errors;
	int	warnings;
};

/* Options that cannot work together: capsule missing, certs inside it. */
void	check_options(const struct config *cfg, FILE *out,
	    struct check_counts *n);

/* 1 when path (existing or not) lies inside the existing directory dir. */
int	check_path_inside(const char *path, const char *dir);

#endif
