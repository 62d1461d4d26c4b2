/*
 * The capsule service: beneath both protocols, one per capsule directory
 * and settings, it walks the capsule once, follows its changes (inotify),
 * and publishes what requests read (search index, change list) as
 * immutable snapshots swapped atomically.  Its work runs on a thread of
 * its own (capsule_indexer.c), never on a worker's loop.
 *
 * Services outlive configuration generations: the registry (owned by the
 * main thread) hands the same service to every generation that asks for
 * the same capsule and settings, so a reload keeps working indexes; each
 * generation holds a reference, and the last one to go stops the service.
 */
#ifndef ATTACHE_CAPSULE_SERVICE_H
#define ATTACHE_CAPSULE_SERVICE_H

#include <stddef.h>

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
 * The service of the capsule at dir with these settings (search: words
 * indexed), with one more reference: the one running, or a new one, not
 * started yet.  NULL with err set on failure.  Main thread only.
 */
struct capsule_service *capsule_service_get(struct service_registry *r,
	    const char *dir, int search, char *err, size_t errlen);

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
 * The open files the worker whose number is slot keeps for extracts (made
 * on its first call; NULL when out of memory): that worker's thread alone
 * uses them, and the service closes them when it ends.
 */
struct extract_files *capsule_service_files(struct capsule_service *s,
	    int slot);

/* For the indexer: publishes snap (taken) and frees the snapshots no
 * request holds any more.  Returns 1 while some are still held. */
int	capsule_service_publish(struct capsule_service *s,
	    struct capsule_snapshot *snap);
int	capsule_service_reclaim(struct capsule_service *s);

#endif
