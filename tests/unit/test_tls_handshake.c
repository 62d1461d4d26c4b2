/*
 * Unit tests for src/tls.c: handshakes over memory BIO pairs against the
 * server context (a certificate generated for them): versions, the suites
 * chosen, resumption, SNI.
 */
#include <sys/stat.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls.h"
#include "unit.h"

static char	root[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Drives both ends of a handshake over a BIO pair; 1 when both finish. */
static int
handshake(SSL_CTX *sctx, SSL_CTX *cctx, const char *sni, SSL_SESSION *sess,
    SSL **cp, SSL **sp)
{
	SSL	*c = NULL, *s = NULL;
	BIO	*cb = NULL, *sb = NULL;
	int	 cdone = 0, sdone = 0, i, r, e;

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
	if (sni != NULL && SSL_set_tlsext_host_name(c, sni) != 1)
		goto fail;
	if (sess != NULL && SSL_set_session(c, sess) != 1)
		goto fail;
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

/* Whether the error queue holds an SSL error with this reason; empties it. */
static int
queue_has(int reason)
{
	unsigned long	e;
	int		found = 0;

	while ((e = ERR_get_error()) != 0)
		if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
		    ERR_GET_REASON(e) == reason)
			found = 1;
	return found;
}

static SSL_CTX *
client_ctx(int maxver)
{
	SSL_CTX	*c;

	if ((c = SSL_CTX_new(TLS_client_method())) == NULL)
		return NULL;
	/* Gemini clients pin on first use rather than verify a chain. */
	SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	if (maxver != 0 && SSL_CTX_set_max_proto_version(c, maxver) != 1) {
		SSL_CTX_free(c);
		return NULL;
	}
	return c;
}

/*
 * A resumption with a fresh ticket gets no new one (tls.c): after data
 * has flowed, the client still holds the ticket it came with.
 */
static void
same_ticket_kept(SSL *c, SSL *s, SSL_SESSION *used)
{
	const unsigned char *t1, *t2;
	SSL_SESSION *now;
	size_t l1, l2;
	char buf[16];

	CHECK_INT(SSL_write(s, "hi", 2), 2);
	CHECK_INT(SSL_read(c, buf, sizeof(buf)), 2);
	now = SSL_get1_session(c);
	CHECK(now != NULL && SSL_SESSION_is_resumable(now));
	if (now == NULL)
		return;
	SSL_SESSION_get0_ticket(used, &t1, &l1);
	SSL_SESSION_get0_ticket(now, &t2, &l2);
	CHECK(l1 > 0);
	CHECK(l1 == l2 && memcmp(t1, t2, l1) == 0);
	SSL_SESSION_free(now);
}

static void
test_handshakes(void)
{
	struct tls_cert_info	 info;
	char			 dir[256], err[512], fp[128], buf[16];
	const char		*name;
	SSL_CTX			*sctx, *cctx, *old;
	SSL			*c, *s;
	SSL_SESSION		*sess;

	snprintf(dir, sizeof(dir), "%s/certs", root);
	sctx = tls_context_new(dir, "localhost", 1, &info, err, sizeof(err));
	CHECK(sctx != NULL);
	if (sctx == NULL)
		return;

	/* TLS 1.3 by default, with SNI: the client sees our certificate. */
	cctx = client_ctx(0);
	CHECK(cctx != NULL);
	CHECK_INT(handshake(sctx, cctx, "localhost", NULL, &c, &s), 1);
	if (c != NULL) {
		X509	*peer;

		CHECK_INT(SSL_version(c), TLS1_3_VERSION);
		/* An OpenSSL client lists AES-256-GCM first; ours wins. */
		CHECK_STR(SSL_get_cipher_name(c), "TLS_AES_128_GCM_SHA256");
		CHECK_STR(SSL_get_servername(s, TLSEXT_NAMETYPE_host_name),
		    "localhost");
		peer = SSL_get1_peer_certificate(c);
		CHECK(peer != NULL);
		CHECK_INT(tls_fingerprint(peer, fp, sizeof(fp)), 0);
		CHECK_STR(fp, info.fingerprint);
		X509_free(peer);

		/* Read the tickets that follow the handshake, then resume. */
		CHECK_INT(SSL_write(s, "hi", 2), 2);
		CHECK_INT(SSL_read(c, buf, sizeof(buf)), 2);
		sess = SSL_get1_session(c);
		CHECK(sess != NULL && SSL_SESSION_is_resumable(sess));
		/* Closed without close_notify, a session is not resumable. */
		CHECK(SSL_shutdown(s) >= 0);
		CHECK(SSL_shutdown(c) >= 0);
		SSL_free(c);
		SSL_free(s);
		CHECK_INT(handshake(sctx, cctx, "localhost", sess, &c, &s), 1);
		if (c != NULL) {
			CHECK_INT(SSL_session_reused(c), 1);
			CHECK_INT(SSL_session_reused(s), 1);
			same_ticket_kept(c, s, sess);
		}
		SSL_free(c);
		SSL_free(s);
		SSL_SESSION_free(sess);
	}

	/* No SNI (an IP-literal client), or a name not ours: still served. */
	CHECK_INT(handshake(sctx, cctx, NULL, NULL, &c, &s), 1);
	if (s != NULL)
		CHECK(SSL_get_servername(s, TLSEXT_NAMETYPE_host_name) == NULL);
	SSL_free(c);
	SSL_free(s);
	CHECK_INT(handshake(sctx, cctx, "other.example", NULL, &c, &s), 1);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);

	/* A client that lists ChaCha20 first (no AES hardware) gets it. */
	cctx = client_ctx(TLS1_3_VERSION);
	CHECK(cctx != NULL);
	CHECK_INT(SSL_CTX_set_ciphersuites(cctx, "TLS_CHACHA20_POLY1305_SHA256:"
	    "TLS_AES_128_GCM_SHA256"), 1);
	CHECK_INT(handshake(sctx, cctx, "localhost", NULL, &c, &s), 1);
	if (c != NULL)
		CHECK_STR(SSL_get_cipher_name(c), "TLS_CHACHA20_POLY1305_SHA256");
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);

	/* TLS 1.2 still works, with an AEAD suite. */
	cctx = client_ctx(TLS1_2_VERSION);
	CHECK(cctx != NULL);
	CHECK_INT(handshake(sctx, cctx, "localhost", NULL, &c, &s), 1);
	if (c != NULL) {
		CHECK_INT(SSL_version(c), TLS1_2_VERSION);
		name = SSL_get_cipher_name(c);
		/* The server's order: AES-128-GCM before what clients list. */
		CHECK_STR(name, "ECDHE-ECDSA-AES128-GCM-SHA256");
	}
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);

	/*
	 * TLS 1.1 is refused.  The client is made willing (security level
	 * 0), and shown to connect to a server that allows 1.1, so that the
	 * refusal is ours.
	 */
	cctx = client_ctx(TLS1_1_VERSION);
	CHECK(cctx != NULL);
	CHECK_INT(SSL_CTX_set_min_proto_version(cctx, TLS1_VERSION), 1);
	CHECK_INT(SSL_CTX_set_cipher_list(cctx, "DEFAULT:@SECLEVEL=0"), 1);
	old = SSL_CTX_new(TLS_server_method());
	CHECK(old != NULL);
	if (old != NULL) {
		CHECK_INT(SSL_CTX_set_min_proto_version(old, TLS1_VERSION), 1);
		CHECK_INT(SSL_CTX_set_cipher_list(old, "DEFAULT:@SECLEVEL=0"),
		    1);
		CHECK_INT(SSL_CTX_use_certificate(old,
		    SSL_CTX_get0_certificate(sctx)), 1);
		CHECK_INT(SSL_CTX_use_PrivateKey(old,
		    SSL_CTX_get0_privatekey(sctx)), 1);
		CHECK_INT(handshake(old, cctx, "localhost", NULL, &c, &s), 1);
		if (c != NULL)
			CHECK_INT(SSL_version(c), TLS1_1_VERSION);
		SSL_free(c);
		SSL_free(s);
		SSL_CTX_free(old);
	}
	ERR_clear_error();
	CHECK_INT(handshake(sctx, cctx, "localhost", NULL, &c, &s), 0);
	CHECK(queue_has(SSL_R_UNSUPPORTED_PROTOCOL));
	SSL_CTX_free(cctx);

	SSL_CTX_free(sctx);
	ERR_clear_error();
}

int
main(void)
{
	if (snprintf(root, sizeof(root), "/tmp/attache-tls-XXXXXX") < 0 ||
	    mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_handshakes();
	if (nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		perror(root);
	return unit_done("tls_handshake");
}
