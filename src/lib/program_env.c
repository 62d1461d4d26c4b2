/* The environment of a program: NAME/value pairs from a request (pure). */
#include <stdio.h>
#include <string.h>

#include "program_env.h"
#include "uri.h"

static int
fail(struct program_env *env, const char *why)
{
	env->why = why;
	return -1;
}

static int
clean(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] == 0x7f)
			return 0;
	return 1;
}

/* Appends NAME=value (value of len bytes). */
static int
put_len(struct program_env *env, const char *name, const char *v,
    size_t len)
{
	size_t nl = strlen(name);
	struct program_var *var;
	char *p;

	if (v == NULL)
		v = "";
	if (!clean(v, len))
		return fail(env, "control character in a variable");
	if (env->n == PROGRAM_ENV_MAX ||
	    PROGRAM_ENV_SIZE - env->used < nl + 1 + len + 1)
		return fail(env, "environment too large");
	p = env->buf + env->used;
	memcpy(p, name, nl);
	p[nl] = '=';
	memcpy(p + nl + 1, v, len);
	p[nl + 1 + len] = '\0';
	var = &env->var[env->n];
	var->name = p;
	var->namelen = nl;
	var->value = p + nl + 1;
	var->valuelen = len;
	env->envp[env->n++] = p;
	env->envp[env->n] = NULL;
	env->used += nl + 1 + len + 1;
	return 0;
}

static int
put(struct program_env *env, const char *name, const char *v)
{
	return put_len(env, name, v, v != NULL ? strlen(v) : 0);
}

static int
put_num(struct program_env *env, const char *name, long long v)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", v);
	return put(env, name, num);
}

/* Percent-encodes what is not unreserved, for a Gopher search's query. */
static int
encode_query(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	unsigned char ch;

	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if (o + 4 > outsz)
			return -1;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL)
			out[o++] = (char)ch;
		else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

static int
put_cert(struct program_env *env, const struct program_cert *c)
{
	char hash[8 + 64 + 1];

	snprintf(hash, sizeof(hash), "SHA256:%s", c->hash_hex);
	if (put(env, "AUTH_TYPE", "CERTIFICATE") == -1 ||
	    put(env, "REMOTE_USER", c->subject_cn) == -1 ||
	    put(env, "TLS_CLIENT_HASH", hash) == -1 ||
	    put(env, "TLS_CLIENT_SUBJECT", c->subject) == -1 ||
	    put(env, "TLS_CLIENT_ISSUER", c->issuer) == -1 ||
	    put(env, "TLS_CLIENT_NOT_BEFORE", c->not_before) == -1 ||
	    put(env, "TLS_CLIENT_NOT_AFTER", c->not_after) == -1)
		return -1;
	return 0;
}

/* QUERY_STRING and GEMINI_SEARCH_STRING: raw and decoded. */
static int
put_query(struct program_env *env, const struct program_request *r)
{
	char raw[3 * 1024 + 1], dec[3 * 1024 + 1];
	size_t declen = 0;

	raw[0] = dec[0] = '\0';
	if (r->proto == PROGRAM_GOPHER) {
		if (r->search != NULL) {
			if (strlen(r->search) >= sizeof(dec) ||
			    encode_query(r->search, raw, sizeof(raw)) == -1)
				return fail(env, "query too long");
			memcpy(dec, r->search, strlen(r->search) + 1);
			declen = strlen(dec);
		}
	} else if (r->query != NULL) {
		if (strlen(r->query) >= sizeof(raw))
			return fail(env, "query too long");
		memcpy(raw, r->query, strlen(r->query) + 1);
		if (uri_percent_decode(raw, strlen(raw), dec, sizeof(dec),
		    &declen) != URI_DECODE_OK)
			return fail(env, "query not decodable");
	}
	if (put(env, "QUERY_STRING", raw) == -1 ||
	    put_len(env, "GEMINI_SEARCH_STRING", dec, declen) == -1)
		return -1;
	return 0;
}

int
program_env_build(const struct program_request *r, struct program_env *env)
{
	static const char *const protos[] = { "GEMINI", "GOPHER", "TITAN" };
	char path[3 * 1024 + 1], translated[4096 + 3 * 1024];
	size_t sl, pl;

	memset(env, 0, sizeof(*env));
	env->envp[0] = NULL;
	sl = strlen(r->script_name);
	pl = strlen(r->path_info);
	if (sl + pl >= sizeof(path))
		return fail(env, "path too long");
	memcpy(path, r->script_name, sl);
	memcpy(path + sl, r->path_info, pl + 1);
	translated[0] = '\0';
	if (pl > 0 && (size_t)snprintf(translated, sizeof(translated), "%s%s",
	    r->document_root, r->path_info) >= sizeof(translated))
		return fail(env, "path too long");
	if (put(env, "PATH", PROGRAM_PATH) == -1 ||
	    put(env, "GATEWAY_INTERFACE", "CGI/1.1") == -1 ||
	    put(env, "SERVER_PROTOCOL", protos[r->proto]) == -1 ||
	    put(env, "SERVER_SOFTWARE", r->software) == -1 ||
	    put(env, "SERVER_NAME", r->server_name) == -1 ||
	    put_num(env, "SERVER_PORT", r->server_port) == -1 ||
	    put(env, "REQUEST_METHOD", r->proto == PROGRAM_GOPHER ? "GET" :
	    "") == -1 ||
	    put(env, "SCRIPT_NAME", r->script_name) == -1 ||
	    put(env, "SCRIPT_FILENAME", r->script_filename) == -1 ||
	    put(env, "PATH_INFO", r->path_info) == -1 ||
	    put(env, "PATH_TRANSLATED", translated) == -1 ||
	    put(env, "DOCUMENT_ROOT", r->document_root) == -1 ||
	    put_query(env, r) == -1 ||
	    put(env, "GEMINI_URL", r->url) == -1 ||
	    put(env, "GEMINI_URL_PATH", path) == -1 ||
	    put(env, "REMOTE_ADDR", r->remote_addr) == -1 ||
	    put(env, "REMOTE_HOST", r->remote_addr) == -1)
		return -1;
	if (r->tls_version != NULL &&
	    (put(env, "TLS_VERSION", r->tls_version) == -1 ||
	    put(env, "TLS_CIPHER", r->tls_cipher) == -1))
		return -1;
	if (r->cert != NULL && put_cert(env, r->cert) == -1)
		return -1;
	if (r->proto == PROGRAM_GOPHER &&
	    (put(env, "SELECTOR", r->selector) == -1 ||
	    (r->search != NULL && put(env, "SEARCHREQUEST", r->search) == -1)))
		return -1;
	if (r->proto == PROGRAM_TITAN &&
	    (put_num(env, "CONTENT_LENGTH", r->content_length) == -1 ||
	    (r->content_type != NULL &&
	    put(env, "CONTENT_TYPE", r->content_type) == -1) ||
	    (r->token != NULL && put(env, "TITAN_TOKEN", r->token) == -1)))
		return -1;
	return 0;
}

int
program_env_hook(const struct program_hook *h, struct program_env *env)
{
	char hash[8 + 64 + 1];

	memset(env, 0, sizeof(*env));
	snprintf(hash, sizeof(hash), "SHA256:%s", h->cert_hex);
	if (put(env, "PATH", PROGRAM_PATH) == -1 ||
	    put(env, "SERVER_SOFTWARE", h->software) == -1 ||
	    put(env, "SERVER_NAME", h->server_name) == -1 ||
	    put(env, "DOCUMENT_ROOT", h->document_root) == -1 ||
	    put(env, "TITAN_ACTION", h->size > 0 ? "upload" : "delete") == -1 ||
	    put(env, "TITAN_PATH", h->path) == -1 ||
	    put(env, "TITAN_FILE", h->file) == -1 ||
	    put_num(env, "CONTENT_LENGTH", h->size) == -1 ||
	    (h->mime != NULL && put(env, "CONTENT_TYPE", h->mime) == -1) ||
	    put(env, "TLS_CLIENT_HASH", hash) == -1)
		return -1;
	return 0;
}

const char *
program_env_get(const struct program_env *env, const char *name)
{
	size_t i, nl = strlen(name);

	for (i = 0; i < env->n; i++)
		if (env->var[i].namelen == nl &&
		    memcmp(env->var[i].name, name, nl) == 0)
			return env->var[i].value;
	return NULL;
}

const char *
program_env_wire(const struct program_env *env, size_t *len)
{
	*len = env->used;
	return env->buf;
}

/* The names a program may be given: those the builders above give. */
static int
name_allowed(const char *name, size_t len)
{
	static const char *const names[] = { "PATH", "GATEWAY_INTERFACE",
	    "SERVER_PROTOCOL", "SERVER_SOFTWARE", "SERVER_NAME", "SERVER_PORT",
	    "REQUEST_METHOD", "SCRIPT_NAME", "SCRIPT_FILENAME", "PATH_INFO",
	    "PATH_TRANSLATED", "DOCUMENT_ROOT", "QUERY_STRING", "GEMINI_URL",
	    "GEMINI_URL_PATH", "GEMINI_SEARCH_STRING", "REMOTE_ADDR",
	    "REMOTE_HOST", "TLS_VERSION", "TLS_CIPHER", "AUTH_TYPE",
	    "REMOTE_USER", "TLS_CLIENT_HASH", "TLS_CLIENT_SUBJECT",
	    "TLS_CLIENT_ISSUER", "TLS_CLIENT_NOT_BEFORE",
	    "TLS_CLIENT_NOT_AFTER", "SELECTOR", "SEARCHREQUEST",
	    "CONTENT_LENGTH", "CONTENT_TYPE", "TITAN_TOKEN", "TITAN_ACTION",
	    "TITAN_PATH", "TITAN_FILE" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return 1;
	return 0;
}

int
program_env_from_wire(struct program_env *env, const char *data, size_t len)
{
	const char *p, *end, *eq;
	struct program_var *var;
	size_t i;

	memset(env, 0, sizeof(*env));
	if (len > PROGRAM_ENV_SIZE || (len > 0 && data[len - 1] != '\0'))
		return fail(env, "malformed environment");
	memcpy(env->buf, data, len);
	env->used = len;
	for (p = env->buf; p < env->buf + len; p = end + 1) {
		end = p + strlen(p);
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL ||
		    eq == p || env->n == PROGRAM_ENV_MAX)
			return fail(env, "malformed environment");
		for (i = 0; p + i < eq; i++)
			if (!((p[i] >= 'A' && p[i] <= 'Z') ||
			    (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
				return fail(env, "malformed environment");
		if (!clean(eq + 1, (size_t)(end - eq - 1)))
			return fail(env, "malformed environment");
		/* Never LD_PRELOAD and the like, whoever sent it. */
		if (!name_allowed(p, (size_t)(eq - p)))
			return fail(env, "a variable programs are not given");
		var = &env->var[env->n];
		var->name = p;
		var->namelen = (size_t)(eq - p);
		var->value = eq + 1;
		var->valuelen = (size_t)(end - eq - 1);
		env->envp[env->n++] = (char *)p;
		env->envp[env->n] = NULL;
	}
	return 0;
}
