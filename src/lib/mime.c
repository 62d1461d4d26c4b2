/* File names to MIME types and Gopher item types (pure). */
#include <string.h>
#include <strings.h>

#include "mime.h"

struct mime_entry {
	const char	*ext;
	const char	*type;
	char		 gopher;
};

static const struct mime_entry mime_table[] = {
	{ "gmi",	"text/gemini",				'1' },
	{ "gemini",	"text/gemini",				'1' },
	{ "txt",	"text/plain; charset=utf-8",		'0' },
	{ "text",	"text/plain; charset=utf-8",		'0' },
	{ "md",		"text/markdown; charset=utf-8",		'0' },
	{ "csv",	"text/csv; charset=utf-8",		'0' },
	{ "css",	"text/css; charset=utf-8",		'0' },
	{ "xml",	"text/xml; charset=utf-8",		'0' },
	{ "json",	"application/json",			'0' },
	{ "html",	"text/html; charset=utf-8",		'h' },
	{ "htm",	"text/html; charset=utf-8",		'h' },
	{ "png",	"image/png",				'I' },
	{ "jpg",	"image/jpeg",				'I' },
	{ "jpeg",	"image/jpeg",				'I' },
	{ "gif",	"image/gif",				'g' },
	{ "svg",	"image/svg+xml",			'I' },
	{ "webp",	"image/webp",				'I' },
	{ "pdf",	"application/pdf",			'9' },
	{ "zip",	"application/zip",			'9' },
	{ "mp3",	"audio/mpeg",				'9' },
	{ "ogg",	"audio/ogg",				'9' },
};

static const struct mime_entry *
mime_lookup(const char *name, size_t len)
{
	const char *dot = NULL;
	size_t i, extlen;

	for (i = len; i > 0; i--) {
		if (name[i - 1] == '.') {
			dot = name + i;
			break;
		}
		if (name[i - 1] == '/')
			break;
	}
	if (dot == NULL)
		return NULL;
	extlen = len - (size_t)(dot - name);
	for (i = 0; i < sizeof(mime_table) / sizeof(mime_table[0]); i++)
		if (strlen(mime_table[i].ext) == extlen &&
		    strncasecmp(mime_table[i].ext, dot, extlen) == 0)
			return &mime_table[i];
	return NULL;
}

int
mime_is_gemtext(const char *name, size_t len)
{
	const struct mime_entry *e = mime_lookup(name, len);

	return e != NULL && e->gopher == '1';
}

const char *
mime_type(const char *name, size_t len)
{
	const struct mime_entry *e = mime_lookup(name, len);

	return e != NULL ? e->type : "application/octet-stream";
}

char
mime_gopher_type(const char *name, size_t len)
{
	const struct mime_entry *e;

	if (len > 0 && name[len - 1] == '/')
		return '1';
	e = mime_lookup(name, len);
	return e != NULL ? e->gopher : '9';
}
