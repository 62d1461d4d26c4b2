/* A segment of the search index: building it, and reading it (pure). */
#include <stdlib.h>
#include <string.h>

#include "lru_table.h"
#include "mime.h"
#include "search_index.h"
#include "utf8.h"
#include "words.h"

/* A growable byte buffer. */
struct buf {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
};

/* A word being built: its postings so far. */
struct tbuild {
	uint32_t	 word;		/* offset in the builder's words */
	uint32_t	 len;
	uint32_t	 df;
	uint32_t	 last_doc;
	struct buf	 post;
};

/* One word of the file being added. */
struct token {
	uint32_t	 term;
	uint32_t	 pos;
	uint32_t	 title;
};

/* What the builder keeps of a doc until the strings stop moving. */
struct dbuild {
	size_t		 path;		/* offsets in strings */
	size_t		 title;
	size_t		 marks;		/* offset in marks */
	uint32_t	 markslen;
	int64_t		 mtime;
	uint64_t	 size;
	uint64_t	 dev, ino;
	uint32_t	 length;
	uint8_t		 kind;
};

struct index_builder {
	struct dbuild	*docs;
	size_t		 ndocs, capdocs;
	struct buf	 strings;
	struct buf	 words;
	struct tbuild	*terms;
	size_t		 nterms, capterms;
	uint32_t	*table;		/* term numbers + 1; 0: empty (not
					 * an lru_table: lru_table.h) */
	size_t		 tablecap;	/* a power of two */
	struct token	*tokens;
	size_t		 ntokens, captokens;
	struct buf	 scratch;
	struct buf	 marks;		/* every doc's marks */
	struct buf	 docmarks;	/* those of the doc being added */
	/* Where the words of the doc being added come from, for its marks. */
	const char	*text;		/* NULL: its name */
	size_t		 line;		/* the start of their line, or SIZE_MAX:
					 * to be found (plain text) */
	int		 pre;		/* the line is preformatted */
	size_t		 lastmark;	/* byte offset of the last mark */
	uint64_t	 nextmark;	/* the word of the next mark */
	uint32_t	 title_first;	/* the title's words */
	uint32_t	 title_n;
	uint64_t	 total_length;
	int		 with_words;	/* index words, not only files */
	int		 failed;
};

static int
buf_reserve(struct buf *b, size_t more)
{
	unsigned char *p;
	size_t cap;

	if (more <= b->cap - b->len)
		return 0;
	if (more > SIZE_MAX / 2 - b->len)
		return -1;
	cap = b->cap ? b->cap : 16;
	while (cap - b->len < more)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int
buf_add(struct buf *b, const void *p, size_t len)
{
	if (buf_reserve(b, len) == -1)
		return -1;
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

static int
buf_varint(struct buf *b, uint32_t v)
{
	unsigned char tmp[5];
	size_t n = 0;

	do {
		tmp[n] = v & 0x7f;
		v >>= 7;
		if (v != 0)
			tmp[n] |= 0x80;
		n++;
	} while (v != 0);
	return buf_add(b, tmp, n);
}

/* Room for one more of n elements in *arr of *cap; -1 out of memory. */
static int
grow(void *arrp, size_t n, size_t *cap, size_t size)
{
	void **arr = arrp, *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 64;
	if ((p = reallocarray(*arr, c, size)) == NULL)
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

struct index_builder *
index_builder_new(int words)
{
	struct index_builder *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->with_words = words;
	b->tablecap = 1024;
	if ((b->table = calloc(b->tablecap, sizeof(*b->table))) == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

void
index_builder_free(struct index_builder *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nterms; i++)
		free(b->terms[i].post.p);
	free(b->terms);
	free(b->table);
	free(b->docs);
	free(b->strings.p);
	free(b->words.p);
	free(b->tokens);
	free(b->scratch.p);
	free(b->marks.p);
	free(b->docmarks.p);
	free(b);
}

static int
rehash(struct index_builder *b)
{
	size_t cap = b->tablecap * 2, i, j;
	uint32_t *t;

	if ((t = calloc(cap, sizeof(*t))) == NULL)
		return -1;
	for (i = 0; i < b->nterms; i++) {
		j = lru_hash(0, b->words.p + b->terms[i].word,
		    b->terms[i].len) & (cap - 1);
		while (t[j] != 0)
			j = (j + 1) & (cap - 1);
		t[j] = (uint32_t)i + 1;
	}
	free(b->table);
	b->table = t;
	b->tablecap = cap;
	return 0;
}

/* The number of the word, added when new; -1 out of memory. */
static long
term_of(struct index_builder *b, const char *w, size_t len)
{
	struct tbuild *t;
	size_t j;

	j = lru_hash(0, w, len) & (b->tablecap - 1);
	for (; b->table[j] != 0; j = (j + 1) & (b->tablecap - 1)) {
		t = &b->terms[b->table[j] - 1];
		if (t->len == len &&
		    memcmp(b->words.p + t->word, w, len) == 0)
			return (long)b->table[j] - 1;
	}
	if (b->nterms >= UINT32_MAX - 1 || b->words.len > UINT32_MAX - len ||
	    grow(&b->terms, b->nterms, &b->capterms, sizeof(*b->terms)) == -1)
		return -1;
	t = &b->terms[b->nterms];
	memset(t, 0, sizeof(*t));
	t->word = (uint32_t)b->words.len;
	t->len = (uint32_t)len;
	if (buf_add(&b->words, w, len) == -1)
		return -1;
	b->table[j] = (uint32_t)++b->nterms;
	if (b->nterms * 2 > b->tablecap && rehash(b) == -1)
		return -1;
	return (long)b->nterms - 1;
}

/*
 * The mark of a word starting at s[start], s in the doc's text (or its
 * name: then 0): see struct index_doc.
 */
static int
add_mark(struct index_builder *b, const char *s, size_t start)
{
	size_t at = 0, line, from;
	uint64_t how = 0;
	const char *nl;

	if (b->text != NULL) {
		at = (size_t)(s - b->text) + start;
		if ((line = b->line) == SIZE_MAX) {
			from = at > INDEX_MARK_BACK_MAX ?
			    at - INDEX_MARK_BACK_MAX : 0;
			nl = memrchr(b->text + from, '\n', at - from);
			if (nl != NULL)
				line = (size_t)(nl - b->text) + 1;
			else if (from == 0)
				line = 0;
		}
		if (line == SIZE_MAX || at - line > INDEX_MARK_BACK_MAX)
			how = 2;
		else
			how = (uint64_t)(at - line) << 2;
		how |= b->pre != 0;
	}
	/* Marks follow the text; a name's words come before it. */
	if (at < b->lastmark || at - b->lastmark > UINT32_MAX)
		return -1;
	if (buf_varint(&b->docmarks, (uint32_t)(at - b->lastmark)) == -1 ||
	    buf_varint(&b->docmarks, (uint32_t)how) == -1)
		return -1;
	b->lastmark = at;
	return 0;
}

/* The words of s[0..len) as tokens from *pos on. */
static int
add_words(struct index_builder *b, const char *s, size_t len, uint32_t *pos,
    int title)
{
	struct words_iter it;
	struct word w;
	long term;

	if (!b->with_words)
		return 0;
	words_init(&it, s, len);
	while (*pos < INDEX_DOC_WORDS_MAX && words_next(&it, &w)) {
		if (title) {
			if (b->title_n++ == 0)
				b->title_first = *pos;
		}
		/* Mark k: the first word from k * INDEX_MARK_EVERY on. */
		for (; b->nextmark <= *pos; b->nextmark += INDEX_MARK_EVERY)
			if (add_mark(b, s, w.start) == -1)
				return -1;
		if ((term = term_of(b, w.text, w.len)) == -1 ||
		    grow(&b->tokens, b->ntokens, &b->captokens,
		    sizeof(*b->tokens)) == -1)
			return -1;
		b->tokens[b->ntokens].term = (uint32_t)term;
		b->tokens[b->ntokens].pos = (*pos)++;
		b->tokens[b->ntokens++].title = (uint32_t)title;
	}
	return 0;
}

/* A title as pages show it: UTF-8, controls as spaces, one line. */
static size_t
clean_title(const char *s, size_t len, char *out)
{
	size_t o = 0;

	return utf8_one_line(s, len, out, &o, INDEX_TITLE_MAX);
}

/* The first heading of a page with something in it, or 0. */
static size_t
page_title(const char *text, size_t len, char *out, unsigned long *line)
{
	struct gemtext_iter it;
	struct gemtext_line l;
	size_t n;

	gemtext_iter_init(&it, text, len);
	while (gemtext_iter_next(&it, &l))
		if ((l.kind == GT_H1 || l.kind == GT_H2 || l.kind == GT_H3) &&
		    (n = clean_title(l.text, l.textlen, out)) > 0) {
			*line = it.lineno;
			return n;
		}
	return 0;
}

void
index_line_text(const struct gemtext_line *l, const char **s, size_t *len)
{
	*s = l->text;
	*len = l->textlen;
	if (l->kind == GT_LINK && l->text == NULL) {
		*s = l->url;
		*len = l->urllen;
	} else if (l->kind == GT_PRE_TOGGLE) {
		*s = "";
		*len = 0;
	}
}

static int
add_gemtext(struct index_builder *b, const char *text, size_t len,
    uint32_t *pos, unsigned long title_line)
{
	struct gemtext_iter it;
	struct gemtext_line l;
	const char *s;
	size_t n;

	gemtext_iter_init(&it, text, len);
	for (;;) {
		b->line = it.pos;
		b->pre = it.in_pre;
		if (!gemtext_iter_next(&it, &l))
			break;
		index_line_text(&l, &s, &n);
		if (add_words(b, s, n, pos, it.lineno == title_line) == -1)
			return -1;
	}
	return 0;
}

static int
token_cmp(const void *a, const void *b)
{
	const struct token *x = a, *y = b;

	if (x->term != y->term)
		return x->term < y->term ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The doc's tokens into the postings of their words. */
static int
post_tokens(struct index_builder *b, uint32_t doc)
{
	struct tbuild *t;
	size_t i, j, k;
	uint32_t titles, prev;

	if (b->ntokens > 0)
		qsort(b->tokens, b->ntokens, sizeof(*b->tokens), token_cmp);
	for (i = 0; i < b->ntokens; i = j) {
		t = &b->terms[b->tokens[i].term];
		titles = 0;
		b->scratch.len = 0;
		prev = 0;
		for (j = i; j < b->ntokens &&
		    b->tokens[j].term == b->tokens[i].term; j++) {
			titles += b->tokens[j].title;
			if (buf_varint(&b->scratch, b->tokens[j].pos - prev) ==
			    -1)
				return -1;
			prev = b->tokens[j].pos;
		}
		k = j - i;
		if (buf_varint(&t->post, t->df == 0 ? doc :
		    doc - t->last_doc) == -1 ||
		    buf_varint(&t->post, (uint32_t)k) == -1 ||
		    buf_varint(&t->post, titles) == -1 ||
		    buf_varint(&t->post, (uint32_t)b->scratch.len) == -1 ||
		    buf_add(&t->post, b->scratch.p, b->scratch.len) == -1)
			return -1;
		t->df++;
		t->last_doc = doc;
	}
	return 0;
}

/* The marks of the doc added, after its title's words (struct index_doc). */
static int
add_doc_marks(struct index_builder *b, struct dbuild *d)
{
	size_t start = b->marks.len;

	if (!b->with_words)
		return 0;
	if (buf_varint(&b->marks, b->title_first) == -1 ||
	    buf_varint(&b->marks, b->title_n) == -1 ||
	    buf_add(&b->marks, b->docmarks.p, b->docmarks.len) == -1 ||
	    b->marks.len - start > UINT32_MAX)
		return -1;
	d->marks = start;
	d->markslen = (uint32_t)(b->marks.len - start);
	return 0;
}

enum index_kind
index_kind_of(const char *name, size_t len)
{
	if (mime_is_gemtext(name, len))
		return INDEX_GEMTEXT;
	if (strncmp(mime_type(name, len), "text/plain", 10) == 0)
		return INDEX_TEXT;
	return INDEX_NAME;
}

void
index_builder_identify(struct index_builder *b, uint64_t dev, uint64_t ino)
{
	if (b->failed || b->ndocs == 0)
		return;
	b->docs[b->ndocs - 1].dev = dev;
	b->docs[b->ndocs - 1].ino = ino;
}

int
index_builder_add(struct index_builder *b, const char *path, int64_t mtime,
    const char *text, size_t len)
{
	const char *name = strrchr(path, '/');
	char title[INDEX_TITLE_MAX];
	unsigned long title_line = 0;
	struct dbuild *d;
	size_t tlen = 0, namelen;
	uint32_t pos = 0;

	name = name != NULL ? name + 1 : path;
	namelen = strlen(name);
	if (b->failed || b->ndocs >= UINT32_MAX ||
	    grow(&b->docs, b->ndocs, &b->capdocs, sizeof(*b->docs)) == -1)
		goto fail;
	d = &b->docs[b->ndocs];
	memset(d, 0, sizeof(*d));
	d->mtime = mtime;
	d->kind = (uint8_t)index_kind_of(name, namelen);
	if (text == NULL)
		d->kind = INDEX_NAME;
	d->size = len;
	b->ntokens = 0;
	b->docmarks.len = 0;
	b->text = NULL;
	b->line = 0;
	b->pre = 0;
	b->lastmark = 0;
	b->nextmark = 0;
	b->title_first = b->title_n = 0;
	if (d->kind == INDEX_GEMTEXT)
		tlen = page_title(text, len, title, &title_line);
	if (tlen == 0) {
		/* Titled by its name, whose words come first. */
		if ((tlen = clean_title(name, namelen, title)) == 0) {
			memcpy(title, "untitled", 8);
			tlen = 8;
		}
		if (add_words(b, name, namelen, &pos, 1) == -1)
			goto fail;
		pos++;		/* no phrase across the name's end */
	}
	b->text = text;
	b->line = SIZE_MAX;	/* plain text: lines found back from a mark */
	if ((d->kind == INDEX_GEMTEXT &&
	    add_gemtext(b, text, len, &pos, title_line) == -1) ||
	    (d->kind == INDEX_TEXT && add_words(b, text, len, &pos, 0) == -1))
		goto fail;
	d->length = (uint32_t)b->ntokens;
	d->path = b->strings.len;
	if (buf_add(&b->strings, path, strlen(path) + 1) == -1)
		goto fail;
	d->title = b->strings.len;
	if (buf_add(&b->strings, title, tlen) == -1 ||
	    buf_add(&b->strings, "", 1) == -1 ||
	    post_tokens(b, (uint32_t)b->ndocs) == -1 ||
	    add_doc_marks(b, d) == -1)
		goto fail;
	b->total_length += d->length;
	b->ndocs++;
	return 0;
fail:
	b->failed = 1;
	return -1;
}

static int
term_cmp(const void *a, const void *b, void *arg)
{
	const struct tbuild *x = a, *y = b;
	const unsigned char *words = arg;
	size_t n = x->len < y->len ? x->len : y->len;
	int c;

	if ((c = memcmp(words + x->word, words + y->word, n)) != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int
path_cmp(const void *a, const void *b, void *arg)
{
	const struct index_doc *docs = arg;

	return strcmp(docs[*(const uint32_t *)a].path,
	    docs[*(const uint32_t *)b].path);
}

/* Newest first; the same second, by path. */
static int
mtime_cmp(const void *a, const void *b, void *arg)
{
	const struct index_doc *docs = arg, *x, *y;

	x = &docs[*(const uint32_t *)a];
	y = &docs[*(const uint32_t *)b];
	if (x->mtime != y->mtime)
		return x->mtime > y->mtime ? -1 : 1;
	return strcmp(x->path, y->path);
}

/* The words, sorted, with their postings in one block each. */
static int
finish_terms(struct index_builder *b, struct index_segment *s)
{
	size_t i, n = 0, words = 0, post = 0;
	struct tbuild *t;

	/* Terms of a file that failed midway have no postings. */
	for (i = 0; i < b->nterms; i++)
		if (b->terms[i].df > 0)
			b->terms[n++] = b->terms[i];
		else
			free(b->terms[i].post.p);
	b->nterms = n;
	if (n > 0)
		qsort_r(b->terms, n, sizeof(*b->terms), term_cmp, b->words.p);
	for (i = 0; i < n; i++) {
		words += b->terms[i].len;
		post += b->terms[i].post.len;
	}
	s->terms = calloc(n + 1, sizeof(*s->terms));
	s->words = malloc(words + 1);
	s->postings = malloc(post + 1);
	if (s->terms == NULL || s->words == NULL || s->postings == NULL)
		return -1;
	words = post = 0;
	for (i = 0; i < n; i++) {
		t = &b->terms[i];
		memcpy(s->words + words, b->words.p + t->word, t->len);
		memcpy(s->postings + post, t->post.p, t->post.len);
		s->terms[i].word = (uint32_t)words;
		s->terms[i].len = t->len;
		s->terms[i].df = t->df;
		s->terms[i].off = post;
		s->terms[i].size = t->post.len;
		words += t->len;
		post += t->post.len;
		/* Freed as they are copied: the peak stays near one copy. */
		free(t->post.p);
		t->post.p = NULL;
	}
	s->nterms = n;
	s->bytes += (n + 1) * sizeof(*s->terms) + words + post + 2;
	return 0;
}

static int
finish_docs(struct index_builder *b, struct index_segment *s)
{
	size_t i;
	char *p;

	/* The strings stop moving here. */
	if (b->strings.len > 0 &&
	    (p = realloc(b->strings.p, b->strings.len)) != NULL)
		b->strings.p = (unsigned char *)p;
	s->strings = (char *)b->strings.p;
	b->strings.p = NULL;
	if (b->marks.len > 0 &&
	    (p = realloc(b->marks.p, b->marks.len)) != NULL)
		b->marks.p = (unsigned char *)p;
	s->marks = b->marks.p;
	b->marks.p = NULL;
	s->ndocs = b->ndocs;
	s->docs = calloc(s->ndocs + 1, sizeof(*s->docs));
	s->by_path = calloc(s->ndocs + 1, sizeof(*s->by_path));
	s->by_mtime = calloc(s->ndocs + 1, sizeof(*s->by_mtime));
	if (s->docs == NULL || s->by_path == NULL || s->by_mtime == NULL)
		return -1;
	for (i = 0; i < s->ndocs; i++) {
		s->docs[i].path = s->strings + b->docs[i].path;
		s->docs[i].title = s->strings + b->docs[i].title;
		s->docs[i].mtime = b->docs[i].mtime;
		s->docs[i].size = b->docs[i].size;
		s->docs[i].dev = b->docs[i].dev;
		s->docs[i].ino = b->docs[i].ino;
		if (s->marks != NULL && b->docs[i].markslen > 0) {
			s->docs[i].marks = s->marks + b->docs[i].marks;
			s->docs[i].markslen = b->docs[i].markslen;
		}
		s->docs[i].length = b->docs[i].length;
		s->docs[i].kind = b->docs[i].kind;
		s->by_path[i] = (uint32_t)i;
		if (s->docs[i].kind == INDEX_GEMTEXT)
			s->by_mtime[s->npages++] = (uint32_t)i;
	}
	if (s->ndocs > 0)
		qsort_r(s->by_path, s->ndocs, sizeof(*s->by_path), path_cmp,
		    s->docs);
	if (s->npages > 0)
		qsort_r(s->by_mtime, s->npages, sizeof(*s->by_mtime),
		    mtime_cmp, s->docs);
	s->total_length = b->total_length;
	s->bytes += b->strings.len + b->marks.len + (s->ndocs + 1) *
	    (sizeof(*s->docs) + 2 * sizeof(uint32_t));
	return 0;
}

struct index_segment *
index_builder_finish(struct index_builder *b)
{
	struct index_segment *s;

	if (b == NULL)
		return NULL;
	if (b->failed || (s = calloc(1, sizeof(*s))) == NULL) {
		index_builder_free(b);
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->bytes = sizeof(*s);
	if (finish_terms(b, s) == -1 || finish_docs(b, s) == -1) {
		index_segment_unref(s);
		s = NULL;
	}
	index_builder_free(b);
	return s;
}
