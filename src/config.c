/* Settings: defaults and the command line. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

enum {
	OPT_CAPSULE = 256, OPT_CERTS, OPT_HOSTNAME, OPT_LISTEN,
	OPT_GEMINI_PORT, OPT_GOPHER_PORT, OPT_GOPHER_PUBLIC_PORT,
	OPT_GOPHER_WIDTH, OPT_LANG, OPT_WORKERS, OPT_CHECK, OPT_HELP,
	OPT_VERSION
};

static const struct option long_options[] = {
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
	{ "check",		no_argument,	   NULL, OPT_CHECK },
	{ "help",		no_argument,	   NULL, OPT_HELP },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->capsule = "./capsule";
	c->certs = "./certs";
	c->hostname = "localhost";
	c->gemini_port = 1965;
	c->gopher_port = 70;
	c->gopher_width = 67;
	c->lang = "en";		/* the shipped capsule is in English */
}

void
config_usage(FILE *stream)
{
	fputs(
"usage: attache [options]\n"
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
"  --check                 check options and capsule, print problems, exit\n"
"  --help                  this text\n"
"  --version               print the version\n", stream);
}

static int
parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

int
config_hostname_valid(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	size_t i, len = strlen(s);

	if (len == 0 || len > 253)
		return 0;
	if (inet_pton(AF_INET6, s, buf) == 1 || inet_pton(AF_INET, s, buf) == 1)
		return 1;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'))
			return 0;
	/* The certificate is named after it: no "a.", no ".." */
	return s[0] != '.' && s[0] != '-' && s[len - 1] != '.' &&
	    strstr(s, "..") == NULL;
}

/* BCP 47-ish: letters, digits and '-', at most 35 bytes. */
static int
valid_lang(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > 35)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static int
valid_address(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}

enum config_action
config_parse_args(struct config *c, int argc, char **argv, FILE *errs)
{
	enum config_action action = CONFIG_RUN;
	const char *name;
	int ch, idx, errors = 0;

	optind = 0;		/* a fresh scan, also for repeated calls */
	opterr = 0;
	for (;;) {
		idx = -1;
		ch = getopt_long(argc, argv, ":", long_options, &idx);
		if (ch == -1)
			break;
		name = idx >= 0 ? long_options[idx].name : NULL;
		switch (ch) {
		case OPT_CAPSULE:
			c->capsule = optarg;
			continue;
		case OPT_CERTS:
			c->certs = optarg;
			continue;
		case OPT_HOSTNAME:
			if (!config_hostname_valid(optarg))
				break;
			c->hostname = optarg;
			continue;
		case OPT_LISTEN:
			if (!valid_address(optarg))
				break;
			if (c->nlisten == CONFIG_MAX_LISTEN) {
				fprintf(errs, "attache: --listen: at most %d "
				    "addresses\n", CONFIG_MAX_LISTEN);
				errors++;
			} else
				c->listen[c->nlisten++] = optarg;
			continue;
		case OPT_GEMINI_PORT:
			if (parse_int(optarg, 0, 65535, &c->gemini_port))
				break;
			continue;
		case OPT_GOPHER_PORT:
			if (parse_int(optarg, 0, 65535, &c->gopher_port))
				break;
			continue;
		case OPT_GOPHER_PUBLIC_PORT:
			if (parse_int(optarg, 1, 65535,
			    &c->gopher_public_port))
				break;
			continue;
		case OPT_GOPHER_WIDTH:
			if (parse_int(optarg, 20, 1000, &c->gopher_width))
				break;
			continue;
		case OPT_LANG:
			if (!valid_lang(optarg))
				break;
			c->lang = strcmp(optarg, "none") == 0 ? NULL : optarg;
			continue;
		case OPT_WORKERS:
			if (parse_int(optarg, 0, 64, &c->workers))
				break;
			continue;
		case OPT_CHECK:
			c->check = 1;
			continue;
		case OPT_HELP:
			if (action == CONFIG_RUN)
				action = CONFIG_HELP;
			continue;
		case OPT_VERSION:
			if (action == CONFIG_RUN)
				action = CONFIG_VERSION;
			continue;
		case ':':
			fprintf(errs, "attache: %s: needs a value\n",
			    argv[optind - 1]);
			errors++;
			continue;
		default:
			fprintf(errs, "attache: %s: unknown option "
			    "(see --help)\n", argv[optind - 1]);
			errors++;
			continue;
		}
		/* Every bad value is reported, not only the first. */
		fprintf(errs, "attache: --%s: invalid value \"%s\"\n", name,
		    optarg);
		errors++;
	}
	for (; optind < argc; optind++) {
		fprintf(errs, "attache: %s: unexpected argument (see --help)\n",
		    argv[optind]);
		errors++;
	}
	if (c->gemini_port == 0 && c->gopher_port == 0) {
		fprintf(errs, "attache: --gemini-port and --gopher-port are "
		    "both 0: nothing to serve\n");
		errors++;
	}
	if (c->gemini_port != 0 && c->gemini_port == c->gopher_port) {
		fprintf(errs, "attache: --gemini-port and --gopher-port are "
		    "both %d\n", c->gemini_port);
		errors++;
	}
	return errors > 0 ? CONFIG_ERROR : action;
}

int
config_gopher_public_port(const struct config *c)
{
	return c->gopher_public_port != 0 ? c->gopher_public_port :
	    c->gopher_port;
}
