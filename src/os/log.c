/* The log: one line per event, to stderr, a file or syslog. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

/*
 * Where lines go.  The main thread changes it while workers log, hence
 * atomics; a file's descriptor number is chosen once and then only has
 * other files put behind it (dup3), so a writer never writes to a number
 * that was closed and reused.
 */
static atomic_int sink_to = CONF_LOG_STDERR;
static atomic_int sink_style = CONF_LOG_STYLE_ATTACHE;
static atomic_int sink_fd = -1;

int
log_configure(enum conf_log_to to, int fd, enum conf_log_style style)
{
	int cur, n;

	if (to == CONF_LOG_FILE) {
		if (fd < 0)
			return -1;
		if ((cur = atomic_load(&sink_fd)) == -1) {
			if ((n = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1)
				return -1;
			atomic_store(&sink_fd, n);
		} else if (cur != fd && dup3(fd, cur, O_CLOEXEC) == -1)
			return -1;
		if (fd != atomic_load(&sink_fd))
			close(fd);
	} else if (fd >= 0)
		close(fd);
	/* The daemon facility, connected now: later, /dev/log may be hidden. */
	if (to == CONF_LOG_SYSLOG)
		openlog("attache", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	atomic_store(&sink_style, (int)style);
	atomic_store(&sink_to, (int)to);
	return 0;
}

void
log_forget(void)
{
	atomic_store(&sink_to, CONF_LOG_STDERR);
	atomic_store(&sink_fd, -1);
}

/* One whole line with one write: never split, never mixed. */
static void
write_line(int prio, const char *line, size_t len, size_t skip)
{
	ssize_t n;
	int fd;

	switch (atomic_load(&sink_to)) {
	case CONF_LOG_SYSLOG:
		/* syslog has its own time stamp: the message alone. */
		if (len > skip)
			syslog(prio, "%.*s", (int)(len - skip - 1), line + skip);
		return;
	case CONF_LOG_FILE:
		fd = atomic_load(&sink_fd);
		break;
	default:
		fd = STDERR_FILENO;
		break;
	}
	do
		n = write(fd, line, len);
	while (n == -1 && errno == EINTR);
}

static size_t
format_time(char *out, size_t outsz, const struct timespec *ts,
    enum conf_log_style style)
{
	struct tm tm;
	size_t n;

	if (gmtime_r(&ts->tv_sec, &tm) == NULL)
		return (size_t)snprintf(out, outsz, "-");
	n = strftime(out, outsz, style == CONF_LOG_STYLE_ATTACHE ?
	    "%Y-%m-%dT%H:%M:%SZ" : "[%d/%b/%Y:%H:%M:%S +0000]", &tm);
	if (n == 0)
		return (size_t)snprintf(out, outsz, "-");
	return n;
}

static void log_line(int, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
log_line(int prio, const char *level, const char *fmt, va_list ap)
{
	char when[64], msg[LOG_LINE_MAX / 2], line[LOG_LINE_MAX];
	struct timespec ts;
	int n, skip;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		memset(&ts, 0, sizeof(ts));
	format_time(when, sizeof(when), &ts, CONF_LOG_STYLE_ATTACHE);
	/* A message that does not fit is cut: the log line stays one line. */
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	n = snprintf(line, sizeof(line), "%s attache %s: %n%s\n", when, level,
	    &skip, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	write_line(prio, line, (size_t)n, (size_t)skip);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_NOTICE, "info", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_ERR, "warn", fmt, ap);
	va_end(ap);
}

void
log_problem(const char *file, unsigned line, const char *msg, int to_log)
{
	char where[4096 + 32] = "attache: ";

	if (file != NULL && line > 0)
		snprintf(where, sizeof(where), "%s:%u: ", file, line);
	else if (file != NULL)
		snprintf(where, sizeof(where), "%s: ", file);
	if (to_log)
		log_warn("%s%s", file != NULL ? where : "", msg);
	else
		fprintf(stderr, "%s%s\n", where, msg);
}

void
log_escape(const char *s, size_t len, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;
	unsigned char c;

	if (outsz == 0)
		return;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f && c != '\\' && c != '"') {
			if (n + 1 >= outsz)
				break;
			out[n++] = (char)c;
		} else {
			if (n + 4 >= outsz)
				break;
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
}

/*
 * The web servers' status field: Gemini's code, or for Gopher 20 for an
 * item served and 50 (permanent failure) for an error line.
 */
static const char *
web_status(const struct log_access_entry *e)
{
	if (strcmp(e->proto, "gopher") != 0)
		return e->status;
	return strcmp(e->status, "3") == 0 ? "50" : "20";
}

size_t
log_format_access(char *out, size_t outsz, enum conf_log_style style,
    const struct log_access_entry *e, const struct timespec *when)
{
	char t[64], req[4 * 1024 + 8], why[512], cert[64], type;
	const char *user;
	int n;

	if (outsz < 2)
		return 0;
	format_time(t, sizeof(t), when, style);
	log_escape(e->req, e->reqlen, req, sizeof(req));
	log_escape(e->why != NULL ? e->why : "", e->why != NULL ?
	    strlen(e->why) : 0, why, sizeof(why));
	log_escape(e->cert != NULL ? e->cert : "", e->cert != NULL ?
	    strlen(e->cert) : 0, cert, sizeof(cert));
	user = e->cert != NULL ? cert : "-";
	if (style == CONF_LOG_STYLE_ATTACHE)
		n = snprintf(out, outsz, "%s %s %s %s \"%s\" %s %zu %ldms%s%s%s"
		    "%s%s\n", t, e->client, e->proto, e->site, req, e->status,
		    e->bytes, e->ms, e->cert ? " cert=" : "", e->cert ? cert :
		    "", e->why ? " (" : "", why, e->why ? ")" : "");
	else if (strcmp(e->proto, "gopher") == 0) {
		/* The URL: gopher://host:port/<type><selector>. */
		type = strlen(e->status) == 1 && e->status[0] != '3' ?
		    e->status[0] : '1';
		n = snprintf(out, outsz, "%s - %s %s \"gopher://%s:%d/%c%s\" "
		    "%s %zu%s\n", e->client, user, t, e->site, e->port, type,
		    req, web_status(e), e->bytes,
		    style == CONF_LOG_STYLE_COMBINED ? " \"-\" \"-\"" : "");
	} else
		n = snprintf(out, outsz, "%s - %s %s \"%s\" %s %zu%s\n",
		    e->client, user, t, req, web_status(e), e->bytes,
		    style == CONF_LOG_STYLE_COMBINED ? " \"-\" \"-\"" : "");
	if (n < 0) {
		out[0] = '\n';
		out[1] = '\0';
		return 1;
	}
	if ((size_t)n >= outsz) {
		out[outsz - 2] = '\n';
		out[outsz - 1] = '\0';
		return outsz - 1;
	}
	return (size_t)n;
}

void
log_access(const struct log_access_entry *e)
{
	char line[LOG_LINE_MAX];
	struct timespec ts;
	size_t n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		memset(&ts, 0, sizeof(ts));
	n = log_format_access(line, sizeof(line),
	    (enum conf_log_style)atomic_load(&sink_style), e, &ts);
	write_line(LOG_INFO, line, n, 0);
}
