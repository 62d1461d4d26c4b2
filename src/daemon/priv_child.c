/* The privileged process's server processes: start, talk, reap. */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc.h"
#include "log.h"
#include "priv_cgi.h"
#include "priv_child.h"
#include "priv_fork.h"
#include "priv_keys.h"
#include "server_process.h"

#define RESULT_WAIT_MS	(120 * 1000)	/* a configuration built, at most */
#define DRAINING_WAIT_MS	(10 * 1000)	/* workers stopped accepting */
#define RESPAWN_MIN_SEC	10		/* a server dying faster: give up */

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The sandbox conf asks for: its user and capsules, "r" or "w" (Titan)
 * then the real path, and its FastCGI responders' TCP ports, "t" then the
 * port; sorted.
 */
static int
sandbox_of(const struct conf *conf, char ***out, size_t *n, char **user)
{
	char **caps, *real;
	const char *path;
	size_t i, nports;
	int *ports;

	*out = NULL;
	*n = 0;
	*user = NULL;
	if (conf->user != NULL && (*user = strdup(conf->user)) == NULL)
		return -1;
	if (conf_fastcgi_ports(conf, &ports, &nports) == -1)
		return -1;
	if ((caps = calloc(conf->nsites + nports + 1, sizeof(*caps))) ==
	    NULL) {
		free(ports);
		return -1;
	}
	for (i = 0; i < nports; i++)
		if (asprintf(&caps[conf->nsites + i], "t%d", ports[i]) == -1) {
			caps[conf->nsites + i] = NULL;
			while (i > 0)
				free(caps[conf->nsites + --i]);
			free(caps);
			free(ports);
			return -1;
		}
	free(ports);
	for (i = 0; i < conf->nsites; i++) {
		real = realpath(conf->sites[i].capsule, NULL);
		path = real != NULL ? real : conf->sites[i].capsule;
		if (asprintf(&caps[i], "%c%s",
		    conf_capsule_writable(&conf->sites[i]) ? 'w' : 'r',
		    path) == -1)
			caps[i] = NULL;
		free(real);
		if (caps[i] == NULL) {
			while (i > 0)
				free(caps[--i]);
			for (i = 0; i < nports; i++)
				free(caps[conf->nsites + i]);
			free(caps);
			return -1;
		}
	}
	qsort(caps, conf->nsites + nports, sizeof(*caps), str_cmp);
	*out = caps;
	*n = conf->nsites + nports;
	return 0;
}

/* 1 when the old sandbox allows entry ("r" is also allowed by "w";
 * "t" only by the same port). */
static int
allowed(const struct child *c, const char *entry)
{
	size_t j;

	for (j = 0; j < c->ncapsules; j++)
		if (strcmp(c->capsules[j] + 1, entry + 1) == 0 &&
		    (c->capsules[j][0] == entry[0] || entry[0] == 'r'))
			return 1;
	return 0;
}

int
priv_covers(const struct child *c, const struct conf *conf)
{
	char **caps, *user;
	size_t n, i;
	int covered = 1;

	if (sandbox_of(conf, &caps, &n, &user) == -1)
		return 0;
	if ((user == NULL) != (c->user == NULL) ||
	    (user != NULL && strcmp(user, c->user) != 0))
		covered = 0;
	for (i = 0; covered && i < n; i++)
		covered = allowed(c, caps[i]);
	for (i = 0; i < n; i++)
		free(caps[i]);
	free(caps);
	free(user);
	return covered;
}

void
priv_child_free(struct child *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->ipc != -1)
		close(c->ipc);
	for (i = 0; i < c->ncapsules; i++)
		free(c->capsules[i]);
	free(c->capsules);
	free(c->user);
	free(c);
}

/* Waits up to ms for the child's message of that type and length. */
static int
wait_for(struct child *c, uint32_t type, size_t len, int ms,
    struct ipc_msg *m)
{
	struct pollfd pfd = { c->ipc, POLLIN, 0 };
	int r;

	for (;;) {
		do
			r = poll(&pfd, 1, ms);
		while (r == -1 && errno == EINTR);
		if (r <= 0) {
			log_warn("server process %d: no answer", (int)c->pid);
			return -1;
		}
		if (ipc_recv(c->ipc, m) != 1)
			return -1;	/* it is gone: it said why */
		ipc_close_fds(m);
		if (m->type == type && m->len == len)
			return 0;
	}
}

/* Waits for the child's answer to a configuration. */
static int
wait_result(struct child *c, struct priv_result *res)
{
	struct ipc_msg m;

	memset(res, 0, sizeof(*res));
	if (wait_for(c, IPC_RESULT, 16, RESULT_WAIT_MS, &m) == -1)
		return -1;
	res->ok = ipc_get32(m.data) != 0;
	res->nsites = ipc_get32(m.data + 4);
	res->older = ipc_get32(m.data + 8);
	res->problems = ipc_get32(m.data + 12);
	return res->ok ? 0 : -1;
}

/*
 * In the new process: nothing of the privileged one but the socket, not
 * even its memory, which held the keys: it becomes a new image of our
 * executable (main() serves, on SERVER_PROCESS_FD).
 */
static void
child_main(struct priv *p, int ipc) __attribute__((noreturn));

static void
child_main(struct priv *p, int ipc)
{
	extern char **environ;
	char **env, var[64];
	size_t n;
	int a, e;

	priv_fork_settle(-1);
	/*
	 * No socket, key or log of the privileged process stays open: the
	 * socket on SERVER_PROCESS_FD, the executable above it (closed by
	 * the exec), nothing else.
	 */
	if ((a = fcntl(ipc, F_DUPFD_CLOEXEC, SERVER_PROCESS_FD + 2)) == -1 ||
	    (e = fcntl(p->exe, F_DUPFD_CLOEXEC, SERVER_PROCESS_FD + 2)) == -1 ||
	    dup2(a, SERVER_PROCESS_FD) == -1 ||
	    dup3(e, SERVER_PROCESS_FD + 1, O_CLOEXEC) == -1)
		_exit(1);
	(void)close_range(SERVER_PROCESS_FD + 2, UINT_MAX, 0);
	for (n = 0; environ[n] != NULL; n++)
		;
	snprintf(var, sizeof(var), "%s=%d", SERVER_PROCESS_ENV,
	    SERVER_PROCESS_FD);
	if ((env = calloc(n + 2, sizeof(*env))) == NULL)
		_exit(1);
	memcpy(env, environ, n * sizeof(*env));
	env[n] = var;
	fexecve(SERVER_PROCESS_FD + 1, p->argv, env);
	fprintf(stderr, "attache: cannot start a server process: %s\n",
	    strerror(errno));
	_exit(1);
}

struct child *
priv_spawn(struct priv *p, const struct conf *conf, const struct bundle *b,
    const struct listen_table *t, int log_fd, struct priv_result *res)
{
	struct child *c;
	int sv[2], st;

	memset(res, 0, sizeof(*res));
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    sandbox_of(conf, &c->capsules, &c->ncapsules, &c->user) == -1) {
		log_warn("cannot start a server process: out of memory");
		priv_child_free(c);
		return NULL;
	}
	c->ipc = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    (c->pid = fork()) == -1) {
		log_warn("cannot start a server process: %s", strerror(errno));
		priv_child_free(c);
		return NULL;
	}
	if (c->pid == 0) {
		close(sv[0]);
		child_main(p, sv[1]);
	}
	close(sv[1]);
	c->ipc = sv[0];
	p->last_spawn = time(NULL);
	/* Its workers' sockets to the key process, then its configuration. */
	(void)priv_keys_link(p, c);
	priv_cgi_link(p, c);
	if (bundle_send(c->ipc, b, t, log_fd) == 0 &&
	    wait_result(c, res) == 0) {
		TAILQ_INSERT_TAIL(&p->children, c, entry);
		return c;
	}
	/* It said why; it ends by itself once the socket closes. */
	close(c->ipc);
	c->ipc = -1;
	while (waitpid(c->pid, &st, 0) == -1 && errno == EINTR)
		;
	priv_child_free(c);
	if (res->problems == 0)
		res->problems = 1;
	return NULL;
}

int
priv_send(struct child *c, const struct bundle *b,
    const struct listen_table *t, int log_fd, struct priv_result *res)
{
	if (bundle_send(c->ipc, b, t, log_fd) == -1) {
		log_warn("server process %d: %s", (int)c->pid, strerror(errno));
		memset(res, 0, sizeof(*res));
		res->problems = 1;
		return -1;
	}
	return wait_result(c, res);
}

void
priv_drain(struct child *c)
{
	struct ipc_msg m;

	c->draining = 1;
	if (ipc_send(c->ipc, IPC_DRAIN, NULL, 0, NULL, 0) == -1)
		log_warn("server process %d: %s", (int)c->pid, strerror(errno));
	else
		(void)wait_for(c, IPC_DRAINING, 0, DRAINING_WAIT_MS, &m);
}

void
priv_tell_all(struct priv *p, int type)
{
	struct child *c;

	TAILQ_FOREACH(c, &p->children, entry)
		if (ipc_send(c->ipc, (uint32_t)type, NULL, 0, NULL, 0) == -1)
			log_warn("server process %d: %s", (int)c->pid,
			    strerror(errno));
}

static void
describe_exit(pid_t pid, int st)
{
	if (WIFSIGNALED(st))
		log_warn("server process %d killed by signal %d", (int)pid,
		    WTERMSIG(st));
	else if (WEXITSTATUS(st) != 0)
		log_warn("server process %d exited with status %d", (int)pid,
		    WEXITSTATUS(st));
}

void
priv_reap(struct priv *p)
{
	struct priv_result res;
	struct child *c;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (priv_keys_reaped(p, pid, st) || priv_cgi_reaped(p, pid, st))
			continue;
		TAILQ_FOREACH(c, &p->children, entry)
			if (c->pid == pid)
				break;
		if (c == NULL)
			continue;
		TAILQ_REMOVE(&p->children, c, entry);
		describe_exit(pid, st);
		if (c == p->serving) {
			p->serving = NULL;
			if (!p->stopping) {
				p->status = 1;
				if (time(NULL) - p->last_spawn < RESPAWN_MIN_SEC)
					log_warn("the server process died again "
					    "within %d s: stopping",
					    RESPAWN_MIN_SEC);
				else if ((p->serving = priv_spawn(p, p->conf,
				    &p->bundle, &p->table, p->log_fd,
				    &res)) != NULL) {
					log_warn("started another server "
					    "process, %d", (int)p->serving->pid);
					p->status = 0;
				}
				if (p->serving == NULL) {
					p->stopping = 1;
					priv_tell_all(p, IPC_STOP);
				}
			}
		}
		priv_child_free(c);
	}
	if (p->stopping && TAILQ_EMPTY(&p->children))
		event_base_loopexit(p->base, NULL);
}
