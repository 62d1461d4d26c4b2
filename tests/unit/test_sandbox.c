/*
 * Unit tests: the sandbox on its own.  Each case runs in a child process,
 * since a sandbox is for good; the child reports through its exit status.
 * What this kernel or user cannot test is said on a SKIP line, with why.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "unit.h"

static char capsule[] = "/tmp/attache-sandbox-XXXXXX";

/* Runs fn in a child; returns its exit status (-1 if it did not exit). */
static int
in_child(int (*fn)(void))
{
	pid_t pid;
	int st;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		_exit(fn());
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * Runs path in a grandchild: its exit status, or 100 + errno when the
 * exec failed (the scripts exit 42).
 */
static int
run_prog(const char *path)
{
	char *argv[] = { (char *)path, NULL }, *envp[] = { NULL };
	pid_t pid;
	int st;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		execve(path, argv, envp);
		_exit(100 + errno);
	}
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* 0 when every check holds, else the number of the first that failed. */
static int
confined(void)
{
	const char *ro[] = { capsule };
	struct sockaddr_in sin;
	char err[512], path[256], buf[8];
	int fd, s;

	if (sandbox_enter(ro, 1, NULL, 0, err, sizeof(err)) != 1)
		return 1;
	/* Outside the capsule: nothing opens. */
	if (open("/etc/passwd", O_RDONLY) != -1 || errno != EACCES)
		return 2;
	if (open("/tmp", O_RDONLY | O_DIRECTORY) != -1)
		return 3;
	snprintf(path, sizeof(path), "%s/../outside.txt", capsule);
	if (open(path, O_RDONLY) != -1)
		return 4;
	/* Inside: it reads, and cannot write. */
	snprintf(path, sizeof(path), "%s/page.gmi", capsule);
	if ((fd = open(path, O_RDONLY)) == -1 || read(fd, buf, 6) != 6 ||
	    memcmp(buf, "# Page", 6) != 0)
		return 5;
	close(fd);
	if (open(path, O_WRONLY) != -1)
		return 6;
	snprintf(path, sizeof(path), "%s/new.txt", capsule);
	if (open(path, O_WRONLY | O_CREAT, 0644) != -1)
		return 7;
	/* No TCP port of its own, where the kernel can say so (ABI 4). */
	if (sandbox_abi() >= 4) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			return 8;
		if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) != -1 ||
		    errno != EACCES)
			return 9;
		close(s);
	}
	/* Nothing executes: neither the capsule's nor the system's. */
	snprintf(path, sizeof(path), "%s/cgi/prog", capsule);
	if (run_prog(path) != 100 + EACCES || run_prog("/bin/true") !=
	    100 + EACCES)
		return 10;
	return 0;
}

/* The CGI runner's: execute where a rule says so, nowhere else. */
static int
runner_rules(void)
{
	char err[512], cgi[128], other[128], path[256];
	struct sandbox_rule rules[] = {
		{ cgi, SANDBOX_READ | SANDBOX_EXEC },
		{ "/usr", SANDBOX_READ | SANDBOX_EXEC },
		{ "/bin", SANDBOX_READ | SANDBOX_EXEC | SANDBOX_OPTIONAL },
		{ "/lib", SANDBOX_READ | SANDBOX_EXEC | SANDBOX_OPTIONAL },
		{ "/lib64", SANDBOX_READ | SANDBOX_EXEC | SANDBOX_OPTIONAL },
		{ "/etc/ld.so.cache", SANDBOX_READ | SANDBOX_OPTIONAL },
		{ "/no/such/dir", SANDBOX_READ | SANDBOX_OPTIONAL },
	};

	snprintf(cgi, sizeof(cgi), "%s/cgi", capsule);
	snprintf(other, sizeof(other), "%s/other", capsule);
	if (sandbox_enter_rules(rules, sizeof(rules) / sizeof(rules[0]), err,
	    sizeof(err)) != 1)
		return 1;
	snprintf(path, sizeof(path), "%s/prog", cgi);
	if (run_prog(path) != 42)
		return 2;
	snprintf(path, sizeof(path), "%s/prog", other);
	if (run_prog(path) != 100 + EACCES)
		return 3;
	/* Read beneath the rules only; write nowhere. */
	snprintf(path, sizeof(path), "%s/page.gmi", capsule);
	if (open(path, O_RDONLY) != -1 || open("/etc/passwd", O_RDONLY) != -1)
		return 4;
	snprintf(path, sizeof(path), "%s/new", cgi);
	if (open(path, O_WRONLY | O_CREAT, 0644) != -1)
		return 5;
	return 0;
}

static int
writable(void)
{
	const char *rw[] = { capsule };
	char err[512], path[256], to[256];
	int fd;

	if (sandbox_enter(NULL, 0, rw, 1, err, sizeof(err)) != 1)
		return 1;
	snprintf(path, sizeof(path), "%s/sub", capsule);
	if (mkdir(path, 0755) == -1)
		return 2;
	snprintf(path, sizeof(path), "%s/sub/new.txt", capsule);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) == -1)
		return 3;
	close(fd);
	snprintf(to, sizeof(to), "%s/moved.txt", capsule);
	if (rename(path, to) == -1)
		return 4;
	if (open("/etc/passwd", O_RDONLY) != -1)
		return 5;
	return 0;
}

/* The key process's: no rule at all, so nothing opens and no TCP. */
static int
nothing(void)
{
	struct sockaddr_in sin;
	char err[512], path[256];
	int s;

	if (sandbox_enter(NULL, 0, NULL, 0, err, sizeof(err)) != 1)
		return 1;
	snprintf(path, sizeof(path), "%s/page.gmi", capsule);
	if (open(path, O_RDONLY) != -1 || open("/", O_RDONLY) != -1 ||
	    open("/etc/passwd", O_RDONLY) != -1)
		return 2;
	if (open("/tmp/attache-sandbox-new", O_WRONLY | O_CREAT, 0644) != -1)
		return 3;
	if (sandbox_abi() >= 4) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = htons(1965);
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			return 4;
		if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) != -1 ||
		    errno != EACCES)
			return 5;
		close(s);
	}
	return 0;
}

/* A listening socket on loopback, its port in *port; -1: cannot. */
static int
listening(int *port, struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int s;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    listen(s, 4) == -1 ||
	    getsockname(s, (struct sockaddr *)sin, &len) == -1)
		return -1;
	*port = ntohs(sin->sin_port);
	return s;
}

/*
 * The server process with a FastCGI responder on TCP: it connects to that
 * port and to no other; a unix socket, outside every rule, still connects
 * (no Landlock ABI up to 7 has a right for it).
 */
static int
responder_ports(void)
{
	const char *ro[] = { capsule };
	struct sockaddr_in a, b;
	struct sockaddr_un un;
	char err[512];
	int la, lb, lu, pa, pb, s;

	if ((la = listening(&pa, &a)) == -1 || (lb = listening(&pb, &b)) == -1)
		return 1;
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s/fcgi.sock", capsule);
	if ((lu = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(lu, (struct sockaddr *)&un, sizeof(un)) == -1 ||
	    listen(lu, 4) == -1)
		return 2;
	if (sandbox_enter_net(ro, 1, NULL, 0, &pa, 1, err, sizeof(err)) != 1)
		return 3;
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&a, sizeof(a)) == -1)
		return 4;
	close(s);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 5;
	if (connect(s, (struct sockaddr *)&b, sizeof(b)) != -1 ||
	    errno != EACCES)
		return 6;
	close(s);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&un, sizeof(un)) == -1)
		return 7;
	close(s);
	return 0;
}

/* A capability set of /proc/self/status ("CapEff:" ...), as a mask. */
static unsigned long long
caps(const char *which)
{
	char line[256];
	unsigned long long mask = ~0ULL;
	size_t n = strlen(which);
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return mask;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, which, n) == 0 && line[n] == ':')
			mask = strtoull(line + n + 1, NULL, 16);
	fclose(f);
	return mask;
}

/*
 * Dropped to nobody, keeping what keep says: the ids, no group, no way
 * back, and a read lease on root's page only with CAP_LEASE.
 */
static int
dropped_keeping(enum sandbox_keep keep)
{
	unsigned long long lease = 1ULL << CAP_LEASE;
	unsigned long long want = keep == SANDBOX_KEEP_LEASE ? lease : 0;
	struct passwd *pw;
	char err[512], path[256];
	gid_t groups[4];
	int fd, r;

	if ((pw = getpwnam("nobody")) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/page.gmi", capsule);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 1;
	if (sandbox_drop("nobody", keep, err, sizeof(err)) == -1)
		return 2;
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
	    getgid() != pw->pw_gid || getgroups(4, groups) != 0)
		return 3;
	if (setuid(0) != -1 || seteuid(0) != -1)
		return 4;
	if (caps("CapEff") != want || caps("CapPrm") != want ||
	    caps("CapInh") != 0 || caps("CapAmb") != 0)
		return 5;
	r = fcntl(fd, F_SETLEASE, F_RDLCK);
	if (keep == SANDBOX_KEEP_LEASE ? r != 0 : r != -1 || errno != EACCES)
		return 6;
	close(fd);
	return 0;
}

static int
dropped(void)
{
	return dropped_keeping(SANDBOX_KEEP_NOTHING);
}

static int
dropped_keeping_lease(void)
{
	return dropped_keeping(SANDBOX_KEEP_LEASE);
}

/* Why this kernel has no Landlock, from what the kernel says. */
static const char *
no_landlock_why(void)
{
	if (syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION) >= 0)
		return "Landlock answers, yet sandbox_abi() says 0";
	switch (errno) {
	case ENOSYS:
		return "landlock_create_ruleset: ENOSYS (a kernel built "
		    "without CONFIG_SECURITY_LANDLOCK, or a seccomp filter)";
	case EOPNOTSUPP:
		return "landlock_create_ruleset: EOPNOTSUPP (Landlock built "
		    "but not enabled: \"landlock\" missing from lsm= at boot)";
	default:
		return strerror(errno);
	}
}

static int
unknown_user(void)
{
	char err[512];

	if (sandbox_drop("no-such-user-here", SANDBOX_KEEP_NOTHING, err,
	    sizeof(err)) != -1)
		return 1;
	return strcmp(err, "user no-such-user-here: no such user") == 0 ? 0 : 2;
}

/* A script that exits 42, in capsule/dir/prog. */
static int
make_prog(const char *dir)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", capsule, dir);
	if (mkdir(path, 0755) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/%s/prog", capsule, dir);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0755)) == -1 ||
	    write(fd, "#!/bin/sh\nexit 42\n", 18) != 18) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
main(void)
{
	char path[256];
	int abi, fd;

	if (mkdtemp(capsule) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/page.gmi", capsule);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) == -1 ||
	    write(fd, "# Page\n", 7) != 7)
		return 1;
	close(fd);
	if (make_prog("cgi") == -1 || make_prog("other") == -1)
		return 1;
	if ((abi = sandbox_abi()) < 1)
		unit_skip("sandbox", "confinement (read-only and writable "
		    "capsules) not tested: this kernel has no Landlock: %s",
		    no_landlock_why());
	else {
		if (abi < 4)
			unit_skip("sandbox", "no TCP bind refused: Landlock ABI "
			    "%d, the network rules come with ABI 4", abi);
		CHECK_INT(in_child(confined), 0);
		CHECK_INT(in_child(writable), 0);
		CHECK_INT(in_child(nothing), 0);
		if (abi >= 4)
			CHECK_INT(in_child(responder_ports), 0);
		else
			unit_skip("sandbox", "FastCGI responders' ports not "
			    "tested: Landlock ABI %d, the network rules come "
			    "with ABI 4", abi);
		CHECK_INT(in_child(runner_rules), 0);
	}
	CHECK_INT(in_child(unknown_user), 0);
	if (geteuid() == 0) {
		CHECK_INT(in_child(dropped), 0);
		CHECK_INT(in_child(dropped_keeping_lease), 0);
	} else
		unit_skip("sandbox", "dropping to nobody not tested: it needs "
		    "root (euid %ld)", (long)geteuid());
	snprintf(path, sizeof(path), "rm -rf '%s'", capsule);
	if (system(path) != 0)
		fprintf(stderr, "cannot remove %s\n", capsule);
	return unit_done("sandbox");
}
