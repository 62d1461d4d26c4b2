/*
 * A worker's channel to the key process (tls_keys.h): its socket, the
 * requests sent on it, and the three ways a handshake waits for the
 * answer: blocking its thread, briefly before parking, or parked in its
 * OpenSSL job while the thread's loop reads.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/async.h>
#include <openssl/err.h>

#include "clock.h"
#include "tls_key_remote.h"
#include "tls_keys.h"

/* The calling thread's channel. */
static _Thread_local struct tls_key_channel *current;

static pthread_once_t	 err_once = PTHREAD_ONCE_INIT;
static int		 err_lib;

static ERR_STRING_DATA reasons[] = {
	{ 0, "key process" },
	{ R_NO_CHANNEL, "no channel to the key process on this thread" },
	{ R_UNREACHABLE, "the key process is not reachable" },
	{ R_TIMEOUT, "the key process did not answer in time" },
	{ R_UNKNOWN, "the key process does not hold this certificate's key" },
	{ R_FAILED, "the key process could not sign" },
	{ 0, NULL }
};

/* The reasons' library, named once, so that a log line can say them. */
static void
err_init(void)
{
	size_t i;

	err_lib = ERR_get_next_error_library();
	for (i = 0; reasons[i].string != NULL; i++)
		reasons[i].error = ERR_PACK(err_lib, 0, reasons[i].error);
	(void)ERR_load_strings(err_lib, reasons);
}

void
tls_key_raise(int reason)
{
	(void)pthread_once(&err_once, err_init);
	ERR_raise(err_lib, reason);
}

/* A socket's reads wait TLS_KEY_WAIT_MS at most: the answer's deadline. */
static int
bounded(int fd)
{
	struct timeval tv = { TLS_KEY_WAIT_MS / 1000,
	    (TLS_KEY_WAIT_MS % 1000) * 1000 };

	if (fd != -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* A parked handshake's request: its answer is read by the thread's loop. */
struct tls_key_wait {
	void			*asker;
	uint32_t		 id;
	int			 done;		/* answered, or failed */
	int			 reason;	/* failed: why (R_*) */
	size_t			 outmax, len;
	long			 since;		/* parked at, ms */
	unsigned char		 data[TLS_KEY_DATA_MAX];
	TAILQ_ENTRY(tls_key_wait) entry;
};

void
tls_key_channel_init(struct tls_key_channel *ch, int fd)
{
	memset(ch, 0, sizeof(*ch));
	ch->fd = bounded(fd);
	atomic_init(&ch->next, -1);
	TAILQ_INIT(&ch->waits);
}

void
tls_key_channel_give(struct tls_key_channel *ch, int fd)
{
	int old = atomic_exchange(&ch->next, fd);

	if (old != -1)
		close(old);
}

void
tls_key_channel_close(struct tls_key_channel *ch)
{
	int fd = atomic_exchange(&ch->next, -1);

	if (fd != -1)
		close(fd);
	if (ch->fd != -1)
		close(ch->fd);
	ch->fd = -1;
}

void
tls_key_channel_bind(struct tls_key_channel *ch)
{
	current = ch;
}

void
tls_key_channel_park(struct tls_key_channel *ch, void (*wake)(void *asker),
    void (*watch)(void *arg), void *arg)
{
	ch->wake = wake;
	ch->watch = watch;
	ch->watch_arg = arg;
}

void
tls_key_asker(void *asker)
{
	if (current != NULL)
		current->asker = asker;
}

/* A parked handshake has its answer, or its failure: it is woken. */
static void
settle(struct tls_key_channel *ch, struct tls_key_wait *w, int reason)
{
	TAILQ_REMOVE(&ch->waits, w, entry);
	w->done = 1;
	w->reason = reason;
	ch->wake(w->asker);
}

static void
fail_parked(struct tls_key_channel *ch, int reason)
{
	while (!TAILQ_EMPTY(&ch->waits))
		settle(ch, TAILQ_FIRST(&ch->waits), reason);
}

int
tls_key_channel_expire(struct tls_key_channel *ch)
{
	struct tls_key_wait *w;
	long now = clock_ms();
	int n = 0;

	while ((w = TAILQ_FIRST(&ch->waits)) != NULL &&
	    now - w->since >= TLS_KEY_WAIT_MS) {
		ch->stalled = 1;
		settle(ch, w, R_TIMEOUT);
	}
	TAILQ_FOREACH(w, &ch->waits, entry)
		n++;
	return n;
}

/* An answer read (n bytes in ch->rep) for a parked handshake, if one. */
static void
deliver(struct tls_key_channel *ch, size_t n)
{
	const struct tls_key_reply *rep = &ch->rep;
	struct tls_key_wait *w;

	if (n < TLS_KEY_REPLY_HEAD)
		return;
	TAILQ_FOREACH(w, &ch->waits, entry)
		if (w->id == rep->id)
			break;
	if (w == NULL)
		return;		/* the late answer of a request given up */
	if (rep->status != TLS_KEY_OK || n - TLS_KEY_REPLY_HEAD > w->outmax) {
		settle(ch, w, rep->status == TLS_KEY_UNKNOWN ? R_UNKNOWN :
		    R_FAILED);
		return;
	}
	w->len = n - TLS_KEY_REPLY_HEAD;
	memcpy(w->data, rep->data, w->len);
	settle(ch, w, 0);
}

int
tls_key_channel_fd(struct tls_key_channel *ch)
{
	int fd;

	if ((fd = atomic_exchange(&ch->next, -1)) != -1) {
		/* What was asked on the old socket is answered on none. */
		fail_parked(ch, R_UNREACHABLE);
		if (ch->fd != -1)
			close(ch->fd);
		ch->fd = bounded(fd);
		ch->dead = 0;
		ch->stalled = 0;
	}
	return ch->dead ? -1 : ch->fd;
}

int
tls_key_channel_read(struct tls_key_channel *ch)
{
	ssize_t n;

	if (ch->fd == -1 || ch->dead)
		return -1;
	for (;;) {
		n = recv(ch->fd, &ch->rep, sizeof(ch->rep), MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			ch->dead = 1;
			fail_parked(ch, R_UNREACHABLE);
			return -1;
		}
		/* It answers: requests are sent again. */
		ch->stalled = 0;
		deliver(ch, (size_t)n);
		/*
		 * Its last awaited answer read, the next recv would only say
		 * EAGAIN: a syscall per handshake saved.  A message still
		 * there (a late answer) makes the loop call again.
		 */
		if (TAILQ_EMPTY(&ch->waits))
			return 0;
	}
}

void
tls_key_channel_drop(struct tls_key_channel *ch)
{
	if (ch->fd != -1)
		close(ch->fd);
	ch->fd = -1;
	ch->dead = 0;
}

int
tls_key_parking(void)
{
	return current != NULL && current->wake != NULL;
}

int
tls_key_cancel(void *asker)
{
	struct tls_key_channel *ch = current;
	struct tls_key_wait *w;

	if (ch == NULL)
		return 0;
	TAILQ_FOREACH(w, &ch->waits, entry)
		if (w->asker == asker) {
			/* Gone before its answer: it timed out, or its
			 * client left. */
			TAILQ_REMOVE(&ch->waits, w, entry);
			w->done = 1;
			w->reason = R_TIMEOUT;
			return 1;
		}
	return 0;
}

/*
 * The socket is gone: until another comes, requests fail at once.  A
 * parking channel's socket is its loop's to close.
 */
static void
broken(struct tls_key_channel *ch)
{
	if (ch->wake != NULL) {
		ch->dead = 1;
		fail_parked(ch, R_UNREACHABLE);
		return;
	}
	close(ch->fd);
	ch->fd = -1;
	ch->stalled = 0;
}

/*
 * One answer read into ch->rep: its length; 0 when none has come (at once
 * with MSG_DONTWAIT, else within SO_RCVTIMEO); -1 when the socket ended
 * (the reason raised).
 */
static ssize_t
read_answer(struct tls_key_channel *ch, int flags)
{
	ssize_t n;

	do
		n = recv(ch->fd, &ch->rep, sizeof(ch->rep), flags);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0) {
		broken(ch);
		tls_key_raise(R_UNREACHABLE);
		return -1;
	}
	return n;
}

/*
 * After a timeout: the answers that came since, read without waiting.
 * Returns 0 once the late answer is in (the key process answers again),
 * -1 while it is not (the reason raised).
 */
static int
unstall(struct tls_key_channel *ch)
{
	ssize_t n;

	while (ch->stalled) {
		if ((n = read_answer(ch, MSG_DONTWAIT)) == -1)
			return -1;
		if (n == 0) {
			tls_key_raise(R_TIMEOUT);
			return -1;
		}
		/* Answers come in order: the last request's is the last. */
		if ((size_t)n >= TLS_KEY_REPLY_HEAD &&
		    ch->rep.id == ch->last_id)
			ch->stalled = 0;
		else
			deliver(ch, (size_t)n);
	}
	return 0;
}

/*
 * The request sent, a handshake in a job pauses until the thread's loop
 * has read its answer (or its failure).
 */
static int
parked(struct tls_key_channel *ch, uint32_t id, unsigned char *out,
    size_t outmax)
{
	struct tls_key_wait *w;
	int n;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		tls_key_raise(R_FAILED);
		return -1;
	}
	w->asker = ch->asker;
	w->id = id;
	w->outmax = outmax;
	w->since = clock_ms();
	if (TAILQ_EMPTY(&ch->waits) && ch->watch != NULL)
		ch->watch(ch->watch_arg);
	TAILQ_INSERT_TAIL(&ch->waits, w, entry);
	/* Driven again before the answer (its socket was readable): wait on. */
	while (!w->done)
		if (ASYNC_pause_job() == 0) {
			TAILQ_REMOVE(&ch->waits, w, entry);
			w->done = 1;
			w->reason = R_FAILED;
		}
	if (w->reason != 0) {
		tls_key_raise(w->reason);
		n = -1;
	} else {
		memcpy(out, w->data, w->len);
		n = (int)w->len;
	}
	free(w);
	return n;
}

/*
 * Before parking, a quick signature (P-256: OpenSSL's own assembly, about
 * 26 us of CPU) is awaited on the worker for TLS_KEY_BRIEF_US: a parked
 * handshake waits for its loop's next turn, behind the other connections'
 * work, which made the p99 at 16 clients about 15 % longer
 * (docs/performance.md).  Returns the answer's length, 0 when it has not
 * come (the caller parks), -1 with the reason raised.
 */
static ssize_t
brief_wait(struct tls_key_channel *ch, uint32_t id)
{
	struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
	struct timespec left;
	int64_t end = clock_us() + TLS_KEY_BRIEF_US, now;
	ssize_t n;

	while ((now = clock_us()) < end) {
		left.tv_sec = 0;
		left.tv_nsec = (end - now) * 1000;
		if ((n = ppoll(&pfd, 1, &left, NULL)) == -1 && errno == EINTR)
			continue;
		if (n != 1)
			return 0;
		if ((n = read_answer(ch, MSG_DONTWAIT)) == -1)
			return -1;
		if (n == 0)
			continue;
		if ((size_t)n >= TLS_KEY_REPLY_HEAD && ch->rep.id == id)
			return n;
		deliver(ch, (size_t)n);	/* the late answer of one given up */
	}
	return 0;
}

/*
 * Waiting, the thread blocked: one blocking read (SO_RCVTIMEO bounds it),
 * not a poll and a read, a syscall fewer per handshake.  Answers to parked
 * handshakes that come meanwhile are handed over.  Returns the answer's
 * length, or -1 with the reason raised.
 */
static ssize_t
blocking_wait(struct tls_key_channel *ch, uint32_t id)
{
	int64_t deadline = clock_ms() + TLS_KEY_WAIT_MS;
	ssize_t n;

	for (;;) {
		if ((n = read_answer(ch, 0)) == -1)
			return -1;
		if (n > 0 && (size_t)n >= TLS_KEY_REPLY_HEAD &&
		    ch->rep.id == id)
			return n;
		/* A parked one's, or the late answer of one that timed out. */
		if (n > 0)
			deliver(ch, (size_t)n);
		if (n == 0 || clock_ms() >= deadline) {
			ch->stalled = 1;
			tls_key_raise(R_TIMEOUT);
			return -1;
		}
	}
}

/*
 * One request and its answer on the calling thread's channel: the result's
 * length, or -1 with the reason in OpenSSL's error queue.  quick: the
 * answer comes in tens of microseconds (brief_wait).
 */
int
tls_key_remote(const unsigned char *key, enum tls_key_op op, int padding,
    const unsigned char *in, size_t inlen, unsigned char *out, size_t outmax,
    int quick)
{
	struct tls_key_channel *ch = current;
	struct tls_key_request *req;
	struct tls_key_reply *rep;
	ssize_t n;

	if (ch == NULL) {
		tls_key_raise(R_NO_CHANNEL);
		return -1;
	}
	req = &ch->req;
	rep = &ch->rep;
	/* A parking channel's socket changes in its loop only. */
	if (ch->wake == NULL)
		(void)tls_key_channel_fd(ch);
	if (ch->fd == -1 || ch->dead) {
		tls_key_raise(R_UNREACHABLE);
		return -1;
	}
	/* Parking, the loop reads: a stalled channel fails at once. */
	if (ch->stalled && ch->wake != NULL) {
		tls_key_raise(R_TIMEOUT);
		return -1;
	}
	if (ch->stalled && unstall(ch) == -1)
		return -1;
	if (inlen > sizeof(req->data) || outmax > sizeof(rep->data)) {
		tls_key_raise(R_FAILED);
		return -1;
	}
	memset(req, 0, TLS_KEY_REQUEST_HEAD);
	req->id = ++ch->last_id;
	req->op = (uint32_t)op;
	req->padding = padding;
	req->outmax = (uint32_t)outmax;
	memcpy(req->key, key, TLS_KEY_ID_LEN);
	memcpy(req->data, in, inlen);
	do
		n = send(ch->fd, req, TLS_KEY_REQUEST_HEAD + inlen,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		broken(ch);
		tls_key_raise(R_UNREACHABLE);
		return -1;
	}
	if (ch->wake != NULL && ch->asker != NULL &&
	    ASYNC_get_current_job() != NULL) {
		/* Behind a parked one, ours would come after it. */
		if (!quick || !TAILQ_EMPTY(&ch->waits) ||
		    (n = brief_wait(ch, req->id)) == 0)
			return parked(ch, req->id, out, outmax);
	} else
		n = blocking_wait(ch, req->id);
	if (n == -1)
		return -1;
	if (rep->status != TLS_KEY_OK ||
	    (size_t)n - TLS_KEY_REPLY_HEAD > outmax) {
		tls_key_raise(rep->status == TLS_KEY_UNKNOWN ? R_UNKNOWN :
		    R_FAILED);
		return -1;
	}
	memcpy(out, rep->data, (size_t)n - TLS_KEY_REPLY_HEAD);
	return (int)((size_t)n - TLS_KEY_REPLY_HEAD);
}
