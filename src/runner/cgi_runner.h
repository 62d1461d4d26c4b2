/*
 * A CGI runner: the process that starts programs (CGI scripts and Titan
 * hooks) for the workers, forked by the privileged process for one
 * generation's configuration and one cgi-user.  It becomes that user,
 * enters its own Landlock domain (execute and read beneath the cgi
 * locations, the hooks and the system's program and library directories;
 * write only into capsules with titan on; signals only to its own
 * processes) and serves requests on the workers' sockets (cgi_wire.h)
 * until the privileged process and every worker have closed theirs and
 * its last program has ended.
 */
#ifndef ATTACHE_CGI_RUNNER_H
#define ATTACHE_CGI_RUNNER_H

struct conf;

#define CGI_RUNNER_NAME		"attache-cgi"

/*
 * Serves runner index of conf (conf_cgi_runner) on ctl, its socket to the
 * privileged process, over which the workers' sockets come (IPC_CGISOCK),
 * and the log (IPC_LOG, IPC_REOPEN).  Returns the exit status.
 */
int	cgi_runner_serve(int ctl, const struct conf *conf, int index);

#endif
