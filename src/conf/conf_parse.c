/*
 * The configuration file's parser: the blocks and the lines, the recovery
 * after an error, and the checks that need the whole file (pure: no I/O).
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_access.h"
#include "conf_directives.h"
#include "conf_fastcgi.h"
#include "conf_lex.h"
#include "conf_state.h"

static void
next(struct parser *p)
{
	conf_lex(&p->lx, &p->tok);
}

static int
is_value(const struct conf_token *t)
{
	return t->type == CONF_TOK_WORD || t->type == CONF_TOK_STRING;
}

/*
 * Skips a { ... } starting at the current token, whatever it holds; one
 * never closed runs to the end of the file, which is said.
 */
static void
skip_block(struct parser *p)
{
	unsigned line = p->tok.line;
	size_t depth = 0;

	if (p->tok.type != CONF_TOK_LBRACE)
		return;
	do {
		if (p->tok.type == CONF_TOK_EOF) {
			conf_report(p->diag, line,
			    "block opened here is never closed");
			return;
		}
		if (p->tok.type == CONF_TOK_LBRACE)
			depth++;
		else if (p->tok.type == CONF_TOK_RBRACE)
			depth--;
		next(p);
	} while (depth > 0);
}

/*
 * Recovery after an error: skips to the end of the line, or to a } that
 * may close the open block (one-line blocks), and over any { ... }.
 */
static void
skip_rest(struct parser *p)
{
	p->prev = NULL;
	for (;;) {
		switch (p->tok.type) {
		case CONF_TOK_EOF:
		case CONF_TOK_NEWLINE:
		case CONF_TOK_RBRACE:
			return;
		case CONF_TOK_LBRACE:
			skip_block(p);
			break;
		default:
			next(p);
			break;
		}
	}
}

/* After a bad block header, its block too when it starts a later line. */
static void
skip_header(struct parser *p)
{
	skip_rest(p);
	if (p->tok.type != CONF_TOK_NEWLINE)
		return;
	while (p->tok.type == CONF_TOK_NEWLINE)
		next(p);
	if (p->tok.type == CONF_TOK_LBRACE)
		skip_rest(p);
}

static const char *
place(int scope)
{
	switch (scope) {
	case SC_TOP:
		return "at top level";
	case SC_SITE:
		return "in a site block";
	}
	return "in a location block";
}

static const char *
places(int where)
{
	switch (where) {
	case SC_TOP:
		return "only at top level";
	case SC_SITE:
		return "only in a site block";
	case SC_LOC:
		return "only in a location block";
	}
	return "only at top level or in a site block";
}

/* A value where a directive should be, after one that ended. */
static void
stray(struct parser *p)
{
	char q[CONF_QUOTE_SIZE];

	conf_report(p->diag, p->tok.line, "%s: unexpected %s (it takes %s)",
	    p->prev->name, conf_quote(q, p->tok.text, p->tok.len),
	    p->prev->kind == K_FLAG ? "no value" : "one value");
}

static unsigned *
scope_seen(struct parser *p)
{
	switch (p->scope) {
	case SC_TOP:
		return p->gseen;
	case SC_SITE:
		return p->ps[p->site].seen;
	}
	return p->lseen;
}

static void
mark(struct parser *p, const struct directive *d, unsigned line)
{
	scope_seen(p)[d->slot] = line;
	if (d->slot == SLOT_ACTION)
		p->action = d->name;
}

/* Once "given twice" is said, the value is passed over. */
static int
given(struct parser *p, const struct directive *d, unsigned line)
{
	unsigned *seen;

	if (d->slot == SLOT_NONE)
		return 0;
	seen = &scope_seen(p)[d->slot];
	if (*seen == 0) {
		mark(p, d, line);
		return 0;
	}
	if (d->slot == SLOT_ACTION)
		conf_report(p->diag, line, "%s: the location already has an "
		    "action (%s on line %u)", d->name, p->action, *seen);
	else
		conf_report(p->diag, line, "%s: given twice (first on line %u)",
		    d->name, *seen);
	return 1;
}

/* A block directive: its value, then { on the same line. */
static void
open_block(struct parser *p, const struct directive *d, unsigned line)
{
	char *v;

	if ((v = strdup(p->tok.text)) == NULL) {
		conf_nomem(p);
		return;
	}
	next(p);
	if (p->tok.type != CONF_TOK_LBRACE) {
		conf_report(p->diag, line, "%s: expected { after the %s",
		    d->name, d->arg);
		free(v);
		skip_header(p);
		return;
	}
	d->fn(p, d, v, line);
	free(v);
	next(p);
	p->prev = NULL;
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A word that names a directive ends a K_WORDS line (one-line blocks). */
static int
is_word_value(const struct conf_token *t)
{
	return t->type == CONF_TOK_STRING || (t->type == CONF_TOK_WORD &&
	    conf_directive(t->text) == NULL);
}

static void
free_words(struct parser *p)
{
	while (p->nwords > 0)
		free(p->words[--p->nwords]);
	p->too_many_words = 0;
}

/* K_WORDS: its value, then the words after it on the line. */
static void
words_directive(struct parser *p, const struct directive *d, unsigned line)
{
	char *v;

	if ((v = strdup(p->tok.text)) == NULL) {
		conf_nomem(p);
		return;
	}
	for (next(p); is_word_value(&p->tok); next(p)) {
		if (p->nwords == CONF_WORDS_MAX) {
			p->too_many_words = 1;
			continue;
		}
		if ((p->words[p->nwords] = strdup(p->tok.text)) == NULL) {
			conf_nomem(p);
			break;
		}
		p->nwords++;
	}
	if (!p->oom && !given(p, d, line))
		d->fn(p, d, v, line);
	free_words(p);
	free(v);
	p->prev = d;
}

static void
read_directive(struct parser *p)
{
	char q[CONF_QUOTE_SIZE];
	const struct directive *d;
	unsigned line = p->tok.line;

	if ((d = conf_directive(p->tok.text)) == NULL) {
		/* "workers 1 1" has a value too many; "... bogus" a typo. */
		if (p->prev != NULL && !is_alpha(p->tok.text[0]))
			stray(p);
		else
			conf_report(p->diag, line, "unknown directive %s",
			    conf_quote(q, p->tok.text, p->tok.len));
		skip_rest(p);
		return;
	}
	next(p);
	if (!(d->where & p->scope)) {
		conf_report(p->diag, line, "%s: not allowed %s (%s)", d->name,
		    place(p->scope), places(d->where));
		/* Its value and block are passed over, not the line. */
		if (d->kind != K_FLAG && is_value(&p->tok))
			next(p);
		while (d->kind == K_WORDS && is_word_value(&p->tok))
			next(p);
		if (d->kind == K_BLOCK)
			skip_block(p);
		p->prev = d->kind == K_BLOCK ? NULL : d;
		return;
	}
	if (d->kind != K_FLAG && !is_value(&p->tok)) {
		if (p->tok.type != CONF_TOK_ERROR)
			conf_report(p->diag, line, "%s: needs a value",
			    d->name);
		/* Said, if badly: no "no capsule" besides. */
		if (d->slot != SLOT_NONE && scope_seen(p)[d->slot] == 0)
			mark(p, d, line);
		if (d->kind == K_BLOCK)
			skip_header(p);
		else
			skip_rest(p);
		return;
	}
	if (d->kind == K_BLOCK) {
		open_block(p, d, line);
		return;
	}
	if (d->kind == K_WORDS) {
		words_directive(p, d, line);
		return;
	}
	if (!given(p, d, line))
		d->fn(p, d, d->kind == K_VALUE ? p->tok.text : NULL, line);
	if (d->kind == K_VALUE)
		next(p);
	p->prev = d;
}

static void
close_site(struct parser *p)
{
	char q[CONF_QUOTE_SIZE];
	struct conf_site *s = conf_cur_site(p);

	/* A capsule with a bad value has been reported already. */
	if (s->capsule == NULL && p->ps[p->site].seen[SLOT_CAPSULE] == 0)
		conf_report(p->diag, s->line, "site %s: no capsule",
		    conf_quote(q, s->name, strlen(s->name)));
	conf_check_pages(p, s);
	conf_fastcgi_check_site(p, s);
	p->scope = SC_TOP;
}

static void
close_block(struct parser *p)
{
	switch (p->scope) {
	case SC_LOC:
		p->scope = SC_SITE;
		break;
	case SC_SITE:
		close_site(p);
		break;
	default:
		conf_report(p->diag, p->tok.line, "unexpected }");
		break;
	}
}

/* Replaces *slot with a copy of s (NULL stays NULL); -1: out of memory. */
static int
set_copy(struct parser *p, char **slot, const char *s)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL) {
		conf_nomem(p);
		return -1;
	}
	free(*slot);
	*slot = copy;
	return 0;
}

/* The top level's settings, wherever they were in the file. */
static void
inherit(struct parser *p, struct conf_site *s, const unsigned *seen)
{
	char *dir;

	if (!seen[SLOT_CERTS]) {
		if (p->certs != NULL) {
			if (set_copy(p, &s->certs, p->certs) == -1)
				return;
			s->certs_line = p->gseen[SLOT_CERTS];
		} else if ((dir = conf_path(p, "certs", s->certs, 0)) != NULL) {
			free(s->certs);
			s->certs = dir;
		}
	}
	if (!seen[SLOT_LANG] && p->has_lang &&
	    set_copy(p, &s->lang, p->lang) == -1)
		return;
	if (!seen[SLOT_LISTING] && p->listing >= 0)
		s->listing = p->listing;
	if (!seen[SLOT_GOPHER_WIDTH] && p->gopher_width > 0)
		s->gopher_width = p->gopher_width;
}

static void
end_of_file(struct parser *p)
{
	struct conf *c = p->c;
	struct conf_site *s;
	size_t i;
	int gopher = 0;

	if (p->scope != SC_TOP) {
		conf_report(p->diag, conf_cur_site(p)->line,
		    "site block opened here is never closed");
		if (p->scope == SC_LOC)
			conf_report(p->diag, conf_cur_loc(p)->line,
			    "location block opened here is never closed");
		close_site(p);
	}
	for (i = 0; i < c->nsites && !p->oom; i++) {
		s = &c->sites[i];
		inherit(p, s, p->ps[i].seen);
		conf_access_check_site(p, s);
		if (s->gopher_port == 0)
			continue;
		gopher = 1;
		if (s->gopher_port != c->gemini_port)
			continue;
		if (c->gemini_port_line != 0)
			conf_report(p->diag, s->gopher_port_line, "gopher-port "
			    "%d: already used by gemini-port (line %u)",
			    s->gopher_port, c->gemini_port_line);
		else
			conf_report(p->diag, s->gopher_port_line, "gopher-port "
			    "%d: already used by gemini-port (its default)",
			    s->gopher_port);
	}
	if (c->nsites == 0)
		conf_report(p->diag, 0, "no site defined");
	else if (c->gemini_port == 0 && !gopher)
		conf_report(p->diag, 0, "nothing to serve: gemini-port is 0 "
		    "and no site has a gopher-port");
}

static void
parse(struct parser *p)
{
	char q[CONF_QUOTE_SIZE];

	/* Every turn takes at least one token: the loop ends. */
	next(p);
	while (!p->oom && p->tok.type != CONF_TOK_EOF) {
		switch (p->tok.type) {
		case CONF_TOK_NEWLINE:
			p->prev = NULL;
			next(p);
			break;
		case CONF_TOK_LBRACE:
			conf_report(p->diag, p->tok.line, "unexpected {");
			p->prev = NULL;
			skip_block(p);
			break;
		case CONF_TOK_RBRACE:
			p->prev = NULL;
			close_block(p);
			next(p);
			break;
		case CONF_TOK_STRING:
			if (p->prev != NULL)
				stray(p);
			else
				conf_report(p->diag, p->tok.line, "expected a "
				    "directive, found the string %s",
				    conf_quote(q, p->tok.text, p->tok.len));
			skip_rest(p);
			break;
		case CONF_TOK_WORD:
			read_directive(p);
			break;
		default:
			skip_rest(p);	/* reported by the tokenizer */
			break;
		}
	}
	if (!p->oom)
		end_of_file(p);
}

struct conf *
conf_parse(const char *file, const char *text, size_t len,
    struct conf_diag *diag)
{
	struct conf_diag quiet = { NULL, NULL, 0 };
	struct parser p;
	const char *slash;

	memset(&p, 0, sizeof(p));
	p.diag = diag != NULL ? diag : &quiet;
	p.scope = SC_TOP;
	p.listing = -1;
	if (file != NULL && (slash = strrchr(file, '/')) != NULL) {
		p.file = file;
		p.dirlen = (size_t)(slash - file) + 1;
	}
	if ((p.c = conf_new()) == NULL ||
	    (file != NULL && (p.c->file = strdup(file)) == NULL) ||
	    conf_lex_init(&p.lx, text, len, p.diag) == -1)
		conf_nomem(&p);
	else
		parse(&p);
	conf_lex_free(&p.lx);
	free(p.ps);
	free(p.names);
	free(p.certs);
	free(p.lang);
	if (p.oom) {
		conf_free(p.c);
		return NULL;
	}
	return p.c;
}
