/* The main thread's side: configuration, generations, sockets, reload. */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "capsule.h"
#include "control.h"
#include "client_limits.h"
#include "log.h"
#include "server.h"
#include "workers.h"

#define CONF_FILE_MAX	(1024 * 1024)	/* a configuration file, at most */

/* Where problems go: stderr at start, the log on reload. */
struct reporter {
	const char	*file;		/* the configuration file, or NULL */
	int		 to_log;
};

static void
report(void *arg, unsigned line, const char *msg)
{
	const struct reporter *r = arg;
	char where[4096 + 32] = "attache: ";

	if (r->file != NULL && line > 0)
		snprintf(where, sizeof(where), "%s:%u: ", r->file, line);
	else if (r->file != NULL)
		snprintf(where, sizeof(where), "%s: ", r->file);
	if (r->to_log)
		log_warn("%s%s", r->file != NULL ? where : "", msg);
	else
		fprintf(stderr, "%s%s\n", where, msg);
}

static void
report_error(struct conf_diag *d, const char *msg)
{
	d->errors++;
	d->report(d->arg, 0, msg);
}

struct conf *
control_read_conf(const char *config_file, int argc, char **argv,
    struct conf_diag *diag, int partial)
{
	struct options opts;
	struct conf *conf = NULL;
	const char *why;
	char *text;
	size_t len;
	unsigned before = diag->errors;
	int fd;

	if (config_file == NULL) {
		if (options_parse(argc, argv, &opts, &conf, stderr) ==
		    OPTIONS_ERROR || conf == NULL)
			report_error(diag, "the options cannot be read again");
		return conf;
	}
	if ((fd = open(config_file, O_RDONLY | O_CLOEXEC)) == -1) {
		report_error(diag, strerror(errno));
		return NULL;
	}
	text = capsule_read_file(fd, CONF_FILE_MAX, &len, &why);
	close(fd);
	if (text == NULL) {
		report_error(diag, why);
		return NULL;
	}
	conf = conf_parse(config_file, text, len, diag);
	free(text);
	if (diag->errors > before && !partial) {
		conf_free(conf);
		return NULL;
	}
	return conf;
}

#define FD_RESERVE	64	/* descriptors kept for all but connections */

/*
 * max-connections unless given: what the open-files limit allows, each
 * connection counted twice (its socket, and the file it may stream), less
 * the listening sockets and a reserve.
 */
static int
default_max_connections(const struct generation *gen, int nworkers)
{
	struct rlimit rl;
	long long n;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return CONF_LIMIT_MAX;
	n = ((long long)rl.rlim_cur - FD_RESERVE -
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
 * A new generation of conf (taken) with its sockets bound: nothing is
 * changed until the caller commits it.
 */
static struct generation *
prepare(struct control *ctl, struct conf *conf, struct listen_table *next,
    struct conf_diag *diag)
{
	struct generation *gen;

	if ((gen = generation_new(conf, ctl->last_id + 1, &ctl->live,
	    diag)) == NULL)
		return NULL;
	if (listen_table_bind(&ctl->table, gen, ctl->nworkers, next,
	    diag) == -1) {
		generation_unref(gen);
		return NULL;
	}
	gen->limits = ctl->limits;
	gen->max_connections = gen->conf->max_connections != 0 ?
	    gen->conf->max_connections :
	    default_max_connections(gen, ctl->nworkers);
	ctl->last_id++;
	return gen;
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
			log_info("site %s: %s certificate %s, SHA-256 "
			    "fingerprint %s", s->conf->name,
			    s->cert.generated ? "generated" : "loaded",
			    s->cert.crt_path, s->cert.fingerprint);
	}
}

/* Where each site is served, as URLs a reader can paste. */
static void
log_urls(const struct generation *gen)
{
	const struct conf_site *s;
	char port[8];
	size_t i;
	int v6;

	for (i = 0; i < gen->nsites; i++) {
		s = gen->sites[i].conf;
		v6 = strchr(s->name, ':') != NULL;
		port[0] = '\0';
		if (gen->conf->gemini_port != GEMINI_DEFAULT_PORT)
			snprintf(port, sizeof(port), ":%d",
			    gen->conf->gemini_port);
		if (gen->conf->gemini_port != 0)
			log_info("serving %s on gemini://%s%s%s%s/", s->capsule,
			    v6 ? "[" : "", s->name, v6 ? "]" : "", port);
		if (s->gopher_port != 0)
			log_info("serving %s on gopher://%s%s%s:%d/",
			    s->capsule, v6 ? "[" : "", s->name, v6 ? "]" : "",
			    conf_gopher_public_port(s));
	}
}

int
control_start(struct control *ctl, struct conf *conf)
{
	struct reporter r = { ctl->config_file, 0 };
	struct conf_diag diag = { report, &r, 0 };
	struct listen_table next;

	atomic_init(&ctl->live, 0);
	ctl->nworkers = workers_count(conf);
	if ((ctl->limits = limits_new()) == NULL) {
		conf_free(conf);
		fprintf(stderr, "attache: out of memory\n");
		return -1;
	}
	if ((ctl->gen = prepare(ctl, conf, &next, &diag)) == NULL) {
		limits_free(ctl->limits);
		ctl->limits = NULL;
		return -1;
	}
	ctl->table = next;
	if ((ctl->workers = workers_start(ctl->gen, ctl->nworkers)) == NULL) {
		control_stop(ctl);
		return -1;
	}
	log_sites(ctl->gen);
	log_urls(ctl->gen);
	log_limits(ctl->gen);
	return 0;
}

void
control_reload(struct control *ctl)
{
	struct reporter r = { ctl->config_file, 1 };
	struct conf_diag diag = { report, &r, 0 };
	struct listen_table next;
	struct generation *gen;
	struct conf *conf;

	log_info("reloading %s", ctl->config_file != NULL ?
	    ctl->config_file : "the certificates and capsules");
	if ((conf = control_read_conf(ctl->config_file, ctl->argc, ctl->argv,
	    &diag, 0)) == NULL)
		goto failed;
	if (workers_count(conf) != ctl->nworkers)
		log_warn("workers: the new value takes effect at the next "
		    "start; %d serve until then", ctl->nworkers);
	if ((gen = prepare(ctl, conf, &next, &diag)) == NULL)
		goto failed;
	/* Commit: from here on nothing fails. */
	workers_switch(ctl->workers, gen);
	listen_table_close_unused(&ctl->table, &next);
	listen_table_free(&ctl->table);
	ctl->table = next;
	generation_unref(ctl->gen);
	ctl->gen = gen;
	log_sites(gen);
	log_limits(gen);
	log_info("reloaded: %zu sites (generation %lu; %u older still "
	    "serving connections)", gen->nsites, gen->id,
	    atomic_load(&ctl->live) - 1);
	return;
failed:
	log_warn("reload failed: %u problem%s; still serving generation %lu",
	    diag.errors, diag.errors == 1 ? "" : "s", ctl->gen->id);
}

#define TRIM_AFTER	256	/* connections closed since the peak */

void
control_tick(struct control *ctl)
{
	int open = limits_total(ctl->limits);
	int peak = limits_peak_take(ctl->limits);

	if (peak > ctl->peak)
		ctl->peak = peak;
	/*
	 * The allocator keeps what was freed for reuse (and main.c tells
	 * it to keep the top 32 MB, for streamed files); after a burst that
	 * is memory no one will use soon.  malloc_trim returns the free
	 * pages of every arena, the workers' too, holding each arena's lock
	 * only for its own walk.
	 */
	if (ctl->peak - open >= TRIM_AFTER && open < ctl->peak / 2) {
		(void)malloc_trim(0);
		ctl->peak = open;
	}
}

void
control_stop(struct control *ctl)
{
	workers_stop(ctl->workers);
	ctl->workers = NULL;
	listen_table_close_unused(&ctl->table, NULL);
	listen_table_free(&ctl->table);
	generation_unref(ctl->gen);
	ctl->gen = NULL;
	/* Every connection is closed: the workers are gone. */
	limits_free(ctl->limits);
	ctl->limits = NULL;
}
