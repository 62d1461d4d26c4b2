/* Listeners and the connection life cycle, shared by both protocols. */
#ifndef ATTACHE_SERVER_H
#define ATTACHE_SERVER_H

#include <sys/queue.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

#include "bounds.h"
#include "generation.h"
#include "zone.h"
#include "client_limits.h"

struct event_base;
struct bufferevent;
struct evbuffer;
struct evbuffer_cb_entry;
struct event;
struct conn;
struct jobs;
struct conn_pool;
struct render_blob;

#define REQUEST_TIMEOUT_SEC	10	/* whole request, TLS handshake included */
#define PROXY_TIMEOUT_SEC	3	/* the PROXY header, from the connect */
#define WRITE_TIMEOUT_SEC	30	/* no write progress for this long: drop */
#define LINGER_TIMEOUT_SEC	2	/* after the response, wait for the client's close */
#define BODY_MIN_RATE		(64 * 1024) /* bytes/s a body may come at, slowest */
#define BODY_WINDOW		(64 * 1024) /* body bytes buffered at most */

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


/* A worker's accepting end of one of the generation's listeners. */
struct listener {
	struct server		*srv;
	struct event		*ev;		/* readable: a connection waits */
	struct event		*resume;	/* re-adds ev after EMFILE */
	int			 fd;		/* owned by the listen table */
	const struct gen_listener *spec;	/* in srv->gen */
};

TAILQ_HEAD(conn_list, conn);

/* One worker's share: its event loop, listeners and connections. */
struct server {
	struct event_base	*base;
	int			 index;		/* which socket of each port */
	int			 draining;	/* no more accepting */
	struct generation	*gen;		/* current; one reference */
	/* What each kind of listener speaks, by enum listen_proto. */
	const struct protocol *const *protocols;
	struct listener		**listeners;
	size_t			 nlisteners;
	struct conn_list	 conns;
	struct jobs		*jobs;		/* background work; NULL until
						 * first needed */
	struct conn_pool	*pool;		/* of struct conn; made at
						 * the first connection */
};

enum conn_state {
	CONN_PROXY,		/* waiting for the PROXY header */
	CONN_FIRST,		/* waiting for the first byte: TLS or not */
	CONN_HANDSHAKE,		/* TLS handshake, driven by conn_start.c */
	CONN_READING,		/* TLS handshake and request line */
	CONN_BODY,		/* the request's body (Titan) */
	CONN_WAITING,		/* the answer is being made off the loop */
	CONN_WRITING,		/* response queued, file streaming */
	CONN_SHUTTING,		/* waiting to send TLS close_notify */
	CONN_CLOSING		/* response sent; waiting for the client's close */
};

/*
 * Where a request's body goes (Titan), on the worker's loop.  The protocol
 * owns what body_arg points to; release frees it.
 */
struct conn_body_ops {
	/* Bytes of the body; -1: stop reading (an answer is queued). */
	int	(*data)(struct conn *, const char *, size_t);
	/* All of it is in: answer now, or later through conn_respond. */
	void	(*complete)(struct conn *);
	/* Not all of it came in time: queue the answer. */
	void	(*expired)(struct conn *);
	/* From conn_free, always: drop what was not committed. */
	void	(*release)(struct conn *);
};

/* One client connection; everything it needs lives here. */
struct conn {
	struct server		*srv;
	struct generation	*gen;		/* accepted under; one reference */
	const struct gen_listener *listener;	/* in gen */
	const struct protocol	*proto;		/* what it speaks */
	const struct site	*site;		/* Gopher: the port's; Gemini:
						 * by SNI, the first before */
	struct bufferevent	*bev;		/* from CONN_READING on */
	struct event		*wait;		/* before: the first bytes */
	struct event		*timer;		/* request deadline, then linger */
	struct event		*shutdown_ev;	/* retries of close_notify */
	struct evbuffer_cb_entry *refill;	/* TLS file: pumps as it drains */
	enum conn_state		 state;
	int			 tls;		/* this connection speaks TLS */
	int			 corked;	/* TCP_CORK set: see conn_cork */
	int			 heard_last;	/* handshake: read since our write */
	SSL			*ssl;		/* CONN_HANDSHAKE: ours, until
						 * the bufferevent takes it */
	int			 fd;
	int			 file_fd;	/* file streamed after the output, or -1 */
	off_t			 file_left;
	size_t			 bytes_out;	/* bytes queued for the client */
	size_t			 linger_dropped; /* client bytes after the response */
	struct timespec		 started;
	/* The client: the socket's peer, or the PROXY header's source. */
	char			 peer[INET6_ADDRSTRLEN];
	struct limits_key	 key;
	int			 counted_total;	/* in the limits: to undo */
	int			 counted_address;
	/* What the client reached, from a PROXY header ("": the socket's). */
	char			 local[INET6_ADDRSTRLEN];
	int			 local_port;
	char			 status[8];	/* for the access log */
	struct client_cert	 cert;		/* Gemini: the client's, if any */
	const struct conn_body_ops *body;	/* after the line: its body */
	void			*body_arg;
	off_t			 body_left;	/* bytes still to come */
	off_t			 body_size;
	int			 peer_gone;	/* went away while WAITING */
	const char		*why;		/* for the access log */
	size_t			 reqlen;
	char			 req[REQUEST_MAX + 2];
	TAILQ_ENTRY(conn)	 entry;
};

/*
 * One worker's server on base, accepting on socket index of each port and
 * speaking protocols[l->proto] on each listener l.
 */
void	server_init(struct server *s, struct event_base *base, int index,
	    const struct protocol *const *protocols);

/*
 * Serves gen from now on (takes a reference): accepts on its listeners,
 * keeping the ones on the same sockets, dropping the others.  Connections
 * already accepted keep the generation they started with.  Returns 0, or
 * -1 when a listener could not be set up (logged; the others serve).
 */
int	server_adopt(struct server *s, struct generation *gen);

/*
 * Stops accepting; the worker's loop ends once its last connection is
 * done (at once when there is none).
 */
void	server_drain(struct server *s);

/* Stops accepting and drops every connection and the generation. */
void	server_free(struct server *s);

/*
 * A connection's first steps (conn_start.c): the limits, the PROXY header,
 * then TLS or not by its first byte.  accept_cb hands each socket over.
 */
void	conn_start(struct server *s, const struct gen_listener *spec, int fd,
	    const struct sockaddr *sa);

/*
 * For conn_start.c: a new connection in CONN_PROXY or CONN_FIRST with its
 * deadline armed (NULL: logged, fd closed); its address as text; serving
 * it with a bufferevent once the handshake is done (ssl taken; or plain,
 * ssl NULL; or handshaking, to let libevent finish a handshake), -1 when
 * it could not and is freed; and freeing it.
 */
struct conn *conn_new(struct server *s, const struct gen_listener *spec,
	    int fd, const struct sockaddr *sa, int timeout_sec);
void	conn_addr_string(const struct sockaddr *sa, char *out, size_t outsz);
/*
 * Holds what is written next until the response and the FIN go with it
 * (conn_linger's shutdown sends it all): on loopback every segment costs
 * the sender the receiver's softirq.
 */
void	conn_cork(struct conn *c);
void	conn_ack_now(struct conn *c);
int	conn_serve(struct conn *c, SSL *ssl, int handshaking);
void	conn_free(struct conn *c);

/* Responding, for protocol handlers; all of it is sent before the close. */
int	conn_printf(struct conn *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	conn_write_buffer(struct conn *c, struct evbuffer *buf);
/* A cached rendering, sent without a copy. */
int	conn_write_blob(struct conn *c, struct render_blob *b);
/*
 * Sends the file fd (st its fstat) after what is queued, from the site's
 * render cache under key (its path) when it holds this version; takes fd
 * (send_file.c).
 */
void	conn_send_file(struct conn *c, int fd, const struct stat *st,
	    const char *key);
/* The address and port the client reached, as text ("" if unknown). */
void	conn_local_addr(const struct conn *c, char *out, size_t outsz);
int	conn_local_port(const struct conn *c);
/*
 * Why TLS failed, for the log: the reason of e, or of the first error in
 * OpenSSL's queue when e is 0; empties the queue.
 */
const char *conn_tls_reason(unsigned long e);

/* Milliseconds since the connection was accepted. */
long	conn_elapsed_ms(const struct conn *c);

/* The access line of c, its unsent bytes not counted as sent. */
void	conn_log(struct conn *c, size_t unsent);
/* Records the status (and why, when it failed) for the access log. */
void	conn_set_status(struct conn *c, const char *status, const char *why);

/*
 * From a request handler: size bytes of body follow the line; they go to
 * ops, within REQUEST_TIMEOUT_SEC plus a second per BODY_MIN_RATE bytes.
 * Returns 0, or -1 (nothing changed: answer the request as usual).
 */
int	conn_read_body(struct conn *c, off_t size,
	    const struct conn_body_ops *ops, void *arg);
/* From a request handler: the answer comes later, through conn_respond. */
void	conn_wait(struct conn *c);
/* The answer of a waiting connection is queued: send it. */
void	conn_respond(struct conn *c);
/* The worker's background thread, started on first use; NULL: cannot. */
struct jobs *server_jobs(struct server *s);

#endif
