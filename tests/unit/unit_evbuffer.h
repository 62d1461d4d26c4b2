/* Unit-test helper for code that writes into libevent buffers. */
#ifndef UNIT_EVBUFFER_H
#define UNIT_EVBUFFER_H

#include <stdlib.h>

#include <event2/buffer.h>

/* The bytes of an evbuffer as a C string, for comparing; caller frees. */
static inline char *
drain(struct evbuffer *b, size_t *len)
{
	char *s;

	*len = evbuffer_get_length(b);
	if ((s = malloc(*len + 1)) == NULL)
		abort();
	if (evbuffer_remove(b, s, *len) != (int)*len)
		abort();
	s[*len] = '\0';
	return s;
}

#endif
