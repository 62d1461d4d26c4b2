/* The keys the key process holds (key_table.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "key_table.h"

struct key_entry {
	unsigned char	 id[TLS_KEY_ID_LEN];
	EVP_PKEY	*key;
	int		 in_active;	/* used by the configuration serving */
	int		 in_begun;	/* by the one being applied */
	time_t		 retire_at;	/* 0: in use */
};

struct key_table {
	pthread_rwlock_t	 lock;
	struct key_entry	*e;
	size_t			 n, cap;
	unsigned long		 begun;	/* the configuration being applied */
};

struct key_table *
key_table_new(void)
{
	struct key_table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if (pthread_rwlock_init(&t->lock, NULL) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

void
key_table_free(struct key_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		EVP_PKEY_free(t->e[i].key);
	free(t->e);
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

static struct key_entry *
find(struct key_table *t, const unsigned char id[TLS_KEY_ID_LEN])
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (memcmp(t->e[i].id, id, TLS_KEY_ID_LEN) == 0)
			return &t->e[i];
	return NULL;
}

void
key_table_begin(struct key_table *t, unsigned long gen)
{
	size_t i;

	pthread_rwlock_wrlock(&t->lock);
	t->begun = gen;
	for (i = 0; i < t->n; i++)
		t->e[i].in_begun = 0;
	pthread_rwlock_unlock(&t->lock);
}

int
key_table_put(struct key_table *t, const unsigned char id[TLS_KEY_ID_LEN],
    EVP_PKEY *key)
{
	struct key_entry *e, *grown;
	int r = 0;

	/* Its kind and object found now, not at each signature. */
	if (tls_key_prepare(key) == -1) {
		EVP_PKEY_free(key);
		return -1;
	}
	pthread_rwlock_wrlock(&t->lock);
	if ((e = find(t, id)) != NULL) {
		EVP_PKEY_free(key);
		e->in_begun = 1;
		e->retire_at = 0;
		goto out;
	}
	if (t->n == t->cap) {
		if ((grown = reallocarray(t->e, t->cap ? t->cap * 2 : 8,
		    sizeof(*grown))) == NULL) {
			EVP_PKEY_free(key);
			r = -1;
			goto out;
		}
		t->e = grown;
		t->cap = t->cap ? t->cap * 2 : 8;
	}
	e = &t->e[t->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->id, id, TLS_KEY_ID_LEN);
	e->key = key;
	e->in_begun = 1;
out:
	pthread_rwlock_unlock(&t->lock);
	return r;
}

void
key_table_activate(struct key_table *t, unsigned long gen, time_t now)
{
	struct key_entry *e;
	size_t i;

	pthread_rwlock_wrlock(&t->lock);
	for (i = 0; i < t->n; i++) {
		e = &t->e[i];
		/* Its reload failed: the active set stays as it was. */
		if (gen == t->begun)
			e->in_active = e->in_begun;
		e->in_begun = 0;
		if (e->in_active)
			e->retire_at = 0;
		else if (e->retire_at == 0)
			e->retire_at = now + KEY_RETIRE_SEC;
	}
	t->begun = 0;
	pthread_rwlock_unlock(&t->lock);
}

size_t
key_table_sweep(struct key_table *t, time_t now)
{
	size_t i, n;

	pthread_rwlock_wrlock(&t->lock);
	for (i = 0; i < t->n;) {
		if (t->e[i].retire_at != 0 && t->e[i].retire_at <= now) {
			EVP_PKEY_free(t->e[i].key);
			t->e[i] = t->e[--t->n];
		} else
			i++;
	}
	n = t->n;
	pthread_rwlock_unlock(&t->lock);
	return n;
}

EVP_PKEY *
key_table_get(struct key_table *t, const unsigned char id[TLS_KEY_ID_LEN])
{
	struct key_entry *e;
	EVP_PKEY *k = NULL;

	pthread_rwlock_rdlock(&t->lock);
	if ((e = find(t, id)) != NULL && EVP_PKEY_up_ref(e->key) == 1)
		k = e->key;
	pthread_rwlock_unlock(&t->lock);
	return k;
}
