/* config.h: the effective settings, as the master reads them at start and
 * on reload: the script's globals, then the flags, then derivations and
 * checks. */
#ifndef TINE_CONFIG_H
#define TINE_CONFIG_H

#include <stddef.h>
#include <sys/types.h>

#include "cli.h"
#include "settings.h"
#include "tine_err.h"

/* Fill out (uninitialised on entry) from the script and the flags; the
 * script's top level sees master_pid as tine.master_pid.
 * Returns 0; or 1 for a script error, 2 for a bad flag (the exit statuses
 * SPEC.md gives), with a one-line message in err (TINE_ERR_MAX bytes, as
 * the caller's buffer should be). out is freed on error. */
int config_load(const char *script, const struct cli *cli, pid_t master_pid,
                struct settings *out, char *err, size_t errlen);

#endif
