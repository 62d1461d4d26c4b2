/* A program's environment: every variable, with and without a client
 * certificate, for each protocol; refusals; the wire form back. */
#include <string.h>

#include "program_env.h"
#include "unit.h"

static const struct program_cert cert = {
	.hash_hex = "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff",
	.subject_cn = "alice",
	.subject = "CN=alice,O=Readers",
	.issuer = "CN=alice,O=Readers",
	.not_before = "2026-01-01T00:00:00Z",
	.not_after = "2027-01-01T00:00:00Z",
};

static struct program_request
gemini(void)
{
	struct program_request r;

	memset(&r, 0, sizeof(r));
	r.proto = PROGRAM_GEMINI;
	r.software = "attache/0.1.0";
	r.server_name = "example.org";
	r.server_port = 1965;
	r.script_name = "/cgi/guest";
	r.path_info = "/a b/c";
	r.document_root = "/srv/capsule";
	r.script_filename = "/srv/capsule/cgi/guest";
	r.query = "hello%20world%21";
	r.url = "gemini://example.org/cgi/guest/a%20b/c?hello%20world%21";
	r.remote_addr = "192.0.2.1";
	r.tls_version = "TLSv1.3";
	r.tls_cipher = "TLS_AES_256_GCM_SHA384";
	return r;
}

struct want {
	const char	*name;
	const char	*value;		/* NULL: absent */
};

static void
expect(const struct program_env *env, const struct want *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		CHECK_STR(program_env_get(env, w[i].name), w[i].value);
		if ((program_env_get(env, w[i].name) == NULL) !=
		    (w[i].value == NULL))
			fprintf(stderr, "  (variable %s)\n", w[i].name);
	}
}

static void
test_gemini(void)
{
	static const struct want plain[] = {
		{ "PATH", PROGRAM_PATH },
		{ "GATEWAY_INTERFACE", "CGI/1.1" },
		{ "SERVER_PROTOCOL", "GEMINI" },
		{ "SERVER_SOFTWARE", "attache/0.1.0" },
		{ "SERVER_NAME", "example.org" },
		{ "SERVER_PORT", "1965" },
		{ "REQUEST_METHOD", "" },
		{ "SCRIPT_NAME", "/cgi/guest" },
		{ "SCRIPT_FILENAME", "/srv/capsule/cgi/guest" },
		{ "PATH_INFO", "/a b/c" },
		{ "PATH_TRANSLATED", "/srv/capsule/a b/c" },
		{ "DOCUMENT_ROOT", "/srv/capsule" },
		{ "QUERY_STRING", "hello%20world%21" },
		{ "GEMINI_URL",
		    "gemini://example.org/cgi/guest/a%20b/c?hello%20world%21" },
		{ "GEMINI_URL_PATH", "/cgi/guest/a b/c" },
		{ "GEMINI_SEARCH_STRING", "hello world!" },
		{ "REMOTE_ADDR", "192.0.2.1" },
		{ "REMOTE_HOST", "192.0.2.1" },
		{ "TLS_VERSION", "TLSv1.3" },
		{ "TLS_CIPHER", "TLS_AES_256_GCM_SHA384" },
		{ "AUTH_TYPE", NULL },
		{ "REMOTE_USER", NULL },
		{ "TLS_CLIENT_HASH", NULL },
		{ "TLS_CLIENT_SUBJECT", NULL },
		{ "TLS_CLIENT_ISSUER", NULL },
		{ "TLS_CLIENT_NOT_BEFORE", NULL },
		{ "TLS_CLIENT_NOT_AFTER", NULL },
		{ "SELECTOR", NULL },
		{ "SEARCHREQUEST", NULL },
		{ "CONTENT_LENGTH", NULL },
		{ "CONTENT_TYPE", NULL },
		{ "TITAN_TOKEN", NULL },
		{ "HOME", NULL },
	};
	static const struct want certified[] = {
		{ "AUTH_TYPE", "CERTIFICATE" },
		{ "REMOTE_USER", "alice" },
		{ "TLS_CLIENT_HASH", "SHA256:00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff" },
		{ "TLS_CLIENT_SUBJECT", "CN=alice,O=Readers" },
		{ "TLS_CLIENT_ISSUER", "CN=alice,O=Readers" },
		{ "TLS_CLIENT_NOT_BEFORE", "2026-01-01T00:00:00Z" },
		{ "TLS_CLIENT_NOT_AFTER", "2027-01-01T00:00:00Z" },
	};
	struct program_request r = gemini();
	struct program_env env;
	size_t i;

	CHECK_INT(program_env_build(&r, &env), 0);
	expect(&env, plain, sizeof(plain) / sizeof(plain[0]));
	CHECK_INT(env.n, 20);
	for (i = 0; i < env.n; i++)
		CHECK(strchr(env.envp[i], '=') != NULL);
	CHECK(env.envp[env.n] == NULL);
	CHECK_STR(env.envp[0], "PATH=" PROGRAM_PATH);
	r.cert = &cert;
	CHECK_INT(program_env_build(&r, &env), 0);
	expect(&env, plain, 20);
	expect(&env, certified, sizeof(certified) / sizeof(certified[0]));
	CHECK_INT(env.n, 27);
	/* No query, no PATH_INFO. */
	r = gemini();
	r.query = NULL;
	r.path_info = "";
	CHECK_INT(program_env_build(&r, &env), 0);
	CHECK_STR(program_env_get(&env, "QUERY_STRING"), "");
	CHECK_STR(program_env_get(&env, "GEMINI_SEARCH_STRING"), "");
	CHECK_STR(program_env_get(&env, "PATH_INFO"), "");
	CHECK_STR(program_env_get(&env, "PATH_TRANSLATED"), "");
	CHECK_STR(program_env_get(&env, "GEMINI_URL_PATH"), "/cgi/guest");
}

static void
test_gopher(void)
{
	struct program_request r = gemini();
	struct program_env env;

	r.proto = PROGRAM_GOPHER;
	r.server_port = 70;
	r.query = NULL;
	r.tls_version = r.tls_cipher = NULL;
	r.selector = "/cgi/guest/a b/c";
	r.search = "two words&more";
	CHECK_INT(program_env_build(&r, &env), 0);
	CHECK_STR(program_env_get(&env, "SERVER_PROTOCOL"), "GOPHER");
	CHECK_STR(program_env_get(&env, "REQUEST_METHOD"), "GET");
	CHECK_STR(program_env_get(&env, "SERVER_PORT"), "70");
	CHECK_STR(program_env_get(&env, "SELECTOR"), "/cgi/guest/a b/c");
	CHECK_STR(program_env_get(&env, "SEARCHREQUEST"), "two words&more");
	CHECK_STR(program_env_get(&env, "QUERY_STRING"),
	    "two%20words%26more");
	CHECK_STR(program_env_get(&env, "GEMINI_SEARCH_STRING"),
	    "two words&more");
	CHECK(program_env_get(&env, "TLS_VERSION") == NULL);
	CHECK(program_env_get(&env, "TLS_CIPHER") == NULL);
	r.search = NULL;
	CHECK_INT(program_env_build(&r, &env), 0);
	CHECK(program_env_get(&env, "SEARCHREQUEST") == NULL);
	CHECK_STR(program_env_get(&env, "QUERY_STRING"), "");
}

static void
test_titan(void)
{
	struct program_request r = gemini();
	struct program_env env;

	r.proto = PROGRAM_TITAN;
	r.query = NULL;
	r.content_length = 1234;
	r.content_type = "text/plain";
	r.token = "s3cret";
	r.cert = &cert;
	CHECK_INT(program_env_build(&r, &env), 0);
	CHECK_STR(program_env_get(&env, "SERVER_PROTOCOL"), "TITAN");
	CHECK_STR(program_env_get(&env, "CONTENT_LENGTH"), "1234");
	CHECK_STR(program_env_get(&env, "CONTENT_TYPE"), "text/plain");
	CHECK_STR(program_env_get(&env, "TITAN_TOKEN"), "s3cret");
	CHECK_STR(program_env_get(&env, "AUTH_TYPE"), "CERTIFICATE");
	r.content_type = NULL;
	r.token = NULL;
	r.content_length = 0;
	CHECK_INT(program_env_build(&r, &env), 0);
	CHECK_STR(program_env_get(&env, "CONTENT_LENGTH"), "0");
	CHECK(program_env_get(&env, "CONTENT_TYPE") == NULL);
	CHECK(program_env_get(&env, "TITAN_TOKEN") == NULL);
}

static void
test_refused(void)
{
	struct program_request r = gemini();
	struct program_env env;

	r.query = "a%0Ab";
	CHECK_INT(program_env_build(&r, &env), -1);
	CHECK_STR(env.why, "control character in a variable");
	r.query = "a%00b";
	CHECK_INT(program_env_build(&r, &env), -1);
	CHECK_STR(env.why, "query not decodable");
	r = gemini();
	r.path_info = "/a\tb";
	CHECK_INT(program_env_build(&r, &env), -1);
	r = gemini();
	r.proto = PROGRAM_GOPHER;
	r.selector = "/x\x7f";
	CHECK_INT(program_env_build(&r, &env), -1);
}

static void
test_wire(void)
{
	struct program_request r = gemini();
	struct program_env env, back;
	const char *w;
	size_t len, i;

	r.cert = &cert;
	CHECK_INT(program_env_build(&r, &env), 0);
	w = program_env_wire(&env, &len);
	CHECK_INT(program_env_from_wire(&back, w, len), 0);
	CHECK_INT(back.n, env.n);
	for (i = 0; i < env.n && i < back.n; i++)
		CHECK_STR(back.envp[i], env.envp[i]);
	CHECK_INT(program_env_from_wire(&back, "PATH=b", 6), -1);
	CHECK_INT(program_env_from_wire(&back, "=b\0", 3), -1);
	CHECK_INT(program_env_from_wire(&back, "path=b\0", 7), -1);
	CHECK_INT(program_env_from_wire(&back, "PATH=\nb\0", 8), -1);
	CHECK_INT(program_env_from_wire(&back, "PATH\0", 5), -1);
	CHECK_INT(program_env_from_wire(&back, "PATH=/x\0LD_PRELOAD=/a.so\0",
	    26), -1);
	CHECK_STR(back.why, "a variable programs are not given");
	CHECK_INT(program_env_from_wire(&back, "PATH=/x\0", 8), 0);
	CHECK_INT(back.n, 1);
	CHECK_INT(program_env_from_wire(&back, "", 0), 0);
	CHECK_INT(back.n, 0);
}

static void
test_hook(void)
{
	struct program_hook h = { "attache/0.1.0", "example.org", "/srv/c",
	    "/notes/a.gmi", "/srv/c/notes/a.gmi", 42, "text/gemini",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" };
	struct program_env env;

	CHECK_INT(program_env_hook(&h, &env), 0);
	CHECK_INT(env.n, 10);
	{
		struct program_env back;
		size_t len;
		const char *w = program_env_wire(&env, &len);

		CHECK_INT(program_env_from_wire(&back, w, len), 0);
		CHECK_INT(back.n, 10);
	}
	CHECK_STR(program_env_get(&env, "TITAN_ACTION"), "upload");
	CHECK_STR(program_env_get(&env, "TITAN_PATH"), "/notes/a.gmi");
	CHECK_STR(program_env_get(&env, "TITAN_FILE"), "/srv/c/notes/a.gmi");
	CHECK_STR(program_env_get(&env, "CONTENT_LENGTH"), "42");
	CHECK_STR(program_env_get(&env, "CONTENT_TYPE"), "text/gemini");
	CHECK_STR(program_env_get(&env, "TLS_CLIENT_HASH"), "SHA256:"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	CHECK_STR(program_env_get(&env, "SERVER_NAME"), "example.org");
	CHECK_STR(program_env_get(&env, "DOCUMENT_ROOT"), "/srv/c");
	h.size = 0;
	h.mime = NULL;
	CHECK_INT(program_env_hook(&h, &env), 0);
	CHECK_STR(program_env_get(&env, "TITAN_ACTION"), "delete");
	CHECK(program_env_get(&env, "CONTENT_TYPE") == NULL);
	h.path = "/a\nb";
	CHECK_INT(program_env_hook(&h, &env), -1);
}

int
main(void)
{
	test_hook();
	test_gemini();
	test_gopher();
	test_titan();
	test_refused();
	test_wire();
	return unit_done("program_env");
}
