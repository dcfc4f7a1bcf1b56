/* test_status_format.c: the status snapshot as JSON, OpenMetrics, HTML and
 * a terminal table: every child shown, the callback a child is in, the
 * script's path escaped for each, and OpenMetrics that a checker of its
 * grammar's essentials accepts. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "status_format.h"

#include "test_util.h"

static const struct status_child two[2] = {
    {.pid = 101, .generation = 2, .state = "serving", .connections = 3,
     .accepted = 40, .requests = 120, .resident_bytes = 3 * 1048576.0,
     .lua_heap_bytes = 2048, .loop_lag_seconds = 0.0025,
     .heartbeat_age_seconds = 0.4},
    {.pid = 102, .generation = 2, .state = "serving",
     .callback = "ClientInput", .callback_seconds = 2.5, .connections = 1,
     .accepted = 7, .requests = 8, .waiting = 1,
     .heartbeat_age_seconds = 2.6},
};

/* A snapshot of the two children above, for script path `script`. */
static struct status_snapshot snapshot(const char *script)
{
    struct status_snapshot s = {.pid = 100, .generation = 2,
                                .uptime_seconds = 61, .script = script,
                                .accepted = 50, .requests = 130,
                                .children_started = 4, .nchildren = 2,
                                .children = two};
    s.exits[EXIT_CRASHED] = 1;
    s.exits[EXIT_STOPPED] = 1;
    return s;
}

/* What render writes for s, as a string (the caller frees it). */
static char *rendered(void (*render)(const struct status_snapshot *, FILE *),
                      const struct status_snapshot *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    render(s, out);
    assert_int_equal(fclose(out), 0);
    return text;
}

/* How many times needle occurs in hay. */
static int occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_json_children_and_callback(void **state)
{
    (void)state;
    struct status_snapshot s = snapshot("/srv/app.lua");
    char *j = rendered(status_json, &s);
    assert_contains(j, "{\"master\":{\"pid\":100,\"generation\":2,");
    assert_contains(j, "\"script\":\"/srv/app.lua\"");
    assert_contains(j, "\"totals\":{\"connections\":4,\"accepted\":50,"
                       "\"requests\":130,\"children_started\":4,");
    assert_contains(j, "\"crashed\":1");
    assert_contains(j, "{\"pid\":101,\"generation\":2,\"kind\":\"child\",\"state\":\"serving\","
                       "\"callback\":null,\"connections\":3,");
    assert_contains(j, "{\"pid\":102,\"generation\":2,\"kind\":\"child\",\"state\":\"serving\","
                       "\"callback\":\"ClientInput\",");
    assert_contains(j, "\"callback_seconds\":2.500000");
    assert_contains(j, "\"loop_lag_seconds\":0.002500");
    assert_string_equal(j + strlen(j) - 3, "]}\n");
    free(j);
}

static void test_json_escapes_script(void **state)
{
    (void)state;
    struct status_snapshot s = snapshot("/tmp/a\"b\\c\n\x01.lua");
    char *j = rendered(status_json, &s);
    assert_contains(j, "\"script\":\"/tmp/a\\\"b\\\\c\\u000a\\u0001.lua\"");
    free(j);
}

static void test_json_no_children(void **state)
{
    (void)state;
    struct status_snapshot s = snapshot("x.lua");
    s.nchildren = 0;
    char *j = rendered(status_json, &s);
    assert_contains(j, "\"children\":[]}");
    assert_contains(j, "\"connections\":0,");
    free(j);
}

/* The family a sample belongs to: its name, less _total for a counter. */
static void family_of(const char *sample, char *family, size_t len)
{
    size_t n = strcspn(sample, "{ ");
    snprintf(family, len, "%.*s", (int)n, sample);
    size_t fl = strlen(family);
    if (fl > 6 && strcmp(family + fl - 6, "_total") == 0) family[fl - 6] = 0;
}

/* Is name tine_[a-z_]+? */
static int well_named(const char *name)
{
    if (strncmp(name, "tine_", 5) != 0 || !name[5]) return 0;
    for (const char *p = name + 5; *p; p++)
        if (!islower((unsigned char)*p) && *p != '_') return 0;
    return 1;
}

/* Check text as OpenMetrics: every sample follows its family's TYPE and
 * HELP with no other family between; counters' samples end in _total;
 * names are tine_[a-z_]+; "# EOF" is last. Returns how many samples there
 * were. */
static int check_openmetrics(char *text)
{
    char current[128] = "", type[32] = "", family[128];
    int samples = 0, eof = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        assert_false(eof);
        if (strcmp(line, "# EOF") == 0) {
            eof = 1;
        } else if (strncmp(line, "# TYPE ", 7) == 0) {
            assert_int_equal(sscanf(line + 7, "%127s %31s", current, type), 2);
            assert_true(well_named(current));
            assert_true(!strcmp(type, "gauge") || !strcmp(type, "counter"));
        } else if (strncmp(line, "# HELP ", 7) == 0) {
            assert_int_equal(strncmp(line + 7, current, strlen(current)), 0);
        } else {
            family_of(line, family, sizeof(family));
            assert_string_equal(family, current);
            assert_int_equal(strstr(line, "_total") != NULL,
                             strcmp(type, "counter") == 0);
            assert_non_null(strchr(line, ' '));
            samples++;
        }
    }
    assert_true(eof);
    return samples;
}

static void test_metrics_parse(void **state)
{
    (void)state;
    struct status_snapshot s = snapshot("/srv/app.lua");
    char *m = rendered(status_metrics, &s);
    assert_contains(m, "# TYPE tine_accepted counter\n");
    assert_contains(m, "tine_accepted_total 50\n");
    assert_contains(m, "tine_children 2\n");
    assert_contains(m, "tine_child_exits_total{kind=\"crashed\"} 1\n");
    assert_contains(m, "tine_child_connections{pid=\"101\",generation=\"2\"} 3\n");
    assert_contains(m, "tine_child_callback_seconds{pid=\"102\",generation="
                       "\"2\",callback=\"ClientInput\"} 2.500000\n");
    assert_int_equal(occurrences(m, "tine_child_callback_seconds{"), 1);
    assert_int_equal(occurrences(m, "tine_child_info{"), 2);
    assert_true(check_openmetrics(m) > 20);
    free(m);
}

static void test_metrics_no_children(void **state)
{
    (void)state;
    struct status_snapshot s = snapshot("x.lua");
    s.nchildren = 0;
    char *m = rendered(status_metrics, &s);
    assert_int_equal(occurrences(m, "pid=\""), 0);
    check_openmetrics(m);
    free(m);
}

static void test_html_rows_and_escaping(void **state)
{
    (void)state;
    struct status_snapshot s = snapshot("/srv/<b>\"x\"&'.lua");
    char *h = rendered(status_html, &s);
    assert_contains(h, "<meta http-equiv=\"refresh\"");
    /* the heading and the child at rest; the one 2.5 s into ClientInput
     * is highlighted */
    assert_int_equal(occurrences(h, "<tr>"), 1 + 1);
    assert_int_equal(occurrences(h, "<tr class=\"slow\">"), 1);
    assert_int_equal(occurrences(h, "<tbody>"), 1);
    assert_contains(h, "<tr><td>101</td><td>2</td><td class=\"l\">serving");
    assert_contains(h, "<tr class=\"slow\"><td>102</td>");
    /* 102 has sent no heartbeat yet: its Lua heap is not known */
    assert_contains(h, "<td>0.0</td><td>-</td><td>0.0</td><td>2.6</td></tr>");
    assert_contains(h, "<td class=\"l\">ClientInput 2.50 s</td>");
    assert_contains(h, "/srv/&lt;b&gt;&quot;x&quot;&amp;&#39;.lua");
    assert_null(strstr(h, "<b>"));
    free(h);
}

/* A dequeue process is listed with the children but not counted as one:
 * the summary, the JSON kind and the metrics tell them apart. */
static void test_dequeue_told_apart(void **state)
{
    (void)state;
    struct status_child three[3];
    memcpy(three, two, sizeof(two));
    three[2] = two[0];
    three[2].pid = 103;
    three[2].state = "running Dequeue";
    three[2].dequeue = 1;
    struct status_snapshot s = snapshot("x.lua");
    s.children = three;
    s.nchildren = 3;
    char *t = rendered(status_text, &s);
    assert_contains(t, "generation 2, up 61 s, 2 children, 1 dequeue process, "
                       "7 connections");
    assert_contains(t, "\n     103    2 running Dequeue ");
    char *j = rendered(status_json, &s);
    assert_contains(j, "{\"pid\":103,\"generation\":2,\"kind\":\"dequeue\"");
    char *m = rendered(status_metrics, &s);
    assert_contains(m, "\ntine_children 2\n");
    assert_contains(m, "\ntine_dequeue_processes 1\n");
    check_openmetrics(m);
    free(t);
    free(j);
    free(m);
}

static void test_text_table(void **state)
{
    (void)state;
    struct status_snapshot s = snapshot("/srv/app\x1b[2J.lua");
    char *t = rendered(status_text, &s);
    assert_contains(t, "tine master 100 serving /srv/app?[2J.lua\n");
    assert_contains(t, "generation 2, up 61 s, 2 children, 4 connections, "
                       "50 accepted, 130 requests, 4 children started; "
                       "exits: 1 stopped, 1 crashed\n");
    assert_contains(t, "\n     101    2 serving ");
    assert_contains(t, "\n     102    2 serving ");
    assert_contains(t, " ClientInput 2.50 s ");
    assert_contains(t, "     3.0 ");  /* RSS in MiB */
    assert_contains(t, "     2.5 ");  /* lag in ms */
    assert_int_equal(occurrences(t, "\n"), 3 + 1 + 2);
    free(t);
}

static void test_exit_names(void **state)
{
    (void)state;
    assert_string_equal(status_exit_name(EXIT_KILLED_SILENT), "killed_silent");
    assert_string_equal(status_exit_name(EXIT_START_FAILED), "start_failed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_children_and_callback),
        cmocka_unit_test(test_json_escapes_script),
        cmocka_unit_test(test_json_no_children),
        cmocka_unit_test(test_metrics_parse),
        cmocka_unit_test(test_metrics_no_children),
        cmocka_unit_test(test_html_rows_and_escaping),
        cmocka_unit_test(test_text_table),
        cmocka_unit_test(test_dequeue_told_apart),
        cmocka_unit_test(test_exit_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
