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
check_setting(struct check_report *r, const struct conf *conf, unsigned line,
    const char *path, const char *fmt, ...)
{
	char msg[PATH_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (conf->file != NULL)
		check_problem(r, 1, conf->file, line, "%s: %s", path, msg);
	else
		check_problem(r, 1, path, 0, "%s", msg);
}

int
check_site(const struct conf *conf, const struct conf_site *s,
    struct check_report *r)
{
	struct stat st;

	if (stat(s->capsule, &st) == -1) {
		check_setting(r, conf, s->capsule_line, s->capsule,
		    "capsule directory: %s", strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		check_setting(r, conf, s->capsule_line, s->capsule,
		    "capsule is not a directory");
		return -1;
	}
	if (check_path_inside(s->certs, s->capsule))
		check_setting(r, conf, s->certs_line, s->certs, "certificate "
		    "directory is inside the capsule: its keys would be served");
	if (stat(s->certs, &st) == 0 && !S_ISDIR(st.st_mode))
		check_setting(r, conf, s->certs_line, s->certs,
		    "certificate path is not a directory");
	return 0;
}
