/* The command line: a configuration file, or the options of one site. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "options.h"

enum {
	OPT_CAPSULE = 256, OPT_CERTS, OPT_HOSTNAME, OPT_LISTEN,
	OPT_GEMINI_PORT, OPT_GOPHER_PORT, OPT_GOPHER_PUBLIC_PORT,
	OPT_GOPHER_WIDTH, OPT_LANG, OPT_WORKERS, OPT_CHECK, OPT_HELP,
	OPT_VERSION, OPT_USER, OPT_LOG, OPT_LOG_STYLE, OPT_SEARCH,
	OPT_SEARCH_PATH, OPT_CHANGES, OPT_CHANGES_PATH, OPT_ATOM_PATH,
	OPT_PROXY_PROTOCOL, OPT_MAX_CONNECTIONS, OPT_MAX_PER_ADDRESS,
	OPT_RATE_LIMIT, OPT_CONFIG = 'f'
};

static const struct option long_options[] = {
	{ "config",		required_argument, NULL, OPT_CONFIG },
	{ "capsule",		required_argument, NULL, OPT_CAPSULE },
	{ "certs",		required_argument, NULL, OPT_CERTS },
	{ "hostname",		required_argument, NULL, OPT_HOSTNAME },
	{ "listen",		required_argument, NULL, OPT_LISTEN },
	{ "gemini-port",	required_argument, NULL, OPT_GEMINI_PORT },
	{ "gopher-port",	required_argument, NULL, OPT_GOPHER_PORT },
	{ "gopher-public-port",	required_argument, NULL, OPT_GOPHER_PUBLIC_PORT },
	{ "gopher-width",	required_argument, NULL, OPT_GOPHER_WIDTH },
	{ "lang",		required_argument, NULL, OPT_LANG },
	{ "workers",		required_argument, NULL, OPT_WORKERS },
	{ "user",		required_argument, NULL, OPT_USER },
	{ "log",		required_argument, NULL, OPT_LOG },
	{ "log-style",		required_argument, NULL, OPT_LOG_STYLE },
	{ "search",		required_argument, NULL, OPT_SEARCH },
	{ "search-path",	required_argument, NULL, OPT_SEARCH_PATH },
	{ "changes",		required_argument, NULL, OPT_CHANGES },
	{ "changes-path",	required_argument, NULL, OPT_CHANGES_PATH },
	{ "atom-path",		required_argument, NULL, OPT_ATOM_PATH },
	{ "proxy-protocol",	no_argument,	   NULL, OPT_PROXY_PROTOCOL },
	{ "max-connections",	required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "max-connections-per-address", required_argument, NULL,
	    OPT_MAX_PER_ADDRESS },
	{ "rate-limit",		required_argument, NULL, OPT_RATE_LIMIT },
	{ "check",		no_argument,	   NULL, OPT_CHECK },
	{ "help",		no_argument,	   NULL, OPT_HELP },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

void
options_usage(FILE *stream)
{
	fputs(
"usage: attache [-f FILE] [options]\n"
"  -f, --config FILE       read the sites from FILE (see attache.conf.example);\n"
"                          the options below then belong in the file\n"
"  --capsule DIR           directory to serve (default ./capsule)\n"
"  --certs DIR             certificate directory (default ./certs)\n"
"  --hostname NAME         public host name (default localhost)\n"
"  --listen ADDR           numeric address to listen on; repeatable\n"
"                          (default: all IPv4 and IPv6 addresses)\n"
"  --gemini-port N         Gemini port (default 1965; 0 turns Gemini off)\n"
"  --gopher-port N         Gopher port (default 70; 0 turns Gopher off)\n"
"  --gopher-public-port N  Gopher port shown in menus (default: --gopher-port)\n"
"  --gopher-width N        wrap width of Gopher menus (default 67)\n"
"  --lang TAG              lang= of text/gemini responses (default en;\n"
"                          \"none\" leaves it out)\n"
"  --workers N             worker threads (default 0: one per CPU)\n"
"  --user NAME             started as root: serve as this user\n"
"  --log DEST              stderr (default), syslog, or a file's path\n"
"  --log-style STYLE       access lines: attache (default), common or\n"
"                          combined\n"
"  --search on|off         search of the capsule (default on)\n"
"  --search-path PATH      where the search is (default /search)\n"
"  --changes on|off        the change list and its Atom feed (default on)\n"
"  --changes-path PATH     the change list (default /changes.gmi)\n"
"  --atom-path PATH        the Atom feed (default /atom.xml)\n"
"  --proxy-protocol        every listener expects a PROXY protocol header\n"
"                          (v1 or v2) first, from a front end (HAProxy)\n"
"  --max-connections N     open connections in all (default: from the\n"
"                          open-files limit)\n"
"  --max-connections-per-address N|off\n"
"                          open connections of one client address\n"
"                          (default 32)\n"
"  --rate-limit 'N/s burst B'|off\n"
"                          requests per second of one client address, and\n"
"                          how many at once beyond it (default 20/s burst\n"
"                          100)\n"
"  --check                 check the configuration, certificates and\n"
"                          capsules, print problems, exit\n"
"  --help                  this text\n"
"  --version               print the version\n", stream);
}

/* Replaces *slot with a copy of s; -1 when out of memory. */
static int
set_string(char **slot, const char *s)
{
	char *copy;

	if ((copy = strdup(s)) == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

/* The site the options describe, with the command line's defaults. */
static struct conf *
options_conf(void)
{
	struct conf *c;
	struct conf_site *s;

	if ((c = conf_new()) == NULL || (s = conf_add_site(c)) == NULL ||
	    set_string(&s->name, "localhost") == -1 ||
	    set_string(&s->capsule, "./capsule") == -1 ||
	    set_string(&s->certs, "./certs") == -1) {
		conf_free(c);
		return NULL;
	}
	s->gopher_port = 70;
	return c;
}

/* --rate-limit 'N/s burst B': the directive's words in one argument. */
static int
rate_option(struct conf *c, const char *v)
{
	const char *words[5], *bad;
	char buf[64], *w, *save;
	size_t n = 0;

	if (strlen(v) >= sizeof(buf))
		return -1;
	memcpy(buf, v, strlen(v) + 1);
	for (w = strtok_r(buf, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save)) {
		if (n == sizeof(words) / sizeof(words[0]))
			return -1;
		words[n++] = w;
	}
	return conf_rate_parse(words, n, &c->rate, &c->burst, &bad);
}

/* One option's value into the site; 0, -1 for a bad value, -2 for ENOMEM. */
static int
apply(struct conf *c, int ch, const char *v, FILE *errs)
{
	struct conf_site *s = &c->sites[0];

	switch (ch) {
	case OPT_CAPSULE:
		return set_string(&s->capsule, v) == -1 ? -2 : 0;
	case OPT_CERTS:
		return set_string(&s->certs, v) == -1 ? -2 : 0;
	case OPT_HOSTNAME:
		if (!conf_hostname_valid(v))
			return -1;
		return set_string(&s->name, v) == -1 ? -2 : 0;
	case OPT_LISTEN:
		if (!conf_address_valid(v))
			return -1;
		if (c->nlisten == CONF_MAX_LISTEN) {
			fprintf(errs, "attache: --listen: at most %d "
			    "addresses\n", CONF_MAX_LISTEN);
			return 1;
		}
		if ((c->listen[c->nlisten].addr = strdup(v)) == NULL)
			return -2;
		c->nlisten++;
		return 0;
	case OPT_GEMINI_PORT:
		return conf_int_from(v, 0, 65535, &c->gemini_port);
	case OPT_GOPHER_PORT:
		return conf_int_from(v, 0, 65535, &s->gopher_port);
	case OPT_GOPHER_PUBLIC_PORT:
		return conf_int_from(v, 1, 65535, &s->gopher_public_port);
	case OPT_GOPHER_WIDTH:
		return conf_int_from(v, CONF_GOPHER_WIDTH_MIN,
		    CONF_GOPHER_WIDTH_MAX, &s->gopher_width);
	case OPT_LANG:
		if (!conf_lang_valid(v))
			return -1;
		free(s->lang);
		s->lang = NULL;
		if (strcmp(v, "none") == 0)
			return 0;
		return set_string(&s->lang, v) == -1 ? -2 : 0;
	case OPT_WORKERS:
		return conf_int_from(v, 0, CONF_WORKERS_MAX, &c->workers);
	case OPT_USER:
		if (!conf_user_valid(v))
			return -1;
		return set_string(&c->user, v) == -1 ? -2 : 0;
	case OPT_LOG:
		free(c->log_file);
		c->log_file = NULL;
		if (conf_log_target_from(v, &c->log_to) == -1)
			return -1;
		if (c->log_to == CONF_LOG_FILE)
			return set_string(&c->log_file, v) == -1 ? -2 : 0;
		return 0;
	case OPT_LOG_STYLE:
		return conf_log_style_from(v, &c->log_style);
	case OPT_SEARCH:
		return conf_on_off_from(v, &s->search);
	case OPT_CHANGES:
		return conf_on_off_from(v, &s->changes);
	case OPT_SEARCH_PATH:
	case OPT_CHANGES_PATH:
	case OPT_ATOM_PATH:
		if (!conf_page_path_valid(v))
			return -1;
		return set_string(ch == OPT_SEARCH_PATH ? &s->search_path :
		    ch == OPT_CHANGES_PATH ? &s->changes_path : &s->atom_path,
		    v) == -1 ? -2 : 0;
	case OPT_PROXY_PROTOCOL:
		c->proxy_protocol = 1;
		return 0;
	case OPT_MAX_CONNECTIONS:
		return conf_int_from(v, 1, CONF_LIMIT_MAX, &c->max_connections);
	case OPT_MAX_PER_ADDRESS:
		return conf_limit_parse(v, &c->max_per_address);
	case OPT_RATE_LIMIT:
		return rate_option(c, v);
	}
	return -1;
}

/* What a finished command line cannot mean. */
static int
check_combination(const struct conf *c, FILE *errs)
{
	const struct conf_site *s = &c->sites[0];
	const char *page, *by, *path;

	if (conf_page_clash(s, &page, &by, &path)) {
		fprintf(errs, "attache: --%s %s: taken by --%s\n", page, path,
		    by);
		return 1;
	}
	if (c->gemini_port == 0 && s->gopher_port == 0) {
		fprintf(errs, "attache: --gemini-port and --gopher-port are "
		    "both 0: nothing to serve\n");
		return 1;
	}
	if (c->gemini_port != 0 && c->gemini_port == s->gopher_port) {
		fprintf(errs, "attache: --gemini-port and --gopher-port are "
		    "both %d\n", c->gemini_port);
		return 1;
	}
	return 0;
}

enum options_action
options_parse(int argc, char **argv, struct options *o, struct conf **conf,
    FILE *errs)
{
	enum options_action action = OPTIONS_RUN;
	const char *site_option = NULL;
	struct conf *c;
	int ch, idx, r, errors = 0;

	memset(o, 0, sizeof(*o));
	*conf = NULL;
	if ((c = options_conf()) == NULL) {
		fprintf(errs, "attache: out of memory\n");
		return OPTIONS_ERROR;
	}
	optind = 0;		/* a fresh scan, also for repeated calls */
	opterr = 0;
	for (;;) {
		idx = -1;
		ch = getopt_long(argc, argv, ":f:", long_options, &idx);
		if (ch == -1)
			break;
		switch (ch) {
		case OPT_CONFIG:
			o->config_file = optarg;
			continue;
		case OPT_CHECK:
			o->check = 1;
			continue;
		case OPT_HELP:
			if (action == OPTIONS_RUN)
				action = OPTIONS_HELP;
			continue;
		case OPT_VERSION:
			if (action == OPTIONS_RUN)
				action = OPTIONS_VERSION;
			continue;
		case ':':
			fprintf(errs, "attache: %s: needs a value\n",
			    argv[optind - 1]);
			errors++;
			continue;
		case '?':
			fprintf(errs, "attache: %s: unknown option "
			    "(see --help)\n", argv[optind - 1]);
			errors++;
			continue;
		}
		if (site_option == NULL)
			site_option = long_options[idx].name;
		/* Every bad value is reported, not only the first. */
		if ((r = apply(c, ch, optarg, errs)) == -1) {
			fprintf(errs, "attache: --%s: invalid value \"%s\"\n",
			    long_options[idx].name, optarg);
			errors++;
		} else if (r == -2) {
			fprintf(errs, "attache: out of memory\n");
			errors++;
		} else if (r > 0)
			errors++;
	}
	for (; optind < argc; optind++) {
		fprintf(errs, "attache: %s: unexpected argument (see --help)\n",
		    argv[optind]);
		errors++;
	}
	if (o->config_file != NULL && site_option != NULL) {
		fprintf(errs, "attache: --%s: not with --config; set it in "
		    "%s\n", site_option, o->config_file);
		errors++;
	}
	if (errors == 0 && o->config_file == NULL)
		errors += check_combination(c, errs);
	if (errors > 0 || o->config_file != NULL) {
		conf_free(c);
		c = NULL;
	}
	*conf = c;
	return errors > 0 ? OPTIONS_ERROR : action;
}
