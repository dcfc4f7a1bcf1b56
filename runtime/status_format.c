/* status_format.c: see status_format.h. The per-child figures are one
 * column table read by all four renderings, so they always agree. */
#include "status_format.h"

#include <math.h>
#include <stddef.h>

/* How a column is shown. */
enum column_kind {
    COLUMN_NUMBER,    /* a double of struct status_child */
    COLUMN_CALLBACK   /* the callback's name with its seconds */
};

struct column {
    const char *key;      /* JSON key; tine_child_<key> in OpenMetrics */
    const char *title;    /* the tables' heading */
    const char *type;     /* OpenMetrics: "gauge" or "counter" */
    const char *help;
    enum column_kind kind;
    size_t offset;        /* of the double it shows */
    double scale;         /* the tables show value / scale */
    int decimals;         /* with this many decimals */
    int width;            /* in the terminal */
    int zero_unknown;     /* 0 means "not known yet": shown as "-" */
};

#define CHILD(field) offsetof(struct status_child, field)

static const struct column columns[] = {
    {"connections", "conns", "gauge", "Open connections.", COLUMN_NUMBER,
     CHILD(connections), 1, 0, 6, 0},
    {"accepted", "accepted", "counter", "Connections accepted since the "
     "child started.", COLUMN_NUMBER, CHILD(accepted), 1, 0, 9, 0},
    {"requests", "requests", "counter", "ClientInput calls and HTTP "
     "requests since the child started.", COLUMN_NUMBER, CHILD(requests),
     1, 0, 9, 0},
    {"callback_seconds", "callback", "gauge", "Seconds the child has been "
     "in the callback it runs now.", COLUMN_CALLBACK,
     CHILD(callback_seconds), 1, 2, 24, 0},
    {"waiting", "waiting", "gauge", "Callbacks suspended, waiting.",
     COLUMN_NUMBER, CHILD(waiting), 1, 0, 8, 0},
    {"resident_bytes", "RSS MiB", "gauge", "Resident memory.", COLUMN_NUMBER,
     CHILD(resident_bytes), 1048576, 1, 8, 0},
    {"lua_heap_bytes", "Lua KiB", "gauge", "Lua heap at the last "
     "heartbeat.", COLUMN_NUMBER, CHILD(lua_heap_bytes), 1024, 0, 8, 1},
    {"loop_lag_seconds", "lag ms", "gauge", "How late the child's last "
     "heartbeat timer fired.", COLUMN_NUMBER, CHILD(loop_lag_seconds),
     0.001, 1, 7, 0},
    {"heartbeat_age_seconds", "beat s", "gauge", "Seconds since the "
     "child's last message to the master.", COLUMN_NUMBER,
     CHILD(heartbeat_age_seconds), 1, 1, 7, 0},
};

#define NCOLUMNS ((int)(sizeof(columns) / sizeof(columns[0])))

/* The master's own figures in OpenMetrics, from the snapshot. */
struct total {
    const char *name, *type, *help;
    const char *label;    /* in the tables' summary line (NULL: the
                           * uptime, shown apart) */
    size_t offset;        /* of a double in struct status_snapshot */
};

#define SNAP(field) offsetof(struct status_snapshot, field)

static const struct total totals[] = {
    {"uptime_seconds", "gauge", "Seconds since the master started.",
     NULL, SNAP(uptime_seconds)},
    {"accepted", "counter", "Connections accepted by every child since the "
     "master started.", "accepted", SNAP(accepted)},
    {"requests", "counter", "ClientInput calls and HTTP requests in every "
     "child since the master started.", "requests", SNAP(requests)},
    {"children_started", "counter", "Children forked since the master "
     "started.", "children started", SNAP(children_started)},
};

#define NTOTALS ((int)(sizeof(totals) / sizeof(totals[0])))

static const char *const exit_names[EXIT_KIND_COUNT] = {
    [EXIT_STOPPED] = "stopped", [EXIT_START_FAILED] = "start_failed",
    [EXIT_CRASHED] = "crashed", [EXIT_FAILED] = "failed",
    [EXIT_KILLED_SILENT] = "killed_silent",
    [EXIT_KILLED_GRACE] = "killed_grace"};

const char *status_exit_name(enum exit_kind kind)
{
    return exit_names[kind];
}

static double value_of(const struct status_child *c, const struct column *col)
{
    return *(const double *)((const char *)c + col->offset);
}

static double total_of(const struct status_snapshot *s, const struct total *t)
{
    return *(const double *)((const char *)s + t->offset);
}

/* Open connections over every child. */
static double connections_of(const struct status_snapshot *s)
{
    double sum = 0;
    for (int i = 0; i < s->nchildren; i++) sum += s->children[i].connections;
    return sum;
}

/* A number as JSON and OpenMetrics both read it: whole ones without a
 * fraction. */
static void put_number(FILE *out, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) fprintf(out, "%.0f", v);
    else fprintf(out, "%.6f", v);
}

/* text as a JSON string, quoted; NULL as null. */
static void put_json_string(FILE *out, const char *text)
{
    if (!text) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f) fprintf(out, "\\u%04x", *p);
        else fputc(*p, out);
    }
    fputc('"', out);
}

/* text with HTML's special characters escaped. */
static void put_html(FILE *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*p, out);
        }
    }
}

/* text for a terminal: control characters shown as '?'. */
static void put_plain(FILE *out, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

/* One child as a JSON object. */
static void json_child(FILE *out, const struct status_child *c)
{
    fprintf(out, "{\"pid\":%ld,\"generation\":%ld,\"kind\":\"%s\","
            "\"state\":", c->pid, c->generation,
            c->dequeue ? "dequeue" : "child");
    put_json_string(out, c->state);
    fputs(",\"callback\":", out);
    put_json_string(out, c->callback);
    for (int k = 0; k < NCOLUMNS; k++) {
        fprintf(out, ",\"%s\":", columns[k].key);
        put_number(out, value_of(c, &columns[k]));
    }
    fputc('}', out);
}

void status_json(const struct status_snapshot *s, FILE *out)
{
    fprintf(out, "{\"master\":{\"pid\":%ld,\"generation\":%ld,"
            "\"uptime_seconds\":", s->pid, s->generation);
    put_number(out, s->uptime_seconds);
    fputs(",\"script\":", out);
    put_json_string(out, s->script);
    fprintf(out, ",\"paused\":%s,\"shutting_down\":%s},\"totals\":{",
            s->paused ? "true" : "false",
            s->shutting_down ? "true" : "false");
    fputs("\"connections\":", out);
    put_number(out, connections_of(s));
    for (int k = 1; k < NTOTALS; k++) {  /* totals[0]: the master's uptime */
        fprintf(out, ",\"%s\":", totals[k].name);
        put_number(out, total_of(s, &totals[k]));
    }
    fputs(",\"exits\":{", out);
    for (int k = 0; k < EXIT_KIND_COUNT; k++) {
        fprintf(out, "%s\"%s\":", k ? "," : "", exit_names[k]);
        put_number(out, s->exits[k]);
    }
    fputs("}},\"children\":[", out);
    for (int i = 0; i < s->nchildren; i++) {
        if (i) fputc(',', out);
        json_child(out, &s->children[i]);
    }
    fputs("]}\n", out);
}

/* The children of the pool: every process but the dequeue ones. */
static int pool_children(const struct status_snapshot *s)
{
    int n = 0;
    for (int i = 0; i < s->nchildren; i++) n += !s->children[i].dequeue;
    return n;
}

/* A metric family's head: its TYPE and HELP lines. */
static void metric_head(FILE *out, const char *name, const char *type,
                        const char *help)
{
    fprintf(out, "# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
}

/* One per-child family: a sample per child (the callback's only for the
 * children in one, labelled with its name). */
static void metric_column(FILE *out, const struct status_snapshot *s,
                          const struct column *col)
{
    int counter = col->type[0] == 'c';
    char name[64];
    snprintf(name, sizeof(name), "tine_child_%s", col->key);
    metric_head(out, name, col->type, col->help);
    for (int i = 0; i < s->nchildren; i++) {
        const struct status_child *c = &s->children[i];
        if (col->kind == COLUMN_CALLBACK && !c->callback) continue;
        fprintf(out, "%s%s{pid=\"%ld\",generation=\"%ld\"", name,
                counter ? "_total" : "", c->pid, c->generation);
        if (col->kind == COLUMN_CALLBACK)
            fprintf(out, ",callback=\"%s\"", c->callback);
        fputs("} ", out);
        put_number(out, value_of(c, col));
        fputc('\n', out);
    }
}

void status_metrics(const struct status_snapshot *s, FILE *out)
{
    for (int k = 0; k < NTOTALS; k++) {
        char name[64];
        snprintf(name, sizeof(name), "tine_%s", totals[k].name);
        metric_head(out, name, totals[k].type, totals[k].help);
        fprintf(out, "%s%s ", name, totals[k].type[0] == 'c' ? "_total" : "");
        put_number(out, total_of(s, &totals[k]));
        fputc('\n', out);
    }
    metric_head(out, "tine_generation", "gauge",
                "Reloads done: the generation new children belong to.");
    fprintf(out, "tine_generation %ld\n", s->generation);
    metric_head(out, "tine_children", "gauge", "Children running now.");
    fprintf(out, "tine_children %d\n", pool_children(s));
    metric_head(out, "tine_dequeue_processes", "gauge",
                "Dequeue processes running now.");
    fprintf(out, "tine_dequeue_processes %d\n",
            s->nchildren - pool_children(s));
    metric_head(out, "tine_connections", "gauge",
                "Open connections over every child.");
    fputs("tine_connections ", out);
    put_number(out, connections_of(s));
    fputc('\n', out);
    metric_head(out, "tine_child_exits", "counter",
                "Children ended, by how they ended.");
    for (int k = 0; k < EXIT_KIND_COUNT; k++) {
        fprintf(out, "tine_child_exits_total{kind=\"%s\"} ", exit_names[k]);
        put_number(out, s->exits[k]);
        fputc('\n', out);
    }
    metric_head(out, "tine_child_info", "gauge",
                "1 per child, labelled with its state.");
    for (int i = 0; i < s->nchildren; i++)
        fprintf(out, "tine_child_info{pid=\"%ld\",generation=\"%ld\","
                "state=\"%s\"} 1\n", s->children[i].pid,
                s->children[i].generation, s->children[i].state);
    for (int k = 0; k < NCOLUMNS; k++) metric_column(out, s, &columns[k]);
    fputs("# EOF\n", out);
}

/* One table cell's text: a number scaled for people, or the callback
 * with its seconds ("-" when none). */
static void format_cell(const struct status_child *c, const struct column *col,
                        char *buf, size_t len)
{
    double v = value_of(c, col) / col->scale;
    if (col->kind == COLUMN_NUMBER && col->zero_unknown && v == 0)
        snprintf(buf, len, "-");
    else if (col->kind == COLUMN_NUMBER)
        snprintf(buf, len, "%.*f", col->decimals, v);
    else if (c->callback)
        snprintf(buf, len, "%s %.*f s", c->callback, col->decimals, v);
    else
        snprintf(buf, len, "-");
}

/* The line above the tables: the pool at a glance. */
static void put_summary(FILE *out, const struct status_snapshot *s)
{
    const char *sep = "; exits: ";
    int pool = pool_children(s), dequeue = s->nchildren - pool;
    double conns = connections_of(s);
    fprintf(out, "generation %ld, up %.0f s, %d %s%s, ", s->generation,
            s->uptime_seconds, pool, pool == 1 ? "child" : "children",
            s->shutting_down ? " (shutting down)"
                             : s->paused ? " (paused)" : "");
    if (dequeue > 0)
        fprintf(out, "%d dequeue process%s, ", dequeue,
                dequeue == 1 ? "" : "es");
    put_number(out, conns);
    fputs(conns == 1 ? " connection" : " connections", out);
    for (int k = 1; k < NTOTALS; k++) {  /* totals[0]: the uptime */
        fputs(", ", out);
        put_number(out, total_of(s, &totals[k]));
        fprintf(out, " %s", totals[k].label);
    }
    for (int k = 0; k < EXIT_KIND_COUNT; k++) {
        if (s->exits[k] == 0) continue;
        fputs(sep, out);
        put_number(out, s->exits[k]);
        fprintf(out, " %s", exit_names[k]);
        sep = ", ";
    }
}

/* Has c been in one callback for a second or more? */
static int is_slow(const struct status_child *c)
{
    return c->callback && c->callback_seconds >= 1;
}

void status_html(const struct status_snapshot *s, FILE *out)
{
    char cell[128];
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
          "<meta http-equiv=\"refresh\" content=\"2\"><title>tine ", out);
    put_html(out, s->script);
    fputs("</title><style>body{font-family:sans-serif}"
          "table{border-collapse:collapse}th,td{padding:2px 8px;"
          "border-bottom:1px solid #ccc;text-align:right}"
          ".l{text-align:left}.slow{background:#fde2a0}"
          "</style></head>\n<body><h1>tine master ", out);
    fprintf(out, "%ld</h1>\n<p>", s->pid);
    put_html(out, s->script);
    fputs(": ", out);
    put_summary(out, s);
    fputs("</p>\n<table><thead><tr><th>pid</th><th>gen</th>"
          "<th class=\"l\">state</th>", out);
    for (int k = 0; k < NCOLUMNS; k++)
        fprintf(out, "<th%s>%s</th>", columns[k].kind == COLUMN_CALLBACK ?
                " class=\"l\"" : "", columns[k].title);
    fputs("</tr></thead>\n<tbody>\n", out);
    for (int i = 0; i < s->nchildren; i++) {
        const struct status_child *c = &s->children[i];
        fprintf(out, "<tr%s><td>%ld</td><td>%ld</td><td class=\"l\">%s</td>",
                is_slow(c) ? " class=\"slow\"" : "", c->pid, c->generation,
                c->state);
        for (int k = 0; k < NCOLUMNS; k++) {
            format_cell(c, &columns[k], cell, sizeof(cell));
            fputs(columns[k].kind == COLUMN_CALLBACK ? "<td class=\"l\">"
                                                     : "<td>", out);
            put_html(out, cell);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n<p>Highlighted: a child in one callback for "
          "a second or more (one that stays past MaxServerExpireTime is "
          "killed). Lua KiB is known from a child's first heartbeat on."
          "</p></body></html>\n", out);
}

/* One cell of the terminal table, padded to its column (the callback's
 * to the left, numbers to the right). */
static void text_cell(FILE *out, const struct column *col, const char *text)
{
    int left = col->kind == COLUMN_CALLBACK;
    fprintf(out, left ? " %-*s" : " %*s", col->width, text);
}

void status_text(const struct status_snapshot *s, FILE *out)
{
    char cell[128];
    fprintf(out, "tine master %ld serving ", s->pid);
    put_plain(out, s->script);
    fputs("\n", out);
    put_summary(out, s);
    fprintf(out, "\n\n%8s %4s %-15s", "pid", "gen", "state");
    for (int k = 0; k < NCOLUMNS; k++)
        text_cell(out, &columns[k], columns[k].title);
    fputc('\n', out);
    for (int i = 0; i < s->nchildren; i++) {
        const struct status_child *c = &s->children[i];
        fprintf(out, "%8ld %4ld %-15s", c->pid, c->generation, c->state);
        for (int k = 0; k < NCOLUMNS; k++) {
            format_cell(c, &columns[k], cell, sizeof(cell));
            text_cell(out, &columns[k], cell);
        }
        fputc('\n', out);
    }
}
