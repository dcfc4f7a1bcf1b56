/* cli.c: parse `tine [OPTIONS] SCRIPT.lua` and the settings' flags. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/* Check value against def on a scratch settings; -1 and err if malformed. */
static int check_value(const struct setting_def *def, const char *value,
                       char *err, size_t errlen)
{
    struct settings scratch;
    settings_init(&scratch);
    int rc = settings_set_text(&scratch, def, value, SOURCE_FLAG, err, errlen);
    settings_free(&scratch);
    return rc;
}

/* Take one `--name[=value]` at argv[*i]; advances *i past a separate value. */
static int parse_flag(int argc, char **argv, int *i, struct cli *out,
                      char *err, size_t errlen)
{
    char name[64];
    const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (len >= sizeof(name)) len = sizeof(name) - 1;
    memcpy(name, arg, len);
    name[len] = '\0';

    const struct setting_def *def = settings_find_flag(name);
    if (!def) {
        snprintf(err, errlen, "unknown option --%s (see tine --help)", name);
        return -1;
    }
    const char *value = eq ? eq + 1 : NULL;
    if (!value && def->type == SETTING_BOOL) value = "true";
    if (!value) {
        if (*i + 1 >= argc) {
            snprintf(err, errlen, "%s: --%s needs a value", def->name, name);
            return -1;
        }
        value = argv[++*i];
    }
    if (check_value(def, value, err, errlen) < 0) return -1;
    out->flags[out->nflags].def = def;
    out->flags[out->nflags].value = value;
    out->nflags++;
    return 0;
}

/* `tine status ADDRESS`; 0, or -1 with err. */
static int parse_status(int argc, char **argv, struct cli *out, char *err,
                        size_t errlen)
{
    if (argc != 3 || argv[2][0] == '-') {
        snprintf(err, errlen, "usage: tine status ADDRESS (the server's "
                 "StatusListen: host:port or unix:/path)");
        return -1;
    }
    out->mode = CLI_STATUS;
    out->address = argv[2];
    return 0;
}

int cli_parse(int argc, char **argv, struct cli *out, char *err, size_t errlen)
{
    int options_done = 0;
    memset(out, 0, sizeof(*out));
    out->flags = calloc((size_t)argc + 1, sizeof(*out->flags));
    if (!out->flags) abort();
    if (argc >= 2 && strcmp(argv[1], "status") == 0)
        return parse_status(argc, argv, out, err, errlen);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = 1;
        } else if (!options_done && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
            out->mode = CLI_HELP;
            return 0;
        } else if (!options_done &&
                   (!strcmp(a, "--version") || !strcmp(a, "-v"))) {
            out->mode = CLI_VERSION;
            return 0;
        } else if (!options_done && strcmp(a, "--check") == 0) {
            out->mode = CLI_CHECK;
        } else if (!options_done && strcmp(a, "--settings-markdown") == 0) {
            out->mode = CLI_SETTINGS_MARKDOWN;
            return 0;
        } else if (!options_done && strncmp(a, "--", 2) == 0) {
            if (parse_flag(argc, argv, &i, out, err, errlen) < 0) return -1;
        } else if (!options_done && a[0] == '-' && a[1] != '\0') {
            snprintf(err, errlen, "unknown option %s (see tine --help)", a);
            return -1;
        } else if (out->script) {
            snprintf(err, errlen, "one script only: got %s and %s",
                     out->script, a);
            return -1;
        } else {
            out->script = a;
        }
    }
    if (!out->script) {
        snprintf(err, errlen, "no script given: usage: tine [OPTIONS] SCRIPT.lua");
        return -1;
    }
    return 0;
}

int cli_apply(const struct cli *c, struct settings *s, char *err,
              size_t errlen)
{
    for (int i = 0; i < c->nflags; i++)
        if (settings_set_text(s, c->flags[i].def, c->flags[i].value,
                              SOURCE_FLAG, err, errlen) < 0)
            return -1;
    return 0;
}

void cli_free(struct cli *c)
{
    free(c->flags);
    c->flags = NULL;
    c->nflags = 0;
}

#define USAGE_INDENT 6   /* where a flag's meaning starts */
#define USAGE_WIDTH 78   /* and the column it is wrapped before */

/* Print text from column indent, wrapped at width columns between words. */
static void print_wrapped(const char *text, int indent, int width, FILE *out)
{
    int col = indent;
    fprintf(out, "%*s", indent, "");
    while (*text) {
        int word = (int)strcspn(text, " ");
        if (col > indent && col + 1 + word > width) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        fwrite(text, 1, (size_t)word, out);
        col += word;
        text += word;
        while (*text == ' ') text++;
    }
    fputc('\n', out);
}

void cli_usage(FILE *out)
{
    char flag[96], dflt[96], meaning[1024];
    fputs("usage: tine [OPTIONS] SCRIPT.lua    run the server\n"
          "       tine --check SCRIPT.lua      print the effective settings\n"
          "       tine status ADDRESS          print a running server's "
          "children\n"
          "                                    (ADDRESS: its StatusListen)\n"
          "       tine --help | --version\n\n"
          "Every setting has a flag that beats the script's value. Times are\n"
          "in seconds; a flag shown with ... may repeat:\n",
          out);
    for (int i = 0; i < settings_count; i++) {
        const struct setting_def *def = &settings_table[i];
        settings_flag_usage(def, flag, sizeof(flag));
        settings_default_text(def, dflt, sizeof(dflt));
        settings_describe(def, meaning, sizeof(meaning));
        fprintf(out, "  %-34s default %s\n", flag, dflt);
        print_wrapped(meaning, USAGE_INDENT, USAGE_WIDTH, out);
    }
}
