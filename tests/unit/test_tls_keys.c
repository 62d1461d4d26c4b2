/*
 * Unit tests for the keys kept in the key process: a context made from the
 * certificate alone (tls_keys.c) signs its handshakes through a socket to
 * a signer thread that answers as the key process does (key_process.c,
 * with a key_table), for ECDSA P-256 and P-384 and RSA 2048 and 4096, over
 * TLS 1.2 (PKCS#1 and PSS) and 1.3; a full chain; what the log says when
 * the key process is gone, silent or without the key; a late answer told
 * from the next; and the key table's reloads.
 */
#include <sys/socket.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bounds.h"
#include "key_process.h"
#include "key_table.h"
#include "tls.h"
#include "tls_keys.h"
#include "unit.h"

/* A signer thread: the key process's answering, on one socket. */
struct signer {
	pthread_t		 thread;
	struct key_table	*table;
	int			 fd;
};

static void *
signer_main(void *arg)
{
	struct signer *s = arg;

	key_process_answer(s->table, s->fd);
	return NULL;
}

/* Starts a signer on a new socket pair; the worker's end into *ours. */
static int
signer_start(struct signer *s, struct key_table *t, int *ours)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	s->table = t;
	s->fd = sv[1];
	*ours = sv[0];
	if (pthread_create(&s->thread, NULL, signer_main, s) != 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	return 0;
}

/* Ends the signer as a dying key process would: its socket closes. */
static void
signer_stop(struct signer *s)
{
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->thread, NULL);
	close(s->fd);
}

static EVP_PKEY *
make_key(const char *type, const char *curve, size_t bits)
{
	return curve != NULL ? EVP_PKEY_Q_keygen(NULL, NULL, type, curve) :
	    EVP_PKEY_Q_keygen(NULL, NULL, type, bits);
}

/* A certificate for key's public half, signed by issuer (NULL: itself). */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, EVP_PKEY *issuer_key,
    X509 *issuer, int ca)
{
	X509 *x = X509_new();
	X509_NAME *n;
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	if (x == NULL)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL) & 0xffff);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) :
	    n);
	if (ca) {
		X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
		if ((ext = X509V3_EXT_conf_nid(NULL, &v3,
		    NID_basic_constraints, "critical,CA:TRUE")) != NULL) {
			X509_add_ext(x, ext, -1);
			X509_EXTENSION_free(ext);
		}
	}
	if (X509_sign(x, issuer_key != NULL ? issuer_key : key,
	    EVP_sha256()) == 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* The PEM of certificates (leaf first), malloc'd. */
static char *
certs_pem(X509 *const *xs, int n, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out = NULL;
	long l;
	int i;

	for (i = 0; i < n; i++)
		PEM_write_bio_X509(b, xs[i]);
	l = BIO_get_mem_data(b, &p);
	if (l > 0 && (out = malloc((size_t)l + 1)) != NULL) {
		memcpy(out, p, (size_t)l);
		out[l] = '\0';
		*len = (size_t)l;
	}
	BIO_free(b);
	return out;
}

/* Drives both ends of a handshake over a BIO pair; 1 when both finish. */
static int
handshake(SSL_CTX *sctx, SSL_CTX *cctx, SSL **cp, SSL **sp)
{
	SSL *c = NULL, *s = NULL;
	BIO *cb = NULL, *sb = NULL;
	int cdone = 0, sdone = 0, i, r, e;

	*cp = *sp = NULL;
	if ((c = SSL_new(cctx)) == NULL || (s = SSL_new(sctx)) == NULL ||
	    BIO_new_bio_pair(&cb, 0, &sb, 0) != 1) {
		SSL_free(c);
		SSL_free(s);
		return 0;
	}
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (i = 0; i < 64 && !(cdone && sdone); i++) {
		if (!cdone) {
			if ((r = SSL_do_handshake(c)) == 1)
				cdone = 1;
			else if ((e = SSL_get_error(c, r)) !=
			    SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				goto fail;
		}
		if (!sdone) {
			if ((r = SSL_do_handshake(s)) == 1)
				sdone = 1;
			else if ((e = SSL_get_error(s, r)) !=
			    SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				goto fail;
		}
	}
	if (!(cdone && sdone))
		goto fail;
	*cp = c;
	*sp = s;
	return 1;
fail:
	SSL_free(c);
	SSL_free(s);
	return 0;
}

/*
 * A handshake that must fail: the reason the server's log line would
 * give (the first error of its queue, as conn_tls_reason reads it).
 */
static const char *
failed_reason(SSL_CTX *sctx, SSL_CTX *cctx)
{
	static char buf[256];
	SSL *c, *s;
	unsigned long e;
	const char *r;

	ERR_clear_error();
	if (handshake(sctx, cctx, &c, &s) == 1) {
		SSL_free(c);
		SSL_free(s);
		return "it succeeded";
	}
	e = ERR_get_error();
	r = ERR_reason_error_string(e);
	snprintf(buf, sizeof(buf), "%s", r != NULL ? r : "?");
	ERR_clear_error();
	return buf;
}

static SSL_CTX *
client_ctx(int version, const char *sigalgs)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	if (c == NULL)
		return NULL;
	SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_min_proto_version(c, version);
	SSL_CTX_set_max_proto_version(c, version);
	if (sigalgs != NULL)
		SSL_CTX_set1_sigalgs_list(c, sigalgs);
	return c;
}

/* One handshake of version (and sigalgs); the signature scheme used. */
static int
signs(SSL_CTX *sctx, int version, const char *sigalgs, int *sig_nid)
{
	SSL_CTX *cctx = client_ctx(version, sigalgs);
	SSL *c, *s;
	int ok;

	*sig_nid = NID_undef;
	ERR_clear_error();
	ok = cctx != NULL && handshake(sctx, cctx, &c, &s) == 1;
	if (ok) {
		ok = SSL_version(c) == version;
		(void)SSL_get_peer_signature_type_nid(c, sig_nid);
		SSL_free(c);
		SSL_free(s);
	} else
		ERR_print_errors_fp(stderr);
	SSL_CTX_free(cctx);
	return ok;
}

/* A key, its self-signed certificate, a context without the key. */
struct pair {
	EVP_PKEY	*key;
	X509		*crt;
	unsigned char	 id[TLS_KEY_ID_LEN];
	SSL_CTX		*ctx;
};

static int
pair_make(struct pair *p, EVP_PKEY *key, X509 *const *chain, int n)
{
	struct tls_pem crt;
	char fp[TLS_FINGERPRINT_SIZE], err[512];
	size_t len = 0;

	memset(p, 0, sizeof(*p));
	p->key = key;
	p->crt = chain[0];
	crt.path = "test.crt";
	if ((crt.data = certs_pem(chain, n, &len)) == NULL)
		return -1;
	crt.len = len;
	p->ctx = tls_context_from_pem(&crt, NULL, fp, err, sizeof(err));
	free(crt.data);
	if (p->ctx == NULL) {
		fprintf(stderr, "context: %s\n", err);
		return -1;
	}
	/* The server's stand-in has no private half. */
	return tls_cert_id(p->crt, p->id);
}

static void
pair_free(struct pair *p)
{
	SSL_CTX_free(p->ctx);
}

/* Nothing private can be had of key: no encoding of it. */
static int
no_private_half(EVP_PKEY *key)
{
	unsigned char *der = NULL;
	int n;

	if (key == NULL)
		return 0;
	n = i2d_PrivateKey(key, &der);
	OPENSSL_free(der);
	ERR_clear_error();
	return n <= 0;
}

static void
test_key_types(void)
{
	static const struct {
		const char	*name, *type, *curve;
		size_t		 bits;
		int		 tls13_sig, tls12_sig;
	} kinds[] = {
		{ "P-256", "EC", "P-256", 0, EVP_PKEY_EC, EVP_PKEY_EC },
		{ "P-384", "EC", "P-384", 0, EVP_PKEY_EC, EVP_PKEY_EC },
		{ "RSA 2048", "RSA", NULL, 2048, NID_rsassaPss,
		  NID_rsassaPss },
		{ "RSA 4096", "RSA", NULL, 4096, NID_rsassaPss,
		  NID_rsassaPss },
	};
	struct key_table *t;
	struct signer sg;
	struct tls_key_channel ch;
	struct pair p;
	EVP_PKEY *key;
	X509 *crt;
	size_t i;
	int fd, nid;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		key = make_key(kinds[i].type, kinds[i].curve, kinds[i].bits);
		CHECK(key != NULL);
		crt = key != NULL ? make_cert(key, "localhost", NULL, NULL,
		    0) : NULL;
		CHECK(crt != NULL);
		if (crt == NULL) {
			EVP_PKEY_free(key);
			continue;
		}
		CHECK_INT(pair_make(&p, key, &crt, 1), 0);
		t = key_table_new();
		key_table_begin(t, 1);
		EVP_PKEY_up_ref(key);
		CHECK_INT(key_table_put(t, p.id, key), 0);
		key_table_activate(t, 1, time(NULL));
		CHECK_INT(signer_start(&sg, t, &fd), 0);
		tls_key_channel_init(&ch, fd);
		tls_key_channel_bind(&ch);
		if (p.ctx != NULL) {
			/* The context holds no private key of its own. */
			CHECK(no_private_half(SSL_CTX_get0_privatekey(p.ctx)));
			CHECK(signs(p.ctx, TLS1_3_VERSION, NULL, &nid));
			CHECK_INT(nid, kinds[i].tls13_sig);
			CHECK(signs(p.ctx, TLS1_2_VERSION, NULL, &nid));
			CHECK_INT(nid, kinds[i].tls12_sig);
			if (strcmp(kinds[i].type, "RSA") == 0) {
				/* PKCS#1 v1.5, which TLS 1.2 allows. */
				CHECK(signs(p.ctx, TLS1_2_VERSION,
				    "RSA+SHA256", &nid));
				CHECK_INT(nid, NID_rsaEncryption);
			}
		}
		printf("%s: signed by the key process\n", kinds[i].name);
		tls_key_channel_bind(NULL);
		tls_key_channel_close(&ch);
		signer_stop(&sg);
		key_table_free(t);
		pair_free(&p);
		X509_free(crt);
		EVP_PKEY_free(key);
	}
}

/* A leaf signed by an intermediate: the chain goes out whole. */
static void
test_chain(void)
{
	EVP_PKEY *cakey = make_key("EC", "P-256", 0);
	EVP_PKEY *key = make_key("EC", "P-256", 0);
	X509 *ca = make_cert(cakey, "Test CA", NULL, NULL, 1);
	X509 *leaf = key != NULL && ca != NULL ?
	    make_cert(key, "localhost", cakey, ca, 0) : NULL;
	X509 *chain[2] = { leaf, ca };
	struct key_table *t = key_table_new();
	struct tls_key_channel ch;
	struct signer sg;
	struct pair p;
	SSL_CTX *cctx;
	SSL *c, *s;
	int fd;

	CHECK(leaf != NULL);
	if (leaf == NULL)
		goto out;
	CHECK_INT(pair_make(&p, key, chain, 2), 0);
	key_table_begin(t, 1);
	EVP_PKEY_up_ref(key);
	CHECK_INT(key_table_put(t, p.id, key), 0);
	key_table_activate(t, 1, time(NULL));
	CHECK_INT(signer_start(&sg, t, &fd), 0);
	tls_key_channel_init(&ch, fd);
	tls_key_channel_bind(&ch);
	cctx = client_ctx(TLS1_3_VERSION, NULL);
	CHECK_INT(handshake(p.ctx, cctx, &c, &s), 1);
	if (c != NULL)
		CHECK_INT(sk_X509_num(SSL_get_peer_cert_chain(c)), 2);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	tls_key_channel_bind(NULL);
	tls_key_channel_close(&ch);
	signer_stop(&sg);
	pair_free(&p);
out:
	key_table_free(t);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
}

/* A signer that holds its first answer until told. */
struct slow {
	struct signer	 sg;
	pthread_mutex_t	 lock;
	pthread_cond_t	 go;
	int		 released;
	int		 sent;		/* the late answer is out */
};

static void *
slow_main(void *arg)
{
	struct slow *sl = arg;
	struct tls_key_request req;
	struct tls_key_reply rep;
	EVP_PKEY *key;
	ssize_t n;
	size_t len;

	if ((n = recv(sl->sg.fd, &req, sizeof(req), 0)) <= 0)
		return NULL;
	pthread_mutex_lock(&sl->lock);
	while (!sl->released)
		pthread_cond_wait(&sl->go, &sl->lock);
	pthread_mutex_unlock(&sl->lock);
	/* The late answer, then the usual service. */
	key = key_table_get(sl->sg.table, req.key);
	len = tls_key_answer(key, &req, (size_t)n, &rep);
	EVP_PKEY_free(key);
	(void)send(sl->sg.fd, &rep, len, MSG_NOSIGNAL);
	pthread_mutex_lock(&sl->lock);
	sl->sent = 1;
	pthread_cond_broadcast(&sl->go);
	pthread_mutex_unlock(&sl->lock);
	key_process_answer(sl->sg.table, sl->sg.fd);
	return NULL;
}

static void
test_failures(void)
{
	EVP_PKEY *key = make_key("EC", "P-256", 0);
	X509 *crt = key != NULL ? make_cert(key, "localhost", NULL, NULL, 0) :
	    NULL;
	struct key_table *t = key_table_new();
	struct tls_key_channel ch;
	struct signer sg;
	struct slow sl;
	struct pair p;
	SSL_CTX *cctx = client_ctx(TLS1_3_VERSION, NULL);
	time_t t0;
	int fd, sv[2], nid;

	CHECK(crt != NULL);
	if (crt == NULL)
		goto out;
	CHECK_INT(pair_make(&p, key, &crt, 1), 0);
	key_table_begin(t, 1);
	EVP_PKEY_up_ref(key);
	CHECK_INT(key_table_put(t, p.id, key), 0);
	key_table_activate(t, 1, time(NULL));

	/* A thread with no channel (the server's main thread). */
	tls_key_channel_bind(NULL);
	CHECK_STR(failed_reason(p.ctx, cctx),
	    "no channel to the key process on this thread");

	/* The key process dies: handshakes fail, and say why. */
	CHECK_INT(signer_start(&sg, t, &fd), 0);
	tls_key_channel_init(&ch, fd);
	tls_key_channel_bind(&ch);
	CHECK(signs(p.ctx, TLS1_3_VERSION, NULL, &nid));
	signer_stop(&sg);
	CHECK_STR(failed_reason(p.ctx, cctx),
	    "the key process is not reachable");
	CHECK_STR(failed_reason(p.ctx, cctx),
	    "the key process is not reachable");
	/* Another one runs: its socket is given, and handshakes sign again. */
	CHECK_INT(signer_start(&sg, t, &fd), 0);
	tls_key_channel_give(&ch, fd);
	CHECK(signs(p.ctx, TLS1_2_VERSION, NULL, &nid));
	CHECK(signs(p.ctx, TLS1_3_VERSION, NULL, &nid));

	/* A key the key process does not hold (dropped after its reload). */
	key_table_begin(t, 2);
	key_table_activate(t, 2, time(NULL));
	CHECK(signs(p.ctx, TLS1_3_VERSION, NULL, &nid));	/* retiring */
	CHECK(key_table_sweep(t, time(NULL) + KEY_RETIRE_SEC) == 0);
	CHECK_STR(failed_reason(p.ctx, cctx),
	    "the key process does not hold this certificate's key");
	signer_stop(&sg);
	tls_key_channel_close(&ch);

	/* Silent: the handshake fails in time; its late answer is dropped. */
	key_table_begin(t, 3);
	EVP_PKEY_up_ref(key);
	CHECK_INT(key_table_put(t, p.id, key), 0);
	key_table_activate(t, 3, time(NULL));
	memset(&sl, 0, sizeof(sl));
	pthread_mutex_init(&sl.lock, NULL);
	pthread_cond_init(&sl.go, NULL);
	CHECK_INT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	sl.sg.table = t;
	sl.sg.fd = sv[1];
	CHECK_INT(pthread_create(&sl.sg.thread, NULL, slow_main, &sl), 0);
	tls_key_channel_init(&ch, sv[0]);
	t0 = time(NULL);
	CHECK_STR(failed_reason(p.ctx, cctx),
	    "the key process did not answer in time");
	CHECK(time(NULL) - t0 >= 1);
	/* Until its answer comes, the next ones fail without waiting. */
	t0 = time(NULL);
	CHECK_STR(failed_reason(p.ctx, cctx),
	    "the key process did not answer in time");
	CHECK_STR(failed_reason(p.ctx, cctx),
	    "the key process did not answer in time");
	CHECK(time(NULL) - t0 <= 1);
	pthread_mutex_lock(&sl.lock);
	sl.released = 1;
	pthread_cond_broadcast(&sl.go);
	while (!sl.sent)
		pthread_cond_wait(&sl.go, &sl.lock);
	pthread_mutex_unlock(&sl.lock);
	CHECK(signs(p.ctx, TLS1_3_VERSION, NULL, &nid));
	CHECK(signs(p.ctx, TLS1_3_VERSION, NULL, &nid));
	tls_key_channel_bind(NULL);
	tls_key_channel_close(&ch);
	signer_stop(&sl.sg);
	pthread_cond_destroy(&sl.go);
	pthread_mutex_destroy(&sl.lock);
	pair_free(&p);
out:
	SSL_CTX_free(cctx);
	key_table_free(t);
	X509_free(crt);
	EVP_PKEY_free(key);
}

#ifndef ATTACHE_SANITIZED
/* Parking: the handshake pauses in its job; the "loop" reads answers. */
static int woken;

static void
wake(void *asker)
{
	(void)asker;
	woken++;
}

static int watched;

static void
watch(void *arg)
{
	(void)arg;
	watched++;
}

/*
 * A handshake with the server's SSL in async mode, driven as the worker
 * drives it: on SSL_ERROR_WANT_ASYNC the channel's answers are read (at
 * most wait_ms for one) and the handshake goes on once woken.  Returns 1
 * when both ends finish, 0 when one fails, -1 when the server is still
 * parked after wait_ms (*sp is then the parked SSL, the caller's); *parks
 * says how often it parked.
 */
static int
parked_handshake(SSL_CTX *sctx, SSL_CTX *cctx, struct tls_key_channel *ch,
    int wait_ms, SSL **sp, int *parks)
{
	SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
	BIO *cb = NULL, *sb = NULL;
	struct pollfd pfd;
	int cdone = 0, sdone = 0, i, r, e;

	*sp = NULL;
	*parks = 0;
	if (c == NULL || s == NULL || BIO_new_bio_pair(&cb, 0, &sb, 0) != 1)
		goto fail;
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	SSL_set_mode(s, SSL_MODE_ASYNC);
	for (i = 0; i < 64 && !(cdone && sdone); i++) {
		if (!cdone) {
			if ((r = SSL_do_handshake(c)) == 1)
				cdone = 1;
			else if ((e = SSL_get_error(c, r)) !=
			    SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				goto fail;
		}
		if (sdone)
			continue;
		tls_key_asker(s);
		r = SSL_do_handshake(s);
		tls_key_asker(NULL);
		if (r == 1) {
			sdone = 1;
			continue;
		}
		if ((e = SSL_get_error(s, r)) == SSL_ERROR_WANT_ASYNC) {
			(*parks)++;
			woken = 0;
			pfd.fd = tls_key_channel_fd(ch);
			pfd.events = POLLIN;
			while (woken == 0 && pfd.fd != -1 &&
			    poll(&pfd, 1, wait_ms) == 1)
				if (tls_key_channel_read(ch) == -1) {
					tls_key_channel_drop(ch);
					break;
				}
			if (woken == 0) {
				*sp = s;
				SSL_free(c);
				return -1;
			}
			i--;
			continue;
		}
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			goto fail;
	}
	SSL_free(c);
	SSL_free(s);
	return cdone && sdone ? 1 : 0;
fail:
	SSL_free(c);
	SSL_free(s);
	return 0;
}

static void
test_parking(void)
{
	static const char *types[][2] = { { "EC", "P-256" }, { "RSA", NULL } };
	struct key_table *t = key_table_new();
	struct tls_key_channel ch;
	struct signer sg;
	struct slow sl;
	struct pair p;
	EVP_PKEY *key;
	X509 *crt;
	SSL_CTX *cctx;
	SSL *s;
	size_t i;
	int fd, sv[2], v, j, parks, unparked;

	for (i = 0; i < 2; i++) {
		key = make_key(types[i][0], types[i][1], 2048);
		crt = make_cert(key, "localhost", NULL, NULL, 0);
		CHECK(crt != NULL && pair_make(&p, key, &crt, 1) == 0);
		key_table_begin(t, i + 1);
		EVP_PKEY_up_ref(key);
		CHECK_INT(key_table_put(t, p.id, key), 0);
		key_table_activate(t, i + 1, time(NULL));
		CHECK_INT(signer_start(&sg, t, &fd), 0);
		tls_key_channel_init(&ch, fd);
		tls_key_channel_park(&ch, wake, watch, NULL);
		tls_key_channel_bind(&ch);
		/*
		 * RSA parks at once; P-256 is awaited TLS_KEY_BRIEF_US
		 * first, and parks only when its answer is that late (a
		 * busy machine): of 20, most go through unparked.
		 */
		for (v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
			cctx = client_ctx(v, NULL);
			for (j = unparked = 0; j < 20; j++) {
				watched = 0;
				CHECK_INT(parked_handshake(p.ctx, cctx, &ch,
				    5000, &s, &parks), 1);
				CHECK_INT(parks, watched);
				if (i == 1)
					CHECK_INT(parks, 1);
				unparked += parks == 0;
			}
			if (i == 0)
				CHECK(unparked > 0);
			SSL_CTX_free(cctx);
		}
		/* The key process dies: the next one fails at once. */
		cctx = client_ctx(TLS1_3_VERSION, NULL);
		signer_stop(&sg);
		CHECK_INT(parked_handshake(p.ctx, cctx, &ch, 5000, &s, &parks),
		    0);
		CHECK_INT(parks, 0);
		/* Another one: its socket is taken by the loop. */
		CHECK_INT(signer_start(&sg, t, &fd), 0);
		tls_key_channel_give(&ch, fd);
		CHECK_INT(tls_key_channel_fd(&ch), fd);
		CHECK_INT(parked_handshake(p.ctx, cctx, &ch, 5000, &s, &parks),
		    1);
		SSL_CTX_free(cctx);
		tls_key_channel_bind(NULL);
		signer_stop(&sg);
		tls_key_channel_close(&ch);
		pair_free(&p);
		X509_free(crt);
		EVP_PKEY_free(key);
	}

	/*
	 * Silent: the parked handshake waits; its connection going, it is
	 * cancelled and driven to its end; past TLS_KEY_WAIT_MS, expire fails
	 * the parked ones and the next fail at once, until an answer.
	 */
	key = make_key("EC", "P-256", 0);
	crt = make_cert(key, "localhost", NULL, NULL, 0);
	CHECK(crt != NULL && pair_make(&p, key, &crt, 1) == 0);
	key_table_begin(t, 9);
	EVP_PKEY_up_ref(key);
	CHECK_INT(key_table_put(t, p.id, key), 0);
	key_table_activate(t, 9, time(NULL));
	memset(&sl, 0, sizeof(sl));
	pthread_mutex_init(&sl.lock, NULL);
	pthread_cond_init(&sl.go, NULL);
	CHECK_INT(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	sl.sg.table = t;
	sl.sg.fd = sv[1];
	CHECK_INT(pthread_create(&sl.sg.thread, NULL, slow_main, &sl), 0);
	tls_key_channel_init(&ch, sv[0]);
	tls_key_channel_park(&ch, wake, watch, NULL);
	tls_key_channel_bind(&ch);
	cctx = client_ctx(TLS1_3_VERSION, NULL);
	CHECK_INT(parked_handshake(p.ctx, cctx, &ch, 100, &s, &parks), -1);
	CHECK_INT(tls_key_channel_expire(&ch), 1);
	CHECK_INT(tls_key_cancel(s), 1);
	CHECK(SSL_do_handshake(s) != 1);
	ERR_clear_error();
	SSL_free(s);
	CHECK_INT(tls_key_channel_expire(&ch), 0);
	/* Another parks; TLS_KEY_WAIT_MS later it fails, and so does the
	 * next, at once. */
	CHECK_INT(parked_handshake(p.ctx, cctx, &ch, 100, &s, &parks), -1);
	usleep((TLS_KEY_WAIT_MS + 100) * 1000);
	woken = 0;
	CHECK_INT(tls_key_channel_expire(&ch), 0);
	CHECK_INT(woken, 1);
	CHECK(SSL_do_handshake(s) != 1);
	ERR_clear_error();
	SSL_free(s);
	CHECK_STR(failed_reason(p.ctx, cctx),
	    "the key process did not answer in time");
	/* It answers (late): requests go again. */
	pthread_mutex_lock(&sl.lock);
	sl.released = 1;
	pthread_cond_broadcast(&sl.go);
	while (!sl.sent)
		pthread_cond_wait(&sl.go, &sl.lock);
	pthread_mutex_unlock(&sl.lock);
	CHECK_INT(tls_key_channel_read(&ch), 0);
	CHECK_INT(parked_handshake(p.ctx, cctx, &ch, 5000, &s, &parks), 1);
	SSL_CTX_free(cctx);
	tls_key_channel_bind(NULL);
	tls_key_channel_close(&ch);
	signer_stop(&sl.sg);
	pthread_cond_destroy(&sl.go);
	pthread_mutex_destroy(&sl.lock);
	pair_free(&p);
	X509_free(crt);
	EVP_PKEY_free(key);
	key_table_free(t);
}
#endif

/* Reloads: new keys beside the old, the old retired, a failure undone. */
static void
test_table(void)
{
	unsigned char a[TLS_KEY_ID_LEN], b[TLS_KEY_ID_LEN];
	struct key_table *t = key_table_new();
	EVP_PKEY *ka = make_key("EC", "P-256", 0);
	EVP_PKEY *kb = make_key("EC", "P-256", 0);
	EVP_PKEY *got;
	time_t now = 1000000;

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	key_table_begin(t, 1);
	EVP_PKEY_up_ref(ka);
	CHECK_INT(key_table_put(t, a, ka), 0);
	key_table_activate(t, 1, now);
	/* A reload renews the key: both sign until the switch is done. */
	key_table_begin(t, 2);
	EVP_PKEY_up_ref(kb);
	CHECK_INT(key_table_put(t, b, kb), 0);
	CHECK((got = key_table_get(t, a)) == ka);
	EVP_PKEY_free(got);
	CHECK((got = key_table_get(t, b)) == kb);
	EVP_PKEY_free(got);
	/* It failed: the new key retires, the old one stays. */
	key_table_activate(t, 1, now);
	CHECK_INT(key_table_sweep(t, now + KEY_RETIRE_SEC - 1), 2);
	CHECK_INT(key_table_sweep(t, now + KEY_RETIRE_SEC), 1);
	CHECK(key_table_get(t, b) == NULL);
	CHECK((got = key_table_get(t, a)) == ka);
	EVP_PKEY_free(got);
	/* Again, and it serves: the old key signs KEY_RETIRE_SEC more. */
	key_table_begin(t, 3);
	EVP_PKEY_up_ref(kb);
	CHECK_INT(key_table_put(t, b, kb), 0);
	key_table_activate(t, 3, now + 100);
	CHECK_INT(key_table_sweep(t, now + 100 + KEY_RETIRE_SEC - 1), 2);
	CHECK_INT(key_table_sweep(t, now + 100 + KEY_RETIRE_SEC), 1);
	CHECK(key_table_get(t, a) == NULL);
	/* A key kept by the next reload is not retired. */
	key_table_begin(t, 4);
	EVP_PKEY_up_ref(kb);
	CHECK_INT(key_table_put(t, b, kb), 0);
	key_table_activate(t, 4, now + 200);
	CHECK_INT(key_table_sweep(t, now + 10000), 1);
	key_table_free(t);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
}

int
main(void)
{
	test_table();
	test_key_types();
	test_chain();
	test_failures();
#ifndef ATTACHE_SANITIZED
	test_parking();
#else
	unit_skip("tls_keys", "parked handshakes not tested: OpenSSL's jobs "
	    "switch stacks where AddressSanitizer cannot follow");
#endif
	return unit_done("tls_keys");
}
