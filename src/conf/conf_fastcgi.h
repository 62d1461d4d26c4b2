/* The FastCGI directives (conf_fastcgi.c). */
#ifndef ATTACHE_CONF_FASTCGI_H
#define ATTACHE_CONF_FASTCGI_H

struct conf_site;
struct directive;
struct parser;

void	conf_d_fastcgi(struct parser *, const struct directive *,
	    const char *, unsigned);
void	conf_d_param(struct parser *, const struct directive *,
	    const char *, unsigned);
/* At the end of a site: a param where no responder is. */
void	conf_fastcgi_check_site(struct parser *p, const struct conf_site *s);

#endif
