/* test_cli.c: `tine [OPTIONS] SCRIPT.lua`: modes, flags in every form and
 * place, refusals with their messages, and flags applied over a script's
 * settings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "settings.h"

#include "test_util.h"

/* An argv built in the test, NULL-terminated: ARGV("tine", "s.lua"). */
#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})

static int count(char **argv)
{
    int n = 0;
    while (argv[n]) n++;
    return n;
}

/* cli_parse that must succeed; the test fails with its message if not. */
static void parse_ok(char **argv, struct cli *c)
{
    char err[256] = "";
    if (cli_parse(count(argv), argv, c, err, sizeof(err)) < 0)
        fail_msg("cli_parse refused: %s", err);
}

/* cli_parse that must refuse; its message goes to err. */
static void parse_bad(char **argv, char *err, size_t errlen)
{
    struct cli c;
    err[0] = '\0';
    int rc = cli_parse(count(argv), argv, &c, err, errlen);
    cli_free(&c);
    if (rc != -1) fail_msg("cli_parse accepted %s ...", argv[1]);
    assert_true(err[0] != '\0');
}

/* Flag i is for setting `name` with value `value`. */
static void assert_flag(const struct cli *c, int i, const char *name,
                        const char *value)
{
    assert_true(i < c->nflags);
    assert_ptr_equal(c->flags[i].def, settings_find(name));
    assert_string_equal(c->flags[i].value, value);
}

/* ---- accepted command lines -------------------------------------------- */

/* Just a script: run mode, no flags. */
static void test_script_only(void **state)
{
    struct cli c;
    (void)state;
    parse_ok(ARGV("tine", "echo.lua"), &c);
    assert_int_equal(c.mode, CLI_RUN);
    assert_string_equal(c.script, "echo.lua");
    assert_int_equal(c.nflags, 0);
    cli_free(&c);
    assert_null(c.flags);
    assert_int_equal(c.nflags, 0);
}

/* `tine status ADDRESS`: the status mode with its address, no script. */
static void test_status_mode(void **state)
{
    struct cli c;
    char err[256];
    (void)state;
    parse_ok(ARGV("tine", "status", "127.0.0.1:9100"), &c);
    assert_int_equal(c.mode, CLI_STATUS);
    assert_string_equal(c.address, "127.0.0.1:9100");
    assert_null(c.script);
    cli_free(&c);
    parse_bad(ARGV("tine", "status"), err, sizeof(err));
    assert_contains(err, "usage: tine status ADDRESS");
    parse_bad(ARGV("tine", "status", "a:1", "b:2"), err, sizeof(err));
    assert_contains(err, "usage: tine status ADDRESS");
    parse_bad(ARGV("tine", "status", "--port"), err, sizeof(err));
    assert_contains(err, "usage: tine status ADDRESS");
    parse_ok(ARGV("tine", "./status"), &c);  /* a script named so */
    assert_int_equal(c.mode, CLI_RUN);
    cli_free(&c);
}

/* Flags may stand before and after the script, in order given. */
static void test_flags_around_script(void **state)
{
    struct cli c;
    (void)state;
    parse_ok(ARGV("tine", "--port", "9000", "echo.lua", "--max-server", "8"),
             &c);
    assert_int_equal(c.mode, CLI_RUN);
    assert_string_equal(c.script, "echo.lua");
    assert_int_equal(c.nflags, 2);
    assert_flag(&c, 0, "Port", "9000");
    assert_flag(&c, 1, "MaxServer", "8");
    cli_free(&c);
}

/* --name=value: the value is everything after the first "=". */
static void test_equals_form(void **state)
{
    struct cli c;
    (void)state;
    parse_ok(ARGV("tine", "--max-server=8", "--listen=unix:/tmp/a=b",
                  "--master-heart-beat-time=0.5", "s.lua"), &c);
    assert_int_equal(c.nflags, 3);
    assert_flag(&c, 0, "MaxServer", "8");
    assert_flag(&c, 1, "Listen", "unix:/tmp/a=b");
    assert_flag(&c, 2, "MasterHeartBeatTime", "0.5");
    cli_free(&c);
}

/* A boolean flag takes no value and does not swallow the next argument;
 * --daemonize=false is also accepted. */
static void test_bool_flag(void **state)
{
    struct cli c;
    (void)state;
    parse_ok(ARGV("tine", "--daemonize", "s.lua"), &c);
    assert_string_equal(c.script, "s.lua");
    assert_int_equal(c.nflags, 1);
    assert_flag(&c, 0, "Daemonize", "true");
    cli_free(&c);
    parse_ok(ARGV("tine", "s.lua", "--daemonize=false"), &c);
    assert_flag(&c, 0, "Daemonize", "false");
    cli_free(&c);
}

/* A list flag may repeat; each occurrence is a flag of its own. */
static void test_repeated_list_flag(void **state)
{
    struct cli c;
    (void)state;
    parse_ok(ARGV("tine", "--listen", "unix:/run/t.sock", "s.lua", "--listen",
                  "[::1]:9000", "--deny", "10.0.0.0/8"), &c);
    assert_int_equal(c.nflags, 3);
    assert_flag(&c, 0, "Listen", "unix:/run/t.sock");
    assert_flag(&c, 1, "Listen", "[::1]:9000");
    assert_flag(&c, 2, "Deny", "10.0.0.0/8");
    cli_free(&c);
}

/* --check before or after the script selects check mode and keeps flags. */
static void test_check_mode(void **state)
{
    struct cli c;
    (void)state;
    parse_ok(ARGV("tine", "--check", "s.lua"), &c);
    assert_int_equal(c.mode, CLI_CHECK);
    assert_string_equal(c.script, "s.lua");
    cli_free(&c);
    parse_ok(ARGV("tine", "s.lua", "--port", "1", "--check"), &c);
    assert_int_equal(c.mode, CLI_CHECK);
    assert_flag(&c, 0, "Port", "1");
    cli_free(&c);
}

/* --help, -h, --version and -v need no script. */
static void test_help_and_version(void **state)
{
    struct cli c;
    (void)state;
    parse_ok(ARGV("tine", "--help"), &c);
    assert_int_equal(c.mode, CLI_HELP);
    cli_free(&c);
    parse_ok(ARGV("tine", "-h"), &c);
    assert_int_equal(c.mode, CLI_HELP);
    cli_free(&c);
    parse_ok(ARGV("tine", "--version"), &c);
    assert_int_equal(c.mode, CLI_VERSION);
    cli_free(&c);
    parse_ok(ARGV("tine", "-v"), &c);
    assert_int_equal(c.mode, CLI_VERSION);
    cli_free(&c);
    parse_ok(ARGV("tine", "s.lua", "--help"), &c);
    assert_int_equal(c.mode, CLI_HELP);
    cli_free(&c);
}

/* "--" ends the options: what follows is the script even if it starts
 * with a dash, and flags before it still count. */
static void test_double_dash(void **state)
{
    struct cli c;
    (void)state;
    parse_ok(ARGV("tine", "--port", "9000", "--", "--odd.lua"), &c);
    assert_string_equal(c.script, "--odd.lua");
    assert_int_equal(c.nflags, 1);
    assert_flag(&c, 0, "Port", "9000");
    cli_free(&c);
    parse_ok(ARGV("tine", "--", "-x.lua"), &c);
    assert_string_equal(c.script, "-x.lua");
    assert_int_equal(c.mode, CLI_RUN);
    cli_free(&c);
    parse_ok(ARGV("tine", "--", "--help"), &c);
    assert_int_equal(c.mode, CLI_RUN);
    assert_string_equal(c.script, "--help");
    cli_free(&c);
}

/* ---- refusals ---------------------------------------------------------- */

/* An unknown flag is refused with a message naming it. */
static void test_unknown_flag(void **state)
{
    char err[256];
    (void)state;
    parse_bad(ARGV("tine", "--max-servers", "8", "s.lua"), err, sizeof(err));
    assert_contains(err, "--max-servers");
    parse_bad(ARGV("tine", "s.lua", "--MaxServer=8"), err, sizeof(err));
    assert_contains(err, "--MaxServer");
}

struct bad_value {
    const char *flag, *value, *setting;
};

/* A malformed value is refused with a message naming the setting, in both
 * flag forms. */
static void test_malformed_values(void **state)
{
    static const struct bad_value cases[] = {
        {"--max-server", "abc", "MaxServer"},
        {"--max-server", "-1", "MaxServer"},
        {"--start-server", "2.5", "StartServer"},
        {"--port", "70000", "Port"},
        {"--port", "0x7d01", "Port"},
        {"--max-server-expire-time", "nan", "MaxServerExpireTime"},
        {"--master-heart-beat-time", "0", "MasterHeartBeatTime"},
        {"--filter", "xml", "Filter"},
        {"--log-level", "loud", "LogLevel"},
        {"--listen", "", "Listen"},
        {"--max-server", "", "MaxServer"},
    };
    char err[256], joined[128];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct bad_value *b = &cases[i];
        parse_bad(ARGV("tine", (char *)b->flag, (char *)b->value, "s.lua"),
                  err, sizeof(err));
        assert_contains(err, b->setting);
        snprintf(joined, sizeof(joined), "%s=%s", b->flag, b->value);
        parse_bad(ARGV("tine", "s.lua", joined), err, sizeof(err));
        assert_contains(err, b->setting);
    }
    parse_bad(ARGV("tine", "--daemonize=maybe", "s.lua"), err, sizeof(err));
    assert_contains(err, "Daemonize");
}

/* A flag at the end with no value is refused, naming the setting. */
static void test_missing_value(void **state)
{
    char err[256];
    (void)state;
    parse_bad(ARGV("tine", "s.lua", "--port"), err, sizeof(err));
    assert_contains(err, "Port");
    assert_contains(err, "--port");
    assert_contains(err, "value");
}

/* No script: refused, with or without flags or --check. */
static void test_no_script(void **state)
{
    char err[256];
    (void)state;
    parse_bad(ARGV("tine"), err, sizeof(err));
    assert_contains(err, "no script");
    parse_bad(ARGV("tine", "--port", "9000"), err, sizeof(err));
    assert_contains(err, "no script");
    parse_bad(ARGV("tine", "--check"), err, sizeof(err));
    assert_contains(err, "no script");
    parse_bad(ARGV("tine", "--"), err, sizeof(err));
    assert_contains(err, "no script");
}

/* Two scripts: refused, naming both. */
static void test_two_scripts(void **state)
{
    char err[256];
    (void)state;
    parse_bad(ARGV("tine", "a.lua", "b.lua"), err, sizeof(err));
    assert_contains(err, "a.lua");
    assert_contains(err, "b.lua");
    parse_bad(ARGV("tine", "a.lua", "--", "b.lua"), err, sizeof(err));
    assert_contains(err, "b.lua");
}

/* An unknown short option is refused, naming it. */
static void test_unknown_short_option(void **state)
{
    char err[256];
    (void)state;
    parse_bad(ARGV("tine", "-x", "s.lua"), err, sizeof(err));
    assert_contains(err, "-x");
    parse_bad(ARGV("tine", "s.lua", "-p", "9000"), err, sizeof(err));
    assert_contains(err, "-p");
}

/* ---- cli_apply --------------------------------------------------------- */

/* Flags beat the script: values and sources become the flag's, a list flag
 * replaces the script's list, settings no flag names keep the script's. */
static void test_apply_beats_script(void **state)
{
    struct settings s;
    struct cli c;
    char err[256] = "";
    (void)state;
    settings_init(&s);
    assert_int_equal(settings_set_text(&s, settings_find("MaxServer"), "10",
                                       SOURCE_SCRIPT, err, sizeof(err)), 0);
    assert_int_equal(settings_set_text(&s, settings_find("Port"), "81",
                                       SOURCE_SCRIPT, err, sizeof(err)), 0);
    assert_int_equal(settings_set_text(&s, settings_find("Listen"), "x:1",
                                       SOURCE_SCRIPT, err, sizeof(err)), 0);
    parse_ok(ARGV("tine", "--max-server", "8", "s.lua", "--listen", "unix:/a",
                  "--listen", "unix:/b", "--daemonize"), &c);
    assert_int_equal(cli_apply(&c, &s, err, sizeof(err)), 0);
    cli_free(&c);
    const enum setting_source *src = s.source;
    assert_int_equal(s.max_server, 8);
    assert_int_equal(src[settings_find("MaxServer") - settings_table],
                     SOURCE_FLAG);
    assert_int_equal(s.listen.n, 2);
    assert_string_equal(s.listen.items[0], "unix:/a");
    assert_string_equal(s.listen.items[1], "unix:/b");
    assert_int_equal(s.daemonize, 1);
    assert_int_equal(s.port, 81);
    assert_int_equal(src[settings_find("Port") - settings_table],
                     SOURCE_SCRIPT);
    settings_free(&s);
}

/* The last of repeated scalar flags wins. */
static void test_apply_last_flag_wins(void **state)
{
    struct settings s;
    struct cli c;
    char err[256] = "";
    (void)state;
    settings_init(&s);
    parse_ok(ARGV("tine", "--port", "1", "s.lua", "--port=2"), &c);
    assert_int_equal(cli_apply(&c, &s, err, sizeof(err)), 0);
    cli_free(&c);
    assert_int_equal(s.port, 2);
    settings_free(&s);
}

/* ---- usage ------------------------------------------------------------- */

/* cli_usage's text, as a malloc'd string. */
static char *usage_text(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cli_usage(f);
    fclose(f);
    return text;
}

/* The meaning under a flag's line at *p: the lines indented by 6 spaces
 * that follow, joined by single spaces into buf; none is over 78 columns.
 * Advances *p past them. */
static void read_meaning(const char **p, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    while (strncmp(*p, "      ", 6) == 0 && (*p)[6] != ' ') {
        size_t n = strcspn(*p, "\n");
        assert_true(n <= 78);
        used += (size_t)snprintf(buf + used, len - used, "%s%.*s",
                                 used ? " " : "", (int)n - 6, *p + 6);
        *p += n + ((*p)[n] == '\n');
    }
}

/* Every setting has its entry, in table order: "  --flag KIND", then
 * "default" and the default on the same line, then its meaning (with the
 * restart note for a setting a reload keeps), wrapped. */
static void test_usage_lists_flags(void **state)
{
    char *text = usage_text(), usage[96], dflt[96], want[1024], got[1024];
    const char *p = text;
    (void)state;
    assert_contains(text, "usage: tine");
    for (int i = 0; i < settings_count; i++) {
        const struct setting_def *def = &settings_table[i];
        settings_flag_usage(def, usage, sizeof(usage));
        settings_default_text(def, dflt, sizeof(dflt));
        settings_describe(def, want, sizeof(want));
        p = strstr(p, "\n  --");
        if (!p) fail_msg("no entry for %s", def->name);
        p += 3;
        size_t n = strcspn(p, "\n");
        assert_int_equal(strncmp(p, usage, strlen(usage)), 0);
        assert_true(p[strlen(usage)] == ' ');
        size_t tail = strlen("default ") + strlen(dflt);
        assert_true(n > tail);
        if (strncmp(p + n - tail, "default ", 8) != 0 ||
            strncmp(p + n - strlen(dflt), dflt, strlen(dflt)) != 0)
            fail_msg("%s: \"%.*s\" does not end with default %s", def->name,
                     (int)n, p, dflt);
        p += n + 1;
        read_meaning(&p, got, sizeof(got));
        assert_string_equal(got, want);
        p--;  /* the next entry's search starts at this newline */
    }
    assert_null(strstr(p, "\n  --"));
    free(text);
}

/* --settings-markdown, the README table's generator, needs no script. */
static void test_settings_markdown_mode(void **state)
{
    struct cli c;
    (void)state;
    parse_ok(ARGV("tine", "--settings-markdown"), &c);
    assert_int_equal(c.mode, CLI_SETTINGS_MARKDOWN);
    cli_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_script_only),
        cmocka_unit_test(test_flags_around_script),
        cmocka_unit_test(test_equals_form),
        cmocka_unit_test(test_bool_flag),
        cmocka_unit_test(test_repeated_list_flag),
        cmocka_unit_test(test_check_mode),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_double_dash),
        cmocka_unit_test(test_unknown_flag),
        cmocka_unit_test(test_malformed_values),
        cmocka_unit_test(test_missing_value),
        cmocka_unit_test(test_no_script),
        cmocka_unit_test(test_two_scripts),
        cmocka_unit_test(test_unknown_short_option),
        cmocka_unit_test(test_apply_beats_script),
        cmocka_unit_test(test_apply_last_flag_wins),
        cmocka_unit_test(test_usage_lists_flags),
        cmocka_unit_test(test_settings_markdown_mode),
        cmocka_unit_test(test_status_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
