/* What a connection tells a program of itself (program_request.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "conn.h"
#include "fingerprint.h"
#include "gemini_reply.h"
#include "generation.h"
#include "program_request.h"
#include "titan_request.h"
#include "zone.h"

/* A name on one line, RFC 2253; "" when it cannot be printed. */
static void
name_text(const X509_NAME *name, char *out, size_t outsz)
{
	BIO *b;
	int n;

	out[0] = '\0';
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_read(b, out, (int)outsz - 1)) > 0)
		out[n] = '\0';
	BIO_free(b);
}

static void
time_text(const ASN1_TIME *t, char *out, size_t outsz)
{
	struct tm tm;

	out[0] = '\0';
	if (t != NULL && ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
cert_text(SSL *ssl, const struct client_cert *cc, struct program_conn_text *t)
{
	X509 *x = SSL_get0_peer_certificate(ssl);
	int n;

	memset(t, 0, sizeof(*t));
	fingerprint_hex(cc->sha256, t->hash);
	t->cert.hash_hex = t->hash;
	t->cert.subject_cn = t->cn;
	t->cert.subject = t->subject;
	t->cert.issuer = t->issuer;
	t->cert.not_before = t->not_before;
	t->cert.not_after = t->not_after;
	if (x == NULL)
		return;
	if ((n = X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, t->cn, (int)sizeof(t->cn))) < 0)
		t->cn[0] = '\0';
	name_text(X509_get_subject_name(x), t->subject, sizeof(t->subject));
	name_text(X509_get_issuer_name(x), t->issuer, sizeof(t->issuer));
	time_text(X509_get0_notBefore(x), t->not_before,
	    sizeof(t->not_before));
	time_text(X509_get0_notAfter(x), t->not_after, sizeof(t->not_after));
}

void
program_request_from_conn(struct conn *c, struct program_request *r,
    struct program_conn_text *t)
{
	const struct client_cert *cc = conn_cert(c);
	SSL *ssl = conn_ssl(c);

	r->software = "attache/" ATTACHE_VERSION;
	r->server_name = conn_site(c)->conf->name;
	r->server_port = (unsigned)conn_local_port(c);
	r->document_root = conn_site(c)->root;
	r->remote_addr = conn_peer(c);
	r->tls_version = ssl != NULL ? SSL_get_version(ssl) : NULL;
	r->tls_cipher = ssl != NULL ? SSL_get_cipher_name(ssl) : NULL;
	r->cert = NULL;
	if (ssl != NULL && cc != NULL && cc->present) {
		cert_text(ssl, cc, t);
		r->cert = &t->cert;
	}
}

int
program_titan_admit(struct conn *c, const struct conf_location *loc,
    const struct titan_request *req, long long max, const char *line,
    size_t len, char *url, struct program_request *r)
{
	char meta[64];
	int status;

	if ((status = zone_admit(loc, conn_cert(c))) != 0) {
		gemini_header_only(c, status, status == 60 ?
		    "Certificate required" : status == 61 ? "Not authorised" :
		    "Certificate not valid", "zone");
		return 1;
	}
	if (req->size > max) {
		snprintf(meta, sizeof(meta), "File too large (at most %lld "
		    "bytes)", max);
		gemini_header_only(c, 59, meta, "over titan-max-size");
		return 1;
	}
	if (len > REQUEST_MAX)
		len = REQUEST_MAX;
	memcpy(url, line, len);
	url[len] = '\0';
	memset(r, 0, sizeof(*r));
	r->proto = PROGRAM_TITAN;
	r->url = url;
	r->content_length = req->size;
	r->content_type = req->has_mime ? req->mime : NULL;
	r->token = req->has_token ? req->token : NULL;
	return 0;
}
