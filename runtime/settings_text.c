/* settings_text.c: settings as a user reads and writes them: parsed from
 * a flag's text, printed for --check, and the setting a misspelt global
 * most likely meant. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "settings.h"

/* Does text hold a decimal number and nothing else: a sign, digits with
 * at most one point, an exponent, spaces around? (strtod alone would take
 * "0x7d01", "inf" and "nan" too.) */
static int is_decimal(const char *p)
{
    int digits = 0;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '+' || *p == '-') p++;
    for (; isdigit((unsigned char)*p); p++) digits++;
    if (*p == '.')
        for (p++; isdigit((unsigned char)*p); p++) digits++;
    if (!digits) return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!isdigit((unsigned char)*p)) return 0;
        while (isdigit((unsigned char)*p)) p++;
    }
    while (isspace((unsigned char)*p)) p++;
    return *p == '\0';
}

/* Parse a whole string as a decimal number; -1 if it is not one. */
static int parse_number(const char *text, double *out)
{
    if (!is_decimal(text)) return -1;
    errno = 0;
    *out = strtod(text, NULL);
    return errno == ERANGE ? -1 : 0;
}

int settings_set_text(struct settings *s, const struct setting_def *def,
                      const char *text, enum setting_source src,
                      char *err, size_t errlen)
{
    double n;
    switch (def->type) {
    case SETTING_INT:
    case SETTING_NUM:
        if (parse_number(text, &n) < 0) {
            snprintf(err, errlen, "%s: expected %s, got \"%s\"", def->name,
                     settings_type_name(def->type), text);
            return -1;
        }
        return settings_set_number(s, def, n, src, err, errlen);
    case SETTING_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
            return settings_set_bool(s, def, 1, src, err, errlen);
        if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
            return settings_set_bool(s, def, 0, src, err, errlen);
        snprintf(err, errlen, "%s: expected true or false, got \"%s\"",
                 def->name, text);
        return -1;
    default:
        return settings_set_string(s, def, text, src, err, errlen);
    }
}

/* Print str as a Lua string literal. */
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

void settings_print(const struct settings *s, FILE *out)
{
    for (int i = 0; i < settings_count; i++) {
        const struct setting_def *def = &settings_table[i];
        const void *f = (const char *)s + def->offset;
        fprintf(out, "%s = ", def->name);
        switch (def->type) {
        case SETTING_INT: fprintf(out, "%ld", *(const long *)f); break;
        case SETTING_NUM: fprintf(out, "%.15g", *(const double *)f); break;
        case SETTING_BOOL:
            fputs(*(const int *)f ? "true" : "false", out);
            break;
        case SETTING_LIST: {
            const struct string_list *l = f;
            fputc('{', out);
            for (int k = 0; k < l->n; k++) {
                if (k) fputs(", ", out);
                print_quoted(l->items[k], out);
            }
            fputc('}', out);
            break;
        }
        default:
            if (*(char *const *)f) print_quoted(*(char *const *)f, out);
            else fputs("nil", out);
        }
        fputc('\n', out);
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
    for (int i = 0; i < settings_count; i++) {
        const char *candidate = settings_table[i].name;
        size_t allowed = strlen(candidate) >= 8 ? 2 : 1;
        if (strcasecmp(name, candidate) == 0 ||
            edit_distance(name, candidate) <= allowed)
            return candidate;
    }
    return NULL;
}

