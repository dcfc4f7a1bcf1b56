/* settings_reader.c: see settings_reader.h. The reader's word is one
 * status byte (config_load's: '0' read, '1' the script's fault, '2' a
 * flag's) followed by the encoded settings or the one-line reason; the
 * pipe closing with no word means the top level ended the process. */
#include "settings_reader.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "after_fork.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "tine_err.h"

enum { WORD_MAX = 1 << 20 };  /* far more than any settings take */

/* Write all of p, retrying short writes; the master reads as it comes. */
static void write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        len -= (size_t)n;
    }
}

/* In the forked reader: read the settings, write the word, exit. */
static void reader_main(int fd, const char *script, const struct cli *cli,
                        pid_t master)
{
    int keep[2] = {fd, log_fd()};
    struct settings s;
    struct bytebuf word = {0};
    char err[TINE_ERR_MAX];
    after_fork_reset(keep, 2);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int rc = config_load(script, cli, master, &s, err, sizeof(err));
    char status = (char)('0' + rc);
    if (bytebuf_append(&word, &status, 1) < 0) _exit(1);
    if (rc == 0 ? settings_encode(&s, &word)
                : bytebuf_append(&word, err, strlen(err)) < 0)
        _exit(1);
    write_all(fd, bytebuf_head(&word), bytebuf_len(&word));
    _exit(0);
}

void settings_reader_init(struct settings_reader *r)
{
    memset(r, 0, sizeof(*r));
    r->fd = -1;
}

/* Forget the read under way: events, pipe and word. */
static void reset(struct settings_reader *r)
{
    if (r->read_ev) event_free(r->read_ev);
    if (r->limit_ev) event_free(r->limit_ev);
    if (r->fd >= 0) close(r->fd);
    bytebuf_free(&r->got);
    settings_reader_init(r);
}

/* The read is over: reset, then tell the caller. */
static void finish(struct settings_reader *r, struct settings *fresh,
                   const char *err)
{
    settings_read_fn done = r->done;
    void *arg = r->arg;
    reset(r);
    done(arg, fresh, err);
}

/* The pipe closed: turn the word into settings or a reason. */
static void deliver(struct settings_reader *r)
{
    char err[TINE_ERR_MAX];
    struct settings fresh;
    const char *p = bytebuf_head(&r->got);
    size_t len = bytebuf_len(&r->got);
    if (len == 0) {
        finish(r, NULL, "the script's top level ended its process before "
                        "the settings were read (os.exit, or a crash)");
        return;
    }
    if (p[0] != '0') {
        snprintf(err, sizeof(err), "%.*s", (int)(len - 1), p + 1);
        finish(r, NULL, err);
        return;
    }
    settings_init(&fresh);
    if (settings_decode(&fresh, p + 1, len - 1, err, sizeof(err)) < 0 ||
        settings_finish(&fresh, err, sizeof(err), NULL) < 0) {
        settings_free(&fresh);
        finish(r, NULL, err);
        return;
    }
    finish(r, &fresh, NULL);
}

/* Take what the reader wrote; at the end of the pipe, deliver. */
static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct settings_reader *r = arg;
    (void)what;
    for (;;) {
        char *room = bytebuf_reserve(&r->got, 4096);
        ssize_t n = room ? read(fd, room, 4096) : -1;
        if (n > 0 && bytebuf_len(&r->got) + (size_t)n <= WORD_MAX) {
            r->got.end += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n == 0) {
            deliver(r);
            return;
        }
        kill(r->pid, SIGKILL);
        finish(r, NULL, "the settings reader's word could not be read");
        return;
    }
}

/* The reader took too long: kill it; the reload is abandoned. */
static void on_limit(evutil_socket_t fd, short what, void *arg)
{
    struct settings_reader *r = arg;
    char err[TINE_ERR_MAX];
    (void)fd;
    (void)what;
    kill(r->pid, SIGKILL);
    snprintf(err, sizeof(err), "reading the script's settings took more "
             "than %g s (MaxServerExpireTime): its top level loops or "
             "blocks; the reading process was killed", r->limit);
    finish(r, NULL, err);
}

/* Fork the reader with every signal blocked, so no handler of the
 * master's runs in it; its pid, or -1. */
static pid_t fork_reader(int p[2], const char *script, const struct cli *cli)
{
    sigset_t all, old;
    pid_t master = getpid();
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        reader_main(p[1], script, cli, master);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return pid;
}

int settings_reader_start(struct settings_reader *r, struct event_base *base,
                          const char *script, const struct cli *cli,
                          double limit, settings_read_fn done, void *arg,
                          char *err, size_t errlen)
{
    int p[2];
    settings_reader_cancel(r);
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "pipe() failed: %s", strerror(errno));
        return -1;
    }
    r->pid = fork_reader(p, script, cli);
    close(p[1]);
    r->fd = p[0];
    if (r->pid < 0) {
        snprintf(err, errlen, "fork() failed: %s", strerror(errno));
        reset(r);
        return -1;
    }
    r->limit = limit;
    r->done = done;
    r->arg = arg;
    struct timeval tv = clock_timeval(limit);
    r->read_ev = event_new(base, r->fd, EV_READ | EV_PERSIST, on_readable, r);
    r->limit_ev = evtimer_new(base, on_limit, r);
    if (!r->read_ev || !r->limit_ev || event_add(r->read_ev, NULL) < 0 ||
        evtimer_add(r->limit_ev, &tv) < 0) {
        kill(r->pid, SIGKILL);
        reset(r);
        snprintf(err, errlen, "event_new() failed for the settings reader");
        return -1;
    }
    return 0;
}

void settings_reader_cancel(struct settings_reader *r)
{
    if (r->pid > 0) kill(r->pid, SIGKILL);
    reset(r);
}
