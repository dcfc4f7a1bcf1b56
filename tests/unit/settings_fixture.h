/* settings_fixture.h: what the settings tests share (after cmocka.h): a
 * fresh struct settings per test, lookups by name, setting from text. */
#ifndef TINE_SETTINGS_FIXTURE_H
#define TINE_SETTINGS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "settings.h"

/* The definition named `name`; fails the test if there is none. */
static inline const struct setting_def *def_of(const char *name)
{
    const struct setting_def *def = settings_find(name);
    if (!def) fail_msg("no setting named %s", name);
    return def;
}

/* The source recorded for setting `name`. */
static inline enum setting_source source(const struct settings *s, const char *name)
{
    return s->source[def_of(name) - settings_table];
}

/* Set `name` from text; the test fails if it is refused. */
static inline void set(struct settings *s, const char *name, const char *text,
                enum setting_source src)
{
    char err[256] = "";
    if (settings_set_text(s, def_of(name), text, src, err, sizeof(err)) < 0)
        fail_msg("%s = %s refused: %s", name, text, err);
}

/* settings_finish, which must succeed. */
static inline void finish_ok(struct settings *s)
{
    char err[256] = "";
    if (settings_finish(s, err, sizeof(err), NULL) < 0)
        fail_msg("settings_finish refused: %s", err);
}

/* settings_print's output for s, as a malloc'd string. */
static inline char *print_to_string(const struct settings *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    settings_print(s, f);
    fclose(f);
    return text;
}

/* Test fixture: a fresh settings struct, freed after the test. */
static inline int setup(void **state)
{
    struct settings *s = malloc(sizeof(*s));
    if (!s) return -1;
    settings_init(s);
    *state = s;
    return 0;
}

static inline int teardown(void **state)
{
    settings_free(*state);
    free(*state);
    return 0;
}

/* A test that gets a fresh settings struct. */
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif
