/*
 * The files search extracts read, kept open by each worker: a frequent
 * word's results are the same few files search after search, and opening
 * one (a path walk beneath the capsule, under Landlock) was a third of a
 * search's cost.  One table per worker and capsule, used by that worker's
 * thread alone: no lock.
 */
#ifndef ATTACHE_EXTRACT_FILES_H
#define ATTACHE_EXTRACT_FILES_H

#include <sys/stat.h>

#include <stdint.h>

#define EXTRACT_FILES_MAX	32	/* open files kept, per worker */
#define EXTRACT_FILES_IDLE_SEC	60	/* unused this long: closed */

/* A file as the index saw it: the same inode, unchanged since. */
struct extract_file_id {
	uint64_t	 dev;
	uint64_t	 ino;		/* 0: unknown, never kept */
	uint64_t	 size;
	int64_t		 mtime;		/* seconds */
};

struct extract_file {
	int			 fd;	/* -1: a free entry */
	struct extract_file_id	 id;
	int64_t			 used;	/* monotonic seconds */
};

struct extract_files {
	struct extract_file	 f[EXTRACT_FILES_MAX];
};

/* A table with nothing open, or NULL when out of memory. */
struct extract_files *extract_files_new(void);
/* Closes what it holds and frees it; NULL is nothing. */
void	extract_files_free(struct extract_files *t);

/*
 * The descriptor kept for id (the table's still: not to be closed), or -1;
 * its stat in st (NULL: not wanted).  It is checked first (fstat): a file
 * no longer linked, or changed since (size, time), is closed and
 * forgotten.  Entries idle for EXTRACT_FILES_IDLE_SEC are closed on the
 * way, so that a deleted file's space is not held for long by a busy
 * server.
 */
int	extract_files_get(struct extract_files *t,
	    const struct extract_file_id *id, int64_t now, struct stat *st);

/*
 * Keeps fd, open on the file id names (checked by the caller): the table
 * takes it, in a free entry or the least recently used one's.  Returns 1
 * when kept, 0 when the caller keeps fd (id unknown).
 */
int	extract_files_put(struct extract_files *t,
	    const struct extract_file_id *id, int fd, int64_t now);

#endif
