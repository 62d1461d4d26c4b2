/*
 * The key process's side of tls_keys.h: a key made ready once, when it is
 * taken, and the private operation a request asks for, answered with it.
 */
#define OPENSSL_API_COMPAT	10101	/* ECDSA_sign, RSA_private_encrypt */

#include <pthread.h>
#include <stdlib.h>

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "tls_keys.h"

static pthread_once_t	once = PTHREAD_ONCE_INIT;
static int		prep_index = -1;

/* A key's struct prepared, freed with it. */
static void
prepared_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static void
init(void)
{
	prep_index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_EVP_PKEY, 0, NULL,
	    NULL, NULL, prepared_free);
}

/* A key's kind and its 1.1 object, looked up once (tls_key_prepare). */
struct prepared {
	int	 type;
	void	*obj;
};

int
tls_key_prepare(EVP_PKEY *key)
{
	struct prepared *p;

	if (pthread_once(&once, init) != 0 || prep_index == -1)
		return -1;
	/* Already made ready (the same key taken twice). */
	if (EVP_PKEY_get_ex_data(key, prep_index) != NULL)
		return 0;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->type = EVP_PKEY_get_base_id(key);
	if (p->type == EVP_PKEY_EC)
		p->obj = (void *)EVP_PKEY_get0_EC_KEY(key);
	else if (p->type == EVP_PKEY_RSA)
		p->obj = (void *)EVP_PKEY_get0_RSA(key);
	if (p->obj == NULL || EVP_PKEY_set_ex_data(key, prep_index, p) != 1) {
		free(p);
		ERR_clear_error();
		return -1;
	}
	return 0;
}

/*
 * The key process's side.  The private operation itself, as the 1.1 API
 * has it (ECDSA_sign, RSA_private_encrypt on the key's own EC_KEY or RSA):
 * a provider's EVP_PKEY_sign would first fetch its methods by name, a
 * tenth of a handshake's CPU for the fetch alone.  The object is the one
 * tls_key_prepare found: looking it up again per request goes through
 * the engine table, under its global lock.
 */
size_t
tls_key_answer(EVP_PKEY *key, const struct tls_key_request *req,
    size_t reqlen, struct tls_key_reply *reply)
{
	const struct prepared *p = NULL;
	const EC_KEY *ec = NULL;
	const RSA *rsa = NULL;
	unsigned int siglen;
	size_t inlen;
	int n = -1;

	reply->status = TLS_KEY_BAD;
	if (reqlen < TLS_KEY_REQUEST_HEAD)
		return 0;	/* nothing to answer to */
	reply->id = req->id;
	inlen = reqlen - TLS_KEY_REQUEST_HEAD;
	if (req->outmax > sizeof(reply->data))
		return TLS_KEY_REPLY_HEAD;
	if (key == NULL) {
		reply->status = TLS_KEY_UNKNOWN;
		return TLS_KEY_REPLY_HEAD;
	}
	if (prep_index != -1)
		p = EVP_PKEY_get_ex_data(key, prep_index);
	if (p != NULL) {
		ec = p->type == EVP_PKEY_EC ? p->obj : NULL;
		rsa = p->type == EVP_PKEY_RSA ? p->obj : NULL;
	} else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC)
		ec = EVP_PKEY_get0_EC_KEY(key);
	else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
		rsa = EVP_PKEY_get0_RSA(key);
	if (req->op == TLS_KEY_ECDSA && ec != NULL) {
		if ((unsigned)ECDSA_size(ec) <= req->outmax &&
		    ECDSA_sign(0, req->data, (int)inlen, reply->data, &siglen,
		    (EC_KEY *)ec) == 1)
			n = (int)siglen;
	} else if (req->op == TLS_KEY_RSA_PRIV && rsa != NULL) {
		if ((req->padding == RSA_PKCS1_PADDING ||
		    req->padding == RSA_NO_PADDING) &&
		    (unsigned)RSA_size(rsa) <= req->outmax)
			n = RSA_private_encrypt((int)inlen, req->data,
			    reply->data, (RSA *)rsa, req->padding);
	} else {
		ERR_clear_error();
		return TLS_KEY_REPLY_HEAD;	/* not that kind of key */
	}
	ERR_clear_error();
	if (n <= 0) {
		reply->status = TLS_KEY_FAILED;
		return TLS_KEY_REPLY_HEAD;
	}
	reply->status = TLS_KEY_OK;
	return TLS_KEY_REPLY_HEAD + (size_t)n;
}
