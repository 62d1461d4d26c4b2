/* The confinement of the server and key processes: user, and Landlock. */
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "sandbox.h"

/* What Debian 12's headers (Linux 6.1) do not name yet. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#endif
#define LL_ACCESS_NET_BIND_TCP			(1ULL << 0)	/* ABI 4 */
#define LL_ACCESS_NET_CONNECT_TCP		(1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET		(1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL				(1ULL << 1)

/* The ruleset attributes as the newest kernels take them. */
struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;	/* ABI 4 */
	uint64_t	scoped;			/* ABI 6 */
};

#define FS_READ	(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

/*
 * Once the ids are the user's, the capabilities kept across setresuid
 * (PR_SET_KEEPCAPS) become CAP_LEASE alone, effective: no libcap for two
 * words of mask.
 */
static int
keep_lease_only(void)
{
	struct __user_cap_header_struct head = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	data[CAP_TO_INDEX(CAP_LEASE)].permitted = CAP_TO_MASK(CAP_LEASE);
	data[CAP_TO_INDEX(CAP_LEASE)].effective = CAP_TO_MASK(CAP_LEASE);
	if (syscall(SYS_capset, &head, data) == -1)
		return -1;
	return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

int
sandbox_drop(const char *user, enum sandbox_keep keep, char *err,
    size_t errlen)
{
	struct passwd *pw;
	uid_t ruid, euid, suid;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user %s: %s", user, errno != 0 ?
		    strerror(errno) : "no such user");
		return -1;
	}
	if (keep == SANDBOX_KEEP_LEASE && prctl(PR_SET_KEEPCAPS, 1, 0, 0,
	    0) == -1) {
		snprintf(err, errlen, "keepcaps: %s", strerror(errno));
		return -1;
	}
	if (setgroups(0, NULL) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		snprintf(err, errlen, "cannot become user %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (keep == SANDBOX_KEEP_LEASE && keep_lease_only() == -1) {
		snprintf(err, errlen, "user %s: keeping CAP_LEASE: %s", user,
		    strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -1;
	}
	/* No way back: root's ids are gone (and with them, CAP_SETUID). */
	if (getresuid(&ruid, &euid, &suid) == -1 || ruid != pw->pw_uid ||
	    euid != pw->pw_uid || suid != pw->pw_uid ||
	    (pw->pw_uid != 0 && setuid(0) != -1)) {
		snprintf(err, errlen, "user %s: root privileges remain", user);
		return -1;
	}
	return 0;
}

int
sandbox_abi(void)
{
	long abi;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

/* Every file system right this ABI knows, so that none is left allowed. */
static uint64_t
fs_handled(int abi)
{
	uint64_t a = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	    FS_READ | LANDLOCK_ACCESS_FS_REMOVE_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
	    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
	    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
	    LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;

	if (abi >= 2)
		a |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		a |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		a |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return a;
}

/* Reading and writing files and directories, never devices or links. */
static uint64_t
fs_write(int abi)
{
	uint64_t a = FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE |
	    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG;

	if (abi >= 2)
		a |= LANDLOCK_ACCESS_FS_REFER;	/* rename into history */
	if (abi >= 3)
		a |= LANDLOCK_ACCESS_FS_TRUNCATE;
	return a;
}

static int
add_rule(int ruleset, const char *path, uint64_t access, char *err,
    size_t errlen)
{
	struct landlock_path_beneath_attr pb;
	int fd, saved;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "sandbox: %s: %s", path, strerror(errno));
		return -1;
	}
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = access;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0) == -1) {
		saved = errno;
		close(fd);
		snprintf(err, errlen, "sandbox: %s: %s", path, strerror(saved));
		return -1;
	}
	close(fd);
	return 0;
}

/* The rule that lets the process connect to a TCP port (ABI 4). */
struct ll_net_port_attr {
	uint64_t	allowed_access;
	uint64_t	port;
} __attribute__((packed));

#define LL_RULE_NET_PORT	2

/*
 * A ruleset handling what this kernel's ABI can (files; net, the TCP
 * rights: 0 leaves TCP free), and scoping signals and abstract sockets
 * where it can.  The ruleset's descriptor, or -1 with err.
 */
static int
new_ruleset(int abi, uint64_t net, char *err, size_t errlen)
{
	struct ll_ruleset_attr attr;
	size_t attrsz;
	int ruleset;

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = fs_handled(abi);
	attrsz = sizeof(attr.handled_access_fs);
	if (abi >= 4) {
		attr.handled_access_net = net;
		attrsz += sizeof(attr.handled_access_net);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		attrsz += sizeof(attr.scoped);
	}
	if ((ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attrsz,
	    0)) == -1)
		snprintf(err, errlen, "sandbox: %s", strerror(errno));
	return ruleset;
}

/*
 * This thread, and those it starts, confined to the ruleset (closed here):
 * 1, or -1 with err.
 */
static int
restrict_self(int ruleset, char *err, size_t errlen)
{
	int rv = -1;

#ifdef ATTACHE_SANITIZED
	/* The sanitizers read /proc/self (maps) to report; tests only. */
	if (add_rule(ruleset, "/proc", FS_READ, err, errlen) == -1)
		goto done;
#endif
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) == -1) {
		snprintf(err, errlen, "sandbox: %s", strerror(errno));
		goto done;
	}
	rv = 1;
done:
	close(ruleset);
	return rv;
}

int
sandbox_enter(const char *const *ro, size_t nro, const char *const *rw,
    size_t nrw, char *err, size_t errlen)
{
	return sandbox_enter_net(ro, nro, rw, nrw, NULL, 0, err, errlen);
}

int
sandbox_enter_net(const char *const *ro, size_t nro, const char *const *rw,
    size_t nrw, const int *ports, size_t nports, char *err, size_t errlen)
{
	struct ll_net_port_attr np;
	size_t i;
	int abi, ruleset;

	if ((abi = sandbox_abi()) < 1) {
		snprintf(err, errlen, "this kernel has no Landlock: the "
		    "server process is not confined to its capsules");
		return 0;
	}
	if ((ruleset = new_ruleset(abi, LL_ACCESS_NET_BIND_TCP |
	    LL_ACCESS_NET_CONNECT_TCP, err, errlen)) == -1)
		return -1;
	for (i = 0; i < nro; i++)
		if (add_rule(ruleset, ro[i], FS_READ, err, errlen) == -1)
			goto fail;
	for (i = 0; i < nrw; i++)
		if (add_rule(ruleset, rw[i], fs_write(abi), err, errlen) == -1)
			goto fail;
	/* The FastCGI responders' ports, where the kernel has the rules. */
	for (i = 0; abi >= 4 && i < nports; i++) {
		memset(&np, 0, sizeof(np));
		np.allowed_access = LL_ACCESS_NET_CONNECT_TCP;
		np.port = (uint64_t)ports[i];
		if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_NET_PORT,
		    &np, 0) == -1) {
			snprintf(err, errlen, "sandbox: TCP port %d: %s",
			    ports[i], strerror(errno));
			goto fail;
		}
	}
	return restrict_self(ruleset, err, errlen);
fail:
	close(ruleset);
	return -1;
}

/* The rights of a rule's access on a file: what Landlock takes there. */
static uint64_t
rule_rights(int abi, int access, int is_dir)
{
	uint64_t a = 0, file = LANDLOCK_ACCESS_FS_EXECUTE |
	    LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE;

	if (abi >= 3)
		file |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (access & SANDBOX_READ)
		a |= FS_READ;
	if (access & SANDBOX_WRITE)
		a |= fs_write(abi);
	if (access & SANDBOX_EXEC)
		a |= LANDLOCK_ACCESS_FS_EXECUTE;
	return is_dir ? a : a & file;
}

int
sandbox_enter_rules(const struct sandbox_rule *rules, size_t n, char *err,
    size_t errlen)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	size_t i;
	int abi, ruleset, fd, saved;

	if ((abi = sandbox_abi()) < 1) {
		snprintf(err, errlen, "this kernel has no Landlock: CGI "
		    "programs are not confined");
		return 0;
	}
	/* Programs may reach a database: TCP is left free. */
	if ((ruleset = new_ruleset(abi, 0, err, errlen)) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((fd = open(rules[i].path, O_PATH | O_CLOEXEC)) == -1) {
			if (errno == ENOENT &&
			    (rules[i].access & SANDBOX_OPTIONAL))
				continue;
			snprintf(err, errlen, "sandbox: %s: %s", rules[i].path,
			    strerror(errno));
			goto fail;
		}
		memset(&pb, 0, sizeof(pb));
		pb.parent_fd = fd;
		pb.allowed_access = fstat(fd, &st) == 0 ? rule_rights(abi,
		    rules[i].access, S_ISDIR(st.st_mode)) : 0;
		if (pb.allowed_access != 0 && syscall(SYS_landlock_add_rule,
		    ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) == -1) {
			saved = errno;
			close(fd);
			snprintf(err, errlen, "sandbox: %s: %s", rules[i].path,
			    strerror(saved));
			goto fail;
		}
		close(fd);
	}
	return restrict_self(ruleset, err, errlen);
fail:
	close(ruleset);
	return -1;
}
