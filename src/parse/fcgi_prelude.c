/* The CGI header block before a FastCGI responder's output, dropped. */
#include "fcgi_prelude.h"

size_t
fcgi_prelude_skip(struct fcgi_prelude *p, const unsigned char *buf,
    size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p->state == FCGI_PRELUDE_DONE ||
		    p->state == FCGI_PRELUDE_TOO_LONG)
			return i;
		if (p->state == FCGI_PRELUDE_START) {
			if (!((buf[i] >= 'A' && buf[i] <= 'Z') ||
			    (buf[i] >= 'a' && buf[i] <= 'z') ||
			    buf[i] == '\r' || buf[i] == '\n')) {
				p->state = FCGI_PRELUDE_DONE;
				return i;
			}
			p->state = FCGI_PRELUDE_BOL;
		}
		if (++p->seen > FCGI_PRELUDE_MAX) {
			p->state = FCGI_PRELUDE_TOO_LONG;
			return i;
		}
		switch (p->state) {
		case FCGI_PRELUDE_BOL:
			/* An empty line ends the block. */
			if (buf[i] == '\n')
				p->state = FCGI_PRELUDE_DONE;
			else if (buf[i] == '\r')
				p->state = FCGI_PRELUDE_CR;
			else
				p->state = FCGI_PRELUDE_LINE;
			break;
		case FCGI_PRELUDE_CR:
			/* "\r\n" at a line's start: the end; a lone CR: text. */
			p->state = buf[i] == '\n' ? FCGI_PRELUDE_DONE :
			    FCGI_PRELUDE_LINE;
			break;
		default:
			if (buf[i] == '\n')
				p->state = FCGI_PRELUDE_BOL;
			break;
		}
	}
	return i;
}
