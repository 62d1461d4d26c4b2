/* Error and access logging, to stderr: one line per event. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static void
log_time(char *out, size_t outsz)
{
	struct timespec ts;
	struct tm tm;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outsz, "-");
}

static void log_line(const char *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
log_line(const char *level, const char *fmt, va_list ap)
{
	char when[32], msg[1024];

	log_time(when, sizeof(when));
	/* A message that does not fit is cut: the log line stays one line. */
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s attache %s: %s\n", when, level, msg);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("info", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("warn", fmt, ap);
	va_end(ap);
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

void
log_access(const char *client, const char *proto, const char *site,
    const char *req, size_t reqlen, const char *status, size_t bytes,
    long ms, const char *cert, const char *why)
{
	char when[32], esc[4 * 1024 + 8];

	log_time(when, sizeof(when));
	log_escape(req, reqlen, esc, sizeof(esc));
	fprintf(stderr, "%s %s %s %s \"%s\" %s %zu %ldms%s%s%s%s%s\n", when,
	    client, proto, site, esc, status, bytes, ms, cert ? " cert=" : "",
	    cert ? cert : "", why ? " (" : "", why ? why : "", why ? ")" : "");
}
