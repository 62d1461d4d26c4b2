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
#define CONF_TITAN_MAX_SIZE	(10LL * 1024 * 1024)	/* titan-max-size default */
#define CONF_TITAN_SIZE_LIMIT	(16LL * 1024 * 1024 * 1024) /* its largest value */
#define CONF_TITAN_HISTORY	5			/* titan-history default */
#define CONF_TITAN_HISTORY_MAX	1000
#define CONF_FINGERPRINT_LEN	32			/* SHA-256 */

/* Where the generated pages are, unless a site says otherwise. */
#define CONF_SEARCH_PATH	"/search"
#define CONF_CHANGES_PATH	"/changes.gmi"
#define CONF_ATOM_PATH		"/atom.xml"
#define CONF_PAGE_PATH_MAX	256	/* bytes of such a path */

#define CONF_LIMIT_MAX		1000000	/* connections, requests per second */

#define CONF_CGI_TIMEOUT	10	/* cgi-timeout default, seconds */
#define CONF_CGI_TIMEOUT_MAX	3600
#define CONF_CGI_MAX		16	/* cgi-max default */
#define CONF_CGI_MAX_MAX	1024

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

/* Where a location's requests go: a FastCGI responder, or the capsule. */
enum conf_fastcgi {
	CONF_FASTCGI_NONE,		/* not said: the capsule */
	CONF_FASTCGI_OFF,		/* fastcgi off: the capsule */
	CONF_FASTCGI_UNIX,		/* fastcgi socket "PATH" */
	CONF_FASTCGI_TCP		/* fastcgi tcp "ADDRESS" port N */
};

#define CONF_FASTCGI_PATH_MAX	108	/* sun_path, with its NUL */
#define CONF_PARAM_NAME_MAX	64
#define CONF_PARAM_VALUE_MAX	4096

/* param NAME "value": added to what a FastCGI responder is given. */
struct conf_param {
	char			*name;
	char			*value;
	unsigned		 line;
};

/* A file of fingerprints, one per line, read when a generation is built. */
struct conf_certfile {
	char			*path;
	unsigned		 line;		/* of its directive */
};

/*
 * A set of client certificates: the fingerprints written in the file, and
 * the files whose fingerprints are appended to them when a generation is
 * built (so that a reload reads them again).
 */
struct conf_certs {
	unsigned char		(*fp)[CONF_FINGERPRINT_LEN];
	size_t			 nfp;
	struct conf_certfile	*files;
	size_t			 nfiles;
};

/* location "GLOB" { ... }: settings for the paths the glob matches. */
struct conf_location {
	char			*pattern;	/* fnmatch(3) glob, flags 0 */
	enum conf_action	 action;
	char			*target;	/* REDIRECT*: the URI reference */
	int			 has_lang;	/* lang given in the block */
	char			*lang;		/* has_lang: the tag, or NULL
						 * for "none" */
	int			 require_cert;	/* require-certificate */
	struct conf_certs	 allow;		/* allow-certificate(s): only
						 * these, when any is given */
	int			 cgi;		/* cgi on: executables run */
	enum conf_fastcgi	 fastcgi;
	char			*fastcgi_addr;	/* UNIX: the socket's path;
						 * TCP: the numeric address */
	int			 fastcgi_port;	/* TCP */
	struct conf_param	*params;	/* in file order */
	size_t			 nparams;
	unsigned		 line;		/* of "location" */
};

enum conf_log_to {
	CONF_LOG_STDERR,
	CONF_LOG_FILE,
	CONF_LOG_SYSLOG
};

/* The access line's form: attache's own, or the web servers' formats. */
enum conf_log_style {
	CONF_LOG_STYLE_ATTACHE,
	CONF_LOG_STYLE_COMMON,
	CONF_LOG_STYLE_COMBINED
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
	int			 access_log;	/* an access line per request */
	int			 search;	/* search on: the capsule's search */
	int			 changes;	/* changes on: change list and Atom */
	char			*search_path;	/* NULL: CONF_SEARCH_PATH */
	char			*changes_path;	/* NULL: CONF_CHANGES_PATH */
	char			*atom_path;	/* NULL: CONF_ATOM_PATH */
	struct conf_location	*locations;	/* in file order: first match wins */
	size_t			 nlocations;
	int			 titan;		/* Titan uploads accepted */
	struct conf_certs	 operators;	/* titan-operator: who may */
	long long		 titan_max_size; /* bytes of one upload */
	int			 titan_delete;	/* size=0 deletes */
	int			 titan_history;	/* previous versions kept */
	unsigned		 titan_line;
	/* CGI (conf_cgi.c): 0 or NULL for the global value or default. */
	int			 cgi_timeout;	/* seconds */
	int			 cgi_max;	/* scripts at once */
	char			*cgi_user;
	char			*titan_hook;	/* run after each upload */
	/*
	 * Where things were said, for messages: 0 for the command line, and
	 * for a default; an inherited global setting gives its own line.
	 */
	unsigned		 line;		/* "site" */
	unsigned		 capsule_line;
	unsigned		 certs_line;
	unsigned		 gopher_port_line;
	unsigned		 search_path_line;
	unsigned		 changes_path_line;
	unsigned		 atom_path_line;
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
	char			*user;		/* serve as this user; NULL: as started */
	unsigned		 user_line;
	enum conf_log_to	 log_to;
	char			*log_file;	/* CONF_LOG_FILE: its path */
	unsigned		 log_line;
	enum conf_log_style	 log_style;
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
	/* CGI's global values (conf_cgi.c); 0, NULL: the defaults. */
	int			 cgi_timeout;
	int			 cgi_max;
	char			*cgi_user;
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

/* One problem: formats it (one line, bounded), counts it, reports it. */
void		 conf_report(struct conf_diag *diag, unsigned line,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

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

/* 1 when a location's requests go to a FastCGI responder. */
int		 conf_location_fastcgi(const struct conf_location *loc);

/*
 * The TCP ports of every site's FastCGI responders, each once, ascending,
 * in *ports (malloc'd; NULL when there is none).  0, or -1 when out of
 * memory.
 */
int		 conf_fastcgi_ports(const struct conf *c, int **ports,
		    size_t *n);

/* 1 when a location protects its paths with client certificates. */
int		 conf_location_protected(const struct conf_location *loc);

/*
 * 1 when the server writes into the site's capsule (Titan uploads and
 * their history): the sandbox grants write access to these only.
 */
int		 conf_capsule_writable(const struct conf_site *s);

/* Appends a fingerprint to a set; -1 when out of memory. */
int		 conf_certs_add(struct conf_certs *set,
		    const unsigned char fp[CONF_FINGERPRINT_LEN]);

/* Frees the fingerprints and files of a set. */
void		 conf_certs_free(struct conf_certs *set);
/* The paths of a site's generated pages: its own, or the default. */
const char	*conf_search_path(const struct conf_site *s);
const char	*conf_changes_path(const struct conf_site *s);
const char	*conf_atom_path(const struct conf_site *s);

/*
 * 1 for the path of a generated page: '/' then segments that are not
 * empty, "." or "..", nor start with '.'; no final '/'; UTF-8 without
 * control characters, '?' or '#'; at most CONF_PAGE_PATH_MAX bytes.
 */
int		 conf_page_path_valid(const char *s);

/*
 * 1 when one of a site's generated pages would hide another: *page names
 * the hidden one's directive ("changes-path", "atom-path"), *by the other's,
 * *path the path.  The search takes its path and what is under it
 * ("/search/2" is the second page of results).
 */
int		 conf_page_clash(const struct conf_site *s, const char **page,
		    const char **by, const char **path);

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
/* 1 for a user name as useradd makes them (at most 32 bytes). */
int		 conf_user_valid(const char *s);
/* "attache", "common" or "combined" into *out: 0, or -1 for anything else. */
int		 conf_log_style_from(const char *s, enum conf_log_style *out);
/*
 * Where the log goes, for the option and the directive: "stderr", "syslog",
 * or any other word a file's path (CONF_LOG_FILE, s being the path, which
 * the caller keeps as it must).  0, or -1 for "" (*out left alone).
 */
int		 conf_log_target_from(const char *s, enum conf_log_to *out);

/*
 * A request rate: "N/s" then optionally the words "burst" and B (burst N
 * otherwise), or "off" alone (rate 0).  words[0..n) are the value and the
 * words after it.  Returns 0, or -1 with *bad the word at fault.
 */
int		 conf_rate_parse(const char *const *words, size_t n, int *rate,
		    int *burst, const char **bad);
/*
 * A number from min to max in digits only (no sign, no space, not empty)
 * into *out: 0, or -1.  The options and the directives read them alike.
 */
int		 conf_int_from(const char *s, int min, int max, int *out);
/* "on" 1 or "off" 0 into *out: 0, or -1 for anything else. */
int		 conf_on_off_from(const char *s, int *out);
/* A limit: a number from 1 to CONF_LIMIT_MAX, or "off" (0). -1: neither. */
int		 conf_limit_parse(const char *s, int *out);

/* 1 when the names (case-insensitive, a trailing dot ignored) are equal. */
int		 conf_names_equal(const char *a, const char *b);

#endif
