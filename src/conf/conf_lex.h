/*
 * The configuration file's tokens, and the reporting both the tokenizer and
 * the parser use (internal to conf_*.c).
 */
#ifndef ATTACHE_CONF_LEX_H
#define ATTACHE_CONF_LEX_H

#include <stddef.h>

#include "conf.h"

enum conf_tok {
	CONF_TOK_EOF,
	CONF_TOK_NEWLINE,
	CONF_TOK_WORD,
	CONF_TOK_STRING,
	CONF_TOK_LBRACE,
	CONF_TOK_RBRACE,
	CONF_TOK_ERROR		/* bad string, NUL: reported already */
};

struct conf_token {
	enum conf_tok	 type;
	/* WORD, STRING: decoded, NUL-terminated; valid until the next call. */
	const char	*text;
	size_t		 len;
	unsigned	 line;
};

struct conf_lexer {
	const char		*p;
	const char		*end;
	unsigned		 line;
	unsigned		 nul_line;	/* the last NUL reported */
	char			*buf;		/* token text: len + 1 */
	struct conf_diag	*diag;
};

/* Starts on text[0..len); -1 when out of memory (not reported). */
int	conf_lex_init(struct conf_lexer *lx, const char *text, size_t len,
	    struct conf_diag *diag);
void	conf_lex_free(struct conf_lexer *lx);
/* The next token; after EOF, EOF again. */
void	conf_lex(struct conf_lexer *lx, struct conf_token *t);

/*
 * Room for a quoted value: at most CONF_QUOTE_BYTES of it, each byte at
 * most 4 characters ("\xHH"), the quotes, "..." and the NUL.
 */
#define CONF_QUOTE_BYTES	64
#define CONF_QUOTE_SIZE		(CONF_QUOTE_BYTES * 4 + 6)

/*
 * s[0..len) in double quotes for a message, on one line: '"' and '\' are
 * escaped, control characters and bytes that are not UTF-8 are written
 * \xHH, and what is past CONF_QUOTE_BYTES is cut ("...").  Returns out.
 */
const char *conf_quote(char out[CONF_QUOTE_SIZE], const char *s, size_t len);

#endif
