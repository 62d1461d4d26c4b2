/* attache --check: every file of the capsule, as readers would meet it. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsule.h"
#include "capsule_walk.h"
#include "check.h"
#include "conf.h"
#include "gophermap.h"
#include "gophermap_file.h"
#include "gemtext.h"
#include "gemtext_lint.h"
#include "link.h"
#include "mime.h"
#include "utf8.h"

#define CHECK_FILE_MAX	(64 * 1024 * 1024)	/* text read to check */

struct walk {
	const struct conf_site	*site;
	struct gemini_target	 self;		/* links to it are local */
	struct check_report	*r;
	struct capsule		 cap;
	const char		*prefix;	/* capsule dir as given, no final '/' */
	size_t			 prefixlen;
};

/* "capsule" + "/dir/page.gmi": the name an operator knows the file by. */
static void
display_path(const struct walk *w, const char *path, char *out, size_t outsz)
{
	snprintf(out, outsz, "%.*s%s", (int)w->prefixlen, w->prefix, path);
}

static void
check_link(struct walk *w, const char *file, unsigned long line,
    const char *page, const struct gemtext_line *l)
{
	struct capsule_object o;
	struct link_target t;
	int shown = (int)(l->urllen > 200 ? 200 : l->urllen);

	link_classify(l->url, l->urllen, page, &w->self, &t);
	if (t.kind == LINK_BAD) {
		check_problem(w->r, 0, file, line, "link %.*s cannot be "
		    "followed (control characters or malformed)", shown,
		    l->url);
		return;
	}
	if (t.kind != LINK_LOCAL)
		return;
	if (capsule_path_hidden(t.path, t.pathlen)) {
		check_problem(w->r, 1, file, line, "link to a dotfile, which "
		    "is never served: %.*s", shown, l->url);
		return;
	}
	switch (capsule_resolve(&w->cap, t.path, t.pathlen, &o)) {
	case CAPSULE_FILE:
	case CAPSULE_DIR_INDEX:
	case CAPSULE_DIR_LISTING:
		close(o.fd);
		break;
	case CAPSULE_NEED_SLASH:
		check_problem(w->r, 0, file, line, "link to the directory %.*s "
		    "without a final '/': Gopher clients will take it for a "
		    "file", shown, l->url);
		break;
	case CAPSULE_NOT_FOUND:
		check_problem(w->r, 1, file, line, "link to %s, which does not "
		    "exist", t.path);
		break;
	case CAPSULE_REFUSED:
		check_problem(w->r, 1, file, line, "link to %s, which is never "
		    "served (%s)", t.path, o.why);
		break;
	case CAPSULE_ERROR:
		check_problem(w->r, 1, file, line, "link to %s: %s", t.path,
		    o.why);
		break;
	}
}

/* The page being checked, for the lint's callbacks. */
struct page {
	struct walk	*w;
	const char	*file;
	const char	*path;
};

static void
page_problem(void *arg, int is_error, unsigned long line, const char *msg)
{
	struct page *p = arg;

	check_problem(p->w->r, is_error, p->file, line, "%s", msg);
}

static void
page_link(void *arg, unsigned long line, const struct gemtext_line *l)
{
	struct page *p = arg;

	check_link(p->w, p->file, line, p->path, l);
}

static void
check_gemtext(struct walk *w, const char *file, const char *page,
    const char *buf, size_t len)
{
	struct page p = { w, file, page };
	struct gemtext_lint_sink sink = { page_problem, page_link, &p };

	gemtext_lint(buf, len, (unsigned)w->site->gopher_width, &sink);
}

/* A hand-written Gopher menu: each malformed line. */
static void
check_gophermap(struct walk *w, const char *file, const char *buf,
    size_t len)
{
	struct gmf_iter it;
	struct gmf_line l;

	gmf_init(&it, buf, len);
	while (gmf_next(&it, &l))
		if (l.kind == GMF_BAD)
			check_problem(w->r, 1, file, l.lineno, "gophermap: %s",
			    l.why);
}

static void
check_file(struct walk *w, int dirfd, const char *name, const char *path)
{
	char file[PATH_MAX + 64];
	const char *mime, *why;
	size_t len, bad;
	char *buf;
	int fd, map;

	mime = mime_type(name, strlen(name));
	map = capsule_name_reserved(name, strlen(name));
	if (!map && strncmp(mime, "text/", 5) != 0)
		return;		/* binary: nothing a reader trips on */
	display_path(w, path, file, sizeof(file));
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		check_problem(w->r, 1, file, 0, "cannot read: %s",
		    strerror(errno));
		return;
	}
	buf = capsule_read_file(fd, CHECK_FILE_MAX, &len, &why);
	close(fd);
	if (buf == NULL) {
		check_problem(w->r, 0, file, 0, "not checked: %s", why);
		return;
	}
	if (map)
		check_gophermap(w, file, buf, len);
	else if ((bad = utf8_error_at(buf, len)) < len)
		check_problem(w->r, 1, file, gemtext_line_at(buf, bad),
		    "not valid UTF-8 (byte 0x%02x)", (unsigned char)buf[bad]);
	if (mime_is_gemtext(name, strlen(name)))
		check_gemtext(w, file, path, buf, len);
	free(buf);
}

/* An executable: a program under a cgi location, else a file served. */
static void
check_program(struct walk *w, const char *path, const struct stat *st)
{
	const struct conf_location *loc;
	char file[PATH_MAX + 64];

	if (!S_ISREG(st->st_mode) || (st->st_mode & 0111) == 0)
		return;
	display_path(w, path, file, sizeof(file));
	loc = conf_location_match(w->site, path);
	if (loc != NULL && loc->cgi)
		fprintf(w->r->out, "%s: CGI program %s of site %s (location "
		    "\"%s\")\n", file, path, w->site->name, loc->pattern);
	else
		check_problem(w->r, 0, file, 0, "executable outside any cgi "
		    "location: served as a file, never run");
}

static int
walk_file(void *arg, int dirfd, const char *name, const char *path,
    const struct stat *st)
{
	check_program(arg, path, st);
	check_file(arg, dirfd, name, path);
	return 0;
}

/* Its target is checked where it lives, if inside. */
static int
walk_symlink(void *arg, const char *path)
{
	struct walk *w = arg;
	struct capsule_object o;
	char file[PATH_MAX + 64];

	if (capsule_resolve(&w->cap, path, strlen(path), &o) ==
	    CAPSULE_REFUSED) {
		display_path(w, path, file, sizeof(file));
		check_problem(w->r, 0, file, 0, "symlink %s: never served",
		    o.why);
	}
	if (o.fd != -1)
		close(o.fd);
	return 0;
}

static void
walk_problem(void *arg, const char *path, int err)
{
	struct walk *w = arg;
	char file[PATH_MAX + 64];

	display_path(w, path, file, sizeof(file));
	if (err == 0)
		check_problem(w->r, 0, file, 0, "nested too deep; not checked");
	else
		check_problem(w->r, 1, file, 0, "cannot list: %s",
		    strerror(err));
}

/* A page the server makes up, hidden by a file of the capsule. */
static void
check_page(struct walk *w, const struct conf *conf, const char *directive,
    const char *path, unsigned line, const char *what)
{
	struct capsule_object o;
	enum capsule_result r;
	char file[PATH_MAX + 64];

	r = capsule_resolve(&w->cap, path, strlen(path), &o);
	if (o.fd != -1)
		close(o.fd);
	if (r != CAPSULE_FILE && r != CAPSULE_DIR_INDEX &&
	    r != CAPSULE_DIR_LISTING && r != CAPSULE_NEED_SLASH)
		return;
	if (conf->file != NULL)
		check_problem(w->r, 0, conf->file, line != 0 ? line :
		    w->site->line, "%s %s: the capsule has a file there, "
		    "served instead of %s", directive, path, what);
	else {
		display_path(w, path, file, sizeof(file));
		check_problem(w->r, 0, file, 0, "served instead of %s (%s)",
		    what, directive);
	}
}

static void
check_pages(struct walk *w, const struct conf *conf)
{
	const struct conf_site *s = w->site;

	if (s->search)
		check_page(w, conf, "search-path", conf_search_path(s),
		    s->search_path_line, "the search");
	if (s->changes) {
		check_page(w, conf, "changes-path", conf_changes_path(s),
		    s->changes_path_line, "the change list");
		check_page(w, conf, "atom-path", conf_atom_path(s),
		    s->atom_path_line, "the Atom feed");
	}
}

/*
 * A location's FastCGI responder, listed; warned of: a unix socket not
 * there (yet), and cgi on beside it.  Only a file says fastcgi.
 */
static void
check_fastcgi(const struct conf *conf, const struct conf_site *site,
    const struct conf_location *l, struct check_report *r)
{
	const char *file = conf->file != NULL ? conf->file : l->pattern;
	struct stat st;
	const char *why = NULL;

	if (!conf_location_fastcgi(l))
		return;
	if (l->fastcgi == CONF_FASTCGI_TCP) {
		fprintf(r->out, "%s: FastCGI responder %s port %d of site %s\n",
		    l->pattern, l->fastcgi_addr, l->fastcgi_port, site->name);
	} else {
		fprintf(r->out, "%s: FastCGI responder %s of site %s\n",
		    l->pattern, l->fastcgi_addr, site->name);
		if (stat(l->fastcgi_addr, &st) == -1)
			why = strerror(errno);
		else if (!S_ISSOCK(st.st_mode))
			why = "not a socket";
		if (why != NULL)
			check_problem(r, 0, file, l->line, "fastcgi socket %s: "
			    "%s (its requests get 42 until the responder "
			    "listens there)", l->fastcgi_addr, why);
	}
	if (l->cgi)
		check_problem(r, 0, file, l->line, "location %s has both cgi "
		    "on and fastcgi: its requests go to the responder, no "
		    "script runs", l->pattern);
}

void
check_capsule(const struct conf *conf, const struct conf_site *site,
    struct check_report *r)
{
	struct capsule_walker walker;
	struct walk w;
	struct stat st;
	char err[PATH_MAX + 64];
	size_t i;

	memset(&w, 0, sizeof(w));
	memset(&walker, 0, sizeof(walker));
	w.site = site;
	w.self.hostname = site->name;
	w.self.port = (unsigned)conf->gemini_port;
	w.self.aliases = (const char *const *)site->aliases;
	w.self.naliases = site->naliases;
	w.r = r;
	w.prefix = site->capsule;
	w.prefixlen = strlen(site->capsule);
	while (w.prefixlen > 1 && w.prefix[w.prefixlen - 1] == '/')
		w.prefixlen--;
	if (capsule_open(&w.cap, site->capsule, err, sizeof(err)) == -1)
		return;		/* check_site has said why */
	if (fstatat(w.cap.rootfd, "index.gmi", &st, 0) == -1 ||
	    !S_ISREG(st.st_mode))
		check_problem(r, 1, site->capsule, 0, "no index.gmi at the "
		    "root: the home page of both protocols would be a listing");
	check_pages(&w, conf);
	if (site->titan_hook != NULL) {
		if (access(site->titan_hook, X_OK) == 0)
			fprintf(r->out, "%s: titan-hook of site %s\n",
			    site->titan_hook, site->name);
		else
			check_problem(r, 1, site->titan_hook, 0, "titan-hook "
			    "of site %s: %s", site->name, strerror(errno));
	}
	for (i = 0; i < site->nlocations; i++)
		check_fastcgi(conf, site, &site->locations[i], r);
	walker.arg = &w;
	walker.file = walk_file;
	walker.symlink = walk_symlink;
	walker.problem = walk_problem;
	(void)capsule_walk(&walker, w.cap.rootfd, "/");
	capsule_close(&w.cap);
}
