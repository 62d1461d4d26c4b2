/* attache --check: reporting, and the options that cannot work. */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

void
check_problem(struct check_report *r, int is_error, const char *file,
    unsigned long line, const char *fmt, ...)
{
	va_list ap;

	if (line > 0)
		fprintf(r->out, "%s:%lu: ", file, line);
	else
		fprintf(r->out, "%s: ", file);
	if (!is_error)
		fputs("warning: ", r->out);
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
	if (is_error)
		r->errors++;
	else
		r->warnings++;
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
check_options(const struct config *cfg, struct check_report *r)
{
	struct stat st;

	if (stat(cfg->capsule, &st) == -1) {
		check_problem(r, 1, cfg->capsule, 0, "capsule directory: %s",
		    strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		check_problem(r, 1, cfg->capsule, 0,
		    "capsule is not a directory");
		return;
	}
	if (check_path_inside(cfg->certs, cfg->capsule))
		check_problem(r, 1, cfg->certs, 0, "certificate directory is "
		    "inside the capsule: its keys would be served");
	if (stat(cfg->certs, &st) == 0 && !S_ISDIR(st.st_mode))
		check_problem(r, 1, cfg->certs, 0,
		    "certificate path is not a directory");
}
