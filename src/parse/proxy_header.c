/*
 * The PROXY protocol header, versions 1 and 2 (pure).  The specification
 * (HAProxy's proxy-protocol.txt) asks receivers to refuse anything that
 * does not match exactly: a lone CR or LF, heading zeroes, a line longer
 * than 107 bytes, unassigned versions, commands and families.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proxy_header.h"

#define V1_PREFIX	"PROXY "
#define V1_PREFIX_LEN	6

static const unsigned char v2_signature[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

enum {
	V2_VERSION = 0x2,
	V2_LOCAL = 0x0,
	V2_PROXY = 0x1,
	V2_AF_UNSPEC = 0x0,
	V2_AF_INET = 0x1,
	V2_AF_INET6 = 0x2,
	V2_AF_UNIX = 0x3,
	V2_UNSPEC = 0x0,
	V2_STREAM = 0x1,
	V2_DGRAM = 0x2
};

static enum proxy_status
invalid(const char **why, const char *reason)
{
	*why = reason;
	return PROXY_INVALID;
}

/* A decimal number without heading zeroes, at most max; -1 if not. */
static long
decimal(const char *s, size_t len, long max)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* Four numbers 0-255 without heading zeroes, one dot between each. */
static int
v1_ipv4(const char *s, size_t len, struct in_addr *out)
{
	unsigned char b[4];
	size_t i, start = 0;
	int part = 0;
	long v;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (part == 4 || (v = decimal(s + start, i - start, 255)) < 0)
			return -1;
		b[part++] = (unsigned char)v;
		start = i + 1;
	}
	if (part != 4)
		return -1;
	memcpy(out, b, 4);
	return 0;
}

static int
v1_ipv6(const char *s, size_t len, struct in6_addr *out)
{
	char buf[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}

static int
v1_address(int v6, const char *s, size_t len, uint16_t port,
    struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (v6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return v1_ipv6(s, len, &s6->sin6_addr);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	return v1_ipv4(s, len, &s4->sin_addr);
}

/* "TCP4 SRC DST SPORT DPORT" or "TCP6 ...": line is the rest of it. */
static enum proxy_status
v1_tcp(const char *line, size_t len, int v6, struct proxy_header *h,
    const char **why)
{
	const char *field[4];
	size_t flen[4], i, start = 0;
	long sport, dport;
	int n = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		/* Exactly one space between fields: no empty one. */
		if (n == 4 || i == start)
			return invalid(why, "v1: malformed address fields");
		field[n] = line + start;
		flen[n++] = i - start;
		start = i + 1;
	}
	if (n != 4)
		return invalid(why, "v1: malformed address fields");
	if ((sport = decimal(field[2], flen[2], 65535)) < 0 ||
	    (dport = decimal(field[3], flen[3], 65535)) < 0)
		return invalid(why, "v1: invalid port");
	if (v1_address(v6, field[0], flen[0], (uint16_t)sport, &h->src) == -1 ||
	    v1_address(v6, field[1], flen[1], (uint16_t)dport, &h->dst) == -1)
		return invalid(why, v6 ? "v1: invalid IPv6 address" :
		    "v1: invalid IPv4 address");
	h->has_addresses = 1;
	return PROXY_DONE;
}

static enum proxy_status
parse_v1(const unsigned char *buf, size_t len, struct proxy_header *h,
    const char **why)
{
	const char *line = (const char *)buf + V1_PREFIX_LEN;
	size_t i, n, linelen;

	n = len < V1_PREFIX_LEN ? len : V1_PREFIX_LEN;
	if (memcmp(buf, V1_PREFIX, n) != 0)
		return invalid(why, "not a PROXY header");
	/* The line ends at the first CR, which must be followed by LF. */
	for (i = 0; i < len && i < PROXY_V1_MAX; i++) {
		if (buf[i] == '\n')
			return invalid(why, "v1: LF without CR");
		if (buf[i] == '\r')
			break;
	}
	if (i == len)
		return i < PROXY_V1_MAX - 1 ? PROXY_INCOMPLETE :
		    invalid(why, "v1: no CRLF within 107 bytes");
	if (i >= PROXY_V1_MAX - 1)
		return invalid(why, "v1: no CRLF within 107 bytes");
	if (i + 1 == len)
		return PROXY_INCOMPLETE;
	if (buf[i + 1] != '\n')
		return invalid(why, "v1: CR without LF");
	h->version = 1;
	h->len = i + 2;
	linelen = i - V1_PREFIX_LEN;
	/* UNKNOWN: whatever follows it is to be ignored. */
	if (linelen >= 7 && memcmp(line, "UNKNOWN", 7) == 0 &&
	    (linelen == 7 || line[7] == ' '))
		return PROXY_DONE;
	if (linelen > 5 && memcmp(line, "TCP4 ", 5) == 0)
		return v1_tcp(line + 5, linelen - 5, 0, h, why);
	if (linelen > 5 && memcmp(line, "TCP6 ", 5) == 0)
		return v1_tcp(line + 5, linelen - 5, 1, h, why);
	return invalid(why, "v1: unknown protocol");
}

static enum proxy_status
parse_v2(const unsigned char *buf, size_t len, struct proxy_header *h,
    const char **why)
{
	struct sockaddr_in *s4;
	struct sockaddr_in6 *s6;
	const unsigned char *a = buf + PROXY_V2_FIXED;
	unsigned version, command, family, transport;
	size_t n, alen, need;

	n = len < sizeof(v2_signature) ? len : sizeof(v2_signature);
	if (memcmp(buf, v2_signature, n) != 0)
		return invalid(why, "not a PROXY header");
	if (len < PROXY_V2_FIXED)
		return PROXY_INCOMPLETE;
	version = buf[12] >> 4;
	command = buf[12] & 0x0f;
	family = buf[13] >> 4;
	transport = buf[13] & 0x0f;
	alen = (size_t)buf[14] << 8 | buf[15];
	if (version != V2_VERSION)
		return invalid(why, "v2: unknown version");
	if (command != V2_LOCAL && command != V2_PROXY)
		return invalid(why, "v2: unknown command");
	if (family > V2_AF_UNIX || transport > V2_DGRAM)
		return invalid(why, "v2: unknown address family or transport");
	if (alen > PROXY_HEADER_MAX - PROXY_V2_FIXED)
		return invalid(why, "v2: header longer than 1024 bytes");
	if (len < PROXY_V2_FIXED + alen)
		return PROXY_INCOMPLETE;
	need = family == V2_AF_INET ? 12 : family == V2_AF_INET6 ? 36 :
	    family == V2_AF_UNIX ? 216 : 0;
	if (transport != V2_UNSPEC && alen < need)
		return invalid(why, "v2: address block too short");
	h->version = 2;
	h->len = PROXY_V2_FIXED + alen;
	/*
	 * LOCAL: the proxy's own connection (a health check).  UDP, UNIX and
	 * UNSPEC fall back, as the specification allows, to the socket's
	 * addresses.  TLVs after the addresses are skipped.
	 */
	if (command == V2_LOCAL || transport != V2_STREAM ||
	    (family != V2_AF_INET && family != V2_AF_INET6))
		return PROXY_DONE;
	memset(&h->src, 0, sizeof(h->src));
	memset(&h->dst, 0, sizeof(h->dst));
	if (family == V2_AF_INET) {
		s4 = (struct sockaddr_in *)&h->src;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
		memcpy(&s4->sin_port, a + 8, 2);
		s4 = (struct sockaddr_in *)&h->dst;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a + 4, 4);
		memcpy(&s4->sin_port, a + 10, 2);
	} else {
		s6 = (struct sockaddr_in6 *)&h->src;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
		memcpy(&s6->sin6_port, a + 32, 2);
		s6 = (struct sockaddr_in6 *)&h->dst;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a + 16, 16);
		memcpy(&s6->sin6_port, a + 34, 2);
	}
	h->has_addresses = 1;
	return PROXY_DONE;
}

enum proxy_status
proxy_header_parse(const unsigned char *buf, size_t len,
    struct proxy_header *h, const char **why)
{
	static const char *none;

	memset(h, 0, sizeof(*h));
	if (why == NULL)
		why = &none;
	*why = NULL;
	if (len == 0)
		return PROXY_INCOMPLETE;
	if (buf[0] == 'P')
		return parse_v1(buf, len, h, why);
	if (buf[0] == v2_signature[0])
		return parse_v2(buf, len, h, why);
	return invalid(why, "not a PROXY header");
}
