/* The capsule service: its registry, its life, and its snapshots. */
#include <sys/eventfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsule.h"
#include "capsule_indexer.h"
#include "capsule_service.h"
#include "capsule_snapshot.h"
#include "conf.h"
#include "extract_files.h"
#include "log.h"

struct capsule_service {
	/* Set before its thread starts, read-only after. */
	struct service_registry	*reg;
	char			*dir;		/* real path */
	dev_t			 dev;
	ino_t			 ino;
	int			 search;
	struct capsule		 cap;
	int			 wakefd;
	atomic_int		 stop;
	/*
	 * What requests read, and which snapshot each worker is reading
	 * (hazard pointers: a retired snapshot is freed once no slot holds
	 * it).
	 */
	_Atomic(struct capsule_snapshot *) current;
	_Atomic(struct capsule_snapshot *) hazard[CONF_WORKERS_MAX];
	struct capsule_snapshot	*retired;	/* the indexer's */
	/* Each worker's open files for extracts: its own, made on first use. */
	struct extract_files	*files[CONF_WORKERS_MAX];
	/* Under the registry's lock. */
	unsigned		 refs;
	int			 started;	/* its thread runs */
	struct capsule_service	*next;
};

struct service_registry {
	pthread_mutex_t		 lock;
	pthread_cond_t		 ended;
	struct capsule_service	*live;		/* referenced */
	unsigned		 running;	/* threads not yet ended */
};

struct service_registry *
service_registry_new(void)
{
	struct service_registry *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r);
		return NULL;
	}
	if (pthread_cond_init(&r->ended, NULL) != 0) {
		pthread_mutex_destroy(&r->lock);
		free(r);
		return NULL;
	}
	return r;
}

void
service_registry_free(struct service_registry *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	while (r->running > 0)
		pthread_cond_wait(&r->ended, &r->lock);
	pthread_mutex_unlock(&r->lock);
	pthread_cond_destroy(&r->ended);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void
service_free(struct capsule_service *s)
{
	struct capsule_snapshot *p;
	int i;

	for (i = 0; i < CONF_WORKERS_MAX; i++)
		extract_files_free(s->files[i]);
	capsule_snapshot_free(atomic_load(&s->current));
	while ((p = s->retired) != NULL) {
		s->retired = p->retired;
		capsule_snapshot_free(p);
	}
	capsule_close(&s->cap);
	if (s->wakefd != -1)
		close(s->wakefd);
	free(s->dir);
	free(s);
}

/* The thread: the indexer's work, then its own end. */
static void *
service_main(void *arg)
{
	struct capsule_service *s = arg;
	struct service_registry *r = s->reg;
	struct indexer_env env;

	memset(&env, 0, sizeof(env));
	env.service = s;
	env.publish = capsule_service_publish;
	env.reclaim = capsule_service_reclaim;
	env.cap = &s->cap;
	env.name = s->dir;
	env.words = s->search;
	env.wakefd = s->wakefd;
	env.stop = &s->stop;
	indexer_run(&env);
	/*
	 * No generation refers to it any more: no request can read it.  The
	 * lock waits for capsule_service_unref to be done with it.
	 */
	pthread_mutex_lock(&r->lock);
	pthread_mutex_unlock(&r->lock);
	service_free(s);
	pthread_mutex_lock(&r->lock);
	r->running--;
	pthread_cond_broadcast(&r->ended);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static struct capsule_service *
service_new(struct service_registry *r, const char *dir,
    const struct stat *st, int search, char *err, size_t errlen)
{
	struct capsule_service *s;
	int i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->reg = r;
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->search = search;
	s->cap.rootfd = -1;
	atomic_init(&s->stop, 0);
	atomic_init(&s->current, NULL);
	for (i = 0; i < CONF_WORKERS_MAX; i++)
		atomic_init(&s->hazard[i], NULL);
	if ((s->dir = strdup(dir)) == NULL ||
	    (s->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		snprintf(err, errlen, "capsule %s: cannot make its service: "
		    "%s", dir, strerror(errno));
		s->wakefd = -1;
		service_free(s);
		return NULL;
	}
	if (capsule_open(&s->cap, dir, err, errlen) == -1) {
		service_free(s);
		return NULL;
	}
	pthread_mutex_lock(&r->lock);
	s->refs = 1;
	s->next = r->live;
	r->live = s;
	pthread_mutex_unlock(&r->lock);
	return s;
}

void
capsule_service_start(struct capsule_service *s)
{
	struct service_registry *r = s->reg;
	pthread_attr_t attr;
	pthread_t t;
	int e;

	pthread_mutex_lock(&r->lock);
	if (s->started) {
		pthread_mutex_unlock(&r->lock);
		return;
	}
	/* Detached: its end is counted in the registry, not joined. */
	if ((e = pthread_attr_init(&attr)) == 0) {
		if ((e = pthread_attr_setdetachstate(&attr,
		    PTHREAD_CREATE_DETACHED)) == 0 &&
		    (e = pthread_create(&t, &attr, service_main, s)) == 0) {
			s->started = 1;
			r->running++;
		}
		pthread_attr_destroy(&attr);
	}
	pthread_mutex_unlock(&r->lock);
	if (e != 0)
		log_warn("capsule %s: cannot start its service: %s; search "
		    "and changes answer 40", s->dir, strerror(e));
}

struct capsule_service *
capsule_service_get(struct service_registry *r, const char *dir, int search,
    char *err, size_t errlen)
{
	struct capsule_service *s;
	char real[PATH_MAX];
	struct stat st;

	/* The same directory, by what it is, not how it is named. */
	if (realpath(dir, real) == NULL || stat(real, &st) == -1) {
		snprintf(err, errlen, "capsule %s: %s", dir, strerror(errno));
		return NULL;
	}
	pthread_mutex_lock(&r->lock);
	for (s = r->live; s != NULL; s = s->next)
		if (s->dev == st.st_dev && s->ino == st.st_ino &&
		    s->search == search && strcmp(s->dir, real) == 0) {
			s->refs++;
			pthread_mutex_unlock(&r->lock);
			return s;
		}
	pthread_mutex_unlock(&r->lock);
	return service_new(r, real, &st, search, err, errlen);
}

void
capsule_service_unref(struct capsule_service *s)
{
	struct service_registry *r;
	struct capsule_service **pp;
	uint64_t one = 1;
	int last, started;

	if (s == NULL)
		return;
	r = s->reg;
	pthread_mutex_lock(&r->lock);
	if ((last = --s->refs == 0)) {
		for (pp = &r->live; *pp != NULL; pp = &(*pp)->next)
			if (*pp == s) {
				*pp = s->next;
				break;
			}
		/* Under the lock: the thread frees s only after it. */
		atomic_store(&s->stop, 1);
		if (s->started && write(s->wakefd, &one, sizeof(one)) == -1 &&
		    errno != EAGAIN)
			log_warn("capsule %s: cannot wake its service: %s",
			    s->dir, strerror(errno));
	}
	started = s->started;
	pthread_mutex_unlock(&r->lock);
	/* Never started (a reload that failed): nothing else holds it. */
	if (last && !started)
		service_free(s);
}

/*
 * Publish a slot, then check that the snapshot is still current: after
 * that, the indexer's scan of the slots (after its swap) sees it, and
 * does not free it.
 */
const struct capsule_snapshot *
capsule_service_enter(struct capsule_service *s, int slot)
{
	struct capsule_snapshot *p;

	if (slot < 0 || slot >= CONF_WORKERS_MAX)
		return NULL;
	do {
		p = atomic_load(&s->current);
		atomic_store(&s->hazard[slot], p);
	} while (p != atomic_load(&s->current));
	return p;
}

void
capsule_service_leave(struct capsule_service *s, int slot)
{
	if (slot >= 0 && slot < CONF_WORKERS_MAX)
		atomic_store(&s->hazard[slot], NULL);
}

struct extract_files *
capsule_service_files(struct capsule_service *s, int slot)
{
	if (slot < 0 || slot >= CONF_WORKERS_MAX)
		return NULL;
	if (s->files[slot] == NULL)
		s->files[slot] = extract_files_new();
	return s->files[slot];
}

static int
held(struct capsule_service *s, const struct capsule_snapshot *p)
{
	int i;

	for (i = 0; i < CONF_WORKERS_MAX; i++)
		if (atomic_load(&s->hazard[i]) == p)
			return 1;
	return 0;
}

int
capsule_service_reclaim(struct capsule_service *s)
{
	struct capsule_snapshot **pp, *p;

	for (pp = &s->retired; (p = *pp) != NULL; ) {
		if (held(s, p)) {
			pp = &p->retired;
			continue;
		}
		*pp = p->retired;
		capsule_snapshot_free(p);
	}
	return s->retired != NULL;
}

int
capsule_service_publish(struct capsule_service *s,
    struct capsule_snapshot *snap)
{
	struct capsule_snapshot *old;

	if ((old = atomic_exchange(&s->current, snap)) != NULL) {
		old->retired = s->retired;
		s->retired = old;
	}
	return capsule_service_reclaim(s);
}
