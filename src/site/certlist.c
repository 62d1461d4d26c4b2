/* Fingerprint files, read into the configuration of a generation. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsule.h"
#include "certlist.h"
#include "fingerprint.h"

struct load {
	struct conf_certs		*set;
	const struct conf_certfile	*file;
	struct conf_diag		*diag;
	const char			*directive;
	int				 oom;
};

static int
add(void *arg, const unsigned char fp[FINGERPRINT_LEN])
{
	struct load *l = arg;

	if (conf_certs_add(l->set, fp) == -1) {
		l->oom = 1;
		return -1;
	}
	return 0;
}

static void
bad(void *arg, unsigned line, const char *msg)
{
	struct load *l = arg;

	conf_report(l->diag, l->file->line, "%s: %s:%u: %s", l->directive,
	    l->file->path, line, msg);
}

char *
certlist_read_file(void *arg, const char *path, size_t *len, const char **why)
{
	char *text;
	int fd;

	(void)arg;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		*why = strerror(errno);
		return NULL;
	}
	text = capsule_read_file(fd, CERTLIST_FILE_MAX, len, why);
	close(fd);
	return text;
}

static int
load_file(struct conf_certs *set, const struct conf_certfile *f,
    const char *directive, certlist_reader read, void *arg,
    struct conf_diag *diag)
{
	struct load l = { set, f, diag, directive, 0 };
	struct fingerprint_sink sink = { add, bad, &l };
	const char *why = "cannot read";
	size_t len;
	char *text;
	int nbad;

	if ((text = read(arg, f->path, &len, &why)) == NULL) {
		conf_report(diag, f->line, "%s: %s: %s", directive, f->path, why);
		return -1;
	}
	nbad = fingerprint_list_parse(text, len, &sink);
	free(text);
	if (l.oom)
		conf_report(diag, f->line, "%s: %s: out of memory", directive,
		    f->path);
	return nbad == 0 ? 0 : -1;
}

static int
load_set(struct conf_certs *set, const char *directive, certlist_reader read,
    void *arg, struct conf_diag *diag)
{
	size_t i;
	int rv = 0;

	for (i = 0; i < set->nfiles; i++)
		if (load_file(set, &set->files[i], directive, read, arg,
		    diag) == -1)
			rv = -1;
	return rv;
}

int
certlist_load_site(struct conf_site *s, certlist_reader read, void *arg,
    struct conf_diag *diag)
{
	size_t i;
	int rv = 0;

	for (i = 0; i < s->nlocations; i++)
		if (load_set(&s->locations[i].allow, "allow-certificates",
		    read, arg, diag) == -1)
			rv = -1;
	if (load_set(&s->operators, "titan-operator", read, arg, diag) == -1)
		rv = -1;
	return rv;
}
