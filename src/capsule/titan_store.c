/* Where a Titan upload lands, and its commit: durable, atomic, kept. */
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gemtext_lint.h"
#include "log.h"
#include "titan_history.h"
#include "titan_store.h"
#include "utf8.h"

#define MAX_DEPTH	64		/* directories made for one upload */

static enum titan_store_error
refuse(const char **why, enum titan_store_error error, const char *reason)
{
	*why = reason;
	return error;
}

/* Why an open beneath the root failed, as an upload's outcome. */
static enum titan_store_error
open_refused(int err, const char **why)
{
	switch (err) {
	case ENOTDIR:
		return refuse(why, TITAN_STORE_REFUSED,
		    "a file where a directory should be");
	case EXDEV:
	case ELOOP:
		return refuse(why, TITAN_STORE_REFUSED,
		    "leads out of the capsule");
	case ENOLINK:
		return refuse(why, TITAN_STORE_REFUSED, "leads to a dotfile");
	case EACCES:
	case EPERM:
		return refuse(why, TITAN_STORE_REFUSED, "permission denied");
	}
	return refuse(why, TITAN_STORE_FAILED, "cannot open the directory");
}

/* Nothing but a regular file, or nothing at all, may be replaced. */
static enum titan_store_error
target_refused(int dirfd, const char *name, const char **why)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? TITAN_STORE_OK :
		    refuse(why, TITAN_STORE_FAILED, "cannot stat");
	if (S_ISDIR(st.st_mode))
		return refuse(why, TITAN_STORE_REFUSED, "a directory is there");
	if (S_ISLNK(st.st_mode))
		return refuse(why, TITAN_STORE_REFUSED, "a symlink is there");
	if (!S_ISREG(st.st_mode))
		return refuse(why, TITAN_STORE_REFUSED, "not a regular file");
	return TITAN_STORE_OK;
}

enum titan_store_error
titan_place_open(const struct capsule *c, const char *path, size_t len,
    struct titan_place *p, const char **why)
{
	enum titan_store_error error;
	const char *last;
	size_t dirlen, namelen, n;
	char tried[REQUEST_MAX + 1];

	memset(p, 0, sizeof(*p));
	p->rootfd = c->rootfd;
	p->basefd = -1;
	if (len == 0 || path[0] != '/' || len > REQUEST_MAX ||
	    memchr(path, '\0', len) != NULL)
		return refuse(why, TITAN_STORE_REFUSED, "not an absolute path");
	if (capsule_path_hidden(path, len))
		return refuse(why, TITAN_STORE_REFUSED, "dotfile");
	last = path + len - 1;
	while (*last != '/')
		last--;
	dirlen = (size_t)(last - path);		/* "/a/b" of "/a/b/c" */
	namelen = len - dirlen - 1;
	if (namelen > TITAN_NAME_MAX)
		return refuse(why, TITAN_STORE_REFUSED, "name too long");
	/* "/dir/" is the directory's page. */
	if (namelen == 0)
		strcpy(p->name, "index.gmi");
	else {
		memcpy(p->name, last + 1, namelen);
		p->name[namelen] = '\0';
	}
	if (dirlen > 0) {
		memcpy(p->dirpath, path + 1, dirlen);	/* "a/b/" */
		p->dirpath[dirlen] = '\0';
	}
	/* The deepest directory that exists; the rest is made on commit. */
	n = dirlen > 0 ? dirlen - 1 : 0;
	memcpy(tried, p->dirpath, n);
	tried[n] = '\0';
	for (;;) {
		p->basefd = capsule_open_beneath(c, n > 0 ? tried : ".",
		    O_RDONLY | O_DIRECTORY);
		if (p->basefd != -1)
			break;
		if (errno != ENOENT || n == 0)
			return open_refused(errno, why);
		while (n > 0 && tried[n - 1] != '/')
			n--;
		if (n > 0)
			n--;
		tried[n] = '\0';
	}
	if (dirlen > 0 && n < dirlen - 1) {
		/* "b/c" of "a/b/c/" when "a" is there. */
		memcpy(p->missing, p->dirpath + n + (n > 0),
		    dirlen - 1 - n - (n > 0));
		p->missing[dirlen - 1 - n - (n > 0)] = '\0';
	}
	/* The first missing name is nothing, not a symlink to nowhere. */
	memcpy(tried, p->missing, strcspn(p->missing, "/"));
	tried[strcspn(p->missing, "/")] = '\0';
	error = target_refused(p->basefd, p->missing[0] != '\0' ? tried :
	    p->name, why);
	if (error != TITAN_STORE_OK)
		titan_place_close(p);
	return error;
}

void
titan_place_close(struct titan_place *p)
{
	if (p->basefd != -1)
		close(p->basefd);
	p->basefd = -1;
}

int
titan_tmp_create(const struct titan_place *p, char name[TITAN_TMP_NAME_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[8];
	char digits[2 * sizeof(rnd) + 1];
	struct timespec ts;
	size_t i;
	int fd, tries;

	for (tries = 0; tries < 8; tries++) {
		if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(rnd)) {
			/* Early at boot: the time will do, O_EXCL decides. */
			clock_gettime(CLOCK_REALTIME, &ts);
			memcpy(rnd, &ts.tv_nsec, 4);
			rnd[4] = (unsigned char)tries;
			memcpy(rnd + 5, &ts.tv_sec, 3);
		}
		for (i = 0; i < sizeof(rnd); i++) {
			digits[2 * i] = hex[rnd[i] >> 4];
			digits[2 * i + 1] = hex[rnd[i] & 15];
		}
		digits[2 * sizeof(rnd)] = '\0';
		snprintf(name, TITAN_TMP_NAME_SIZE, ".titan-upload-%s", digits);
		/* Read and write: the commit reads gemtext back to check it. */
		fd = openat(p->basefd, name, O_RDWR | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* The directories of one commit: fd[0] the base, then each one below. */
struct chain {
	int	 fd[MAX_DEPTH + 1];
	char	*name[MAX_DEPTH];		/* of fd[i + 1], in fd[i] */
	int	 made[MAX_DEPTH];		/* by this commit */
	int	 n;				/* directories below the base */
	char	 buf[REQUEST_MAX + 1];
};

static void
fail(struct titan_commit *tc, enum titan_store_error error, const char *why,
    int err)
{
	tc->error = error;
	if (err != 0)
		snprintf(tc->why, sizeof(tc->why), "%s: %s", why,
		    strerrordesc_np(err) != NULL ? strerrordesc_np(err) : "?");
	else
		snprintf(tc->why, sizeof(tc->why), "%s", why);
}

/* Makes the missing directories; the target directory is fd[n]. */
static int
chain_make(struct chain *ch, const struct titan_place *p,
    struct titan_commit *tc)
{
	char *seg, *next;
	int fd;

	memset(ch, 0, sizeof(*ch));
	ch->fd[0] = p->basefd;
	strcpy(ch->buf, p->missing);
	for (seg = ch->buf; *seg != '\0'; seg = next) {
		if ((next = strchr(seg, '/')) != NULL)
			*next++ = '\0';
		else
			next = seg + strlen(seg);
		if (ch->n == MAX_DEPTH) {
			fail(tc, TITAN_STORE_REFUSED, "nested too deep", 0);
			return -1;
		}
		ch->name[ch->n] = seg;
		if (mkdirat(ch->fd[ch->n], seg, 0755) == 0)
			ch->made[ch->n] = 1;
		else if (errno != EEXIST) {
			fail(tc, TITAN_STORE_FAILED, "mkdir", errno);
			return -1;
		}
		/* Made here or by a concurrent upload: never a symlink. */
		fd = openat(ch->fd[ch->n], seg, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1) {
			fail(tc, TITAN_STORE_REFUSED, "not a directory", errno);
			return -1;
		}
		ch->fd[++ch->n] = fd;
	}
	return 0;
}

/* Flushes the entries of the directories made: their parents. */
static int
chain_sync(const struct chain *ch)
{
	int i;

	for (i = 0; i < ch->n; i++)
		if (ch->made[i] && fsync(ch->fd[i]) == -1)
			return -1;
	return 0;
}

/* After a failure: the directories made go again, the deepest first. */
static void
chain_undo(const struct chain *ch)
{
	int i;

	for (i = ch->n - 1; i >= 0; i--)
		if (ch->made[i])
			(void)unlinkat(ch->fd[i], ch->name[i], AT_REMOVEDIR);
}

static void
chain_close(const struct chain *ch)
{
	int i;

	for (i = 1; i <= ch->n; i++)
		close(ch->fd[i]);
}

static void
lint_warning(void *arg, int is_error, unsigned long line, const char *msg)
{
	const struct titan_commit *tc = arg;

	(void)is_error;
	log_warn("titan: %s %s:%lu: %s", tc->site, tc->path, line, msg);
}

/* A gemtext page must be UTF-8; what else a reader trips on is logged. */
static int
check_gemtext(struct titan_commit *tc)
{
	struct gemtext_lint_sink sink = { lint_warning, NULL, tc };
	struct stat st;
	size_t bad;
	void *m;

	if (fstat(tc->tmpfd, &st) == -1 || st.st_size <= 0) {
		fail(tc, TITAN_STORE_FAILED, "stat", errno);
		return -1;
	}
	/* Mapped, not read: the page cache holds it already. */
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, tc->tmpfd,
	    0);
	if (m == MAP_FAILED) {
		fail(tc, TITAN_STORE_FAILED, "mmap", errno);
		return -1;
	}
	if ((bad = utf8_error_at(m, (size_t)st.st_size)) <
	    (size_t)st.st_size) {
		tc->error = TITAN_STORE_NOT_UTF8;
		snprintf(tc->why, sizeof(tc->why), "gemtext not UTF-8 on line "
		    "%lu", gemtext_line_at(m, bad));
	} else
		gemtext_lint(m, (size_t)st.st_size, tc->width, &sink);
	munmap(m, (size_t)st.st_size);
	return tc->error == TITAN_STORE_OK ? 0 : -1;
}

void
titan_store_commit(struct titan_commit *tc)
{
	const struct titan_place *p = tc->place;
	enum titan_store_error error;
	const char *why;
	struct chain ch;
	struct stat st;
	int dirfd;

	tc->error = TITAN_STORE_OK;
	tc->why[0] = '\0';
	tc->kept = 0;
	if (tc->tmpname != NULL) {
		if (tc->gemtext && check_gemtext(tc) == -1)
			return;
	} else if (p->missing[0] != '\0') {
		fail(tc, TITAN_STORE_NOT_FOUND, "no such file", 0);
		return;
	}
	if (chain_make(&ch, p, tc) == -1)
		goto undo;
	dirfd = ch.fd[ch.n];
	/* Checked when the request came; checked again, things change. */
	if ((error = target_refused(dirfd, p->name, &why)) != TITAN_STORE_OK) {
		fail(tc, error, why, 0);
		goto undo;
	}
	if (fstatat(dirfd, p->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		tc->existed = 1;
		tc->old_size = (long long)st.st_size;
		/* The new version keeps the old one's permissions. */
		if (tc->tmpname != NULL)
			(void)fchmod(tc->tmpfd, st.st_mode & 07777);
	} else if (tc->tmpname == NULL) {
		fail(tc, TITAN_STORE_NOT_FOUND, "no such file", 0);
		goto undo;
	}
	/*
	 * The new version on disk before its name is: flushed with the old
	 * version's link into the history when there is one (one journal
	 * commit where there is a journal), alone otherwise.
	 */
	if (tc->existed && tc->history > 0) {
		if (titan_history_keep(p->rootfd, p->dirpath, dirfd, p->name,
		    tc->tmpname != NULL ? tc->tmpfd : -1) == -1) {
			fail(tc, TITAN_STORE_HISTORY_FAILED, "history", errno);
			goto undo;
		}
		tc->kept = 1;
	} else if (tc->tmpname != NULL && fsync(tc->tmpfd) == -1) {
		fail(tc, TITAN_STORE_FAILED, "fsync", errno);
		goto undo;
	}
	if (chain_sync(&ch) == -1) {
		fail(tc, TITAN_STORE_FAILED, "fsync", errno);
		goto undo;
	}
	/* The moment of the change: one rename, or one unlink. */
	if (tc->tmpname != NULL) {
		if (renameat(p->basefd, tc->tmpname, dirfd, p->name) == -1) {
			fail(tc, TITAN_STORE_FAILED, "rename", errno);
			goto undo;
		}
		tc->renamed = 1;
	} else if (unlinkat(dirfd, p->name, 0) == -1) {
		fail(tc, TITAN_STORE_DELETE_FAILED, "unlink", errno);
		goto undo;
	}
	if (fsync(dirfd) == -1 || (dirfd != p->basefd &&
	    fsync(p->basefd) == -1))
		fail(tc, TITAN_STORE_FAILED, "fsync", errno);
	chain_close(&ch);
	return;
undo:
	chain_undo(&ch);
	chain_close(&ch);
}
