/*
 * What the privileged process hands the server process for one
 * configuration: the configuration file's text (or word that the options
 * are the configuration), the files it names that the server cannot read
 * itself (certificates and keys), the listening sockets, and the log.
 * The server builds its generation from this alone: it never opens a
 * configuration or key file, and never binds.
 */
#ifndef ATTACHE_BUNDLE_H
#define ATTACHE_BUNDLE_H

#include <stddef.h>

#include "ipc.h"
#include "listen_table.h"

#define BUNDLE_FILES_MAX	4096	/* files of one configuration */
#define BUNDLE_FILE_MAX		(1024 * 1024)	/* bytes of one of them */

struct bundle_file {
	char	*path;
	char	*data;
	size_t	 len;
};

struct bundle {
	unsigned long		 id;		/* of the generation */
	int			 nworkers;
	int			 from_argv;	/* the options are it */
	const char		*conf_path;	/* else files[0]'s path */
	struct bundle_file	*files;
	size_t			 nfiles;
	struct listen_table	 table;		/* received sockets */
	enum conf_log_to	 log_to;
	enum conf_log_style	 log_style;
	int			 log_fd;	/* -1: none */
	int			 begun;
};

void	bundle_init(struct bundle *b);
/* Frees the files; closes the sockets and log file not taken. */
void	bundle_free(struct bundle *b);

/*
 * Adds a file (data taken, even on failure).  Returns 0, or -1 when out
 * of memory or over BUNDLE_FILES_MAX.
 */
int	bundle_add_file(struct bundle *b, const char *path, char *data,
	    size_t len);
/* The file of that path, or NULL. */
const struct bundle_file *bundle_find(const struct bundle *b,
	    const char *path);

/*
 * A certlist reader (certlist.h) over the bundle arg: a copy of the file
 * the privileged process read, or NULL with why.
 */
char	*bundle_reader(void *arg, const char *path, size_t *len,
	    const char **why);

/*
 * Sends b (its files, from_argv, id and nworkers), the sockets of t and
 * the log (fd -1: none) as one configuration, ending with IPC_COMMIT.
 * Returns 0, or -1 with errno set.
 */
int	bundle_send(int sock, const struct bundle *b,
	    const struct listen_table *t, int log_fd);

/*
 * Takes one received message of a configuration into b (its descriptors
 * too).  Returns 1 once IPC_COMMIT has come, 0 for more to come, or -1
 * for a message that does not belong (b is then to be freed).
 */
int	bundle_take(struct bundle *b, struct ipc_msg *m);

#endif
