/*
 * Unit tests: where a Titan upload lands and its commit, as the store's
 * own outcomes and reasons; then the status and META the protocol side
 * answers each outcome with (what clients have always been sent).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsule.h"
#include "titan.h"
#include "titan_history.h"
#include "titan_store.h"
#include "unit.h"

static char root[] = "/tmp/attache-store-XXXXXX";
static struct capsule cap;

/* A directory ("d/"), a symlink (to link_to), a fifo ("|") or a file. */
static void
make(const char *rel, const char *link_to, const char *text)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (link_to != NULL) {
		if (symlink(link_to, path) == -1)
			abort();
	} else if (rel[strlen(rel) - 1] == '/') {
		if (mkdir(path, 0755) == -1)
			abort();
	} else if (text != NULL && strcmp(text, "|") == 0) {
		if (mkfifo(path, 0644) == -1)
			abort();
	} else {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
			abort();
		if (text != NULL &&
		    write(fd, text, strlen(text)) != (ssize_t)strlen(text))
			abort();
		close(fd);
	}
}

/* What the capsule holds at rel: a file's text, "<dir>", or NULL. */
static const char *
peek(const char *rel)
{
	static char buf[256];
	char path[512];
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (lstat(path, &st) == -1)
		return NULL;
	if (S_ISDIR(st.st_mode))
		return "<dir>";
	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Entries of a directory of the capsule starting with prefix, not ".". */
static int
entries(const char *rel, const char *prefix)
{
	char path[512];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0 &&
		    strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static const struct {
	const char		*path;
	enum titan_store_error	 want;
	const char		*why;		/* unless OK */
	const char		*dirpath;	/* if OK */
	const char		*name;
	const char		*missing;
} places[] = {
	{ "/new.gmi", TITAN_STORE_OK, NULL, "", "new.gmi", "" },
	{ "/page.gmi", TITAN_STORE_OK, NULL, "", "page.gmi", "" },
	{ "/", TITAN_STORE_OK, NULL, "", "index.gmi", "" },
	{ "/dir/", TITAN_STORE_OK, NULL, "dir/", "index.gmi", "" },
	{ "/dir/sub/x.gmi", TITAN_STORE_OK, NULL, "dir/sub/", "x.gmi",
	    "sub" },
	{ "/a/b/c.gmi", TITAN_STORE_OK, NULL, "a/b/", "c.gmi", "a/b" },
	{ "x.gmi", TITAN_STORE_REFUSED, "not an absolute path", NULL, NULL,
	    NULL },
	{ "/.hidden.gmi", TITAN_STORE_REFUSED, "dotfile", NULL, NULL, NULL },
	{ "/dir/.git/config", TITAN_STORE_REFUSED, "dotfile", NULL, NULL,
	    NULL },
	{ "/dir", TITAN_STORE_REFUSED, "a directory is there", NULL, NULL,
	    NULL },
	{ "/link.gmi", TITAN_STORE_REFUSED, "a symlink is there", NULL, NULL,
	    NULL },
	{ "/nowhere/x.gmi", TITAN_STORE_REFUSED, "a symlink is there", NULL,
	    NULL, NULL },
	{ "/fifo", TITAN_STORE_REFUSED, "not a regular file", NULL, NULL,
	    NULL },
	{ "/page.gmi/x.gmi", TITAN_STORE_REFUSED,
	    "a file where a directory should be", NULL, NULL, NULL },
	{ "/out/x.gmi", TITAN_STORE_REFUSED, "leads out of the capsule", NULL,
	    NULL, NULL },
};

static void
test_places(void)
{
	char longname[TITAN_NAME_MAX + 3];
	struct titan_place p;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		why = NULL;
		CHECK_INT(titan_place_open(&cap, places[i].path,
		    strlen(places[i].path), &p, &why), places[i].want);
		if (places[i].want != TITAN_STORE_OK) {
			CHECK_STR(why, places[i].why);
			CHECK_INT(p.basefd, -1);
			continue;
		}
		CHECK_STR(p.dirpath, places[i].dirpath);
		CHECK_STR(p.name, places[i].name);
		CHECK_STR(p.missing, places[i].missing);
		titan_place_close(&p);
	}

	longname[0] = '/';
	memset(longname + 1, 'a', TITAN_NAME_MAX);
	longname[TITAN_NAME_MAX + 1] = '\0';
	CHECK_INT(titan_place_open(&cap, longname, strlen(longname), &p, &why),
	    TITAN_STORE_OK);
	titan_place_close(&p);
	longname[TITAN_NAME_MAX + 1] = 'a';
	longname[TITAN_NAME_MAX + 2] = '\0';
	CHECK_INT(titan_place_open(&cap, longname, strlen(longname), &p, &why),
	    TITAN_STORE_REFUSED);
	CHECK_STR(why, "name too long");
}

/*
 * One commit of body at path (NULL: a delete), as titan.c runs it; change
 * (if set) runs between the place and the commit.  The temporary file is
 * gone after, whatever came of it.
 */
static enum titan_store_error
commit(const char *path, const char *body, int history,
    void (*change)(void), struct titan_commit *tc)
{
	char tmpname[TITAN_TMP_NAME_SIZE];
	struct titan_place p;
	const char *why;

	memset(tc, 0, sizeof(*tc));
	tc->tmpfd = -1;
	if (titan_place_open(&cap, path, strlen(path), &p, &why) !=
	    TITAN_STORE_OK) {
		CHECK(0);
		return TITAN_STORE_FAILED;
	}
	if (body != NULL) {
		if ((tc->tmpfd = titan_tmp_create(&p, tmpname)) == -1 ||
		    write(tc->tmpfd, body, strlen(body)) !=
		    (ssize_t)strlen(body))
			abort();
		tc->tmpname = tmpname;
	}
	if (change != NULL)
		change();
	tc->place = &p;
	tc->gemtext = 1;
	tc->width = 67;
	tc->history = history;
	tc->site = "localhost";
	tc->path = path;
	titan_store_commit(tc);
	/* What titan.c does after the answer. */
	if (tc->kept)
		CHECK_INT(titan_history_prune(p.rootfd, p.dirpath, p.name,
		    history), 0);
	if (tc->tmpfd != -1)
		close(tc->tmpfd);
	if (body != NULL && !tc->renamed)
		CHECK_INT(unlinkat(p.basefd, tmpname, 0), 0);
	titan_place_close(&p);
	return tc->error;
}

static void
dir_at_later(void)
{
	make("later.gmi/", NULL, NULL);
}

static void
test_commits(void)
{
	char deep[65 * 2 + sizeof("/x.gmi")];
	struct titan_commit tc;
	size_t i;

	CHECK_INT(commit("/new.gmi", "# New\n", 2, NULL, &tc),
	    TITAN_STORE_OK);
	CHECK_STR(tc.why, "");
	CHECK_INT(tc.existed, 0);
	CHECK_STR(peek("new.gmi"), "# New\n");

	CHECK_INT(commit("/new.gmi", "# Newer\n", 2, NULL, &tc),
	    TITAN_STORE_OK);
	CHECK_INT(tc.existed, 1);
	CHECK_INT(tc.old_size, 6);
	CHECK_STR(peek("new.gmi"), "# Newer\n");
	CHECK_INT(entries(TITAN_HISTORY_DIR, "new.gmi."), 1);

	CHECK_INT(commit("/a/b/c.gmi", "# C\n", 2, NULL, &tc),
	    TITAN_STORE_OK);
	CHECK_STR(peek("a/b/c.gmi"), "# C\n");

	CHECK_INT(commit("/bad.gmi", "# Caf\xe9\n", 2, NULL, &tc),
	    TITAN_STORE_NOT_UTF8);
	CHECK_STR(tc.why, "gemtext not UTF-8 on line 1");
	CHECK_STR(peek("bad.gmi"), NULL);

	/* Checked again at the commit: a directory came meanwhile. */
	CHECK_INT(commit("/later.gmi", "# L\n", 2, dir_at_later, &tc),
	    TITAN_STORE_REFUSED);
	CHECK_STR(tc.why, "a directory is there");
	CHECK_STR(peek("later.gmi"), "<dir>");

	/* 65 directories to make: one too many; the ones made go again. */
	for (i = 0; i < 65; i++)
		memcpy(deep + 2 * i, "/d", 2);
	memcpy(deep + 2 * i, "/x.gmi", 7);
	CHECK_INT(commit(deep, "# D\n", 2, NULL, &tc), TITAN_STORE_REFUSED);
	CHECK_STR(tc.why, "nested too deep");
	CHECK_STR(peek("d"), NULL);

	CHECK_INT(commit("/nope.gmi", NULL, 2, NULL, &tc),
	    TITAN_STORE_NOT_FOUND);
	CHECK_STR(tc.why, "no such file");
	CHECK_INT(commit("/no/such/x.gmi", NULL, 2, NULL, &tc),
	    TITAN_STORE_NOT_FOUND);
	CHECK_STR(tc.why, "no such file");

	CHECK_INT(commit("/new.gmi", NULL, 2, NULL, &tc), TITAN_STORE_OK);
	CHECK_INT(tc.old_size, 8);
	CHECK_STR(peek("new.gmi"), NULL);
	CHECK_INT(entries(TITAN_HISTORY_DIR, "new.gmi."), 2);

	/* Where the history cannot go, nothing is replaced. */
	make(TITAN_HISTORY_DIR "/h", NULL, "a file, not a directory");
	make("h/", NULL, NULL);
	make("h/p.gmi", NULL, "# Old\n");
	CHECK_INT(commit("/h/p.gmi", "# P\n", 2, NULL, &tc),
	    TITAN_STORE_HISTORY_FAILED);
	CHECK(strncmp(tc.why, "history: ", 9) == 0);
	CHECK_STR(peek("h/p.gmi"), "# Old\n");
	CHECK_INT(commit("/h/p.gmi", NULL, 2, NULL, &tc),
	    TITAN_STORE_HISTORY_FAILED);
	CHECK_STR(peek("h/p.gmi"), "# Old\n");

	/* renamed told the truth: no temporary file is left. */
	CHECK_INT(entries("", ".titan-upload-"), 0);
	CHECK_INT(entries("h", ".titan-upload-"), 0);
}

static const struct {
	enum titan_store_error	 error;
	int			 status;
	const char		*meta;
} answers[] = {
	{ TITAN_STORE_REFUSED, 59, "Path not allowed" },
	{ TITAN_STORE_NOT_UTF8, 59, "Not valid UTF-8" },
	{ TITAN_STORE_NOT_FOUND, 51, "Not found" },
	{ TITAN_STORE_FAILED, 40, "Cannot store the file" },
	{ TITAN_STORE_HISTORY_FAILED, 40, "Cannot keep the previous version" },
	{ TITAN_STORE_DELETE_FAILED, 40, "Cannot delete the file" },
};

static void
test_answers(void)
{
	size_t i;
	int status;

	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		status = 0;
		CHECK_STR(titan_store_meta(answers[i].error, &status),
		    answers[i].meta);
		CHECK_INT(status, answers[i].status);
	}
}

int
main(void)
{
	char err[256], cmd[64];

	if (mkdtemp(root) == NULL)
		return 1;
	make("page.gmi", NULL, "# Page\n");
	make("dir/", NULL, NULL);
	make("dir/.git/", NULL, NULL);
	make("link.gmi", "page.gmi", NULL);
	make("nowhere", "no/such/place", NULL);
	make("fifo", NULL, "|");
	make("out", "/tmp", NULL);
	if (capsule_open(&cap, root, err, sizeof(err)) == -1) {
		fprintf(stderr, "capsule_open: %s\n", err);
		return 1;
	}
	test_places();
	test_commits();
	test_answers();
	capsule_close(&cap);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
	return unit_done("titan_store");
}
