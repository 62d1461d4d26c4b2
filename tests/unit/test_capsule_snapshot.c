/* A snapshot: the index's two segments, the dead bits, pages by date. */
#include <stdlib.h>

#include "capsule_snapshot.h"
#include "unit.h"

struct file {
	const char	*path;
	int64_t		 mtime;
	const char	*text;
};

static struct index_segment *
build(const struct file *f, size_t n, int words)
{
	struct index_builder *b = index_builder_new(words);
	size_t i;

	if (b == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (index_builder_add(b, f[i].path, f[i].mtime, f[i].text,
		    f[i].text != NULL ? strlen(f[i].text) : 0) == -1) {
			index_builder_free(b);
			return NULL;
		}
	return index_builder_finish(b);
}

static const char *
pages_of(const struct capsule_snapshot *s)
{
	static char out[512];
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < s->npages && o < sizeof(out) - 64; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s",
		    i ? " " : "", s->pages[i]->path);
	return out;
}

static void
test_merge(void)
{
	static const struct file base[] = {
		{ "/a.gmi", 10, "# A\none two\n" },
		{ "/b.gmi", 30, "# B\nthree\n" },
		{ "/c.gmi", 20, "# C\nfour five six\n" },
		{ "/d.txt", 40, "not a page\n" },
		{ "/e.gmi", 20, "# E\n" },
	};
	static const struct file changes[] = {
		{ "/b.gmi", 50, "# B again\n" },
		{ "/f.gmi", 20, "# F\n" },
	};
	struct index_segment *b = build(base, 5, 1), *c = build(changes, 2, 1);
	struct capsule_snapshot *s;
	unsigned char *dead;

	if (b == NULL || c == NULL || (dead = calloc(1, 1)) == NULL) {
		CHECK(0);
		return;
	}
	/* b.gmi changed, a.gmi deleted. */
	dead[0] = 1 << 1 | 1 << 0;
	if ((s = capsule_snapshot_new(index_segment_ref(b),
	    index_segment_ref(c), dead, 1)) == NULL) {
		CHECK(0);
		return;
	}
	/* Newest first; the same second by path, from either segment. */
	CHECK_STR(pages_of(s), "/b.gmi /c.gmi /e.gmi /f.gmi");
	CHECK_STR(s->pages[0]->title, "B again");
	CHECK_INT(s->view.ndocs, 5);
	CHECK(s->view.avgdl > 0);
	CHECK(s->view.seg[0] == b && s->view.seg[1] == c);
	capsule_snapshot_free(s);
	/* The base alone: it holds the references it was given. */
	if ((s = capsule_snapshot_new(b, NULL, NULL, 0)) == NULL) {
		CHECK(0);
		index_segment_unref(c);
		return;
	}
	CHECK_STR(pages_of(s), "/b.gmi /c.gmi /e.gmi /a.gmi");
	CHECK_INT(s->view.ndocs, 5);
	CHECK_INT(s->words, 0);
	capsule_snapshot_free(s);
	index_segment_unref(c);
}

static void
test_empty(void)
{
	struct capsule_snapshot *s = capsule_snapshot_new(NULL, NULL, NULL, 1);

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(s->npages, 0);
	CHECK_INT(s->view.ndocs, 0);
	CHECK(s->view.avgdl == 0);
	capsule_snapshot_free(s);
}

int
main(void)
{
	test_merge();
	test_empty();
	return unit_done("capsule_snapshot");
}
