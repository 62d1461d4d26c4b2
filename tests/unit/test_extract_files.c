/* Unit tests: the files a worker keeps open for search extracts. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extract_files.h"
#include "unit.h"

static char dir[] = "/tmp/attache-extract-files-XXXXXX";

static void
path_of(char *buf, size_t bufsz, int n)
{
	snprintf(buf, bufsz, "%s/f%d", dir, n);
}

/* A file n with text, open, and its id as the index would see it. */
static int
make(int n, const char *text, struct extract_file_id *id)
{
	char path[128];
	struct stat st;
	int fd;

	path_of(path, sizeof(path), n);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || write(fd, text, strlen(text)) !=
	    (ssize_t)strlen(text) || fstat(fd, &st) == -1)
		return -1;
	id->dev = (uint64_t)st.st_dev;
	id->ino = (uint64_t)st.st_ino;
	id->size = (uint64_t)st.st_size;
	id->mtime = (int64_t)st.st_mtim.tv_sec;
	return fd;
}

static int
is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

static void
test_kept_and_checked(void)
{
	struct extract_files *t = extract_files_new();
	struct extract_file_id id, other;
	char path[128];
	int fd;

	CHECK(t != NULL);
	fd = make(0, "zanzibar alpha\n", &id);
	CHECK(fd != -1);
	CHECK_INT(extract_files_get(t, &id, 100, NULL), -1);
	CHECK_INT(extract_files_put(t, &id, fd, 100), 1);
	CHECK_INT(extract_files_get(t, &id, 101, NULL), fd);
	/* Another file, or the same one changed, is not it. */
	other = id;
	other.ino++;
	CHECK_INT(extract_files_get(t, &other, 101, NULL), -1);
	other = id;
	other.mtime++;
	CHECK_INT(extract_files_get(t, &other, 101, NULL), -1);
	CHECK(is_open(fd));
	/* Written since it was kept: closed at the next look. */
	CHECK(write(fd, "more\n", 5) == 5);
	CHECK_INT(extract_files_get(t, &id, 102, NULL), -1);
	CHECK(!is_open(fd));
	/* Unlinked (deleted, or renamed over): closed too. */
	fd = make(1, "zanzibar omega\n", &id);
	CHECK_INT(extract_files_put(t, &id, fd, 103), 1);
	CHECK_INT(extract_files_get(t, &id, 103, NULL), fd);
	path_of(path, sizeof(path), 1);
	CHECK(unlink(path) == 0);
	CHECK_INT(extract_files_get(t, &id, 104, NULL), -1);
	CHECK(!is_open(fd));
	/* An unknown inode is never kept: the caller closes its fd. */
	fd = make(2, "x\n", &id);
	id.ino = 0;
	CHECK_INT(extract_files_put(t, &id, fd, 105), 0);
	CHECK_INT(extract_files_get(t, &id, 105, NULL), -1);
	CHECK(is_open(fd));
	close(fd);
	extract_files_free(t);
	extract_files_free(NULL);
}

static void
test_least_recently_used_and_idle(void)
{
	struct extract_files *t = extract_files_new();
	struct extract_file_id id[EXTRACT_FILES_MAX + 1];
	int fd[EXTRACT_FILES_MAX + 1], i;

	CHECK(t != NULL);
	for (i = 0; i <= EXTRACT_FILES_MAX; i++)
		fd[i] = make(10 + i, "text\n", &id[i]);
	for (i = 0; i < EXTRACT_FILES_MAX; i++)
		CHECK_INT(extract_files_put(t, &id[i], fd[i], 200 + i), 1);
	/* File 0 used again: file 1 is now the least recently used. */
	CHECK_INT(extract_files_get(t, &id[0], 240, NULL), fd[0]);
	CHECK_INT(extract_files_put(t, &id[EXTRACT_FILES_MAX],
	    fd[EXTRACT_FILES_MAX], 241), 1);
	CHECK(!is_open(fd[1]));
	CHECK(is_open(fd[0]) && is_open(fd[2]));
	CHECK_INT(extract_files_get(t, &id[1], 242, NULL), -1);
	CHECK_INT(extract_files_get(t, &id[EXTRACT_FILES_MAX], 242, NULL),
	    fd[EXTRACT_FILES_MAX]);
	/*
	 * A minute on, a look for one closes every other idle one (a
	 * deleted file's space is not held).
	 */
	CHECK_INT(extract_files_get(t, &id[0], 243 + EXTRACT_FILES_IDLE_SEC, NULL),
	    fd[0]);
	CHECK(is_open(fd[0]) && !is_open(fd[2]) &&
	    !is_open(fd[EXTRACT_FILES_MAX]));
	CHECK_INT(extract_files_get(t, &id[2], 243 + EXTRACT_FILES_IDLE_SEC, NULL),
	    -1);
	extract_files_free(t);
	CHECK(!is_open(fd[0]));
}

int
main(void)
{
	char path[128];
	int i;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_kept_and_checked();
	test_least_recently_used_and_idle();
	for (i = 0; i < 10 + EXTRACT_FILES_MAX + 1; i++) {
		path_of(path, sizeof(path), i);
		(void)unlink(path);
	}
	(void)rmdir(dir);
	return unit_done("extract_files");
}
