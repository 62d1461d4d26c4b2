/* Titan request lines: the URL as Gemini's, then the parameters (pure). */
#include <string.h>
#include <strings.h>

#include "titan_request.h"
#include "uri.h"
#include "utf8.h"

static int
refuse(struct titan_request *req, int status, const char *reason)
{
	req->reason = reason;
	return status;
}

int
titan_request_is(const char *line, size_t len)
{
	return len >= 6 && strncasecmp(line, "titan:", 6) == 0;
}

/* Decodes a parameter's value into out: no control characters. */
static int
param_text(const char *v, size_t vlen, char *out, size_t outsz)
{
	size_t n, i;

	if (uri_percent_decode(v, vlen, out, outsz, &n) != URI_DECODE_OK)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			return -1;
	return 0;
}

/* A MIME type: "type/subtype", maybe parameters; ASCII. */
static int
mime_valid(const char *m)
{
	const char *slash = strchr(m, '/');
	size_t i;

	if (slash == NULL || slash == m || slash[1] == '\0' ||
	    !((m[0] >= 'a' && m[0] <= 'z') || (m[0] >= 'A' && m[0] <= 'Z')))
		return 0;
	for (i = 0; m[i] != '\0'; i++)
		if ((unsigned char)m[i] >= 0x80)
			return 0;
	return 1;
}

static int
parse_size(const char *v, size_t vlen, long long *out)
{
	long long n = 0;
	size_t i;

	if (vlen == 0 || vlen > TITAN_SIZE_DIGITS)
		return -1;
	for (i = 0; i < vlen; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	*out = n;
	return 0;
}

/* ";k=v;k=v" (p at the first ';', up to end): the parameters. */
static int
parse_params(const char *p, const char *end, struct titan_request *req)
{
	const char *key, *eq, *v, *next;
	size_t klen, vlen;
	int has_size = 0;

	while (p < end) {
		key = p + 1;		/* past ';' */
		for (next = key; next < end && *next != ';'; next++)
			;
		eq = memchr(key, '=', (size_t)(next - key));
		if (eq == NULL || eq == key)
			return refuse(req, 59, "malformed parameter");
		klen = (size_t)(eq - key);
		v = eq + 1;
		vlen = (size_t)(next - v);
		if (klen == 4 && memcmp(key, "size", 4) == 0) {
			if (has_size)
				return refuse(req, 59, "size given twice");
			if (parse_size(v, vlen, &req->size) == -1)
				return refuse(req, 59, "size is not a number");
			has_size = 1;
		} else if (klen == 4 && memcmp(key, "mime", 4) == 0) {
			if (req->has_mime)
				return refuse(req, 59, "mime given twice");
			if (param_text(v, vlen, req->mime,
			    sizeof(req->mime)) == -1 || !mime_valid(req->mime))
				return refuse(req, 59, "malformed mime");
			req->has_mime = 1;
		} else if (klen == 5 && memcmp(key, "token", 5) == 0) {
			if (req->has_token)
				return refuse(req, 59, "token given twice");
			if (param_text(v, vlen, req->token,
			    sizeof(req->token)) == -1)
				return refuse(req, 59, "malformed token");
			req->has_token = 1;
		}
		/* Other parameters are no concern of ours. */
		p = next;
	}
	if (!has_size)
		return refuse(req, 59, "no size parameter");
	return 20;
}

/* Every segment of the decoded path is a name: not empty, not a dot one. */
static int
segments_ok(const char *path, size_t len)
{
	size_t i, start = 1, seg;

	for (i = 1; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		seg = i - start;
		/* A final '/' (a directory's index) is the only empty one. */
		if ((seg == 0 && i < len) ||
		    (seg == 1 && path[start] == '.') ||
		    (seg == 2 && path[start] == '.' && path[start + 1] == '.'))
			return 0;
		start = i + 1;
	}
	return 1;
}

int
titan_request_parse(const char *line, size_t len,
    const struct gemini_target *t, struct titan_request *req)
{
	struct gemini_request g;
	struct uri_ref u;
	const char *path, *params, *end;
	char as_gemini[REQUEST_MAX + 2];
	size_t n, hostlen;
	int status;

	memset(req, 0, sizeof(*req));
	if (len > REQUEST_MAX)
		return refuse(req, 59, "request longer than " STR(REQUEST_MAX)
		    " bytes");
	if (!titan_request_is(line, len))
		return refuse(req, 59, "not a Titan URL");
	/* The parameters follow the path: from its first ';'. */
	path = NULL;
	if (len > 8 && memcmp(line + 6, "//", 2) == 0)
		path = memchr(line + 8, '/', len - 8);
	for (end = line + len, n = 0; path != NULL && path + n < end; n++)
		if (path[n] == '?' || path[n] == '#') {
			end = path + n;
			break;
		}
	params = path != NULL ? memchr(path, ';', (size_t)(end - path)) : NULL;
	if (params == NULL)
		return refuse(req, 59, "no size parameter");
	/* The rest is a Gemini URL, and must pass as one. */
	n = (size_t)(params - line) - 5;
	memcpy(as_gemini, "gemini", 6);
	memcpy(as_gemini + 6, line + 5, n);
	memcpy(as_gemini + 6 + n, end, (size_t)(line + len - end));
	n += 6 + (size_t)(line + len - end);
	if ((status = gemini_request_parse(as_gemini, n, t, &g)) != 20)
		return refuse(req, status, g.reason);
	if (g.has_query)
		return refuse(req, 59, "query in a Titan URL");
	/* What Gemini would have refused in the parameters, refused too. */
	for (n = 0; params + n < end; n++)
		if ((unsigned char)params[n] <= ' ' || params[n] == 0x7f)
			return refuse(req, 59, "control character or space");
	if (!utf8_valid(params, (size_t)(end - params)))
		return refuse(req, 59, "invalid UTF-8");
	if ((status = parse_params(params, end, req)) != 20)
		return status;
	/* No dot segment may hide in the path, decoded: refused, not resolved. */
	if (uri_split(as_gemini, (size_t)(params - line) + 1, &u) == -1 ||
	    uri_percent_decode(u.path.ptr, u.path.len, req->path,
	    sizeof(req->path), &req->pathlen) != URI_DECODE_OK ||
	    req->pathlen == 0 || req->path[0] != '/' ||
	    !segments_ok(req->path, req->pathlen))
		return refuse(req, 59, "dot or empty segment in path");
	hostlen = u.host.len;
	if (u.host_is_ip_literal) {
		req->host[0] = '[';
		memcpy(req->host + 1, u.host.ptr, hostlen);
		memcpy(req->host + 1 + hostlen, "]", 2);
	} else {
		memcpy(req->host, u.host.ptr, hostlen);
		req->host[hostlen] = '\0';
	}
	return 20;
}
