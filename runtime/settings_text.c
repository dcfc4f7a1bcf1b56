/* settings_text.c: the settings as text: `tine --check`'s listing, the
 * words of `tine --help` and the README's table, and near misses of a
 * setting's name. */
#include "settings.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "settings_field.h"

/* Print str as a Lua string literal. A control byte is written as a
 * three-digit escape, so a digit after it is not read as part of it. */
static void print_quoted(const char *str, FILE *out)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
        else if (*p < 32 || *p == 127) fprintf(out, "\\%03d", *p);
        else fputc(*p, out);
    }
    fputc('"', out);
}

/* Print l as a Lua table of strings. */
static void print_list(const struct string_list *l, FILE *out)
{
    fputc('{', out);
    for (int k = 0; k < l->n; k++) {
        if (k) fputs(", ", out);
        print_quoted(l->items[k], out);
    }
    fputc('}', out);
}

void settings_print(const struct settings *s, FILE *out)
{
    for (int i = 0; i < SETTINGS_COUNT; i++) {
        const struct setting_def *def = &settings_table[i];
        const void *f = settings_cfield(s, def);
        const char *str = settings_string(s, def);
        fprintf(out, "%s = ", def->name);
        switch (def->type) {
        case SETTING_INT: fprintf(out, "%ld", *(const long *)f); break;
        case SETTING_NUM: fprintf(out, "%.15g", *(const double *)f); break;
        case SETTING_BOOL:
            fputs(*(const int *)f ? "true" : "false", out);
            break;
        case SETTING_LIST: print_list(f, out); break;
        case SETTING_STR:
        case SETTING_ENUM:
            if (str) print_quoted(str, out);
            else fputs("nil", out);
        }
        fputc('\n', out);
    }
}

void settings_default_text(const struct setting_def *def, char *buf,
                           size_t len)
{
    const char *str = def->type == SETTING_ENUM ? def->choices[(int)def->dflt]
                                                : def->dflt_str;
    if (def->derivation) {
        snprintf(buf, len, "%s", def->derivation);
        return;
    }
    switch (def->type) {
    case SETTING_INT: snprintf(buf, len, "%ld", (long)def->dflt); break;
    case SETTING_NUM: snprintf(buf, len, "%.15g", def->dflt); break;
    case SETTING_BOOL: snprintf(buf, len, def->dflt ? "true" : "false"); break;
    case SETTING_LIST: snprintf(buf, len, "none"); break;
    case SETTING_STR:
    case SETTING_ENUM:
        if (str) snprintf(buf, len, "\"%s\"", str);
        else snprintf(buf, len, "none");
    }
}

void settings_flag_usage(const struct setting_def *def, char *buf,
                         size_t len)
{
    char flag[64];
    settings_flag_name(def, flag, sizeof(flag));
    if (def->type == SETTING_BOOL)
        snprintf(buf, len, "--%s[=%s]", flag, def->kind);
    else
        snprintf(buf, len, "--%s %s%s", flag, def->kind,
                 def->type == SETTING_LIST ? "..." : "");
}

void settings_describe(const struct setting_def *def, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s", def->meaning,
             def->restart ? "; a reload keeps it: restart to change" : "");
}

/* Print text as a Markdown table cell: a '|' would end the cell. */
static void print_cell(const char *text, FILE *out)
{
    fputs("| ", out);
    for (const char *p = text; *p; p++) {
        if (*p == '|') fputc('\\', out);
        fputc(*p, out);
    }
    fputc(' ', out);
}

void settings_markdown(FILE *out)
{
    char flag[96], dflt[96], meaning[1024];
    fputs("| Setting | Flag | Default | Meaning |\n|---|---|---|---|\n", out);
    for (int i = 0; i < SETTINGS_COUNT; i++) {
        const struct setting_def *def = &settings_table[i];
        char code[100];
        settings_flag_usage(def, flag, sizeof(flag));
        snprintf(code, sizeof(code), "`%s`", flag);
        settings_default_text(def, dflt, sizeof(dflt));
        settings_describe(def, meaning, sizeof(meaning));
        print_cell(def->name, out);
        print_cell(code, out);
        print_cell(dflt, out);
        print_cell(meaning, out);
        fputs("|\n", out);
    }
}

/* Edit distance between a and b, compared without regard to case; a swap
 * of two neighbouring letters counts as one edit. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[64][64];
    if (la >= 64 || lb >= 64) return (size_t)-1;
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]);
            int cb = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *settings_near_miss(const char *name)
{
    if (settings_find(name)) return NULL;
    for (int i = 0; i < SETTINGS_COUNT; i++) {
        const char *candidate = settings_table[i].name;
        size_t allowed = strlen(candidate) >= 8 ? 2 : 1;
        if (strcasecmp(name, candidate) == 0 ||
            edit_distance(name, candidate) <= allowed)
            return candidate;
    }
    return NULL;
}
