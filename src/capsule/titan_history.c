/* Previous versions of uploaded files, kept in the capsule's history. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "titan_history.h"

#define STAMP_LEN	23		/* 20261126T180441.500000Z */
#define COPY_CHUNK	(64 * 1024)

/* Opens dir beneath dirfd, making it if missing; takes no symlink. */
static int
open_or_make(int dirfd, const char *name)
{
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd != -1 || errno != ENOENT)
		return fd;
	if (mkdirat(dirfd, name, 0755) == -1 && errno != EEXIST)
		return -1;
	/* Made: its parent's entry must reach the disk too. */
	if (fsync(dirfd) == -1)
		return -1;
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

/* .titan-history/<dirpath>, made as needed. */
static int
history_dir(int rootfd, const char *dirpath)
{
	char buf[PATH_MAX], *seg, *next;
	int fd, sub;

	if (strlen(dirpath) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, dirpath);
	if ((fd = open_or_make(rootfd, TITAN_HISTORY_DIR)) == -1)
		return -1;
	for (seg = buf; *seg != '\0'; seg = next) {
		if ((next = strchr(seg, '/')) != NULL)
			*next++ = '\0';
		else
			next = seg + strlen(seg);
		sub = open_or_make(fd, seg);
		close(fd);
		if ((fd = sub) == -1)
			return -1;
	}
	return fd;
}

static int
copy_file(int dirfd, const char *name, int histfd, const char *vname)
{
	char buf[COPY_CHUNK];
	ssize_t r, w, off;
	int in, out, rv = -1;

	if ((in = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		return -1;
	if ((out = openat(histfd, vname, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0644)) == -1) {
		close(in);
		return -1;
	}
	for (;;) {
		if ((r = read(in, buf, sizeof(buf))) == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			rv = r == 0 ? 0 : -1;
			break;
		}
		for (off = 0; off < r; off += w)
			if ((w = write(out, buf + off, (size_t)(r - off))) ==
			    -1) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				goto done;
			}
	}
	if (rv == 0 && fsync(out) == -1)
		rv = -1;
done:
	close(in);
	close(out);
	if (rv == -1)
		(void)unlinkat(histfd, vname, 0);
	return rv;
}

static int
is_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
titan_history_is_version(const char *version, const char *name)
{
	size_t n = strlen(name);
	const char *s;

	if (strncmp(version, name, n) != 0 || version[n] != '.')
		return 0;
	s = version + n + 1;
	if (!(is_digits(s, 8) && s[8] == 'T' && is_digits(s + 9, 6) &&
	    s[15] == '.' && is_digits(s + 16, 6) && s[22] == 'Z'))
		return 0;
	return s[23] == '\0' || (s[23] == '-' && s[24] >= '1' &&
	    s[24] <= '9' && s[25] == '\0');
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes the oldest versions of name beyond the newest keep. */
static int
prune(int histfd, const char *name, int keep)
{
	char **v = NULL, **grown;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	int fd, rv = -1;
	DIR *d;

	if ((fd = dup(histfd)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!titan_history_is_version(de->d_name, name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((grown = reallocarray(v, cap, sizeof(*v))) == NULL)
				goto done;
			v = grown;
		}
		if ((v[n] = strdup(de->d_name)) == NULL)
			goto done;
		n++;
	}
	if (errno != 0)
		goto done;
	/* The names sort by time: the oldest first. */
	if (n > 0)
		qsort(v, n, sizeof(*v), name_cmp);
	rv = 0;
	for (i = 0; i + (size_t)keep < n; i++)
		if (unlinkat(histfd, v[i], 0) == -1)
			rv = -1;
done:
	closedir(d);
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return rv;
}

int
titan_history_keep(int rootfd, const char *dirpath, int dirfd,
    const char *name, int syncfd)
{
	char vname[NAME_MAX + 1], stamp[32];
	struct timespec ts;
	struct tm tm;
	int histfd, k, r, saved;

	if ((histfd = history_dir(rootfd, dirpath)) == -1)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	for (k = 0, r = -1; k < 10 && r == -1; k++) {
		/* Two versions in one microsecond: "-1" and on after. */
		if (snprintf(vname, sizeof(vname), k == 0 ? "%s.%s.%06ldZ" :
		    "%s.%s.%06ldZ-%d", name, stamp, ts.tv_nsec / 1000, k) >=
		    (int)sizeof(vname)) {
			errno = ENAMETOOLONG;
			break;
		}
		if ((r = linkat(dirfd, name, histfd, vname, 0)) == 0)
			break;
		if (errno == EXDEV || errno == EPERM || errno == EMLINK ||
		    errno == EOPNOTSUPP)
			r = copy_file(dirfd, name, histfd, vname);
		if (r == -1 && errno != EEXIST)
			break;
	}
	if (r == 0 && ((syncfd != -1 && fsync(syncfd) == -1) ||
	    fsync(histfd) == -1))
		r = -1;
	saved = errno;
	close(histfd);
	errno = saved;
	return r;
}

int
titan_history_prune(int rootfd, const char *dirpath, const char *name,
    int keep)
{
	int histfd, r;

	if ((histfd = history_dir(rootfd, dirpath)) == -1)
		return -1;
	r = prune(histfd, name, keep);
	close(histfd);
	return r;
}
