/* main.c: tine [OPTIONS] SCRIPT.lua */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "master.h"
#include "tine_err.h"

#define TINE_VERSION_TEXT "tine " TINE_VERSION

/* Print what a mode that needs no script asks for; 1 if mode is one. */
static int print_only(enum cli_mode mode)
{
    switch (mode) {
    case CLI_HELP: cli_usage(stdout); return 1;
    case CLI_VERSION: puts(TINE_VERSION_TEXT); return 1;
    case CLI_SETTINGS_MARKDOWN: settings_markdown(stdout); return 1;
    default: return 0;
    }
}

int main(int argc, char **argv)
{
    struct cli cli;
    struct settings s;
    char err[TINE_ERR_MAX];
    if (cli_parse(argc, argv, &cli, err, sizeof(err)) < 0) {
        fprintf(stderr, "tine: %s\n", err);
        cli_free(&cli);
        return 2;
    }
    if (print_only(cli.mode)) {
        cli_free(&cli);
        return 0;
    }
    int rc = config_load(cli.script, &cli, getpid(), &s, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "tine: %s\n", err);
    } else if (cli.mode == CLI_CHECK) {
        settings_print(&s, stdout);
        settings_free(&s);
    } else {
        rc = master_run(&s, cli.script, &cli);
    }
    cli_free(&cli);
    return rc;
}
