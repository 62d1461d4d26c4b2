/*
 * The command line: either a configuration file (--config FILE), or the
 * options that describe one site, each named as the file's directive.
 */
#ifndef ATTACHE_OPTIONS_H
#define ATTACHE_OPTIONS_H

#include <stdio.h>

#include "conf.h"

enum options_action {
	OPTIONS_RUN,
	OPTIONS_HELP,
	OPTIONS_VERSION,
	OPTIONS_ERROR
};

struct options {
	const char	*config_file;	/* --config FILE, or NULL */
	int		 check;		/* --check: validate and exit */
};

/*
 * Parses argv.  Without --config, *conf gets the one site the options
 * describe (free it with conf_free); with it, *conf is NULL and the file
 * says everything (only --check may go with it).  Each problem is written
 * to errs as one line naming the option; then the result is OPTIONS_ERROR.
 */
enum options_action options_parse(int argc, char **argv, struct options *o,
		    struct conf **conf, FILE *errs);

/* Writes the --help text. */
void		options_usage(FILE *stream);

#endif
