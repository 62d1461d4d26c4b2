/* The server process's main thread: configurations in, generations out. */
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "bounds.h"
#include "bundle.h"
#include "capsule_service.h"
#include "client_limits.h"
#include "extract_files.h"
#include "generation.h"
#include "ipc.h"
#include "listen_table.h"
#include "log.h"
#include "options.h"
#include "runner_link.h"
#include "sandbox.h"
#include "server_process.h"
#include "tls_tickets.h"
#include "workers.h"

#define DRAIN_MAX_SEC	60		/* an old server, replaced, at most */
#define STOP_GRACE_SEC	10		/* requests in flight at a stop */
#define FD_RESERVE	64		/* descriptors kept from connections */
#define TICK_SEC	5		/* how often memory is looked at */
#define TRIM_AFTER	256		/* connections closed since the peak */

struct server_process {
	int			 ipc;		/* to the privileged process */
	int			 argc;
	char			**argv;
	struct event_base	*base;
	struct event		*ipc_ev;
	struct event		*drained_ev;	/* a worker's loop ended */
	struct event		*deadline;	/* of a drain or a stop */
	struct bundle		 pending;	/* being received */
	struct listen_table	 table;		/* the sockets received */
	struct generation	*gen;
	struct workers		*workers;
	int			 nworkers;
	atomic_uint		 live;		/* generations not freed */
	struct service_registry	*services;	/* capsule services, kept
						 * across reloads */
	struct limits		*limits;	/* per-address counts, shared by
						 * every generation */
	struct event		*tick;		/* memory after bursts */
	struct tls_tickets	*tickets;	/* session tickets' keys, shared
						 * by every generation */
	struct event		*rotate;	/* of the tickets' keys */
	int			 peak;		/* connections open at most since
						 * the last trim */
	int			 first;		/* no configuration served yet */
	const char		*file;		/* for FILE:LINE messages */
	int			 keys[IPC_FDS_MAX]; /* to the key process, for
						 * the workers to come; -1 */
};

/* The first configuration's problems go to stderr, later ones to the log. */
static void
report(void *arg, unsigned line, const char *msg)
{
	const struct server_process *sp = arg;

	log_problem(sp->file, line, msg, !sp->first);
}

/* The configuration a bundle carries, parsed as the privileged side did. */
static struct conf *
bundle_conf(struct server_process *sp, const struct bundle *b,
    struct conf_diag *diag)
{
	struct options opts;
	struct conf *conf = NULL;

	if (b->from_argv) {
		sp->file = NULL;
		if (options_parse(sp->argc, sp->argv, &opts, &conf,
		    stderr) != OPTIONS_ERROR && conf != NULL)
			return conf;
		diag->errors++;
		diag->report(diag->arg, 0, "the options cannot be read");
		return NULL;
	}
	if (b->nfiles == 0) {
		diag->errors++;
		diag->report(diag->arg, 0, "no configuration received");
		return NULL;
	}
	sp->file = b->conf_path;
	conf = conf_parse(b->files[0].path, b->files[0].data, b->files[0].len,
	    diag);
	if (diag->errors > 0) {
		conf_free(conf);
		return NULL;
	}
	return conf;
}

/* What Landlock lets the server process connect to, said once. */
static void
log_ports(const int *ports, size_t n)
{
	char list[256];
	size_t i, at = 0;
	int abi = sandbox_abi(), k;

	if (n == 0)
		return;
	if (abi < 4) {
		log_warn("Landlock ABI %d has no network rules (ABI 4, Linux "
		    "6.7): the server process may connect to any TCP port, "
		    "not only its FastCGI responders'", abi);
		return;
	}
	list[0] = '\0';
	for (i = 0; i < n && at < sizeof(list); i++) {
		k = snprintf(list + at, sizeof(list) - at, "%s%d",
		    i > 0 ? " " : "", ports[i]);
		if (k < 0)
			break;
		at += (size_t)k;
	}
	log_info("sandbox: TCP connections to port%s %s only (the FastCGI "
	    "responders)", n > 1 ? "s" : "", list);
}

/*
 * Before the first configuration: the user, then the confinement to the
 * capsules (a reload that needs others gets a new server process), and
 * to the FastCGI responders' TCP ports.
 */
static int
confine(const struct conf *conf, struct conf_diag *d)
{
	const char **ro, **rw;
	char err[4096 + 64];
	SSL_CTX *warm;
	size_t i, nro = 0, nrw = 0, nports;
	int r, *ports;

	if (conf->user != NULL && geteuid() == 0 &&
	    sandbox_drop(conf->user, SANDBOX_KEEP_LEASE, err,
	    sizeof(err)) == -1) {
		d->errors++;
		d->report(d->arg, conf->user_line, err);
		return -1;
	}
	/* OpenSSL reads its configuration once, and before the walls. */
	if ((warm = SSL_CTX_new(TLS_server_method())) != NULL)
		SSL_CTX_free(warm);
	ro = calloc(conf->nsites + 1, sizeof(*ro));
	rw = calloc(conf->nsites + 1, sizeof(*rw));
	if (ro == NULL || rw == NULL) {
		free(ro);
		free(rw);
		d->errors++;
		d->report(d->arg, 0, "out of memory");
		return -1;
	}
	/* Titan's sites may write their capsule; the others only read. */
	for (i = 0; i < conf->nsites; i++)
		if (conf_capsule_writable(&conf->sites[i]))
			rw[nrw++] = conf->sites[i].capsule;
		else
			ro[nro++] = conf->sites[i].capsule;
	if (conf_fastcgi_ports(conf, &ports, &nports) == -1) {
		free(ro);
		free(rw);
		d->errors++;
		d->report(d->arg, 0, "out of memory");
		return -1;
	}
	r = sandbox_enter_net(ro, nro, rw, nrw, ports, nports, err,
	    sizeof(err));
	free(ro);
	free(rw);
	if (r == -1) {
		free(ports);
		d->errors++;
		d->report(d->arg, 0, err);
		return -1;
	}
	if (r == 0)
		log_warn("%s", err);
	else
		log_ports(ports, nports);
	free(ports);
	return 0;
}

/* The outcome of a configuration, and the figures of its log line. */
static void
send_result(struct server_process *sp, int ok, unsigned problems)
{
	unsigned char buf[16];
	unsigned live = atomic_load(&sp->live);

	ipc_put32(buf, (uint32_t)ok);
	ipc_put32(buf + 4, ok ? (uint32_t)sp->gen->nsites : 0);
	ipc_put32(buf + 8, live > 0 ? live - 1 : 0);
	ipc_put32(buf + 12, problems);
	if (ipc_send(sp->ipc, IPC_RESULT, buf, sizeof(buf), NULL, 0) == -1)
		log_warn("cannot answer the privileged process: %s",
		    strerror(errno));
}

/*
 * Connections at once by default: what the open-files limit allows, the
 * listening sockets, the files workers keep open for search extracts and
 * a reserve set apart, two descriptors each (the connection and a file
 * it sends).
 */
static int
default_max_connections(const struct generation *gen, int nworkers)
{
	struct rlimit rl;
	long long n, kept = 0;
	size_t i;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return CONF_LIMIT_MAX;
	/* The files each worker keeps open for search extracts, too. */
	for (i = 0; i < gen->nsites; i++)
		if (gen->sites[i].conf->search)
			kept += (long long)EXTRACT_FILES_MAX * nworkers;
	n = ((long long)rl.rlim_cur - FD_RESERVE - kept -
	    (long long)gen->nlisteners * nworkers) / 2;
	return n < 1 ? 1 : n > CONF_LIMIT_MAX ? CONF_LIMIT_MAX : (int)n;
}

static void
log_limits(const struct generation *gen)
{
	const struct conf *c = gen->conf;
	char per[32] = "no limit", rate[64] = "no limit";

	if (c->max_per_address > 0)
		snprintf(per, sizeof(per), "%d", c->max_per_address);
	if (c->rate > 0)
		snprintf(rate, sizeof(rate), "%d/s burst %d", c->rate,
		    c->burst);
	log_info("limits: %d connections%s, %s per address, requests %s "
	    "per address", gen->max_connections, c->max_connections == 0 ?
	    " (from the open-files limit)" : "", per, rate);
}

/*
 * Every TICK_SEC: the allocator keeps what was freed for reuse (and
 * main.c tells it to keep the top 32 MB, for streamed files); after a
 * burst of connections that is memory no one will use soon.  malloc_trim
 * returns the free pages of every arena, the workers' too, holding each
 * arena's lock only for its own walk.
 */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server_process *sp = arg;
	int open = limits_total(sp->limits);
	int peak = limits_peak_take(sp->limits);

	(void)fd;
	(void)what;
	if (peak > sp->peak)
		sp->peak = peak;
	if (sp->peak - open >= TRIM_AFTER && open < sp->peak / 2) {
#ifndef ATTACHE_SANITIZED
		(void)malloc_trim(0);
#endif
		sp->peak = open;
	}
}

/*
 * Every TLS_TICKET_ROTATE_SEC: a new key seals session tickets, the last
 * one still opens them, the one before is gone (tls_tickets.h).
 */
static void
rotate_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server_process *sp = arg;

	(void)fd;
	(void)what;
	if (tls_tickets_rotate(sp->tickets) == 0)
		log_info("session ticket keys rotated");
	else
		log_warn("session ticket keys: no randomness for a new one");
}

/* How often the tickets' keys rotate (the tests ask for it sooner). */
static struct timeval
rotate_every(void)
{
	const char *ms = getenv("ATTACHE_TEST_TICKET_ROTATE_MS");
	struct timeval tv = { TLS_TICKET_ROTATE_SEC, 0 };
	long n;

	if (ms != NULL && (n = strtol(ms, NULL, 10)) > 0) {
		tv.tv_sec = n / 1000;
		tv.tv_usec = (n % 1000) * 1000;
	}
	return tv;
}

/* The certificates of the generation, now that it serves. */
static void
log_sites(const struct generation *gen)
{
	const struct site *s;
	size_t i;

	for (i = 0; i < gen->nsites; i++) {
		s = &gen->sites[i];
		if (s->tls != NULL)
			log_info("site %s: loaded certificate %s, SHA-256 "
			    "fingerprint %s", s->conf->name, s->cert.crt_path,
			    s->cert.fingerprint);
	}
}

/*
 * Serves what b says (its sockets and log are taken); 0, or -1 after
 * reporting each problem through d.
 */
/*
 * Gives every listener of gen its worker sockets from the table (copies of
 * the numbers, freed with gen); a listener without an entry is left out
 * (IPv6 absent).  Returns 0, or -1 when out of memory (reported).
 */
static int
give_sockets(const struct listen_table *t, struct generation *gen,
    struct conf_diag *d)
{
	struct gen_listener *l;
	size_t i;

	for (i = 0; i < gen->nlisteners; i++) {
		l = &gen->listeners[i];
		l->fds = listen_table_fds(t, l->addr, l->port);
		if (l->fds == NULL && errno != ENOENT) {
			conf_report(d, 0, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int
apply(struct server_process *sp, struct bundle *b, struct conf_diag *d)
{
	struct generation *gen;
	struct conf *conf;

	if ((conf = bundle_conf(sp, b, d)) == NULL)
		return -1;
	if (sp->first) {
		sp->nworkers = b->nworkers;
		/* Where the log goes, before anything is logged. */
		if (log_configure(b->log_to, b->log_fd, b->log_style) == -1)
			log_warn("cannot set up the log: %s", strerror(errno));
		b->log_fd = -1;
		if (confine(conf, d) == -1) {
			conf_free(conf);
			return -1;
		}
	}
	if ((gen = generation_new(conf, b, b->id, &sp->live, sp->services,
	    sp->tickets, d)) == NULL)
		return -1;
	if (give_sockets(&b->table, gen, d) == -1) {
		generation_unref(gen);
		return -1;
	}
	gen->limits = sp->limits;
	gen->max_connections = gen->conf->max_connections != 0 ?
	    gen->conf->max_connections :
	    default_max_connections(gen, sp->nworkers);
	if (sp->first) {
		if ((sp->workers = workers_start(gen, sp->nworkers,
		    sp->keys)) == NULL) {
			generation_unref(gen);
			return -1;
		}
	} else {
		workers_switch(sp->workers, gen);
		/* The log may go elsewhere, or in another style, from now. */
		(void)log_configure(b->log_to, b->log_fd, b->log_style);
		b->log_fd = -1;
	}
	/* Its capsule services (search, changes) start once it serves. */
	generation_start(gen);
	/* The sockets of removed ports go; those kept are the same. */
	listen_table_close_unused(&sp->table, &b->table);
	listen_table_free(&sp->table);
	sp->table = b->table;
	memset(&b->table, 0, sizeof(b->table));
	generation_unref(sp->gen);
	sp->gen = gen;
	log_sites(gen);
	log_limits(gen);
	return 0;
}

static void
stop_now(evutil_socket_t fd, short what, void *arg)
{
	struct server_process *sp = arg;

	(void)fd;
	(void)what;
	log_warn("connections still open at the end of the grace period: "
	    "closing them");
	event_base_loopexit(sp->base, NULL);
}

static void
drained_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server_process *sp = arg;

	(void)fd;
	(void)what;
	if (workers_running(sp->workers) == 0)
		event_base_loopexit(sp->base, NULL);
}

/* Stop accepting; end once every connection is done, or at the bound. */
static void
drain(struct server_process *sp, int seconds)
{
	struct timeval tv = { seconds, 0 };

	if (sp->deadline != NULL)
		return;		/* already draining: keep the first bound */
	if ((sp->deadline = evtimer_new(sp->base, stop_now, sp)) == NULL ||
	    evtimer_add(sp->deadline, &tv) == -1) {
		event_base_loopexit(sp->base, NULL);
		return;
	}
	workers_drain(sp->workers, sp->drained_ev);
	drained_cb(-1, 0, sp);
}

/*
 * Sockets to the key process, one per worker: kept for the workers to
 * come, or handed to them (a new key process runs).
 */
static void
take_keys(struct server_process *sp, struct ipc_msg *m)
{
	int i;

	if (sp->workers != NULL) {
		workers_give_keys(sp->workers, m->fds, m->nfds);
		return;
	}
	for (i = 0; i < m->nfds && i < IPC_FDS_MAX; i++) {
		if (sp->keys[i] != -1)
			close(sp->keys[i]);
		sp->keys[i] = m->fds[i];
		m->fds[i] = -1;
	}
}

/* The workers' sockets to a CGI runner, new or gone (runner_link.h). */
static void
take_cgi(struct ipc_msg *m)
{
	if (m->len != 8)
		return;
	runner_link_set((int)ipc_get32(m->data), m->fds, m->nfds);
	m->nfds = 0;
}

/* A whole configuration came (taken 1) or a stray message (-1). */
static int
received(struct server_process *sp, int taken)
{
	struct conf_diag diag = { report, sp, 0 };
	int r = -1;

	if (taken == 1)
		r = apply(sp, &sp->pending, &diag);
	else {
		diag.errors++;
		diag.report(diag.arg, 0, "a message out of place from the "
		    "privileged process");
	}
	bundle_free(&sp->pending);
	sp->first = 0;
	send_result(sp, r == 0, r == 0 ? 0 : diag.errors > 0 ?
	    diag.errors : 1);
	return r;
}

static void
ipc_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server_process *sp = arg;
	struct ipc_msg m;
	int r;

	(void)what;
	while ((r = ipc_recv((int)fd, &m)) == 1) {
		switch (m.type) {
		case IPC_DRAIN:
			drain(sp, DRAIN_MAX_SEC);
			/* "reloaded" waits for this: new connections are
			 * the new process's from now on. */
			if (ipc_send(sp->ipc, IPC_DRAINING, NULL, 0, NULL,
			    0) == -1)
				log_warn("cannot tell the privileged process: "
				    "%s", strerror(errno));
			break;
		case IPC_STOP:
			drain(sp, STOP_GRACE_SEC);
			break;
		case IPC_KEYSOCK:
			take_keys(sp, &m);
			break;
		case IPC_CGISOCK:
			take_cgi(&m);
			break;
		case IPC_REOPEN:
			if (m.nfds == 1 && log_configure(CONF_LOG_FILE,
			    m.fds[0], (enum conf_log_style)ipc_get32(m.data)) ==
			    0)
				m.nfds = 0;
			break;
		default:
			if ((r = bundle_take(&sp->pending, &m)) == 0)
				break;
			received(sp, r);
			break;
		}
		ipc_close_fds(&m);
	}
	if (r == 0 || (r == -1 && errno != EAGAIN)) {
		/* The privileged process is gone: finish what is in flight. */
		event_del(sp->ipc_ev);
		drain(sp, STOP_GRACE_SEC);
	}
}

/* The first configuration, read before anything else happens. */
static int
first_bundle(struct server_process *sp)
{
	struct ipc_msg m;
	int r;

	for (;;) {
		if ((r = ipc_recv(sp->ipc, &m)) != 1)
			return -1;
		if (m.type == IPC_KEYSOCK || m.type == IPC_CGISOCK) {
			if (m.type == IPC_KEYSOCK)
				take_keys(sp, &m);
			else
				take_cgi(&m);
			ipc_close_fds(&m);
			continue;
		}
		r = bundle_take(&sp->pending, &m);
		ipc_close_fds(&m);
		if (r != 0)
			break;
	}
	return received(sp, r);
}

int
server_process_serve(int ipc, int argc, char **argv)
{
	struct server_process sp;
	struct timeval rotate = rotate_every();
	int status = CONTROL_EXIT_CONFIG, i;

	memset(&sp, 0, sizeof(sp));
	for (i = 0; i < IPC_FDS_MAX; i++)
		sp.keys[i] = -1;
	sp.ipc = ipc;
	sp.argc = argc;
	sp.argv = argv;
	sp.first = 1;
	atomic_init(&sp.live, 0);
	bundle_init(&sp.pending);
	if ((sp.base = event_base_new()) == NULL ||
	    (sp.services = service_registry_new()) == NULL ||
	    (sp.limits = limits_new()) == NULL ||
	    (sp.tickets = tls_tickets_new()) == NULL) {
		fprintf(stderr, "attache: cannot create the event loop\n");
		service_registry_free(sp.services);
		limits_free(sp.limits);
		if (sp.base != NULL)
			event_base_free(sp.base);
		return 1;
	}
	if (first_bundle(&sp) == -1)
		goto out;
	status = 1;
	if (fcntl(ipc, F_SETFL, O_NONBLOCK) == -1 ||
	    (sp.ipc_ev = event_new(sp.base, ipc, EV_READ | EV_PERSIST,
	    ipc_cb, &sp)) == NULL || event_add(sp.ipc_ev, NULL) == -1 ||
	    (sp.drained_ev = event_new(sp.base, -1, 0, drained_cb,
	    &sp)) == NULL ||
	    (sp.tick = event_new(sp.base, -1, EV_PERSIST, tick_cb,
	    &sp)) == NULL ||
	    event_add(sp.tick, &(struct timeval){ TICK_SEC, 0 }) == -1 ||
	    (sp.rotate = event_new(sp.base, -1, EV_PERSIST, rotate_cb,
	    &sp)) == NULL || event_add(sp.rotate, &rotate) == -1) {
		log_warn("cannot listen to the privileged process");
		goto out;
	}
	if (event_base_loop(sp.base, EVLOOP_NO_EXIT_ON_EMPTY) == 0)
		status = 0;
out:
	workers_stop(sp.workers);
	listen_table_close_unused(&sp.table, NULL);
	listen_table_free(&sp.table);
	generation_unref(sp.gen);
	/* Every service is unreferenced now: wait for their threads. */
	service_registry_free(sp.services);
	/* Every connection is closed: the workers are gone. */
	limits_free(sp.limits);
	if (sp.tick != NULL)
		event_free(sp.tick);
	if (sp.rotate != NULL)
		event_free(sp.rotate);
	/* No context is left to seal a ticket. */
	tls_tickets_free(sp.tickets);
	bundle_free(&sp.pending);
	if (sp.ipc_ev != NULL)
		event_free(sp.ipc_ev);
	if (sp.drained_ev != NULL)
		event_free(sp.drained_ev);
	if (sp.deadline != NULL)
		event_free(sp.deadline);
	event_base_free(sp.base);
	for (i = 0; i < IPC_FDS_MAX; i++)
		if (sp.keys[i] != -1)
			close(sp.keys[i]);
	runner_link_close_all();
	close(ipc);
	return status;
}
