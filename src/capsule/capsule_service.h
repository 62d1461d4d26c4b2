/*
 * The capsule service: beneath both protocols, one per capsule directory
 * and settings, it follows the capsule's changes (inotify) and publishes
 * what requests read as immutable copies swapped atomically: which files
 * are being written (for every capsule served), and the search index and
 * change list (when on).  Its work runs on a thread of its own
 * (capsule_indexer.c), never on a worker's loop.
 *
 * Services outlive configuration generations: the registry (owned by the
 * main thread) hands the same service to every generation that asks for
 * the same capsule and settings, so a reload keeps working indexes; each
 * generation holds a reference, and the last one to go stops the service.
 */
#ifndef ATTACHE_CAPSULE_SERVICE_H
#define ATTACHE_CAPSULE_SERVICE_H

#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>

#include "whole_table.h"

/* What a service does besides watching: its settings. */
enum service_kind {
	SERVICE_WATCH,		/* search and changes off: watch only */
	SERVICE_CHANGES,	/* pages and titles indexed, not words */
	SERVICE_SEARCH		/* words indexed too */
};

struct capsule_service;
struct capsule_snapshot;
struct extract_files;
struct service_registry;

struct service_registry *service_registry_new(void);

/*
 * Waits until every service stopped has ended its thread, then frees the
 * registry.  Every service must have been unreferenced.
 */
void	service_registry_free(struct service_registry *r);

/*
 * The service of the capsule at dir of this kind, with one more
 * reference: the one running, or a new one, not started yet (one to watch
 * only: any service of that capsule).  NULL with err set on failure.
 * Main thread only.
 */
struct capsule_service *capsule_service_get(struct service_registry *r,
	    const char *dir, enum service_kind kind, char *err, size_t errlen);

/*
 * Starts the service's thread, whose first walk runs in the background,
 * unless it runs already (once its generation serves: a reload that fails
 * walks nothing).  A failure is logged: its pages then answer 40.
 */
void	capsule_service_start(struct capsule_service *s);

/* Drops a reference (any thread); the last stops the service. */
void	capsule_service_unref(struct capsule_service *s);

/*
 * The current snapshot, for one request of the worker whose number is
 * slot (0 to CONF_WORKERS_MAX - 1): valid until capsule_service_leave,
 * to be called on the same thread before its callback returns.  NULL
 * while the first walk is under way.  Takes no lock.
 */
const struct capsule_snapshot *capsule_service_enter(
	    struct capsule_service *s, int slot);
void	capsule_service_leave(struct capsule_service *s, int slot);

/*
 * The verdict on the file at path (its capsule path) whose fstat is st,
 * or, when it was not found (st NULL), whose nearest directory above is
 * dir, for a request of the worker whose number is slot; synced as
 * whole_judge says.  now gets the clocks it was judged at.  A file not
 * changed lately costs no lookup at all.  Takes no lock.
 */
enum whole_verdict capsule_service_judge(struct capsule_service *s,
	    int slot, const char *path, size_t len, const struct stat *st,
	    const struct stat *dir, int synced, struct whole_now *now);
void	capsule_service_now(const struct capsule_service *s,
	    struct whole_now *now);

/*
 * For a listing of the directory dirpath ("/", "/a/"), whose stat is dir:
 * calls fn with each name in it removed within the bound, maybe to be
 * written again, or changed lately (a directory's with its '/': the
 * listing shows them, whether they are there now or not), and returns
 * WHOLE_TRUSTED;
 * WHOLE_SETTLED when the directory has not changed lately (nothing to
 * add); WHOLE_ASK when the view may not hold its last change yet (synced
 * as for capsule_service_judge).
 */
enum whole_verdict capsule_service_gone_in(struct capsule_service *s,
	    int slot, const char *dirpath, const struct stat *dir, int synced,
	    void (*fn)(void *arg, const char *name, size_t len), void *arg);

/*
 * Asks the service to read its events now (WHOLE_ASK): a ticket, which
 * capsule_service_answered says it has, once its view holds every event
 * from before the ask.  0 when it cannot be asked.
 */
uint64_t capsule_service_ask(struct capsule_service *s);
int	capsule_service_answered(struct capsule_service *s, uint64_t ticket);

/*
 * The view of files being written (NULL: none yet), for one request of
 * the worker slot, until capsule_service_whole_leave, on the same thread
 * and before its callback returns.
 */
const struct whole_view *capsule_service_whole_enter(
	    struct capsule_service *s, int slot);
void	capsule_service_whole_leave(struct capsule_service *s, int slot);

/*
 * The open files the worker whose number is slot keeps for extracts (made
 * on its first call; NULL when out of memory): that worker's thread alone
 * uses them, and the service closes them when it ends.
 */
struct extract_files *capsule_service_files(struct capsule_service *s,
	    int slot);

/* For the indexer: publishes snap (taken) and frees the snapshots and
 * views no request holds any more.  Returns 1 while some are still held. */
int	capsule_service_publish(struct capsule_service *s,
	    struct capsule_snapshot *snap);
int	capsule_service_reclaim(struct capsule_service *s);

#endif
