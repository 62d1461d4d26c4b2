/* The key process: private keys in, signatures out (key_process.h). */
#include <sys/prctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "bundle.h"
#include "ipc.h"
#include "key_process.h"
#include "log.h"
#include "sandbox.h"

#define TICK_MS		5000	/* retired keys are dropped this often */

/* A thread answering one worker's socket. */
struct link {
	pthread_t	 thread;
	int		 fd;
	atomic_int	 done;
	struct key_table *table;
	struct link	*next;
};

struct key_process {
	int		 ctl;
	struct key_table *table;
	struct bundle	 pending;	/* keys being received */
	struct link	*links;
};

void
key_process_answer(struct key_table *t, int fd)
{
	struct tls_key_request req;
	struct tls_key_reply rep;
	EVP_PKEY *key;
	ssize_t n;
	size_t len;

	for (;;) {
		do
			n = recv(fd, &req, sizeof(req), 0);
		while (n == -1 && errno == EINTR);
		if (n <= 0)
			return;
		key = (size_t)n >= TLS_KEY_REQUEST_HEAD ?
		    key_table_get(t, req.key) : NULL;
		len = tls_key_answer(key, &req, (size_t)n, &rep);
		EVP_PKEY_free(key);
		if (len == 0)
			continue;
		do
			n = send(fd, &rep, len, MSG_NOSIGNAL);
		while (n == -1 && errno == EINTR);
		if (n == -1)
			return;
	}
}

static void *
link_main(void *arg)
{
	struct link *l = arg;

	key_process_answer(l->table, l->fd);
	atomic_store(&l->done, 1);
	return NULL;
}

/* Joins the threads whose socket ended; with all set, every one. */
static void
reap_links(struct key_process *kp, int all)
{
	struct link **lp = &kp->links, *l;

	while ((l = *lp) != NULL) {
		if (all)
			(void)shutdown(l->fd, SHUT_RDWR);
		if (all || atomic_load(&l->done)) {
			pthread_join(l->thread, NULL);
			close(l->fd);
			*lp = l->next;
			free(l);
		} else
			lp = &l->next;
	}
}

/* New sockets of a server process's workers: a thread each. */
static void
take_links(struct key_process *kp, struct ipc_msg *m)
{
	struct link *l;
	int i;

	for (i = 0; i < m->nfds; i++) {
		if ((l = calloc(1, sizeof(*l))) == NULL)
			continue;	/* that worker's handshakes fail */
		l->fd = m->fds[i];
		l->table = kp->table;
		atomic_init(&l->done, 0);
		if (pthread_create(&l->thread, NULL, link_main, l) != 0) {
			free(l);
			continue;
		}
		m->fds[i] = -1;
		l->next = kp->links;
		kp->links = l;
	}
}

static int
unhex(const char *s, unsigned char *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		hi = s[2 * i];
		lo = s[2 * i + 1];
		hi = hi >= '0' && hi <= '9' ? hi - '0' : hi >= 'a' &&
		    hi <= 'f' ? hi - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' : lo >= 'a' &&
		    lo <= 'f' ? lo - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* A key never asks for a passphrase here (the privileged one checked). */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* The keys received: into the table, as configuration b->id's. */
static void
take_keys(struct key_process *kp, struct bundle *b)
{
	unsigned char id[TLS_KEY_ID_LEN], buf[16];
	EVP_PKEY *key;
	BIO *bio;
	unsigned problems = 0, n = 0;
	size_t i;

	key_table_begin(kp->table, b->id);
	for (i = 0; i < b->nfiles; i++) {
		key = NULL;
		if (unhex(b->files[i].path, id, sizeof(id)) == 0 &&
		    (bio = BIO_new_mem_buf(b->files[i].data,
		    (int)b->files[i].len)) != NULL) {
			key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
			    NULL);
			BIO_free(bio);
		}
		ERR_clear_error();
		if (key == NULL || key_table_put(kp->table, id, key) == -1)
			problems++;
		else
			n++;
	}
	ipc_put32(buf, problems == 0);
	ipc_put32(buf + 4, n);
	ipc_put32(buf + 8, 0);
	ipc_put32(buf + 12, problems);
	(void)ipc_send(kp->ctl, IPC_RESULT, buf, sizeof(buf), NULL, 0);
}

/* One message from the privileged process; 0, or -1 to end. */
static int
handle(struct key_process *kp, struct ipc_msg *m)
{
	int r;

	switch (m->type) {
	case IPC_KEYSOCK:
		take_links(kp, m);
		break;
	case IPC_KEYS_ACTIVE:
		if (m->len == 4)
			key_table_activate(kp->table, ipc_get32(m->data),
			    time(NULL));
		break;
	default:
		if ((r = bundle_take(&kp->pending, m)) == 0)
			break;
		if (r == 1)
			take_keys(kp, &kp->pending);
		/* The PEM bytes are wiped with it. */
		bundle_free(&kp->pending);
		if (r == -1)
			return -1;
		break;
	}
	return 0;
}

int
key_process_serve(int ctl, const char *user)
{
	struct key_process kp;
	struct pollfd pfd;
	struct ipc_msg m;
	char err[512];
	int r, status = 0;

	memset(&kp, 0, sizeof(kp));
	kp.ctl = ctl;
	bundle_init(&kp.pending);
	if (user != NULL && geteuid() == 0 &&
	    sandbox_drop(user, SANDBOX_KEEP_NOTHING, err,
	    sizeof(err)) == -1) {
		log_warn("key process: %s", err);
		return 1;
	}
	/* Not even its own user may read its memory or trace it. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		log_warn("key process: cannot be made non-dumpable");
		return 1;
	}
	/* No file, no TCP, no signal out: it only answers its sockets. */
	if ((r = sandbox_enter(NULL, 0, NULL, 0, err, sizeof(err))) == -1) {
		log_warn("key process: %s", err);
		return 1;
	}
	if (r == 0)
		log_warn("key process: no Landlock in this kernel: it is not "
		    "confined");
	if ((kp.table = key_table_new()) == NULL) {
		log_warn("key process: out of memory");
		return 1;
	}
	for (;;) {
		pfd.fd = ctl;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, TICK_MS);
		if (r == -1 && errno != EINTR) {
			status = 1;
			break;
		}
		(void)key_table_sweep(kp.table, time(NULL));
		reap_links(&kp, 0);
		if (r <= 0)
			continue;
		if ((r = ipc_recv(ctl, &m)) == -1 && errno == EINTR)
			continue;
		if (r != 1)
			break;	/* the privileged process is gone: so are we */
		r = handle(&kp, &m);
		ipc_close_fds(&m);
		if (r == -1) {
			status = 1;
			break;
		}
	}
	reap_links(&kp, 1);
	bundle_free(&kp.pending);
	key_table_free(kp.table);
	return status;
}
