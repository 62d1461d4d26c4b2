/* Unit tests: the limits table (connections, request rates) and its keys. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "client_limits.h"
#include "unit.h"

static struct limits_key
key4(const char *s)
{
	struct sockaddr_in sin;
	struct limits_key k;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, s, &sin.sin_addr);
	limits_key_of((struct sockaddr *)&sin, &k);
	return k;
}

static struct limits_key
key6(const char *s)
{
	struct sockaddr_in6 sin6;
	struct limits_key k;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, s, &sin6.sin6_addr);
	limits_key_of((struct sockaddr *)&sin6, &k);
	return k;
}

static void
test_keys(void)
{
	struct limits_key a = key4("127.0.0.3"), b = key6("::ffff:127.0.0.3");
	struct limits_key c = key6("::1");

	/* A v4 client on a dual-stack socket is the same client. */
	CHECK(memcmp(a.a, b.a, 16) == 0);
	CHECK(memcmp(a.a, c.a, 16) != 0);
	/* IPv4 addresses are whole: the neighbour is someone else. */
	b = key4("127.0.0.4");
	CHECK(memcmp(a.a, b.a, 16) != 0);
	b = key6("::ffff:127.0.0.4");
	CHECK(memcmp(a.a, b.a, 16) != 0);
	/* An IPv6 host is its /64: any address in it, the same client. */
	a = key6("2001:db8:1:2::50");
	b = key6("2001:db8:1:2:a1b2:c3d4:e5f6:789");
	CHECK(memcmp(a.a, b.a, 16) == 0);
	c = key6("2001:db8:1:3::50");
	CHECK(memcmp(a.a, c.a, 16) != 0);
	c = key6("2001:db8:1:2::");
	CHECK(memcmp(a.a, c.a, 16) == 0);
	/* ::1 and :: share a /64, and neither is a v4-mapped address. */
	CHECK(memcmp(key6("::1").a, key6("::2").a, 16) == 0);
	CHECK(memcmp(key6("::1").a, key4("0.0.0.1").a, 16) != 0);
}

static void
test_total(void)
{
	struct limits *l = limits_new();
	int i;

	CHECK(l != NULL);
	for (i = 0; i < 3; i++)
		CHECK_INT(limits_total_open(l, 3), LIMITS_OK);
	CHECK_INT(limits_total_open(l, 3), LIMITS_TOTAL);
	CHECK_INT(limits_total(l), 3);
	limits_total_close(l);
	CHECK_INT(limits_total_open(l, 3), LIMITS_OK);
	/* A lower limit after a reload refuses until enough have closed. */
	CHECK_INT(limits_total_open(l, 2), LIMITS_TOTAL);
	for (i = 0; i < 3; i++)
		limits_total_close(l);
	CHECK_INT(limits_total(l), 0);
	limits_free(l);
}

static void
test_per_address(void)
{
	struct limits *l = limits_new();
	struct limits_key a = key4("127.0.0.3"), b = key4("127.0.0.4");
	int i, counted;

	for (i = 0; i < 32; i++) {
		CHECK_INT(limits_open(l, &a, 32, &counted), LIMITS_OK);
		CHECK_INT(counted, 1);
	}
	CHECK_INT(limits_open(l, &a, 32, &counted), LIMITS_ADDRESS);
	CHECK_INT(counted, 0);
	/* Another address is not concerned. */
	CHECK_INT(limits_open(l, &b, 32, &counted), LIMITS_OK);
	CHECK_INT(limits_addresses(l), 2);
	limits_close(l, &a, 0, 0, 0);
	CHECK_INT(limits_open(l, &a, 32, &counted), LIMITS_OK);
	/* 0: no limit. */
	CHECK_INT(limits_open(l, &a, 0, &counted), LIMITS_OK);
	for (i = 0; i < 33; i++)
		limits_close(l, &a, 0, 0, 0);
	limits_close(l, &b, 0, 0, 0);
	/* Without a rate to remember, closed addresses are forgotten. */
	CHECK_INT(limits_addresses(l), 0);
	/* Closing what was never counted changes nothing. */
	limits_close(l, &a, 0, 0, 0);
	CHECK_INT(limits_addresses(l), 0);
	limits_free(l);
}

static void
test_rate(void)
{
	struct limits *l = limits_new();
	struct limits_key a = key4("127.0.0.3"), b = key6("::1");
	int i, counted;

	limits_open(l, &a, 32, &counted);
	limits_open(l, &b, 32, &counted);
	/* A burst of 5 at 2 a second: five go, the sixth waits a second. */
	for (i = 0; i < 5; i++)
		CHECK_INT(limits_request(l, &a, 2, 5, 1000), 0);
	CHECK_INT(limits_request(l, &a, 2, 5, 1000), 1);
	CHECK_INT(limits_request(l, &a, 2, 5, 1400), 1);
	/* Half a second later one token is back. */
	CHECK_INT(limits_request(l, &a, 2, 5, 1500), 0);
	CHECK_INT(limits_request(l, &a, 2, 5, 1500), 1);
	/* The other address has its own bucket. */
	CHECK_INT(limits_request(l, &b, 2, 5, 1500), 0);
	/* At 1 a second with nothing left, the wait is whole seconds. */
	CHECK_INT(limits_request(l, &a, 1, 1, 1500), 1);
	CHECK_INT(limits_request(l, &a, 1, 1, 1600), 1);
	CHECK_INT(limits_request(l, &a, 1, 1, 2500), 0);
	/* Nothing left: a second to wait. */
	CHECK_INT(limits_request(l, &a, 1, 1, 2500), 1);
	/* No rate: always. */
	for (i = 0; i < 100; i++)
		CHECK_INT(limits_request(l, &a, 0, 0, 2500), 0);
	/* The bucket never holds more than burst. */
	CHECK_INT(limits_request(l, &b, 2, 5, 1000000), 0);
	for (i = 0; i < 4; i++)
		CHECK_INT(limits_request(l, &b, 2, 5, 1000000), 0);
	CHECK_INT(limits_request(l, &b, 2, 5, 1000000), 1);
	limits_close(l, &a, 0, 0, 1000000);
	limits_close(l, &b, 0, 0, 1000000);
	CHECK_INT(limits_addresses(l), 0);
	limits_free(l);
}

/*
 * An address closed while its bucket is low is remembered, so that
 * reconnecting does not refill it; it is forgotten once full again.
 */
static void
test_idle(void)
{
	struct limits *l = limits_new();
	struct limits_key a = key4("127.0.0.3"), b = key4("127.0.0.4");
	int i, counted;

	limits_open(l, &a, 32, &counted);
	for (i = 0; i < 5; i++)
		CHECK_INT(limits_request(l, &a, 2, 5, 1000), 0);
	limits_close(l, &a, 2, 5, 1000);	/* full again at 3500 */
	CHECK_INT(limits_addresses(l), 1);
	limits_open(l, &a, 32, &counted);
	CHECK_INT(limits_request(l, &a, 2, 5, 1000), 1);
	limits_close(l, &a, 2, 5, 1000);
	/* b never asked: forgotten at once; a is still low at 3400. */
	limits_open(l, &b, 32, &counted);
	limits_close(l, &b, 2, 5, 3400);
	CHECK_INT(limits_addresses(l), 1);
	limits_open(l, &b, 32, &counted);
	limits_close(l, &b, 2, 5, 3500);
	CHECK_INT(limits_addresses(l), 0);
	limits_free(l);
}

/* Many addresses: all counted, all forgotten once closed. */
static void
test_many(void)
{
	struct limits *l = limits_new();
	struct limits_key k;
	int i, counted, all = 1;

	for (i = 0; i < 20000; i++) {
		memset(&k, 0, sizeof(k));
		memcpy(k.a, &i, sizeof(i));
		all &= limits_open(l, &k, 1, &counted) == LIMITS_OK;
		all &= limits_open(l, &k, 1, &counted) == LIMITS_ADDRESS;
	}
	CHECK(all);
	CHECK_INT(limits_addresses(l), 20000);
	for (i = 0; i < 20000; i++) {
		memset(&k, 0, sizeof(k));
		memcpy(k.a, &i, sizeof(i));
		limits_close(l, &k, 10, 10, 0);
	}
	CHECK_INT(limits_addresses(l), 0);
	limits_free(l);
}

int
main(void)
{
	test_keys();
	test_total();
	test_per_address();
	test_rate();
	test_idle();
	test_many();
	return unit_done("client_limits");
}
