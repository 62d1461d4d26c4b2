/* The client certificate and Titan directives (conf_access.c). */
#ifndef ATTACHE_CONF_ACCESS_H
#define ATTACHE_CONF_ACCESS_H

struct conf_site;
struct directive;
struct parser;

void	conf_d_require_cert(struct parser *, const struct directive *,
	    const char *, unsigned);
void	conf_d_allow_cert(struct parser *, const struct directive *,
	    const char *, unsigned);
void	conf_d_allow_certs(struct parser *, const struct directive *,
	    const char *, unsigned);
void	conf_d_titan(struct parser *, const struct directive *,
	    const char *, unsigned);
void	conf_d_titan_operator(struct parser *, const struct directive *,
	    const char *, unsigned);
void	conf_d_titan_max_size(struct parser *, const struct directive *,
	    const char *, unsigned);
void	conf_d_titan_delete(struct parser *, const struct directive *,
	    const char *, unsigned);
void	conf_d_titan_history(struct parser *, const struct directive *,
	    const char *, unsigned);
/* At the end of the file: what a site's Titan settings lack. */
void	conf_access_check_site(struct parser *p, const struct conf_site *s);

#endif
