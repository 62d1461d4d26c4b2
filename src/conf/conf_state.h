/*
 * The configuration parser's state and the helpers every directive uses
 * (internal to conf_*.c): below the structure's reader (conf_parse.c), the
 * directives (conf_directives.c, conf_access.c, conf_daemon.c), so that
 * none of them calls up into another for these.
 */
#ifndef ATTACHE_CONF_STATE_H
#define ATTACHE_CONF_STATE_H

#include <stddef.h>

#include "conf.h"
#include "conf_lex.h"

/* Where a directive is: bits, so that a directive can allow several. */
enum {
	SC_TOP = 1,
	SC_SITE = 2,
	SC_LOC = 4
};

enum kind {
	K_FLAG,			/* no value */
	K_VALUE,		/* one value */
	K_BLOCK,		/* one value, then { on the same line */
	K_WORDS			/* one value, then up to CONF_WORDS_MAX more
				 * on the same line (p->words) */
};

#define CONF_WORDS_MAX	4

/* The single-valued settings of a scope, for "given twice". */
enum {
	SLOT_NONE = -1,		/* repeatable */
	SLOT_GEMINI_PORT,
	SLOT_WORKERS,
	SLOT_CAPSULE,
	SLOT_CERTS,
	SLOT_GOPHER_PORT,
	SLOT_GOPHER_PUBLIC_PORT,
	SLOT_LANG,
	SLOT_LISTING,
	SLOT_GOPHER_WIDTH,
	SLOT_ACTION,		/* redirect, redirect-temporary, gone */
	SLOT_USER,
	SLOT_LOG,
	SLOT_LOG_STYLE,
	SLOT_ACCESS_LOG,
	SLOT_REQUIRE_CERT,
	SLOT_TITAN,
	SLOT_TITAN_MAX_SIZE,
	SLOT_TITAN_DELETE,
	SLOT_TITAN_HISTORY,
	SLOT_SEARCH,
	SLOT_SEARCH_PATH,
	SLOT_CHANGES,
	SLOT_CHANGES_PATH,
	SLOT_ATOM_PATH,
	SLOT_MAX_CONNECTIONS,
	SLOT_MAX_PER_ADDRESS,
	SLOT_RATE_LIMIT,
	SLOT_CGI, SLOT_CGI_TIMEOUT, SLOT_CGI_MAX, SLOT_CGI_USER,
	SLOT_TITAN_HOOK,
	SLOT_FASTCGI,
	NSLOTS
};

struct parser;

struct directive {
	const char	*name;
	int		 where;		/* SC_* */
	enum kind	 kind;
	int		 slot;		/* SLOT_* */
	void		(*fn)(struct parser *, const struct directive *,
			    const char *, unsigned);
	int		 action;	/* an action's enum conf_action */
	const char	*arg;		/* K_BLOCK: what its value is */
};

/* What the parser keeps of a site besides the structure. */
struct psite {
	unsigned	 seen[NSLOTS];	/* line of each; 0: unset */
};

/* A site name or alias, for duplicates. */
struct pname {
	const char	*name;		/* owned by the structure */
	unsigned	 line;
};

struct parser {
	struct conf		*c;
	struct conf_diag	*diag;
	struct conf_lexer	 lx;
	struct conf_token	 tok;		/* the current token */
	const struct directive	*prev;		/* ended on this line */
	const char		*file;
	size_t			 dirlen;	/* "dir/" in file, or 0 */
	int			 scope;		/* SC_* */
	size_t			 site;		/* the open site */
	size_t			 loc;		/* the open location */
	unsigned		 gseen[NSLOTS];
	unsigned		 lseen[NSLOTS];
	const char		*action;	/* the open location's */
	struct psite		*ps;		/* one per site */
	struct pname		*names;
	size_t			 nnames;
	/* The top level's settings, for the sites without their own. */
	char			*certs;		/* NULL: unset */
	int			 has_lang;
	char			*lang;
	int			 listing;	/* -1: unset */
	int			 gopher_width;	/* 0: unset */
	int			 oom;
	/* K_WORDS: the words after the value, for the directive's fn. */
	char			*words[CONF_WORDS_MAX];
	size_t			 nwords;
	int			 too_many_words; /* more than CONF_WORDS_MAX */
};

/* Reports "out of memory" once, and stops the parser. */
void	conf_nomem(struct parser *p);

/* Room for element n of an array holding a power of two of them. */
void	*conf_room(struct parser *p, void *arr, size_t n, size_t size);

/* The open site and location. */
struct conf_site *conf_cur_site(struct parser *p);
struct conf_location *conf_cur_loc(struct parser *p);

/* Reports "NAME: invalid value "V"". */
void	conf_invalid(struct parser *, const struct directive *, const char *,
	    unsigned);

/* "on" or "off" as 1 or 0; -1 (reported as an invalid value) else. */
int	conf_on_off(struct parser *, const struct directive *, const char *,
	    unsigned);

/* v relative to the file's directory unless absolute; NULL: reported. */
char	*conf_path(struct parser *p, const char *name, const char *v,
	    unsigned line);

#endif
