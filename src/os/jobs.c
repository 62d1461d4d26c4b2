/* A worker's background thread: blocking disk work, off its event loop. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include <event2/event.h>

#include "jobs.h"

TAILQ_HEAD(job_list, job);

struct jobs {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;		/* a job queued, or stop */
	pthread_cond_t	 ran;		/* a job finished */
	struct job_list	 queue;
	int		 stopping;
};

static void *
jobs_main(void *arg)
{
	struct jobs *q = arg;
	struct job *j;
	int own;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (TAILQ_EMPTY(&q->queue) && !q->stopping)
			pthread_cond_wait(&q->wake, &q->lock);
		if ((j = TAILQ_FIRST(&q->queue)) == NULL)
			break;		/* stopping, and nothing left */
		TAILQ_REMOVE(&q->queue, j, entry);
		/* Its own (no done event): run frees it, nobody waits for it. */
		own = j->done == NULL;
		pthread_mutex_unlock(&q->lock);
		j->run(j);
		pthread_mutex_lock(&q->lock);
		if (own)
			continue;
		/*
		 * Under the lock, before finished is set: once an owner in
		 * jobs_wait sees finished, nothing here touches j again.
		 */
		event_active(j->done, EV_READ, 0);
		j->finished = 1;
		pthread_cond_broadcast(&q->ran);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct jobs *
jobs_start(void)
{
	sigset_t block, old;
	struct jobs *q;
	int e;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	TAILQ_INIT(&q->queue);
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	pthread_cond_init(&q->ran, NULL);
	/* Signals are the main thread's business. */
	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	e = pthread_create(&q->thread, NULL, jobs_main, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		pthread_cond_destroy(&q->ran);
		pthread_cond_destroy(&q->wake);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return NULL;
	}
	return q;
}

int
jobs_submit(struct jobs *q, struct job *j)
{
	int rv = -1;

	pthread_mutex_lock(&q->lock);
	if (!q->stopping) {
		j->finished = 0;
		TAILQ_INSERT_TAIL(&q->queue, j, entry);
		pthread_cond_signal(&q->wake);
		rv = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return rv;
}

void
jobs_wait(struct jobs *q, struct job *j)
{
	pthread_mutex_lock(&q->lock);
	while (!j->finished)
		pthread_cond_wait(&q->ran, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

void
jobs_stop(struct jobs *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	pthread_cond_destroy(&q->ran);
	pthread_cond_destroy(&q->wake);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
