/* The pages a site's capsule service makes up, in either protocol. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "bounds.h"
#include "capsule_service.h"
#include "capsule_snapshot.h"
#include "extract_files.h"
#include "generation.h"
#include "search_pages.h"
#include "search_rank.h"
#include "site_pages.h"
#include "zone.h"
#include "uri.h"

#define EXTRACT_READ_MAX	(64 * 1024)	/* of a file from its start, when
						 * its marks cannot say where */
#define EXTRACT_WINDOW_MAX	4096	/* of a file, where its marks say */
#define EXTRACT_AHEAD		2	/* marks read past the word shown */
#define EXTRACT_LINE_MORE	1024	/* read past them, for their line */

enum site_page
site_page_route(const struct site *s, const char *path, size_t len,
    unsigned *page)
{
	const struct conf_site *cs = s->conf;
	const char *search = conf_search_path(cs), *p;
	size_t n = strlen(search);
	unsigned long v;

	*page = 1;
	if (s->service == NULL || memchr(path, '\0', len) != NULL)
		return SITE_PAGE_NONE;
	if (cs->search && len >= n && memcmp(path, search, n) == 0) {
		if (len == n)
			return SITE_PAGE_SEARCH;
		/* "/search/2": digits only, no leading 0. */
		p = path + n;
		if (len > n + 1 && len <= n + 5 && p[0] == '/' &&
		    p[1] >= '1' && p[1] <= '9') {
			for (v = 0, p++; p < path + len && *p >= '0' &&
			    *p <= '9'; p++)
				v = v * 10 + (unsigned long)(*p - '0');
			if (p == path + len && v <= SITE_SEARCH_PAGES_MAX) {
				*page = (unsigned)v;
				return SITE_PAGE_SEARCH;
			}
		}
	}
	if (!cs->changes)
		return SITE_PAGE_NONE;
	if (strlen(conf_changes_path(cs)) == len &&
	    memcmp(path, conf_changes_path(cs), len) == 0)
		return SITE_PAGE_CHANGES;
	if (strlen(conf_atom_path(cs)) == len &&
	    memcmp(path, conf_atom_path(cs), len) == 0)
		return SITE_PAGE_ATOM;
	return SITE_PAGE_NONE;
}

int
site_file_wins(const struct site *s, const char *path, size_t len)
{
	struct capsule_object o;
	enum capsule_result r;

	r = capsule_resolve(&s->capsule, path, len, &o);
	if (o.fd != -1)
		close(o.fd);
	return r != CAPSULE_NOT_FOUND && r != CAPSULE_REFUSED;
}

int
site_admits(const struct site *s, const char *path, int gopher)
{
	const struct conf_location *loc;

	/*
	 * A protected zone is in no result and no change list, in either
	 * protocol: its titles and extracts are not for everyone.
	 */
	(void)gopher;
	/* Most sites have no location: every page is in (no match to try). */
	if (s->conf->nlocations == 0)
		return 1;
	if (!zone_public(s->conf, path))
		return 0;
	loc = conf_location_match(s->conf, path);
	return loc == NULL || loc->action == CONF_ACTION_NONE;
}

char
site_page_gopher_type(const void *site, const char *path, size_t len)
{
	const struct conf_location *loc;
	char p[REQUEST_MAX + 1];
	unsigned page;

	switch (site_page_route(site, path, len, &page)) {
	case SITE_PAGE_SEARCH:
		return page == 1 ? '7' : 0;
	case SITE_PAGE_CHANGES:
		return '1';
	case SITE_PAGE_ATOM:
		return '0';
	case SITE_PAGE_NONE:
		break;
	}
	/* A program's page: most likely gemtext, which becomes a menu. */
	if (len < sizeof(p)) {
		memcpy(p, path, len);
		p[len] = '\0';
		loc = conf_location_match(((const struct site *)site)->conf, p);
		if (loc != NULL && loc->cgi)
			return '1';
	}
	return 0;
}

struct admit {
	const struct site	*site;
	int			 gopher;
};

/* search_run's question for each hit: may the results show it? */
static int
hit_admitted(void *arg, const char *path)
{
	const struct admit *a = arg;

	return site_admits(a->site, path, a->gopher);
}

/* Up to max bytes of fd from off, stopping early at want bytes. */
static size_t
read_at(int fd, char *buf, size_t max, size_t want, off_t off)
{
	size_t n = 0;
	ssize_t r;

	while (n < max && n < want) {
		r = pread(fd, buf + n, max - n, off + (off_t)n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return n;
}

static int64_t
monotonic_sec(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec;
}

/*
 * The file of doc d open for reading, from the worker's open files when
 * it keeps it (*kept set: not to be closed), else opened now and kept if
 * it is still the file indexed.  *fresh says whether it is (the same
 * inode, size and time): only then do the index's marks fit it.  Returns
 * the descriptor, or -1.
 */
static int
open_indexed(const struct site *s, struct extract_files *files,
    const struct index_doc *d, uint64_t *size, int *fresh, int *kept)
{
	struct extract_file_id id = { d->dev, d->ino, d->size, d->mtime };
	struct capsule_object o;
	int64_t now = monotonic_sec();
	int fd;

	*kept = *fresh = 0;
	if (files != NULL && (fd = extract_files_get(files, &id, now)) != -1) {
		*size = d->size;
		*kept = *fresh = 1;
		return fd;
	}
	if (capsule_resolve(&s->capsule, d->path, strlen(d->path), &o) !=
	    CAPSULE_FILE || o.size < 0) {
		if (o.fd != -1)
			close(o.fd);
		return -1;
	}
	*size = (uint64_t)o.size;
	*fresh = *size == d->size && (int64_t)o.st.st_mtim.tv_sec ==
	    d->mtime && (d->ino == 0 || ((uint64_t)o.st.st_ino == d->ino &&
	    (uint64_t)o.st.st_dev == d->dev));
	if (*fresh && files != NULL)
		*kept = extract_files_put(files, &id, o.fd, now);
	return o.fd;
}

/*
 * The extract of a hit into out: from the window of the file its marks
 * say, while the file is as indexed (its inode, size and time); else, or
 * when the window shows nothing (or may miss a better line), from the
 * file's first EXTRACT_READ_MAX bytes.
 */
static void
extract(const struct site *s, struct extract_files *files,
    const struct search_hit *h, const struct query *q, char *out,
    size_t outsz)
{
	const struct index_doc *d = h->doc;
	int gemtext = d->kind == INDEX_GEMTEXT;
	char window[EXTRACT_WINDOW_MAX], *head;
	struct index_window w;
	size_t len, max;
	uint64_t span, size;
	const char *nl;
	enum extract_shown shown;
	int fd, fresh, kept;

	out[0] = '\0';
	if (d->kind == INDEX_NAME ||
	    (fd = open_indexed(s, files, d, &size, &fresh, &kept)) == -1)
		return;
	if (h->at != UINT32_MAX && fresh &&
	    index_doc_window(d, h->at, EXTRACT_AHEAD, &w) &&
	    w.start < d->size) {
		/* On to the end of the last mark's line, whole lines only. */
		span = w.end - w.start;
		max = span < sizeof(window) - EXTRACT_LINE_MORE ?
		    (size_t)span + EXTRACT_LINE_MORE : sizeof(window);
		len = read_at(fd, window, max, max, (off_t)w.start);
		if (w.start + len < size) {
			nl = span < len ? memchr(window + span, '\n',
			    len - (size_t)span) : memrchr(window, '\n', len);
			if (nl != NULL)
				len = (size_t)(nl - window) + 1;
		}
		/*
		 * Short of a line with every word, look at it all when the
		 * window shows only a heading, or when where the words are
		 * was not known exactly (a prefix's several words).
		 */
		if (search_extract_window(window, len, gemtext, w.pre,
		    w.midline, q, out, outsz, &shown) > 0 &&
		    (shown == EXTRACT_ALL || (shown == EXTRACT_SOME &&
		    h->exact)))
			goto done;
	}
	if ((head = malloc(EXTRACT_READ_MAX)) != NULL) {
		len = read_at(fd, head, EXTRACT_READ_MAX, (size_t)size, 0);
		search_extract(head, len, gemtext, q, out, outsz);
		free(head);
	}
done:
	if (!kept)
		close(fd);
}

enum site_answer
site_search(const struct site *s, int slot, const struct query *q,
    unsigned page, const struct gophermap_opts *o, struct evbuffer *out)
{
	struct search_hit hits[SEARCH_PAGE_SIZE];
	struct search_result results[SEARCH_PAGE_SIZE];
	char extracts[SEARCH_PAGE_SIZE][EXTRACT_MAX + 8];
	const struct capsule_snapshot *snap;
	struct admit a = { s, o != NULL };
	struct search_page p;
	enum site_answer r = SITE_ANSWER_NOMEM;
	struct extract_files *files;
	size_t total, i;
	long n;

	if ((snap = capsule_service_enter(s->service, slot)) == NULL ||
	    !snap->words) {
		capsule_service_leave(s->service, slot);
		return SITE_ANSWER_NOT_READY;
	}
	/* Without locations every page is in: no call per file to say so. */
	n = search_run(&snap->view, q,
	    s->conf->nlocations > 0 ? hit_admitted : NULL, &a,
	    (size_t)(page - 1) * SEARCH_PAGE_SIZE, hits, SEARCH_PAGE_SIZE,
	    &total);
	if (n < 0)
		goto out;
	/* Out of memory for it: each file opened now, then closed. */
	files = capsule_service_files(s->service, slot);
	for (i = 0; i < (size_t)n; i++) {
		results[i].path = hits[i].doc->path;
		results[i].title = hits[i].doc->title;
		results[i].extract = extracts[i];
		extract(s, files, &hits[i], q, extracts[i],
		    sizeof(extracts[i]));
	}
	p.search_path = conf_search_path(s->conf);
	p.q = q;
	p.total = total;
	p.page = page;
	p.r = results;
	p.n = (size_t)n;
	if ((o != NULL ? search_page_menu(out, &p, o) :
	    search_page_gemtext(out, &p)) == 0)
		r = SITE_ANSWER_OK;
out:
	capsule_service_leave(s->service, slot);
	return r;
}

enum site_answer
site_changes(const struct site *s, int slot, enum site_page page,
    const struct feed_links *l, const struct gophermap_opts *o,
    struct evbuffer *out)
{
	struct change_entry e[CHANGES_MAX];
	const struct capsule_snapshot *snap;
	const struct index_doc *d;
	size_t i, n = 0;
	int r;

	if ((snap = capsule_service_enter(s->service, slot)) == NULL) {
		capsule_service_leave(s->service, slot);
		return SITE_ANSWER_NOT_READY;
	}
	for (i = 0; i < snap->npages && n < CHANGES_MAX; i++) {
		d = snap->pages[i];
		if (!site_admits(s, d->path, o != NULL))
			continue;
		e[n].path = d->path;
		e[n].title = d->title;
		e[n++].mtime = d->mtime;
	}
	if (page == SITE_PAGE_ATOM)
		r = changes_atom(out, l, e, n);
	else if (o != NULL)
		r = changes_menu(out, s->conf->name, e, n, o);
	else
		r = changes_gemsub(out, s->conf->name, e, n);
	capsule_service_leave(s->service, slot);
	return r == 0 ? SITE_ANSWER_OK : SITE_ANSWER_NOMEM;
}

void
site_feed_links(const struct site *s, int gemini_port, struct site_feed *f)
{
	const struct conf_site *cs = s->conf;
	int v6 = strchr(cs->name, ':') != NULL;
	char port[16] = "", atom[3 * CONF_PAGE_PATH_MAX + 1];
	char changes[3 * CONF_PAGE_PATH_MAX + 1];
	const char *sel = "1";

	if (gemini_port != 0) {
		if (gemini_port != GEMINI_DEFAULT_PORT)
			snprintf(port, sizeof(port), ":%d", gemini_port);
		snprintf(f->pages, sizeof(f->pages), "gemini://%s%s%s%s",
		    v6 ? "[" : "", cs->name, v6 ? "]" : "", port);
		sel = "";
	} else
		snprintf(f->pages, sizeof(f->pages), "gopher://%s%s%s:%d/1",
		    v6 ? "[" : "", cs->name, v6 ? "]" : "",
		    conf_gopher_public_port(cs));
	if (uri_percent_encode_path(conf_atom_path(cs),
	    strlen(conf_atom_path(cs)), atom, sizeof(atom), 0) == -1 ||
	    uri_percent_encode_path(conf_changes_path(cs),
	    strlen(conf_changes_path(cs)), changes, sizeof(changes), 0) == -1)
		atom[0] = changes[0] = '\0';	/* cannot be: paths are short */
	/* Over Gopher the feed is a text file (type 0), the list a menu. */
	snprintf(f->self, sizeof(f->self), "%.*s%s%s",
	    (int)(strlen(f->pages) - strlen(sel)), f->pages,
	    *sel != '\0' ? "0" : "", atom);
	snprintf(f->alternate, sizeof(f->alternate), "%s%s", f->pages,
	    changes);
	f->l.site = cs->name;
	f->l.pages = f->pages;
	f->l.self = f->self;
	f->l.alternate = f->alternate;
}
