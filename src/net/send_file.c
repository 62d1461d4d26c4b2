/*
 * A capsule file as a response body, as it is on disk (whole_file.c has
 * decided that it may go so).  Plain TCP: the kernel sends it (sendfile),
 * no copy here.  TLS: read in 64 KB windows as the output drains
 * (conn_write.c), so that memory stays flat whatever the file's size.
 */
#include <sys/stat.h>

#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "conn_internal.h"

void
conn_send_file(struct conn *c, int fd, const struct stat *st)
{
	if (st->st_size <= 0) {
		close(fd);
		return;
	}
	if (!c->tls && evbuffer_add_file(bufferevent_get_output(c->bev), fd, 0,
	    st->st_size) == 0) {
		c->bytes_out += (size_t)st->st_size;
		return;
	}
	c->file_fd = fd;
	c->file_left = st->st_size;
}
