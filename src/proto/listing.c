/* Generated directory pages in gemtext (pure). */
#include <limits.h>
#include <string.h>

#include <event2/buffer.h>

#include "listing.h"
#include "uri.h"

void
listing_display_name(const char *name, char *out, size_t outsz)
{
	size_t i;

	if (outsz == 0)
		return;
	for (i = 0; name[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ?
		    '?' : name[i];
	out[i] = '\0';
}

int
listing_gemtext(struct evbuffer *out, const char *dirpath,
    const struct capsule_dirent *ents, size_t n)
{
	char shown[PATH_MAX], link[3 * NAME_MAX + 8];
	size_t i;

	listing_display_name(dirpath, shown, sizeof(shown));
	if (evbuffer_add_printf(out, "# Index of %s\n\n", shown) < 0)
		return -1;
	if (strcmp(dirpath, "/") != 0 &&
	    evbuffer_add_printf(out, "=> ../ Parent directory\n") < 0)
		return -1;
	for (i = 0; i < n; i++) {
		/* "./" keeps a name with ':' from reading as a scheme. */
		if (uri_percent_encode_path(ents[i].name, strlen(ents[i].name),
		    link, sizeof(link), 0) == -1)
			continue;
		listing_display_name(ents[i].name, shown, sizeof(shown));
		if (evbuffer_add_printf(out, "=> ./%s%s %s%s\n", link,
		    ents[i].is_dir ? "/" : "", shown,
		    ents[i].is_dir ? "/" : "") < 0)
			return -1;
	}
	if (n == 0 && evbuffer_add_printf(out, "(empty)\n") < 0)
		return -1;
	return 0;
}
