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
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "log.h"
#include "render_cache.h"
#include "server.h"

/*
 * The whole file into body, from offset 0 so that a failure leaves fd as
 * it was for streaming.  One call per request that fills the cache: the
 * file is local, and the read is what streaming it would have done.
 */
static int
read_whole(int fd, size_t size, struct evbuffer *body)
{
	struct evbuffer_iovec vec;
	size_t got = 0;
	ssize_t r;

	if (evbuffer_reserve_space(body, (ev_ssize_t)size, &vec, 1) < 1 ||
	    vec.iov_len < size)
		return -1;
	while (got < size) {
		r = pread(fd, (char *)vec.iov_base + got, size - got,
		    (off_t)got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;	/* shrank or failed: streaming says why */
		got += (size_t)r;
	}
	vec.iov_len = size;
	return evbuffer_commit_space(body, &vec, 1);
}

/* The cached bytes of this version of the file, or NULL: stream it. */
static struct render_blob *
cached_body(struct conn *c, const char *key, int fd, const struct stat *st)
{
	struct render_cache *cache = c->site->cache;
	struct render_blob *b;
	struct evbuffer *body;
	struct timespec now;

	if ((b = render_cache_get(cache, RENDER_FILE, key, st)) != NULL)
		return b;
	clock_gettime(CLOCK_REALTIME, &now);
	if (!render_cache_would_keep(cache, st, (size_t)st->st_size, &now))
		return NULL;
	if ((body = evbuffer_new()) == NULL)
		return NULL;
	if (read_whole(fd, (size_t)st->st_size, body) == 0)
		b = render_cache_put(cache, RENDER_FILE, key, st, body, &now);
	evbuffer_free(body);
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
	} else if (st->st_size <= RENDER_BLOB_MAX &&
	    (b = cached_body(c, key, fd, st)) != NULL) {
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
