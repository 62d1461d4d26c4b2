/*
 * The connection life cycle's own (conn*.c, send_file.c, worker_server.c):
 * the state of one client connection, from accept to close, shared by
 * both protocols.  Protocol handlers see conn.h only.
 */
#ifndef ATTACHE_CONN_INTERNAL_H
#define ATTACHE_CONN_INTERNAL_H

#include <sys/queue.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

#include "bounds.h"
#include "client_limits.h"
#include "conn.h"
#include "generation.h"
#include "zone.h"

struct bufferevent;
struct conn_pool;
struct event;
struct event_base;
struct evbuffer_cb_entry;
struct jobs;

#define REQUEST_TIMEOUT_SEC	10	/* whole request, TLS handshake included */
#define PROXY_TIMEOUT_SEC	3	/* the PROXY header, from the connect */
#define WRITE_TIMEOUT_SEC	30	/* no write progress for this long: drop */
#define LINGER_TIMEOUT_SEC	2	/* after the response, wait for the client's close */
#define BODY_MIN_RATE		(64 * 1024) /* bytes/s a body may come at, slowest */
#define BODY_WINDOW		(64 * 1024) /* body bytes buffered at most */
#define LINGER_MAX		(64 * 1024) /* bytes dropped while lingering, in all */
#define TICKET_OWED		1	/* conn.ticket_owed: to send after the response */
#define TICKET_ASKED		2	/* asked of OpenSSL, not all written yet */
#define STREAM_LOWMARK		(16 * 1024) /* a stream's source is called under it */

/* A worker's accepting end of one of the generation's listeners. */
struct listener {
	struct server		*srv;
	struct event		*ev;		/* readable: a connection waits */
	struct event		*resume;	/* re-adds ev after EMFILE */
	int			 fd;		/* owned by the listen table */
	const struct gen_listener *spec;	/* in srv->gen */
};

TAILQ_HEAD(conn_list, conn);

/* One worker's server: its loop, listeners and connections. */
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
	CONN_WAITING,		/* the answer is being made off the loop,
				 * or to be made again (conn_retry) */
	CONN_WRITING,		/* response queued, file streaming */
	CONN_STREAMING,		/* a response made as it comes (conn_stream) */
	CONN_SHUTTING,		/* waiting to send TLS close_notify */
	CONN_CLOSING		/* response sent; waiting for the client's close */
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
	int			 ticket_owed;	/* 0, or TICKET_OWED, TICKET_ASKED */
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
	int			 retrying;	/* WAITING for conn_retry */
	struct timespec		 waited;	/* the first conn_retry */
	uint64_t		 retry_state[CONN_RETRY_STATE]; /* the handler's */
	const struct conn_stream_ops *stream;	/* STREAMING: its source */
	void			*stream_arg;
	int			 stream_ended;	/* the source said it is all */
	const char		*why;		/* for the access log */
	char			 why_kept[160];	/* conn_set_status's copy */
	size_t			 reqlen;
	char			 req[REQUEST_MAX + 2];
	TAILQ_ENTRY(conn)	 entry;
};

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
int	conn_serve(struct conn *c, SSL *ssl, int handshaking);
void	conn_free(struct conn *c);

/* The bufferevent's callbacks: reading (conn_read.c), writing and the
 * close (conn_write.c), events (conn_events.c). */
void	conn_read_cb(struct bufferevent *bev, void *arg);
void	conn_write_cb(struct bufferevent *bev, void *arg);
void	conn_event_cb(struct bufferevent *bev, short what, void *arg);

/*
 * Holds what is written next until the response and the FIN go with it
 * (conn_linger's shutdown sends it all): on loopback every segment costs
 * the sender the receiver's softirq.
 */
void	conn_cork(struct conn *c);
/* Acknowledges what the client sent so far now (conn_write.c says why). */
void	conn_ack_now(struct conn *c);
/*
 * The handshake is done: notes whether its session ticket was held back
 * (TICKET_OWED), or sends it now behind a proxy (conn_events.c).
 */
void	conn_handshake_done(struct conn *c, SSL *ssl);
/*
 * What the handshake read ahead beyond its end, served now (conn_read.c):
 * 1 when there was some, and c may be gone.
 */
int	conn_read_pending(struct conn *c);
/* The answer is queued, or the handler answered at once: send it. */
void	conn_begin_response(struct conn *c);
/* The line again to the protocol, after conn_retry (conn_read.c). */
void	conn_request_again(struct conn *c);
/* The response could not be delivered: log it as it went, and drop. */
void	conn_abort(struct conn *c, const char *why);
/* Once the output is sent: close_notify, FIN, then linger. */
void	conn_shutdown(struct conn *c);

/* The access line of c, its unsent bytes not counted as sent. */
void	conn_log(struct conn *c, size_t unsent);
/*
 * Why TLS failed, for the log: the reason of e, or of the first error in
 * OpenSSL's queue when e is 0; empties the queue.
 */
const char *conn_tls_reason(unsigned long e);

#endif
