/* The capsule service: its registry, its life, and its snapshots. */
#include <sys/eventfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capsule.h"
#include "capsule_indexer.h"
#include "capsule_service.h"
#include "capsule_snapshot.h"
#include "clock.h"
#include "conf.h"
#include "extract_files.h"
#include "log.h"
#include "whole_table.h"

/*
 * From a change to its event: a writer can be held up between the two
 * (preempted, or waiting on the journal: 8 ms, and 120 ms on a loaded
 * machine, were seen).  Where no read lease can be had, a view is trusted
 * for a file only when its change is older than the view by that, and a
 * tick of the file times, more; where one can, the lease decides.
 */
#define SYNC_SLACK_NS	1000000000LL

struct capsule_service {
	/* Set before its thread starts, read-only after. */
	struct service_registry	*reg;
	char			*dir;		/* real path */
	dev_t			 dev;
	ino_t			 ino;
	enum service_kind	 kind;
	struct capsule		 cap;
	int			 wakefd;
	atomic_int		 stop;
	int64_t			 margin_ns;	/* a tick of file times */
	/*
	 * What requests read, and which snapshot each worker is reading
	 * (hazard pointers: a retired snapshot is freed once no slot holds
	 * it).
	 */
	_Atomic(struct capsule_snapshot *) current;
	_Atomic(struct capsule_snapshot *) hazard[CONF_WORKERS_MAX];
	struct capsule_snapshot	*retired;	/* the indexer's */
	/*
	 * Which files are being written: a view swapped and read as the
	 * snapshots are; up to when it is complete; the asks of readers
	 * that need it newer, and those it answered.
	 */
	_Atomic(struct whole_view *) whole;
	_Atomic(struct whole_view *) whole_hazard[CONF_WORKERS_MAX];
	struct whole_view	*whole_retired;	/* the indexer's */
	_Atomic int64_t		 sync_ns;
	_Atomic uint64_t	 asked, answered;
	atomic_int		 partial;	/* some directory unwatched */
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

	/*
	 * A writer opening a file a request holds a read lease on sends the
	 * process SIGIO (capsule_lease): the lease is given back as soon as
	 * the file is read, the signal has nothing to say.
	 */
	(void)signal(SIGIO, SIG_IGN);

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
	struct whole_view *v;
	int i;

	for (i = 0; i < CONF_WORKERS_MAX; i++)
		extract_files_free(s->files[i]);
	capsule_snapshot_free(atomic_load(&s->current));
	while ((p = s->retired) != NULL) {
		s->retired = p->retired;
		capsule_snapshot_free(p);
	}
	whole_view_free(atomic_load(&s->whole));
	while ((v = s->whole_retired) != NULL) {
		s->whole_retired = v->retired;
		whole_view_free(v);
	}
	capsule_close(&s->cap);
	if (s->wakefd != -1)
		close(s->wakefd);
	free(s->dir);
	free(s);
}

/* The indexer's: a new view of the files being written, or the same. */
static void
service_whole(struct capsule_service *s, struct whole_view *view,
    int64_t sync_ns, uint64_t asked, int partial)
{
	struct whole_view *old;

	if (view != NULL &&
	    (old = atomic_exchange(&s->whole, view)) != NULL) {
		old->retired = s->whole_retired;
		s->whole_retired = old;
	}
	atomic_store(&s->partial, partial);
	/* After the view: who sees this moment sees that view or a newer. */
	atomic_store(&s->sync_ns, sync_ns);
	atomic_store(&s->answered, asked);
}

static uint64_t
service_asks(struct capsule_service *s)
{
	return atomic_load(&s->asked);
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
	env.whole = service_whole;
	env.asks = service_asks;
	env.cap = &s->cap;
	env.name = s->dir;
	env.index = s->kind != SERVICE_WATCH;
	env.margin_ns = s->margin_ns;
	env.words = s->kind == SERVICE_SEARCH;
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

/*
 * How much older than a view's moment a change must be to be in it: a
 * tick of the clock file times are stamped with (a stamp is at most that
 * much behind the change), and the time between a change and its event
 * (SYNC_SLACK_NS).
 */
static int64_t
margin_ns(void)
{
	struct timespec res;

	if (clock_getres(CLOCK_REALTIME_COARSE, &res) == -1)
		res.tv_sec = 0, res.tv_nsec = 10000000;	/* HZ 100 */
	return (int64_t)res.tv_sec * 1000000000LL + res.tv_nsec +
	    SYNC_SLACK_NS;
}

static struct capsule_service *
service_new(struct service_registry *r, const char *dir,
    const struct stat *st, enum service_kind kind, char *err, size_t errlen)
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
	s->kind = kind;
	s->cap.rootfd = -1;
	s->margin_ns = margin_ns();
	atomic_init(&s->stop, 0);
	atomic_init(&s->current, NULL);
	atomic_init(&s->whole, NULL);
	atomic_init(&s->sync_ns, 0);
	atomic_init(&s->asked, 0);
	atomic_init(&s->answered, 0);
	atomic_init(&s->partial, 0);
	for (i = 0; i < CONF_WORKERS_MAX; i++) {
		atomic_init(&s->hazard[i], NULL);
		atomic_init(&s->whole_hazard[i], NULL);
	}
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
		/* Reloaded: what the first walk said, said again. */
		if (atomic_load(&s->partial))
			log_warn("capsule %s: some directories are not watched "
			    "(see fs.inotify.max_user_watches): files there "
			    "being written are checked by their size and "
			    "times alone", s->dir);
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
capsule_service_get(struct service_registry *r, const char *dir,
    enum service_kind kind, char *err, size_t errlen)
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
	/* Any service watches its capsule: one to watch only is any. */
	for (s = r->live; s != NULL; s = s->next)
		if (s->dev == st.st_dev && s->ino == st.st_ino &&
		    (s->kind == kind || kind == SERVICE_WATCH) &&
		    strcmp(s->dir, real) == 0) {
			s->refs++;
			pthread_mutex_unlock(&r->lock);
			return s;
		}
	pthread_mutex_unlock(&r->lock);
	return service_new(r, real, &st, kind, err, errlen);
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

uint64_t
capsule_service_ask(struct capsule_service *s)
{
	uint64_t ticket = atomic_fetch_add(&s->asked, 1) + 1, one = 1;

	if (write(s->wakefd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		return 0;
	return ticket;
}

int
capsule_service_answered(struct capsule_service *s, uint64_t ticket)
{
	return ticket != 0 && atomic_load(&s->answered) >= ticket;
}

void
capsule_service_now(const struct capsule_service *s, struct whole_now *now)
{
	now->rt_ns = clock_real_ns();
	now->mono_ms = clock_ms();
	now->margin_ns = s->margin_ns;
}

enum whole_verdict
capsule_service_judge(struct capsule_service *s, int slot, const char *path,
    size_t len, const struct stat *st, const struct stat *dir, int synced,
    struct whole_now *now)
{
	struct whole_key b, d;
	struct whole_sight sight;
	struct whole_view *v;
	enum whole_verdict r;

	capsule_service_now(s, now);
	if (st != NULL)
		whole_key_of(st, &b);
	if (dir != NULL)
		whole_key_of(dir, &d);
	/* Not changed lately: nothing else to look at. */
	if (st != NULL && whole_settled(b.ctime_ns, now))
		return WHOLE_SETTLED;
	if (slot < 0 || slot >= CONF_WORKERS_MAX)
		return st != NULL ? WHOLE_UNWATCHED : WHOLE_MISSING;
	/* The moment first: the view then is at least that complete. */
	sight.sync_ns = atomic_load(&s->sync_ns);
	sight.partial = atomic_load(&s->partial);
	sight.synced = synced;
	do {
		v = atomic_load(&s->whole);
		atomic_store(&s->whole_hazard[slot], v);
	} while (v != atomic_load(&s->whole));
	sight.view = v;
	r = whole_judge(&sight, path, len, st != NULL ? &b : NULL,
	    dir != NULL ? &d : NULL, now);
	atomic_store(&s->whole_hazard[slot], NULL);
	return r;
}

struct gone_in {
	void			(*fn)(void *, const char *, size_t);
	void			*arg;
	const struct whole_now	*now;
};

/*
 * A name the listing must show: removed within the bound (to be written
 * again), or changed lately and not known removed (its removal, if any,
 * not seen yet: a checkout between removing and making it again).
 */
static void
gone_name(void *arg, const struct whole_entry *e, const char *name,
    size_t len)
{
	struct gone_in *g = arg;

	if (e->state != WHOLE_GONE ||
	    g->now->mono_ms - e->since_ms <= WHOLE_BOUND_MS)
		g->fn(g->arg, name, len);
}

enum whole_verdict
capsule_service_gone_in(struct capsule_service *s, int slot,
    const char *dirpath, const struct stat *dir, int synced,
    void (*fn)(void *, const char *, size_t), void *arg)
{
	struct gone_in g = { fn, arg, NULL };
	struct whole_now now;
	struct whole_key d;
	const struct whole_view *v;
	int64_t sync_ns;

	capsule_service_now(s, &now);
	whole_key_of(dir, &d);
	if (whole_settled(d.ctime_ns, &now))
		return WHOLE_SETTLED;
	sync_ns = atomic_load(&s->sync_ns);
	if (!synced && d.ctime_ns >= sync_ns - now.margin_ns)
		return WHOLE_ASK;
	if ((v = capsule_service_whole_enter(s, slot)) != NULL) {
		g.now = &now;
		whole_view_in_dir(v, dirpath, gone_name, &g);
	}
	capsule_service_whole_leave(s, slot);
	return WHOLE_TRUSTED;
}

/* The view a reader holds while it lists a directory (whole_view_in_dir). */
const struct whole_view *
capsule_service_whole_enter(struct capsule_service *s, int slot)
{
	struct whole_view *v;

	if (slot < 0 || slot >= CONF_WORKERS_MAX)
		return NULL;
	do {
		v = atomic_load(&s->whole);
		atomic_store(&s->whole_hazard[slot], v);
	} while (v != atomic_load(&s->whole));
	return v;
}

void
capsule_service_whole_leave(struct capsule_service *s, int slot)
{
	if (slot >= 0 && slot < CONF_WORKERS_MAX)
		atomic_store(&s->whole_hazard[slot], NULL);
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

static int
whole_held(struct capsule_service *s, const struct whole_view *v)
{
	int i;

	for (i = 0; i < CONF_WORKERS_MAX; i++)
		if (atomic_load(&s->whole_hazard[i]) == v)
			return 1;
	return 0;
}

int
capsule_service_reclaim(struct capsule_service *s)
{
	struct capsule_snapshot **pp, *p;
	struct whole_view **vp, *v;

	for (pp = &s->retired; (p = *pp) != NULL; ) {
		if (held(s, p)) {
			pp = &p->retired;
			continue;
		}
		*pp = p->retired;
		capsule_snapshot_free(p);
	}
	for (vp = &s->whole_retired; (v = *vp) != NULL; ) {
		if (whole_held(s, v)) {
			vp = &v->retired;
			continue;
		}
		*vp = v->retired;
		whole_view_free(v);
	}
	return s->retired != NULL || s->whole_retired != NULL;
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
