/*
 * The fingerprint files of allow-certificates and titan-operator: read
 * when a generation is built (start, reload, --check), so that a reload
 * picks up a changed list.
 */
#ifndef ATTACHE_CERTLIST_H
#define ATTACHE_CERTLIST_H

#include "conf.h"

#define CERTLIST_FILE_MAX	(1024 * 1024)	/* bytes of one list */

/*
 * Appends the fingerprints of every file named by the site's locations and
 * operators to their sets.  Each problem (a missing file, a bad line) is
 * reported through diag at the directive's line, naming the file and its
 * line.  Returns 0, or -1 when there was any.
 */
int	certlist_load_site(struct conf_site *s, struct conf_diag *diag);

#endif
