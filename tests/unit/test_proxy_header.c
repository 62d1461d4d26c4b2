/* Unit tests: the PROXY protocol header, v1 and v2. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "proxy_header.h"
#include "unit.h"

#define B(s)	(const unsigned char *)(s), sizeof(s) - 1
#define SIG	"\r\n\r\n\0\r\nQUIT\n"

struct proxy_case {
	const char		*name;
	const unsigned char	*in;
	size_t			 len;
	enum proxy_status	 want;
	size_t			 hlen;		/* DONE: the header's bytes */
	int			 has_addresses;
	const char		*src;		/* "ADDR PORT" */
	const char		*dst;
	const char		*why;		/* INVALID: the reason */
};

static const struct proxy_case cases[] = {
	/* Version 1. */
	{ "v1 TCP4", B("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"),
	    PROXY_DONE, 47, 1, "192.168.0.1 56324", "192.168.0.11 443", NULL },
	{ "v1 TCP4, bytes after", B("PROXY TCP4 127.0.0.2 127.0.0.1 1 1965\r\n"
	    "gemini://x/\r\n"), PROXY_DONE, 39, 1, "127.0.0.2 1",
	    "127.0.0.1 1965", NULL },
	{ "v1 TCP4 longest", B("PROXY TCP4 255.255.255.255 255.255.255.255 "
	    "65535 65535\r\n"), PROXY_DONE, 56, 1, "255.255.255.255 65535",
	    "255.255.255.255 65535", NULL },
	{ "v1 TCP4 zeroes", B("PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n"),
	    PROXY_DONE, 32, 1, "0.0.0.0 0", "0.0.0.0 0", NULL },
	{ "v1 TCP6", B("PROXY TCP6 2001:db8::1 ::1 40000 1965\r\n"),
	    PROXY_DONE, 39, 1, "2001:db8::1 40000", "::1 1965", NULL },
	{ "v1 TCP6 upper case", B("PROXY TCP6 2001:DB8::A ::1 1 2\r\n"),
	    PROXY_DONE, 32, 1, "2001:db8::a 1", "::1 2", NULL },
	{ "v1 UNKNOWN short", B("PROXY UNKNOWN\r\n"), PROXY_DONE, 15, 0,
	    NULL, NULL, NULL },
	{ "v1 UNKNOWN with fields", B("PROXY UNKNOWN ffff:ffff:ffff:ffff:"
	    "ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "65535 65535\r\n"), PROXY_DONE, 107, 0, NULL, NULL, NULL },
	{ "v1 UNKNOWN anything", B("PROXY UNKNOWN what ever\r\n"), PROXY_DONE,
	    25, 0, NULL, NULL, NULL },
	{ "v1 108 bytes", B("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:"
	    "ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 655350\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: no CRLF within 107 bytes" },
	{ "v1 no CRLF in 107", B("PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxx"), PROXY_INVALID, 0, 0, NULL, NULL,
	    "v1: no CRLF within 107 bytes" },
	{ "v1 LF alone", B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), PROXY_INVALID,
	    0, 0, NULL, NULL, "v1: LF without CR" },
	{ "v1 CR alone", B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: CR without LF" },
	{ "v1 lower case", B("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "not a PROXY header" },
	{ "v1 no space", B("PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "not a PROXY header" },
	{ "v1 no protocol", B("PROXY \r\n"), PROXY_INVALID, 0, 0, NULL, NULL,
	    "v1: unknown protocol" },
	{ "v1 TCP5", B("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"), PROXY_INVALID,
	    0, 0, NULL, NULL, "v1: unknown protocol" },
	{ "v1 UNKNOWNX", B("PROXY UNKNOWNX\r\n"), PROXY_INVALID, 0, 0, NULL,
	    NULL, "v1: unknown protocol" },
	{ "v1 TCP4 alone", B("PROXY TCP4\r\n"), PROXY_INVALID, 0, 0, NULL,
	    NULL, "v1: unknown protocol" },
	{ "v1 two spaces", B("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: malformed address fields" },
	{ "v1 trailing space", B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: malformed address fields" },
	{ "v1 three fields", B("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: malformed address fields" },
	{ "v1 five fields", B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: malformed address fields" },
	{ "v1 tab", B("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n"), PROXY_INVALID,
	    0, 0, NULL, NULL, "v1: malformed address fields" },
	{ "v1 heading zero in address", B("PROXY TCP4 01.2.3.4 5.6.7.8 1 2"
	    "\r\n"), PROXY_INVALID, 0, 0, NULL, NULL,
	    "v1: invalid IPv4 address" },
	{ "v1 octet over 255", B("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: invalid IPv4 address" },
	{ "v1 three octets", B("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: invalid IPv4 address" },
	{ "v1 five octets", B("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: invalid IPv4 address" },
	{ "v1 empty octet", B("PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: invalid IPv4 address" },
	{ "v1 sign in octet", B("PROXY TCP4 1.+2.3.4 5.6.7.8 1 2\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: invalid IPv4 address" },
	{ "v1 IPv6 in TCP4", B("PROXY TCP4 ::1 ::1 1 2\r\n"), PROXY_INVALID,
	    0, 0, NULL, NULL, "v1: invalid IPv4 address" },
	{ "v1 IPv4 in TCP6", B("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: invalid IPv6 address" },
	{ "v1 bad IPv6", B("PROXY TCP6 1:::2 ::1 1 2\r\n"), PROXY_INVALID, 0,
	    0, NULL, NULL, "v1: invalid IPv6 address" },
	{ "v1 heading zero in port", B("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: invalid port" },
	{ "v1 port over 65535", B("PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: invalid port" },
	{ "v1 port of six digits", B("PROXY TCP4 1.2.3.4 5.6.7.8 1 000001"
	    "\r\n"), PROXY_INVALID, 0, 0, NULL, NULL, "v1: invalid port" },
	{ "v1 negative port", B("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: invalid port" },
	{ "v1 NUL in address", B("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "v1: invalid IPv4 address" },
	{ "v1 incomplete", B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"),
	    PROXY_INCOMPLETE, 0, 0, NULL, NULL, NULL },

	/* Version 2. */
	{ "v2 TCP4", B(SIG "\x21\x11\x00\x0c" "\x7f\x00\x00\x02"
	    "\x7f\x00\x00\x01" "\x9c\x40" "\x07\xad"), PROXY_DONE, 28, 1,
	    "127.0.0.2 40000", "127.0.0.1 1965", NULL },
	{ "v2 TCP4, bytes after", B(SIG "\x21\x11\x00\x0c" "\x01\x02\x03\x04"
	    "\x05\x06\x07\x08" "\x00\x01" "\x00\x02" "\x16\x03\x01"),
	    PROXY_DONE, 28, 1, "1.2.3.4 1", "5.6.7.8 2", NULL },
	{ "v2 TCP4 with TLVs", B(SIG "\x21\x11\x00\x13" "\x01\x02\x03\x04"
	    "\x05\x06\x07\x08" "\x00\x01" "\x00\x02" "\x04\x00\x04" "abcd"),
	    PROXY_DONE, 35, 1, "1.2.3.4 1", "5.6.7.8 2", NULL },
	{ "v2 TCP6", B(SIG "\x21\x21\x00\x24"
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01" "\xff\xff" "\x07\xad"),
	    PROXY_DONE, 52, 1, "2001:db8::1 65535", "::1 1965", NULL },
	{ "v2 LOCAL", B(SIG "\x20\x00\x00\x00"), PROXY_DONE, 16, 0, NULL,
	    NULL, NULL },
	{ "v2 LOCAL with addresses", B(SIG "\x20\x11\x00\x0c"
	    "\x01\x02\x03\x04" "\x05\x06\x07\x08" "\x00\x01" "\x00\x02"),
	    PROXY_DONE, 28, 0, NULL, NULL, NULL },
	{ "v2 PROXY UNSPEC", B(SIG "\x21\x00\x00\x00"), PROXY_DONE, 16, 0,
	    NULL, NULL, NULL },
	{ "v2 UDP4", B(SIG "\x21\x12\x00\x0c" "\x01\x02\x03\x04"
	    "\x05\x06\x07\x08" "\x00\x01" "\x00\x02"), PROXY_DONE, 28, 0, NULL,
	    NULL, NULL },
	{ "v2 version 1", B(SIG "\x11\x11\x00\x0c" "\x01\x02\x03\x04"
	    "\x05\x06\x07\x08" "\x00\x01" "\x00\x02"), PROXY_INVALID, 0, 0,
	    NULL, NULL, "v2: unknown version" },
	{ "v2 version 3", B(SIG "\x31\x11\x00\x00"), PROXY_INVALID, 0, 0, NULL,
	    NULL, "v2: unknown version" },
	{ "v2 command 2", B(SIG "\x22\x11\x00\x00"), PROXY_INVALID, 0, 0, NULL,
	    NULL, "v2: unknown command" },
	{ "v2 family 4", B(SIG "\x21\x41\x00\x00"), PROXY_INVALID, 0, 0, NULL,
	    NULL, "v2: unknown address family or transport" },
	{ "v2 transport 3", B(SIG "\x21\x13\x00\x00"), PROXY_INVALID, 0, 0,
	    NULL, NULL, "v2: unknown address family or transport" },
	{ "v2 TCP4 short", B(SIG "\x21\x11\x00\x0b" "\x01\x02\x03\x04"
	    "\x05\x06\x07\x08" "\x00\x01" "\x00"), PROXY_INVALID, 0, 0, NULL,
	    NULL, "v2: address block too short" },
	{ "v2 TCP6 short", B(SIG "\x21\x21\x00\x0c" "\x01\x02\x03\x04"
	    "\x05\x06\x07\x08" "\x00\x01" "\x00\x02"), PROXY_INVALID, 0, 0,
	    NULL, NULL, "v2: address block too short" },
	{ "v2 too long", B(SIG "\x21\x11\x03\xf1"), PROXY_INVALID, 0, 0, NULL,
	    NULL, "v2: header longer than 1024 bytes" },
	{ "v2 the longest", B(SIG "\x20\x00\x03\xf0"), PROXY_INCOMPLETE, 0, 0,
	    NULL, NULL, NULL },
	{ "v2 bad signature", B("\r\n\r\n\0\r\nQUIT\r\x21\x11\x00\x00"),
	    PROXY_INVALID, 0, 0, NULL, NULL, "not a PROXY header" },
	{ "v2 signature cut", B("\r\n\r\n\0\r\nQU"), PROXY_INCOMPLETE, 0, 0,
	    NULL, NULL, NULL },
	{ "v2 addresses cut", B(SIG "\x21\x11\x00\x0c" "\x01\x02\x03\x04"),
	    PROXY_INCOMPLETE, 0, 0, NULL, NULL, NULL },

	/* Neither. */
	{ "empty", B(""), PROXY_INCOMPLETE, 0, 0, NULL, NULL, NULL },
	{ "a TLS ClientHello", B("\x16\x03\x01\x02\x00\x01"), PROXY_INVALID,
	    0, 0, NULL, NULL, "not a PROXY header" },
	{ "a Gemini request", B("gemini://localhost/\r\n"), PROXY_INVALID, 0,
	    0, NULL, NULL, "not a PROXY header" },
	{ "a Gopher request", B("/\r\n"), PROXY_INVALID, 0, 0, NULL, NULL,
	    "not a PROXY header" },
	{ "P then junk", B("PX"), PROXY_INVALID, 0, 0, NULL, NULL,
	    "not a PROXY header" },
	{ "CR then junk", B("\r\r"), PROXY_INVALID, 0, 0, NULL, NULL,
	    "not a PROXY header" },
};

/* "ADDR PORT" of an address the parser filled. */
static void
show(const struct sockaddr_storage *ss, char *out, size_t outsz)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
	}
	snprintf(out, outsz, "%s %u", a, port);
}

static void
check_case(const struct proxy_case *c)
{
	struct proxy_header h;
	const char *why = "unset";
	char src[80], dst[80];
	enum proxy_status st;
	size_t i;

	st = proxy_header_parse(c->in, c->len, &h, &why);
	if (st != c->want)
		fprintf(stderr, "case \"%s\"\n", c->name);
	CHECK_INT(st, c->want);
	if (st == PROXY_INVALID) {
		CHECK_STR(why, c->why);
		return;
	}
	CHECK(why == NULL);
	if (st != PROXY_DONE)
		return;
	CHECK_INT(h.len, c->hlen);
	CHECK_INT(h.has_addresses, c->has_addresses);
	if (c->has_addresses) {
		show(&h.src, src, sizeof(src));
		show(&h.dst, dst, sizeof(dst));
		CHECK_STR(src, c->src);
		CHECK_STR(dst, c->dst);
	}
	/* Every start of a valid header is a valid start: never refused. */
	for (i = 0; i < c->hlen; i++) {
		st = proxy_header_parse(c->in, i, &h, &why);
		if (st != PROXY_INCOMPLETE)
			fprintf(stderr, "case \"%s\" cut at %zu\n", c->name, i);
		CHECK_INT(st, PROXY_INCOMPLETE);
	}
}

/* The v2 length field is taken up to 1024 bytes in all, TLVs skipped. */
static void
test_v2_lengths(void)
{
	unsigned char buf[PROXY_HEADER_MAX + 8];
	struct proxy_header h;
	const char *why;

	memset(buf, 'x', sizeof(buf));
	memcpy(buf, SIG "\x21\x11\x03\xf0" "\x01\x02\x03\x04\x05\x06\x07\x08"
	    "\x00\x01\x00\x02", 28);
	CHECK_INT(proxy_header_parse(buf, PROXY_HEADER_MAX - 1, &h, &why),
	    PROXY_INCOMPLETE);
	CHECK_INT(proxy_header_parse(buf, sizeof(buf), &h, &why), PROXY_DONE);
	CHECK_INT(h.len, PROXY_HEADER_MAX);
	CHECK_INT(h.has_addresses, 1);
	/* A NULL why is allowed. */
	CHECK_INT(proxy_header_parse((const unsigned char *)"x", 1, &h, NULL),
	    PROXY_INVALID);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
	test_v2_lengths();
	return unit_done("proxy_header");
}
