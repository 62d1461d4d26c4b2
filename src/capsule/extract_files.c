/* The files search extracts read, kept open by each worker. */
#include <sys/stat.h>

#include <stdlib.h>
#include <unistd.h>

#include "extract_files.h"

struct extract_files *
extract_files_new(void)
{
	struct extract_files *t;
	size_t i;

	if ((t = malloc(sizeof(*t))) == NULL)
		return NULL;
	for (i = 0; i < EXTRACT_FILES_MAX; i++)
		t->f[i].fd = -1;
	return t;
}

static void
forget(struct extract_file *e)
{
	if (e->fd != -1)
		close(e->fd);
	e->fd = -1;
}

void
extract_files_free(struct extract_files *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < EXTRACT_FILES_MAX; i++)
		forget(&t->f[i]);
	free(t);
}

static int
same_id(const struct extract_file_id *a, const struct extract_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime == b->mtime;
}

/* Still the file the index saw: linked, unchanged since it was kept. */
static int
still(const struct extract_file *e, struct stat *st)
{
	return fstat(e->fd, st) == 0 && st->st_nlink > 0 &&
	    (uint64_t)st->st_ino == e->id.ino &&
	    (uint64_t)st->st_size == e->id.size &&
	    (int64_t)st->st_mtim.tv_sec == e->id.mtime;
}

int
extract_files_get(struct extract_files *t, const struct extract_file_id *id,
    int64_t now, struct stat *st)
{
	struct extract_file *e, *hit = NULL;
	struct stat own;
	size_t i;

	for (i = 0; i < EXTRACT_FILES_MAX; i++) {
		e = &t->f[i];
		if (e->fd == -1)
			continue;
		if (id->ino != 0 && same_id(&e->id, id))
			hit = e;
		else if (now - e->used >= EXTRACT_FILES_IDLE_SEC)
			forget(e);
	}
	if (hit == NULL)
		return -1;
	if (!still(hit, st != NULL ? st : &own)) {
		forget(hit);
		return -1;
	}
	hit->used = now;
	return hit->fd;
}

int
extract_files_put(struct extract_files *t, const struct extract_file_id *id,
    int fd, int64_t now)
{
	struct extract_file *e, *lru = NULL;
	size_t i;

	if (id->ino == 0 || fd == -1)
		return 0;
	for (i = 0; i < EXTRACT_FILES_MAX; i++) {
		e = &t->f[i];
		if (e->fd == -1) {
			lru = e;
			break;
		}
		if (lru == NULL || e->used < lru->used)
			lru = e;
	}
	forget(lru);
	lru->fd = fd;
	lru->id = *id;
	lru->used = now;
	return 1;
}
