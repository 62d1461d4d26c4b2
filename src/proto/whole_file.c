/*
 * A capsule file as one whole version (whole_file.h).
 *
 * Reading a file nobody changed lately costs what it always did: its ctime
 * (from the fstat the request made anyway) is older than the bound, and
 * nothing else is looked at.  A file changed lately is read into memory
 * and its stat checked after (capsule_read_whole), once the service says
 * it is whole; the version read is kept in the render cache (a file up to
 * RENDER_BLOB_MAX), so that while the next writer writes, readers get it.
 *
 * Every file up to RENDER_BLOB_MAX is kept, read once per version: over
 * TLS, reading it again for each request was a tenth of the CPU of a 1 MiB
 * download; over plain TCP too, so that a file seen whole once is there
 * for its readers while it is rewritten (writing it from memory costs one
 * system call, as sendfile did).  Larger files are sent as they are:
 * sendfile over plain TCP, 64 KB windows over TLS.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "capsule.h"
#include "capsule_service.h"
#include "conn.h"
#include "generation.h"
#include "log.h"
#include "whole_file.h"

#define WAIT_MS_MAX	10	/* between two tries, at most */
#define KEEP_UNLEASED_NS 1000000000LL	/* see read_whole */
#define STALE_MS	100	/* see ask */
#define EMPTY_NS	100000000LL	/* see young */
/*
 * What a request keeps across its tries (conn_retry_state): the ticket of
 * its last ask; ASKED_MISSING when it was asked for a file not found or a
 * listing; then the change time of the directory at the ask.
 */
#define TICKET		0
#define FLAGS		1
#define DIR_CTIME	2
#define ASKED_MISSING	1

/* Runs the request again soon; past the bound, says it is busy. */
static enum file_answer
retry_soon(struct conn *c, long ms)
{
	long waited = conn_waited_ms(c);

	if (waited >= WHOLE_BOUND_MS)
		return FILE_BUSY;
	/* Sooner at first, then less often: a writer takes its time. */
	if (ms <= 0)
		ms = 1 + waited / 20;
	if (ms > WAIT_MS_MAX)
		ms = WAIT_MS_MAX;
	conn_retry(c, (int)ms);
	return FILE_WAITING;
}

static int64_t
stat_ctime_ns(const struct stat *st)
{
	return (int64_t)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
}

/*
 * Whether an ask of this request was answered (see whole_judge).  For a
 * file not found or a listing (dir: its directory's stat), only one made
 * while the directory was as it is now: the view then holds every removal
 * from before the directory was read.
 */
static int
synced(struct conn *c, const struct stat *dir)
{
	const struct site *s = conn_site(c);
	uint64_t *state = conn_retry_state(c);

	if (dir != NULL && (!(state[FLAGS] & ASKED_MISSING) ||
	    state[DIR_CTIME] != (uint64_t)stat_ctime_ns(dir)))
		return 0;
	return capsule_service_answered(s->service, state[TICKET]);
}

/*
 * The service may not have read the events of the file's last change
 * (stamped ctime_ns): asked once that change is older than the margin,
 * and the request tried again once it answered.  A file that keeps
 * changing would keep its reader asking: after STALE_MS, the last whole
 * version kept does.
 */
static enum file_answer
ask(struct conn *c, const struct whole_ask *a, struct whole_got *got,
    int64_t ctime_ns, const struct whole_now *now, int missing)
{
	struct capsule_service *svc = conn_site(c)->service;
	uint64_t *state = conn_retry_state(c);
	int64_t early = ctime_ns + now->margin_ns - now->rt_ns;

	if (conn_waited_ms(c) > STALE_MS &&
	    (got->blob = render_cache_last(conn_site(c)->cache, a->kind,
	    a->key)) != NULL)
		return FILE_READY;

	if (state[TICKET] != 0 && !capsule_service_answered(svc,
	    state[TICKET]))
		return retry_soon(c, 1);
	/* Not found, or listed: an answer to an ask made since is enough. */
	if (!missing && early >= 0)
		return retry_soon(c, early / 1000000 + 1);
	state[TICKET] = capsule_service_ask(svc);
	state[FLAGS] = missing ? ASKED_MISSING : 0;
	state[DIR_CTIME] = missing ? (uint64_t)ctime_ns : 0;
	return retry_soon(c, 1);
}

/* The last whole version kept, or a wait for the writer. */
static enum file_answer
last(struct conn *c, const struct whole_ask *a, struct whole_got *got)
{
	if ((got->blob = render_cache_last(conn_site(c)->cache, a->kind,
	    a->key)) != NULL)
		return FILE_READY;
	return retry_soon(c, 0);
}

/* As it is: streamed, or read without more ado. */
static enum file_answer
as_is(const struct whole_ask *a, int fd, struct whole_got *got)
{
	if (a->kind == RENDER_FILE) {
		got->fd = fd;
		return FILE_READY;
	}
	got->text = capsule_read_file(fd, a->max, &got->len, &got->why);
	close(fd);
	return got->text != NULL ? FILE_READY : FILE_FAILED;
}

/*
 * got->text, the file read whole, as a blob of its bytes (RENDER_FILE):
 * kept when it may be (keep), else a blob of its own.
 */
static enum file_answer
bytes_blob(struct conn *c, const struct whole_ask *a, struct whole_got *got)
{
	struct evbuffer *body;

	if ((body = evbuffer_new()) == NULL ||
	    evbuffer_add_reference(body, got->text, got->len, NULL,
	    NULL) == -1 || ((got->blob = whole_file_keep(c, a, got,
	    body)) == NULL && (got->blob = render_blob_new(body)) == NULL)) {
		if (body != NULL)
			evbuffer_free(body);
		got->why = "out of memory";
		return FILE_FAILED;
	}
	evbuffer_free(body);
	free(got->text);
	got->text = NULL;
	return FILE_READY;
}

/*
 * Reads the file into memory, one whole version: under a read lease when
 * the file allows one (no writer had it open, none can open it meanwhile),
 * else only when it was not changed in the current tick and its stat did
 * not move while read (lease 2).  The text is kept for later readers when
 * its stat tells it from any later version; without a lease only once it
 * is older than KEEP_UNLEASED_NS, since a writer held up between changing
 * the file and the kernel's event could still be writing.
 */
static enum file_answer
read_whole(struct conn *c, const struct whole_ask *a, int fd, int lease,
    struct whole_got *got)
{
	int r;

	if (lease == 2 && capsule_changed_within(&got->st, 0)) {
		close(fd);
		return retry_soon(c, 1);
	}
	r = capsule_read_whole(fd, &got->st, a->max, &got->text, &got->len,
	    &got->why);
	if (lease == 0)
		capsule_unlease(fd);
	close(fd);
	if (r == -1)
		return FILE_FAILED;
	if (r == 1)
		return lease == 0 ? last(c, a, got) : retry_soon(c, 1);
	got->keep = !capsule_changed_within(&got->st, lease == 0 ? 0 :
	    KEEP_UNLEASED_NS);
	return a->kind == RENDER_FILE ? bytes_blob(c, a, got) : FILE_READY;
}

/*
 * Not changed lately: from the cache, or read once for this version and
 * kept; larger than the cache takes, sent as it is.
 */
static enum file_answer
settled(struct conn *c, const struct whole_ask *a, int fd,
    struct whole_got *got)
{
	size_t size = (size_t)got->st.st_size;

	if (a->kind == RENDER_FILE && (size > RENDER_BLOB_MAX ||
	    size > a->max || size == 0)) {
		got->fd = fd;
		return FILE_READY;
	}
	if ((got->blob = render_cache_get(conn_site(c)->cache, a->kind,
	    a->key, &got->st)) != NULL) {
		close(fd);
		return FILE_READY;
	}
	/* Changed since it settled, it is no longer settled: no lease. */
	return read_whole(c, a, fd, 2, got);
}

/*
 * Changed lately: whole if no one writes it (lease 0), or as the service
 * says (lease 2: none to be had): read whole, or its last whole version,
 * or a wait.
 */
static enum file_answer
young(struct conn *c, const struct whole_ask *a, int fd,
    enum whole_verdict v, const struct whole_now *now,
    struct whole_got *got)
{
	size_t size = (size_t)got->st.st_size;
	int lease, stream;

	if ((got->blob = render_cache_get(conn_site(c)->cache, a->kind,
	    a->key, &got->st)) != NULL) {
		close(fd);
		return FILE_READY;
	}
	if ((lease = capsule_lease(fd)) == 1) {
		close(fd);
		return last(c, a, got);
	}
	/*
	 * An empty file may have been made by a writer that has not opened
	 * it yet (a file is there before its creator holds it): a lease
	 * cannot tell, the service does, or, not watched, its age.
	 */
	if (size == 0) {
		if (lease == 0)
			capsule_unlease(fd);
		lease = 2;
		if (v == WHOLE_UNWATCHED &&
		    capsule_changed_within(&got->st, EMPTY_NS))
			v = WHOLE_BEING_WRITTEN;
	}
	if (lease == 2 && v != WHOLE_TRUSTED && v != WHOLE_UNWATCHED) {
		close(fd);
		if (v == WHOLE_BEING_WRITTEN)
			return last(c, a, got);
		return ask(c, a, got, stat_ctime_ns(&got->st), now, 0);
	}
	/* Too large to hold: sent as it is, no writer having it open. */
	stream = a->kind == RENDER_FILE && (size > RENDER_BLOB_MAX ||
	    size > a->max || size == 0);
	if (!stream)
		return read_whole(c, a, fd, lease, got);
	if (lease == 0)
		capsule_unlease(fd);
	got->fd = fd;
	return FILE_READY;
}

enum file_answer
whole_file(struct conn *c, const struct whole_ask *a, int fd,
    const struct stat *st, struct whole_got *got)
{
	struct capsule_service *svc = conn_site(c)->service;
	enum whole_verdict v = WHOLE_SETTLED;
	struct whole_now now;

	memset(got, 0, sizeof(*got));
	got->fd = -1;
	got->st = *st;
	if (svc != NULL)
		v = capsule_service_judge(svc, conn_worker(c), a->path,
		    strlen(a->path), st, NULL, synced(c, NULL), &now);
	switch (v) {
	case WHOLE_SETTLED:
		return settled(c, a, fd, got);
	case WHOLE_AS_IS:
		return as_is(a, fd, got);
	case WHOLE_UNWATCHED:
		/* Nothing tells when its writer is done: the bound does. */
		if (conn_waited_ms(c) >= WHOLE_BOUND_MS)
			return as_is(a, fd, got);
		/* FALLTHROUGH */
	case WHOLE_TRUSTED:
	case WHOLE_BEING_WRITTEN:
	case WHOLE_ASK:
		return young(c, a, fd, v, &now, got);
	case WHOLE_MISSING:
		break;
	}
	close(fd);
	return FILE_MISSING;
}

enum file_answer
whole_file_missing(struct conn *c, const struct whole_ask *a,
    const struct stat *dir, struct whole_got *got)
{
	const struct site *s = conn_site(c);
	struct whole_now now;
	struct stat parent;

	memset(got, 0, sizeof(*got));
	got->fd = -1;
	if (s->service == NULL)
		return FILE_MISSING;
	if (dir == NULL) {
		if (capsule_stat_parent(&s->capsule, a->path, strlen(a->path),
		    &parent) == -1)
			return FILE_MISSING;
		dir = &parent;
	}
	/*
	 * A directory that keeps changing may never be looked at between an
	 * ask and its answer: after STALE_MS, the view as it is decides.
	 */
	switch (capsule_service_judge(s->service, conn_worker(c), a->path,
	    strlen(a->path), NULL, dir, synced(c, dir) ||
	    conn_waited_ms(c) > STALE_MS, &now)) {
	case WHOLE_BEING_WRITTEN:
		return last(c, a, got);
	case WHOLE_ASK:
		return ask(c, a, got, stat_ctime_ns(dir), &now, 1);
	default:
		return FILE_MISSING;
	}
}

struct listed {
	struct capsule_dirent	**ents;
	size_t			 *n;
};

static void
add_name(void *arg, const char *name, size_t len)
{
	struct listed *l = arg;
	int dir = name[len - 1] == '/';

	if (capsule_name_reserved(name, len - (size_t)dir))
		return;
	/* Out of memory: listed as it is, which is what it holds. */
	(void)capsule_list_add(l->ents, l->n, name, len - (size_t)dir, dir);
}

enum file_answer
whole_file_listing(struct conn *c, const struct whole_ask *a, int dirfd,
    const struct stat *before, struct capsule_dirent **ents, size_t *n,
    struct whole_got *got)
{
	struct capsule_service *svc = conn_site(c)->service;
	struct listed l = { ents, n };
	struct whole_now now;
	struct stat after, *dir = &after;

	memset(got, 0, sizeof(*got));
	got->fd = -1;
	/* Settled: nothing added, the listing may be kept as it is. */
	got->keep = 1;
	if (svc == NULL)
		return FILE_READY;
	capsule_service_now(svc, &now);
	if (whole_settled(stat_ctime_ns(before), &now))
		return FILE_READY;
	got->keep = 0;
	/*
	 * Changed lately: its stat now, after it was read, so that a removal
	 * the names miss shows in it.
	 */
	if (fstat(dirfd, &after) == -1)
		return FILE_READY;
	/*
	 * A directory that keeps changing may never be read between an ask
	 * and its answer: after STALE_MS, the names the view has do.
	 */
	switch (capsule_service_gone_in(svc, conn_worker(c), a->path, dir,
	    synced(c, dir) || conn_waited_ms(c) > STALE_MS, add_name, &l)) {
	case WHOLE_ASK:
		return ask(c, a, got, stat_ctime_ns(dir), &now, 1);
	default:
		return FILE_READY;
	}
}

void
whole_file_send(struct conn *c, struct whole_got *got)
{
	if (got->blob != NULL) {
		if (conn_write_blob(c, got->blob) == -1)
			log_warn("%s: cannot queue a file", conn_peer(c));
	} else if (got->fd != -1) {
		conn_send_file(c, got->fd, &got->st);
		got->fd = -1;
	}
}

struct render_blob *
whole_file_keep(struct conn *c, const struct whole_ask *a,
    const struct whole_got *got, struct evbuffer *body)
{
	if (!got->keep)
		return NULL;
	return render_cache_keep(conn_site(c)->cache, a->kind, a->key,
	    &got->st, body);
}

void
whole_file_done(struct whole_got *got)
{
	render_blob_unref(got->blob);
	got->blob = NULL;
	free(got->text);
	got->text = NULL;
	if (got->fd != -1)
		close(got->fd);
	got->fd = -1;
}
