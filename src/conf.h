/*
 * The configuration: what the command line or the configuration file says,
 * as one immutable structure (the file's parser and the checks of values
 * are pure: text in, structure or "FILE:LINE: message" out).
 *
 * Without a file, the command line describes one site; with one, the file
 * describes the sites.  Either way the server sees a struct conf.
 */
#ifndef ATTACHE_CONF_H
#define ATTACHE_CONF_H

#include <stddef.h>

#define CONF_MAX_LISTEN		16
#define CONF_WORKERS_MAX	64

/* The ranges of the numeric values, shared by the file and the options. */
#define CONF_GOPHER_WIDTH_MIN	20
#define CONF_GOPHER_WIDTH_MAX	1000
#define CONF_LIMIT_MAX		1000000	/* connections, requests per second */

/*
 * The limits' defaults, for a small server: a reader's client opens a
 * connection or two at a time and asks for a page and its neighbours in a
 * burst; a crawler that goes faster is told to slow down (44).
 */
#define CONF_MAX_PER_ADDRESS_DEFAULT	32
#define CONF_RATE_DEFAULT		20	/* requests per second */
#define CONF_BURST_DEFAULT		100

enum conf_action {
	CONF_ACTION_NONE,		/* only settings (lang) */
	CONF_ACTION_REDIRECT,		/* 31 target */
	CONF_ACTION_REDIRECT_TEMPORARY,	/* 30 target */
	CONF_ACTION_GONE		/* 52 */
};

/* location "GLOB" { ... }: settings for the paths the glob matches. */
struct conf_location {
	char			*pattern;	/* fnmatch(3) glob, flags 0 */
	enum conf_action	 action;
	char			*target;	/* REDIRECT*: the URI reference */
	int			 has_lang;	/* lang given in the block */
	char			*lang;		/* has_lang: the tag, or NULL
						 * for "none" */
	unsigned		 line;		/* of "location" */
};

struct conf_site {
	char			*name;		/* public host name */
	char			**aliases;	/* other names of the site */
	size_t			 naliases;
	char			*capsule;	/* directory served */
	char			*certs;		/* <certs>/<name>.crt and .key */
	char			*lang;		/* lang= of text/gemini; NULL: none */
	int			 gopher_port;	/* 0: no Gopher for this site */
	int			 gopher_public_port; /* shown in menus; 0: gopher_port */
	int			 gopher_width;	/* menu wrap width, columns */
	int			 listing;	/* generated directory listings */
	struct conf_location	*locations;	/* in file order: first match wins */
	size_t			 nlocations;
	/*
	 * Where things were said, for messages: 0 for the command line, and
	 * for a default; an inherited global setting gives its own line.
	 */
	unsigned		 line;		/* "site" */
	unsigned		 capsule_line;
	unsigned		 certs_line;
	unsigned		 gopher_port_line;
};

struct conf_listen {
	char			*addr;		/* numeric IPv4 or IPv6 */
	unsigned		 line;
	int			 proxy;		/* a PROXY protocol header first */
};

struct conf {
	char			*file;		/* path of the file; NULL: options */
	struct conf_listen	 listen[CONF_MAX_LISTEN];
	int			 nlisten;	/* 0: all IPv4 and IPv6 addresses */
	int			 gemini_port;	/* 0: Gemini off */
	unsigned		 gemini_port_line;
	int			 workers;	/* 0: one per CPU */
	struct conf_site	*sites;		/* the first is the default */
	size_t			 nsites;
	int			 proxy_protocol; /* every listener: a PROXY
						 * header first */
	/* Limits; each is counted over all workers. */
	int			 max_connections; /* 0: from the open-files
						 * limit */
	int			 max_per_address; /* open connections; 0: none */
	int			 rate;		/* requests per second and
						 * address; 0: no limit */
	int			 burst;		/* requests at once, beyond
						 * the rate */
};

/*
 * Receives each problem found: line (0 when it belongs to no line) and the
 * message without the "FILE:LINE: " prefix.
 */
struct conf_diag {
	void		(*report)(void *arg, unsigned line, const char *msg);
	void		*arg;
	unsigned	 errors;	/* counted by the parser */
};

/*
 * Parses a configuration file's text (len bytes; NUL bytes are errors).
 * file is its path: messages name it, and relative paths in it (capsule,
 * certs) are taken relative to its directory.  Every problem is reported
 * through diag, all of them, not only the first.  Returns the structure,
 * complete when diag->errors is 0 (partial otherwise), or NULL when out of
 * memory (reported too).
 */
struct conf	*conf_parse(const char *file, const char *text, size_t len,
		    struct conf_diag *diag);

/* Frees what conf_parse or the options made; NULL is fine. */
void		 conf_free(struct conf *c);

/* An empty structure with the defaults; NULL when out of memory. */
struct conf	*conf_new(void);
/* Appends a site with the defaults (name and capsule still NULL). */
struct conf_site *conf_add_site(struct conf *c);

/* The first location whose glob matches the decoded path, or NULL. */
const struct conf_location *conf_location_match(const struct conf_site *s,
		    const char *path);

/* The lang= for a text/gemini response at a path matched by loc (or NULL). */
const char	*conf_lang(const struct conf_site *s,
		    const struct conf_location *loc);

/* The Gopher port shown in a site's menus. */
int		 conf_gopher_public_port(const struct conf_site *s);

/*
 * 1 when s can be a public host name: an IP literal, or letters, digits,
 * '-', '_' and inner dots (no leading '-' or '.', no trailing '.', no "..").
 * The certificate is named after it, so it is also a safe file name.
 */
int		 conf_hostname_valid(const char *s);
/* 1 for a language tag: letters, digits and '-', 1 to 35 bytes. */
int		 conf_lang_valid(const char *s);
/* 1 for a numeric IPv4 or IPv6 address. */
int		 conf_address_valid(const char *s);
/*
 * 1 for a redirect target: a URI reference of at most REQUEST_MAX bytes (it
 * is a Gemini META), UTF-8, without spaces or control characters.
 */
int		 conf_target_valid(const char *s);
/*
 * A request rate: "N/s" then optionally the words "burst" and B (burst N
 * otherwise), or "off" alone (rate 0).  words[0..n) are the value and the
 * words after it.  Returns 0, or -1 with *bad the word at fault.
 */
int		 conf_rate_parse(const char *const *words, size_t n, int *rate,
		    int *burst, const char **bad);
/* A limit: a number from 1 to CONF_LIMIT_MAX, or "off" (0). -1: neither. */
int		 conf_limit_parse(const char *s, int *out);

/* 1 when the names (case-insensitive, a trailing dot ignored) are equal. */
int		 conf_names_equal(const char *a, const char *b);

#endif
