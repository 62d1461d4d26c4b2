/* Unit tests: FastCGI records, written and read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi_record.h"
#include "unit.h"

#define B(s)	(const unsigned char *)(s), sizeof(s) - 1

/* A growing buffer, the writers' sink. */
struct sink {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
	int		 fail_after;	/* puts before failing; -1: never */
};

static int
sink_put(void *arg, const void *data, size_t len)
{
	struct sink *s = arg;
	unsigned char *np;

	if (s->fail_after == 0)
		return -1;
	if (s->fail_after > 0)
		s->fail_after--;
	if (s->len + len > s->cap) {
		s->cap = (s->len + len) * 2;
		if ((np = realloc(s->p, s->cap)) == NULL)
			abort();
		s->p = np;
	}
	if (len > 0)
		memcpy(s->p + s->len, data, len);
	s->len += len;
	return 0;
}

static void
test_begin(void)
{
	struct sink s = { NULL, 0, 0, -1 };

	CHECK_INT(fcgi_write_begin(sink_put, &s, 1, FCGI_RESPONDER, 0), 0);
	CHECK_MEM(s.p, s.len, "\1\1\0\1\0\10\0\0" "\0\1\0\0\0\0\0\0", 16);
	s.len = 0;
	CHECK_INT(fcgi_write_begin(sink_put, &s, 0x1234, FCGI_RESPONDER,
	    FCGI_KEEP_CONN), 0);
	CHECK_MEM(s.p, s.len, "\1\1\x12\x34\0\10\0\0" "\0\1\1\0\0\0\0\0", 16);
	free(s.p);
}

/* Checks that s holds records of type, with these content lengths. */
static void
check_records(const struct sink *s, int type, const size_t *lens, size_t n)
{
	size_t at = 0, i, len;

	for (i = 0; i < n; i++) {
		CHECK(s->len - at >= FCGI_HEADER_LEN);
		if (s->len - at < FCGI_HEADER_LEN)
			return;
		CHECK_INT(s->p[at], 1);
		CHECK_INT(s->p[at + 1], type);
		len = (size_t)s->p[at + 4] << 8 | s->p[at + 5];
		CHECK_INT(len, lens[i]);
		CHECK_INT(s->p[at + 6], 0);
		at += FCGI_HEADER_LEN + len;
	}
	CHECK_INT(at, s->len);
}

static void
test_stream(void)
{
	static const size_t one[] = { 1 }, end[] = { 0 },
	    two[] = { 65535, 1 }, exact[] = { 65535 },
	    three[] = { 65535, 65535, 70 };
	struct sink s = { NULL, 0, 0, -1 };
	unsigned char *big;

	if ((big = malloc(2 * 65535 + 70)) == NULL)
		abort();
	memset(big, 'x', 2 * 65535 + 70);
	CHECK_INT(fcgi_write_stream(sink_put, &s, FCGI_STDIN, 1, "abc", 3), 0);
	CHECK_MEM(s.p, s.len, "\1\5\0\1\0\3\0\0abc", 11);
	s.len = 0;
	CHECK_INT(fcgi_write_stream(sink_put, &s, FCGI_STDIN, 1, NULL, 0), 0);
	check_records(&s, FCGI_STDIN, end, 1);
	s.len = 0;
	CHECK_INT(fcgi_write_stream(sink_put, &s, FCGI_STDIN, 1, big, 65536),
	    0);
	check_records(&s, FCGI_STDIN, two, 2);
	s.len = 0;
	CHECK_INT(fcgi_write_stream(sink_put, &s, FCGI_STDIN, 1, big, 65535),
	    0);
	check_records(&s, FCGI_STDIN, exact, 1);
	s.len = 0;
	CHECK_INT(fcgi_write_stream(sink_put, &s, FCGI_PARAMS, 7, big,
	    2 * 65535 + 70), 0);
	check_records(&s, FCGI_PARAMS, three, 3);
	s.len = 0;
	CHECK_INT(fcgi_write_stream(sink_put, &s, FCGI_STDIN, 1, big, 1), 0);
	check_records(&s, FCGI_STDIN, one, 1);
	s.len = 0;
	s.fail_after = 1;	/* the header goes, the content fails */
	CHECK_INT(fcgi_write_stream(sink_put, &s, FCGI_STDIN, 1, "abc", 3),
	    -1);
	free(big);
	free(s.p);
}

/* The PARAMS records' contents, joined: the pairs' byte stream. */
static size_t
params_content(const struct sink *s, unsigned char *out, size_t outsz,
    size_t *nrec, int *ended)
{
	size_t at = 0, n = 0, len;

	*nrec = 0;
	*ended = 0;
	while (s->len - at >= FCGI_HEADER_LEN) {
		len = (size_t)s->p[at + 4] << 8 | s->p[at + 5];
		if (s->p[at + 1] != FCGI_PARAMS || *ended ||
		    len > s->len - at - FCGI_HEADER_LEN || n + len > outsz)
			return (size_t)-1;
		memcpy(out + n, s->p + at + FCGI_HEADER_LEN, len);
		n += len;
		(*nrec)++;
		if (len == 0)
			*ended = 1;
		at += FCGI_HEADER_LEN + len;
	}
	return at == s->len ? n : (size_t)-1;
}

static void
test_params(void)
{
	static unsigned char content[300000];
	const unsigned char *name, *value;
	struct fcgi_params *p;
	struct sink s = { NULL, 0, 0, -1 };
	size_t n, used, nl, vl, nrec, at;
	char *long_value;
	int ended, i;

	if ((p = malloc(sizeof(*p))) == NULL ||
	    (long_value = malloc(200000)) == NULL)
		abort();
	memset(long_value, 'v', 200000);
	fcgi_params_init(p, sink_put, &s, 1);
	CHECK_INT(fcgi_params_add(p, "QUERY_STRING", 12, "", 0), 0);
	CHECK_INT(fcgi_params_end(p), 0);
	/* One record with the pair, then the empty one. */
	CHECK_MEM(s.p, s.len, "\1\4\0\1\0\16\0\0\14\0QUERY_STRING"
	    "\1\4\0\1\0\0\0\0", 30);

	/* 4-byte lengths from 128 on; a value longer than three records. */
	s.len = 0;
	fcgi_params_init(p, sink_put, &s, 1);
	CHECK_INT(fcgi_params_add(p, "A", 1, long_value, 127), 0);
	CHECK_INT(fcgi_params_add(p, "B", 1, long_value, 128), 0);
	CHECK_INT(fcgi_params_add(p, "C", 1, long_value, 200000), 0);
	for (i = 0; i < 3000; i++)
		CHECK_INT(fcgi_params_add(p, "NAME", 4, "value", 5), 0);
	CHECK_INT(fcgi_params_end(p), 0);
	n = params_content(&s, content, sizeof(content), &nrec, &ended);
	CHECK(n != (size_t)-1);
	CHECK(ended);
	CHECK_INT(n, 1 + 1 + 1 + 127 + 1 + 4 + 1 + 128 + 1 + 4 + 1 + 200000 +
	    3000 * (2 + 4 + 5));
	CHECK_INT(nrec, n / 65535 + 1 + 1);
	CHECK_MEM(content, 6, "\1\x7f" "A" "vvv", 6);
	CHECK_MEM(content + 130, 6, "\1\x80\0\0\x80" "B", 6);
	at = 0;
	for (i = 0; i < 3003 && n != (size_t)-1; i++) {
		CHECK_INT(fcgi_pair_next(content + at, n - at, &used, &name,
		    &nl, &value, &vl), 1);
		if (i == 2) {
			CHECK_MEM(name, nl, "C", 1);
			CHECK_INT(vl, 200000);
		}
		if (i == 3002) {
			CHECK_MEM(name, nl, "NAME", 4);
			CHECK_MEM(value, vl, "value", 5);
		}
		at += used;
	}
	CHECK_INT(at, n);
	CHECK_INT(fcgi_params_add(p, "X", 1, "y", (size_t)FCGI_PAIR_LEN_MAX + 1),
	    -1);
	free(long_value);
	free(p);
	free(s.p);
}

struct pair_case {
	const char		*name;
	const unsigned char	*in;
	size_t			 len;
	int			 want;
	size_t			 used;
	const char		*pname;
	const char		*pvalue;
};

static const struct pair_case pairs[] = {
	{ "short", B("\1\2ABC"), 1, 5, "A", "BC" },
	{ "bytes after", B("\1\0Axyz"), 1, 3, "A", "" },
	{ "empty", B(""), 0, 0, NULL, NULL },
	{ "one length only", B("\1"), 0, 0, NULL, NULL },
	{ "value cut", B("\1\5Aabc"), 0, 0, NULL, NULL },
	{ "4-byte length cut", B("\x80\0\0"), 0, 0, NULL, NULL },
	/* The CVE-2025-23016 class: a huge length, few bytes. */
	{ "huge name", B("\xff\xff\xff\xff\1AB"), 0, 0, NULL, NULL },
	{ "huge value", B("\1\xff\xff\xff\xff" "A"), 0, 0, NULL, NULL },
	{ "both huge", B("\xff\xff\xff\xff\xff\xff\xff\xff" "AB"), 0, 0, NULL,
	    NULL },
	{ "long form of a short length", B("\x80\0\0\1\1AB"), -1, 0, NULL,
	    NULL },
};

static void
test_pairs(void)
{
	const unsigned char *name, *value;
	size_t i, used, nl, vl;
	int r;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const struct pair_case *c = &pairs[i];

		used = 0;
		r = fcgi_pair_next(c->in, c->len, &used, &name, &nl, &value,
		    &vl);
		if (r != c->want)
			fprintf(stderr, "pair case %s\n", c->name);
		CHECK_INT(r, c->want);
		if (r != 1)
			continue;
		CHECK_INT(used, c->used);
		CHECK_MEM(name, nl, c->pname, strlen(c->pname));
		CHECK_MEM(value, vl, c->pvalue, strlen(c->pvalue));
	}
}

/* What a whole input read to its end made. */
struct outcome {
	char		 out[256];
	size_t		 outlen;
	char		 err[256];
	size_t		 errlen;
	int		 ended;
	uint32_t	 app_status;
	int		 protocol_status;
	const char	*why;
};

/* Reads in[0..len) in pieces of step bytes (0: all at once). */
static void
read_all(uint16_t id, const unsigned char *in, size_t len, size_t step,
    struct outcome *o)
{
	struct fcgi_reader r;
	struct fcgi_item it;
	size_t at = 0, piece, used;

	memset(o, 0, sizeof(*o));
	fcgi_reader_init(&r, id);
	while (at < len || step == 0) {
		piece = step == 0 || len - at < step ? len - at : step;
		fcgi_read(&r, in + at, piece, &used, &it);
		CHECK(used <= piece);
		at += used;
		switch (it.kind) {
		case FCGI_ITEM_MORE:
			CHECK_INT(used, piece);
			if (at == len)
				return;
			break;
		case FCGI_ITEM_STDOUT:
			CHECK(it.len > 0 && o->outlen + it.len <=
			    sizeof(o->out));
			memcpy(o->out + o->outlen, it.data, it.len);
			o->outlen += it.len;
			break;
		case FCGI_ITEM_STDERR:
			CHECK(it.len > 0 && o->errlen + it.len <=
			    sizeof(o->err));
			memcpy(o->err + o->errlen, it.data, it.len);
			o->errlen += it.len;
			break;
		case FCGI_ITEM_END:
			o->ended = 1;
			o->app_status = it.app_status;
			o->protocol_status = it.protocol_status;
			/* Nothing more is taken. */
			fcgi_read(&r, in + at, len - at, &used, &it);
			if (at < len) {
				CHECK_INT(it.kind, FCGI_ITEM_ERROR);
				o->why = it.why;
			}
			return;
		case FCGI_ITEM_ERROR:
			o->why = it.why;
			/* And again. */
			fcgi_read(&r, in + at, len - at, &used, &it);
			CHECK_INT(it.kind, FCGI_ITEM_ERROR);
			CHECK_STR(it.why, o->why);
			return;
		}
	}
}

#define END0	"\1\3\0\1\0\10\0\0\0\0\0\0\0\0\0\0"

struct read_case {
	const char		*name;
	const unsigned char	*in;
	size_t			 len;
	const char		*out;
	const char		*err;
	int			 ended;
	uint32_t		 app_status;
	int			 protocol_status;
	const char		*why;
};

static const struct read_case reads[] = {
	{ "stdout, end", B("\1\6\0\1\0\5\0\0" "20 x\n" "\1\6\0\1\0\0\0\0"
	    END0), "20 x\n", "", 1, 0, 0, NULL },
	{ "padding skipped", B("\1\6\0\1\0\3\5\0" "abc" "PPPPP"
	    "\1\6\0\1\0\1\0\0" "d" END0), "abcd", "", 1, 0, 0, NULL },
	{ "stderr between", B("\1\6\0\1\0\2\0\0" "ab" "\1\7\0\1\0\4\0\0"
	    "oops" "\1\6\0\1\0\1\0\0" "c" END0), "abc", "oops", 1, 0, 0,
	    NULL },
	{ "end, app status", B("\1\6\0\1\0\1\0\0" "x"
	    "\1\3\0\1\0\10\0\0\0\0\1\2\0\0\0\0"), "x", "", 1, 258, 0, NULL },
	{ "overloaded", B("\1\3\0\1\0\10\0\0\0\0\0\0\2\0\0\0"), "", "", 1, 0,
	    FCGI_OVERLOADED, NULL },
	{ "end with padding", B("\1\3\0\1\0\10\3\0\0\0\0\0\0\0\0\0PPP"),
	    "", "", 1, 0, 0, "bytes after END_REQUEST" },
	{ "bytes after end", B(END0 "\1\6\0\1\0\1\0\0x"), "", "", 1, 0, 0,
	    "bytes after END_REQUEST" },
	{ "cut in a header", B("\1\6\0\1\0\5"), "", "", 0, 0, 0, NULL },
	{ "cut in content", B("\1\6\0\1\0\5\0\0" "ab"), "ab", "", 0, 0, 0,
	    NULL },
	{ "cut in END_REQUEST", B("\1\3\0\1\0\10\0\0\0\0"), "", "", 0, 0, 0,
	    NULL },
	{ "version 2", B("\2\6\0\1\0\1\0\0x"), "", "", 0, 0, 0,
	    "a record of another version than 1" },
	{ "version 0", B("\0\6\0\1\0\1\0\0x"), "", "", 0, 0, 0,
	    "a record of another version than 1" },
	{ "other request", B("\1\6\0\2\0\1\0\0x"), "", "", 0, 0, 0,
	    "a record for another request" },
	{ "management record", B("\1\12\0\0\0\0\0\0"), "", "", 0, 0, 0,
	    "a record for another request" },
	{ "params from the responder", B("\1\4\0\1\0\0\0\0"), "", "", 0, 0,
	    0, "a record of a type a responder does not send" },
	{ "begin from the responder", B("\1\1\0\1\0\10\0\0"), "", "", 0, 0,
	    0, "a record of a type a responder does not send" },
	{ "unknown type", B("\1\x63\0\1\0\0\0\0"), "", "", 0, 0, 0,
	    "a record of a type a responder does not send" },
	{ "type 0", B("\1\0\0\1\0\0\0\0"), "", "", 0, 0, 0,
	    "a record of a type a responder does not send" },
	{ "END_REQUEST too short", B("\1\3\0\1\0\7\0\0\0\0\0\0\0\0\0"), "",
	    "", 0, 0, 0, "an END_REQUEST whose length is not 8" },
	{ "END_REQUEST too long", B("\1\3\0\1\xff\xff\0\0"), "", "", 0, 0, 0,
	    "an END_REQUEST whose length is not 8" },
	{ "unknown protocol status", B("\1\3\0\1\0\10\0\0\0\0\0\0\4\0\0\0"),
	    "", "", 0, 0, 0, "an END_REQUEST of an unknown protocol status" },
	{ "stdout after its end", B("\1\6\0\1\0\0\0\0" "\1\6\0\1\0\1\0\0x"),
	    "", "", 0, 0, 0, "STDOUT after its end" },
	{ "stderr after its end", B("\1\7\0\1\0\0\0\0" "\1\7\0\1\0\1\0\0x"),
	    "", "", 0, 0, 0, "STDERR after its end" },
	/* The largest length a record states: read as it comes, not sized. */
	{ "largest length, cut", B("\1\6\0\1\xff\xff\xff\0" "abc"), "abc", "",
	    0, 0, 0, NULL },
};

static void
test_reads(void)
{
	static const size_t steps[] = { 0, 1, 2, 3, 7, 9 };
	struct outcome o;
	size_t i, k;

	for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		const struct read_case *c = &reads[i];

		for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			read_all(1, c->in, c->len, steps[k], &o);
			if (o.outlen != strlen(c->out) ||
			    o.ended != c->ended || (o.why == NULL) !=
			    (c->why == NULL))
				fprintf(stderr, "read case %s, step %zu\n",
				    c->name, steps[k]);
			CHECK_MEM(o.out, o.outlen, c->out, strlen(c->out));
			CHECK_MEM(o.err, o.errlen, c->err, strlen(c->err));
			CHECK_INT(o.ended, c->ended);
			CHECK_INT(o.app_status, c->app_status);
			CHECK_INT(o.protocol_status, c->protocol_status);
			CHECK_STR(o.why, c->why);
		}
	}
}

/* What the writer makes of a stream, the reader reads back as STDOUT. */
static void
test_round_trip(void)
{
	struct sink s = { NULL, 0, 0, -1 };
	struct fcgi_reader r;
	struct fcgi_item it;
	unsigned char *big;
	size_t at = 0, got = 0, used, size = 3 * 65535 + 17, i;
	int ok = 1;

	if ((big = malloc(size)) == NULL)
		abort();
	for (i = 0; i < size; i++)
		big[i] = (unsigned char)(i * 7);
	CHECK_INT(fcgi_write_stream(sink_put, &s, FCGI_STDOUT, 1, big, size),
	    0);
	CHECK_INT(fcgi_write_stream(sink_put, &s, FCGI_STDOUT, 1, NULL, 0), 0);
	CHECK_INT(sink_put(&s, END0, 16), 0);
	fcgi_reader_init(&r, 1);
	for (;;) {
		fcgi_read(&r, s.p + at, s.len - at, &used, &it);
		at += used;
		if (it.kind == FCGI_ITEM_STDOUT) {
			if (got + it.len > size ||
			    memcmp(big + got, it.data, it.len) != 0)
				ok = 0;
			got += it.len;
		} else
			break;
	}
	CHECK_INT(it.kind, FCGI_ITEM_END);
	CHECK(ok);
	CHECK_INT(got, size);
	CHECK_INT(at, s.len);
	free(big);
	free(s.p);
}

int
main(void)
{
	test_begin();
	test_stream();
	test_params();
	test_pairs();
	test_reads();
	test_round_trip();
	return unit_done("test_fcgi_record");
}
