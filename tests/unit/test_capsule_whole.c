/* Unit tests: a file read as one whole version, read leases, listings
 * with names added, the directory of a file not found. */
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsule.h"
#include "unit.h"

static char dir[] = "/tmp/attache-unit-whole-XXXXXX";

static int
make_file(const char *name, const char *text)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
open_file(const char *name, struct stat *st)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY)) != -1 && fstat(fd, st) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
test_read_whole(void)
{
	struct stat st, moved;
	const char *why = NULL;
	char *text = NULL;
	size_t len = 0;
	int w = make_file("page.gmi", "# A page\n"), fd;

	CHECK(w != -1);
	close(w);
	CHECK((fd = open_file("page.gmi", &st)) != -1);
	CHECK_INT(capsule_read_whole(fd, &st, 1024, &text, &len, &why), 0);
	CHECK_INT(len, 9);
	CHECK(text != NULL && memcmp(text, "# A page\n", 9) == 0);
	free(text);
	/* Its stat moved since the fstat: not one version. */
	moved = st;
	moved.st_size = 4;
	CHECK_INT(capsule_read_whole(fd, &moved, 1024, &text, &len, &why), 1);
	CHECK(text == NULL);
	moved = st;
	moved.st_ctim.tv_nsec ^= 1;
	CHECK_INT(capsule_read_whole(fd, &moved, 1024, &text, &len, &why), 1);
	/* Larger than it may be: refused, said why. */
	CHECK_INT(capsule_read_whole(fd, &st, 4, &text, &len, &why), -1);
	CHECK_STR(why, "file too large");
	close(fd);
	/* Changed now: in the current tick; an hour ago: not. */
	CHECK(capsule_changed_within(&st, 10LL * 1000000000LL));
	st.st_ctim.tv_sec -= 3600;
	CHECK(!capsule_changed_within(&st, 0));
}

static void
test_lease(void)
{
	struct stat st;
	int w = make_file("busy.gmi", "# Busy\n"), fd, r;

	CHECK((fd = open_file("busy.gmi", &st)) != -1);
	/* Open for writing (here, by this process): no lease. */
	r = capsule_lease(fd);
	if (r == 2) {
		unit_skip("read leases", "not to be had on this file system");
		close(w);
		close(fd);
		return;
	}
	CHECK_INT(r, 1);
	close(w);
	CHECK_INT(capsule_lease(fd), 0);
	capsule_unlease(fd);
	close(fd);
}

static void
test_list_add(void)
{
	struct capsule_dirent *ents = calloc(2, sizeof(*ents));
	size_t n = 2, i;
	const char *want[] = { "d/", "b.gmi", "c.gmi", "e.gmi" };

	CHECK(ents != NULL);
	ents[0].name = strdup("b.gmi");
	ents[1].name = strdup("e.gmi");
	CHECK_INT(capsule_list_add(&ents, &n, "c.gmiXX", 5, 0), 0);
	CHECK_INT(capsule_list_add(&ents, &n, "d", 1, 1), 0);
	/* There already: not twice. */
	CHECK_INT(capsule_list_add(&ents, &n, "b.gmi", 5, 0), 0);
	CHECK_INT(n, 4);
	for (i = 0; i < n && i < 4; i++) {
		char shown[16];

		snprintf(shown, sizeof(shown), "%s%s", ents[i].name,
		    ents[i].is_dir ? "/" : "");
		CHECK_STR(shown, want[i]);
	}
	capsule_list_free(ents, n);
}

static void
test_stat_parent(void)
{
	struct capsule cap;
	struct stat st, want;
	char err[256], sub[300];

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	CHECK(mkdir(sub, 0755) == 0);
	CHECK_INT(capsule_open(&cap, dir, err, sizeof(err)), 0);
	CHECK(stat(sub, &want) == 0);
	/* Not found, its directory there: the directory's stat. */
	CHECK_INT(capsule_stat_parent(&cap, "/sub/gone.gmi", 13, &st), 0);
	CHECK(st.st_ino == want.st_ino);
	/* Its directory gone too: the nearest one there. */
	CHECK(stat(dir, &want) == 0);
	CHECK_INT(capsule_stat_parent(&cap, "/away/deeper/gone.gmi", 21, &st),
	    0);
	CHECK(st.st_ino == want.st_ino);
	capsule_close(&cap);
	rmdir(sub);
}

int
main(void)
{
	char path[300];

	/* A broken lease sends SIGIO (capsule.h). */
	signal(SIGIO, SIG_IGN);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_read_whole();
	test_lease();
	test_list_add();
	test_stat_parent();
	snprintf(path, sizeof(path), "%s/page.gmi", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/busy.gmi", dir);
	unlink(path);
	rmdir(dir);
	return unit_done("capsule_whole");
}
