/* cli.h: the command line: mode, script path and setting flags. */
#ifndef TINE_CLI_H
#define TINE_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "settings.h"
#include "tine_err.h"

/* CLI_SETTINGS_MARKDOWN (--settings-markdown, not in the usage text)
 * prints the README's settings table, for tests/settings_table.sh. */
enum cli_mode {
    CLI_RUN,
    CLI_CHECK,
    CLI_HELP,
    CLI_VERSION,
    CLI_SETTINGS_MARKDOWN,
    CLI_STATUS           /* tine status ADDRESS */
};

struct cli_flag {
    const struct setting_def *def;
    const char *value;   /* points into argv; "true" for a boolean flag */
};

struct cli {
    enum cli_mode mode;
    const char *script;
    const char *address;  /* CLI_STATUS: the master's StatusListen */
    int nflags;
    struct cli_flag *flags;
};

/* Parse argv: `tine status ADDRESS`, or options and a script. Every flag value is checked against its setting, so a
 * malformed one is refused here, before any script runs. Returns 0, or -1
 * with a one-line message in err (a usage error: exit status 2); an err of
 * TINE_ERR_MAX bytes holds any message whole. */
int cli_parse(int argc, char **argv, struct cli *out, char *err, size_t errlen);

/* Apply the parsed flags over s (they beat the script's values). */
int cli_apply(const struct cli *c, struct settings *s, char *err,
              size_t errlen);

void cli_free(struct cli *c);

/* Print the usage text to out: every setting's flag with its value's kind,
 * its default and its meaning, all from settings_table. */
void cli_usage(FILE *out);

#endif
