/* Messages between the privileged process and the server process. */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"

#define HEADER	4	/* the type */

/* Room for the descriptors of a message, aligned as a cmsghdr. */
union cmsg_room {
	struct cmsghdr	hdr;
	char		buf[CMSG_SPACE(sizeof(int) * IPC_FDS_MAX)];
};

int
ipc_send(int sock, uint32_t type, const void *data, size_t len,
    const int *fds, int nfds)
{
	union cmsg_room cmsg;
	unsigned char head[HEADER];
	struct iovec iov[2];
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	if (len > IPC_DATA_MAX || nfds < 0 || nfds > IPC_FDS_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	ipc_put32(head, type);
	iov[0].iov_base = head;
	iov[0].iov_len = HEADER;
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = len > 0 ? 2 : 1;
	if (nfds > 0) {
		memset(&cmsg, 0, sizeof(cmsg));
		msg.msg_control = cmsg.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n == -1 ? -1 : 0;
}

void
ipc_close_fds(struct ipc_msg *m)
{
	int i;

	for (i = 0; i < m->nfds; i++)
		if (m->fds[i] != -1) {
			close(m->fds[i]);
			m->fds[i] = -1;
		}
}

int
ipc_recv(int sock, struct ipc_msg *m)
{
	union cmsg_room cmsg;
	unsigned char head[HEADER];
	struct iovec iov[2];
	struct msghdr msg;
	struct cmsghdr *c;
	size_t nfd;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	iov[0].iov_base = head;
	iov[0].iov_len = HEADER;
	iov[1].iov_base = m->data;
	iov[1].iov_len = sizeof(m->data);
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	msg.msg_control = cmsg.buf;
	msg.msg_controllen = sizeof(cmsg.buf);
	m->nfds = 0;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return n == 0 ? 0 : -1;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfd > (size_t)(IPC_FDS_MAX - m->nfds))
			nfd = (size_t)(IPC_FDS_MAX - m->nfds);
		memcpy(m->fds + m->nfds, CMSG_DATA(c), nfd * sizeof(int));
		m->nfds += (int)nfd;
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || n < HEADER) {
		ipc_close_fds(m);
		errno = EMSGSIZE;
		return -1;
	}
	m->type = ipc_get32(head);
	m->len = (size_t)n - HEADER;
	return 1;
}

void
ipc_put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

uint32_t
ipc_get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}
