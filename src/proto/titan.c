/*
 * Titan uploads on the worker's loop: the request is checked (operator,
 * size, path, type), the body goes to a temporary file as it arrives, and
 * the commit (titan_store.c) runs on the worker's background thread; its
 * report comes back here and is answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "cgi.h"
#include "conn.h"
#include "fastcgi.h"
#include "fingerprint.h"
#include "generation.h"
#include "jobs.h"
#include "log.h"
#include "mime.h"
#include "titan.h"
#include "titan_history.h"
#include "titan_request.h"
#include "titan_store.h"
#include "uri.h"
#include "zone.h"

#define META_MAX	1024

struct upload {
	struct conn		*c;
	struct titan_place	 place;
	int			 tmpfd;
	char			 tmpname[TITAN_TMP_NAME_SIZE];
	struct titan_commit	 commit;
	struct job		 job;		/* the commit, off the loop */
	struct jobs		*jobs;		/* where it runs, until done */
	long long		 size;		/* 0: delete */
	char			 path[REQUEST_MAX + NAME_MAX + 2];
	char			 target[META_MAX + 1];	/* the 30's */
	char			 operator[FINGERPRINT_HEX_SIZE];
	char			 mime[TITAN_MIME_MAX + 1];	/* "": none */
};

static void
answer(struct conn *c, int status, const char *meta, const char *why)
{
	char code[4];

	snprintf(code, sizeof(code), "%02d", status);
	conn_set_status(c, code, why);
	if (conn_printf(c, "%02d %s\r\n", status, meta) == -1)
		log_warn("%s: cannot queue a response", conn_peer(c));
}

/* The certificate answers: 60, 61, 62. */
static void
answer_cert(struct conn *c, int status, const char *why)
{
	switch (status) {
	case 60:
		answer(c, 60, "Certificate required", why);
		break;
	case 61:
		answer(c, 61, "Not authorised", why);
		break;
	default:
		answer(c, 62, "Certificate not valid", "certificate out of date");
		break;
	}
}

const char *
titan_store_meta(enum titan_store_error error, int *status)
{
	switch (error) {
	case TITAN_STORE_REFUSED:
		*status = 59;
		return "Path not allowed";
	case TITAN_STORE_NOT_UTF8:
		*status = 59;
		return "Not valid UTF-8";
	case TITAN_STORE_NOT_FOUND:
		*status = 51;
		return "Not found";
	case TITAN_STORE_HISTORY_FAILED:
		*status = 40;
		return "Cannot keep the previous version";
	case TITAN_STORE_DELETE_FAILED:
		*status = 40;
		return "Cannot delete the file";
	case TITAN_STORE_OK:		/* never asked: the answer is a 30 */
	case TITAN_STORE_FAILED:
		break;
	}
	*status = 40;
	return "Cannot store the file";
}

/* What the store refused or failed at, said to the client. */
static void
answer_store(struct conn *c, enum titan_store_error error, const char *why)
{
	const char *meta;
	int status;

	meta = titan_store_meta(error, &status);
	answer(c, status, meta, why);
}

/* "text/plain; charset=utf-8" is "text/plain" here, in any case. */
static int
mime_base_equal(const char *a, const char *b)
{
	size_t alen = strcspn(a, "; "), blen = strcspn(b, "; ");

	return alen == blen && strncasecmp(a, b, alen) == 0;
}

/*
 * The type the file will be served as is the one of its name: an upload
 * saying otherwise is refused.  Lagrange sends text/plain for gemtext.
 */
static int
mime_matches(const char *name, const char *mime)
{
	size_t len = strlen(name);

	if (mime_is_gemtext(name, len) && mime_base_equal(mime, "text/plain"))
		return 1;
	return mime_base_equal(mime, mime_type(name, len));
}

/* "gemini://HOST[:PORT]/path" of what was written, or its directory. */
static void
redirect_target(struct upload *u, const struct titan_request *req, int port)
{
	char enc[3 * REQUEST_MAX + 1], portstr[8] = "";
	const char *shown = req->path;
	size_t len = req->pathlen;
	int n;

	if (u->size == 0)	/* deleted: the directory that held it */
		len = (size_t)(strrchr(req->path, '/') - req->path) + 1;
	if (port != GEMINI_DEFAULT_PORT)
		snprintf(portstr, sizeof(portstr), ":%d", port);
	n = uri_percent_encode_path(shown, len, enc, sizeof(enc), 0);
	if (n == -1 || (n = snprintf(u->target, sizeof(u->target),
	    "gemini://%s%s%s", req->host, portstr, enc)) < 0 ||
	    (size_t)n >= sizeof(u->target))
		snprintf(u->target, sizeof(u->target), "/");
}

/* Cut off, refused or failed: nothing of it stays. */
static void
upload_discard(struct upload *u)
{
	if (u->tmpfd != -1)
		close(u->tmpfd);
	u->tmpfd = -1;
	if (u->tmpname[0] != '\0' && !u->commit.renamed)
		(void)unlinkat(u->place.basefd, u->tmpname, 0);
	u->tmpname[0] = '\0';
}

static void
upload_free(struct upload *u)
{
	/* Stopping with the commit in flight: it finishes first. */
	if (u->jobs != NULL)
		jobs_wait(u->jobs, &u->job);
	upload_discard(u);
	titan_place_close(&u->place);
	if (u->job.done != NULL)
		event_free(u->job.done);
	free(u);
}

static void
body_release(struct conn *c)
{
	upload_free(conn_body_arg(c));
}

/* The history pruned after the answer, on the same thread: its own job. */
struct prune {
	struct job	 job;
	int		 rootfd;		/* a duplicate: a reload may
						 * close the site's */
	int		 keep;
	char		 dirpath[REQUEST_MAX + 1];
	char		 name[NAME_MAX + 1];
};

static void
prune_run(struct job *j)
{
	struct prune *pr = (struct prune *)((char *)j -
	    offsetof(struct prune, job));

	if (titan_history_prune(pr->rootfd, pr->dirpath, pr->name,
	    pr->keep) == -1)
		log_warn("titan: history of %s%s: cannot remove old versions: "
		    "%s", pr->dirpath, pr->name, strerror(errno));
	close(pr->rootfd);
	free(pr);
}

/* Queued behind the commit, so that its answer does not wait for it. */
static void
prune_later(struct jobs *q, const struct titan_place *p, int keep)
{
	struct prune *pr;

	if ((pr = calloc(1, sizeof(*pr))) == NULL ||
	    (pr->rootfd = fcntl(p->rootfd, F_DUPFD_CLOEXEC, 0)) == -1) {
		free(pr);
		(void)titan_history_prune(p->rootfd, p->dirpath, p->name, keep);
		return;
	}
	pr->keep = keep;
	snprintf(pr->dirpath, sizeof(pr->dirpath), "%s", p->dirpath);
	snprintf(pr->name, sizeof(pr->name), "%s", p->name);
	pr->job.run = prune_run;
	if (jobs_submit(q, &pr->job) == -1)
		prune_run(&pr->job);	/* stopping: now, then */
}

static void
commit_run(struct job *j)
{
	struct upload *u = (struct upload *)((char *)j -
	    offsetof(struct upload, job));

	titan_store_commit(&u->commit);
	if (u->commit.kept)
		prune_later(u->jobs, &u->place, u->commit.history);
}

/* On the loop again: the commit's report. */
static void
commit_done(evutil_socket_t fd, short what, void *arg)
{
	struct upload *u = arg;
	struct conn *c = u->c;
	const struct titan_commit *tc = &u->commit;

	(void)fd;
	(void)what;
	/* At once: the thread lets go of the job just after activating us. */
	jobs_wait(u->jobs, &u->job);
	u->jobs = NULL;
	/*
	 * Renamed into place, the file is no longer being written: closed
	 * now, before the answer, so that a reader's read lease (whole_file.c)
	 * finds no writer holding it.
	 */
	if (tc->renamed && u->tmpfd != -1) {
		close(u->tmpfd);
		u->tmpfd = -1;
	}
	if (tc->error != TITAN_STORE_OK) {
		log_warn("titan: %s %s: %s by sha256:%s refused: %s",
		    conn_site(c)->conf->name, u->path, u->size ? "upload" : "delete",
		    u->operator, tc->why);
		answer_store(c, tc->error, tc->why);
	} else {
		if (u->size > 0)
			log_info("titan: %s %s: written, %lld bytes, by "
			    "sha256:%s%s", conn_site(c)->conf->name, u->path,
			    u->size, u->operator, tc->existed ? "; the "
			    "previous version kept" : "");
		else
			log_info("titan: %s %s: deleted, %lld bytes, by "
			    "sha256:%s", conn_site(c)->conf->name, u->path,
			    tc->old_size, u->operator);
		answer(c, 30, u->target, NULL);
		/* The operator's hook, which nobody waits for. */
		cgi_titan_hook(c, u->path, u->size, u->mime[0] != '\0' ?
		    u->mime : NULL, u->operator);
	}
	conn_respond(c);
}

/* Hands the commit to the worker's background thread. */
static void
commit_start(struct upload *u)
{
	struct conn *c = u->c;
	struct jobs *q;

	u->commit.place = &u->place;
	u->commit.tmpname = u->size > 0 ? u->tmpname : NULL;
	u->commit.tmpfd = u->tmpfd;
	u->commit.site = conn_site(c)->conf->name;
	u->commit.path = u->path;
	u->commit.gemtext = mime_is_gemtext(u->place.name,
	    strlen(u->place.name));
	u->commit.width = (unsigned)conn_site(c)->conf->gopher_width;
	u->commit.history = conn_site(c)->conf->titan_history;
	u->job.run = commit_run;
	/* Set before the job runs: commit_run queues the pruning there. */
	u->jobs = q = conn_jobs(c);
	if (q == NULL || (u->job.done = event_new(conn_base(c), -1, 0,
	    commit_done, u)) == NULL || jobs_submit(q, &u->job) == -1) {
		u->jobs = NULL;
		answer(c, 40, "Cannot store the file", "no background thread");
		conn_respond(c);
		return;
	}
}

static int
body_data(struct conn *c, const char *p, size_t len)
{
	struct upload *u = conn_body_arg(c);
	ssize_t w;

	while (len > 0) {
		if ((w = write(u->tmpfd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("titan: %s %s: %s", conn_site(c)->conf->name,
			    u->path, strerror(errno));
			answer(c, 40, "Cannot store the file", "write failed");
			upload_discard(u);
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void
body_complete(struct conn *c)
{
	commit_start(conn_body_arg(c));
}

static void
body_expired(struct conn *c)
{
	answer(c, 40, "Upload timed out", "body too slow");
	upload_discard(conn_body_arg(c));
}

static const struct conn_body_ops upload_body = {
	.data = body_data,
	.complete = body_complete,
	.expired = body_expired,
	.release = body_release,
};

/* Whether this client may upload this much here; 0, or answered. */
static int
titan_allowed(struct conn *c, const struct titan_request *req)
{
	const struct conf_site *site = conn_site(c)->conf;
	char meta[64];
	int status;

	if ((status = zone_operator(site, conn_cert(c))) != 0) {
		answer_cert(c, status, status == 60 ? "no certificate" :
		    "not an operator");
		return -1;
	}
	if (req->size > site->titan_max_size) {
		snprintf(meta, sizeof(meta), "File too large (at most %lld "
		    "bytes)", site->titan_max_size);
		answer(c, 59, meta, "over titan-max-size");
		return -1;
	}
	if (req->size == 0 && !site->titan_delete) {
		answer(c, 59, "Deleting is off", "size=0 with titan-delete "
		    "off");
		return -1;
	}
	return 0;
}

void
titan_answer(struct conn *c, const char *line, size_t len,
    const struct gemini_target *t)
{
	const struct conf_site *site = conn_site(c)->conf;
	enum titan_store_error error;
	struct titan_request req;
	struct upload *u;
	const char *why;
	int status;

	if (!site->titan) {
		answer(c, 53, "Proxy request refused", "titan off");
		return;
	}
	if ((status = titan_request_parse(line, len, t, &req)) != 20) {
		answer(c, status, status == 53 ? "Proxy request refused" :
		    "Bad request", req.reason);
		return;
	}
	/* To a script: the script decides who may, and what it takes. */
	if (fastcgi_titan(c, &req, line, len) || cgi_titan(c, &req, line, len))
		return;
	if (titan_allowed(c, &req) == -1)
		return;
	if (req.size > 0)
		conn_body_expected(c);
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		answer(c, 40, "Temporary failure", "out of memory");
		return;
	}
	u->c = c;
	u->tmpfd = -1;
	u->size = req.size;
	fingerprint_hex(conn_cert(c)->sha256, u->operator);
	if (req.has_mime)
		snprintf(u->mime, sizeof(u->mime), "%s", req.mime);
	if ((error = titan_place_open(&conn_site(c)->capsule, req.path,
	    req.pathlen, &u->place, &why)) != TITAN_STORE_OK) {
		u->place.basefd = -1;
		answer_store(c, error, why);
		upload_free(u);
		return;
	}
	snprintf(u->path, sizeof(u->path), "/%s%s", u->place.dirpath,
	    u->place.name);
	if (req.has_mime && req.size > 0 &&
	    !mime_matches(u->place.name, req.mime)) {
		answer(c, 59, "MIME type does not match the file name",
		    "mime mismatch");
		upload_free(u);
		return;
	}
	redirect_target(u, &req, conn_listener(c)->port);
	/* A delete has no body: it goes straight to the commit. */
	if (req.size > 0 &&
	    (u->tmpfd = titan_tmp_create(&u->place, u->tmpname)) == -1) {
		log_warn("titan: %s %s: temporary file: %s", site->name,
		    u->path, strerror(errno));
		u->tmpname[0] = '\0';
		answer(c, 40, "Cannot store the file", "temporary file");
		upload_free(u);
		return;
	}
	if (conn_read_body(c, (off_t)req.size, &upload_body, u) == -1) {
		answer(c, 40, "Temporary failure", "cannot arm the timer");
		upload_free(u);
	}
}
