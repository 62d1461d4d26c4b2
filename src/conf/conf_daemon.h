/* The daemon's directives: user, log, log-style, access-log (conf_daemon.c). */
#ifndef ATTACHE_CONF_DAEMON_H
#define ATTACHE_CONF_DAEMON_H

struct directive;
struct parser;

void	conf_d_user(struct parser *, const struct directive *, const char *,
	    unsigned);
void	conf_d_log(struct parser *, const struct directive *, const char *,
	    unsigned);
void	conf_d_log_style(struct parser *, const struct directive *,
	    const char *, unsigned);
void	conf_d_access_log(struct parser *, const struct directive *,
	    const char *, unsigned);

#endif
