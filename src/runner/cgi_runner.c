/* A CGI runner: confined, requests in from the workers, programs out. */
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <event2/event.h>

#include "capsule.h"
#include "cgi_runner.h"
#include "cgi_script.h"
#include "cgi_wire.h"
#include "conf.h"
#include "conf_cgi.h"
#include "ipc.h"
#include "log.h"
#include "program_env.h"
#include "sandbox.h"

#define BUSY_RETRY_SEC	5	/* 44's wait, when cgi-max are running */
#define RULES_MAX	256

/* A worker's socket. */
struct link {
	int			 fd;
	struct event		*ev;
	TAILQ_ENTRY(link)	 entry;
};

TAILQ_HEAD(link_list, link);
TAILQ_HEAD(script_list, cgi_script);

struct runner {
	struct event_base	*base;
	const struct conf	*conf;
	int			 index;
	int			 ctl;		/* to the privileged process */
	struct event		*ctl_ev;	/* NULL once it closed */
	struct event		*chld_ev;
	int			 chld_fd;	/* signalfd of SIGCHLD */
	int			 kids_fd;	/* /proc's list of our children */
	struct event		*sweep;		/* for processes that left
						 * their group: killed */
	int			 devnull;
	char			**roots;	/* per site: the capsule's real
						 * path, NULL if not ours */
	int			*rootfds;
	int			*running;	/* per site */
	struct link_list	 links;
	struct script_list	 scripts;
};

static void	maybe_end(struct runner *);
static struct runner *the_runner;	/* one per process */

/* Refuses a request on its control socket (retry 0: failed). */
static void
refuse(int ctl, unsigned retry, const char *why)
{
	unsigned char buf[4 + 256];
	size_t n = strlen(why);

	if (n > 255)
		n = 255;
	ipc_put32(buf, retry);
	memcpy(buf + 4, why, n);
	(void)ipc_send(ctl, IPC_CGI_REFUSED, buf, 4 + n, NULL, 0);
}

static int
site_of(const struct runner *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->conf->nsites; i++)
		if (r->roots[i] != NULL && strcmp(r->conf->sites[i].name,
		    name) == 0)
			return (int)i;
	return -1;
}

static void
script_ended(struct cgi_script *s, void *arg)
{
	struct runner *r = arg;

	TAILQ_REMOVE(&r->scripts, s, entry);
	cgi_script_free(s);
	maybe_end(r);
}

/*
 * The script's path as the worker found it, checked again here: under a
 * location with cgi on, nothing hidden, a regular executable file reached
 * without a symlink.  0, or -1 with *why.
 */
static int
check_script(const struct runner *r, int site, const char *script,
    const char **why)
{
	const struct conf_location *loc;
	struct open_how how;
	struct stat st;
	int fd;

	if (script[0] != '/' || strlen(script) >= PATH_MAX / 2 ||
	    capsule_path_hidden(script, strlen(script)) ||
	    strstr(script, "/../") != NULL) {
		*why = "not a script's path";
		return -1;
	}
	loc = conf_location_match(&r->conf->sites[site], script);
	if (loc == NULL || !loc->cgi) {
		*why = "not under a location with cgi on";
		return -1;
	}
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS;
	if ((fd = (int)syscall(SYS_openat2, r->rootfds[site], script + 1, &how,
	    sizeof(how))) == -1) {
		*why = "no such script";
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 0111) == 0) {
		close(fd);
		*why = "not an executable file";
		return -1;
	}
	close(fd);
	return 0;
}

/* A script to start for a worker. */
static void
run(struct runner *r, struct ipc_msg *m)
{
	struct program_env *env = NULL;
	struct cgi_script *s = NULL;
	struct cgi_run req;
	struct cgi_exec x;
	char path[PATH_MAX], dir[PATH_MAX], *slash;
	const char *why = "out of memory";
	unsigned char buf[4];
	int site, ctl = m->fds[0], in, out[2] = { -1, -1 };

	in = m->nfds > 1 ? m->fds[1] : r->devnull;
	if (cgi_wire_parse(m->data, m->len, &req) == -1) {
		refuse(ctl, 0, "malformed request");
		return;
	}
	if ((site = site_of(r, req.site)) == -1) {
		refuse(ctl, 0, "no such site here");
		return;
	}
	if (check_script(r, site, req.script, &why) == -1) {
		log_warn("%s %s: refused: %s", req.site, req.script, why);
		refuse(ctl, 0, why);
		return;
	}
	if (r->running[site] >= conf_cgi_max(r->conf, &r->conf->sites[site])) {
		refuse(ctl, BUSY_RETRY_SEC, "cgi-max reached");
		return;
	}
	snprintf(path, sizeof(path), "%s%s", r->roots[site], req.script);
	memcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((env = malloc(sizeof(*env))) == NULL ||
	    (s = calloc(1, sizeof(*s))) == NULL)
		goto fail;
	if (program_env_from_wire(env, req.env, req.envlen) == -1) {
		why = env->why;
		goto fail;
	}
	if (pipe2(out, O_CLOEXEC) == -1) {
		why = strerror(errno);
		goto fail;
	}
	s->ctl = ctl;
	s->err = -1;
	s->site = site;
	s->ended = script_ended;
	s->arg = r;
	snprintf(s->label, sizeof(s->label), "%s %s", req.site, req.script);
	memset(&x, 0, sizeof(x));
	x.path = path;
	x.dir = dir;
	x.envp = env->envp;
	x.in = in;
	x.out = out[1];
	if (cgi_script_start(s, r->base, &x) == -1) {
		why = strerror(errno);
		s->ctl = -1;
		cgi_script_free(s);
		s = NULL;
		goto fail;
	}
	close(out[1]);
	out[1] = -1;
	ipc_put32(buf, (uint32_t)s->pid);
	if (ipc_send(ctl, IPC_CGI_STARTED, buf, sizeof(buf), &out[0], 1) == -1)
		cgi_script_kill(s);
	close(out[0]);
	m->fds[0] = -1;		/* s's now */
	r->running[site]++;
	TAILQ_INSERT_TAIL(&r->scripts, s, entry);
	free(env);
	return;
fail:
	log_warn("%s %s: cannot start: %s", req.site, req.script, why);
	refuse(ctl, 0, why);
	if (out[0] != -1)
		close(out[0]);
	if (out[1] != -1)
		close(out[1]);
	free(s);
	free(env);
}

/* A site's titan-hook, after an upload: nobody waits for it. */
static void
hook(struct runner *r, const struct ipc_msg *m)
{
	struct program_env env;
	struct cgi_script *s;
	struct cgi_run req;
	struct cgi_exec x;
	const char *prog;
	char dir[PATH_MAX];
	int site, sv[2];

	if (cgi_wire_parse(m->data, m->len, &req) == -1 ||
	    (site = site_of(r, req.site)) == -1 ||
	    (prog = r->conf->sites[site].titan_hook) == NULL ||
	    program_env_from_wire(&env, req.env, req.envlen) == -1)
		return;
	snprintf(dir, sizeof(dir), "%s", r->roots[site]);
	/* Its control socket: ours alone, closed when it has exited. */
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		free(s);
		log_warn("%s: titan-hook not run: %s", req.site,
		    strerror(errno));
		return;
	}
	close(sv[1]);
	s->ctl = sv[0];
	s->err = -1;
	s->site = -1;
	s->ended = script_ended;
	s->arg = r;
	snprintf(s->label, sizeof(s->label), "%s titan-hook", req.site);
	memset(&x, 0, sizeof(x));
	x.path = prog;
	x.dir = dir;
	x.envp = env.envp;
	x.in = r->devnull;
	x.out = r->devnull;
	if (cgi_script_start(s, r->base, &x) == -1) {
		log_warn("%s: titan-hook not run: %s", req.site,
		    strerror(errno));
		cgi_script_free(s);
		return;
	}
	/* Its control socket is closed: nothing waits; let it run. */
	event_del(s->ctl_ev);
	TAILQ_INSERT_TAIL(&r->scripts, s, entry);
}

static void
link_free(struct runner *r, struct link *l)
{
	TAILQ_REMOVE(&r->links, l, entry);
	event_free(l->ev);
	close(l->fd);
	free(l);
}

static void
link_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct runner *r = the_runner;
	struct link *l = arg;
	struct ipc_msg m;
	int n, i;

	(void)what;
	for (i = 0; i < 16; i++) {
		if ((n = ipc_recv((int)fd, &m)) != 1) {
			if (n == 0 || (n == -1 && errno != EAGAIN &&
			    errno != EINTR && errno != EMSGSIZE)) {
				link_free(r, l);
				maybe_end(r);
			}
			return;
		}
		if (m.type == IPC_CGI_RUN && m.nfds >= 1 && m.nfds <= 2)
			run(r, &m);
		else if (m.type == IPC_CGI_HOOK && m.nfds == 0)
			hook(r, &m);
		ipc_close_fds(&m);
	}
}

static void
add_links(struct runner *r, struct ipc_msg *m)
{
	struct link *l;
	int i;

	for (i = 0; i < m->nfds; i++) {
		if ((l = calloc(1, sizeof(*l))) == NULL)
			return;
		l->fd = m->fds[i];
		(void)fcntl(l->fd, F_SETFL, O_NONBLOCK);
		if ((l->ev = event_new(r->base, l->fd, EV_READ | EV_PERSIST,
		    link_read_cb, l)) == NULL || event_add(l->ev, NULL) == -1) {
			if (l->ev != NULL)
				event_free(l->ev);
			free(l);
			return;
		}
		m->fds[i] = -1;
		TAILQ_INSERT_TAIL(&r->links, l, entry);
	}
}

static void
ctl_cb(evutil_socket_t fd, short what, void *arg)
{
	struct runner *r = arg;
	struct ipc_msg m;
	int n;

	(void)what;
	while ((n = ipc_recv((int)fd, &m)) == 1) {
		switch (m.type) {
		case IPC_CGISOCK:
			add_links(r, &m);
			break;
		case IPC_LOG:
		case IPC_REOPEN:
			if (m.len >= 4 && log_configure(m.type == IPC_LOG &&
			    m.len >= 8 ? (enum conf_log_to)ipc_get32(m.data) :
			    CONF_LOG_FILE, m.nfds == 1 ? m.fds[0] : -1,
			    (enum conf_log_style)ipc_get32(m.data +
			    (m.type == IPC_LOG ? 4 : 0))) == 0)
				m.nfds = 0;
			break;
		}
		ipc_close_fds(&m);
	}
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		/* Replaced or stopping: the scripts running end first. */
		event_free(r->ctl_ev);
		r->ctl_ev = NULL;
		maybe_end(r);
	}
}

static void
chld_cb(evutil_socket_t fd, short what, void *arg)
{
	struct runner *r = arg;
	struct cgi_script *s, *next;
	pid_t pid;
	int st;

	struct signalfd_siginfo si;

	(void)what;
	while (read((int)fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (s = TAILQ_FIRST(&r->scripts); s != NULL; s = next) {
			next = TAILQ_NEXT(s, entry);
			if (s->pid != pid)
				continue;
			if (s->site >= 0)
				r->running[s->site]--;
			cgi_script_reaped(s, st);
			break;
		}
}

/*
 * A process that left its script's group (setsid) and whose parent ended
 * is ours now (a child subreaper): a child that is no script, and in no
 * running script's group, is killed.
 */
static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct runner *r = arg;
	struct cgi_script *s;
	char buf[4096], *p, *end;
	ssize_t n;
	pid_t pgid;
	long pid;

	(void)fd;
	(void)what;
	if ((n = pread(r->kids_fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return;
	buf[n] = '\0';
	for (p = buf; *p != '\0'; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		pgid = getpgid((pid_t)pid);
		TAILQ_FOREACH(s, &r->scripts, entry)
			if (s->pid != 0 && (s->pid == (pid_t)pid ||
			    s->pid == pgid))
				break;
		if (s == NULL && pid > 0) {
			log_warn("CGI runner: process %ld left its program's "
			    "group: killed", pid);
			(void)kill((pid_t)pid, SIGKILL);
		}
	}
}

/* Done once the privileged process and the workers are gone, and idle. */
static void
maybe_end(struct runner *r)
{
	if (r->ctl_ev == NULL && TAILQ_EMPTY(&r->links) &&
	    TAILQ_EMPTY(&r->scripts))
		event_base_loopexit(r->base, NULL);
}

/* What the runner's programs may touch. */
static size_t
rules(const struct runner *r, struct sandbox_rule *out, char (*bufs)[PATH_MAX])
{
	static const char *const system[] = { "/usr", "/bin", "/sbin", "/lib",
	    "/lib64", "/lib32", "/libx32", "/opt" };
	static const char *const etc[] = { "/etc/ld.so.cache",
	    "/etc/localtime", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
	    "/etc/hosts", "/etc/resolv.conf", "/etc/host.conf",
	    "/etc/gai.conf", "/etc/ssl", "/etc/ssh", "/etc/mime.types",
	    "/usr/share/zoneinfo" };
	const struct conf_site *s;
	char dir[PATH_MAX], *slash;
	size_t i, j, n = 0, nb = 0;

	for (i = 0; i < sizeof(system) / sizeof(system[0]); i++)
		out[n++] = (struct sandbox_rule){ system[i], SANDBOX_READ |
		    SANDBOX_EXEC | SANDBOX_OPTIONAL };
	for (i = 0; i < sizeof(etc) / sizeof(etc[0]); i++)
		out[n++] = (struct sandbox_rule){ etc[i], SANDBOX_READ |
		    SANDBOX_OPTIONAL };
	out[n++] = (struct sandbox_rule){ "/dev/null", SANDBOX_READ |
	    SANDBOX_WRITE };
	out[n++] = (struct sandbox_rule){ "/dev/urandom", SANDBOX_READ |
	    SANDBOX_OPTIONAL };
	for (i = 0; i < r->conf->nsites && n + 2 < RULES_MAX; i++) {
		if (r->roots[i] == NULL)
			continue;
		s = &r->conf->sites[i];
		if (conf_capsule_writable(s))
			out[n++] = (struct sandbox_rule){ r->roots[i],
			    SANDBOX_READ | SANDBOX_WRITE };
		/* The hook's directory: its key, its known hosts. */
		if (s->titan_hook != NULL && nb < RULES_MAX &&
		    snprintf(bufs[nb], PATH_MAX, "%s", s->titan_hook) <
		    PATH_MAX) {
			if ((slash = strrchr(bufs[nb], '/')) != NULL &&
			    slash != bufs[nb])
				*slash = '\0';
			out[n++] = (struct sandbox_rule){ bufs[nb++],
			    SANDBOX_READ | SANDBOX_EXEC | SANDBOX_OPTIONAL };
		}
		for (j = 0; j < s->nlocations && n < RULES_MAX &&
		    nb < RULES_MAX; j++) {
			if (!s->locations[j].cgi || conf_cgi_dir(
			    s->locations[j].pattern, dir, sizeof(dir)) == -1)
				continue;
			if (snprintf(bufs[nb], PATH_MAX, "%s/%s", r->roots[i],
			    dir) >= PATH_MAX)
				continue;
			out[n++] = (struct sandbox_rule){ bufs[nb++],
			    SANDBOX_READ | SANDBOX_EXEC | SANDBOX_OPTIONAL };
		}
	}
	return n;
}

/* Its sites' capsules, then its user, then its sandbox. */
static int
setup(struct runner *r)
{
	static char bufs[RULES_MAX][PATH_MAX];
	struct sandbox_rule rl[RULES_MAX];
	const char *user = NULL;
	char err[512];
	size_t i, n = r->conf->nsites;
	int any = 0;

	if ((r->roots = calloc(n, sizeof(*r->roots))) == NULL ||
	    (r->rootfds = calloc(n, sizeof(*r->rootfds))) == NULL ||
	    (r->running = calloc(n, sizeof(*r->running))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		r->rootfds[i] = -1;
		if (conf_cgi_runner(r->conf, i) != r->index)
			continue;
		user = conf_cgi_user(r->conf, &r->conf->sites[i]);
		if ((r->roots[i] = realpath(r->conf->sites[i].capsule,
		    NULL)) == NULL || (r->rootfds[i] = open(r->roots[i],
		    O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
			log_warn("CGI runner: capsule %s: %s",
			    r->conf->sites[i].capsule, strerror(errno));
			free(r->roots[i]);
			r->roots[i] = NULL;
			continue;
		}
		any = 1;
	}
	if (!any)
		return -1;
	if ((r->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		log_warn("CGI runner: /dev/null: %s", strerror(errno));
		return -1;
	}
	if (geteuid() == 0) {
		if (user == NULL) {
			log_warn("CGI runner: programs never run as root: set "
			    "cgi-user (or user)");
			return -1;
		}
		if (sandbox_drop(user, err, sizeof(err)) == -1) {
			log_warn("CGI runner: %s", err);
			return -1;
		}
	}
	/* Not to be traced nor read by its programs, the same user. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	n = rules(r, rl, bufs);
	switch (sandbox_enter_rules(rl, n, err, sizeof(err))) {
	case -1:
		log_warn("CGI runner: %s", err);
		return -1;
	case 0:
		log_warn("CGI runner: %s", err);
		break;
	}
	return 0;
}

int
cgi_runner_serve(int ctl, const struct conf *conf, int index)
{
	struct runner r;
	struct cgi_script *s;
	struct link *l;
	struct timeval sweep = { 1, 0 };
	char kids[64];
	sigset_t chld;
	int status = 1;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.conf = conf;
	r.index = index;
	r.ctl = ctl;
	r.devnull = -1;
	r.chld_fd = -1;
	r.kids_fd = -1;
	TAILQ_INIT(&r.links);
	TAILQ_INIT(&r.scripts);
	the_runner = &r;
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if ((r.base = event_base_new()) == NULL)
		return 1;
	(void)fcntl(ctl, F_SETFL, O_NONBLOCK);
	if ((r.ctl_ev = event_new(r.base, ctl, EV_READ | EV_PERSIST, ctl_cb,
	    &r)) == NULL || event_add(r.ctl_ev, NULL) == -1 ||
	    sigemptyset(&chld) == -1 || sigaddset(&chld, SIGCHLD) == -1 ||
	    sigprocmask(SIG_BLOCK, &chld, NULL) == -1 ||
	    (r.chld_fd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) ==
	    -1 || (r.chld_ev = event_new(r.base, r.chld_fd, EV_READ |
	    EV_PERSIST, chld_cb, &r)) == NULL ||
	    event_add(r.chld_ev, NULL) == -1)
		goto out;
	/* The log first: what goes wrong next is said there. */
	ctl_cb(ctl, EV_READ, &r);
	/* Read again at each sweep, through the descriptor: no /proc rule. */
	snprintf(kids, sizeof(kids), "/proc/self/task/%d/children",
	    (int)getpid());
	if ((r.kids_fd = open(kids, O_RDONLY | O_CLOEXEC)) == -1)
		log_warn("CGI runner: %s: %s; a process that leaves its "
		    "program's group lives on", kids, strerror(errno));
	else if ((r.sweep = event_new(r.base, -1, EV_PERSIST, sweep_cb,
	    &r)) == NULL || event_add(r.sweep, &sweep) == -1)
		goto out;
	if (setup(&r) == -1)
		goto out;
	if (event_base_loop(r.base, EVLOOP_NO_EXIT_ON_EMPTY) == 0)
		status = 0;
out:
	while ((s = TAILQ_FIRST(&r.scripts)) != NULL) {
		TAILQ_REMOVE(&r.scripts, s, entry);
		cgi_script_free(s);
	}
	while ((l = TAILQ_FIRST(&r.links)) != NULL)
		link_free(&r, l);
	if (r.ctl_ev != NULL)
		event_free(r.ctl_ev);
	if (r.chld_ev != NULL)
		event_free(r.chld_ev);
	if (r.chld_fd != -1)
		close(r.chld_fd);
	if (r.sweep != NULL)
		event_free(r.sweep);
	if (r.kids_fd != -1)
		close(r.kids_fd);
	for (i = 0; r.roots != NULL && i < conf->nsites; i++) {
		free(r.roots[i]);
		if (r.rootfds[i] != -1)
			close(r.rootfds[i]);
	}
	free(r.roots);
	free(r.rootfds);
	free(r.running);
	if (r.devnull != -1)
		close(r.devnull);
	event_base_free(r.base);
	close(ctl);
	return status;
}
