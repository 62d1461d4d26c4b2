/*
 * The confinement of the server process and the key process: the user
 * each serves as, and the part of the file system it may touch (Landlock;
 * for the key process, none).
 */
#ifndef ATTACHE_SANDBOX_H
#define ATTACHE_SANDBOX_H

#include <stddef.h>

/* What sandbox_drop keeps of root's powers. */
enum sandbox_keep {
	SANDBOX_KEEP_NOTHING,
	/*
	 * CAP_LEASE alone: read leases on the operator's files, which tell
	 * that no one is writing one being read (capsule_lease).  It opens,
	 * reads and writes nothing more.
	 */
	SANDBOX_KEEP_LEASE
};

/*
 * Started as root: becomes user (its uid and primary gid), with no
 * supplementary groups, no capabilities but what keep says, and no way
 * back (no_new_privs).  Returns 0, or -1 with err saying why.
 */
int	sandbox_drop(const char *user, enum sandbox_keep keep, char *err,
	    size_t errlen);

/*
 * From now on this thread, and the threads it starts, may read the files
 * and directories beneath each of ro, read and write beneath each of rw,
 * and nothing else of the file system; they may neither bind nor connect
 * a TCP socket (the listening sockets come from the privileged process)
 * nor signal processes outside.  Returns 1 once confined, 0 when the
 * kernel has no Landlock (err says so: the caller warns and goes on), -1
 * with err on failure.
 */
int	sandbox_enter(const char *const *ro, size_t nro,
	    const char *const *rw, size_t nrw, char *err, size_t errlen);

/*
 * The same, and it may connect to the TCP ports given (the FastCGI
 * responders'), and to no other, where the kernel has Landlock's network
 * rules (sandbox_abi() >= 4; below, TCP is not confined at all).  A unix
 * socket's connect is no right these ABIs know: it stays allowed.
 */
int	sandbox_enter_net(const char *const *ro, size_t nro,
	    const char *const *rw, size_t nrw, const int *ports,
	    size_t nports, char *err, size_t errlen);

/* What a rule of sandbox_enter_rules allows beneath its path. */
enum {
	SANDBOX_READ = 1,
	SANDBOX_WRITE = 2,	/* files and directories made, changed, removed */
	SANDBOX_EXEC = 4,
	SANDBOX_OPTIONAL = 8	/* a path that is missing is no error */
};

struct sandbox_rule {
	const char	*path;
	int		 access;	/* SANDBOX_* */
};

/*
 * The CGI runner's confinement: beneath each rule's path what it allows
 * (on a file, what applies to a file), nothing else of the file system;
 * signals only to its own processes.  TCP is left alone (programs may
 * reach their databases).  Returns as sandbox_enter does.
 */
int	sandbox_enter_rules(const struct sandbox_rule *rules, size_t n,
	    char *err, size_t errlen);

/* The Landlock ABI the kernel offers; 0: none. */
int	sandbox_abi(void);

#endif
