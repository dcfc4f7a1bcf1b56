/* digits.c: decimal numbers in text. */
#include "digits.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Skip the run of decimal digits at text[*i], below len; returns how many
 * there were. */
static size_t skip_digits(const char *text, size_t len, size_t *i)
{
    size_t start = *i;
    while (*i < len && text[*i] >= '0' && text[*i] <= '9') (*i)++;
    return *i - start;
}

int digits_whole(const char *text, size_t len, unsigned long max,
                 unsigned long *out)
{
    unsigned long v = 0;
    if (len == 0) return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(text[i] - '0');
        if (d > 9 || d > max || v > (max - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Is text[0..len) a decimal number as digits_decimal reads it? */
static int is_decimal(const char *text, size_t len)
{
    size_t i = 0, digits;
    if (i < len && (text[i] == '+' || text[i] == '-')) i++;
    digits = skip_digits(text, len, &i);
    if (i < len && text[i] == '.') {
        i++;
        digits += skip_digits(text, len, &i);
    }
    if (digits == 0) return 0;
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        i++;
        if (i < len && (text[i] == '+' || text[i] == '-')) i++;
        if (skip_digits(text, len, &i) == 0) return 0;
    }
    return i == len;
}

int digits_decimal(const char *text, size_t len, double *out)
{
    char copy[64];
    if (len >= sizeof(copy) || !is_decimal(text, len)) return -1;
    memcpy(copy, text, len);
    copy[len] = '\0';
    errno = 0;
    double v = strtod(copy, NULL);
    if (errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}
