/*
 * Where a Titan upload lands and how it is made durable.  The place is
 * decided on the worker's loop (opening directories only); the commit is
 * blocking disk work (fsync, rename, history) and runs on the worker's
 * background thread (jobs.c), never on its loop.
 */
#ifndef ATTACHE_TITAN_STORE_H
#define ATTACHE_TITAN_STORE_H

#include <limits.h>
#include <stddef.h>

#include "bounds.h"
#include "capsule.h"

/* Room a history name needs after the file's: "." and a UTC time. */
#define TITAN_NAME_MAX		(NAME_MAX - 32)
#define TITAN_TMP_NAME_SIZE	32

/*
 * What came of finding the place or of a commit, in the store's terms: the
 * protocol side (titan.c) says it to the client.  A reason for the log goes
 * with each but TITAN_STORE_OK.
 */
enum titan_store_error {
	TITAN_STORE_OK = 0,
	TITAN_STORE_REFUSED,		/* no upload may take this path */
	TITAN_STORE_NOT_UTF8,		/* a gemtext page that is not UTF-8 */
	TITAN_STORE_NOT_FOUND,		/* a delete of nothing */
	TITAN_STORE_FAILED,		/* the system failed: storing */
	TITAN_STORE_HISTORY_FAILED,	/* keeping the previous version */
	TITAN_STORE_DELETE_FAILED	/* deleting */
};

/* The target of an upload, beneath a capsule. */
struct titan_place {
	int	 rootfd;			/* the capsule's; not owned */
	int	 basefd;			/* its deepest existing directory */
	char	 missing[REQUEST_MAX + 1];	/* directories to create beneath
						 * basefd ("a/b"), or "" */
	char	 dirpath[REQUEST_MAX + 1];	/* its directory, "" or "a/b/" */
	char	 name[NAME_MAX + 1];		/* the file's name */
};

/*
 * The place of path (decoded, absolute, no dot segment: a Titan request's)
 * in capsule c: a path ending in '/' names its index.gmi.  Returns
 * TITAN_STORE_OK, or with why set: TITAN_STORE_REFUSED for a path no upload
 * may take (a dotfile, a way out of the capsule, a file where a directory
 * is needed, a directory or symlink where the file would go, a name too
 * long), TITAN_STORE_FAILED when the system failed.  On TITAN_STORE_OK,
 * the caller closes p with titan_place_close.
 */
enum titan_store_error titan_place_open(const struct capsule *c,
	    const char *path, size_t len, struct titan_place *p,
	    const char **why);
void	titan_place_close(struct titan_place *p);

/*
 * A new hidden temporary file in the place's base directory, for the body
 * as it arrives.  Returns its fd and name, or -1 with errno set.
 */
int	titan_tmp_create(const struct titan_place *p,
	    char name[TITAN_TMP_NAME_SIZE]);

/* One commit: what to do, and what came of it. */
struct titan_commit {
	const struct titan_place *place;
	const char	*tmpname;	/* in place->basefd; NULL: delete */
	int		 tmpfd;
	int		 gemtext;	/* must be UTF-8; lint it */
	unsigned	 width;		/* the site's Gopher width, for lint */
	int		 history;	/* previous versions kept */
	const char	*site;		/* for log lines */
	const char	*path;
	/* Out. */
	enum titan_store_error error;
	char		 why[128];	/* for the log, but on TITAN_STORE_OK */
	int		 existed;	/* there was a previous version */
	long long	 old_size;
	int		 renamed;	/* the temporary file is gone */
	int		 kept;		/* a version went into the history:
					 * titan_history_prune it, after */
};

/*
 * Blocking: an upload (tmpname set) is checked (a gemtext page must be
 * UTF-8; lint warnings are logged), flushed to disk, the previous version
 * linked into the history, the missing directories made, and the file
 * renamed over the old one, directories flushed after; a delete moves the
 * file into the history.  Readers see the old file or the new one, whole.
 * The history keeps the newest `history` versions of each file, once the
 * caller has pruned it (tc->kept).  What came of it is tc->error, with
 * tc->why.
 */
void	titan_store_commit(struct titan_commit *tc);

#endif
