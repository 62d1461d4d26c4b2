/* What every child of the privileged process does first (priv_fork.h). */
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include "priv_fork.h"

void
priv_fork_settle(int keep)
{
	sigset_t none;

	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (keep < 0)
		return;
	if (keep > 3)
		(void)close_range(3, (unsigned)keep - 1, 0);
	(void)close_range((unsigned)keep + 1, UINT_MAX, 0);
}
