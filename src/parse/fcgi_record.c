/* FastCGI records: the writer of a request, the reader of its answer. */
#include <string.h>

#include "fcgi_record.h"

enum {
	R_HEADER,		/* reading the 8 bytes of a header */
	R_CONTENT,		/* STDOUT or STDERR content */
	R_END_BODY,		/* END_REQUEST's 8 bytes */
	R_PADDING,		/* skipping padding */
	R_DONE,			/* END_REQUEST read */
	R_FAILED
};

static void
header(unsigned char h[FCGI_HEADER_LEN], int type, uint16_t id, size_t len)
{
	h[0] = FCGI_VERSION_1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = 0;		/* no padding: the writer needs no alignment */
	h[7] = 0;
}

int
fcgi_write_begin(fcgi_put put, void *arg, uint16_t id, uint16_t role,
    uint8_t flags)
{
	unsigned char rec[FCGI_HEADER_LEN + 8];

	header(rec, FCGI_BEGIN_REQUEST, id, 8);
	memset(rec + FCGI_HEADER_LEN, 0, 8);
	rec[FCGI_HEADER_LEN] = (unsigned char)(role >> 8);
	rec[FCGI_HEADER_LEN + 1] = (unsigned char)role;
	rec[FCGI_HEADER_LEN + 2] = flags;
	return put(arg, rec, sizeof(rec));
}

int
fcgi_write_stream(fcgi_put put, void *arg, enum fcgi_type type, uint16_t id,
    const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned char h[FCGI_HEADER_LEN];
	size_t n;

	do {
		n = len > FCGI_CONTENT_MAX ? FCGI_CONTENT_MAX : len;
		header(h, type, id, n);
		if (put(arg, h, sizeof(h)) == -1 ||
		    (n > 0 && put(arg, p, n) == -1))
			return -1;
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

void
fcgi_params_init(struct fcgi_params *p, fcgi_put put, void *arg, uint16_t id)
{
	p->put = put;
	p->arg = arg;
	p->id = id;
	p->used = 0;
}

/* Appends bytes to the stream, a record out each time buf is full. */
static int
params_bytes(struct fcgi_params *p, const void *data, size_t len)
{
	const unsigned char *s = data;
	size_t n;

	while (len > 0) {
		n = sizeof(p->buf) - p->used;
		if (n > len)
			n = len;
		memcpy(p->buf + p->used, s, n);
		p->used += n;
		s += n;
		len -= n;
		if (p->used == sizeof(p->buf)) {
			if (fcgi_write_stream(p->put, p->arg, FCGI_PARAMS,
			    p->id, p->buf, p->used) == -1)
				return -1;
			p->used = 0;
		}
	}
	return 0;
}

/* A length: one byte below 128, else four with the high bit set. */
static size_t
pair_len(unsigned char *out, size_t len)
{
	if (len < 128) {
		out[0] = (unsigned char)len;
		return 1;
	}
	out[0] = (unsigned char)(0x80 | (len >> 24));
	out[1] = (unsigned char)(len >> 16);
	out[2] = (unsigned char)(len >> 8);
	out[3] = (unsigned char)len;
	return 4;
}

int
fcgi_params_add(struct fcgi_params *p, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	unsigned char lens[8];
	size_t n;

	if (nlen > FCGI_PAIR_LEN_MAX || vlen > FCGI_PAIR_LEN_MAX)
		return -1;
	n = pair_len(lens, nlen);
	n += pair_len(lens + n, vlen);
	if (params_bytes(p, lens, n) == -1 ||
	    params_bytes(p, name, nlen) == -1 ||
	    params_bytes(p, value, vlen) == -1)
		return -1;
	return 0;
}

int
fcgi_params_end(struct fcgi_params *p)
{
	if (p->used > 0 && fcgi_write_stream(p->put, p->arg, FCGI_PARAMS,
	    p->id, p->buf, p->used) == -1)
		return -1;
	p->used = 0;
	return fcgi_write_stream(p->put, p->arg, FCGI_PARAMS, p->id, NULL, 0);
}

/* One length at buf[*at]: 1, 0 (incomplete) or -1 (malformed). */
static int
read_len(const unsigned char *buf, size_t len, size_t *at, size_t *out)
{
	uint32_t v;

	if (*at >= len)
		return 0;
	if ((buf[*at] & 0x80) == 0) {
		*out = buf[(*at)++];
		return 1;
	}
	if (len - *at < 4)
		return 0;
	v = ((uint32_t)(buf[*at] & 0x7f) << 24) |
	    ((uint32_t)buf[*at + 1] << 16) | ((uint32_t)buf[*at + 2] << 8) |
	    buf[*at + 3];
	/* Four bytes for a length one byte holds: not as the writers do. */
	if (v < 128)
		return -1;
	*at += 4;
	*out = v;
	return 1;
}

int
fcgi_pair_next(const unsigned char *buf, size_t len, size_t *used,
    const unsigned char **name, size_t *nlen, const unsigned char **value,
    size_t *vlen)
{
	size_t at = 0, nl, vl;
	int r;

	if ((r = read_len(buf, len, &at, &nl)) != 1 ||
	    (r = read_len(buf, len, &at, &vl)) != 1)
		return r;
	/* Both lengths are at most 2^31 - 1: no sum below wraps. */
	if (nl > len - at || vl > len - at - nl)
		return 0;
	*name = buf + at;
	*nlen = nl;
	*value = buf + at + nl;
	*vlen = vl;
	*used = at + nl + vl;
	return 1;
}

void
fcgi_reader_init(struct fcgi_reader *r, uint16_t id)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->state = R_HEADER;
}

static void
fail(struct fcgi_reader *r, struct fcgi_item *item, const char *why)
{
	r->state = R_FAILED;
	r->why = why;
	item->kind = FCGI_ITEM_ERROR;
	item->why = why;
}

/* A whole header in r->hdr: checks it and chooses the next state. */
static void
take_header(struct fcgi_reader *r, struct fcgi_item *item)
{
	const unsigned char *h = r->hdr;
	uint16_t id = (uint16_t)(h[2] << 8 | h[3]);
	int *done;

	r->type = h[1];
	r->content_left = (size_t)h[4] << 8 | h[5];
	r->padding_left = h[6];
	r->have = 0;
	if (h[0] != FCGI_VERSION_1) {
		fail(r, item, "a record of another version than 1");
		return;
	}
	if (id != r->id) {
		fail(r, item, "a record for another request");
		return;
	}
	switch (r->type) {
	case FCGI_STDOUT:
	case FCGI_STDERR:
		done = r->type == FCGI_STDOUT ? &r->stdout_done :
		    &r->stderr_done;
		if (*done) {
			fail(r, item, r->type == FCGI_STDOUT ?
			    "STDOUT after its end" : "STDERR after its end");
			return;
		}
		if (r->content_left == 0)
			*done = 1;
		r->state = R_CONTENT;
		break;
	case FCGI_END_REQUEST:
		if (r->content_left != sizeof(r->end)) {
			fail(r, item, "an END_REQUEST whose length is not 8");
			return;
		}
		r->state = R_END_BODY;
		break;
	default:
		fail(r, item, "a record of a type a responder does not send");
		return;
	}
}

void
fcgi_read(struct fcgi_reader *r, const unsigned char *buf, size_t len,
    size_t *used, struct fcgi_item *item)
{
	size_t at = 0, n;

	memset(item, 0, sizeof(*item));
	item->kind = FCGI_ITEM_MORE;
	for (;;) {
		switch (r->state) {
		case R_HEADER:
			if (at == len)
				goto out;
			n = sizeof(r->hdr) - r->have;
			if (n > len - at)
				n = len - at;
			memcpy(r->hdr + r->have, buf + at, n);
			r->have += n;
			at += n;
			if (r->have == sizeof(r->hdr))
				take_header(r, item);
			if (item->kind == FCGI_ITEM_ERROR)
				goto out;
			break;
		case R_CONTENT:
			if (r->content_left == 0) {
				r->state = R_PADDING;
				break;
			}
			if (at == len)
				goto out;
			n = r->content_left;
			if (n > len - at)
				n = len - at;
			item->kind = r->type == FCGI_STDOUT ?
			    FCGI_ITEM_STDOUT : FCGI_ITEM_STDERR;
			item->data = buf + at;
			item->len = n;
			r->content_left -= n;
			at += n;
			goto out;
		case R_END_BODY:
			if (at == len)
				goto out;
			n = sizeof(r->end) - r->have;
			if (n > len - at)
				n = len - at;
			memcpy(r->end + r->have, buf + at, n);
			r->have += n;
			at += n;
			if (r->have < sizeof(r->end))
				break;
			item->app_status = (uint32_t)r->end[0] << 24 |
			    (uint32_t)r->end[1] << 16 |
			    (uint32_t)r->end[2] << 8 | r->end[3];
			item->protocol_status = r->end[4];
			if (item->protocol_status > FCGI_UNKNOWN_ROLE) {
				fail(r, item, "an END_REQUEST of an unknown "
				    "protocol status");
				goto out;
			}
			/* Its padding is not waited for: the request is over. */
			item->kind = FCGI_ITEM_END;
			r->state = R_DONE;
			goto out;
		case R_PADDING:
			if (r->padding_left == 0) {
				r->state = R_HEADER;
				break;
			}
			if (at == len)
				goto out;
			n = r->padding_left;
			if (n > len - at)
				n = len - at;
			r->padding_left -= n;
			at += n;
			break;
		case R_DONE:
			if (len == 0)
				goto out;
			item->kind = FCGI_ITEM_ERROR;
			item->why = "bytes after END_REQUEST";
			goto out;
		default:
			item->kind = FCGI_ITEM_ERROR;
			item->why = r->why;
			goto out;
		}
	}
out:
	*used = at;
}
