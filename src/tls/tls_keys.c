/*
 * Private keys kept out of the server process (tls_keys.h): the key object
 * whose private operations are requests to the key process, and the
 * worker's channel they go through (the key process's answer is
 * tls_key_answer.c's).
 *
 * OpenSSL 3.0 forwards a key's private operation in two ways: a provider
 * of its own, or the RSA_METHOD and EC_KEY_METHOD of the 1.1 API, which
 * 3.0 deprecates but keeps (a key with a method of its own is "foreign",
 * and takes the legacy path, where the method is called).  The second is
 * a few functions where the first is a module: it is used here, and the
 * deprecation warnings are turned off for this file alone, by asking for
 * the 1.1.1 API.  What the methods see:
 *
 * - ECDSA (TLS 1.2 and 1.3): the digest to sign; the key process answers
 *   with the DER signature.
 * - RSA, TLS 1.2: PKCS#1 v1.5, as RSA_sign leaves it to the private
 *   operation: the DigestInfo, padding RSA_PKCS1_PADDING.
 * - RSA, TLS 1.3: PSS, which OpenSSL pads itself before the private
 *   operation: a whole block, padding RSA_NO_PADDING.
 *
 * Nothing else of a key is private here: ECDHE makes its own keys, and the
 * suites offered have no RSA key exchange (no private decryption).
 */
#define OPENSSL_API_COMPAT	10101	/* RSA_METHOD, EC_KEY_METHOD */

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/async.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "clock.h"
#include "tls_error.h"
#include "tls_keys.h"

/* The errors a handshake's log line gives as its reason. */
enum {
	R_NO_CHANNEL = 1,
	R_UNREACHABLE,
	R_TIMEOUT,
	R_UNKNOWN,
	R_FAILED
};

static pthread_once_t		 once = PTHREAD_ONCE_INIT;
static int			 err_lib;
static int			 rsa_index = -1, ec_index = -1;
static RSA_METHOD		*rsa_method;
static EC_KEY_METHOD		*ec_method;

static ERR_STRING_DATA reasons[] = {
	{ 0, "key process" },
	{ R_NO_CHANNEL, "no channel to the key process on this thread" },
	{ R_UNREACHABLE, "the key process is not reachable" },
	{ R_TIMEOUT, "the key process did not answer in time" },
	{ R_UNKNOWN, "the key process does not hold this certificate's key" },
	{ R_FAILED, "the key process could not sign" },
	{ 0, NULL }
};

/* The calling thread's channel. */
static _Thread_local struct tls_key_channel *current;

static void
raise_reason(int reason)
{
	ERR_raise(err_lib, reason);
}

/* A key's id, freed with it. */
static void
id_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static int	rsa_priv_enc(int flen, const unsigned char *from,
		    unsigned char *to, RSA *rsa, int padding);
static int	rsa_priv_dec(int flen, const unsigned char *from,
		    unsigned char *to, RSA *rsa, int padding);
static int	ec_sign(int type, const unsigned char *dgst, int dlen,
		    unsigned char *sig, unsigned int *siglen,
		    const BIGNUM *kinv, const BIGNUM *r, EC_KEY *eckey);
static ECDSA_SIG *ec_sign_sig(const unsigned char *dgst, int dlen,
		    const BIGNUM *kinv, const BIGNUM *r, EC_KEY *eckey);

static void
init(void)
{
	size_t i;

	err_lib = ERR_get_next_error_library();
	for (i = 0; reasons[i].string != NULL; i++)
		reasons[i].error = ERR_PACK(err_lib, 0, reasons[i].error);
	(void)ERR_load_strings(err_lib, reasons);
	rsa_index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_RSA, 0, NULL,
	    NULL, NULL, id_free);
	ec_index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_EC_KEY, 0, NULL,
	    NULL, NULL, id_free);
	if ((rsa_method = RSA_meth_dup(RSA_PKCS1_OpenSSL())) != NULL) {
		(void)RSA_meth_set1_name(rsa_method, "attache key process");
		(void)RSA_meth_set_priv_enc(rsa_method, rsa_priv_enc);
		(void)RSA_meth_set_priv_dec(rsa_method, rsa_priv_dec);
		/* No private half here to check against the public one. */
		(void)RSA_meth_set_flags(rsa_method,
		    RSA_meth_get_flags(rsa_method) | RSA_METHOD_FLAG_NO_CHECK);
	}
	if ((ec_method = EC_KEY_METHOD_new(EC_KEY_OpenSSL())) != NULL)
		EC_KEY_METHOD_set_sign(ec_method, ec_sign, NULL, ec_sign_sig);
}

static int
ready(void)
{
	return pthread_once(&once, init) == 0 && rsa_method != NULL &&
	    ec_method != NULL && rsa_index != -1 && ec_index != -1;
}

int
tls_cert_id(X509 *crt, unsigned char id[TLS_KEY_ID_LEN])
{
	unsigned int len = 0;

	if (crt == NULL || X509_digest(crt, EVP_sha256(), id, &len) != 1 ||
	    len != TLS_KEY_ID_LEN) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int
tls_key_supported(const EVP_PKEY *key)
{
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ||
	    EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
}

/* The id of a key, copied for its ex_data. */
static unsigned char *
id_copy(const unsigned char id[TLS_KEY_ID_LEN])
{
	unsigned char *p;

	if ((p = malloc(TLS_KEY_ID_LEN)) != NULL)
		memcpy(p, id, TLS_KEY_ID_LEN);
	return p;
}

static EVP_PKEY *
remote_rsa(EVP_PKEY *pub, const unsigned char id[TLS_KEY_ID_LEN])
{
	const RSA *from = EVP_PKEY_get0_RSA(pub);
	const BIGNUM *n, *e;
	BIGNUM *n2 = NULL, *e2 = NULL;
	EVP_PKEY *k = NULL;
	unsigned char *idp = NULL;
	RSA *rsa = NULL;

	if (from == NULL)
		return NULL;
	RSA_get0_key(from, &n, &e, NULL);
	if ((rsa = RSA_new()) == NULL || (n2 = BN_dup(n)) == NULL ||
	    (e2 = BN_dup(e)) == NULL || RSA_set0_key(rsa, n2, e2, NULL) != 1)
		goto fail;
	n2 = e2 = NULL;
	/* The method first: the key object sees it, and is "foreign". */
	if (RSA_set_method(rsa, rsa_method) != 1 ||
	    (idp = id_copy(id)) == NULL ||
	    RSA_set_ex_data(rsa, rsa_index, idp) != 1)
		goto fail;
	idp = NULL;
	if ((k = EVP_PKEY_new()) == NULL || EVP_PKEY_assign_RSA(k, rsa) != 1)
		goto fail;
	return k;
fail:
	free(idp);
	BN_free(n2);
	BN_free(e2);
	RSA_free(rsa);
	EVP_PKEY_free(k);
	return NULL;
}

static EVP_PKEY *
remote_ec(EVP_PKEY *pub, const unsigned char id[TLS_KEY_ID_LEN])
{
	const EC_KEY *from = EVP_PKEY_get0_EC_KEY(pub);
	EVP_PKEY *k = NULL;
	unsigned char *idp = NULL;
	EC_KEY *ec = NULL;

	if (from == NULL || EC_KEY_get0_group(from) == NULL ||
	    EC_KEY_get0_public_key(from) == NULL)
		return NULL;
	if ((ec = EC_KEY_new()) == NULL ||
	    EC_KEY_set_method(ec, ec_method) != 1 ||
	    EC_KEY_set_group(ec, EC_KEY_get0_group(from)) != 1 ||
	    EC_KEY_set_public_key(ec, EC_KEY_get0_public_key(from)) != 1 ||
	    (idp = id_copy(id)) == NULL ||
	    EC_KEY_set_ex_data(ec, ec_index, idp) != 1)
		goto fail;
	idp = NULL;
	if ((k = EVP_PKEY_new()) == NULL || EVP_PKEY_assign_EC_KEY(k, ec) != 1)
		goto fail;
	return k;
fail:
	free(idp);
	EC_KEY_free(ec);
	EVP_PKEY_free(k);
	return NULL;
}

EVP_PKEY *
tls_remote_key(X509 *crt, const unsigned char id[TLS_KEY_ID_LEN], char *err,
    size_t errlen)
{
	EVP_PKEY *pub, *k = NULL;

	if (!ready()) {
		tls_seterr(err, errlen, "cannot set up the key methods");
		return NULL;
	}
	if ((pub = X509_get0_pubkey(crt)) == NULL) {
		tls_seterr(err, errlen, "the certificate has no public key");
		return NULL;
	}
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA)
		k = remote_rsa(pub, id);
	else if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC)
		k = remote_ec(pub, id);
	else {
		tls_seterr(err, errlen, "its key is %s: attache signs with "
		    "ECDSA and RSA keys only", EVP_PKEY_get0_type_name(pub) !=
		    NULL ? EVP_PKEY_get0_type_name(pub) : "of another type");
		return NULL;
	}
	if (k == NULL)
		tls_seterr(err, errlen, "cannot make its key object");
	ERR_clear_error();
	return k;
}

/* A socket's reads wait TLS_KEY_WAIT_MS at most: the answer's deadline. */
static int
bounded(int fd)
{
	struct timeval tv = { TLS_KEY_WAIT_MS / 1000,
	    (TLS_KEY_WAIT_MS % 1000) * 1000 };

	if (fd != -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* A parked handshake's request: its answer is read by the thread's loop. */
struct tls_key_wait {
	void			*asker;
	uint32_t		 id;
	int			 done;		/* answered, or failed */
	int			 reason;	/* failed: why (R_*) */
	size_t			 outmax, len;
	long			 since;		/* parked at, ms */
	unsigned char		 data[TLS_KEY_DATA_MAX];
	TAILQ_ENTRY(tls_key_wait) entry;
};

void
tls_key_channel_init(struct tls_key_channel *ch, int fd)
{
	memset(ch, 0, sizeof(*ch));
	ch->fd = bounded(fd);
	atomic_init(&ch->next, -1);
	TAILQ_INIT(&ch->waits);
}

void
tls_key_channel_give(struct tls_key_channel *ch, int fd)
{
	int old = atomic_exchange(&ch->next, fd);

	if (old != -1)
		close(old);
}

void
tls_key_channel_close(struct tls_key_channel *ch)
{
	int fd = atomic_exchange(&ch->next, -1);

	if (fd != -1)
		close(fd);
	if (ch->fd != -1)
		close(ch->fd);
	ch->fd = -1;
}

void
tls_key_channel_bind(struct tls_key_channel *ch)
{
	current = ch;
}

void
tls_key_channel_park(struct tls_key_channel *ch, void (*wake)(void *asker),
    void (*watch)(void *arg), void *arg)
{
	ch->wake = wake;
	ch->watch = watch;
	ch->watch_arg = arg;
}


void
tls_key_asker(void *asker)
{
	if (current != NULL)
		current->asker = asker;
}

/* A parked handshake has its answer, or its failure: it is woken. */
static void
settle(struct tls_key_channel *ch, struct tls_key_wait *w, int reason)
{
	TAILQ_REMOVE(&ch->waits, w, entry);
	w->done = 1;
	w->reason = reason;
	ch->wake(w->asker);
}

static void
fail_parked(struct tls_key_channel *ch, int reason)
{
	while (!TAILQ_EMPTY(&ch->waits))
		settle(ch, TAILQ_FIRST(&ch->waits), reason);
}

int
tls_key_channel_expire(struct tls_key_channel *ch)
{
	struct tls_key_wait *w;
	long now = clock_ms();
	int n = 0;

	while ((w = TAILQ_FIRST(&ch->waits)) != NULL &&
	    now - w->since >= TLS_KEY_WAIT_MS) {
		ch->stalled = 1;
		settle(ch, w, R_TIMEOUT);
	}
	TAILQ_FOREACH(w, &ch->waits, entry)
		n++;
	return n;
}

/* An answer read (n bytes in ch->rep) for a parked handshake, if one. */
static void
deliver(struct tls_key_channel *ch, size_t n)
{
	const struct tls_key_reply *rep = &ch->rep;
	struct tls_key_wait *w;

	if (n < TLS_KEY_REPLY_HEAD)
		return;
	TAILQ_FOREACH(w, &ch->waits, entry)
		if (w->id == rep->id)
			break;
	if (w == NULL)
		return;		/* the late answer of a request given up */
	if (rep->status != TLS_KEY_OK || n - TLS_KEY_REPLY_HEAD > w->outmax) {
		settle(ch, w, rep->status == TLS_KEY_UNKNOWN ? R_UNKNOWN :
		    R_FAILED);
		return;
	}
	w->len = n - TLS_KEY_REPLY_HEAD;
	memcpy(w->data, rep->data, w->len);
	settle(ch, w, 0);
}

int
tls_key_channel_fd(struct tls_key_channel *ch)
{
	int fd;

	if ((fd = atomic_exchange(&ch->next, -1)) != -1) {
		/* What was asked on the old socket is answered on none. */
		fail_parked(ch, R_UNREACHABLE);
		if (ch->fd != -1)
			close(ch->fd);
		ch->fd = bounded(fd);
		ch->dead = 0;
		ch->stalled = 0;
	}
	return ch->dead ? -1 : ch->fd;
}

int
tls_key_channel_read(struct tls_key_channel *ch)
{
	ssize_t n;

	if (ch->fd == -1 || ch->dead)
		return -1;
	for (;;) {
		n = recv(ch->fd, &ch->rep, sizeof(ch->rep), MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			ch->dead = 1;
			fail_parked(ch, R_UNREACHABLE);
			return -1;
		}
		/* It answers: requests are sent again. */
		ch->stalled = 0;
		deliver(ch, (size_t)n);
		/*
		 * Its last awaited answer read, the next recv would only say
		 * EAGAIN: a syscall per handshake saved.  A message still
		 * there (a late answer) makes the loop call again.
		 */
		if (TAILQ_EMPTY(&ch->waits))
			return 0;
	}
}

void
tls_key_channel_drop(struct tls_key_channel *ch)
{
	if (ch->fd != -1)
		close(ch->fd);
	ch->fd = -1;
	ch->dead = 0;
}

int
tls_key_parking(void)
{
	return current != NULL && current->wake != NULL;
}

int
tls_key_cancel(void *asker)
{
	struct tls_key_channel *ch = current;
	struct tls_key_wait *w;

	if (ch == NULL)
		return 0;
	TAILQ_FOREACH(w, &ch->waits, entry)
		if (w->asker == asker) {
			/* Gone before its answer: it timed out, or its
			 * client left. */
			TAILQ_REMOVE(&ch->waits, w, entry);
			w->done = 1;
			w->reason = R_TIMEOUT;
			return 1;
		}
	return 0;
}

/*
 * The socket is gone: until another comes, requests fail at once.  A
 * parking channel's socket is its loop's to close.
 */
static void
broken(struct tls_key_channel *ch)
{
	if (ch->wake != NULL) {
		ch->dead = 1;
		fail_parked(ch, R_UNREACHABLE);
		return;
	}
	close(ch->fd);
	ch->fd = -1;
	ch->stalled = 0;
}

/*
 * After a timeout: the answers that came since, read without waiting.
 * Returns 0 once the late answer is in (the key process answers again),
 * -1 while it is not (the reason raised).
 */
static int
unstall(struct tls_key_channel *ch)
{
	struct tls_key_reply *rep = &ch->rep;
	ssize_t n;

	while (ch->stalled) {
		n = recv(ch->fd, rep, sizeof(*rep), MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			raise_reason(R_TIMEOUT);
			return -1;
		}
		if (n <= 0) {
			broken(ch);
			raise_reason(R_UNREACHABLE);
			return -1;
		}
		/* Answers come in order: the last request's is the last. */
		if ((size_t)n >= TLS_KEY_REPLY_HEAD && rep->id == ch->last_id)
			ch->stalled = 0;
		else
			deliver(ch, (size_t)n);
	}
	return 0;
}

/*
 * The request sent, a handshake in a job pauses until the thread's loop
 * has read its answer (or its failure).
 */
static int
parked(struct tls_key_channel *ch, uint32_t id, unsigned char *out,
    size_t outmax)
{
	struct tls_key_wait *w;
	int n;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		raise_reason(R_FAILED);
		return -1;
	}
	w->asker = ch->asker;
	w->id = id;
	w->outmax = outmax;
	w->since = clock_ms();
	if (TAILQ_EMPTY(&ch->waits) && ch->watch != NULL)
		ch->watch(ch->watch_arg);
	TAILQ_INSERT_TAIL(&ch->waits, w, entry);
	/* Driven again before the answer (its socket was readable): wait on. */
	while (!w->done)
		if (ASYNC_pause_job() == 0) {
			TAILQ_REMOVE(&ch->waits, w, entry);
			w->done = 1;
			w->reason = R_FAILED;
		}
	if (w->reason != 0) {
		raise_reason(w->reason);
		n = -1;
	} else {
		memcpy(out, w->data, w->len);
		n = (int)w->len;
	}
	free(w);
	return n;
}

/*
 * Before parking, a quick signature (P-256: OpenSSL's own assembly, about
 * 26 us of CPU) is awaited on the worker for TLS_KEY_BRIEF_US: a parked
 * handshake waits for its loop's next turn, behind the other connections'
 * work, which made the p99 at 16 clients about 15 % longer
 * (docs/performance.md).  Returns the answer's length, 0 when it has not
 * come (the caller parks), -1 with the reason raised.
 */
static ssize_t
brief_wait(struct tls_key_channel *ch, uint32_t id)
{
	struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
	struct timespec left;
	int64_t end = clock_us() + TLS_KEY_BRIEF_US, now;
	ssize_t n;

	while ((now = clock_us()) < end) {
		left.tv_sec = 0;
		left.tv_nsec = (end - now) * 1000;
		if ((n = ppoll(&pfd, 1, &left, NULL)) == -1 && errno == EINTR)
			continue;
		if (n != 1)
			return 0;
		n = recv(ch->fd, &ch->rep, sizeof(ch->rep), MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == EAGAIN ||
		    errno == EWOULDBLOCK))
			continue;
		if (n <= 0) {
			broken(ch);
			raise_reason(R_UNREACHABLE);
			return -1;
		}
		if ((size_t)n >= TLS_KEY_REPLY_HEAD && ch->rep.id == id)
			return n;
		deliver(ch, (size_t)n);	/* the late answer of one given up */
	}
	return 0;
}

/*
 * Waiting, the thread blocked: one blocking read (SO_RCVTIMEO bounds it),
 * not a poll and a read, a syscall fewer per handshake.  Answers to parked
 * handshakes that come meanwhile are handed over.  Returns the answer's
 * length, or -1 with the reason raised.
 */
static ssize_t
blocking_wait(struct tls_key_channel *ch, uint32_t id)
{
	int64_t deadline = clock_ms() + TLS_KEY_WAIT_MS;
	ssize_t n;

	for (;;) {
		n = recv(ch->fd, &ch->rep, sizeof(ch->rep), 0);
		if (n == -1 && errno == EINTR && clock_ms() < deadline)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR)) {
			ch->stalled = 1;
			raise_reason(R_TIMEOUT);
			return -1;
		}
		if (n <= 0) {
			broken(ch);
			raise_reason(R_UNREACHABLE);
			return -1;
		}
		if ((size_t)n >= TLS_KEY_REPLY_HEAD && ch->rep.id == id)
			return n;
		/* A parked one's, or the late answer of one that timed out. */
		deliver(ch, (size_t)n);
		if (clock_ms() >= deadline) {
			ch->stalled = 1;
			raise_reason(R_TIMEOUT);
			return -1;
		}
	}
}

/*
 * One request and its answer on the calling thread's channel: the result's
 * length, or -1 with the reason in OpenSSL's error queue.  quick: the
 * answer comes in tens of microseconds (brief_wait).
 */
static int
remote(const unsigned char *key, enum tls_key_op op, int padding,
    const unsigned char *in, size_t inlen, unsigned char *out, size_t outmax,
    int quick)
{
	struct tls_key_channel *ch = current;
	struct tls_key_request *req;
	struct tls_key_reply *rep;
	ssize_t n;
	int fd;

	if (ch == NULL) {
		raise_reason(R_NO_CHANNEL);
		return -1;
	}
	req = &ch->req;
	rep = &ch->rep;
	/* A parking channel's socket changes in its loop only. */
	if (ch->wake == NULL && (fd = atomic_exchange(&ch->next, -1)) != -1) {
		if (ch->fd != -1)
			close(ch->fd);
		ch->fd = bounded(fd);
		ch->stalled = 0;
	}
	if (ch->fd == -1 || ch->dead) {
		raise_reason(R_UNREACHABLE);
		return -1;
	}
	/* Parking, the loop reads: a stalled channel fails at once. */
	if (ch->stalled && ch->wake != NULL) {
		raise_reason(R_TIMEOUT);
		return -1;
	}
	if (ch->stalled && unstall(ch) == -1)
		return -1;
	if (inlen > sizeof(req->data) || outmax > sizeof(rep->data)) {
		raise_reason(R_FAILED);
		return -1;
	}
	memset(req, 0, TLS_KEY_REQUEST_HEAD);
	req->id = ++ch->last_id;
	req->op = (uint32_t)op;
	req->padding = padding;
	req->outmax = (uint32_t)outmax;
	memcpy(req->key, key, TLS_KEY_ID_LEN);
	memcpy(req->data, in, inlen);
	do
		n = send(ch->fd, req, TLS_KEY_REQUEST_HEAD + inlen,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		broken(ch);
		raise_reason(R_UNREACHABLE);
		return -1;
	}
	if (ch->wake != NULL && ch->asker != NULL &&
	    ASYNC_get_current_job() != NULL) {
		/* Behind a parked one, ours would come after it. */
		if (!quick || !TAILQ_EMPTY(&ch->waits) ||
		    (n = brief_wait(ch, req->id)) == 0)
			return parked(ch, req->id, out, outmax);
	} else
		n = blocking_wait(ch, req->id);
	if (n == -1)
		return -1;
	if (rep->status != TLS_KEY_OK ||
	    (size_t)n - TLS_KEY_REPLY_HEAD > outmax) {
		raise_reason(rep->status == TLS_KEY_UNKNOWN ? R_UNKNOWN :
		    R_FAILED);
		return -1;
	}
	memcpy(out, rep->data, (size_t)n - TLS_KEY_REPLY_HEAD);
	return (int)((size_t)n - TLS_KEY_REPLY_HEAD);
}

static int
rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to,
    RSA *rsa, int padding)
{
	const unsigned char *id = RSA_get_ex_data(rsa, rsa_index);

	if (id == NULL || flen < 0) {
		raise_reason(R_FAILED);
		return -1;
	}
	return remote(id, TLS_KEY_RSA_PRIV, padding, from, (size_t)flen, to,
	    (size_t)RSA_size(rsa), 0);
}

/* No suite offered exchanges keys with RSA: nothing to decrypt. */
static int
rsa_priv_dec(int flen, const unsigned char *from, unsigned char *to,
    RSA *rsa, int padding)
{
	(void)flen;
	(void)from;
	(void)to;
	(void)rsa;
	(void)padding;
	raise_reason(R_FAILED);
	return -1;
}

static int
ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
    unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *eckey)
{
	const unsigned char *id = EC_KEY_get_ex_data(eckey, ec_index);
	int n;

	(void)type;
	*siglen = 0;
	/* A caller's own nonce cannot be honoured over there. */
	if (id == NULL || dlen < 0 || kinv != NULL || r != NULL) {
		raise_reason(R_FAILED);
		return 0;
	}
	if ((n = remote(id, TLS_KEY_ECDSA, 0, dgst, (size_t)dlen, sig,
	    (size_t)ECDSA_size(eckey), EC_GROUP_get_curve_name(
	    EC_KEY_get0_group(eckey)) == NID_X9_62_prime256v1)) < 0)
		return 0;
	*siglen = (unsigned int)n;
	return 1;
}

static ECDSA_SIG *
ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
    const BIGNUM *r, EC_KEY *eckey)
{
	unsigned char der[TLS_KEY_DATA_MAX];
	const unsigned char *p = der;
	unsigned int len;

	if ((size_t)ECDSA_size(eckey) > sizeof(der) ||
	    ec_sign(0, dgst, dlen, der, &len, kinv, r, eckey) != 1)
		return NULL;
	return d2i_ECDSA_SIG(NULL, &p, (long)len);
}
