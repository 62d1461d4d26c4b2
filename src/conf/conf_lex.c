/* The configuration file's tokenizer, and its messages (pure). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_lex.h"
#include "utf8.h"

/* Line and paragraph separators, bidi controls, zero widths, BOM. */
static int
hidden(uint32_t cp)
{
	return (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

const char *
conf_quote(char out[CONF_QUOTE_SIZE], const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n = 0, k, j;
	uint32_t cp;

	out[n++] = '"';
	while (i < len) {
		if ((k = utf8_decode(s + i, len - i, &cp)) == 0) {
			k = 1;		/* not UTF-8: a byte as \xHH */
			cp = 0x110000;
		}
		if (i + k > CONF_QUOTE_BYTES) {
			out[n++] = '.';
			out[n++] = '.';
			out[n++] = '.';
			break;
		}
		if (cp == '"' || cp == '\\') {
			out[n++] = '\\';
			out[n++] = (char)cp;
		} else if (k == 1 && (u[i] < 0x20 || u[i] >= 0x7f)) {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[u[i] >> 4];
			out[n++] = hex[u[i] & 0xf];
		} else if ((cp >= 0x80 && cp <= 0x9f) || hidden(cp)) {
			/* What moves the terminal or hides. */
			for (j = 0; j < k; j++) {
				out[n++] = '\\';
				out[n++] = 'x';
				out[n++] = hex[u[i + j] >> 4];
				out[n++] = hex[u[i + j] & 0xf];
			}
		} else
			for (j = 0; j < k; j++)
				out[n++] = s[i + j];
		i += k;
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}

int
conf_lex_init(struct conf_lexer *lx, const char *text, size_t len,
    struct conf_diag *diag)
{
	if (text == NULL)
		text = "";			/* no arithmetic on NULL */
	if (len == SIZE_MAX || (lx->buf = malloc(len + 1)) == NULL)
		return -1;
	lx->p = text;
	lx->end = text + len;
	/* Some editors start UTF-8 files with a byte order mark. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		lx->p += 3;
	lx->line = 1;
	lx->nul_line = 0;
	lx->diag = diag;
	return 0;
}

void
conf_lex_free(struct conf_lexer *lx)
{
	free(lx->buf);
	lx->buf = NULL;
}

/* A binary file would say it on every line: once per line is enough. */
static void
nul_byte(struct conf_lexer *lx)
{
	if (lx->nul_line != lx->line)
		conf_report(lx->diag, lx->line, "NUL byte");
	lx->nul_line = lx->line;
}

static int
is_word_byte(char c)
{
	switch (c) {
	case ' ': case '\t': case '\r': case '\n':
	case '{': case '}': case '"': case '#':
		return 0;
	}
	return 1;
}

/*
 * After the opening quote.  A string ends on its line: a line end or the
 * end of the text first is "unclosed string", reported where it started.
 */
static enum conf_tok
lex_string(struct conf_lexer *lx, size_t *n)
{
	char q[CONF_QUOTE_SIZE];
	uint32_t cp;
	size_t k;
	int bad = 0;
	char c;

	for (;;) {
		if (lx->p == lx->end || *lx->p == '\n') {
			conf_report(lx->diag, lx->line, "unclosed string");
			return CONF_TOK_ERROR;
		}
		c = *lx->p++;
		if (c == '"')
			break;
		if (c == '\0') {
			nul_byte(lx);
			bad = 1;
			continue;
		}
		if (c != '\\') {
			lx->buf[(*n)++] = c;
			continue;
		}
		if (lx->p == lx->end || *lx->p == '\n' || *lx->p == '\0')
			continue;	/* reported by the next turn */
		if (*lx->p == '"' || *lx->p == '\\') {
			lx->buf[(*n)++] = *lx->p++;
			continue;
		}
		/* Name the whole character, not a piece of it. */
		k = utf8_decode(lx->p, (size_t)(lx->end - lx->p), &cp);
		if (k == 0)
			k = 1;
		conf_report(lx->diag, lx->line, "invalid escape \"\\%s in a "
		    "string (only \\\" and \\\\)", conf_quote(q, lx->p, k) + 1);
		lx->p += k;
		bad = 1;
	}
	return bad ? CONF_TOK_ERROR : CONF_TOK_STRING;
}

void
conf_lex(struct conf_lexer *lx, struct conf_token *t)
{
	size_t n = 0;
	int bad = 0;

	t->text = NULL;
	t->len = 0;
	for (;;) {
		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' ||
		    *lx->p == '\r'))
			lx->p++;
		if (lx->p == lx->end || *lx->p != '#')
			break;
		while (lx->p < lx->end && *lx->p != '\n') {
			if (*lx->p == '\0')
				nul_byte(lx);
			lx->p++;
		}
	}
	t->line = lx->line;
	if (lx->p == lx->end) {
		t->type = CONF_TOK_EOF;
		return;
	}
	switch (*lx->p) {
	case '\n':
		lx->p++;
		lx->line++;
		t->type = CONF_TOK_NEWLINE;
		return;
	case '{':
		lx->p++;
		t->type = CONF_TOK_LBRACE;
		return;
	case '}':
		lx->p++;
		t->type = CONF_TOK_RBRACE;
		return;
	case '"':
		lx->p++;
		t->type = lex_string(lx, &n);
		break;
	default:
		/* A word; a NUL in it spoils it, and does not end it. */
		for (; lx->p < lx->end && is_word_byte(*lx->p); lx->p++) {
			if (*lx->p == '\0') {
				nul_byte(lx);
				bad = 1;
			} else
				lx->buf[n++] = *lx->p;
		}
		t->type = bad ? CONF_TOK_ERROR : CONF_TOK_WORD;
		break;
	}
	/* The text never grows past its bytes in the input: n <= len. */
	lx->buf[n] = '\0';
	t->text = lx->buf;
	t->len = n;
}
