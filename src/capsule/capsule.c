/* The served directory: safe path resolution beneath its root, listings. */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capsule.h"

int
capsule_open(struct capsule *c, const char *dir, char *err, size_t errlen)
{
	c->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd == -1) {
		snprintf(err, errlen, "capsule %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

void
capsule_close(struct capsule *c)
{
	if (c->rootfd != -1)
		close(c->rootfd);
	c->rootfd = -1;
}

int
capsule_path_hidden(const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (path[i] == '.' && (i == 0 || path[i - 1] == '/'))
			return 1;
	return 0;
}

int
capsule_name_reserved(const char *name, size_t len)
{
	return len == 9 && memcmp(name, "gophermap", 9) == 0;
}

/* The path an open fd names now, as the kernel sees it; -1 if unknown. */
static ssize_t
fd_path(int fd, char *buf, size_t size)
{
	char proc[64];
	ssize_t n;

	if (snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd) >=
	    (int)sizeof(proc))
		return -1;
	n = readlink(proc, buf, size);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* Drops the last name of a path relative to the root ("" is the root). */
static void
pop_name(char *done, size_t *len)
{
	while (*len > 0 && done[*len - 1] != '/')
		(*len)--;
	if (*len > 0)
		(*len)--;
	done[*len] = '\0';
}

int
capsule_walk_hidden(int rootfd, const char *rel)
{
	char todo[PATH_MAX], done[PATH_MAX], next[PATH_MAX], link[PATH_MAX];
	const char *name, *rest;
	size_t dlen = 0, nlen;
	struct stat st;
	ssize_t ln;
	int links = 0;

	if (snprintf(todo, sizeof(todo), "%s", rel) >= (int)sizeof(todo))
		return -1;
	done[0] = '\0';
	for (rest = todo; *rest != '\0'; ) {
		name = rest;
		nlen = strcspn(name, "/");
		rest = name + nlen + (name[nlen] == '/');
		if (nlen == 0 || (nlen == 1 && name[0] == '.'))
			continue;
		if (nlen == 2 && name[0] == '.' && name[1] == '.') {
			pop_name(done, &dlen);
			continue;
		}
		if (name[0] == '.')
			return 1;	/* a hidden name, link or not */
		if (dlen + 1 + nlen >= sizeof(done))
			return -1;
		if (dlen > 0)
			done[dlen++] = '/';
		memcpy(done + dlen, name, nlen);
		dlen += nlen;
		done[dlen] = '\0';
		if (fstatat(rootfd, done, &st, AT_SYMLINK_NOFOLLOW) == -1)
			return -1;
		if (!S_ISLNK(st.st_mode))
			continue;
		/* A link: its target, then what was left, from its directory. */
		if (++links > 40 || (ln = readlinkat(rootfd, done, link,
		    sizeof(link) - 1)) <= 0 || link[0] == '/')
			return -1;
		link[ln] = '\0';
		pop_name(done, &dlen);
		if (snprintf(next, sizeof(next), "%s/%s", link, rest) >=
		    (int)sizeof(next))
			return -1;
		memcpy(todo, next, strlen(next) + 1);
		rest = todo;
	}
	return 0;
}

/*
 * Whether fd, reached through a symlink, is a hidden name beneath the root:
 * "notes.txt -> .drafts/notes.txt" must not publish what dotfiles hide.
 * /proc says where fd is; without /proc the path is walked name by name
 * (capsule_walk_hidden); when neither can tell, the answer is yes: refuse
 * rather than guess.
 */
static int
opened_hidden(int rootfd, const char *rel, int fd)
{
	char root[PATH_MAX], got[PATH_MAX];
	ssize_t rn, gn;

	if ((rn = fd_path(rootfd, root, sizeof(root))) == -1 ||
	    (gn = fd_path(fd, got, sizeof(got))) == -1)
		return capsule_walk_hidden(rootfd, rel) != 0;
	if (rn == 1)			/* the root is "/" */
		rn = 0;
	if (gn < rn || memcmp(root, got, (size_t)rn) != 0 ||
	    (gn > rn && got[rn] != '/'))
		return 1;
	return capsule_path_hidden(got + rn, (size_t)(gn - rn));
}

/* Without openat2: a walk one name at a time that follows no symlink. */
static int
open_walk(int rootfd, const char *rel, int flags)
{
	char buf[PATH_MAX], *seg, *next;
	int fd, dirfd;

	if (strlen(rel) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, rel);
	dirfd = rootfd;
	for (seg = buf; ; seg = next) {
		next = strchr(seg, '/');
		if (next != NULL)
			*next++ = '\0';
		if (strcmp(seg, "..") == 0) {
			errno = EXDEV;
			fd = -1;
		} else if (next == NULL || *next == '\0')
			fd = openat(dirfd, *seg ? seg : ".",
			    flags | O_CLOEXEC | O_NOFOLLOW);
		else
			fd = openat(dirfd, *seg ? seg : ".", O_RDONLY |
			    O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (dirfd != rootfd) {
			int saved = errno;

			close(dirfd);
			errno = saved;
		}
		if (fd == -1 || next == NULL || *next == '\0')
			return fd;
		dirfd = fd;
	}
}

/*
 * Opens rel beneath rootfd.  The kernel's RESOLVE_BENEATH refuses any
 * resolution that leaves the root, through "..", an absolute symlink or a
 * symlink climbing out; a symlink that stays inside is followed unless it
 * ends on a dotfile (ENOLINK).  Kernels without openat2 get no symlinks.
 */
static int
open_beneath(int rootfd, const char *rel, int flags)
{
	struct open_how how;
	long r;

	memset(&how, 0, sizeof(how));
	/* openat2 refuses O_PATH with flags beyond these. */
	if (!(flags & O_PATH))
		flags |= O_NOCTTY;
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	/* Most paths hold no symlink: then the names asked are the names. */
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
	    RESOLVE_NO_SYMLINKS;
	r = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
	if (r == -1 && errno == ENOSYS)
		return open_walk(rootfd, rel, flags);
	if (r != -1 || errno != ELOOP)
		return (int)r;
	/* A symlink on the way: follow it, then see where it led. */
	how.resolve &= ~(unsigned long long)RESOLVE_NO_SYMLINKS;
	if ((r = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how))) == -1)
		return -1;
	if (opened_hidden(rootfd, rel, (int)r)) {
		close((int)r);
		errno = ENOLINK;
		return -1;
	}
	return (int)r;
}

int
capsule_open_beneath(const struct capsule *c, const char *rel, int flags)
{
	return open_beneath(c->rootfd, rel, flags);
}

int
capsule_open_plain(const struct capsule *c, const char *path, int flags)
{
	if (path[0] != '/' || capsule_path_hidden(path, strlen(path))) {
		errno = ENOENT;
		return -1;
	}
	return open_walk(c->rootfd, path[1] != '\0' ? path + 1 : ".", flags);
}

int
capsule_open_in_dir(const struct capsule *c, const char *dirpath,
    const char *name, struct stat *st)
{
	char rel[PATH_MAX];
	int fd, n;

	n = snprintf(rel, sizeof(rel), "%s%s", dirpath + 1, name);
	if (n < 0 || (size_t)n >= sizeof(rel)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open_beneath(c->rootfd, rel, O_RDONLY | O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}

static enum capsule_result
not_found(struct capsule_object *o, int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		o->why = "no such file";
		return CAPSULE_NOT_FOUND;
	case EXDEV:
	case ELOOP:
		o->why = "leads out of the capsule";
		return CAPSULE_REFUSED;
	case ENOLINK:
		o->why = "leads to a dotfile";
		return CAPSULE_REFUSED;
	case EACCES:
	case EPERM:
		o->why = "permission denied";
		return CAPSULE_NOT_FOUND;
	default:
		o->why = strerror(err);
		return CAPSULE_ERROR;
	}
}

enum capsule_result
capsule_resolve(const struct capsule *c, const char *path, size_t len,
    struct capsule_object *o)
{
	char rel[PATH_MAX], dir[PATH_MAX];
	const char *name;
	struct stat st;
	int fd, ifd, n;

	o->fd = -1;
	o->size = 0;
	o->why = NULL;
	if (len == 0 || path[0] != '/' || memchr(path, '\0', len) != NULL) {
		o->why = "not an absolute path";
		return CAPSULE_NOT_FOUND;
	}
	if (capsule_path_hidden(path, len)) {
		o->why = "dotfile";
		return CAPSULE_REFUSED;
	}
	n = snprintf(rel, sizeof(rel), "%s%.*s", len == 1 ? "." : "",
	    (int)(len - 1), path + 1);
	if (n < 0 || (size_t)n >= sizeof(rel) - sizeof("/index.gmi")) {
		o->why = "path too long";
		return CAPSULE_NOT_FOUND;
	}
	/*
	 * A directory's index, the most asked for of pages, in one open: a
	 * path through anything but directories fails, and then, as for
	 * an index that is missing or not a file, the long way tells why.
	 */
	if (path[len - 1] == '/' && (size_t)snprintf(dir, sizeof(dir), "%.*s",
	    (int)len, path) < sizeof(dir) && (ifd = capsule_open_in_dir(c,
	    dir, "index.gmi", &st)) != -1) {
		o->fd = ifd;
		o->size = st.st_size;
		o->st = st;
		return CAPSULE_DIR_INDEX;
	}
	/* O_NONBLOCK: opening a FIFO must not stall the server. */
	if ((fd = open_beneath(c->rootfd, rel, O_RDONLY | O_NONBLOCK)) == -1)
		return not_found(o, errno);
	if (fstat(fd, &st) == -1) {
		o->why = strerror(errno);
		close(fd);
		return CAPSULE_ERROR;
	}
	if (S_ISREG(st.st_mode)) {
		if (path[len - 1] == '/') {	/* "file.gmi/" */
			close(fd);
			o->why = "not a directory";
			return CAPSULE_NOT_FOUND;
		}
		name = (const char *)memrchr(path, '/', len) + 1;
		if (capsule_name_reserved(name, len - (size_t)(name - path))) {
			close(fd);
			/* There, but never a file: refused, not missing (so
			 * never "being written" either). */
			o->why = "a hand-written Gopher menu";
			return CAPSULE_REFUSED;
		}
		o->fd = fd;
		o->size = st.st_size;
		o->st = st;
		return CAPSULE_FILE;
	}
	if (!S_ISDIR(st.st_mode)) {
		close(fd);
		o->why = "not a regular file";
		return CAPSULE_NOT_FOUND;
	}
	if (path[len - 1] != '/') {
		close(fd);
		return CAPSULE_NEED_SLASH;
	}
	if (len == 1)
		strcpy(rel, "index.gmi");
	else
		strcat(rel, "index.gmi");
	o->st = st;
	ifd = open_beneath(c->rootfd, rel, O_RDONLY | O_NONBLOCK);
	if (ifd != -1 && fstat(ifd, &st) == 0 && S_ISREG(st.st_mode)) {
		close(fd);
		o->fd = ifd;
		o->size = st.st_size;
		o->st = st;
		return CAPSULE_DIR_INDEX;
	}
	if (ifd != -1)
		close(ifd);
	o->fd = fd;
	return CAPSULE_DIR_LISTING;
}

char *
capsule_read_file(int fd, size_t max, size_t *len, const char **why)
{
	struct stat st;
	size_t n = 0;
	ssize_t r;
	char *buf;

	if (fstat(fd, &st) == -1) {
		*why = strerror(errno);
		return NULL;
	}
	if (st.st_size < 0 || (size_t)st.st_size > max) {
		*why = "file too large";
		return NULL;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	while (n < (size_t)st.st_size) {
		r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			*why = strerror(errno);
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;		/* shrank while read: what is there */
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

/* The stat of the same version: what a change alters. */
static int
same_version(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int
capsule_read_whole(int fd, const struct stat *st, size_t max, char **out,
    size_t *len, const char **why)
{
	struct stat after;
	size_t n = 0, size = (size_t)st->st_size;
	ssize_t r;
	char *buf;

	*out = NULL;
	if (st->st_size < 0 || size > max) {
		*why = "file too large";
		return -1;
	}
	if ((buf = malloc(size + 1)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	while (n < size) {
		r = pread(fd, buf + n, size - n, (off_t)n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (n < size || fstat(fd, &after) == -1 || !same_version(st, &after)) {
		free(buf);
		return 1;
	}
	*out = buf;
	*len = size;
	return 0;
}

int
capsule_changed_within(const struct stat *st, long long ns)
{
	struct timespec now;
	long long t, c;

	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	t = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
	c = (long long)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
	return t - ns <= c;
}

int
capsule_lease(int fd)
{
	if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0)
		return 0;
	return errno == EAGAIN ? 1 : 2;
}

void
capsule_unlease(int fd)
{
	(void)fcntl(fd, F_SETLEASE, F_UNLCK);
}

int
capsule_stat_parent(const struct capsule *c, const char *path, size_t len,
    struct stat *st)
{
	char rel[PATH_MAX];
	int fd, r;

	if (len == 0 || len >= sizeof(rel) || path[0] != '/')
		return -1;
	memcpy(rel, path + 1, len - 1);
	rel[len - 1] = '\0';
	for (;;) {
		/* The name before: "a/b/c" to "a/b", "a" to the root. */
		len = strlen(rel);
		while (len > 0 && rel[len - 1] == '/')
			len--;
		while (len > 0 && rel[len - 1] != '/')
			len--;
		while (len > 0 && rel[len - 1] == '/')
			len--;
		rel[len] = '\0';
		if (len == 0)
			return fstat(c->rootfd, st);
		if ((fd = open_beneath(c->rootfd, rel, O_PATH |
		    O_DIRECTORY)) != -1) {
			r = fstat(fd, st);
			close(fd);
			return r;
		}
	}
}

static int
dirent_cmp(const void *a, const void *b)
{
	const struct capsule_dirent *x = a, *y = b;

	if (x->is_dir != y->is_dir)
		return y->is_dir - x->is_dir;
	return strcmp(x->name, y->name);
}

int
capsule_list_add(struct capsule_dirent **ents, size_t *n, const char *name,
    size_t len, int is_dir)
{
	struct capsule_dirent *grown, key;
	size_t i;

	if ((key.name = strndup(name, len)) == NULL)
		return -1;
	key.is_dir = is_dir;
	for (i = 0; i < *n; i++)
		if (strcmp((*ents)[i].name, key.name) == 0) {
			free(key.name);
			return 0;
		}
	if ((grown = reallocarray(*ents, *n + 2, sizeof(**ents))) == NULL) {
		free(key.name);
		return -1;
	}
	for (i = *n; i > 0 && dirent_cmp(&grown[i - 1], &key) > 0; i--)
		grown[i] = grown[i - 1];
	grown[i] = key;
	*ents = grown;
	(*n)++;
	return 0;
}

void
capsule_list_free(struct capsule_dirent *ents, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
}

/*
 * Whether a directory entry is listed, and as what.  A symlink is resolved
 * from the root, as a request for it would be; anything else is what it is.
 */
static int
entry_kind(const struct capsule *c, const char *dirpath, int dirfd,
    const char *name, int *is_dir)
{
	char rel[PATH_MAX];
	struct stat st;
	int fd, n;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	if (S_ISLNK(st.st_mode)) {
		n = snprintf(rel, sizeof(rel), "%s%s", dirpath + 1, name);
		if (n < 0 || (size_t)n >= sizeof(rel))
			return 0;
		if ((fd = open_beneath(c->rootfd, rel, O_PATH)) == -1)
			return 0;
		n = fstat(fd, &st);
		close(fd);
		if (n == -1)
			return 0;
	}
	if (!(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return 0;
	*is_dir = S_ISDIR(st.st_mode);
	return *is_dir || !capsule_name_reserved(name, strlen(name));
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
capsule_names_free(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

int
capsule_names(int dirfd, char ***out, size_t *n)
{
	char **names = NULL, **grown;
	size_t count = 0, cap = 0;
	struct dirent *de;
	int fd, saved;
	DIR *d;

	/* fdopendir takes the fd it is given: give it a copy. */
	if ((fd = dup(dirfd)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 32;
			if ((grown = reallocarray(names, cap,
			    sizeof(*names))) == NULL)
				goto fail;
			names = grown;
		}
		if ((names[count] = strdup(de->d_name)) == NULL)
			goto fail;
		count++;
	}
	if (errno != 0)
		goto fail;
	closedir(d);
	if (count > 0)
		qsort(names, count, sizeof(*names), name_cmp);
	*out = names;
	*n = count;
	return 0;
fail:
	saved = errno;
	closedir(d);
	capsule_names_free(names, count);
	errno = saved;
	return -1;
}

int
capsule_list(const struct capsule *c, const char *dirpath, int dirfd,
    struct capsule_dirent **out, size_t *n)
{
	struct capsule_dirent *ents;
	char **names;
	size_t count, i, kept = 0;
	int is_dir;

	*out = NULL;
	*n = 0;
	if (capsule_names(dirfd, &names, &count) == -1)
		return -1;
	if ((ents = calloc(count + 1, sizeof(*ents))) == NULL) {
		capsule_names_free(names, count);
		return -1;
	}
	/* The names move into ents; those not listed are freed here. */
	for (i = 0; i < count; i++) {
		if (entry_kind(c, dirpath, dirfd, names[i], &is_dir)) {
			ents[kept].name = names[i];
			ents[kept++].is_dir = is_dir;
		} else
			free(names[i]);
	}
	free(names);
	if (kept > 0)
		qsort(ents, kept, sizeof(*ents), dirent_cmp);
	*out = ents;
	*n = kept;
	return 0;
}
