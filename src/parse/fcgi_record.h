/*
 * FastCGI records (the FastCGI 1.0 specification), both ways, pure: the
 * records a web server writes to a responder (BEGIN_REQUEST, PARAMS,
 * STDIN), and a reader of what a responder sends back (STDOUT, STDERR,
 * END_REQUEST) as it comes off a byte stream, in pieces of any size.
 *
 * Every length is checked before it is used: a record's content and
 * padding are skipped or sliced by counts, never copied into a buffer
 * sized by the peer; a name-value pair's lengths are checked against the
 * bytes that hold them (libfcgi's CVE-2025-23016 was a pair length added
 * without a check).
 */
#ifndef ATTACHE_FCGI_RECORD_H
#define ATTACHE_FCGI_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define FCGI_VERSION_1		1
#define FCGI_HEADER_LEN		8
#define FCGI_CONTENT_MAX	65535	/* bytes of content in one record */
#define FCGI_PAIR_LEN_MAX	0x7fffffffU	/* a name's or value's length */

enum fcgi_type {
	FCGI_BEGIN_REQUEST = 1,
	FCGI_ABORT_REQUEST = 2,
	FCGI_END_REQUEST = 3,
	FCGI_PARAMS = 4,
	FCGI_STDIN = 5,
	FCGI_STDOUT = 6,
	FCGI_STDERR = 7,
	FCGI_DATA = 8,
	FCGI_GET_VALUES = 9,
	FCGI_GET_VALUES_RESULT = 10,
	FCGI_UNKNOWN_TYPE = 11
};

#define FCGI_RESPONDER		1	/* BEGIN_REQUEST's role */
#define FCGI_KEEP_CONN		1	/* BEGIN_REQUEST's flags */

/* END_REQUEST's protocol status. */
enum fcgi_protocol_status {
	FCGI_REQUEST_COMPLETE = 0,
	FCGI_CANT_MPX_CONN = 1,
	FCGI_OVERLOADED = 2,
	FCGI_UNKNOWN_ROLE = 3
};

/*
 * Where written records go: appends len bytes, 0 or -1 (out of memory),
 * which the writers return as it is.
 */
typedef int	(*fcgi_put)(void *arg, const void *data, size_t len);

/* BEGIN_REQUEST for request id with role and flags. */
int	fcgi_write_begin(fcgi_put put, void *arg, uint16_t id, uint16_t role,
	    uint8_t flags);

/*
 * A stream's bytes (STDIN, or PARAMS already encoded) as records of at
 * most FCGI_CONTENT_MAX bytes each; len 0 writes the empty record that
 * ends the stream.
 */
int	fcgi_write_stream(fcgi_put put, void *arg, enum fcgi_type type,
	    uint16_t id, const void *data, size_t len);

/*
 * The PARAMS stream, written as pairs are added: pairs are encoded into
 * buf and a record goes out each time it holds FCGI_CONTENT_MAX bytes (a
 * pair may straddle two records, as the stream allows).
 */
struct fcgi_params {
	fcgi_put	 put;
	void		*arg;
	uint16_t	 id;
	size_t		 used;
	unsigned char	 buf[FCGI_CONTENT_MAX];
};

void	fcgi_params_init(struct fcgi_params *p, fcgi_put put, void *arg,
	    uint16_t id);
/* One pair; -1 when a length is over FCGI_PAIR_LEN_MAX or put failed. */
int	fcgi_params_add(struct fcgi_params *p, const char *name, size_t nlen,
	    const char *value, size_t vlen);
/* What is left, then the empty PARAMS record. */
int	fcgi_params_end(struct fcgi_params *p);

/*
 * The next name-value pair of buf[0..len): 1 with *used its bytes and the
 * name and value pointing into buf; 0 when buf ends inside the pair (or
 * is empty); -1 when a length is malformed (over FCGI_PAIR_LEN_MAX).
 */
int	fcgi_pair_next(const unsigned char *buf, size_t len, size_t *used,
	    const unsigned char **name, size_t *nlen,
	    const unsigned char **value, size_t *vlen);

/* What the reader found. */
enum fcgi_item_kind {
	FCGI_ITEM_MORE,		/* all bytes used: more are needed */
	FCGI_ITEM_STDOUT,	/* bytes of standard output (data, len) */
	FCGI_ITEM_STDERR,	/* bytes of standard error (data, len) */
	FCGI_ITEM_END,		/* END_REQUEST: app_status, protocol_status */
	FCGI_ITEM_ERROR		/* malformed: why; the stream is unusable */
};

struct fcgi_item {
	enum fcgi_item_kind	 kind;
	const unsigned char	*data;		/* STDOUT, STDERR: in the input */
	size_t			 len;
	uint32_t		 app_status;	/* END */
	int			 protocol_status; /* END */
	const char		*why;		/* ERROR */
};

/* The reader's state for one request; zeroed by fcgi_reader_init. */
struct fcgi_reader {
	uint16_t	 id;		/* the request's id */
	int		 state;
	unsigned char	 hdr[FCGI_HEADER_LEN];
	size_t		 have;		/* of hdr, or of end */
	int		 type;		/* of the current record */
	size_t		 content_left;
	size_t		 padding_left;
	unsigned char	 end[8];	/* END_REQUEST's body */
	int		 stdout_done;	/* the empty STDOUT came */
	int		 stderr_done;
	const char	*why;		/* once failed */
};

void	fcgi_reader_init(struct fcgi_reader *r, uint16_t id);

/*
 * Reads from buf[0..len): sets *used to the bytes taken and *item to what
 * they made.  STDOUT and STDERR slices point into buf; an empty STDOUT or
 * STDERR record (the end of the stream) gives nothing.  Call again with
 * the rest until FCGI_ITEM_MORE; after END or ERROR, every call gives
 * ERROR ("bytes after END_REQUEST", or why again).  Refused: a version
 * other than 1, another request id, a type other than STDOUT, STDERR and
 * END_REQUEST, an END_REQUEST whose length is not 8 or whose protocol
 * status is not one of the four, and a stream's bytes after its end.
 */
void	fcgi_read(struct fcgi_reader *r, const unsigned char *buf, size_t len,
	    size_t *used, struct fcgi_item *item);

#endif
