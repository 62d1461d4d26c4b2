/* A server process's sockets to its CGI runners (runner_link.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "conf.h"
#include "ipc.h"
#include "runner_link.h"

static pthread_mutex_t	lock = PTHREAD_MUTEX_INITIALIZER;
static int		links[RUNNER_LINKS_MAX][CONF_WORKERS_MAX];
static int		nlinks[RUNNER_LINKS_MAX];

void
runner_link_set(int index, int *fds, int n)
{
	int i, old[CONF_WORKERS_MAX], nold;

	if (index < 0 || index >= RUNNER_LINKS_MAX) {
		for (i = 0; i < n; i++)
			close(fds[i]);
		return;
	}
	if (n > CONF_WORKERS_MAX)
		n = CONF_WORKERS_MAX;
	for (i = 0; i < n; i++)
		(void)fcntl(fds[i], F_SETFL, O_NONBLOCK);
	pthread_mutex_lock(&lock);
	nold = nlinks[index];
	for (i = 0; i < nold; i++)
		old[i] = links[index][i];
	for (i = 0; i < n; i++) {
		links[index][i] = fds[i];
		fds[i] = -1;
	}
	nlinks[index] = n;
	pthread_mutex_unlock(&lock);
	for (i = 0; i < nold; i++)
		close(old[i]);
}

void
runner_link_close_all(void)
{
	int i;

	for (i = 0; i < RUNNER_LINKS_MAX; i++)
		runner_link_set(i, NULL, 0);
}

int
runner_link_send(int index, int worker, unsigned type, const void *data,
    size_t len, const int *fds, int nfds)
{
	int r;

	if (index < 0 || index >= RUNNER_LINKS_MAX || worker < 0) {
		errno = ENOTCONN;
		return -1;
	}
	pthread_mutex_lock(&lock);
	if (worker >= nlinks[index]) {
		pthread_mutex_unlock(&lock);
		errno = ENOTCONN;
		return -1;
	}
	r = ipc_send(links[index][worker], type, data, len, fds, nfds);
	pthread_mutex_unlock(&lock);
	return r;
}
