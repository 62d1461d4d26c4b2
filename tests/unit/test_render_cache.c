/* Unit tests: the render cache, valid while its source is unchanged. */
#include <string.h>

#include <event2/buffer.h>

#include "render_cache.h"
#include "unit.h"

static const struct timespec now = { 1000000, 500 };

/* A source last changed `age` seconds before now. */
static struct stat
source(ino_t ino, off_t size, time_t age)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_dev = 7;
	st.st_ino = ino;
	st.st_size = size;
	st.st_mtim.tv_sec = now.tv_sec - age - 1;
	st.st_ctim.tv_sec = now.tv_sec - age;
	st.st_ctim.tv_nsec = 500;
	return st;
}

static struct evbuffer *
body(const char *s)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, s, strlen(s));
	return b;
}

/* What a blob holds, as text sent through an evbuffer. */
static int
holds(struct render_blob *b, const char *want)
{
	struct evbuffer *out = evbuffer_new();
	char got[256];
	int n, same = 0;

	if (b != NULL && render_blob_add(b, out) == 0) {
		n = evbuffer_remove(out, got, sizeof(got) - 1);
		got[n < 0 ? 0 : n] = '\0';
		same = strcmp(got, want) == 0 &&
		    render_blob_len(b) == strlen(want);
	}
	evbuffer_free(out);
	return same;
}

static void
test_hit_and_miss(void)
{
	struct render_cache *rc = render_cache_new(1 << 20);
	struct stat st = source(1, 100, 10), other;
	struct evbuffer *a = body("menu A");
	struct render_blob *b;
	size_t entries, bytes;

	CHECK(render_cache_get(rc, RENDER_GOPHER_PAGE, "/p.gmi", &st) == NULL);
	b = render_cache_put(rc, RENDER_GOPHER_PAGE, "/p.gmi", &st, a, &now);
	CHECK(holds(b, "menu A"));
	render_blob_unref(b);
	/* The body is left as it was, for the caller. */
	CHECK_INT(evbuffer_get_length(a), 6);
	b = render_cache_get(rc, RENDER_GOPHER_PAGE, "/p.gmi", &st);
	CHECK(holds(b, "menu A"));
	render_blob_unref(b);
	/* Another kind, another path: not the same rendering. */
	CHECK(render_cache_get(rc, RENDER_GOPHER_LISTING, "/p.gmi", &st) ==
	    NULL);
	CHECK(render_cache_get(rc, RENDER_GOPHER_PAGE, "/q.gmi", &st) == NULL);
	/* Any change of the source's identity or times is a miss. */
	other = st;
	other.st_size++;
	CHECK(render_cache_get(rc, RENDER_GOPHER_PAGE, "/p.gmi", &other) ==
	    NULL);
	/* ... but the entry stays, the last whole version, until replaced. */
	render_cache_stats(rc, &entries, &bytes);
	CHECK_INT(entries, 1);
	CHECK_INT(bytes, 6);
	b = render_cache_last(rc, RENDER_GOPHER_PAGE, "/p.gmi");
	CHECK(holds(b, "menu A"));
	render_blob_unref(b);
	CHECK(render_cache_last(rc, RENDER_GOPHER_LISTING, "/p.gmi") == NULL);
	b = render_cache_put(rc, RENDER_GOPHER_PAGE, "/p.gmi", &st, a, &now);
	render_blob_unref(b);
	other = st;
	other.st_ino++;
	CHECK(render_cache_get(rc, RENDER_GOPHER_PAGE, "/p.gmi", &other) ==
	    NULL);
	b = render_cache_put(rc, RENDER_GOPHER_PAGE, "/p.gmi", &st, a, &now);
	render_blob_unref(b);
	other = st;
	other.st_mtim.tv_nsec++;
	CHECK(render_cache_get(rc, RENDER_GOPHER_PAGE, "/p.gmi", &other) ==
	    NULL);
	b = render_cache_put(rc, RENDER_GOPHER_PAGE, "/p.gmi", &st, a, &now);
	render_blob_unref(b);
	other = st;
	other.st_ctim.tv_sec++;
	CHECK(render_cache_get(rc, RENDER_GOPHER_PAGE, "/p.gmi", &other) ==
	    NULL);
	b = render_cache_put(rc, RENDER_GOPHER_PAGE, "/p.gmi", &st, a, &now);
	render_blob_unref(b);
	other = st;
	other.st_dev++;
	CHECK(render_cache_get(rc, RENDER_GOPHER_PAGE, "/p.gmi", &other) ==
	    NULL);
	evbuffer_free(a);
	render_cache_free(rc);
}

/* A source changed in the last two seconds is never kept. */
static void
test_young_sources(void)
{
	struct render_cache *rc = render_cache_new(1 << 20);
	struct evbuffer *a = body("x");
	struct render_blob *b;
	struct stat st;

	st = source(1, 1, 1);
	CHECK(render_cache_put(rc, RENDER_GOPHER_PAGE, "/p", &st, a, &now) ==
	    NULL);
	st = source(1, 1, 0);
	CHECK(render_cache_put(rc, RENDER_GOPHER_PAGE, "/p", &st, a, &now) ==
	    NULL);
	/* Exactly two seconds: the change time's nanoseconds decide. */
	st = source(1, 1, 2);
	b = render_cache_put(rc, RENDER_GOPHER_PAGE, "/p", &st, a, &now);
	CHECK(b != NULL);
	render_blob_unref(b);
	render_blob_unref(render_cache_get(rc, RENDER_GOPHER_PAGE, "/p", &st));
	st.st_ctim.tv_nsec = 501;
	CHECK(render_cache_put(rc, RENDER_GOPHER_PAGE, "/p", &st, a, &now) ==
	    NULL);
	/* A modification time in the future (a clock set back) as well. */
	st = source(1, 1, 10);
	st.st_mtim.tv_sec = now.tv_sec + 100;
	CHECK(render_cache_put(rc, RENDER_GOPHER_PAGE, "/p", &st, a, &now) ==
	    NULL);
	evbuffer_free(a);
	render_cache_free(rc);
}

/* A source read and found unchanged after is kept however young. */
static void
test_whole_sources(void)
{
	struct render_cache *rc = render_cache_new(1 << 20);
	struct evbuffer *a = body("version 1"), *c = body("version 2");
	struct stat st = source(1, 9, 0), next = source(1, 9, 0);
	struct render_blob *b;
	size_t entries, bytes;

	b = render_cache_keep(rc, RENDER_FILE, "/p", &st, a);
	CHECK(holds(b, "version 1"));
	render_blob_unref(b);
	CHECK(holds(b = render_cache_get(rc, RENDER_FILE, "/p", &st),
	    "version 1"));
	render_blob_unref(b);
	/* The next version replaces it, as the last one too. */
	next.st_ctim.tv_nsec++;
	CHECK(render_cache_get(rc, RENDER_FILE, "/p", &next) == NULL);
	render_blob_unref(render_cache_keep(rc, RENDER_FILE, "/p", &next, c));
	CHECK(holds(b = render_cache_last(rc, RENDER_FILE, "/p"),
	    "version 2"));
	render_blob_unref(b);
	render_cache_stats(rc, &entries, &bytes);
	CHECK_INT(entries, 1);
	CHECK_INT(bytes, 9);
	/* Kept by no cache: a blob of its own. */
	CHECK(holds(b = render_blob_new(a), "version 1"));
	render_blob_unref(b);
	evbuffer_free(a);
	evbuffer_free(c);
	render_cache_free(rc);
}

/* The least recently used go when the bytes are full. */
static void
test_eviction(void)
{
	struct render_cache *rc = render_cache_new(20);
	struct evbuffer *a = body("0123456789");
	struct stat st = source(1, 1, 10);
	size_t entries, bytes;

	render_blob_unref(render_cache_put(rc, RENDER_GOPHER_PAGE, "/1", &st,
	    a, &now));
	render_blob_unref(render_cache_put(rc, RENDER_GOPHER_PAGE, "/2", &st,
	    a, &now));
	/* /1 used last: /2 goes for /3. */
	render_blob_unref(render_cache_get(rc, RENDER_GOPHER_PAGE, "/1", &st));
	render_blob_unref(render_cache_put(rc, RENDER_GOPHER_PAGE, "/3", &st,
	    a, &now));
	render_cache_stats(rc, &entries, &bytes);
	CHECK_INT(entries, 2);
	CHECK_INT(bytes, 20);
	CHECK(render_cache_get(rc, RENDER_GOPHER_PAGE, "/2", &st) == NULL);
	render_blob_unref(render_cache_get(rc, RENDER_GOPHER_PAGE, "/1", &st));
	render_blob_unref(render_cache_get(rc, RENDER_GOPHER_PAGE, "/3", &st));
	/* Too large for the whole cache: not kept. */
	evbuffer_add(a, "0123456789X", 11);
	CHECK(render_cache_put(rc, RENDER_GOPHER_PAGE, "/4", &st, a, &now) ==
	    NULL);
	/* The same path again: replaced, not doubled. */
	evbuffer_drain(a, evbuffer_get_length(a));
	evbuffer_add(a, "new", 3);
	render_blob_unref(render_cache_put(rc, RENDER_GOPHER_PAGE, "/1", &st,
	    a, &now));
	render_cache_stats(rc, &entries, &bytes);
	CHECK_INT(entries, 2);
	CHECK_INT(bytes, 13);
	evbuffer_free(a);
	render_cache_free(rc);
}

/* A blob being sent outlives its entry and the cache. */
static void
test_blob_outlives(void)
{
	struct render_cache *rc = render_cache_new(1 << 20);
	struct evbuffer *a = body("whole"), *out = evbuffer_new();
	struct stat st = source(1, 1, 10);
	struct render_blob *b;
	char got[8] = "";

	b = render_cache_put(rc, RENDER_GEMINI_LISTING, "/d/", &st, a, &now);
	CHECK(b != NULL);
	CHECK_INT(render_blob_add(b, out), 0);
	render_blob_unref(b);
	render_cache_free(rc);
	CHECK_INT(evbuffer_remove(out, got, sizeof(got) - 1), 5);
	CHECK_STR(got, "whole");
	evbuffer_free(out);
	evbuffer_free(a);
}

int
main(void)
{
	test_hit_and_miss();
	test_young_sources();
	test_whole_sources();
	test_eviction();
	test_blob_outlives();
	return unit_done("render_cache");
}
