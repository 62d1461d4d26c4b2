/*
 * A capsule file as a response body.  Plain TCP: the kernel sends it
 * (sendfile), no copy here.  TLS: each request used to read the file from
 * the page cache again, about a tenth of the CPU of a 1 MiB download
 * (perf; mapping it instead costs as much in page faults and munmap).  So
 * a file up to RENDER_BLOB_MAX is kept in the site's render cache, under
 * the same rule as a rendered menu: valid while stat(2) sees the same
 * source, never kept when younger than RENDER_SETTLE_SEC.  Larger files,
 * and young ones, are streamed from the file in windows as before.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "capsule.h"
#include "log.h"
#include "render_cache.h"
#include "conn_internal.h"

/*
 * The cached bytes of this version of the file, or NULL: stream it.  A
 * miss reads the file whole (capsule_read_file), once per version: the
 * read streaming it would have done.
 */
static struct render_blob *
cached_body(struct conn *c, const char *key, int fd, const struct stat *st)
{
	struct render_cache *cache = c->site->cache;
	struct render_blob *b = NULL;
	struct evbuffer *body;
	struct timespec now;
	const char *why;
	size_t size = (size_t)st->st_size, len;
	char *text;

	clock_gettime(CLOCK_REALTIME, &now);
	/* Too large or too young to be kept: not held under this stat. */
	if (!render_cache_would_keep(cache, st, size, &now))
		return NULL;
	if ((b = render_cache_get(cache, RENDER_FILE, key, st)) != NULL)
		return b;
	if ((text = capsule_read_file(fd, size, &len, &why)) != NULL &&
	    len == size && (body = evbuffer_new()) != NULL) {
		if (evbuffer_add_reference(body, text, len, NULL, NULL) == 0)
			b = render_cache_put(cache, RENDER_FILE, key, st, body,
			    &now);
		evbuffer_free(body);
	}
	free(text);
	/* Not kept (it changed, or no memory): streamed from its start. */
	if (b == NULL && lseek(fd, 0, SEEK_SET) == -1)
		log_warn("%s: cannot rewind %s: %s", c->peer, key,
		    strerror(errno));
	return b;
}

void
conn_send_file(struct conn *c, int fd, const struct stat *st,
    const char *key)
{
	struct render_blob *b;

	if (st->st_size <= 0) {
		close(fd);
		return;
	}
	if (!c->tls) {
		if (evbuffer_add_file(bufferevent_get_output(c->bev), fd, 0,
		    st->st_size) == 0) {
			c->bytes_out += (size_t)st->st_size;
			return;
		}
	} else if ((b = cached_body(c, key, fd, st)) != NULL) {
		close(fd);
		if (conn_write_blob(c, b) == -1) {
			log_warn("%s: cannot queue a file", c->peer);
			c->why = "out of memory";
		}
		render_blob_unref(b);
		return;
	}
	c->file_fd = fd;
	c->file_left = st->st_size;
}
