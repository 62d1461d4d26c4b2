/*
 * The environment of a program (CGI script or FastCGI responder), pure:
 * the same variables for both, built from a plain description of the
 * request (struct program_request) and nothing else: no variable of the
 * server's own environment, PATH a fixed value.
 *
 * The result is a bounded list of NAME/value pairs (FastCGI sends them as
 * PARAMS), each also stored as "NAME=value" (envp, for execve).  Its
 * wire form (program_env_wire) is those strings NUL-separated, which
 * program_env_from_wire reads back with the same checks.
 *
 * A value with a control character (a byte below 0x20, or 0x7f) is
 * refused: a request whose URL, selector or query holds one (decoded
 * too) never reaches a program.
 */
#ifndef ATTACHE_PROGRAM_ENV_H
#define ATTACHE_PROGRAM_ENV_H

#include <stddef.h>

#define PROGRAM_ENV_MAX		48		/* variables */
#define PROGRAM_ENV_SIZE	(12 * 1024)	/* bytes of all of them */
#define PROGRAM_PATH		"/usr/local/bin:/usr/bin:/bin"

enum program_proto {
	PROGRAM_GEMINI,
	PROGRAM_GOPHER,
	PROGRAM_TITAN
};

/* A client certificate, as text (the caller formats it). */
struct program_cert {
	const char	*hash_hex;	/* SHA-256 of the DER, 64 lowercase
					 * hex digits */
	const char	*subject_cn;	/* "" when it has none */
	const char	*subject;	/* one line, RFC 2253 */
	const char	*issuer;
	const char	*not_before;	/* ISO 8601, "2026-01-31T12:00:00Z" */
	const char	*not_after;
};

struct program_request {
	enum program_proto	 proto;
	const char		*software;	/* "attache/0.1.0" */
	const char		*server_name;	/* the site's name */
	unsigned		 server_port;	/* the port reached */
	const char		*script_name;	/* URL path of the script
						 * (decoded): "/cgi/guest" */
	const char		*path_info;	/* the rest (decoded): "" or
						 * "/a/b" */
	const char		*document_root;	/* the capsule, absolute */
	const char		*script_filename; /* absolute */
	/* Gemini, Titan: the query as sent, still percent-encoded; NULL:
	 * none.  Gopher: NULL. */
	const char		*query;
	const char		*url;		/* the request's URL */
	const char		*remote_addr;	/* after PROXY; no DNS */
	const char		*tls_version;	/* NULL: plain TCP */
	const char		*tls_cipher;
	const struct program_cert *cert;	/* NULL: none */
	/* Gopher: the selector, and a type-7 search's words (NULL: none). */
	const char		*selector;
	const char		*search;
	/* Titan: the upload's size, type and token (NULL: none given). */
	long long		 content_length;
	const char		*content_type;
	const char		*token;
};

struct program_var {
	const char	*name;		/* into buf, NUL after the value */
	size_t		 namelen;
	const char	*value;		/* NUL-terminated */
	size_t		 valuelen;
};

struct program_env {
	size_t			 n;
	struct program_var	 var[PROGRAM_ENV_MAX];
	char			*envp[PROGRAM_ENV_MAX + 1]; /* "NAME=value",
						 * then NULL */
	size_t			 used;		/* bytes of buf */
	char			 buf[PROGRAM_ENV_SIZE];
	const char		*why;		/* on failure: a fixed phrase */
};

/* Builds env from r.  Returns 0, or -1 with env->why. */
int	program_env_build(const struct program_request *r,
	    struct program_env *env);

/* What a site's titan-hook is told of an upload just committed. */
struct program_hook {
	const char	*software;
	const char	*server_name;
	const char	*document_root;
	const char	*path;		/* URL path (decoded) */
	const char	*file;		/* absolute */
	long long	 size;		/* 0: deleted */
	const char	*mime;		/* NULL: none given */
	const char	*cert_hex;	/* the uploader's certificate, 64 hex */
};

/*
 * PATH, SERVER_SOFTWARE, SERVER_NAME, DOCUMENT_ROOT, TITAN_ACTION (upload
 * or delete), TITAN_PATH, TITAN_FILE, CONTENT_LENGTH, CONTENT_TYPE (when
 * given), TLS_CLIENT_HASH.  Returns 0, or -1 with env->why.
 */
int	program_env_hook(const struct program_hook *h, struct program_env *env);

/* The value of name in env, or NULL. */
const char *program_env_get(const struct program_env *env, const char *name);

/* The wire form: env->buf[0..env->used), "NAME=value\0" each. */
const char *program_env_wire(const struct program_env *env, size_t *len);

/*
 * Reads a wire form back into env (every entry "NAME=value" with a name
 * the builders above give, no control character in the value: the runner
 * takes nothing else, LD_PRELOAD or any other, whoever sent it).
 * Returns 0, or -1 with env->why.
 */
int	program_env_from_wire(struct program_env *env, const char *data,
	    size_t len);

#endif
