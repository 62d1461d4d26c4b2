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

#define TLS_SHA256_LEN	32

/*
 * The client's certificate on ssl, if it sent one (or the session it
 * resumed had one): its SHA-256 over the DER form, and whether it is in
 * date now (time_valid).  Returns 1, or 0 when there is none.
 */
int	tls_peer_cert(SSL *ssl, unsigned char sha256[TLS_SHA256_LEN],
	    int *time_valid);

#endif
