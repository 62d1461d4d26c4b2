/*
 * libFuzzer target for the FastCGI record reader, the name-value pair
 * reader and the CGI header block's skipper: no input may crash them;
 * what the reader gives lies within the bytes given; the same input read
 * in two pieces gives the same bytes and the same end; a pair it accepts
 * lies within its input.  Built and run by `make fuzz` (FUZZ_SECONDS=N to
 * run longer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi_prelude.h"
#include "fcgi_record.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a read to the end made: a checksum of STDOUT and STDERR, the end. */
struct outcome {
	uint64_t	 out, err;
	size_t		 outlen, errlen;
	int		 kind;		/* the last item: END, ERROR or MORE */
	uint32_t	 app_status;
};

static void
mix(uint64_t *h, const unsigned char *p, size_t n)
{
	while (n-- > 0)
		*h = (*h ^ *p++) * 1099511628211ULL;
}

static void
read_pieces(const uint8_t *data, size_t size, size_t cut, struct outcome *o)
{
	struct fcgi_reader r;
	struct fcgi_item it;
	size_t at = 0, end, used;

	memset(o, 0, sizeof(*o));
	fcgi_reader_init(&r, 1);
	for (;;) {
		end = at < cut ? cut : size;
		fcgi_read(&r, data + at, end - at, &used, &it);
		if (used > end - at)
			abort();
		if ((it.kind == FCGI_ITEM_STDOUT ||
		    it.kind == FCGI_ITEM_STDERR) && (it.len == 0 ||
		    it.data < data + at || it.data + it.len > data + at + used))
			abort();
		at += used;
		switch (it.kind) {
		case FCGI_ITEM_STDOUT:
			mix(&o->out, it.data, it.len);
			o->outlen += it.len;
			continue;
		case FCGI_ITEM_STDERR:
			mix(&o->err, it.data, it.len);
			o->errlen += it.len;
			continue;
		case FCGI_ITEM_MORE:
			if (at != end)
				abort();
			if (at < size)
				continue;
			break;
		case FCGI_ITEM_END:
			o->app_status = it.app_status;
			break;
		case FCGI_ITEM_ERROR:
			if (it.why == NULL)
				abort();
			break;
		}
		o->kind = it.kind;
		return;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *name, *value;
	struct fcgi_prelude p = { FCGI_PRELUDE_START, 0 };
	struct outcome a, b;
	size_t used, nl, vl;

	read_pieces(data, size, 0, &a);
	read_pieces(data, size, size / 2, &b);
	if (a.kind != b.kind || a.outlen != b.outlen || a.out != b.out ||
	    a.errlen != b.errlen || a.err != b.err ||
	    a.app_status != b.app_status)
		abort();
	if (fcgi_pair_next(data, size, &used, &name, &nl, &value, &vl) == 1 &&
	    (used > size || name < data || name + nl > data + size ||
	    value < name + nl || value + vl != data + used))
		abort();
	/* The CGI header block: never more than given, nor past its bound. */
	if (fcgi_prelude_skip(&p, data, size) > size ||
	    p.seen > FCGI_PRELUDE_MAX + 1)
		abort();
	return 0;
}
