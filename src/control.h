/*
 * The main thread's side of the server: reads the configuration, builds
 * each generation, owns the listening sockets, starts the workers and
 * hands them a new generation on reload (SIGHUP).
 */
#ifndef ATTACHE_CONTROL_H
#define ATTACHE_CONTROL_H

#include <stdatomic.h>

#include "generation.h"
#include "listen_table.h"
#include "options.h"

struct workers;

struct control {
	int			 argc;		/* to read the options again */
	char			**argv;
	const char		*config_file;	/* or NULL: the options */
	struct listen_table	 table;
	struct generation	*gen;		/* the current one */
	struct workers		*workers;
	int			 nworkers;
	unsigned long		 last_id;	/* of the newest generation */
	atomic_uint		 live;		/* generations not yet freed */
	struct limits		*limits;	/* shared by every generation */
	int			 peak;		/* connections, since the last
						 * trim of the heap */
};

/*
 * Reads the configuration: the file (FILE:LINE: messages through diag),
 * or the options again.  Returns it, or NULL after reporting why; with
 * partial set, what could be read of a file with errors (for --check).
 */
struct conf	*control_read_conf(const char *config_file, int argc,
		    char **argv, struct conf_diag *diag, int partial);

/*
 * Builds the first generation from conf (taken), binds its ports and
 * starts the workers.  Every problem is written to stderr, as
 * "FILE:LINE: message" for a file.  Returns 0, or -1 with nothing running.
 */
int	control_start(struct control *ctl, struct conf *conf);

/*
 * Reads the configuration again and serves it, or, when anything in it
 * fails, keeps serving the current one; the log says which, and why.
 */
void	control_reload(struct control *ctl);

/*
 * Called every CONTROL_TICK_SEC: once a burst of connections has closed,
 * gives the memory they used back to the system.
 */
#define CONTROL_TICK_SEC	5
void	control_tick(struct control *ctl);

/* Stops the workers, closes the sockets, frees the generation. */
void	control_stop(struct control *ctl);

#endif
