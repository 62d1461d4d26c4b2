/*
 * Rendered pages kept for the next request: Gopher menus made from gemtext
 * and the listings of directories; and, for TLS, files' own bytes.  One
 * cache per site of a generation (a reload starts empty ones), shared by
 * the workers under one lock held for a lookup.
 *
 * An entry is valid for its source as stat(2) saw it: device, inode, size,
 * modification and change times.  An edit (in place or by rename) changes
 * one of them, so the next request renders again.  A source is kept only
 * when it is known to be one whole version: read and found unchanged after
 * (render_cache_keep), or not changed for two seconds (render_cache_put:
 * two writes within one tick of the file system's clock could leave the
 * times as they were).  What is cached is a whole rendering, immutable
 * and reference-counted, so no reader ever gets a mix of old and new; and
 * the entry of a source that changed stays until its next version replaces
 * it, as the last whole one (render_cache_last), for readers of a file
 * being written.
 */
#ifndef ATTACHE_RENDER_CACHE_H
#define ATTACHE_RENDER_CACHE_H

#include <sys/stat.h>
#include <stddef.h>
#include <time.h>

struct evbuffer;
struct render_cache;
struct render_blob;

enum render_kind {
	RENDER_GOPHER_PAGE,	/* a gemtext page as a Gopher menu */
	RENDER_GOPHER_LISTING,	/* a directory as a Gopher menu */
	RENDER_GEMINI_LISTING,	/* a directory as a gemtext page */
	RENDER_FILE		/* a file's own bytes, for TLS (send_file.c) */
};

#define RENDER_CACHE_BYTES	(8 * 1024 * 1024)	/* per site */
#define RENDER_BLOB_MAX		(1024 * 1024)		/* one rendering */
#define RENDER_SETTLE_SEC	2	/* younger sources are not cached */

/* An empty cache of at most max_bytes of renderings; NULL: no memory. */
struct render_cache *render_cache_new(size_t max_bytes);
/* Frees it; blobs still being sent live on until sent. */
void		 render_cache_free(struct render_cache *rc);

/*
 * The rendering of kind for path made from the source st describes, with
 * a reference for the caller (render_blob_unref), or NULL.
 */
struct render_blob *render_cache_get(struct render_cache *rc,
		    enum render_kind kind, const char *path,
		    const struct stat *st);

/*
 * The last rendering of kind for path kept, whatever version of its source
 * it was made from (one whole version), with a reference; or NULL.
 */
struct render_blob *render_cache_last(struct render_cache *rc,
		    enum render_kind kind, const char *path);

/*
 * 1 when render_cache_put would keep len bytes from the source st at now:
 * lets a caller skip making what would not be kept.
 */
int		 render_cache_would_keep(const struct render_cache *rc,
		    const struct stat *st, size_t len, const struct timespec *now);

/*
 * Keeps what body holds (left as it is) as the rendering of kind for path
 * from st, unless st is younger than RENDER_SETTLE_SEC at now (realtime)
 * or the rendering is too large.  Returns the blob with a reference for
 * the caller, or NULL when it was not kept (or out of memory).
 */
struct render_blob *render_cache_put(struct render_cache *rc,
		    enum render_kind kind, const char *path,
		    const struct stat *st, struct evbuffer *body,
		    const struct timespec *now);

/*
 * Keeps what body holds as the rendering of kind for path from st, which
 * the caller knows to be one whole version (read, and st unchanged after:
 * capsule_read_whole), however young.  As render_cache_put otherwise.
 */
struct render_blob *render_cache_keep(struct render_cache *rc,
		    enum render_kind kind, const char *path,
		    const struct stat *st, struct evbuffer *body);

/* A blob of what body holds, in no cache (NULL: out of memory). */
struct render_blob *render_blob_new(struct evbuffer *body);

/*
 * Appends the blob's bytes to out without copying them; out holds its own
 * reference until they are sent.  Returns 0, or -1.
 */
int		 render_blob_add(struct render_blob *b, struct evbuffer *out);
size_t		 render_blob_len(const struct render_blob *b);
const unsigned char *render_blob_data(const struct render_blob *b);
void		 render_blob_unref(struct render_blob *b);

/* Entries and bytes held, for tests. */
void		 render_cache_stats(struct render_cache *rc, size_t *entries,
		    size_t *bytes);

#endif
