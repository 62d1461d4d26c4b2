/*
 * Unit tests for src/tls.c's certificates: one generated (modes, umask,
 * fingerprint, server settings), the certificate's contents (names,
 * addresses, key, validity), and the same pair reused untouched.  What is
 * refused is in test_tls_refusals.c, handshakes in test_tls_handshake.c.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "unit.h"
#include "unit_tls.h"

/* The fingerprint computed independently of tls_fingerprint. */
static void
expected_fingerprint(X509 *x, char *out, size_t outsz)
{
	unsigned char	*der = NULL, md[32];
	unsigned int	 mdlen = 0, i;
	int		 len;
	size_t		 off = 0;

	out[0] = '\0';
	if ((len = i2d_X509(x, &der)) <= 0)
		return;
	if (EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != 32) {
		OPENSSL_free(der);
		return;
	}
	OPENSSL_free(der);
	for (i = 0; i < mdlen && off + 3 < outsz; i++)
		off += (size_t)snprintf(out + off, outsz - off, "%s%02X",
		    i ? ":" : "", md[i]);
}

static int
fingerprint_format_ok(const char *fp)
{
	size_t	i;

	if (strlen(fp) != 95)
		return 0;
	for (i = 0; i < 95; i++) {
		if (i % 3 == 2) {
			if (fp[i] != ':')
				return 0;
		} else if (!((fp[i] >= '0' && fp[i] <= '9') ||
		    (fp[i] >= 'A' && fp[i] <= 'F')))
			return 0;
	}
	return 1;
}

static void
check_cert(const char *crt, const char *key, const char *host,
    const unsigned char *ip, int iplen)
{
	X509			*x;
	EVP_PKEY		*pk, *priv;
	GENERAL_NAMES		*gens;
	GENERAL_NAME		*gen;
	BASIC_CONSTRAINTS	*bc;
	BIGNUM			*bn;
	char			 buf[512], *pem;
	size_t			 len;
	int			 crit = -1, days = 0, secs = 0;

	if ((x = read_cert(crt)) == NULL) {
		CHECK(!"certificate readable");
		return;
	}
	CHECK_INT(X509_get_version(x), X509_VERSION_3);

	CHECK(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, host);
	CHECK(X509_NAME_get_text_by_NID(X509_get_issuer_name(x),
	    NID_commonName, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, host);

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	CHECK(gens != NULL);
	if (gens != NULL) {
		CHECK_INT(sk_GENERAL_NAME_num(gens), 1);
		gen = sk_GENERAL_NAME_value(gens, 0);
		if (ip != NULL) {
			CHECK_INT(gen->type, GEN_IPADD);
			if (gen->type == GEN_IPADD) {
				CHECK_MEM(ASN1_STRING_get0_data(
				    gen->d.iPAddress),
				    (size_t)ASN1_STRING_length(
				    gen->d.iPAddress), ip, (size_t)iplen);
			}
		} else {
			CHECK_INT(gen->type, GEN_DNS);
			if (gen->type == GEN_DNS) {
				CHECK_MEM(ASN1_STRING_get0_data(
				    gen->d.dNSName),
				    (size_t)ASN1_STRING_length(gen->d.dNSName),
				    host, strlen(host));
			}
		}
		GENERAL_NAMES_free(gens);
	}

	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	CHECK(bc != NULL);
	if (bc != NULL) {
		CHECK_INT(crit, 1);
		CHECK_INT(bc->ca, 0);
		BASIC_CONSTRAINTS_free(bc);
	}
	CHECK_INT(X509_check_ca(x), 0);
	CHECK(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE);

	pk = X509_get0_pubkey(x);
	CHECK(pk != NULL);
	if (pk != NULL) {
		CHECK_INT(EVP_PKEY_get_base_id(pk), EVP_PKEY_EC);
		CHECK_INT(EVP_PKEY_get_bits(pk), 256);
		CHECK_INT(EVP_PKEY_get_group_name(pk, buf, sizeof(buf),
		    NULL), 1);
		CHECK_STR(buf, "prime256v1");
		/* Self-signed, and the signature holds. */
		CHECK_INT(X509_verify(x, pk), 1);
	}
	CHECK_INT(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);

	/* notBefore a little in the past; notAfter more than 50 years out. */
	CHECK(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
	CHECK_INT(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), NULL),
	    1);
	CHECK(days >= 0 && days <= 2);
	CHECK_INT(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)),
	    1);
	CHECK(days > 50 * 365);

	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	CHECK(bn != NULL);
	if (bn != NULL) {
		CHECK(!BN_is_negative(bn));
		CHECK(!BN_is_zero(bn));
		CHECK(BN_num_bytes(bn) >= 15);
		BN_free(bn);
	}

	priv = read_key(key);
	CHECK(priv != NULL);
	if (priv != NULL) {
		CHECK_INT(X509_check_private_key(x, priv), 1);
		EVP_PKEY_free(priv);
	}
	if ((pem = slurp(key, &len)) != NULL) {
		CHECK(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
		free(pem);
	} else
		CHECK(!"key readable");
	X509_free(x);
	ERR_clear_error();
}

static void
test_generate_and_reuse(void)
{
	static const struct timespec past[2] = { { 1000000000, 0 },
						 { 1000000000, 0 } };
	struct tls_cert_info	 info, again;
	struct stat		 st1c, st1k, st2c, st2k;
	char			 dir[256], crt[256], key[256], err[512];
	char			 fp[128];
	char			*c1, *k1, *c2, *k2;
	size_t			 c1len, k1len, c2len, k2len;
	SSL_CTX			*ctx;
	X509			*x;
	mode_t			 old;

	tp(dir, sizeof(dir), "gen/certs");
	tp(crt, sizeof(crt), "gen/certs/localhost.crt");
	tp(key, sizeof(key), "gen/certs/localhost.key");
	CHECK_INT(mkdir_p1(tp(err, sizeof(err), "gen")), 0);

	/* A lax umask must not loosen the key's mode. */
	old = umask(0);
	ctx = tls_context_new(dir, "localhost", 1, &info, err, sizeof(err));
	umask(old);
	CHECK(ctx != NULL);
	if (ctx == NULL) {
		fprintf(stderr, "  tls_context_new: %s\n", err);
		return;
	}
	CHECK_INT(ERR_peek_error(), 0);
	CHECK_INT(info.generated, 1);
	CHECK_STR(info.crt_path, crt);
	CHECK_STR(info.key_path, key);
	CHECK(exists(crt));
	CHECK(exists(key));
	CHECK_INT(mode_of(key), 0600);
	CHECK_INT(mode_of(crt), 0644);
	CHECK_INT(mode_of(dir), 0700);
	CHECK(fingerprint_format_ok(info.fingerprint));
	CHECK_INT(strlen(info.fingerprint), 95);

	/* The fingerprint is that of the certificate in use and on disk. */
	CHECK_INT(tls_fingerprint(SSL_CTX_get0_certificate(ctx), fp,
	    sizeof(fp)), 0);
	CHECK_STR(fp, info.fingerprint);
	if ((x = read_cert(crt)) != NULL) {
		expected_fingerprint(x, fp, sizeof(fp));
		CHECK_STR(fp, info.fingerprint);
		/* Too small a buffer is an error, never an overflow. */
		CHECK_INT(tls_fingerprint(x, fp, 95), -1);
		CHECK_STR(fp, "");
		X509_free(x);
	} else
		CHECK(!"generated certificate readable");
	CHECK_INT(tls_fingerprint(NULL, fp, sizeof(fp)), -1);

	/* Server settings. */
	CHECK_INT(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	CHECK(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION);
	CHECK(SSL_CTX_get_options(ctx) & SSL_OP_CIPHER_SERVER_PREFERENCE);
	CHECK((SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET) == 0);
	CHECK(SSL_CTX_get_mode(ctx) & SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_free(ctx);

	check_cert(crt, key, "localhost", NULL, 0);

	/* Second call: the same pair, untouched.  Both files are dated
	 * 2001-09-09 first: any rewrite would date them now. */
	CHECK_INT(utimensat(AT_FDCWD, crt, past, 0), 0);
	CHECK_INT(utimensat(AT_FDCWD, key, past, 0), 0);
	CHECK_INT(stat(crt, &st1c), 0);
	CHECK_INT(stat(key, &st1k), 0);
	CHECK_INT(st1c.st_mtim.tv_sec, 1000000000);
	CHECK_INT(st1k.st_mtim.tv_sec, 1000000000);
	c1 = slurp(crt, &c1len);
	k1 = slurp(key, &k1len);
	ctx = tls_context_new(dir, "localhost", 1, &again, err, sizeof(err));
	CHECK(ctx != NULL);
	SSL_CTX_free(ctx);
	CHECK_INT(again.generated, 0);
	CHECK_STR(again.fingerprint, info.fingerprint);
	CHECK_INT(stat(crt, &st2c), 0);
	CHECK_INT(stat(key, &st2k), 0);
	CHECK(st1c.st_mtim.tv_sec == st2c.st_mtim.tv_sec &&
	    st1c.st_mtim.tv_nsec == st2c.st_mtim.tv_nsec);
	CHECK(st1k.st_mtim.tv_sec == st2k.st_mtim.tv_sec &&
	    st1k.st_mtim.tv_nsec == st2k.st_mtim.tv_nsec);
	CHECK_INT(st1c.st_ino, st2c.st_ino);
	CHECK_INT(st1k.st_ino, st2k.st_ino);
	c2 = slurp(crt, &c2len);
	k2 = slurp(key, &k2len);
	CHECK(c1 != NULL && c2 != NULL && k1 != NULL && k2 != NULL);
	if (c1 != NULL && c2 != NULL)
		CHECK_MEM(c2, c2len, c1, c1len);
	if (k1 != NULL && k2 != NULL)
		CHECK(k1len == k2len && memcmp(k1, k2, k1len) == 0);
	free(c1);
	free(c2);
	free(k1);
	free(k2);

	/* Reuse with generation off; a trailing slash changes nothing. */
	CHECK(strlen(dir) + 2 < sizeof(dir));
	strcat(dir, "/");
	ctx = tls_context_new(dir, "localhost", 0, &again, err, sizeof(err));
	CHECK(ctx != NULL);
	SSL_CTX_free(ctx);
	CHECK_INT(again.generated, 0);
	CHECK_STR(again.fingerprint, info.fingerprint);
	CHECK_STR(again.crt_path, crt);

	/* info is optional. */
	ctx = tls_context_new(dir, "localhost", 0, NULL, err, sizeof(err));
	CHECK(ctx != NULL);
	SSL_CTX_free(ctx);

	/* A strict umask: the certificate is still world-readable. */
	tp(dir, sizeof(dir), "gen/strict");
	tp(crt, sizeof(crt), "gen/strict/localhost.crt");
	tp(key, sizeof(key), "gen/strict/localhost.key");
	old = umask(0277);
	ctx = tls_context_new(dir, "localhost", 1, &again, err, sizeof(err));
	umask(old);
	CHECK(ctx != NULL);
	SSL_CTX_free(ctx);
	CHECK_INT(mode_of(key), 0600);
	CHECK_INT(mode_of(crt), 0644);
	CHECK_INT(mode_of(dir), 0700);
	/* Every pair is new: another key, another serial, another hash. */
	CHECK(strcmp(again.fingerprint, info.fingerprint) != 0);
}

static void
test_addresses(void)
{
	static const unsigned char	 v4[4] = { 127, 0, 0, 1 };
	static const unsigned char	 v6[16] = { 0, 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0, 0, 0, 1 };
	struct tls_cert_info		 info;
	char				 dir[256], crt[256], key[256];
	char				 err[512];
	SSL_CTX				*ctx;

	tp(dir, sizeof(dir), "ip");
	ctx = tls_context_new(dir, "127.0.0.1", 1, &info, err, sizeof(err));
	CHECK(ctx != NULL);
	SSL_CTX_free(ctx);
	CHECK_INT(info.generated, 1);
	check_cert(tp(crt, sizeof(crt), "ip/127.0.0.1.crt"),
	    tp(key, sizeof(key), "ip/127.0.0.1.key"), "127.0.0.1", v4, 4);

	ctx = tls_context_new(dir, "::1", 1, &info, err, sizeof(err));
	CHECK(ctx != NULL);
	SSL_CTX_free(ctx);
	CHECK_INT(info.generated, 1);
	check_cert(tp(crt, sizeof(crt), "ip/::1.crt"),
	    tp(key, sizeof(key), "ip/::1.key"), "::1", v6, 16);

	/* A name is a DNS name even when it looks numeric-ish. */
	ctx = tls_context_new(dir, "gemini.example.org", 1, &info, err,
	    sizeof(err));
	CHECK(ctx != NULL);
	SSL_CTX_free(ctx);
	check_cert(tp(crt, sizeof(crt), "ip/gemini.example.org.crt"),
	    tp(key, sizeof(key), "ip/gemini.example.org.key"),
	    "gemini.example.org", NULL, 0);
}

/* A name too long for a CN: the SAN alone, critical, names the host. */
static void
test_long_hostname(void)
{
	struct tls_cert_info	 info;
	char			 host[128], dir[256], crt[512], err[512];
	GENERAL_NAMES		*gens;
	SSL_CTX			*ctx;
	X509			*x;
	int			 crit = -1, n;

	memset(host, 'a', 70);
	memcpy(host + 70, ".example", sizeof(".example"));
	tp(dir, sizeof(dir), "long");
	ctx = tls_context_new(dir, host, 1, &info, err, sizeof(err));
	CHECK(ctx != NULL);
	if (ctx == NULL)
		fprintf(stderr, "  long hostname: %s\n", err);
	SSL_CTX_free(ctx);
	n = snprintf(crt, sizeof(crt), "%s/%s.crt", dir, host);
	CHECK(n > 0 && (size_t)n < sizeof(crt));
	if ((x = read_cert(crt)) == NULL) {
		CHECK(!"long-name certificate readable");
		return;
	}
	CHECK_INT(X509_NAME_entry_count(X509_get_subject_name(x)), 0);
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	CHECK(gens != NULL);
	CHECK_INT(crit, 1);
	if (gens != NULL) {
		CHECK_INT(sk_GENERAL_NAME_num(gens), 1);
		CHECK_INT(sk_GENERAL_NAME_value(gens, 0)->type, GEN_DNS);
		GENERAL_NAMES_free(gens);
	}
	X509_free(x);
	ERR_clear_error();
}

int
main(void)
{
	unit_tls_begin();
	test_generate_and_reuse();
	test_addresses();
	test_long_hostname();
	unit_tls_end();
	return unit_done("tls_certs");
}
