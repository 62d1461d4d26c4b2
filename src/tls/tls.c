/*
 * TLS set-up for Gemini.  The certificate pair lives in
 * <certdir>/<hostname>.{crt,key}; on the first run a self-signed ECDSA P-256
 * pair is created through the OpenSSL 3 API.  Gemini clients pin the
 * certificate on first use, so the generated one is valid for a century and
 * an existing file is never replaced: a half-present or mismatched pair is an
 * error for the operator to resolve, not something to repair silently.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "conf.h"
#include "tls.h"
#include "tls_error.h"
#include "tls_generate.h"
#include "tls_keys.h"
#include "tls_tickets.h"

#define TICKET_LIFETIME_SEC	(2 * 60 * 60)	/* OpenSSL's for TLS 1.3 */
#define TICKET_RENEW_SEC	(60 * 60)	/* a resumption renews after */

/*
 * AES-128-GCM first, as Go's crypto/tls and NSS choose: with AES in
 * hardware it is the cheapest suite, and as strong as a Gemini page needs.
 * OpenSSL clients (Lagrange, Python, curl) list AES-256-GCM first, and the
 * server's order decides; ChaCha20 goes first for a client that lists it
 * first (no AES hardware: SSL_OP_PRIORITIZE_CHACHA).  TLS 1.2: the same
 * order, forward secrecy and AEAD only.
 */
#define TLS13_SUITES	"TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:" \
			"TLS_AES_256_GCM_SHA384"
#define TLS12_CIPHERS	"ECDHE-ECDSA-AES128-GCM-SHA256:" \
			"ECDHE-ECDSA-CHACHA20-POLY1305:" \
			"ECDHE-ECDSA-AES256-GCM-SHA384:" \
			"ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:" \
			"ECDHE-RSA-AES256-GCM-SHA384"

/* Sessions are only resumed by contexts with the same id context. */
static const unsigned char session_id_ctx[] = "attache-gemini";

static int
make_path(char *out, size_t outsz, const char *dir, size_t dirlen,
    const char *host, const char *ext, char *err, size_t errlen)
{
	int	n;

	n = snprintf(out, outsz, "%.*s/%s.%s", (int)dirlen, dir, host, ext);
	if (n < 0 || (size_t)n >= outsz) {
		out[0] = '\0';
		tls_seterr(err, errlen, "certificate path for %s in %s is too long",
		    host, dir);
		return -1;
	}
	return 0;
}

/* 1 when path exists, 0 when it does not, -1 (err set) when we can't tell. */
static int
file_exists(const char *path, char *err, size_t errlen)
{
	struct stat	st;

	if (stat(path, &st) == 0)
		return 1;
	/* ENOTDIR: the directory is missing too (generation will say so). */
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	tls_seterr(err, errlen, "cannot access %s: %s", path, strerror(errno));
	return -1;
}

/*
 * A daemon must never stop at a passphrase prompt: refuse instead, and note
 * that a passphrase was wanted so the message can say so.
 */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(int *)u = 1;
	return -1;
}

/*
 * Client certificates are asked for where a site uses them
 * (tls_ask_client_cert) and any is taken, self-signed ones
 * above all (Gemini identities are): there is no chain to check, so
 * OpenSSL is not asked to build one (X509_verify_cert: 30 to 45 us of
 * the 0.6 ms a client certificate costs a handshake, docs/performance.md).
 * The handshake still checks the client's signature with the
 * certificate's key.  Who may enter where, and whether a certificate is
 * in date, is decided per request (zone.c), so a client without one is
 * served as before.
 *
 * A handshake that got a certificate holds its TLS 1.3 session ticket
 * back, for after the response (tls_ticket_owed): OpenSSL 3.0 encodes the
 * session, the certificate in it, then decodes and encodes it again to
 * make the ticket, about 0.26 ms that would come before the response's
 * first byte.  A resumption gets no certificate, and renews its ticket in
 * the handshake as before.
 */
static int
take_any_chain(X509_STORE_CTX *store, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store,
	    SSL_get_ex_data_X509_STORE_CTX_idx());

	(void)arg;
	if (ssl != NULL)
		(void)SSL_set_num_tickets(ssl, 0);
	return 1;
}

void
tls_ask_client_cert(SSL *ssl, int ask)
{
	SSL_set_verify(ssl, ask ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
}

int
tls_ticket_owed(SSL *ssl)
{
	return SSL_version(ssl) >= TLS1_3_VERSION && !SSL_session_reused(ssl) &&
	    SSL_get_num_tickets(ssl) == 0;
}

/*
 * Connections that came through a proxy, marked by tls_set_proxied: the
 * index is made once, the first time a context is configured.
 */
static pthread_once_t proxied_once = PTHREAD_ONCE_INIT;
static int proxied_index = -1;

static void
proxied_index_new(void)
{
	proxied_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

int
tls_set_proxied(SSL *ssl)
{
	static int mark;

	return proxied_index != -1 &&
	    SSL_set_ex_data(ssl, proxied_index, &mark) == 1 ? 0 : -1;
}

static int
is_proxied(SSL *ssl)
{
	return proxied_index != -1 &&
	    SSL_get_ex_data(ssl, proxied_index) != NULL;
}

/*
 * A resumed handshake gets no new ticket while the one it used is fresh:
 * writing a ticket (the session encoded, encrypted and MACed, one more
 * record and segment) costs about what resuming saves, the certificate's
 * signature.  The client keeps the ticket it has; past TICKET_RENEW_SEC a
 * resumption gets a new one, so a client that comes back never runs out.
 */
static SSL_TICKET_RETURN
ticket_decrypted(SSL *ssl, SSL_SESSION *sess, const unsigned char *keyname,
    size_t keyname_len, SSL_TICKET_STATUS status, void *arg)
{
	long age;

	(void)keyname;
	(void)keyname_len;
	(void)arg;
	switch (status) {
	case SSL_TICKET_SUCCESS:
	case SSL_TICKET_SUCCESS_RENEW:
		/*
		 * Behind a proxy only our bytes carry its ACK to the client,
		 * and a resumed TLS 1.2 handshake sends none after the
		 * client's Finished: its request would wait for the proxy's
		 * delayed ACK (40 ms).  A full handshake ends with ours.
		 */
		if (SSL_version(ssl) < TLS1_3_VERSION && is_proxied(ssl))
			return SSL_TICKET_RETURN_IGNORE_RENEW;
		/* Sealed with the key before the current one: a new one. */
		if (tls_tickets_old(ssl))
			return SSL_TICKET_RETURN_USE_RENEW;
		age = (long)time(NULL) - (long)SSL_SESSION_get_time(sess);
		return age >= 0 && age < TICKET_RENEW_SEC ?
		    SSL_TICKET_RETURN_USE : SSL_TICKET_RETURN_USE_RENEW;
	case SSL_TICKET_EMPTY:
	case SSL_TICKET_NO_DECRYPT:
		/* A full handshake, which gets a ticket. */
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	default:
		return SSL_TICKET_RETURN_IGNORE;
	}
}

static int
configure(SSL_CTX *ctx)
{
	if (pthread_once(&proxied_once, proxied_index_new) != 0 ||
	    proxied_index == -1)
		return -1;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		return -1;
	/*
	 * Our order of the AEAD suites, but ChaCha20 first for clients that
	 * prefer it (no AES hardware); no renegotiation to abuse.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
	/*
	 * Idle connections keep no read or write buffers.  The chain sent is
	 * the certificate file's, as given: no chain built at every handshake
	 * (perf: X509_verify_cert on a self-signed certificate, for nothing).
	 */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN);
	/*
	 * A read takes what the socket holds, not a record's header and then
	 * its body: a handshake and its request in about half the read()s.
	 * What is read beyond the handshake is served by conn_read_pending.
	 */
	SSL_CTX_set_read_ahead(ctx, 1);
	if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) != 1)
		return -1;
	/*
	 * Resumption (tickets stay on, the default) needs an id context once
	 * client certificates are requested; set it now so it always works.
	 */
	if (SSL_CTX_set_session_id_context(ctx, session_id_ctx,
	    sizeof(session_id_ctx) - 1) != 1)
		return -1;
	/*
	 * One TLS 1.3 ticket per handshake, not two: a Gemini client makes
	 * one request per connection and resumes with the newest ticket.
	 */
	if (SSL_CTX_set_num_tickets(ctx, 1) != 1)
		return -1;
	/* Never FAIL_IF_NO_PEER_CERT: a certificate is the client's choice. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, take_any_chain, NULL);
	SSL_CTX_set_timeout(ctx, TICKET_LIFETIME_SEC);
	if (SSL_CTX_set_session_ticket_cb(ctx, NULL, ticket_decrypted,
	    NULL) != 1)
		return -1;
	/*
	 * No servername callback: any SNI, or none (IP literals), gets this
	 * certificate; the Gemini layer checks the requested host.
	 */
	return 0;
}

/*
 * The leaf certificate, then the intermediates after it, as a full chain
 * file holds them (what SSL_CTX_use_certificate_chain_file does, from
 * memory).  Returns 1, or 0 with the reason in OpenSSL's error queue.
 */
static int
use_chain(SSL_CTX *ctx, const struct tls_pem *crt)
{
	BIO		*bio;
	X509		*x;
	unsigned long	 e;
	int		 ok = 0;

	if ((bio = BIO_new_mem_buf(crt->data, (int)crt->len)) == NULL)
		return 0;
	if ((x = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)) == NULL)
		goto done;
	ok = SSL_CTX_use_certificate(ctx, x) == 1 &&
	    SSL_CTX_clear_chain_certs(ctx) == 1;
	X509_free(x);
	while (ok && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			ok = 0;
		}
	/* The end of the file is "no start line": that one is no error. */
	e = ERR_peek_last_error();
	if (ok && ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
		ERR_clear_error();
	else if (ok && e != 0)
		ok = 0;
 done:
	BIO_free(bio);
	return ok;
}

/* The server context with the pair crt and key. */
static SSL_CTX *
load_ctx(const struct tls_pem *crt, const struct tls_pem *key, char *err,
    size_t errlen)
{
	char		 rbuf[256];
	SSL_CTX		*ctx;
	BIO		*bio = NULL;
	EVP_PKEY	*pkey = NULL;
	X509		*x;
	unsigned long	 e;
	int		 asked = 0, ok = 0;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    configure(ctx) == -1) {
		tls_seterr(err, errlen, "cannot set up a TLS context: %s",
		    tls_ssl_reason(rbuf, sizeof(rbuf)));
		goto done;
	}
	ERR_clear_error();
	if (!use_chain(ctx, crt) ||
	    (x = SSL_CTX_get0_certificate(ctx)) == NULL) {
		tls_seterr(err, errlen, "cannot load certificate %s: %s",
		    crt->path, tls_ssl_reason(rbuf, sizeof(rbuf)));
		goto done;
	}
	/* The key stays in the key process: its stand-in is made here. */
	if (key == NULL) {
		unsigned char id[TLS_KEY_ID_LEN];
		char why[256];

		if (tls_cert_id(x, id) == -1) {
			tls_seterr(err, errlen, "cannot compute the "
			    "fingerprint of %s", crt->path);
			goto done;
		}
		if ((pkey = tls_remote_key(x, id, why, sizeof(why))) == NULL) {
			tls_seterr(err, errlen, "cannot use certificate %s: %s",
			    crt->path, why);
			goto done;
		}
		goto use;
	}
	/*
	 * The key is read here rather than by SSL_CTX_use_PrivateKey so that
	 * a garbled key and a key of another certificate get different
	 * messages, and so that an encrypted key never prompts.
	 */
	if ((bio = BIO_new_mem_buf(key->data, (int)key->len)) == NULL) {
		tls_seterr(err, errlen, "cannot read private key %s: %s",
		    key->path, tls_ssl_reason(rbuf, sizeof(rbuf)));
		goto done;
	}
	if ((pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
	    &asked)) == NULL) {
		e = ERR_peek_error();
		if (asked)
			tls_seterr(err, errlen, "private key %s is encrypted; a "
			    "key without a passphrase is needed", key->path);
		else if (ERR_GET_LIB(e) == ERR_LIB_OSSL_DECODER &&
		    ERR_GET_REASON(e) == ERR_R_UNSUPPORTED)
			/* All the decoders said is "unsupported". */
			tls_seterr(err, errlen, "cannot load private key %s: no "
			    "PEM private key found in it", key->path);
		else
			tls_seterr(err, errlen, "cannot load private key %s: %s",
			    key->path, tls_ssl_reason(rbuf, sizeof(rbuf)));
		goto done;
	}
	if (!tls_key_supported(pkey)) {
		tls_seterr(err, errlen, "private key %s is %s: attache signs "
		    "with ECDSA and RSA keys only", key->path,
		    EVP_PKEY_get0_type_name(pkey) != NULL ?
		    EVP_PKEY_get0_type_name(pkey) : "of another type");
		goto done;
	}
	if (X509_check_private_key(x, pkey) != 1) {
		tls_seterr(err, errlen, "%s does not match %s (%s); refusing to "
		    "use this pair", key->path, crt->path,
		    tls_ssl_reason(rbuf, sizeof(rbuf)));
		goto done;
	}
use:
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		tls_seterr(err, errlen, "cannot use private key %s: %s",
		    key != NULL ? key->path : crt->path,
		    tls_ssl_reason(rbuf, sizeof(rbuf)));
		goto done;
	}
	ok = 1;

 done:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	if (!ok) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *
tls_context_new(const char *certdir, const char *hostname, int may_generate,
    struct tls_cert_info *info, char *err, size_t errlen)
{
	return tls_site_context_new(certdir, hostname, NULL, 0, may_generate,
	    info, err, errlen);
}

int
tls_pair_paths(const char *certdir, const char *hostname,
    struct tls_cert_info *info, char *err, size_t errlen)
{
	size_t	dirlen;

	memset(info, 0, sizeof(*info));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (certdir == NULL || certdir[0] == '\0') {
		tls_seterr(err, errlen, "no certificate directory given");
		return -1;
	}
	if (hostname == NULL || hostname[0] == '\0') {
		tls_seterr(err, errlen, "no hostname given for the certificate");
		return -1;
	}
	if (!conf_hostname_valid(hostname)) {
		tls_seterr(err, errlen, "hostname \"%s\" is neither a DNS name "
		    "nor an IP address; no certificate can name it", hostname);
		return -1;
	}
	/* "certs/" and "certs" name the same files. */
	dirlen = strlen(certdir);
	while (dirlen > 1 && certdir[dirlen - 1] == '/')
		dirlen--;
	if (dirlen == 1 && certdir[0] == '/')
		dirlen = 0;
	if (dirlen > sizeof(info->crt_path)) {
		tls_seterr(err, errlen, "certificate directory name is too long");
		return -1;
	}
	if (make_path(info->crt_path, sizeof(info->crt_path), certdir, dirlen,
	    hostname, "crt", err, errlen) == -1 ||
	    make_path(info->key_path, sizeof(info->key_path), certdir, dirlen,
	    hostname, "key", err, errlen) == -1)
		return -1;
	return 0;
}

int
tls_pair_ensure(const char *certdir, const char *hostname,
    const char *const *aliases, size_t naliases, int may_generate,
    struct tls_cert_info *info, char *err, size_t errlen)
{
	int	have_crt, have_key;

	/* Stale errors of the caller's would be blamed on us. */
	ERR_clear_error();
	if (tls_pair_paths(certdir, hostname, info, err, errlen) == -1)
		return -1;
	if ((have_crt = file_exists(info->crt_path, err, errlen)) == -1 ||
	    (have_key = file_exists(info->key_path, err, errlen)) == -1)
		return -1;
	if (have_crt != have_key) {
		tls_seterr(err, errlen, "%s exists but %s is missing; refusing to "
		    "generate a new pair over it",
		    have_crt ? info->crt_path : info->key_path,
		    have_crt ? info->key_path : info->crt_path);
		return -1;
	}
	if (!have_crt) {
		if (!may_generate) {
			tls_seterr(err, errlen, "%s and %s are missing (and not "
			    "to be generated)", info->crt_path,
			    info->key_path);
			return -1;
		}
		if (tls_generate_pair(certdir, hostname, aliases, naliases,
		    info->crt_path, info->key_path, err, errlen) == -1)
			return -1;
		info->generated = 1;
	}
	ERR_clear_error();
	return 0;
}

int
tls_pem_read(struct tls_pem *pem, const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	ssize_t		 r;
	size_t		 n = 0;
	int		 fd;

	memset(pem, 0, sizeof(*pem));
	pem->path = path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
	    fstat(fd, &st) == -1) {
		tls_seterr(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > TLS_PEM_MAX) {
		tls_seterr(err, errlen, "cannot read %s: %s", path,
		    S_ISREG(st.st_mode) ? "larger than 1 MiB" :
		    "not a regular file");
		(void)close(fd);
		return -1;
	}
	if ((pem->data = malloc((size_t)st.st_size + 1)) == NULL) {
		tls_seterr(err, errlen, "cannot read %s: out of memory", path);
		(void)close(fd);
		return -1;
	}
	while (n < (size_t)st.st_size) {
		r = read(fd, pem->data + n, (size_t)st.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	(void)close(fd);
	pem->len = n;
	return 0;
}

void
tls_pem_free(struct tls_pem *pem)
{
	if (pem->data != NULL)
		OPENSSL_cleanse(pem->data, pem->len);
	free(pem->data);
	pem->data = NULL;
	pem->len = 0;
}

int
tls_pem_certs(const struct tls_pem *pem, struct tls_pem *out, char *err,
    size_t errlen)
{
	BIO	*in, *mem = NULL;
	BUF_MEM	*bm;
	X509	*x;
	int	 n = 0, ok = 0;

	memset(out, 0, sizeof(*out));
	out->path = pem->path;
	if ((in = BIO_new_mem_buf(pem->data, (int)pem->len)) == NULL ||
	    (mem = BIO_new(BIO_s_mem())) == NULL)
		goto done;
	/* The leaf as use_chain reads it, then the intermediates. */
	while ((x = n == 0 ? PEM_read_bio_X509_AUX(in, NULL, NULL, NULL) :
	    PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
		ok = PEM_write_bio_X509(mem, x) == 1;
		X509_free(x);
		if (!ok)
			goto done;
		n++;
	}
	BIO_get_mem_ptr(mem, &bm);
	if (n == 0 || bm == NULL || (out->data = malloc(bm->length + 1)) ==
	    NULL) {
		ok = 0;
		goto done;
	}
	memcpy(out->data, bm->data, bm->length);
	out->data[bm->length] = '\0';
	out->len = bm->length;
	ok = 1;
done:
	BIO_free(in);
	BIO_free(mem);
	ERR_clear_error();
	if (!ok)
		tls_seterr(err, errlen, "cannot read the certificates of %s",
		    pem->path);
	return ok ? 0 : -1;
}

SSL_CTX *
tls_context_from_pem(const struct tls_pem *crt, const struct tls_pem *key,
    char *fingerprint, char *err, size_t errlen)
{
	SSL_CTX	*ctx;

	ERR_clear_error();
	if ((ctx = load_ctx(crt, key, err, errlen)) == NULL)
		goto done;
	if (tls_fingerprint(SSL_CTX_get0_certificate(ctx), fingerprint,
	    TLS_FINGERPRINT_SIZE) == -1) {
		tls_seterr(err, errlen, "cannot compute the fingerprint of %s",
		    crt->path);
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
 done:
	ERR_clear_error();
	return ctx;
}

SSL_CTX *
tls_site_context_new(const char *certdir, const char *hostname,
    const char *const *aliases, size_t naliases, int may_generate,
    struct tls_cert_info *info, char *err, size_t errlen)
{
	struct tls_cert_info	 local;
	struct tls_pem		 crt, key;
	SSL_CTX			*ctx = NULL;

	if (info == NULL)
		info = &local;
	if (tls_pair_ensure(certdir, hostname, aliases, naliases,
	    may_generate, info, err, errlen) == -1)
		return NULL;
	if (tls_pem_read(&crt, info->crt_path, err, errlen) == 0 &&
	    tls_pem_read(&key, info->key_path, err, errlen) == 0)
		ctx = tls_context_from_pem(&crt, &key, info->fingerprint, err,
		    errlen);
	tls_pem_free(&crt);
	tls_pem_free(&key);
	/* A pair we just made and cannot use is removed, not left behind. */
	if (ctx == NULL && info->generated) {
		(void)unlink(info->key_path);
		(void)unlink(info->crt_path);
		info->generated = 0;
	}
	return ctx;
}

int
tls_fingerprint(X509 *crt, char *out, size_t outsz)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 len = 0, i;

	if (out == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	if (crt == NULL || X509_digest(crt, EVP_sha256(), md, &len) != 1 ||
	    len == 0 || outsz < (size_t)len * 3) {
		ERR_clear_error();
		return -1;
	}
	for (i = 0; i < len; i++) {
		out[3 * i] = hex[md[i] >> 4];
		out[3 * i + 1] = hex[md[i] & 0x0f];
		out[3 * i + 2] = i + 1 < len ? ':' : '\0';
	}
	return 0;
}

int
tls_peer_cert(SSL *ssl, unsigned char sha256[TLS_SHA256_LEN], int *time_valid)
{
	unsigned int len = 0;
	X509 *x;
	int rv = 0;

	*time_valid = 0;
	/* A resumed session carries the certificate of its handshake. */
	if (ssl == NULL || (x = SSL_get0_peer_certificate(ssl)) == NULL)
		return 0;
	if (X509_digest(x, EVP_sha256(), sha256, &len) == 1 &&
	    len == TLS_SHA256_LEN) {
		rv = 1;
		/* Not before its start, not after its end: now. */
		*time_valid = X509_cmp_current_time(X509_get0_notBefore(x)) < 0 &&
		    X509_cmp_current_time(X509_get0_notAfter(x)) > 0;
	}
	ERR_clear_error();
	return rv;
}
