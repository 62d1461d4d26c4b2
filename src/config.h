/* Settings: defaults and the command line.  A later configuration file
 * uses the same names as the long options. */
#ifndef ATTACHE_CONFIG_H
#define ATTACHE_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define CONFIG_MAX_LISTEN	16

struct config {
	const char	*capsule;		/* directory served */
	const char	*certs;			/* certificate directory */
	const char	*hostname;		/* public name */
	const char	*listen[CONFIG_MAX_LISTEN];	/* numeric addresses */
	int		 nlisten;		/* 0: all IPv4 and IPv6 */
	int		 gemini_port;		/* 0: Gemini off */
	int		 gopher_port;		/* 0: Gopher off */
	int		 gopher_public_port;	/* port shown in menus; 0: gopher_port */
	int		 gopher_width;		/* menu wrap width in columns */
	const char	*lang;			/* lang= of text/gemini, or NULL */
	int		 workers;		/* threads; 0: one per CPU */
	int		 check;			/* --check: validate and exit */
};

enum config_action {
	CONFIG_RUN,
	CONFIG_HELP,
	CONFIG_VERSION,
	CONFIG_ERROR
};

void		config_defaults(struct config *c);

/*
 * Parses argv into c (over its defaults).  Each problem is written to errs
 * as one line naming the option; then the result is CONFIG_ERROR.
 * Strings in c point into argv.
 */
enum config_action config_parse_args(struct config *c, int argc,
		    char **argv, FILE *errs);

/* Writes the --help text. */
void		config_usage(FILE *stream);

/*
 * 1 when s can be the public host name: an IP literal, or letters, digits,
 * '-', '_' and inner dots (no leading '-' or '.', no trailing '.', no "..").
 * The certificate is named after it, so it is also a safe file name.
 */
int		config_hostname_valid(const char *s);

/* The Gopher port shown in menus. */
int		config_gopher_public_port(const struct config *c);

#endif
