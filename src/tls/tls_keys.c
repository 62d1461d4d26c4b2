/*
 * Private keys kept out of the server process (tls_keys.h): the key object
 * whose private operations are requests to the key process (the worker's
 * channel they go through is tls_key_channel.c's, the key process's
 * answer tls_key_answer.c's).
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

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "tls_error.h"
#include "tls_key_remote.h"
#include "tls_keys.h"

static pthread_once_t		 once = PTHREAD_ONCE_INIT;
static int			 rsa_index = -1, ec_index = -1;
static RSA_METHOD		*rsa_method;
static EC_KEY_METHOD		*ec_method;

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

static int
rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to,
    RSA *rsa, int padding)
{
	const unsigned char *id = RSA_get_ex_data(rsa, rsa_index);

	if (id == NULL || flen < 0) {
		tls_key_raise(R_FAILED);
		return -1;
	}
	return tls_key_remote(id, TLS_KEY_RSA_PRIV, padding, from, (size_t)flen, to,
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
	tls_key_raise(R_FAILED);
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
		tls_key_raise(R_FAILED);
		return 0;
	}
	if ((n = tls_key_remote(id, TLS_KEY_ECDSA, 0, dgst, (size_t)dlen, sig,
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
