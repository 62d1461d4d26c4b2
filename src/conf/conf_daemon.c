/* The daemon's directives: who serves, and where the log goes (pure). */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_daemon.h"
#include "conf_lex.h"
#include "conf_state.h"

void
conf_d_user(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	char *name;

	if (!conf_user_valid(v)) {
		conf_invalid(p, d, v, line);
		return;
	}
	if ((name = strdup(v)) == NULL) {
		conf_nomem(p);
		return;
	}
	free(p->c->user);
	p->c->user = name;
	p->c->user_line = line;
}

void
conf_d_log(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	struct conf *c = p->c;
	enum conf_log_to to;
	char *path = NULL;

	if (conf_log_target_from(v, &to) == -1) {
		conf_invalid(p, d, v, line);
		return;
	}
	/* A file's path is taken relative to the configuration file. */
	if (to == CONF_LOG_FILE &&
	    (path = conf_path(p, d->name, v, line)) == NULL)
		return;
	c->log_to = to;
	free(c->log_file);
	c->log_file = path;
	c->log_line = line;
}

void
conf_d_log_style(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	if (conf_log_style_from(v, &p->c->log_style) == -1)
		conf_invalid(p, d, v, line);
}

void
conf_d_access_log(struct parser *p, const struct directive *d, const char *v,
    unsigned line)
{
	int on;

	if ((on = conf_on_off(p, d, v, line)) != -1)
		conf_cur_site(p)->access_log = on;
}
