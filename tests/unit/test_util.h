/* test_util.h: assertions shared by the unit tests (after cmocka.h). */
#ifndef TINE_TEST_UTIL_H
#define TINE_TEST_UTIL_H

#include <string.h>

/* Fail unless `hay` contains `needle`, showing both. */
#define assert_contains(hay, needle)                                        \
    do {                                                                    \
        const char *hay_ = (hay), *needle_ = (needle);                      \
        if (!strstr(hay_, needle_))                                         \
            fail_msg("\"%s\" does not contain \"%s\"", hay_, needle_);      \
    } while (0)

#endif
