/* The index: building a segment, reading it, and ranking with BM25. */
#include <math.h>
#include <stdlib.h>

#include "search_index.h"
#include "search_rank.h"
#include "unit.h"

struct file {
	const char	*path;
	int64_t		 mtime;
	const char	*text;		/* NULL: by name only */
};

static const struct file office[] = {
	{ "/index.gmi", 100, "# Attaché office\n\nWelcome.\n"
	    "=> extradition.gmi Extradition requests\n" },
	{ "/extradition.gmi", 300, "# Extradition\n\nRequests for "
	    "extradition go through Interpol and the ministry.\n"
	    "Mutual legal assistance treaties apply.\n" },
	{ "/security.gmi", 200, "# Sécurité intérieure\n\nLa sécurité des "
	    "visas et l'extradition.\n" },
	{ "/notes.txt", 400, "interpol notes\nlegal mutual assistance\n" },
	{ "/photo.jpg", 50, NULL },
	{ "/untitled.gmi", 300, "no heading, just text about visas\n" },
	{ "/dir/index.gmi", 250, "## Sub\n=> gemini://example.org/\n" },
};

static struct index_segment *
build(const struct file *f, size_t n)
{
	struct index_builder *b;
	size_t i;

	if ((b = index_builder_new(1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (index_builder_add(b, f[i].path, f[i].mtime, f[i].text,
		    f[i].text ? strlen(f[i].text) : 0) == -1) {
			index_builder_free(b);
			return NULL;
		}
	return index_builder_finish(b);
}

static void
view_of(struct search_view *v, const struct index_segment *base,
    const struct index_segment *changes, const unsigned char *dead,
    size_t ndead)
{
	uint64_t words = 0;
	size_t i;

	memset(v, 0, sizeof(*v));
	v->seg[0] = base;
	v->seg[1] = changes;
	v->dead = dead;
	for (i = 0; base != NULL && i < base->ndocs; i++)
		if (!search_dead(dead, (uint32_t)i)) {
			v->ndocs++;
			words += base->docs[i].length;
		}
	(void)ndead;
	if (changes != NULL) {
		v->ndocs += changes->ndocs;
		words += changes->total_length;
	}
	v->avgdl = v->ndocs ? (double)words / (double)v->ndocs : 0;
}

/* The paths found for a query, joined by ' ', and the total. */
static const char *
found(const struct search_view *v, const char *query, search_admit_fn admit,
    size_t offset, size_t *total)
{
	static char out[1024];
	struct search_hit hits[10];
	struct query q;
	long n, i;
	size_t o = 0;

	out[0] = '\0';
	*total = 0;
	if (query_parse(query, strlen(query), 0, &q) != QUERY_OK)
		return "(bad query)";
	if ((n = search_run(v, &q, admit, NULL, offset, hits, 10, total)) < 0)
		return "(out of memory)";
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s",
		    i ? " " : "", hits[i].doc->path);
	return out;
}

static void
test_segment(void)
{
	struct index_segment *s = build(office, 7);
	const struct index_term *t;
	struct index_postings it;
	struct index_posting p;
	const unsigned char *pp;
	size_t first, last, i;
	uint32_t pos = 0;
	int f = 1;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(s->ndocs, 7);
	CHECK_STR(s->docs[0].title, "Attaché office");
	CHECK_STR(s->docs[2].title, "Sécurité intérieure");
	CHECK_STR(s->docs[3].title, "notes.txt");
	CHECK_STR(s->docs[4].title, "photo.jpg");
	CHECK_STR(s->docs[5].title, "untitled.gmi");
	CHECK_STR(s->docs[6].title, "Sub");
	CHECK_INT(s->docs[0].kind, INDEX_GEMTEXT);
	CHECK_INT(s->docs[3].kind, INDEX_TEXT);
	CHECK_INT(s->docs[4].kind, INDEX_NAME);
	/* Paths sorted bytewise; pages newest first, then by path. */
	CHECK_STR(s->docs[s->by_path[0]].path, "/dir/index.gmi");
	CHECK_STR(s->docs[s->by_path[6]].path, "/untitled.gmi");
	CHECK_INT(s->npages, 5);
	CHECK_STR(s->docs[s->by_mtime[0]].path, "/extradition.gmi");
	CHECK_STR(s->docs[s->by_mtime[1]].path, "/untitled.gmi");
	CHECK_STR(s->docs[s->by_mtime[2]].path, "/dir/index.gmi");
	CHECK_STR(s->docs[s->by_mtime[4]].path, "/index.gmi");
	CHECK_INT(index_doc_by_path(s, "/notes.txt"), 3);
	CHECK_INT(index_doc_by_path(s, "/nope"), -1);
	index_docs_under(s, "/dir/", &first, &last);
	CHECK_INT(last - first, 1);
	index_docs_under(s, "/", &first, &last);
	CHECK_INT(last - first, 7);
	/* Words as their lines show: a link's label, not its URL. */
	CHECK(index_term_find(s, "example", 7) != NULL);	/* no label */
	t = index_term_find(s, "gmi", 3);	/* untitled.gmi's name */
	CHECK(t != NULL && t->df == 1);
	CHECK(index_term_find(s, "jpg", 3) != NULL);		/* the name */
	CHECK(index_term_find(s, "securite", 8) != NULL);
	CHECK(index_term_find(s, "s\xc3\xa9" "curit\xc3\xa9", 10) == NULL);
	index_term_prefix(s, "inter", 5, &first, &last);
	CHECK_INT(last - first, 2);		/* interieure, interpol */
	index_term_prefix(s, "zzz", 3, &first, &last);
	CHECK_INT(last - first, 0);
	/* "extradition": in four files, twice in its own page's title. */
	t = index_term_find(s, "extradition", 11);
	CHECK(t != NULL);
	if (t != NULL) {
		CHECK_INT(t->df, 3);
		index_postings_init(&it, s, t);
		CHECK_INT(index_postings_next(&it, &p), 1);
		CHECK_INT(p.doc, 0);
		CHECK_INT(p.tf, 1);
		CHECK_INT(p.tf_title, 0);
		CHECK_INT(index_postings_next(&it, &p), 1);
		CHECK_INT(p.doc, 1);
		CHECK_INT(p.tf, 2);
		CHECK_INT(p.tf_title, 1);
		pp = p.pos;
		CHECK_INT(index_positions_next(&pp, p.pos + p.poslen, &pos,
		    &f), 1);
		CHECK_INT(pos, 0);
		CHECK_INT(index_positions_next(&pp, p.pos + p.poslen, &pos,
		    &f), 1);
		CHECK_INT(pos, 3);
		CHECK_INT(index_positions_next(&pp, p.pos + p.poslen, &pos,
		    &f), 0);
		CHECK_INT(index_postings_next(&it, &p), 1);
		CHECK_INT(p.doc, 2);
		CHECK_INT(index_postings_next(&it, &p), 0);
	}
	/* The name of a file titled by it comes first, as title words. */
	t = index_term_find(s, "notes", 5);
	CHECK(t != NULL && t->df == 1);
	for (i = 0; i < s->ndocs; i++)
		CHECK(s->docs[i].length > 0);
	CHECK_INT(s->docs[4].length, 2);	/* photo jpg */
	CHECK(s->bytes > 0);
	index_segment_unref(s);
}

static int
not_notes(void *arg, const char *path)
{
	(void)arg;
	return strcmp(path, "/notes.txt") != 0;
}

static void
test_search(void)
{
	struct index_segment *s = build(office, 7);
	struct search_view v;
	size_t total;

	if (s == NULL)
		return;
	view_of(&v, s, NULL, NULL, 0);
	CHECK_STR(found(&v, "extradition", NULL, 0, &total),
	    "/extradition.gmi /index.gmi /security.gmi");
	CHECK_INT(total, 3);
	/* Case and accents. */
	CHECK_STR(found(&v, "SECURITE", NULL, 0, &total), "/security.gmi");
	CHECK_STR(found(&v, "sécurité", NULL, 0, &total), "/security.gmi");
	/* The last word as a prefix; the others whole. */
	CHECK_STR(found(&v, "interp", NULL, 0, &total),
	    "/notes.txt /extradition.gmi");
	CHECK_STR(found(&v, "extradition interp", NULL, 0, &total),
	    "/extradition.gmi");
	CHECK_STR(found(&v, "interp extradition", NULL, 0, &total), "");
	CHECK_INT(total, 0);
	/* Every word. */
	CHECK_STR(found(&v, "extradition visas", NULL, 0, &total),
	    "/security.gmi");
	CHECK_STR(found(&v, "extradition nowhere", NULL, 0, &total), "");
	/* Phrases in order; the words alone in any. */
	CHECK_STR(found(&v, "\"mutual legal assistance\"", NULL, 0, &total),
	    "/extradition.gmi");
	CHECK_STR(found(&v, "assistance legal mutual", NULL, 0, &total),
	    "/notes.txt /extradition.gmi");
	CHECK_STR(found(&v, "\"legal mutual\"", NULL, 0, &total),
	    "/notes.txt");
	/* A phrase does not run from a file's name into its text. */
	CHECK_STR(found(&v, "\"txt interpol\"", NULL, 0, &total), "");
	/* Names only. */
	CHECK_STR(found(&v, "photo", NULL, 0, &total), "/photo.jpg");
	/* The title weighs more: "visas" once in each body; untitled
	 * is shorter but security has it... both in body only. */
	CHECK_STR(found(&v, "extradition", not_notes, 0, &total),
	    "/extradition.gmi /index.gmi /security.gmi");
	CHECK_STR(found(&v, "interpol", not_notes, 0, &total),
	    "/extradition.gmi");
	CHECK_INT(total, 1);
	/* Pages of results. */
	CHECK_STR(found(&v, "extradition", NULL, 1, &total),
	    "/index.gmi /security.gmi");
	CHECK_INT(total, 3);
	CHECK_STR(found(&v, "extradition", NULL, 3, &total), "");
	CHECK_INT(total, 3);
	index_segment_unref(s);
}

/* A file changed since the base: the base's copy is dead. */
static void
test_changes(void)
{
	static const struct file changed[] = {
		{ "/security.gmi", 500, "# Security\n\nNo more of that.\n" },
		{ "/new.gmi", 600, "# New page\n\nInterpol again.\n" },
	};
	struct index_segment *s = build(office, 7), *c = build(changed, 2);
	unsigned char dead[1] = { 0 };
	struct search_view v;
	size_t total;
	long d;

	if (s == NULL || c == NULL) {
		index_segment_unref(s);
		index_segment_unref(c);
		CHECK(0);
		return;
	}
	d = index_doc_by_path(s, "/security.gmi");
	CHECK_INT(d, 2);
	dead[d / 8] |= (unsigned char)(1 << (d % 8));
	/* And one deleted. */
	d = index_doc_by_path(s, "/notes.txt");
	dead[d / 8] |= (unsigned char)(1 << (d % 8));
	view_of(&v, s, c, dead, 7);
	CHECK_INT(v.ndocs, 7);
	CHECK_STR(found(&v, "securite", NULL, 0, &total), "");
	CHECK_STR(found(&v, "security", NULL, 0, &total), "/security.gmi");
	CHECK_STR(found(&v, "interpol", NULL, 0, &total),
	    "/new.gmi /extradition.gmi");
	CHECK_STR(found(&v, "extradition", NULL, 0, &total),
	    "/extradition.gmi /index.gmi");
	index_segment_unref(s);
	index_segment_unref(c);
}

/* The title counts three times: a title word ranks its page first. */
static void
test_title_weight(void)
{
	static const struct file f[] = {
		{ "/a.gmi", 1, "# Other\n\nvisa word word word\n" },
		{ "/b.gmi", 1, "# Visa\n\nword word word word\n" },
		{ "/c.gmi", 1, "# Other\n\nword word word word\n" },
	};
	struct index_segment *s = build(f, 3);
	struct search_view v;
	size_t total;

	if (s == NULL)
		return;
	view_of(&v, s, NULL, NULL, 0);
	CHECK_STR(found(&v, "visa", NULL, 0, &total), "/b.gmi /a.gmi");
	/* Equal scores: by path. */
	CHECK_STR(found(&v, "word", NULL, 0, &total),
	    "/b.gmi /c.gmi /a.gmi");
	index_segment_unref(s);
}

static void
test_bm25(void)
{
	/* idf = ln(1 + (10 - 2 + 0.5) / 2.5) = ln(4.4) */
	double want = log(4.4) * 3 * 2.2 / (3 + 1.2 * (0.25 + 0.75 * 2));

	CHECK(fabs(search_bm25(3, 2, 10, 200, 100) - want) < 1e-12);
	CHECK(search_bm25(1, 1, 1, 1, 0) > 0);
	CHECK(search_bm25(2, 1, 10, 10, 10) > search_bm25(1, 1, 10, 10, 10));
	CHECK(search_bm25(1, 1, 10, 10, 10) > search_bm25(1, 5, 10, 10, 10));
}

/* Without words: the files, their titles and dates, for the changes. */
static void
test_no_words(void)
{
	struct index_builder *b = index_builder_new(0);
	struct index_segment *s;
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < 7; i++)
		index_builder_add(b, office[i].path, office[i].mtime,
		    office[i].text, office[i].text ? strlen(office[i].text) :
		    0);
	if ((s = index_builder_finish(b)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_INT(s->ndocs, 7);
	CHECK_INT(s->nterms, 0);
	CHECK_INT(s->npages, 5);
	CHECK_STR(s->docs[2].title, "S\xc3\xa9" "curit\xc3\xa9 int\xc3\xa9rieure");
	index_segment_unref(s);
}

static void
test_empty(void)
{
	struct index_segment *s = build(NULL, 0);
	struct search_view v;
	size_t total;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(s->ndocs, 0);
	CHECK_INT(s->nterms, 0);
	view_of(&v, s, NULL, NULL, 0);
	CHECK_STR(found(&v, "x", NULL, 0, &total), "");
	view_of(&v, NULL, NULL, NULL, 0);
	CHECK_STR(found(&v, "x", NULL, 0, &total), "");
	index_segment_unref(s);
}

int
main(void)
{
	test_segment();
	test_search();
	test_changes();
	test_title_weight();
	test_bm25();
	test_no_words();
	test_empty();
	return unit_done("search_index");
}
