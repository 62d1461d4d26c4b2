/* A program's reply: header checked, body streamed, Gopher rendered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "cgi_header.h"
#include "conn.h"
#include "generation.h"
#include "gopher_reply.h"
#include "gophermap.h"
#include "log.h"
#include "program_reply.h"

#define LINE_MAX_KEPT	(64 * 1024)	/* a menu's line waiting for its end */

struct program_reply {
	struct conn			*c;	/* NULL once the answer ended */
	const struct program_source	*src;
	void				*arg;
	int				 gopher;
	int				 begun;	/* the header went on */
	int				 menu;	/* Gopher: gemtext to a menu */
	int				 in_pre;
	int				 paused;
	size_t				 hlen;
	char				 hdr[CGI_HEADER_MAX];
	struct evbuffer			*line;	/* menu: the unended line */
	char				*page_path;
	char				*label;
};

static void
stream_drained(struct conn *c, void *arg)
{
	struct program_reply *r = arg;

	(void)c;
	if (r->paused && conn_stream_pending(r->c) <= PROGRAM_REPLY_HIGH / 2) {
		r->paused = 0;
		r->src->resume(r->arg);
	}
}

static void
stream_gone(struct conn *c, void *arg)
{
	struct program_reply *r = arg;

	(void)c;
	r->c = NULL;
	r->src->gone(r->arg);
}

static const struct conn_stream_ops stream_ops = {
	stream_drained,
	stream_gone
};

struct program_reply *
program_reply_new(struct conn *c, int gopher, const char *page_path,
    const char *label, const struct program_source *src, void *arg)
{
	struct program_reply *r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->page_path = strdup(page_path)) == NULL ||
	    (r->label = strdup(label)) == NULL ||
	    (gopher && (r->line = evbuffer_new()) == NULL)) {
		program_reply_free(r);
		return NULL;
	}
	r->c = c;
	r->gopher = gopher;
	r->src = src;
	r->arg = arg;
	if (conn_stream_begin(c, &stream_ops, r) == -1) {
		program_reply_free(r);
		return NULL;
	}
	return r;
}

void
program_reply_free(struct program_reply *r)
{
	if (r == NULL)
		return;
	if (r->line != NULL)
		evbuffer_free(r->line);
	free(r->page_path);
	free(r->label);
	free(r);
}

int
program_reply_begun(const struct program_reply *r)
{
	return r->begun;
}

/* The answer is whole: the connection closes once it is sent. */
static void
finish(struct program_reply *r)
{
	struct conn *c = r->c;

	r->c = NULL;
	if (c != NULL)
		conn_stream_end(c);
}

static void
gopher_line(struct program_reply *r, const char *msg, const char *why)
{
	gopher_error(r->c, msg, why);
}

/* Before any byte went: a 42 (a type-3 line), the log saying why. */
static void
refuse(struct program_reply *r, const char *why)
{
	log_warn("%s %s: %s", conn_peer(r->c), r->label, why);
	if (r->gopher)
		gopher_line(r, "The program failed", why);
	else {
		conn_set_status(r->c, "42", why);
		(void)conn_printf(r->c, "42 The program failed\r\n");
	}
	finish(r);
}

/* A prompt over Gopher: a search item (type 7) for the same selector. */
static void
input_item(struct program_reply *r, int status, const char *meta)
{
	struct gophermap_opts o;
	struct evbuffer *out;
	char st[4];

	snprintf(st, sizeof(st), "%d", status);
	gopher_options(r->c, r->page_path, &o);
	if ((out = evbuffer_new()) == NULL ||
	    gophermap_item(out, '7', meta[0] != '\0' ? meta : "Search",
	    meta[0] != '\0' ? strlen(meta) : 6, r->page_path,
	    strlen(r->page_path), o.host, o.port) == -1 ||
	    gophermap_end(out) == -1)
		gopher_line(r, "Server out of memory", "out of memory");
	else
		gopher_send(r->c, out, "7", st);
	if (out != NULL)
		evbuffer_free(out);
}

/*
 * Over Gopher, what a status other than 20 says: a prompt is a search
 * item, anything else one type-3 line.
 */
static void
gopher_status(struct program_reply *r, int status, const char *meta)
{
	char msg[CGI_META_MAX + 64], st[4];

	switch (status / 10) {
	case 1:
		input_item(r, status, meta);
		return;
	case 3:
		snprintf(msg, sizeof(msg), "This page has moved to %s", meta);
		break;
	case 6:
		snprintf(msg, sizeof(msg), "This page needs a client "
		    "certificate, which Gopher cannot send");
		break;
	default:
		if (status == 44)
			snprintf(msg, sizeof(msg), "Busy: try again in %s "
			    "seconds", meta);
		else
			snprintf(msg, sizeof(msg), "Error %d: %s", status,
			    meta[0] != '\0' ? meta : "no reason given");
		break;
	}
	snprintf(st, sizeof(st), "%d", status);
	gopher_line(r, msg, st);
}

/* The menu's whole lines so far; the last unended one waits. */
static int
menu_lines(struct program_reply *r, int last)
{
	struct gophermap_opts o;
	struct evbuffer *out;
	struct evbuffer_ptr p;
	size_t n, len;
	char *buf;
	int rv = -1;

	len = evbuffer_get_length(r->line);
	p = evbuffer_search_eol(r->line, NULL, NULL, EVBUFFER_EOL_LF);
	if (!last && p.pos == -1 && len < LINE_MAX_KEPT)
		return 0;
	/* Up to the last LF, or all of it (the end, or a line too long). */
	if (last || len >= LINE_MAX_KEPT)
		n = len;
	else {
		struct evbuffer_ptr q = p;

		while (q.pos != -1) {
			p = q;
			if (evbuffer_ptr_set(r->line, &q, 1,
			    EVBUFFER_PTR_ADD) == -1)
				break;
			q = evbuffer_search_eol(r->line, &q, NULL,
			    EVBUFFER_EOL_LF);
		}
		n = (size_t)p.pos + 1;
	}
	if (n == 0)
		return 0;
	if ((out = evbuffer_new()) == NULL ||
	    (buf = (char *)evbuffer_pullup(r->line, (ev_ssize_t)n)) == NULL)
		goto done;
	gopher_options(r->c, r->page_path, &o);
	if (gophermap_render_lines(out, buf, n, &r->in_pre, &o) == -1 ||
	    evbuffer_drain(r->line, n) == -1 ||
	    conn_write_buffer(r->c, out) == -1)
		goto done;
	rv = 0;
done:
	if (out != NULL)
		evbuffer_free(out);
	return rv;
}

/* Body bytes to the client, as they are or as menu lines. */
static int
body(struct program_reply *r, const char *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (r->menu) {
		if (evbuffer_add(r->line, buf, len) == -1)
			return -1;
		return menu_lines(r, 0);
	}
	return conn_stream_write(r->c, buf, len);
}

/* The header is whole: answer it; 1 when the answer has no body. */
static int
header(struct program_reply *r, const struct cgi_header *h)
{
	char meta[CGI_META_MAX + 1], st[4];

	memcpy(meta, h->meta, h->metalen);
	meta[h->metalen] = '\0';
	snprintf(st, sizeof(st), "%d", h->status);
	r->begun = 1;
	if (!r->gopher) {
		conn_set_status(r->c, st, NULL);
		if (conn_printf(r->c, "%d%s%s\r\n", h->status,
		    h->metalen > 0 || h->status / 10 == 2 ? " " : "",
		    h->metalen > 0 || h->status / 10 != 2 ? meta :
		    "text/gemini") == -1)
			return -1;
		return h->status / 10 != 2;
	}
	if (h->status / 10 != 2) {
		gopher_status(r, h->status, meta);
		return 1;
	}
	/* "text/gemini", with parameters or not, or no meta at all. */
	r->menu = h->metalen == 0 || (h->metalen >= 11 &&
	    strncasecmp(meta, "text/gemini", 11) == 0 &&
	    (meta[11] == '\0' || meta[11] == ';' || meta[11] == ' '));
	conn_set_status(r->c, r->menu ? "1" : "9", NULL);
	return 0;
}

enum program_reply_result
program_reply_data(struct program_reply *r, const char *buf, size_t len)
{
	struct cgi_header h;
	size_t take;
	int end;

	if (r->c == NULL)
		return PROGRAM_REPLY_DONE;
	if (!r->begun) {
		take = sizeof(r->hdr) - r->hlen;
		if (take > len)
			take = len;
		memcpy(r->hdr + r->hlen, buf, take);
		r->hlen += take;
		switch (cgi_header_parse(r->hdr, r->hlen, &h)) {
		case CGI_HEADER_MORE:
			return PROGRAM_REPLY_MORE;
		case CGI_HEADER_BAD:
			refuse(r, h.why);
			return PROGRAM_REPLY_DONE;
		case CGI_HEADER_OK:
			break;
		}
		if ((end = header(r, &h)) != 0) {
			if (end == -1)
				log_warn("%s %s: out of memory",
				    conn_peer(r->c), r->label);
			finish(r);
			return PROGRAM_REPLY_DONE;
		}
		/* What came after the header in these bytes is body. */
		if (body(r, r->hdr + h.len, r->hlen - h.len) == -1 ||
		    body(r, buf + take, len - take) == -1)
			goto nomem;
	} else if (body(r, buf, len) == -1)
		goto nomem;
	if (!r->paused && conn_stream_pending(r->c) > PROGRAM_REPLY_HIGH) {
		r->paused = 1;
		r->src->pause(r->arg);
	}
	return PROGRAM_REPLY_MORE;
nomem:
	program_reply_fail(r, "out of memory");
	return PROGRAM_REPLY_DONE;
}

void
program_reply_end(struct program_reply *r)
{
	if (r->c == NULL)
		return;
	if (!r->begun) {
		refuse(r, r->hlen == 0 ? "no output" :
		    "output ended within the header");
		return;
	}
	if (r->menu && (menu_lines(r, 1) == -1 ||
	    conn_printf(r->c, ".\r\n") == -1)) {
		program_reply_fail(r, "out of memory");
		return;
	}
	finish(r);
}

void
program_reply_fail(struct program_reply *r, const char *why)
{
	struct conn *c = r->c;

	if (c == NULL)
		return;
	if (!r->begun) {
		refuse(r, why);
		return;
	}
	log_warn("%s %s: %s; the connection is closed", conn_peer(c), r->label,
	    why);
	r->c = NULL;
	conn_stream_abort(c, why);
}
