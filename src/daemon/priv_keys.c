/* The privileged process's key process: start, keys, sockets, restart. */
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

#include "ipc.h"
#include "key_process.h"
#include "log.h"
#include "priv_fork.h"
#include "priv_keys.h"

#define KEYS_WAIT_MS	(10 * 1000)	/* keys taken, at most */
#define STOP_WAIT_MS	2000		/* the key process ending */
#define RESTART_SEC	1		/* a key process dying young: wait */

void
priv_keys_forget(struct priv *p)
{
	bundle_free(&p->keys);
	bundle_free(&p->keys_new);
}

/* In the new process: nothing of ours but the socket. */
static void
key_child(struct priv *p, int ipc, const char *user)
    __attribute__((noreturn));

static void
key_child(struct priv *p, int ipc, const char *user)
{
	/*
	 * The privileged process ends us by closing our socket once the
	 * server processes are done, as they may need a signature until then.
	 */
	priv_fork_settle(ipc);
	/* The keys come over the socket, as at every restart. */
	priv_keys_forget(p);
	log_forget();
	(void)prctl(PR_SET_NAME, "attache-keys", 0, 0, 0);
	exit(key_process_serve(ipc, user));
}

int
priv_keys_start(struct priv *p, const char *user)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    (pid = fork()) == -1) {
		log_warn("cannot start the key process: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		key_child(p, sv[1], user);
	}
	close(sv[1]);
	p->kp.pid = pid;
	p->kp.ipc = sv[0];
	p->kp.started = time(NULL);
	return 0;
}

int
priv_keys_send(struct priv *p, const struct bundle *keys)
{
	struct listen_table none;
	struct pollfd pfd;
	struct ipc_msg m;
	int r;

	if (p->kp.ipc == -1) {
		log_warn("the key process is not running");
		return -1;
	}
	memset(&none, 0, sizeof(none));
	if (bundle_send(p->kp.ipc, keys, &none, -1) == -1) {
		log_warn("key process %d: %s", (int)p->kp.pid,
		    strerror(errno));
		return -1;
	}
	pfd.fd = p->kp.ipc;
	pfd.events = POLLIN;
	for (;;) {
		pfd.revents = 0;
		do
			r = poll(&pfd, 1, KEYS_WAIT_MS);
		while (r == -1 && errno == EINTR);
		if (r <= 0 || ipc_recv(p->kp.ipc, &m) != 1) {
			log_warn("key process %d: no answer", (int)p->kp.pid);
			return -1;
		}
		ipc_close_fds(&m);
		if (m.type == IPC_RESULT && m.len == 16)
			break;
	}
	if (ipc_get32(m.data) == 0) {
		log_warn("key process %d: %u of the keys cannot be read",
		    (int)p->kp.pid, ipc_get32(m.data + 12));
		return -1;
	}
	return 0;
}

void
priv_keys_activate(struct priv *p, unsigned long id)
{
	unsigned char buf[4];

	ipc_put32(buf, (uint32_t)id);
	if (p->kp.ipc != -1 && ipc_send(p->kp.ipc, IPC_KEYS_ACTIVE, buf,
	    sizeof(buf), NULL, 0) == -1)
		log_warn("key process %d: %s", (int)p->kp.pid,
		    strerror(errno));
}

int
priv_keys_link(struct priv *p, struct child *c)
{
	int ours[IPC_FDS_MAX], theirs[IPC_FDS_MAX], sv[2];
	int i, n = 0, r = -1;

	if (p->kp.ipc == -1)
		return -1;
	for (n = 0; n < p->nworkers && n < IPC_FDS_MAX; n++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    sv) == -1) {
			log_warn("cannot link a server process to the key "
			    "process: %s", strerror(errno));
			goto done;
		}
		ours[n] = sv[0];
		theirs[n] = sv[1];
	}
	if (ipc_send(p->kp.ipc, IPC_KEYSOCK, NULL, 0, theirs, n) == -1)
		log_warn("key process %d: %s", (int)p->kp.pid, strerror(errno));
	else if (ipc_send(c->ipc, IPC_KEYSOCK, NULL, 0, ours, n) == -1)
		log_warn("server process %d: %s", (int)c->pid, strerror(errno));
	else
		r = 0;
done:
	for (i = 0; i < n; i++) {
		close(ours[i]);
		close(theirs[i]);
	}
	return r;
}

static void
close_ipc(struct priv *p)
{
	if (p->kp.ipc != -1)
		close(p->kp.ipc);
	p->kp.ipc = -1;
	p->kp.pid = 0;
}

/* A new key process with the keys served, and every server linked to it. */
static void
restart(struct priv *p)
{
	struct child *c;

	if (priv_keys_start(p, p->conf != NULL ? p->conf->user : NULL) ==
	    -1 || priv_keys_send(p, &p->keys) == -1) {
		log_warn("TLS handshakes fail until a key process runs");
		return;
	}
	priv_keys_activate(p, p->last_id);
	TAILQ_FOREACH(c, &p->children, entry)
		(void)priv_keys_link(p, c);
	log_info("key process %d started; TLS handshakes are signed again",
	    (int)p->kp.pid);
}

static void
restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct priv *p = arg;

	(void)fd;
	(void)what;
	if (!p->stopping && p->kp.pid == 0)
		restart(p);
}

int
priv_keys_reaped(struct priv *p, pid_t pid, int st)
{
	struct timeval tv = { RESTART_SEC, 0 };

	if (pid != p->kp.pid || pid == 0)
		return 0;
	close_ipc(p);
	if (p->stopping)
		return 1;
	if (WIFSIGNALED(st))
		log_warn("key process %d killed by signal %d: TLS handshakes "
		    "fail until another one runs", (int)pid, WTERMSIG(st));
	else
		log_warn("key process %d exited with status %d: TLS handshakes "
		    "fail until another one runs", (int)pid, WEXITSTATUS(st));
	if (time(NULL) - p->kp.started >= RESTART_SEC) {
		restart(p);
		if (p->kp.pid != 0)
			return 1;
	}
	/* Dying young, or not started: again in a moment. */
	if (p->kp.restart == NULL)
		p->kp.restart = evtimer_new(p->base, restart_cb, p);
	if (p->kp.restart != NULL)
		evtimer_add(p->kp.restart, &tv);
	return 1;
}

void
priv_keys_stop(struct priv *p)
{
	pid_t pid = p->kp.pid;
	int st, waited;

	close_ipc(p);
	if (p->kp.restart != NULL)
		event_free(p->kp.restart);
	p->kp.restart = NULL;
	if (pid == 0)
		return;
	/* It ends once its socket is closed: a short wait. */
	for (waited = 0; waited < STOP_WAIT_MS; waited += 10) {
		if (waitpid(pid, &st, WNOHANG) != 0)
			return;
		(void)poll(NULL, 0, 10);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
}
