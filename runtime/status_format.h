/* status_format.h: the master's status as a snapshot (plain values, taken
 * from the process table, the scoreboard and the heartbeats) and its four
 * renderings: JSON, OpenMetrics text, an HTML page and a terminal table.
 * Pure: no I/O but the FILE it writes to, so cmocka tests it. */
#ifndef TINE_STATUS_FORMAT_H
#define TINE_STATUS_FORMAT_H

#include <stdio.h>

#include "pool.h"

/* One child. Counts and sizes are doubles: the renderings share one
 * column table (status_format.c) that reads them all alike. */
struct status_child {
    long pid, generation;
    const char *state;          /* "serving" (proc_state_name) */
    const char *callback;       /* what it runs now; NULL: none */
    double callback_seconds;    /* for how long */
    double connections;         /* open now */
    double accepted;            /* connections since it started */
    double requests;            /* ClientInput / HTTP handler calls */
    double waiting;             /* callbacks suspended, waiting */
    double resident_bytes;      /* RSS */
    double lua_heap_bytes;      /* at its last heartbeat */
    double loop_lag_seconds;    /* how late its last heartbeat fired */
    double heartbeat_age_seconds;  /* since its last message */
    int dequeue;                /* a dequeue process, not a pool child */
};

struct status_snapshot {
    long pid, generation;
    double uptime_seconds;
    const char *script;
    int paused, shutting_down;
    double accepted, requests;  /* since the master started, every child */
    double children_started;
    double exits[EXIT_KIND_COUNT];   /* children ended, by how */
    int nchildren;
    const struct status_child *children;
};

/* The name of an exit kind, as the status page shows it ("crashed"). */
const char *status_exit_name(enum exit_kind kind);

/* GET /status: one JSON object. */
void status_json(const struct status_snapshot *s, FILE *out);

/* GET /metrics: OpenMetrics text, ending with "# EOF". */
void status_metrics(const struct status_snapshot *s, FILE *out);

/* GET /: an HTML page that refreshes itself, one table row per child. */
void status_html(const struct status_snapshot *s, FILE *out);

/* GET /status.txt and `tine status`: a plain-text table. */
void status_text(const struct status_snapshot *s, FILE *out);

#endif
