/* The table of directives and their checks (conf_directives.c). */
#ifndef ATTACHE_CONF_DIRECTIVES_H
#define ATTACHE_CONF_DIRECTIVES_H

struct conf_site;
struct parser;

/* The directive of that name, or NULL. */
const struct directive *conf_directive(const char *name);

/* A closed site's generated pages: paths that are not each other's. */
void	conf_check_pages(struct parser *p, const struct conf_site *s);

#endif
