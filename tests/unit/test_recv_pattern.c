/* test_recv_pattern.c: receive patterns over a buffer fed in pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "recv_pattern.h"

/* Feed text in pieces of `step` bytes, taking every result; write the
 * results into out as "[piece]" (or "<end>"), and what is left unread
 * after eof as "+rest". */
static void run(struct recv_pattern *p, const char *text, size_t step,
                char *out, size_t outlen)
{
    char buf[256];
    size_t len = 0, fed = 0, total = strlen(text), o = 0;
    struct recv_cut cut;
    out[0] = '\0';
    for (;;) {
        int eof = fed == total;
        while (recv_pattern_cut(p, buf, len, eof, &cut)) {
            if (cut.end) o += (size_t)snprintf(out + o, outlen - o, "<end>");
            else o += (size_t)snprintf(out + o, outlen - o, "[%.*s]",
                                       (int)cut.data, buf);
            memmove(buf, buf + cut.consume, len - cut.consume);
            len -= cut.consume;
            if (p->kind == RECV_ALL) break;
        }
        if (eof) break;
        size_t n = total - fed < step ? total - fed : step;
        memcpy(buf + len, text + fed, n);
        len += n;
        fed += n;
    }
    if (len) snprintf(out + o, outlen - o, "+%.*s", (int)len, buf);
}

struct row {
    enum recv_kind kind;
    size_t size;
    const char *delim;
    int inclusive;
    const char *input;
    const char *want;
};

/* Every row gives the same results whatever the size of the pieces the
 * input arrives in. */
static void test_table(void **state)
{
    (void)state;
    static const struct row rows[] = {
        {RECV_LINE, 0, NULL, 0, "ab\ncd\r\n\nrest", "[ab][cd\r][]+rest"},
        {RECV_SIZE, 3, NULL, 0, "abcdefgh", "[abc][def]+gh"},
        {RECV_ALL, 0, NULL, 0, "everything\nhere", "[everything\nhere]"},
        {RECV_ALL, 0, NULL, 0, "", "[]"},
        {RECV_UNTIL, 0, "--b", 0, "one--btwo--b--bx", "[one][two][]+x"},
        {RECV_UNTIL, 0, "--b", 1, "one--btwo--b", "[one--b][two--b]"},
        {RECV_UNTIL, 0, "aab", 0, "aaaab", "[aa]"},
        {RECV_UNTIL, 0, "\r\n--abcedhb", 0,
         "hello, world -agentzh\r\n--abcedhb", "[hello, world -agentzh]"},
        {RECV_UNTIL, 4, "\r\n--abcedhb", 0,
         "hello, world -agentzh\r\n--abcedhb",
         "[hell][o, w][orld][ -ag][entz][h]<end>"},
        {RECV_UNTIL, 4, "--", 0, "--abcd--", "<end>[abcd]<end>"},
        {RECV_UNTIL, 4, "--", 1, "ab--", "[ab--]<end>"},
        {RECV_UNTIL, 2, "xy", 0, "abxxy", "[ab][x]<end>"},
        {RECV_UNTIL, 0, "zz", 0, "no delimiter z", "+no delimiter z"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (size_t step = 1; step <= strlen(rows[i].input) + 1; step++) {
            struct recv_pattern p;
            char out[512];
            const struct row *r = &rows[i];
            recv_pattern_init(&p, r->kind, r->size, r->delim,
                              r->delim ? strlen(r->delim) : 0, r->inclusive);
            run(&p, r->input, step, out, sizeof(out));
            if (strcmp(out, r->want) != 0)
                fail_msg("row %zu, pieces of %zu: got %s, want %s", i, step,
                         out, r->want);
        }
    }
}

/* Nothing is returned before it is known: n bytes wait for the nth, a
 * line for its "\n", a piece of a size for bytes that cannot begin the
 * delimiter. */
static void test_waits_for_more(void **state)
{
    (void)state;
    struct recv_pattern p;
    struct recv_cut cut;
    recv_pattern_init(&p, RECV_SIZE, 5, NULL, 0, 0);
    assert_int_equal(recv_pattern_cut(&p, "abcd", 4, 0, &cut), 0);
    recv_pattern_init(&p, RECV_LINE, 0, NULL, 0, 0);
    assert_int_equal(recv_pattern_cut(&p, "abcd", 4, 1, &cut), 0);
    recv_pattern_init(&p, RECV_UNTIL, 3, "--x", 3, 0);
    assert_int_equal(recv_pattern_cut(&p, "ab--", 4, 0, &cut), 0);
    assert_int_equal(recv_pattern_cut(&p, "ab--y", 5, 0, &cut), 1);
    assert_int_equal(cut.data, 3);
    assert_int_equal(cut.end, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_waits_for_more),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
