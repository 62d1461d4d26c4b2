/* attache --check: options and capsule problems, one line each. */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void
problem(FILE *out, struct check_counts *n, int is_error, const char *where,
    const char *msg)
{
	fprintf(out, "%s: %s%s\n", where, is_error ? "" : "warning: ", msg);
	if (is_error)
		n->errors++;
	else
		n->warnings++;
}

int
check_path_inside(const char *path, const char *dir)
{
	char rdir[PATH_MAX], rpath[PATH_MAX], copy[PATH_MAX], *parent;
	size_t dlen;

	if (realpath(dir, rdir) == NULL)
		return 0;
	if (realpath(path, rpath) == NULL) {
		/* Not there yet: judge by the directory it would be made in. */
		if (strlen(path) >= sizeof(copy))
			return 0;
		strcpy(copy, path);
		parent = dirname(copy);
		if (realpath(parent, rpath) == NULL)
			return 0;
	}
	dlen = strlen(rdir);
	if (strcmp(rdir, "/") == 0)
		return 1;
	return strncmp(rpath, rdir, dlen) == 0 &&
	    (rpath[dlen] == '/' || rpath[dlen] == '\0');
}

void
check_options(const struct config *cfg, FILE *out, struct check_counts *n)
{
	struct stat st;
	char msg[PATH_MAX + 64];

	if (stat(cfg->capsule, &st) == -1) {
		snprintf(msg, sizeof(msg), "capsule directory: %s",
		    strerror(errno));
		problem(out, n, 1, cfg->capsule, msg);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		problem(out, n, 1, cfg->capsule,
		    "capsule is not a directory");
		return;
	}
	if (check_path_inside(cfg->certs, cfg->capsule))
		problem(out, n, 1, cfg->certs, "certificate directory is "
		    "inside the capsule: keys would be served");
	if (stat(cfg->certs, &st) == 0 && !S_ISDIR(st.st_mode))
		problem(out, n, 1, cfg->certs,
		    "certificate path is not a directory");
}
