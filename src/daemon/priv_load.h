/*
 * What the privileged process reads for a configuration: the file, the
 * certificate pairs and lists into a bundle, the log file.
 */
#ifndef ATTACHE_PRIV_LOAD_H
#define ATTACHE_PRIV_LOAD_H

#include <stddef.h>

#include "priv_state.h"

/*
 * Reads the configuration file (FILE:LINE: messages through diag) into
 * *text (malloc'ed) and parses it; or, without a file, reads the options
 * again (text NULL).  Returns it, or NULL after reporting why; with partial
 * set, what could be read of a file with errors (for --check).
 */
struct conf	*priv_read_conf(const char *config_file, int argc,
		    char **argv, struct conf_diag *diag, int partial,
		    char **text, size_t *len);

/*
 * Reads the files conf names into b (from the configuration file's text,
 * taken): every certificate pair, generated when both files are missing,
 * its certificate into b and its key into keys (named by the certificate's
 * id in hex, for the key process: the server process never gets a key).
 * Each problem goes through diag.  Returns 0, or -1.
 */
int	priv_load(struct priv *p, struct conf *conf, char *text, size_t len,
	    struct bundle *b, struct bundle *keys, struct conf_diag *diag);

/* Opens the log file of conf (-1 for none); reports and -2 on failure. */
int	priv_open_log(const struct conf *conf, struct conf_diag *diag);

#endif
