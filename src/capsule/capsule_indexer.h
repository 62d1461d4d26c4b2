/*
 * The capsule service's thread (internal to capsule_service.c): the walk,
 * the index builds, and the following of the capsule's changes.
 */
#ifndef ATTACHE_CAPSULE_INDEXER_H
#define ATTACHE_CAPSULE_INDEXER_H

#include <stdatomic.h>
#include <stdint.h>

#include "capsule.h"

struct capsule_service;
struct capsule_snapshot;
struct whole_view;

/*
 * What the thread works with, set before it starts.  It hands its
 * snapshots over through publish and reclaim (the service's, so that the
 * indexer below it never calls up into it).
 */
struct indexer_env {
	struct capsule_service	*service;	/* to publish to */
	/* snap is the service's from now on; 1 while older ones are read */
	int			(*publish)(struct capsule_service *,
				    struct capsule_snapshot *snap);
	/* frees the older snapshots no one reads; 1 while some are */
	int			(*reclaim)(struct capsule_service *);
	/*
	 * Which files are being written: a new view (taken; NULL: the same
	 * as before), complete up to sync_ns (the realtime clock before its
	 * events were read), answering the asks up to asked; partial: some
	 * directory is not watched.
	 */
	void			(*whole)(struct capsule_service *,
				    struct whole_view *view, int64_t sync_ns,
				    uint64_t asked, int partial);
	/* The asks readers made so far. */
	uint64_t		(*asks)(struct capsule_service *);
	const struct capsule	*cap;		/* its own root fd */
	const char		*name;		/* the capsule's real path */
	int			 index;		/* search or changes on */
	int64_t			 margin_ns;	/* from a change to its event,
						 * at most (capsule_service.c) */
	int			 words;		/* search on: index words */
	int			 wakefd;	/* readable: asks, or stop */
	atomic_int		*stop;
};

/*
 * Runs until *stop is set: watches the capsule and publishes which files
 * are being written, after every event and every ask; builds the index
 * (index set), publishes it, then follows the capsule's changes,
 * publishing a new snapshot after each batch.  Frees what it made; the
 * published snapshots and views are the service's.
 */
void	indexer_run(const struct indexer_env *env);

#endif
