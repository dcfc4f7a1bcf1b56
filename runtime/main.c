/* main.c: tine [OPTIONS] SCRIPT.lua */
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "master.h"

#define TINE_VERSION_TEXT "tine " TINE_VERSION

int main(int argc, char **argv)
{
    struct cli cli;
    struct settings s;
    char err[2048];
    if (cli_parse(argc, argv, &cli, err, sizeof(err)) < 0) {
        fprintf(stderr, "tine: %s\n", err);
        cli_free(&cli);
        return 2;
    }
    if (cli.mode == CLI_HELP || cli.mode == CLI_VERSION) {
        if (cli.mode == CLI_HELP) cli_usage(stdout);
        else puts(TINE_VERSION_TEXT);
        cli_free(&cli);
        return 0;
    }
    int rc = config_load(cli.script, &cli, &s, err, sizeof(err));
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
