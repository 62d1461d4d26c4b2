/*
 * The fingerprint files of allow-certificates and titan-operator: read
 * when a generation is built (start, reload, --check), so that a reload
 * picks up a changed list.  Who reads the files is the caller's choice (a
 * reader): from disk here; a confined server process would be handed
 * their text by whoever may read them.
 */
#ifndef ATTACHE_CERTLIST_H
#define ATTACHE_CERTLIST_H

#include <stddef.h>

#include "conf.h"

#define CERTLIST_FILE_MAX	(1024 * 1024)	/* bytes of one list */

/*
 * Gives the text of the file at path: a malloc'ed buffer and its length,
 * or NULL with why set.
 */
typedef char	*(*certlist_reader)(void *arg, const char *path, size_t *len,
		    const char **why);

/* The reader from disk, at most CERTLIST_FILE_MAX bytes (arg unused). */
char	*certlist_read_file(void *arg, const char *path, size_t *len,
	    const char **why);

/*
 * Appends the fingerprints of every file named by the site's locations and
 * operators, as read gives them, to their sets.  Each problem (a missing
 * file, a bad line) is reported through diag at the directive's line,
 * naming the file and its line.  Returns 0, or -1 when there was any.
 */
int	certlist_load_site(struct conf_site *s, certlist_reader read,
	    void *arg, struct conf_diag *diag);

#endif
