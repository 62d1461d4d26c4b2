/* One configuration, from the privileged process to the server process. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"

void
bundle_init(struct bundle *b)
{
	memset(b, 0, sizeof(*b));
	b->log_fd = -1;
}

void
bundle_free(struct bundle *b)
{
	size_t i;

	for (i = 0; i < b->nfiles; i++) {
		/* Keys among them: wipe before freeing. */
		if (b->files[i].data != NULL)
			explicit_bzero(b->files[i].data, b->files[i].len);
		free(b->files[i].data);
		free(b->files[i].path);
	}
	free(b->files);
	listen_table_close_unused(&b->table, NULL);
	listen_table_free(&b->table);
	if (b->log_fd != -1)
		close(b->log_fd);
	bundle_init(b);
}

int
bundle_add_file(struct bundle *b, const char *path, char *data, size_t len)
{
	struct bundle_file *grown;
	char *p = NULL;

	if (b->nfiles == BUNDLE_FILES_MAX || (p = strdup(path)) == NULL ||
	    (grown = reallocarray(b->files, b->nfiles + 1,
	    sizeof(*grown))) == NULL) {
		free(p);
		if (data != NULL)
			explicit_bzero(data, len);
		free(data);
		return -1;
	}
	b->files = grown;
	b->files[b->nfiles].path = p;
	b->files[b->nfiles].data = data;
	b->files[b->nfiles].len = len;
	if (b->nfiles++ == 0 && !b->from_argv)
		b->conf_path = p;
	return 0;
}

const struct bundle_file *
bundle_find(const struct bundle *b, const char *path)
{
	size_t i;

	for (i = 0; i < b->nfiles; i++)
		if (strcmp(b->files[i].path, path) == 0)
			return &b->files[i];
	return NULL;
}

char *
bundle_reader(void *arg, const char *path, size_t *len, const char **why)
{
	const struct bundle_file *f = bundle_find(arg, path);
	char *copy;

	if (f == NULL) {
		*why = "not read by the privileged process";
		return NULL;
	}
	if ((copy = malloc(f->len + 1)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	memcpy(copy, f->data, f->len);
	copy[f->len] = '\0';
	*len = f->len;
	return copy;
}

static int
send_file(int sock, const struct bundle_file *f)
{
	size_t off, n, plen = strlen(f->path);

	if (plen + 1 > IPC_DATA_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (ipc_send(sock, IPC_FILE, f->path, plen + 1, NULL, 0) == -1)
		return -1;
	for (off = 0; off < f->len; off += n) {
		n = f->len - off < IPC_DATA_MAX ? f->len - off : IPC_DATA_MAX;
		if (ipc_send(sock, IPC_FILE_DATA, f->data + off, n, NULL,
		    0) == -1)
			return -1;
	}
	return 0;
}

int
bundle_send(int sock, const struct bundle *b, const struct listen_table *t,
    int log_fd)
{
	unsigned char buf[8 + INET6_ADDRSTRLEN + 1];
	size_t i, alen;

	ipc_put32(buf, (uint32_t)b->id);
	ipc_put32(buf + 4, (uint32_t)b->nworkers);
	if (ipc_send(sock, IPC_BUNDLE_BEGIN, buf, 8, NULL, 0) == -1)
		return -1;
	if (b->from_argv && ipc_send(sock, IPC_ARGV, NULL, 0, NULL, 0) == -1)
		return -1;
	for (i = 0; i < b->nfiles; i++)
		if (send_file(sock, &b->files[i]) == -1)
			return -1;
	for (i = 0; i < t->n; i++) {
		alen = strlen(t->entries[i].addr);
		ipc_put32(buf, (uint32_t)t->entries[i].port);
		memcpy(buf + 4, t->entries[i].addr, alen + 1);
		if (ipc_send(sock, IPC_LISTEN, buf, 4 + alen + 1,
		    t->entries[i].fds, t->nworkers) == -1)
			return -1;
	}
	ipc_put32(buf, (uint32_t)b->log_to);
	ipc_put32(buf + 4, (uint32_t)b->log_style);
	if (ipc_send(sock, IPC_LOG, buf, 8, &log_fd, log_fd != -1) == -1)
		return -1;
	return ipc_send(sock, IPC_COMMIT, NULL, 0, NULL, 0);
}

/* A NUL-terminated string filling the payload from off, or NULL. */
static const char *
payload_string(const struct ipc_msg *m, size_t off)
{
	if (m->len <= off || m->data[m->len - 1] != '\0' ||
	    memchr(m->data + off, '\0', m->len - off) !=
	    (void *)(m->data + m->len - 1))
		return NULL;
	return (const char *)m->data + off;
}

static int
take_data(struct bundle *b, const struct ipc_msg *m)
{
	struct bundle_file *f;
	char *grown;

	if (b->nfiles == 0)
		return -1;
	f = &b->files[b->nfiles - 1];
	if (m->len > BUNDLE_FILE_MAX - f->len ||
	    (grown = realloc(f->data, f->len + m->len + 1)) == NULL)
		return -1;
	memcpy(grown + f->len, m->data, m->len);
	f->data = grown;
	f->len += m->len;
	f->data[f->len] = '\0';
	return 0;
}

static int
take_listen(struct bundle *b, struct ipc_msg *m)
{
	const char *addr;
	int r;

	if (m->len < 5 || m->nfds != b->nworkers ||
	    (addr = payload_string(m, 4)) == NULL ||
	    strlen(addr) >= INET6_ADDRSTRLEN)
		return -1;
	r = listen_table_add(&b->table, addr, (int)ipc_get32(m->data), m->fds);
	m->nfds = 0;		/* taken, or closed */
	return r;
}

int
bundle_take(struct bundle *b, struct ipc_msg *m)
{
	const char *path;
	char *data;
	int r = 0;

	if (!b->begun && m->type != IPC_BUNDLE_BEGIN)
		r = -1;
	else switch (m->type) {
	case IPC_BUNDLE_BEGIN:
		if (b->begun || m->len != 8) {
			r = -1;
			break;
		}
		b->begun = 1;
		b->id = ipc_get32(m->data);
		b->nworkers = (int)ipc_get32(m->data + 4);
		b->table.nworkers = b->nworkers;
		if (b->nworkers < 1 || b->nworkers > IPC_FDS_MAX)
			r = -1;
		break;
	case IPC_ARGV:
		b->from_argv = 1;
		break;
	case IPC_FILE:
		if ((path = payload_string(m, 0)) == NULL ||
		    (data = calloc(1, 1)) == NULL ||
		    bundle_add_file(b, path, data, 0) == -1)
			r = -1;
		break;
	case IPC_FILE_DATA:
		r = take_data(b, m);
		break;
	case IPC_LISTEN:
		r = take_listen(b, m);
		break;
	case IPC_LOG:
		if (m->len != 8 || m->nfds > 1 || b->log_fd != -1) {
			r = -1;
			break;
		}
		b->log_to = (enum conf_log_to)ipc_get32(m->data);
		b->log_style = (enum conf_log_style)ipc_get32(m->data + 4);
		if (m->nfds == 1) {
			b->log_fd = m->fds[0];
			m->nfds = 0;
		}
		break;
	case IPC_COMMIT:
		r = 1;
		break;
	default:
		r = -1;
		break;
	}
	ipc_close_fds(m);
	return r;
}
