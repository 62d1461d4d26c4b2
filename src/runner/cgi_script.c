/* One program of a runner: fork, limits, exec, stderr, its end. */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cgi_script.h"
#include "ipc.h"
#include "log.h"

#define LINGER_SEC	2	/* stderr held open after the exit: closed */

static void	script_check_end(struct cgi_script *);

/* In the child: never returns. */
static void
script_child(const struct cgi_exec *x, int err) __attribute__((noreturn));

static void
script_child(const struct cgi_exec *x, int err)
{
	static const struct {
		int		res;
		rlim_t		val;
	} limits[] = {
		{ RLIMIT_CPU, CGI_CPU_SEC },
		{ RLIMIT_AS, CGI_AS_BYTES },
		{ RLIMIT_NOFILE, CGI_NOFILE },
		{ RLIMIT_NPROC, CGI_NPROC },
		{ RLIMIT_CORE, 0 },
	};
	char *argv[2];
	struct rlimit rl;
	sigset_t none;
	size_t i;
	int sig;

	(void)setpgid(0, 0);
	for (sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(x->in, 0) == -1 || dup2(x->out, 1) == -1 ||
	    dup2(err, 2) == -1)
		_exit(127);
	(void)close_range(3, UINT_MAX, 0);
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		rl.rlim_cur = rl.rlim_max = limits[i].val;
		if (limits[i].res == RLIMIT_CPU)
			rl.rlim_max = limits[i].val + 1;
		if (setrlimit(limits[i].res, &rl) == -1) {
			dprintf(2, "cannot set a resource limit: %s\n",
			    strerror(errno));
			_exit(127);
		}
	}
	if (chdir(x->dir) == -1) {
		dprintf(2, "cannot enter %s: %s\n", x->dir, strerror(errno));
		_exit(127);
	}
	argv[0] = (char *)x->path;
	argv[1] = NULL;
	execve(x->path, argv, x->envp);
	dprintf(2, "cannot run: %s\n", strerror(errno));
	_exit(127);
}

/* One line of stderr to the log, within the rate. */
static void
log_line(struct cgi_script *s)
{
	char esc[CGI_STDERR_LINE_MAX * 4 + 1];
	time_t now = time(NULL);

	if (now != s->second) {
		if (s->dropped > 0)
			log_warn("%s: %lu lines of stderr not logged (more than "
			    "%d a second)", s->label, s->dropped,
			    CGI_STDERR_LINES);
		s->second = now;
		s->lines = 0;
		s->dropped = 0;
	}
	if (s->lines >= CGI_STDERR_LINES) {
		s->dropped++;
		return;
	}
	s->lines++;
	log_escape(s->line, s->linelen, esc, sizeof(esc));
	log_warn("%s: stderr: %s%s", s->label, esc, s->cut ? "..." : "");
}

static void
take_stderr(struct cgi_script *s, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			log_line(s);
			s->linelen = 0;
			s->cut = 0;
		} else if (s->linelen < sizeof(s->line))
			s->line[s->linelen++] = buf[i];
		else
			s->cut = 1;
	}
}

static void
stderr_done(struct cgi_script *s)
{
	if (s->linelen > 0)
		log_line(s);
	s->linelen = 0;
	if (s->dropped > 0)
		log_warn("%s: %lu lines of stderr not logged (more than %d a "
		    "second)", s->label, s->dropped, CGI_STDERR_LINES);
	s->dropped = 0;
	if (s->err_ev != NULL)
		event_free(s->err_ev);
	s->err_ev = NULL;
	if (s->err != -1)
		close(s->err);
	s->err = -1;
}

static void
err_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cgi_script *s = arg;
	char buf[4096];
	ssize_t n;

	(void)what;
	n = read((int)fd, buf, sizeof(buf));
	if (n > 0) {
		take_stderr(s, buf, (size_t)n);
		return;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	stderr_done(s);
	script_check_end(s);
}

/* The worker closed its end (or wrote, which it never does): kill. */
static void
ctl_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cgi_script *s = arg;

	(void)fd;
	(void)what;
	cgi_script_kill(s);
	event_free(s->ctl_ev);
	s->ctl_ev = NULL;
	close(s->ctl);
	s->ctl = -1;
}

static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cgi_script *s = arg;

	(void)fd;
	(void)what;
	stderr_done(s);
	script_check_end(s);
}

int
cgi_script_start(struct cgi_script *s, struct event_base *base,
    const struct cgi_exec *x)
{
	int err[2], saved;

	s->err = -1;
	if (pipe2(err, O_CLOEXEC) == -1)
		return -1;
	if ((s->pid = fork()) == -1) {
		saved = errno;
		close(err[0]);
		close(err[1]);
		s->pid = 0;
		errno = saved;
		return -1;
	}
	if (s->pid == 0) {
		close(err[0]);
		script_child(x, err[1]);
	}
	/* Its own group from now on, whichever of us comes first. */
	(void)setpgid(s->pid, s->pid);
	close(err[1]);
	s->err = err[0];
	(void)fcntl(s->err, F_SETFL, O_NONBLOCK);
	if ((s->err_ev = event_new(base, s->err, EV_READ | EV_PERSIST, err_cb,
	    s)) == NULL || event_add(s->err_ev, NULL) == -1 ||
	    (s->ctl_ev = event_new(base, s->ctl, EV_READ, ctl_cb,
	    s)) == NULL || event_add(s->ctl_ev, NULL) == -1 ||
	    (s->linger = evtimer_new(base, linger_cb, s)) == NULL) {
		cgi_script_kill(s);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void
cgi_script_kill(struct cgi_script *s)
{
	if (s->pid > 0)
		(void)kill(-s->pid, SIGKILL);
}

void
cgi_script_reaped(struct cgi_script *s, int status)
{
	struct timeval tv = { LINGER_SEC, 0 };
	unsigned char buf[4];

	/* What it left in its group goes with it. */
	(void)kill(-s->pid, SIGKILL);
	s->pid = 0;
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		log_warn("%s: killed by signal %d", s->label, WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warn("%s: exited with status %d", s->label,
		    WEXITSTATUS(status));
	if (s->ctl != -1) {
		ipc_put32(buf, (uint32_t)status);
		(void)ipc_send(s->ctl, IPC_CGI_EXITED, buf, sizeof(buf), NULL,
		    0);
		if (s->ctl_ev != NULL)
			event_free(s->ctl_ev);
		s->ctl_ev = NULL;
		close(s->ctl);
		s->ctl = -1;
	}
	if (s->err != -1 && s->linger != NULL)
		evtimer_add(s->linger, &tv);
	script_check_end(s);
}

static void
script_check_end(struct cgi_script *s)
{
	if (s->pid == 0 && s->err == -1 && s->ended != NULL)
		s->ended(s, s->arg);
}

void
cgi_script_free(struct cgi_script *s)
{
	if (s == NULL)
		return;
	cgi_script_kill(s);
	if (s->err_ev != NULL)
		event_free(s->err_ev);
	if (s->ctl_ev != NULL)
		event_free(s->ctl_ev);
	if (s->linger != NULL)
		event_free(s->linger);
	if (s->err != -1)
		close(s->err);
	if (s->ctl != -1)
		close(s->ctl);
	free(s);
}
