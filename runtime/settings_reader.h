/* settings_reader.h: a reload reads the script's settings in a short-lived
 * process of its own, with a time limit, so no top level (a loop, a
 * blocking call, os.exit) can freeze or end the master. The settings come
 * back over a pipe (settings_encode) and the master's loop goes on
 * meanwhile. */
#ifndef TINE_SETTINGS_READER_H
#define TINE_SETTINGS_READER_H

#include <sys/types.h>

#include "bytebuf.h"
#include "cli.h"
#include "settings.h"

struct event;
struct event_base;

/* Called once per read from the loop: with the settings, finished (the
 * callee owns them and frees them with settings_free), or with NULL and
 * a one-line reason. */
typedef void (*settings_read_fn)(void *arg, struct settings *fresh,
                                 const char *err);

struct settings_reader {
    pid_t pid;                    /* the reading process; 0: none */
    int fd;                       /* our end of its pipe; -1: none */
    struct event *read_ev, *limit_ev;
    struct bytebuf got;           /* its word so far */
    double limit;                 /* seconds it may take */
    settings_read_fn done;
    void *arg;
};

/* A reader that is not reading (call once before first use). */
void settings_reader_init(struct settings_reader *r);

/* Start reading script's settings, with cli's flags applied, in a forked
 * process given `limit` seconds. A read already under way is cancelled
 * first (a newer HUP wins). 0, or -1 with err if it could not start. The
 * caller reaps the process (waitpid(-1) finds it; it is no child). */
int settings_reader_start(struct settings_reader *r, struct event_base *base,
                          const char *script, const struct cli *cli,
                          double limit, settings_read_fn done, void *arg,
                          char *err, size_t errlen);

/* Stop a read under way, if any (its process is killed); done is not
 * called for it. */
void settings_reader_cancel(struct settings_reader *r);

#endif
