/* fuzz_cli.c: the command line and the settings parsers on arbitrary
 * text. Input: NUL-separated arguments after "tine". Every path must free
 * what it takes (LeakSanitizer) and agree with itself: flags cli_parse
 * accepted are accepted again by cli_apply. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cli.h"
#include "listen.h"
#include "settings.h"

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
#define MAX_ARGS 32

/* Parse each argument as a Listen entry and an Allow entry too. */
static void parse_lists(char **argv, int argc)
{
    char err[512];
    for (int i = 1; i < argc; i++) {
        struct listen_spec spec;
        struct access_rule rule;
        listen_parse(argv[i], &spec, err, sizeof(err));
        access_parse(argv[i], &rule, err, sizeof(err));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *argv[MAX_ARGS + 1], err[2048];
    struct cli cli;
    struct settings s;
    int argc = 1;
    memcpy(text, data, size);
    text[size] = '\0';
    argv[0] = "tine";
    for (char *p = text; argc < MAX_ARGS && p <= text + size;
         p += strlen(p) + 1)
        argv[argc++] = p;
    argv[argc] = NULL;
    parse_lists(argv, argc);
    if (cli_parse(argc, argv, &cli, err, sizeof(err)) == 0) {
        settings_init(&s);
        CHECK(cli_apply(&cli, &s, err, sizeof(err)) == 0);
        if (settings_finish(&s, err, sizeof(err), NULL) == 0) {
            FILE *out = fopen("/dev/null", "w");
            settings_print(&s, out);
            fclose(out);
            CHECK(s.min_server <= s.max_server &&
                  s.start_server <= s.max_server);
        }
        settings_free(&s);
    }
    cli_free(&cli);
    free(text);
    return 0;
}
