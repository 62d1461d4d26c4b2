/*
 * Session ticket keys (tls_tickets.h): AES-256-CBC and HMAC-SHA256, as
 * OpenSSL's own, with a 16-byte name that says which key sealed a ticket.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "tls_tickets.h"

#define NAME_LEN	16
#define AES_LEN		32
#define HMAC_LEN	32

struct ticket_key {
	unsigned char	name[NAME_LEN];
	unsigned char	aes[AES_LEN];
	unsigned char	hmac[HMAC_LEN];
	int		valid;
};

struct tls_tickets {
	pthread_mutex_t		 lock;
	struct ticket_key	 cur, prev;	/* prev: opens only */
	EVP_CIPHER		*cipher;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ctx_index = -1, ssl_index = -1;

static void
index_new(void)
{
	ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	ssl_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int
key_new(struct ticket_key *k)
{
	if (RAND_bytes(k->name, sizeof(k->name)) != 1 ||
	    RAND_priv_bytes(k->aes, sizeof(k->aes)) != 1 ||
	    RAND_priv_bytes(k->hmac, sizeof(k->hmac)) != 1) {
		OPENSSL_cleanse(k, sizeof(*k));
		return -1;
	}
	k->valid = 1;
	return 0;
}

struct tls_tickets *
tls_tickets_new(void)
{
	struct tls_tickets *t;

	if (pthread_once(&once, index_new) != 0 || ctx_index == -1 ||
	    ssl_index == -1 || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL)) ==
	    NULL || key_new(&t->cur) == -1 ||
	    pthread_mutex_init(&t->lock, NULL) != 0) {
		EVP_CIPHER_free(t->cipher);
		OPENSSL_cleanse(t, sizeof(*t));
		free(t);
		return NULL;
	}
	return t;
}

void
tls_tickets_free(struct tls_tickets *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	EVP_CIPHER_free(t->cipher);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

int
tls_tickets_rotate(struct tls_tickets *t)
{
	struct ticket_key k;

	if (key_new(&k) == -1)
		return -1;
	pthread_mutex_lock(&t->lock);
	t->prev = t->cur;
	t->cur = k;
	pthread_mutex_unlock(&t->lock);
	OPENSSL_cleanse(&k, sizeof(k));
	return 0;
}

/*
 * OpenSSL's ticket key callback: enc 1 seals a new ticket with the
 * current key (returns 1); enc 0 finds the key of name, 1 for the current
 * one, 2 for the one before (a new ticket follows), 0 for none (a full
 * handshake).
 */
static int
ticket_key_cb(SSL *ssl, unsigned char name[NAME_LEN],
    unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX *cctx,
    EVP_MAC_CTX *hctx, int enc)
{
	struct tls_tickets *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
	    ctx_index);
	struct ticket_key k;
	OSSL_PARAM params[3];
	int r = 0, ivlen;

	if (t == NULL)
		return -1;
	memset(&k, 0, sizeof(k));
	pthread_mutex_lock(&t->lock);
	if (enc || memcmp(name, t->cur.name, NAME_LEN) == 0) {
		k = t->cur;
		r = 1;
	} else if (t->prev.valid &&
	    memcmp(name, t->prev.name, NAME_LEN) == 0) {
		k = t->prev;
		r = 2;
	}
	pthread_mutex_unlock(&t->lock);
	if (r == 0)
		return 0;
	/* OpenSSL says "renew" for other reasons too (TLS 1.3): noted. */
	if (r == 2 && SSL_set_ex_data(ssl, ssl_index, &ssl_index) != 1)
		return -1;
	ivlen = EVP_CIPHER_get_iv_length(t->cipher);
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    k.hmac, sizeof(k.hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (enc) {
		memcpy(name, k.name, NAME_LEN);
		if (ivlen < 0 || ivlen > EVP_MAX_IV_LENGTH ||
		    RAND_bytes(iv, ivlen) != 1 ||
		    EVP_EncryptInit_ex(cctx, t->cipher, NULL, k.aes, iv) != 1)
			r = -1;
	} else if (EVP_DecryptInit_ex(cctx, t->cipher, NULL, k.aes, iv) != 1)
		r = -1;
	if (r != -1 && EVP_MAC_CTX_set_params(hctx, params) != 1)
		r = -1;
	OPENSSL_cleanse(&k, sizeof(k));
	return r;
}

int
tls_tickets_old(SSL *ssl)
{
	return ssl_index != -1 && SSL_get_ex_data(ssl, ssl_index) != NULL;
}

int
tls_tickets_use(SSL_CTX *ctx, struct tls_tickets *t)
{
	if (ctx_index == -1 || SSL_CTX_set_ex_data(ctx, ctx_index, t) != 1 ||
	    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_cb) != 1)
		return -1;
	return 0;
}
