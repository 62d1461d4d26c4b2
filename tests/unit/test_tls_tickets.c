/*
 * Unit tests for the session ticket keys (tls_tickets.c): a ticket resumes
 * under its key and the next one (and is then renewed), not after a second
 * rotation; two contexts that share the store (a reload) resume each
 * other's; over TLS 1.3 and 1.2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls.h"
#include "tls_tickets.h"
#include "unit.h"

/* A context for a new P-256 pair, its key in hand. */
static SSL_CTX *
server_ctx(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	BIO *bc = BIO_new(BIO_s_mem()), *bk = BIO_new(BIO_s_mem());
	struct tls_pem crt = { "t.crt", NULL, 0 }, kp = { "t.key", NULL, 0 };
	char fp[TLS_FINGERPRINT_SIZE], err[256], *p;
	SSL_CTX *ctx = NULL;
	long n;

	if (key == NULL || x == NULL || bc == NULL || bk == NULL)
		goto out;
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	if (X509_sign(x, key, EVP_sha256()) == 0 ||
	    PEM_write_bio_X509(bc, x) != 1 ||
	    PEM_write_bio_PrivateKey(bk, key, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	n = BIO_get_mem_data(bc, &p);
	crt.data = p;
	crt.len = (size_t)n;
	n = BIO_get_mem_data(bk, &p);
	kp.data = p;
	kp.len = (size_t)n;
	ctx = tls_context_from_pem(&crt, &kp, fp, err, sizeof(err));
out:
	BIO_free(bc);
	BIO_free(bk);
	X509_free(x);
	EVP_PKEY_free(key);
	return ctx;
}

/*
 * A handshake with session sess (NULL: none), some data read, and the
 * session the client holds then (its newest ticket).  Returns whether it
 * resumed, -1 when it failed.
 */
static int
connect_with(SSL_CTX *sctx, SSL_CTX *cctx, SSL_SESSION *sess,
    SSL_SESSION **now)
{
	SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
	BIO *cb = NULL, *sb = NULL;
	char buf[8];
	int i, cdone = 0, sdone = 0, r = -1;

	*now = NULL;
	if (c == NULL || s == NULL || BIO_new_bio_pair(&cb, 0, &sb, 0) != 1)
		goto out;
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	if (sess != NULL && SSL_set_session(c, sess) != 1)
		goto out;
	for (i = 0; i < 64 && !(cdone && sdone); i++) {
		if (!cdone && SSL_do_handshake(c) == 1)
			cdone = 1;
		if (!sdone && SSL_do_handshake(s) == 1)
			sdone = 1;
	}
	if (!(cdone && sdone))
		goto out;
	/* The TLS 1.3 ticket comes after the handshake, with data. */
	if (SSL_write(s, "hi", 2) != 2 || SSL_read(c, buf, sizeof(buf)) != 2)
		goto out;
	r = SSL_session_reused(c);
	*now = SSL_get1_session(c);
	/* Closed without close_notify, a session is not resumable. */
	(void)SSL_shutdown(s);
	(void)SSL_shutdown(c);
out:
	SSL_free(c);
	SSL_free(s);
	ERR_clear_error();
	return r;
}

static void
test_rotation(int version)
{
	struct tls_tickets *t = tls_tickets_new();
	SSL_CTX *sctx = server_ctx(), *other = server_ctx();
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL_SESSION *first, *now, *renewed;
	const unsigned char *t1, *t2;
	size_t l1, l2;

	CHECK(t != NULL && sctx != NULL && other != NULL && cctx != NULL);
	if (t == NULL || sctx == NULL || other == NULL || cctx == NULL)
		goto out;
	SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_min_proto_version(cctx, version);
	SSL_CTX_set_max_proto_version(cctx, version);
	/* Resumable across contexts: the same id context, as a reload has. */
	SSL_CTX_set_session_id_context(sctx, (const unsigned char *)"s", 1);
	SSL_CTX_set_session_id_context(other, (const unsigned char *)"s", 1);
	CHECK_INT(tls_tickets_use(sctx, t), 0);
	CHECK_INT(tls_tickets_use(other, t), 0);

	CHECK_INT(connect_with(sctx, cctx, NULL, &first), 0);
	CHECK(first != NULL && SSL_SESSION_is_resumable(first));
	if (first == NULL)
		goto out;
	/* Resumes under its key, and on another context of the store. */
	CHECK_INT(connect_with(sctx, cctx, first, &now), 1);
	SSL_SESSION_free(now);
	CHECK_INT(connect_with(other, cctx, first, &now), 1);
	SSL_SESSION_free(now);
	/* One rotation: it still resumes, and gets a new ticket. */
	CHECK_INT(tls_tickets_rotate(t), 0);
	CHECK_INT(connect_with(sctx, cctx, first, &renewed), 1);
	CHECK(renewed != NULL);
	if (renewed != NULL) {
		SSL_SESSION_get0_ticket(first, &t1, &l1);
		SSL_SESSION_get0_ticket(renewed, &t2, &l2);
		CHECK(l2 > 0 && (l1 != l2 || memcmp(t1, t2, l1) != 0));
	}
	/* Two: the first ticket makes a full handshake; the new one resumes. */
	CHECK_INT(tls_tickets_rotate(t), 0);
	CHECK_INT(connect_with(sctx, cctx, first, &now), 0);
	SSL_SESSION_free(now);
	if (renewed != NULL) {
		CHECK_INT(connect_with(sctx, cctx, renewed, &now), 1);
		SSL_SESSION_free(now);
	}
	SSL_SESSION_free(renewed);
	SSL_SESSION_free(first);
out:
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	SSL_CTX_free(other);
	tls_tickets_free(t);
}

int
main(void)
{
	test_rotation(TLS1_3_VERSION);
	test_rotation(TLS1_2_VERSION);
	return unit_done("tls_tickets");
}
