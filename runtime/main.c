/* main.c: tine [OPTIONS] SCRIPT.lua, or tine status ADDRESS */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "master.h"
#include "status_client.h"
#include "tine_err.h"

#define TINE_VERSION_TEXT "tine " TINE_VERSION

/* `tine status ADDRESS`: print the master's table; 0, or 1 if it cannot
 * be had. */
static int print_status(const char *address)
{
    char err[TINE_ERR_MAX];
    if (status_client_get(address, "/status.txt", stdout, err,
                          sizeof(err)) == 0)
        return 0;
    fprintf(stderr, "tine status: %s\n", err);
    return 1;
}

/* Run a mode that needs no script: its exit status, or -1 if mode is not
 * one. */
static int run_scriptless(const struct cli *cli)
{
    switch (cli->mode) {
    case CLI_HELP: cli_usage(stdout); return 0;
    case CLI_VERSION: puts(TINE_VERSION_TEXT); return 0;
    case CLI_SETTINGS_MARKDOWN: settings_markdown(stdout); return 0;
    case CLI_STATUS: return print_status(cli->address);
    default: return -1;
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
    int rc = run_scriptless(&cli);
    if (rc >= 0) {
        cli_free(&cli);
        return rc;
    }
    rc = config_load(cli.script, &cli, getpid(), &s, err, sizeof(err));
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
