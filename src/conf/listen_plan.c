/* Which sockets a configuration listens on (pure). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "listen_plan.h"

/* The address as inet_ntop writes it, so that "::1" and "0::1" are one. */
static void
canonical(const char *addr, char *out, size_t outsz)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, addr, buf) == 1 &&
	    inet_ntop(AF_INET, buf, out, (socklen_t)outsz) != NULL)
		return;
	if (inet_pton(AF_INET6, addr, buf) == 1 &&
	    inet_ntop(AF_INET6, buf, out, (socklen_t)outsz) != NULL)
		return;
	snprintf(out, outsz, "%s", addr);
}

static void
add(struct listen_spec *s, enum listen_proto proto, const char *addr,
    int port, size_t site, unsigned line, int optional, int proxy)
{
	s->proto = proto;
	canonical(addr, s->addr, sizeof(s->addr));
	s->port = port;
	s->site = site;
	s->line = line;
	s->optional = optional;
	s->proxy = proxy;
}

struct listen_spec *
listen_plan(const struct conf *c, size_t *n)
{
	static const char *const any[] = { "0.0.0.0", "::" };
	size_t naddrs = c->nlisten > 0 ? (size_t)c->nlisten : 2, i, j;
	struct listen_spec *specs;
	const char *addr;
	int optional, proxy;

	*n = 0;
	if ((specs = calloc(naddrs * (c->nsites + 1) + 1,
	    sizeof(*specs))) == NULL)
		return NULL;
	for (i = 0; i < naddrs; i++) {
		addr = c->nlisten > 0 ? c->listen[i].addr : any[i];
		/* IPv6 may be absent from the host: then IPv4 alone. */
		optional = c->nlisten == 0 && i == 1;
		/* --proxy-protocol: all of them; else the listen line's word. */
		proxy = c->proxy_protocol || (c->nlisten > 0 &&
		    c->listen[i].proxy);
		if (c->gemini_port != 0)
			add(&specs[(*n)++], LISTEN_GEMINI, addr,
			    c->gemini_port, 0, c->gemini_port_line, optional,
			    proxy);
		for (j = 0; j < c->nsites; j++)
			if (c->sites[j].gopher_port != 0)
				add(&specs[(*n)++], LISTEN_GOPHER, addr,
				    c->sites[j].gopher_port, j,
				    c->sites[j].gopher_port_line, optional,
				    proxy);
	}
	return specs;
}

const char *
listen_proto_name(enum listen_proto p)
{
	return p == LISTEN_GEMINI ? "gemini" : "gopher";
}
