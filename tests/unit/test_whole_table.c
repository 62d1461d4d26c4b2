/* Unit tests: which files are whole, and the verdict on a file opened. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "whole_table.h"

#define MS	1000000LL
#define SEC	1000000000LL

static const struct whole_now now = {
	.rt_ns = 1000 * SEC, .mono_ms = 500000, .margin_ns = 5 * MS
};

/* A key stamped age_ms before now. */
static struct whole_key
key(uint64_t ino, int64_t size, int64_t age_ms)
{
	struct whole_key k;

	memset(&k, 0, sizeof(k));
	k.dev = 1;
	k.ino = ino;
	k.size = size;
	k.mtime_ns = k.ctime_ns = now.rt_ns - age_ms * MS;
	return k;
}

static int
ev(struct whole_table *t, const char *path, enum whole_event e, int64_t at)
{
	return whole_table_event(t, path, strlen(path), e, at);
}

static enum whole_verdict
judge(const struct whole_table *t, int64_t sync_ns, const char *path,
    const struct whole_key *b, const struct whole_key *dir, int synced)
{
	struct whole_sight s = { whole_table_view(t), sync_ns, 0, synced };
	enum whole_verdict r;

	r = whole_judge(&s, path, strlen(path), b, dir, &now);
	whole_view_free((struct whole_view *)(void *)s.view);
	return r;
}

static enum whole_verdict
unwatched(const struct whole_key *b, const struct whole_key *dir)
{
	struct whole_sight s = { NULL, 0, 0, 0 };

	return whole_judge(&s, "/a", 2, b, dir, &now);
}

/* What the stat of a path closed says: k, or gone (k NULL), or wait. */
struct stat_says {
	const struct whole_key	*k;
	int			 wait;
	int			 calls;
};

static int
stat_of(void *arg, const char *path, struct whole_key *k)
{
	struct stat_says *says = arg;

	(void)path;
	says->calls++;
	if (says->wait)
		return 0;
	if (says->k == NULL)
		return -1;
	*k = *says->k;
	return 1;
}

/* Confirms every closed path with the stat k (NULL: gone). */
static void
confirm_all(struct whole_table *t, const struct whole_key *k)
{
	struct stat_says says = { k, 0, 0 };

	CHECK_INT(whole_table_confirm(t, stat_of, &says, now.mono_ms), 0);
}

/* How many paths are closed, their stat not taken yet. */
static int
closed(struct whole_table *t)
{
	struct stat_says says = { NULL, 1, 0 };

	(void)whole_table_confirm(t, stat_of, &says, now.mono_ms);
	return says.calls;
}

static void
test_settled_needs_no_view(void)
{
	struct whole_key old = key(1, 10, 3000), young = key(1, 10, 100);

	/* Not changed for longer than the bound: no lookup at all. */
	CHECK_INT(unwatched(&old, NULL), WHOLE_SETTLED);
	/* Recent, and nothing watches: read it and check. */
	CHECK_INT(unwatched(&young, NULL), WHOLE_UNWATCHED);
	/* Missing, its directory unchanged lately: missing. */
	CHECK_INT(unwatched(NULL, &old), WHOLE_MISSING);
	CHECK(whole_settled(now.rt_ns - 2001 * MS, &now));
	CHECK(!whole_settled(now.rt_ns - 1999 * MS, &now));
	/* Stamped ahead of the clock by more than the bound: settled. */
	CHECK(whole_settled(now.rt_ns + 3 * SEC, &now));
}

static void
test_in_place_writer(void)
{
	struct whole_table *t = whole_table_new();
	struct whole_key v1 = key(1, 100, 100), part = key(1, 40, 50);
	struct whole_key v2 = key(1, 100, 40);
	int64_t synced_at = now.rt_ns - 30 * MS;

	CHECK(t != NULL);
	/* Never seen changing, its change seen by the view: trusted. */
	CHECK_INT(judge(t, synced_at, "/p.gmi", &v1, NULL, 0), WHOLE_TRUSTED);
	/* Changed after the view's moment: the service is asked first. */
	CHECK_INT(judge(t, now.rt_ns - 98 * MS, "/p.gmi", &v1, NULL, 0),
	    WHOLE_ASK);
	/* Truncated: being written; believed once an ask was answered. */
	CHECK_INT(ev(t, "/p.gmi", WHOLE_EV_MODIFY, now.mono_ms - 50), 1);
	CHECK_INT(ev(t, "/p.gmi", WHOLE_EV_MODIFY, now.mono_ms - 49), 0);
	CHECK_INT(judge(t, synced_at, "/p.gmi", &part, NULL, 0), WHOLE_ASK);
	CHECK_INT(judge(t, synced_at, "/p.gmi", &part, NULL, 1),
	    WHOLE_BEING_WRITTEN);
	/* Closed: not whole until its stat is taken. */
	CHECK_INT(ev(t, "/p.gmi", WHOLE_EV_CLOSE, now.mono_ms - 40), 1);
	CHECK_INT(closed(t), 1);
	CHECK_INT(judge(t, synced_at, "/p.gmi", &v2, NULL, 1), WHOLE_ASK);
	confirm_all(t, &v2);
	CHECK_INT(closed(t), 0);
	CHECK_INT(judge(t, synced_at, "/p.gmi", &v2, NULL, 0), WHOLE_TRUSTED);
	/* Another version than the one closed: asked, unless answered. */
	CHECK_INT(judge(t, synced_at, "/p.gmi", &v1, NULL, 0), WHOLE_ASK);
	CHECK_INT(judge(t, synced_at, "/p.gmi", &v1, NULL, 1), WHOLE_TRUSTED);
	/* The view not complete up to its stat: asked. */
	CHECK_INT(judge(t, now.rt_ns - 42 * MS, "/p.gmi", &v2, NULL, 1),
	    WHOLE_ASK);
	whole_table_free(t);
}

/* Some directory not watched (the limit): what the view lacks is read
 * and checked, what it has is judged by it. */
static void
test_partly_watched(void)
{
	struct whole_table *t = whole_table_new();
	struct whole_key k = key(1, 100, 10), dir = key(9, 4096, 10);
	struct whole_sight s;
	enum whole_verdict r[3];

	CHECK_INT(ev(t, "/w.gmi", WHOLE_EV_MODIFY, now.mono_ms - 10), 1);
	s.view = whole_table_view(t);
	s.sync_ns = now.rt_ns;
	s.partial = 1;
	s.synced = 1;
	r[0] = whole_judge(&s, "/other.gmi", 10, &k, NULL, &now);
	r[1] = whole_judge(&s, "/w.gmi", 6, &k, NULL, &now);
	r[2] = whole_judge(&s, "/other.gmi", 10, NULL, &dir, &now);
	CHECK_INT(r[0], WHOLE_UNWATCHED);
	CHECK_INT(r[1], WHOLE_BEING_WRITTEN);
	CHECK_INT(r[2], WHOLE_MISSING);
	whole_view_free((struct whole_view *)(void *)s.view);
	whole_table_free(t);
}

static void
test_long_writer_is_served_as_is(void)
{
	struct whole_table *t = whole_table_new();
	struct whole_key k = key(1, 100, 10);

	CHECK_INT(ev(t, "/log.txt", WHOLE_EV_MODIFY, now.mono_ms - 2500), 1);
	/* More modifications keep the time it began. */
	CHECK_INT(ev(t, "/log.txt", WHOLE_EV_MODIFY, now.mono_ms - 10), 0);
	CHECK_INT(judge(t, now.rt_ns, "/log.txt", &k, NULL, 0), WHOLE_AS_IS);
	whole_table_free(t);
}

static void
test_removed_and_made_again(void)
{
	struct whole_table *t = whole_table_new();
	struct whole_key dir = key(9, 4096, 20), made = key(2, 0, 10);
	int64_t s = now.rt_ns - 5 * MS;

	CHECK_INT(ev(t, "/d/p.gmi", WHOLE_EV_GONE, now.mono_ms - 20), 1);
	/* Missing meanwhile: being rewritten, not missing. */
	CHECK_INT(judge(t, s, "/d/p.gmi", NULL, &dir, 0),
	    WHOLE_BEING_WRITTEN);
	/* There again before its creation is seen: asked. */
	CHECK_INT(judge(t, s, "/d/p.gmi", &made, NULL, 0), WHOLE_ASK);
	CHECK_INT(ev(t, "/d/p.gmi", WHOLE_EV_CREATE, now.mono_ms - 10), 1);
	CHECK_INT(judge(t, s, "/d/p.gmi", &made, NULL, 1),
	    WHOLE_BEING_WRITTEN);
	/* Missing for longer than the bound: missing. */
	CHECK_INT(ev(t, "/d/q.gmi", WHOLE_EV_GONE, now.mono_ms - 2100), 1);
	CHECK_INT(judge(t, s, "/d/q.gmi", NULL, &dir, 0), WHOLE_MISSING);
	/* Never there, the directory's change seen: missing. */
	CHECK_INT(judge(t, s, "/d/r.gmi", NULL, &dir, 0), WHOLE_MISSING);
	/* Changed lately, not there, its removal not seen: asked, then
	 * being rewritten. */
	CHECK_INT(ev(t, "/d/w.gmi", WHOLE_EV_MODIFY, now.mono_ms - 5), 1);
	CHECK_INT(judge(t, s, "/d/w.gmi", NULL, &dir, 0), WHOLE_ASK);
	CHECK_INT(judge(t, s, "/d/w.gmi", NULL, &dir, 1), WHOLE_BEING_WRITTEN);
	/* Its directory's change not seen yet: asked, missing once
	 * answered. */
	CHECK_INT(judge(t, now.rt_ns - 25 * MS, "/d/r.gmi", NULL, &dir, 0),
	    WHOLE_ASK);
	CHECK_INT(judge(t, now.rt_ns - 25 * MS, "/d/r.gmi", NULL, &dir, 1),
	    WHOLE_MISSING);
	whole_table_free(t);
}

static void
test_directory_removed(void)
{
	struct whole_table *t = whole_table_new();
	struct whole_key dir = key(9, 4096, 20), k = key(3, 5, 10);
	int64_t s = now.rt_ns;

	CHECK_INT(ev(t, "/d/sub/a.gmi", WHOLE_EV_CLOSE, now.mono_ms - 30), 1);
	confirm_all(t, &k);
	CHECK_INT(ev(t, "/d/sub", WHOLE_EV_DIR_GONE, now.mono_ms - 20), 1);
	/* What was in it, and what was never seen: being rewritten. */
	CHECK_INT(judge(t, s, "/d/sub/a.gmi", NULL, &dir, 0),
	    WHOLE_BEING_WRITTEN);
	CHECK_INT(judge(t, s, "/d/sub/deeper/b.gmi", NULL, &dir, 0),
	    WHOLE_BEING_WRITTEN);
	/* A sibling's name is not beneath it. */
	CHECK_INT(judge(t, s, "/d/subway.gmi", NULL, &dir, 0), WHOLE_MISSING);
	whole_table_free(t);
}

static void
test_renamed_over(void)
{
	struct whole_table *t = whole_table_new();
	struct whole_key k = key(4, 100, 10);

	/* Moved into place: whole at once, once its stat is taken. */
	CHECK_INT(ev(t, "/p.gmi", WHOLE_EV_MOVED_IN, now.mono_ms - 10), 1);
	CHECK_INT(judge(t, now.rt_ns, "/p.gmi", &k, NULL, 1), WHOLE_ASK);
	confirm_all(t, &k);
	CHECK_INT(judge(t, now.rt_ns, "/p.gmi", &k, NULL, 0), WHOLE_TRUSTED);
	/* Its metadata changed: its stat is taken again. */
	CHECK_INT(ev(t, "/p.gmi", WHOLE_EV_ATTRIB, now.mono_ms - 5), 1);
	CHECK_INT(closed(t), 1);
	/* Gone by the time its stat is taken: gone. */
	confirm_all(t, NULL);
	CHECK_INT(judge(t, now.rt_ns, "/p.gmi", NULL, &k, 0),
	    WHOLE_BEING_WRITTEN);
	/* Metadata of a file being written: still being written. */
	CHECK_INT(ev(t, "/w.gmi", WHOLE_EV_MODIFY, now.mono_ms - 5), 1);
	CHECK_INT(ev(t, "/w.gmi", WHOLE_EV_ATTRIB, now.mono_ms - 4), 0);
	CHECK_INT(closed(t), 0);
	whole_table_free(t);
}

struct seen {
	char	names[8][32];
	int	n;
};

static void
collect(void *arg, const struct whole_entry *e, const char *name, size_t len)
{
	struct seen *s = arg;

	(void)e;
	if (s->n < 8)
		snprintf(s->names[s->n++], sizeof(s->names[0]), "%.*s",
		    (int)len, name);
}

static void
test_views_and_pruning(void)
{
	struct whole_table *t = whole_table_new();
	struct whole_key old = key(5, 1, 5000), k = key(6, 1, 10);
	struct stat_says says = { NULL, 0, 0 };
	struct whole_view *v;
	struct seen s;

	CHECK_INT(ev(t, "/d/b.gmi", WHOLE_EV_GONE, now.mono_ms - 10), 1);
	CHECK_INT(ev(t, "/d/a.gmi", WHOLE_EV_MODIFY, now.mono_ms - 10), 1);
	CHECK_INT(ev(t, "/d/e/f.gmi", WHOLE_EV_MODIFY, now.mono_ms - 10), 1);
	CHECK_INT(ev(t, "/d/g", WHOLE_EV_DIR_GONE, now.mono_ms - 10), 1);
	CHECK_INT(ev(t, "/dz.gmi", WHOLE_EV_GONE, now.mono_ms - 10), 1);
	v = whole_table_view(t);
	memset(&s, 0, sizeof(s));
	whole_view_in_dir(v, "/d/", collect, &s);
	CHECK_INT(s.n, 3);
	CHECK_STR(s.names[0], "a.gmi");
	CHECK_STR(s.names[1], "b.gmi");
	CHECK_STR(s.names[2], "g/");
	CHECK(whole_view_lookup(v, "/d/a.gmi", 8) != NULL);
	CHECK(whole_view_lookup(v, "/d/c.gmi", 8) == NULL);
	whole_view_free(v);
	/* Whole versions changed long ago and old removals go; writers stay. */
	CHECK_INT(ev(t, "/old.gmi", WHOLE_EV_CLOSE, now.mono_ms - 5000), 1);
	says.k = &old;
	CHECK_INT(whole_table_confirm(t, stat_of, &says, now.mono_ms - 5000),
	    0);
	CHECK_INT(ev(t, "/new.gmi", WHOLE_EV_CLOSE, now.mono_ms - 10), 1);
	says.k = &k;
	CHECK_INT(whole_table_confirm(t, stat_of, &says, now.mono_ms - 10), 0);
	CHECK_INT(ev(t, "/gone.gmi", WHOLE_EV_GONE, now.mono_ms - 4000), 1);
	CHECK_INT(ev(t, "/w.gmi", WHOLE_EV_MODIFY, now.mono_ms - 9000), 1);
	CHECK_INT(whole_table_prune(t, now.rt_ns, now.mono_ms), 2);
	CHECK_INT(whole_table_count(t), 7);
	whole_table_clear(t);
	CHECK_INT(whole_table_count(t), 0);
	CHECK_INT(closed(t), 0);
	whole_table_free(t);
}

static void
test_bounded(void)
{
	struct whole_table *t = whole_table_new();
	char path[32];
	int i, r = 0;

	for (i = 0; i <= WHOLE_TABLE_MAX && r != -1; i++) {
		snprintf(path, sizeof(path), "/f%d", i);
		r = ev(t, path, WHOLE_EV_MODIFY, now.mono_ms);
	}
	/* One more than it holds: cleared, and said. */
	CHECK_INT(r, -1);
	CHECK_INT(i, WHOLE_TABLE_MAX + 1);
	CHECK_INT(whole_table_count(t), 0);
	whole_table_free(t);
}

int
main(void)
{
	test_settled_needs_no_view();
	test_in_place_writer();
	test_partly_watched();
	test_long_writer_is_served_as_is();
	test_removed_and_made_again();
	test_directory_removed();
	test_renamed_over();
	test_views_and_pruning();
	test_bounded();
	return unit_done("whole_table");
}
