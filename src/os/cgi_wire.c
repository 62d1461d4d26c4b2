/* What a worker and a CGI runner say to each other (pure). */
#include <string.h>

#include "cgi_wire.h"

size_t
cgi_wire_pack(unsigned char *out, size_t outsz, const struct cgi_run *r)
{
	size_t sl = strlen(r->site) + 1, pl = strlen(r->script) + 1;

	if (sl > outsz || pl > outsz - sl || r->envlen > outsz - sl - pl)
		return 0;
	memcpy(out, r->site, sl);
	memcpy(out + sl, r->script, pl);
	memcpy(out + sl + pl, r->env, r->envlen);
	return sl + pl + r->envlen;
}

int
cgi_wire_parse(const unsigned char *data, size_t len, struct cgi_run *r)
{
	const unsigned char *a, *b;

	if ((a = memchr(data, '\0', len)) == NULL ||
	    (b = memchr(a + 1, '\0', len - (size_t)(a + 1 - data))) == NULL)
		return -1;
	r->site = (const char *)data;
	r->script = (const char *)(a + 1);
	r->env = (const char *)(b + 1);
	r->envlen = len - (size_t)(b + 1 - data);
	return 0;
}
