/*
 * What a protocol handler may do with its connection: learn who asked and
 * through which site, answer (text, buffers, cached renderings, a file),
 * read a body, or answer later.  The life cycle's own state lives in
 * conn_internal.h, which no handler includes.
 */
#ifndef ATTACHE_CONN_H
#define ATTACHE_CONN_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

struct client_cert;
struct conn;
struct event_base;
struct evbuffer;
struct gen_listener;
struct generation;
struct jobs;
struct render_blob;
struct site;
struct stat;

/* What a protocol does with a connection's request. */
struct protocol {
	const char	*name;		/* "gemini", "gopher": for the log */
	int		 tls;
	/*
	 * Gemini ends a request with CRLF only: a bare LF leaves the line
	 * incomplete.  Gopher takes LF, with or without the CR before it.
	 */
	int		 crlf_only;
	/* Answers one request line (without its line end). */
	void		(*request)(struct conn *, const char *line, size_t len);
	/* Answers a request line longer than REQUEST_MAX. */
	void		(*too_long)(struct conn *);
	/* Answers a request over the rate limit: retry in seconds. */
	void		(*slow_down)(struct conn *, int seconds);
};

/*
 * Where a request's body goes (Titan), on the worker's loop.  The protocol
 * owns what conn_body_arg gives; release frees it.
 */
struct conn_body_ops {
	/* Bytes of the body; -1: stop reading (an answer is queued). */
	int	(*data)(struct conn *, const char *, size_t);
	/* All of it is in: answer now, or later through conn_respond. */
	void	(*complete)(struct conn *);
	/* Not all of it came in time: queue the answer. */
	void	(*expired)(struct conn *);
	/* From the connection's end, always: drop what was not committed. */
	void	(*release)(struct conn *);
};

/*
 * A response made as it comes (a program's output), on the worker's loop.
 * drained: the output fell under its low mark (16 KB): the source may
 * give more.  gone: the connection ends before conn_stream_end (the client
 * went away or stopped reading, the worker stops): release the source;
 * c is freed after, and nothing may be written.
 */
struct conn_stream_ops {
	void	(*drained)(struct conn *, void *arg);
	void	(*gone)(struct conn *, void *arg);
};

/* Who asked, and through what: set before the handler runs. */
const struct site	*conn_site(const struct conn *c);
struct generation	*conn_generation(const struct conn *c);
const struct gen_listener *conn_listener(const struct conn *c);
/* The client: the socket's peer, or the PROXY header's source. */
const char		*conn_peer(const struct conn *c);
/* The connection's TLS (NULL: plain TCP), for what programs are told. */
struct ssl_st		*conn_ssl(const struct conn *c);
/* Gemini: the client's certificate, if it sent one. */
const struct client_cert *conn_cert(const struct conn *c);
/* The address and port the client reached, as text ("" if unknown). */
void	conn_local_addr(const struct conn *c, char *out, size_t outsz);
int	conn_local_port(const struct conn *c);

/* The worker serving c: its index, its loop, and its background thread
 * (started on first use; NULL: cannot). */
int			 conn_worker(const struct conn *c);
struct event_base	*conn_base(const struct conn *c);
struct jobs		*conn_jobs(struct conn *c);

/* Responding; all of it is sent before the close. */
int	conn_printf(struct conn *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	conn_write_buffer(struct conn *c, struct evbuffer *buf);
/* A cached rendering, sent without a copy. */
int	conn_write_blob(struct conn *c, struct render_blob *b);
/*
 * Sends the file fd (st its fstat) as it is, after what is queued; takes
 * fd (send_file.c).  Whether it may go as it is, or from the render
 * cache, is whole_file.c's to say.
 */
void	conn_send_file(struct conn *c, int fd, const struct stat *st);
/* Records the status (and why, when it failed) for the access log. */
void	conn_set_status(struct conn *c, const char *status, const char *why);
/* Milliseconds since the connection was accepted. */
long	conn_elapsed_ms(const struct conn *c);

/*
 * size bytes of body follow the line (none is fine: ops->complete comes at
 * once); they go to ops, with arg, within REQUEST_TIMEOUT_SEC plus a
 * second per BODY_MIN_RATE bytes.  Returns 0, or -1 (nothing changed:
 * answer the request as usual).
 */
int	conn_read_body(struct conn *c, off_t size,
	    const struct conn_body_ops *ops, void *arg);
/*
 * A body will follow, and the handler has work to do first (files to
 * open): what came is acknowledged now, as a client that leaves Nagle on
 * holds its body until then.
 */
void	conn_body_expected(struct conn *c);
/* What conn_read_body was given as arg. */
void	*conn_body_arg(const struct conn *c);
/* The answer comes later, through conn_respond. */
void	conn_wait(struct conn *c);
/*
 * The answer cannot be made yet (a file being written), and nothing was
 * written: the handler runs again on the same line in ms milliseconds, on
 * the worker's loop; meanwhile the connection waits, reading nothing.
 * conn_waited_ms says how long since it first waited (0 before);
 * conn_retry_state is CONN_RETRY_STATE words the handler keeps across its
 * runs, zero at first.
 */
#define CONN_RETRY_STATE	3
void	conn_retry(struct conn *c, int ms);
long	conn_waited_ms(const struct conn *c);
uint64_t *conn_retry_state(struct conn *c);
/* The answer of a waiting connection is queued: send it. */
void	conn_respond(struct conn *c);

/*
 * Streams: from the request (or a body's complete), the answer comes as
 * the source gives it.  Nothing is corked; what the client sends is
 * dropped (its close is seen at once).  Returns 0, or -1 (nothing
 * changed).
 */
int	conn_stream_begin(struct conn *c, const struct conn_stream_ops *ops,
	    void *arg);
/* Queues bytes of the stream.  Returns 0 or -1 (out of memory). */
int	conn_stream_write(struct conn *c, const void *buf, size_t len);
/* Bytes queued and not yet sent: the source pauses above its bound. */
size_t	conn_stream_pending(const struct conn *c);
/* All of it is queued: close once sent.  c may be freed at once. */
void	conn_stream_end(struct conn *c);
/* The stream cannot go on (why for the log): drop the connection now,
 * without calling gone.  c is freed. */
void	conn_stream_abort(struct conn *c, const char *why);

#endif
