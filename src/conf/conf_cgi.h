/*
 * The CGI directives (cgi, cgi-timeout, cgi-max, cgi-user, titan-hook),
 * and what the rest of the server asks of them: a site's values, and
 * which runner process serves a site's scripts (one per cgi-user).
 */
#ifndef ATTACHE_CONF_CGI_H
#define ATTACHE_CONF_CGI_H

#include <stddef.h>

struct conf;
struct conf_site;
struct directive;
struct parser;

void	conf_d_cgi(struct parser *, const struct directive *, const char *,
	    unsigned);
/* cgi-timeout and cgi-max, at the top or in a site. */
void	conf_d_cgi_number(struct parser *, const struct directive *,
	    const char *, unsigned);
void	conf_d_cgi_user(struct parser *, const struct directive *,
	    const char *, unsigned);
void	conf_d_titan_hook(struct parser *, const struct directive *,
	    const char *, unsigned);

/* A site's values: its own, else the global one, else the default. */
int	conf_cgi_timeout(const struct conf *c, const struct conf_site *s);
int	conf_cgi_max(const struct conf *c, const struct conf_site *s);
/* The user its scripts run as; NULL: the user attache was started as. */
const char *conf_cgi_user(const struct conf *c, const struct conf_site *s);

/* 1 when a site runs programs: a location with cgi on, or a titan-hook. */
int	conf_site_runs(const struct conf_site *s);

/*
 * The runners a configuration needs (one per distinct user of the sites
 * that run programs, in the order of the sites), and which serves site i
 * (-1: none).
 */
size_t	conf_cgi_runners(const struct conf *c);
int	conf_cgi_runner(const struct conf *c, size_t site);

/*
 * The directory beneath the capsule that a cgi location's pattern names:
 * its literal part up to the last '/' before any glob character
 * ("/cgi/" then a star gives "cgi", a star then ".cgi" gives "").  Into
 * out; 0, or -1 when too long.
 */
int	conf_cgi_dir(const char *pattern, char *out, size_t outsz);

#endif
