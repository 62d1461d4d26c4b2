/*
 * The privileged process's state (priv.c), its server processes' records
 * (priv_child.c) and its key process's (priv_keys.c), read by its parts;
 * see priv.h.
 */
#ifndef ATTACHE_PRIV_STATE_H
#define ATTACHE_PRIV_STATE_H

#include <sys/queue.h>
#include <sys/types.h>

#include <time.h>

#include "bundle.h"
#include "conf.h"
#include "listen_table.h"

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

/* The key process (priv_keys.c). */
struct keyproc {
	pid_t			 pid;		/* 0: none running */
	int			 ipc;		/* our end, or -1 */
	time_t			 started;
	struct event		*restart;	/* a restart that waits */
};

/* A CGI runner (priv_cgi.c). */
struct cgiproc {
	pid_t			 pid;		/* 0: none running */
	int			 ipc;		/* our end, or -1 */
	time_t			 started;
	struct event		*restart;	/* a restart that waits */
	struct priv		*p;
};

#define PRIV_RUNNERS_MAX	16	/* RUNNER_LINKS_MAX */

struct priv {
	struct event_base	*base;
	int			 argc;
	char			**argv;
	const char		*config_file;	/* or NULL: the options */
	struct conf		*conf;		/* the one served */
	struct bundle		 bundle;	/* its files, for a new child */
	struct bundle		 keys;		/* its keys, for a new key
						 * process; each file named by
						 * its certificate's id */
	struct bundle		 keys_new;	/* those of a configuration
						 * being applied */
	struct keyproc		 kp;
	struct cgiproc		 cgi[PRIV_RUNNERS_MAX];
	int			 ncgi;		/* runners p->conf needs */
	struct listen_table	 table;
	int			 nworkers;
	unsigned long		 last_id;
	int			 log_fd;	/* the log file, or -1 */
	int			 exe;		/* our executable, which server
						 * processes run anew */
	struct child		*serving;
	struct child_list	 children;	/* serving and draining */
	int			 stopping;
	time_t			 last_spawn;
	int			 status;	/* the exit status */
	struct event		*ev_sig[5];
	struct event		*kill_timer;
};

/* The result of a configuration sent to a server process. */
struct priv_result {
	int		 ok;
	unsigned	 nsites;
	unsigned	 older;		/* generations still in use there */
	unsigned	 problems;
};

#endif
