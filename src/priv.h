/*
 * The privileged process: the small part of attache that keeps what a
 * reload needs and nothing that talks to clients.  It reads the
 * configuration file and the certificates (keys may be readable by root
 * alone), generates missing pairs, binds the listening sockets (ports
 * below 1024), opens the log file, and hands all of it to the server
 * process, which serves as the configured user inside its sandbox.
 *
 * A reload goes to the running server process when its sandbox already
 * covers the new capsules (it builds a new generation); otherwise a new
 * server process takes over the sockets and the old one drains.
 */
#ifndef ATTACHE_PRIV_H
#define ATTACHE_PRIV_H

#include <sys/queue.h>
#include <sys/types.h>

#include <time.h>

#include "bundle.h"
#include "conf.h"
#include "listen_table.h"
#include "options.h"

struct event;
struct event_base;

/* A server process. */
struct child {
	pid_t			 pid;
	int			 ipc;		/* our end */
	int			 draining;	/* replaced, finishing */
	char			**capsules;	/* its sandbox: sorted */
	size_t			 ncapsules;
	char			*user;		/* serving as; NULL: as started */
	TAILQ_ENTRY(child)	 entry;
};

TAILQ_HEAD(child_list, child);

struct priv {
	struct event_base	*base;
	int			 argc;
	char			**argv;
	const char		*config_file;	/* or NULL: the options */
	struct conf		*conf;		/* the one served */
	struct bundle		 bundle;	/* its files, for a new child */
	struct listen_table	 table;
	int			 nworkers;
	unsigned long		 last_id;
	int			 log_fd;	/* the log file, or -1 */
	struct child		*serving;
	struct child_list	 children;	/* serving and draining */
	int			 stopping;
	time_t			 last_spawn;
	int			 status;	/* the exit status */
	struct event		*ev_sig[5];
	struct event		*kill_timer;
};

/* The privileged process's main: returns the exit status. */
int	priv_run(const struct options *opts, struct conf *conf, int argc,
	    char **argv);

/* The result of a configuration sent to a server process. */
struct priv_result {
	int		 ok;
	unsigned	 nsites;
	unsigned	 older;		/* generations still in use there */
	unsigned	 problems;
};

/*
 * Reads the configuration file (FILE:LINE: messages through diag) into
 * *text (malloc'ed) and parses it; or, without a file, reads the options
 * again (text NULL).  Returns it, or NULL after reporting why; with partial
 * set, what could be read of a file with errors (for --check).
 */
struct conf	*priv_read_conf(const char *config_file, int argc,
		    char **argv, struct conf_diag *diag, int partial,
		    char **text, size_t *len);

/*
 * Reads the files conf names into b (from the configuration file's text,
 * taken): every certificate pair, generated when both files are missing.
 * Each problem goes through diag.  Returns 0, or -1.
 */
int	priv_load(struct priv *p, struct conf *conf, char *text, size_t len,
	    struct bundle *b, struct conf_diag *diag);

/* Opens the log file of conf (-1 for none); reports and -2 on failure. */
int	priv_open_log(const struct conf *conf, struct conf_diag *diag);

/*
 * Starts a server process with b, the sockets of t and the log file
 * log_fd (-1: none), and waits for its result.  Returns the child (serving) or NULL (it is gone again).
 */
struct child *priv_spawn(struct priv *p, const struct conf *conf,
	    const struct bundle *b, const struct listen_table *t, int log_fd,
	    struct priv_result *res);

/* Sends b to a running child and waits for its result: 0, or -1. */
int	priv_send(struct child *c, const struct bundle *b,
	    const struct listen_table *t, int log_fd,
	    struct priv_result *res);

/* 1 when c's sandbox (user, capsules) covers conf's. */
int	priv_covers(const struct child *c, const struct conf *conf);

/* Reaps exited children; the serving one is replaced or the end comes. */
void	priv_reap(struct priv *p);

/* Tells every child to drain (stop: within the stop grace). */
/*
 * Tells a replaced server process to stop accepting and end once idle,
 * and waits (bounded) until it accepts no more: connections after it go
 * to the process serving now.
 */
void	priv_drain(struct child *c);
void	priv_tell_all(struct priv *p, int type);

/* Frees what a child record holds (the process is gone or going). */
void	priv_child_free(struct child *c);

#endif
