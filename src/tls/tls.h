/*
 * TLS for Gemini: the server SSL_CTX, certificate loading and first-run
 * generation of a self-signed ECDSA P-256 certificate.  No global state and
 * no logging: the caller logs from struct tls_cert_info.
 */
#ifndef ATTACHE_TLS_H
#define ATTACHE_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

/* "AB:CD:...": 32 bytes of SHA-256 as hex pairs with colons, plus NUL. */
#define TLS_FINGERPRINT_SIZE	96

struct tls_cert_info {
	int	generated;		/* 1 when this call created the pair */
	char	fingerprint[TLS_FINGERPRINT_SIZE]; /* SHA-256 of the DER cert */
	char	crt_path[4096], key_path[4096];
};

/*
 * Loads <certdir>/<hostname>.crt and <certdir>/<hostname>.key (PEM).  When both
 * are missing and may_generate is set, creates a self-signed ECDSA P-256
 * certificate for hostname first (creating certdir, mode 0700, if needed).
 * Returns a server SSL_CTX ready for use (one for the whole process; SSL_CTX is
 * safe to share between worker threads), or NULL with a one-line reason in err
 * naming the file concerned.  Never overwrites or removes a file it did not
 * create.  info may be NULL; err may be NULL when errlen is 0.
 */
SSL_CTX	*tls_context_new(const char *certdir, const char *hostname,
	    int may_generate, struct tls_cert_info *info, char *err,
	    size_t errlen);

/* A PEM file's bytes, and its path for messages. */
struct tls_pem {
	const char	*path;
	char		*data;
	size_t		 len;
};

#define TLS_PEM_MAX	(1024 * 1024)	/* a certificate chain or a key */

/*
 * The paths of the pair, <certdir>/<hostname>.crt and .key, into info (no
 * I/O).  Returns 0, or -1 with err.
 */
int	tls_pair_paths(const char *certdir, const char *hostname,
	    struct tls_cert_info *info, char *err, size_t errlen);

/*
 * The first half of tls_site_context_new, for the privileged process: the
 * paths of the pair (into info), and, when both files are missing and
 * may_generate is set, a new self-signed pair.  Returns 0, or -1 with err.
 */
int	tls_pair_ensure(const char *certdir, const char *hostname,
	    const char *const *aliases, size_t naliases, int may_generate,
	    struct tls_cert_info *info, char *err, size_t errlen);

/* Reads a PEM file of at most TLS_PEM_MAX bytes; 0, or -1 with err. */
int	tls_pem_read(struct tls_pem *pem, const char *path, char *err,
	    size_t errlen);
/* Wipes and frees what tls_pem_read read. */
void	tls_pem_free(struct tls_pem *pem);

/*
 * The certificates of pem alone, written as PEM again into out (malloc'd;
 * path kept): what the server process gets of a file that may also hold
 * the key.  0, or -1 with err.
 */
int	tls_pem_certs(const struct tls_pem *pem, struct tls_pem *out,
	    char *err, size_t errlen);

/*
 * The second half, for the server process: a context from the PEM bytes
 * of the chain (leaf first, then intermediates) and of the key, its
 * fingerprint into fingerprint (TLS_FINGERPRINT_SIZE bytes).  key NULL:
 * the key is the key process's, and the context signs through the calling
 * thread's channel to it (tls_keys.h).  A key that is neither ECDSA nor
 * RSA is refused.  Returns it, or NULL with err naming the file.
 */
SSL_CTX	*tls_context_from_pem(const struct tls_pem *crt,
	    const struct tls_pem *key, char *fingerprint, char *err,
	    size_t errlen);

/*
 * The same for a site with other names: a generated certificate names them
 * all (subjectAltName); a loaded one is used as it is.
 */
SSL_CTX	*tls_site_context_new(const char *certdir, const char *hostname,
	    const char *const *aliases, size_t naliases, int may_generate,
	    struct tls_cert_info *info, char *err, size_t errlen);

/*
 * Writes the SHA-256 fingerprint of crt's DER encoding to out as uppercase hex
 * pairs separated by colons (95 characters and a NUL, so outsz must be at
 * least TLS_FINGERPRINT_SIZE).  Returns 0, or -1 on failure (out is then "").
 */
int	tls_fingerprint(X509 *crt, char *out, size_t outsz);

/*
 * Marks ssl as a connection that came through a proxy (a PROXY header):
 * its handshakes end with bytes of ours (tls.c).  0, or -1.
 */
int	tls_set_proxied(SSL *ssl);
/*
 * Whether this handshake asks the client for a certificate (any is
 * accepted; what it may do is zone.c's).  Called before the server's
 * flight: from the ClientHello callback.
 */
void	tls_ask_client_cert(SSL *ssl, int ask);
/*
 * Whether ssl's handshake, now done, held its session ticket back: a full
 * TLS 1.3 one that got a client certificate (tls.c).  The ticket is then
 * sent with SSL_new_session_ticket after the response.
 */
int	tls_ticket_owed(SSL *ssl);

#define TLS_SHA256_LEN	32

/*
 * The client's certificate on ssl, if it sent one (or the session it
 * resumed had one): its SHA-256 over the DER form, and whether it is in
 * date now (time_valid).  Returns 1, or 0 when there is none.
 */
int	tls_peer_cert(SSL *ssl, unsigned char sha256[TLS_SHA256_LEN],
	    int *time_valid);

#endif
