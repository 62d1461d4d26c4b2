/* Gemini request validation (pure): one request line to a path or a status. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "gemini_request.h"
#include "uri.h"
#include "utf8.h"

static int
refuse(struct gemini_request *req, int status, const char *reason)
{
	req->reason = reason;
	return status;
}

/* Parses an IPv4 or IPv6 literal into 16 bytes (IPv4 as v4-mapped). */
static int
ip_parse(const char *s, size_t len, unsigned char out[16])
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in_addr a4;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, out) == 1)
		return 0;
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return 0;
	}
	return -1;
}

/* "example.org." is the same name as "example.org", either side. */
static int
name_matches(const char *host, size_t len, const char *name)
{
	size_t namelen = strlen(name);
	unsigned char a[16], b[16];

	if (len > 0 && host[len - 1] == '.')
		len--;
	if (namelen > 0 && name[namelen - 1] == '.')
		namelen--;
	if (len == namelen && len > 0 && strncasecmp(host, name, len) == 0)
		return 1;
	return ip_parse(host, len, a) == 0 &&
	    ip_parse(name, namelen, b) == 0 && memcmp(a, b, 16) == 0;
}

int
gemini_host_matches(const char *host, size_t len,
    const struct gemini_target *t)
{
	unsigned char a[16], b[16];
	size_t i;

	if (name_matches(host, len, t->hostname))
		return 1;
	for (i = 0; i < t->naliases; i++)
		if (name_matches(host, len, t->aliases[i]))
			return 1;
	if (len > 0 && host[len - 1] == '.')
		len--;
	if (ip_parse(host, len, a) == -1)
		return 0;
	return t->local_addr != NULL &&
	    ip_parse(t->local_addr, strlen(t->local_addr), b) == 0 &&
	    memcmp(a, b, 16) == 0;
}

int
gemini_request_parse(const char *line, size_t len,
    const struct gemini_target *t, struct gemini_request *req)
{
	struct uri_ref u;
	size_t i;

	memset(req, 0, sizeof(*req));
	if (len == 0)
		return refuse(req, 59, "empty request");
	if (len > REQUEST_MAX)
		return refuse(req, 59, "request longer than " STR(REQUEST_MAX) " bytes");
	if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		return refuse(req, 59, "byte order mark");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f)
			return refuse(req, 59, "control character");
		if (c == ' ')
			return refuse(req, 59, "space in URI");
	}
	if (!utf8_valid(line, len))
		return refuse(req, 59, "invalid UTF-8");
	if (uri_split(line, len, &u) == -1)
		return refuse(req, 59, "malformed authority");
	if (u.scheme.ptr == NULL)
		return refuse(req, 59, "not an absolute URI");
	if (u.scheme.len != 6 || strncasecmp(u.scheme.ptr, "gemini", 6) != 0)
		return refuse(req, 53, "scheme not served");
	if (u.authority.ptr == NULL)
		return refuse(req, 59, "no authority");
	if (u.userinfo.ptr != NULL)
		return refuse(req, 59, "userinfo in URI");
	if (u.fragment.ptr != NULL)
		return refuse(req, 59, "fragment in URI");
	if (u.host.len == 0)
		return refuse(req, 59, "empty host");
	for (i = 0; i < u.host.len; i++)
		if (u.host.ptr[i] == '%')
			return refuse(req, 59, "percent-encoded host");
	if (!gemini_host_matches(u.host.ptr, u.host.len, t))
		return refuse(req, 53, "host not served");
	/* "host" and "host:" mean the default port: ours. */
	if (uri_port(&u, t->port) != t->port)
		return refuse(req, 53, "port not served");

	switch (uri_percent_decode(u.path.ptr, u.path.len, req->path,
	    sizeof(req->path), &req->pathlen)) {
	case URI_DECODE_OK:
		break;
	case URI_DECODE_NUL:
		return refuse(req, 59, "NUL in path");
	default:
		return refuse(req, 59, "malformed percent-encoding");
	}
	if (!utf8_valid(req->path, req->pathlen))
		return refuse(req, 59, "path is not UTF-8");
	if (req->pathlen == 0) {
		req->path[0] = '/';
		req->path[1] = '\0';
		req->pathlen = 1;
	}
	req->pathlen = uri_remove_dot_segments(req->path, req->pathlen);
	if (req->pathlen == 0 || req->path[0] != '/') {
		req->path[0] = '/';
		req->path[1] = '\0';
		req->pathlen = 1;
	}
	if (u.query.ptr != NULL) {
		memcpy(req->query, u.query.ptr, u.query.len);
		req->query[u.query.len] = '\0';
		req->has_query = 1;
	}
	return 20;
}
