/* digits.h: decimal numbers in text, for settings, flags, ports and
 * prefixes. Decimal only: no hex ("0x7d01"), no octal reading of a leading
 * 0, no "inf" or "nan", no blanks; the caller names the setting or field
 * in its own error message. */
#ifndef TINE_DIGITS_H
#define TINE_DIGITS_H

#include <stddef.h>

/* The len bytes at text as a whole number of at most max: digits only, no
 * sign. Returns 0 with *out set, or -1 (empty, another byte, or above
 * max). */
int digits_whole(const char *text, size_t len, unsigned long max,
                 unsigned long *out);

/* The len bytes at text as a decimal number: an optional sign, digits with
 * an optional fraction (at least one digit in all), an optional exponent
 * ("1e3"). Returns 0 with *out set (finite), or -1. */
int digits_decimal(const char *text, size_t len, double *out);

#endif
