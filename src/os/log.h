/*
 * The log: error, info and access lines, to stderr, a file or syslog.
 *
 * A file is written through one descriptor number that never changes
 * (log_reopen puts another file behind it with dup2), each line with one
 * write(2) on an O_APPEND file: lines from several threads or processes
 * never mix, and none is lost or split when the file is rotated.
 */
#ifndef ATTACHE_LOG_H
#define ATTACHE_LOG_H

#include <stddef.h>
#include <time.h>

#include "conf.h"

#define LOG_LINE_MAX	8192	/* a longer line is cut, never split */

/* What one access line says. */
struct log_access_entry {
	const char	*client;	/* numeric address */
	const char	*proto;		/* "gemini", "gopher" */
	const char	*site;		/* the site's name */
	int		 port;		/* the site's public port of proto */
	const char	*req;		/* the request line, as received */
	size_t		 reqlen;
	const char	*status;	/* Gemini code, or Gopher item type */
	size_t		 bytes;		/* sent */
	long		 ms;		/* duration */
	const char	*cert;		/* the first 16 hex digits of the
					 * client certificate's fingerprint,
					 * or NULL */
	const char	*why;		/* why it failed, or NULL */
};

void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_access(const struct log_access_entry *e);

/*
 * A problem of the configuration: "FILE:LINE: msg" ("FILE: msg" for line
 * 0; "attache: msg" when file is NULL, the options), on stderr while
 * starting (to_log 0), or as a warning in the log on reload.
 */
void	log_problem(const char *file, unsigned line, const char *msg,
	    int to_log);

/*
 * Sends the lines to stderr (fd -1 and not syslog), to the open file fd
 * (taken), or to syslog (facility daemon), access lines in style.  Called
 * by the main thread: before the workers start, and again on reload and
 * on SIGUSR1 (then with the file opened anew).  Returns 0, or -1 when the
 * descriptor cannot be set up (the log is then unchanged).
 */
int	log_configure(enum conf_log_to to, int fd, enum conf_log_style style);

/*
 * In a new process that closed the descriptors it inherited: the log is
 * stderr until configured again.
 */
void	log_forget(void);

/*
 * Formats one access line in style at time when, with a final newline
 * (pure).  A client certificate is "cert=HEX" before why in attache's
 * style, and the user field (the third) in the web servers' styles.  Control characters, quotes and backslashes of the request and
 * of why are escaped as \xNN in every style, so that no client can forge a
 * line or a field.  Returns the length (always < outsz; a line that does
 * not fit is cut, still ending in a newline).
 */
size_t	log_format_access(char *out, size_t outsz, enum conf_log_style style,
	    const struct log_access_entry *e, const struct timespec *when);

/* Escapes s into out for a log line; always NUL-terminates. */
void	log_escape(const char *s, size_t len, char *out, size_t outsz);

#endif
