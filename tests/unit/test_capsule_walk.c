/* Unit tests: the dotfile rule through symlinks, without /proc. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsule.h"
#include "unit.h"

static char root[] = "/tmp/attache-walk-XXXXXX";

static void
make(const char *rel, const char *link_to)
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
	} else {
		if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) == -1)
			abort();
		close(fd);
	}
}

int
main(void)
{
	static const struct {
		const char	*rel;
		int		 want;
	} cases[] = {
		{ "a.txt", 0 },
		{ "link.txt", 0 },		/* -> a.txt */
		{ "h.txt", 1 },			/* -> .hidden/b.txt */
		{ "d/c.txt", 0 },		/* d -> dir */
		{ "dl/config", 1 },		/* dl -> .git */
		{ "l1", 1 },			/* l1 -> l2 -> .secret */
		{ "x", -1 },			/* x -> y -> x */
		{ "abs", -1 },			/* -> /etc/passwd */
		{ "sub/up", 0 },		/* -> ../a.txt */
		{ "sub/uph", 1 },		/* -> ../.hidden/b.txt */
		{ "sub/../a.txt", 0 },
		{ "nope", -1 },
		{ "dir/./c.txt", 0 },
		{ "dotlink", 1 },		/* -> .dl2 -> a.txt: a hidden link */
	};
	size_t i;
	int rootfd;

	if (mkdtemp(root) == NULL)
		return 1;
	make("a.txt", NULL);
	make("link.txt", "a.txt");
	make(".hidden/", NULL);
	make(".hidden/b.txt", NULL);
	make("h.txt", ".hidden/b.txt");
	make("dir/", NULL);
	make("dir/c.txt", NULL);
	make("d", "dir");
	make(".git/", NULL);
	make(".git/config", NULL);
	make("dl", ".git");
	make(".secret", NULL);
	make("l2", ".secret");
	make("l1", "l2");
	make("x", "y");
	make("y", "x");
	make("abs", "/etc/passwd");
	make("sub/", NULL);
	make("sub/up", "../a.txt");
	make("sub/uph", "../.hidden/b.txt");
	make(".dl2", "a.txt");
	make("dotlink", ".dl2");
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY)) == -1)
		return 1;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (capsule_walk_hidden(rootfd, cases[i].rel) != cases[i].want)
			fprintf(stderr, "case %s\n", cases[i].rel);
		CHECK_INT(capsule_walk_hidden(rootfd, cases[i].rel),
		    cases[i].want);
	}
	close(rootfd);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", root);
	}
	return unit_done("capsule_walk");
}
