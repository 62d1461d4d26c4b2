/* The privileged process's CGI runners: start, links, restart, stop. */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cgi_runner.h"
#include "conf_cgi.h"
#include "ipc.h"
#include "log.h"
#include "priv_cgi.h"
#include "priv_fork.h"
#include "priv_keys.h"

#define RESTART_SEC	1	/* a runner dying young: wait */
#define STOP_WAIT_MS	2000	/* runners ending at the stop */

/* In the new process: nothing of ours but the socket and the conf. */
static void
runner_child(struct priv *p, int ipc, int index) __attribute__((noreturn));

static void
runner_child(struct priv *p, int ipc, int index)
{
	priv_fork_settle(ipc);
	/* No key, nor what a server needs, stays in its memory. */
	priv_keys_forget(p);
	bundle_free(&p->bundle);
	log_forget();
	(void)prctl(PR_SET_NAME, CGI_RUNNER_NAME, 0, 0, 0);
	exit(cgi_runner_serve(ipc, p->conf, index));
}

/* The log as the privileged process has it. */
static void
send_log(struct cgiproc *r, const struct conf *conf, int log_fd)
{
	unsigned char buf[8];
	int fd = -1;

	if (conf->log_to == CONF_LOG_FILE && log_fd >= 0)
		fd = log_fd;
	ipc_put32(buf, (uint32_t)(fd >= 0 ? CONF_LOG_FILE :
	    conf->log_to == CONF_LOG_FILE ? CONF_LOG_STDERR : conf->log_to));
	ipc_put32(buf + 4, (uint32_t)conf->log_style);
	if (ipc_send(r->ipc, IPC_LOG, buf, sizeof(buf), &fd, fd >= 0) == -1)
		log_warn("CGI runner %d: %s", (int)r->pid, strerror(errno));
}

/* The user runner index serves as ("the user attache runs as": none). */
static const char *
runner_user(const struct priv *p, int index)
{
	const char *u;
	size_t i;

	for (i = 0; i < p->conf->nsites; i++)
		if (conf_cgi_runner(p->conf, i) == index)
			return (u = conf_cgi_user(p->conf, &p->conf->sites[i])) !=
			    NULL ? u : "the user attache runs as";
	return "?";
}

/* 1 when runner index would run programs as root: it is not started. */
static int
as_root(const struct priv *p, int index)
{
	size_t i;

	if (geteuid() != 0)
		return 0;
	for (i = 0; i < p->conf->nsites; i++)
		if (conf_cgi_runner(p->conf, i) == index)
			return conf_cgi_user(p->conf, &p->conf->sites[i]) ==
			    NULL;
	return 0;
}

static int
start_one(struct priv *p, int index)
{
	struct cgiproc *r = &p->cgi[index];
	int sv[2];
	pid_t pid;

	if (as_root(p, index)) {
		log_warn("CGI: programs never run as root: set cgi-user (or "
		    "user); the scripts of the sites without one answer 42");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    (pid = fork()) == -1) {
		log_warn("cannot start a CGI runner: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		runner_child(p, sv[1], index);
	}
	close(sv[1]);
	r->p = p;
	r->pid = pid;
	r->ipc = sv[0];
	r->started = time(NULL);
	send_log(r, p->conf, p->log_fd);
	return 0;
}

/* Server process c's sockets to runner index (none if it is not running). */
static void
link_one(struct priv *p, struct child *c, int index)
{
	int ours[IPC_FDS_MAX], theirs[IPC_FDS_MAX], sv[2];
	unsigned char buf[8];
	int i, n = 0;

	ipc_put32(buf, (uint32_t)index);
	ipc_put32(buf + 4, (uint32_t)p->ncgi);
	for (n = 0; p->cgi[index].pid != 0 && n < p->nworkers &&
	    n < IPC_FDS_MAX; n++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    sv) == -1) {
			log_warn("cannot link a server process to a CGI "
			    "runner: %s", strerror(errno));
			goto done;
		}
		ours[n] = sv[0];
		theirs[n] = sv[1];
	}
	if (n > 0 && ipc_send(p->cgi[index].ipc, IPC_CGISOCK, buf, sizeof(buf),
	    theirs, n) == -1)
		log_warn("CGI runner %d: %s", (int)p->cgi[index].pid,
		    strerror(errno));
	else if (ipc_send(c->ipc, IPC_CGISOCK, buf, sizeof(buf), ours, n) == -1)
		log_warn("server process %d: %s", (int)c->pid, strerror(errno));
done:
	for (i = 0; i < n; i++) {
		close(ours[i]);
		close(theirs[i]);
	}
}

void
priv_cgi_link(struct priv *p, struct child *c)
{
	int i;

	for (i = 0; i < p->ncgi; i++)
		link_one(p, c, i);
}

/* Lets runner index go: it ends once its programs and links are done. */
static void
let_go(struct cgiproc *r)
{
	if (r->restart != NULL)
		event_free(r->restart);
	r->restart = NULL;
	if (r->ipc != -1)
		close(r->ipc);
	r->ipc = -1;
	r->pid = 0;
}

void
priv_cgi_start(struct priv *p)
{
	struct child *c;
	int i, old = p->ncgi, n;

	n = (int)conf_cgi_runners(p->conf);
	if (n > PRIV_RUNNERS_MAX) {
		log_warn("CGI: at most %d cgi-users; the sites of the others "
		    "run no program", PRIV_RUNNERS_MAX);
		n = PRIV_RUNNERS_MAX;
	}
	for (i = 0; i < old; i++)
		let_go(&p->cgi[i]);
	p->ncgi = n;
	for (i = 0; i < n; i++)
		if (start_one(p, i) == 0)
			log_info("CGI runner %d started, as %s",
			    (int)p->cgi[i].pid, runner_user(p, i));
	/* New sockets replace the old ones; a runner no longer needed, none. */
	TAILQ_FOREACH(c, &p->children, entry) {
		for (i = 0; i < (old > n ? old : n); i++)
			link_one(p, c, i);
	}
}

void
priv_cgi_reopen(struct priv *p, int fd)
{
	unsigned char style[4];
	int i;

	ipc_put32(style, (uint32_t)p->conf->log_style);
	for (i = 0; i < p->ncgi; i++)
		if (p->cgi[i].ipc != -1 && ipc_send(p->cgi[i].ipc, IPC_REOPEN,
		    style, 4, &fd, 1) == -1)
			log_warn("CGI runner %d: %s", (int)p->cgi[i].pid,
			    strerror(errno));
}

static void
restart(struct priv *p, int index)
{
	struct child *c;

	if (p->stopping || index >= p->ncgi || start_one(p, index) == -1)
		return;
	TAILQ_FOREACH(c, &p->children, entry)
		link_one(p, c, index);
	log_info("CGI runner %d started", (int)p->cgi[index].pid);
}

static void
restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cgiproc *r = arg;

	(void)fd;
	(void)what;
	if (r->pid == 0)
		restart(r->p, (int)(r - r->p->cgi));
}

int
priv_cgi_reaped(struct priv *p, pid_t pid, int st)
{
	struct timeval tv = { RESTART_SEC, 0 };
	struct cgiproc *r = NULL;
	int i;

	for (i = 0; i < p->ncgi && r == NULL; i++)
		if (p->cgi[i].pid == pid && pid != 0)
			r = &p->cgi[i];
	if (r == NULL)
		return 0;	/* a runner let go, or not ours */
	if (r->ipc != -1)
		close(r->ipc);
	r->ipc = -1;
	r->pid = 0;
	if (p->stopping)
		return 1;
	if (WIFSIGNALED(st))
		log_warn("CGI runner %d killed by signal %d: programs fail "
		    "until another one runs", (int)pid, WTERMSIG(st));
	else
		log_warn("CGI runner %d exited with status %d: programs fail "
		    "until another one runs", (int)pid, WEXITSTATUS(st));
	if (time(NULL) - r->started >= RESTART_SEC) {
		restart(p, (int)(r - p->cgi));
		if (r->pid != 0)
			return 1;
	}
	if (r->restart == NULL)
		r->restart = evtimer_new(p->base, restart_cb, r);
	if (r->restart != NULL)
		evtimer_add(r->restart, &tv);
	return 1;
}

void
priv_cgi_stop(struct priv *p)
{
	pid_t pids[PRIV_RUNNERS_MAX];
	int i, n = p->ncgi, st, waited;

	for (i = 0; i < n; i++) {
		pids[i] = p->cgi[i].pid;
		let_go(&p->cgi[i]);
	}
	p->ncgi = 0;
	for (i = 0; i < n; i++) {
		if (pids[i] == 0)
			continue;
		for (waited = 0; waited < STOP_WAIT_MS; waited += 10) {
			if (waitpid(pids[i], &st, WNOHANG) != 0)
				break;
			(void)poll(NULL, 0, 10);
		}
		if (waited >= STOP_WAIT_MS) {
			kill(pids[i], SIGKILL);
			while (waitpid(pids[i], &st, 0) == -1 && errno == EINTR)
				;
		}
	}
}
