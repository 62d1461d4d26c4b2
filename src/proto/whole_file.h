/*
 * A capsule file as one whole version, whatever its writer does, for both
 * protocols: its bytes (Gemini, Gopher's files) or what is made from them
 * (Gopher's menus).  The capsule service says whether the file opened is
 * whole (capsule_service_judge); while it is being written the reader gets
 * the last whole version the render cache holds, or waits (the request
 * runs again a few milliseconds later, never blocking the loop) until it
 * is whole, at most WHOLE_BOUND_MS: then a temporary failure.
 */
#ifndef ATTACHE_WHOLE_FILE_H
#define ATTACHE_WHOLE_FILE_H

#include <sys/stat.h>
#include <stddef.h>

#include "render_cache.h"

struct capsule_dirent;
struct conn;
struct evbuffer;

/* What a request asks of a file. */
struct whole_ask {
	const char		*path;	/* the file's capsule path */
	const char		*key;	/* its rendering's, in the cache */
	enum render_kind	 kind;	/* RENDER_FILE: its own bytes */
	size_t			 max;	/* read whole up to this size; larger:
					 * streamed (RENDER_FILE), refused */
};

/* What it gets. */
struct whole_got {
	struct render_blob	*blob;	/* a whole version: send it */
	char			*text;	/* or the file read: render it */
	size_t			 len;
	int			 keep;	/* text is one whole version */
	int			 fd;	/* RENDER_FILE: stream it (-1: none) */
	struct stat		 st;	/* of text or fd */
	const char		*why;	/* FILE_FAILED */
};

enum file_answer {
	FILE_READY,		/* see got */
	FILE_WAITING,		/* runs again later: return at once */
	FILE_BUSY,		/* still being written after the bound */
	FILE_MISSING,		/* not found, and not being written again */
	FILE_FAILED		/* got->why */
};

/*
 * The file open at fd (taken) whose fstat is st, for the request on c.
 * On FILE_READY, got holds a blob, a text or an fd: whole_file_send (a
 * RENDER_FILE), or render the text and whole_file_keep; then
 * whole_file_done.
 */
enum file_answer whole_file(struct conn *c, const struct whole_ask *a,
	    int fd, const struct stat *st, struct whole_got *got);

/*
 * The file was not found (dir: the stat of its directory, or NULL): gone
 * for good (FILE_MISSING), or removed to be written again (its last whole
 * version, or FILE_WAITING).
 */
enum file_answer whole_file_missing(struct conn *c, const struct whole_ask *a,
	    const struct stat *dir, struct whole_got *got);

/*
 * A listing (ents, n: capsule_list's) of the directory a->path open at
 * dirfd (its stat before it was read: dir; a->kind and a->key its
 * rendering's): the names removed from it lately, maybe to be written
 * again (a checkout), are added.  FILE_READY, with a blob in got when the
 * last listing kept is to go instead (the directory keeps changing), and
 * got->keep set when the listing may be kept (nothing added to it); or
 * FILE_WAITING, FILE_BUSY.
 */
enum file_answer whole_file_listing(struct conn *c, const struct whole_ask *a,
	    int dirfd, const struct stat *dir, struct capsule_dirent **ents,
	    size_t *n, struct whole_got *got);

/* Sends what got holds of a RENDER_FILE after what is queued. */
void	whole_file_send(struct conn *c, struct whole_got *got);

/*
 * The rendering made from got->text, kept for the next request when the
 * text was one whole version: a blob with a reference (NULL: not kept).
 */
struct render_blob *whole_file_keep(struct conn *c, const struct whole_ask *a,
	    const struct whole_got *got, struct evbuffer *body);

/* Frees what got still holds. */
void	whole_file_done(struct whole_got *got);

#endif
