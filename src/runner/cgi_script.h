/*
 * One program a runner started (cgi_script.c): forked in a process group
 * of its own with resource limits, its stderr logged line by line
 * (escaped, prefixed, at most CGI_STDERR_LINES a second), its group
 * killed when the worker closes the request's control socket, when it
 * exits (what it left behind), or when the runner stops.
 */
#ifndef ATTACHE_CGI_SCRIPT_H
#define ATTACHE_CGI_SCRIPT_H

#include <sys/queue.h>
#include <sys/types.h>

#include <time.h>

struct event;
struct event_base;

#define CGI_STDERR_LINES	5	/* logged per second and program */
#define CGI_STDERR_LINE_MAX	512	/* bytes of one, the rest cut */
#define CGI_CPU_SEC		30	/* RLIMIT_CPU */
#define CGI_AS_BYTES		(1024L * 1024 * 1024)	/* RLIMIT_AS */
#define CGI_NOFILE		64	/* RLIMIT_NOFILE */
#define CGI_NPROC		64	/* RLIMIT_NPROC: of the cgi-user */

struct cgi_script {
	pid_t			 pid;		/* 0 once reaped */
	int			 ctl;		/* to the worker, or -1 */
	int			 err;		/* its stderr, or -1 */
	int			 site;		/* index in the configuration */
	struct event		*ctl_ev;
	struct event		*err_ev;
	struct event		*linger;	/* after the exit: stderr's end */
	char			 label[320];	/* "site /path" for the log */
	char			 line[CGI_STDERR_LINE_MAX];
	size_t			 linelen;
	int			 cut;		/* the line went over the max */
	time_t			 second;	/* of the lines counted */
	int			 lines;
	unsigned long		 dropped;
	void			(*ended)(struct cgi_script *, void *);
	void			*arg;
	TAILQ_ENTRY(cgi_script)	 entry;
};

/* What a program is run with. */
struct cgi_exec {
	const char	*path;		/* absolute */
	const char	*dir;		/* its working directory */
	char *const	*envp;
	int		 in;		/* stdin */
	int		 out;		/* stdout (write end), or a /dev/null */
};

/*
 * Starts x for s (pid, err, events on base; s->ctl and s->label set by the
 * caller, which owns s).  ended(s, arg) comes once it was reaped and its
 * stderr has ended: s is then to be freed (cgi_script_free).  Returns 0,
 * or -1 with errno.
 */
int	cgi_script_start(struct cgi_script *s, struct event_base *base,
	    const struct cgi_exec *x);
/* A child of the runner ended (SIGCHLD): s's, when pid is s->pid. */
void	cgi_script_reaped(struct cgi_script *s, int status);
/* Kills its process group (the worker is gone, or the runner stops). */
void	cgi_script_kill(struct cgi_script *s);
void	cgi_script_free(struct cgi_script *s);

#endif
