/* daemon.h: --daemonize that tells the truth. The foreground process stays
 * until the daemon reports how its start went, and exits with that: 0 once
 * the first generation is ready, 1 with the reason on standard error when
 * it failed (as nginx checks before it detaches). */
#ifndef TINE_DAEMON_H
#define TINE_DAEMON_H

/* Fork the daemon. In the foreground process this never returns: it waits
 * for the report and exits. In the daemon (a new session, standard streams
 * on /dev/null) it returns the descriptor to report on, or -1 with errno
 * if the fork could not be made (then nothing was forked). */
int daemon_start(void);

/* Report the start to the waiting foreground and close *fd: why NULL means
 * ready, else the one-line reason it failed. Does nothing if *fd is -1,
 * so only the first report counts. */
void daemon_report(int *fd, const char *why);

#endif
