/*
 * Private keys kept out of the process that talks to clients.
 *
 * The server process holds, for each certificate, a key object made from
 * the certificate's public key alone (tls_remote_key): OpenSSL takes it as
 * the private key (SSL_CTX_use_PrivateKey and its check pass, as the
 * public halves match), and each private operation a handshake asks of it
 * (an ECDSA signature, an RSA PKCS#1 or PSS block) is sent as a request
 * over the calling thread's key channel, a socket to the key process,
 * which answers it with the real key (tls_key_answer) and never sends the
 * key itself.  A key is named by its certificate's SHA-256 (tls_cert_id),
 * so that an old generation's handshakes still find the old key after a
 * renewal.
 *
 * The channel is one socket per worker thread, answered in order; each
 * request has an id, so that an answer is given to its own handshake, and
 * one that came after its request timed out is told from the next one's.
 * A handshake waits for its answer TLS_KEY_WAIT_MS at most, parked (below)
 * or, outside an OpenSSL job, blocking its thread; once one has timed
 * out, the next ones fail at once until the key process answers again, so
 * that one that hangs costs a worker one wait, not one per handshake.
 */
#ifndef ATTACHE_TLS_KEYS_H
#define ATTACHE_TLS_KEYS_H

#include <sys/queue.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define TLS_KEY_ID_LEN		32	/* SHA-256 of the certificate's DER */
#define TLS_KEY_DATA_MAX	2048	/* an RSA 16384 block, at most */
#define TLS_KEY_WAIT_MS		2000	/* a signature's answer, at most */
#define TLS_KEY_BRIEF_US	1000	/* a quick one's wait before parking */

/* What a request asks for. */
enum tls_key_op {
	TLS_KEY_ECDSA = 1,	/* an ECDSA signature (DER) of a digest */
	TLS_KEY_RSA_PRIV	/* RSA's private operation, with padding */
};

/* What an answer says. */
enum tls_key_status {
	TLS_KEY_OK = 0,
	TLS_KEY_UNKNOWN,	/* no such key */
	TLS_KEY_FAILED,		/* the operation failed */
	TLS_KEY_BAD		/* a request that makes no sense */
};

/* One request, as sent: a fixed head, then the data. */
struct tls_key_request {
	uint32_t	id;
	uint32_t	op;		/* enum tls_key_op */
	int32_t		padding;	/* RSA: RSA_PKCS1_PADDING or
					 * RSA_NO_PADDING */
	uint32_t	outmax;		/* room for the answer */
	unsigned char	key[TLS_KEY_ID_LEN];
	unsigned char	data[TLS_KEY_DATA_MAX];
};

#define TLS_KEY_REQUEST_HEAD	offsetof(struct tls_key_request, data)

/* One answer: the request's id, a status, then the result. */
struct tls_key_reply {
	uint32_t	id;
	uint32_t	status;		/* enum tls_key_status */
	unsigned char	data[TLS_KEY_DATA_MAX];
};

#define TLS_KEY_REPLY_HEAD	offsetof(struct tls_key_reply, data)

struct tls_key_wait;
TAILQ_HEAD(tls_key_waits, tls_key_wait);

/* A worker's socket to the key process. */
struct tls_key_channel {
	int		 fd;		/* the thread's own; -1: none */
	atomic_int	 next;		/* a new socket from elsewhere, or -1 */
	uint32_t	 last_id;
	int		 stalled;	/* a request timed out, its answer
					 * not come yet */
	/* Parking (tls_key_channel_park): the worker's loop reads. */
	void		(*wake)(void *asker);
	void		(*watch)(void *arg);
	void		*watch_arg;
	void		*asker;		/* whose handshake runs now */
	struct tls_key_waits waits;	/* parked, oldest first */
	int		 dead;		/* the socket ended: the loop drops
					 * it (tls_key_channel_drop) */
	struct tls_key_request req;	/* the thread's, one at a time */
	struct tls_key_reply rep;
};

/* The certificate's id: SHA-256 of its DER form.  0, or -1. */
int	tls_cert_id(X509 *crt, unsigned char id[TLS_KEY_ID_LEN]);

/*
 * A key object for crt's public key whose private operations go to the
 * key process, as the key of id.  Returns it, or NULL for a key that is
 * neither ECDSA nor RSA (err says so).
 */
EVP_PKEY *tls_remote_key(X509 *crt, const unsigned char id[TLS_KEY_ID_LEN],
	    char *err, size_t errlen);

/* Whether a key can be held remotely: ECDSA or RSA.  1 or 0. */
int	tls_key_supported(const EVP_PKEY *key);

/* A channel on fd (-1: none yet). */
void	tls_key_channel_init(struct tls_key_channel *ch, int fd);
/*
 * From any thread: the channel's thread takes fd at its next request
 * (closing its old socket).  A socket given before and not yet taken is
 * closed.
 */
void	tls_key_channel_give(struct tls_key_channel *ch, int fd);
/* Closes the channel's sockets (its thread has ended). */
void	tls_key_channel_close(struct tls_key_channel *ch);
/* The calling thread's requests go through ch from now on (NULL: none). */
void	tls_key_channel_bind(struct tls_key_channel *ch);

/*
 * Parking.  A handshake run in an OpenSSL asynchronous job
 * (SSL_MODE_ASYNC) does not wait for its answer: its request is sent, the
 * job pauses (SSL_ERROR_WANT_ASYNC), and the thread serves its other
 * connections.  The thread's loop watches the channel's socket
 * (tls_key_channel_fd) and reads the answers (tls_key_channel_read), each
 * of which calls wake(asker) for the handshake it belongs to; driven
 * again, that handshake takes its answer and goes on.  A P-256
 * signature, which comes in tens of microseconds, is first awaited on the
 * thread for TLS_KEY_BRIEF_US, and parks only if it has not come (nor
 * when another is parked: answers come in order).  Outside a job, or
 * with no asker, a request waits as before.  A key process that hangs
 * fails the handshakes parked TLS_KEY_WAIT_MS, and those after them at
 * once until it answers again.  The loop owns the socket
 * from then on: tls closes it only in tls_key_channel_fd and _drop.
 */
void	tls_key_channel_park(struct tls_key_channel *ch,
	    void (*wake)(void *asker), void (*watch)(void *arg), void *arg);
/*
 * watch(arg) is called when a handshake parks while none was: the loop
 * then calls this every so often, until it returns 0.  It fails the
 * parked handshakes that have waited TLS_KEY_WAIT_MS, waking them (and
 * from then on requests fail at once, until an answer comes), and returns
 * how many are still parked.
 */
int	tls_key_channel_expire(struct tls_key_channel *ch);
/* The handshake about to be driven on this thread (NULL: none). */
void	tls_key_asker(void *asker);
/* Whether this thread's channel parks: its handshakes run in jobs. */
int	tls_key_parking(void);
/*
 * The socket to watch, a new one taken first if one was given (the old
 * one closed: the loop stops watching it before): -1 for none.  The
 * handshakes parked on an old socket fail, and are woken.
 */
int	tls_key_channel_fd(struct tls_key_channel *ch);
/*
 * Reads the answers that came, hands each to its parked handshake and
 * wakes it.  Returns 0, or -1 when the socket ended (the parked
 * handshakes failed and woken): the loop stops watching it and calls
 * tls_key_channel_drop.
 */
int	tls_key_channel_read(struct tls_key_channel *ch);
/* Closes an ended socket: requests fail at once until another is given. */
void	tls_key_channel_drop(struct tls_key_channel *ch);
/*
 * The handshake parked for asker on this thread ends without its answer
 * (its connection goes): 1 when there was one, which the caller drives
 * once more so that its job finishes (failing) before the SSL is freed;
 * else 0.
 */
int	tls_key_cancel(void *asker);

/*
 * The key process's side: a key held to sign with, made ready once (its
 * kind and object found).  0, or -1 for a key that is neither ECDSA nor
 * RSA.
 */
int	tls_key_prepare(EVP_PKEY *key);

/*
 * The key process's side: the answer to req (reqlen bytes received) with
 * key, into reply; returns the reply's length to send.  key NULL: the key
 * is unknown.
 */
size_t	tls_key_answer(EVP_PKEY *key, const struct tls_key_request *req,
	    size_t reqlen, struct tls_key_reply *reply);

#endif
