/* master.h: the master process: bind, fork and watch the pool of
 * children, reload, resize, and shut down. */
#ifndef TINE_MASTER_H
#define TINE_MASTER_H

#include "cli.h"
#include "settings.h"

/* Run the server until it is shut down. Takes ownership of s (from
 * config_load). Returns the exit status: 0 after a shutdown asked for, 1
 * when the server could not start or run. */
int master_run(struct settings *s, const char *script, const struct cli *cli);

#endif
