/*
 * The previous versions of uploaded files, in the capsule's hidden
 * TITAN_HISTORY_DIR: "dir/page.gmi" replaced at 18:04:41.5 UTC is kept as
 * ".titan-history/dir/page.gmi.20261126T180441.500000Z".  Blocking: for
 * the background thread only.
 */
#ifndef ATTACHE_TITAN_HISTORY_H
#define ATTACHE_TITAN_HISTORY_H

/* The hidden directory of a capsule holding the previous versions. */
#define TITAN_HISTORY_DIR	".titan-history"

/*
 * Keeps the file name of the directory dirfd, whose capsule directory is
 * dirpath ("" or "a/b/"), as its newest version (a hard link, or a copy
 * where links cannot be made), flushed to disk.  syncfd, unless -1, is
 * flushed after the link and before the history directory: where a
 * journal holds both (ext4), the new version and the old one's link are
 * then one commit, not two.  Returns 0, or -1 with errno set (nothing
 * kept).
 */
int	titan_history_keep(int rootfd, const char *dirpath, int dirfd,
	    const char *name, int syncfd);

/*
 * Removes the versions of name beyond the newest keep: after the answer,
 * as nobody waits for it.  Returns 0, or -1 with errno set.
 */
int	titan_history_prune(int rootfd, const char *dirpath, const char *name,
	    int keep);

/*
 * 1 when version (a name in a history directory) is a version of name:
 * name, '.', then a UTC time as written above, maybe "-N" (pure).
 */
int	titan_history_is_version(const char *version, const char *name);

#endif
