/*
 * Background work for one worker: blocking disk work (fsync, rename,
 * history) runs on a thread of its own, never on the worker's event loop,
 * and each job reports back by activating an event on that loop.
 */
#ifndef ATTACHE_JOBS_H
#define ATTACHE_JOBS_H

#include <sys/queue.h>

struct event;
struct jobs;

struct job {
	/* Runs on the background thread. */
	void			(*run)(struct job *);
	/*
	 * Activated on the owner's loop once run has returned.  NULL: the job
	 * is its own (work nobody waits for); run frees it, nothing touches
	 * it after, and it is never jobs_wait'ed for.
	 */
	struct event		*done;
	int			 finished;	/* under the jobs' lock */
	TAILQ_ENTRY(job)	 entry;
};

/* A background thread and its queue; NULL when it cannot start. */
struct jobs	*jobs_start(void);

/* Queues j (its done event set); 0, or -1 when stopping. */
int		 jobs_submit(struct jobs *q, struct job *j);

/*
 * Waits until j, submitted to q, has run and q lets go of it: before the
 * owner frees j, also from j's done event (which may run a moment before).
 */
void		 jobs_wait(struct jobs *q, struct job *j);

/* Runs what is queued, stops the thread and frees q; NULL is fine. */
void		 jobs_stop(struct jobs *q);

#endif
