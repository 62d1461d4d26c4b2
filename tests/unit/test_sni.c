/* Unit tests: the server name of a ClientHello. */
#include <string.h>

#include "sni.h"
#include "unit.h"

struct sni_case {
	const char	*name;
	const char	*ext;		/* bytes */
	size_t		 len;
	int		 want;
	const char	*host;
};

#define E(s)	s, sizeof(s) - 1

static const struct sni_case cases[] = {
	{ "one host name", E("\x00\x0e\x00\x00\x0b" "example.org"), 0,
	    "example.org" },
	{ "another type first", E("\x00\x0a\x01\x00\x02" "ab"
	    "\x00\x00\x02" "cd"), 0, "cd" },
	{ "empty", E(""), -1, "" },
	{ "one byte", E("\x00"), -1, "" },
	{ "list length too long", E("\x00\x0f\x00\x00\x0b" "example.org"),
	    -1, "" },
	{ "list length too short", E("\x00\x0d\x00\x00\x0b" "example.org"),
	    -1, "" },
	{ "name runs past the end", E("\x00\x05\x00\x00\x0b" "ab"), -1, "" },
	{ "entry cut after its type", E("\x00\x01\x00"), -1, "" },
	{ "empty name", E("\x00\x03\x00\x00\x00"), -1, "" },
	{ "no host_name", E("\x00\x05\x01\x00\x02" "ab"), -1, "" },
	{ "NUL in name", E("\x00\x06\x00\x00\x03" "a\x00" "b"), -1, "" },
	{ "space in name", E("\x00\x06\x00\x00\x03" "a b"), -1, "" },
	{ "control in name", E("\x00\x06\x00\x00\x03" "a\nb"), -1, "" },
	{ "high byte in name", E("\x00\x06\x00\x00\x03" "a\xc3" "b"), -1,
	    "" },
	{ "empty list", E("\x00\x00"), -1, "" },
};

static void
test_too_long(void)
{
	unsigned char ext[2 + 3 + 300];
	char out[SNI_NAME_MAX + 1];
	size_t n;

	/* 255 bytes fit; 256 do not. */
	for (n = 255; n <= 256; n++) {
		ext[0] = (unsigned char)((n + 3) >> 8);
		ext[1] = (unsigned char)((n + 3) & 0xff);
		ext[2] = 0;
		ext[3] = (unsigned char)(n >> 8);
		ext[4] = (unsigned char)(n & 0xff);
		memset(ext + 5, 'a', n);
		CHECK_INT(sni_parse(ext, 5 + n, out, sizeof(out)),
		    n == 255 ? 0 : -1);
	}
	CHECK_INT(strlen(out), 0);
	/* A buffer too small for the name is an error, not an overflow. */
	CHECK_INT(sni_parse((const unsigned char *)"\x00\x06\x00\x00\x03"
	    "abc", 8, out, 3), -1);
	CHECK_INT(sni_parse((const unsigned char *)"\x00\x06\x00\x00\x03"
	    "abc", 8, out, 0), -1);
}

int
main(void)
{
	char out[SNI_NAME_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		if (sni_parse((const unsigned char *)cases[i].ext,
		    cases[i].len, out, sizeof(out)) != cases[i].want)
			fprintf(stderr, "case \"%s\"\n", cases[i].name);
		CHECK_INT(sni_parse((const unsigned char *)cases[i].ext,
		    cases[i].len, out, sizeof(out)), cases[i].want);
		CHECK_STR(out, cases[i].host);
	}
	test_too_long();
	return unit_done("test_sni");
}
