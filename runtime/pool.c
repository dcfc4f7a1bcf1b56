/* pool.c: pure decisions for the master's pool. */
#include "pool.h"

#include <sys/wait.h>

#include "channel.h"

static long max_l(long a, long b) { return a > b ? a : b; }
static long min_l(long a, long b) { return a < b ? a : b; }

struct pool_decision pool_decide(const struct pool_counts *c,
                                 const struct settings *s)
{
    struct pool_decision d = {0, 0};
    long over_max = c->total - s->max_server;
    long spare_excess = 0;
    if (s->max_spare_server > 0) {
        spare_excess = c->idle - s->max_spare_server;
        spare_excess = min_l(spare_excess, c->total - s->min_server);
        spare_excess = min_l(spare_excess, c->idle - s->min_spare_server);
    }
    d.stop = max_l(0, max_l(over_max, spare_excess));
    if (d.stop > 0) return d;

    long want = max_l(s->min_spare_server - c->idle,
                      s->min_server - c->total);
    d.fork = max_l(0, min_l(want, s->max_server - c->total));
    return d;
}

enum pool_verdict pool_judge(const struct pool_child *c, double now,
                             const struct settings *s)
{
    if (c->stop_sent > 0 &&
        now - c->stop_sent >= s->grace_expire_time + POOL_GRACE_SLACK)
        return VERDICT_KILL_GRACE;
    if (now - c->last_seen >= s->max_server_expire_time)
        return VERDICT_KILL_SILENT;
    if (c->stop_sent > 0 || !c->ready) return VERDICT_KEEP;
    if (s->max_server_memory > 0 && c->rss_mib > (double)s->max_server_memory)
        return VERDICT_RECYCLE_MEMORY;
    if (s->max_server_life_time > 0 &&
        now - c->started >= pool_jitter(s->max_server_life_time,
                                        s->recycle_jitter, c->jitter_draw))
        return VERDICT_RECYCLE_LIFETIME;
    if (s->max_server_spare_time > 0 && c->idle_since > 0 &&
        now - c->idle_since >= s->max_server_spare_time)
        return VERDICT_RECYCLE_SPARETIME;
    return VERDICT_KEEP;
}

double pool_jitter(double limit, double jitter, double draw)
{
    return limit * (1 + jitter * draw);
}

enum exit_kind pool_classify_exit(int status, enum kill_reason killed,
                                  int told_to_stop, int was_ready)
{
    if (killed == KILLED_SILENT) return EXIT_KILLED_SILENT;
    if (killed == KILLED_GRACE) return EXIT_KILLED_GRACE;
    if (killed == KILLED_SHUTDOWN) return EXIT_STOPPED;
    if (killed == KILLED_PROTOCOL) return EXIT_FAILED;
    if (WIFSIGNALED(status)) return EXIT_CRASHED;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    if (code == CHILD_EXIT_START_FAILED && !was_ready)
        return EXIT_START_FAILED;  /* a script's own os.exit(3) is not */
    if (code == 0 && told_to_stop) return EXIT_STOPPED;
    return EXIT_FAILED;
}

int pool_exit_is_failure(enum exit_kind kind)
{
    return kind == EXIT_START_FAILED || kind == EXIT_CRASHED ||
           kind == EXIT_FAILED || kind == EXIT_KILLED_SILENT;
}

double pool_respawn_delay(enum exit_kind kind, int failures)
{
    return pool_backoff(kind == EXIT_START_FAILED ? failures : failures - 1);
}

double pool_backoff(int failures)
{
    double delay = 0.1;
    if (failures <= 0) return 0;
    for (int i = 1; i < failures && delay < 10; i++) delay *= 2;
    return delay < 10 ? delay : 10;
}
