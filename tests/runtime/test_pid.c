/* UPID parsing and formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cproc/error.h"
#include "cproc/pid.h"

static void test_upid_parse_accepts_id_ip_port(void **state)
{
    cp_upid_t u;
    assert_int_equal(cp_upid_parse("pong@127.0.0.1:5050", &u), 0);
    assert_string_equal(u.id, "pong");
    assert_int_equal(u.ip, 0x7f000001u);
    assert_int_equal(u.port, 5050);
    assert_int_equal(u.hint, 0);
}

static void test_upid_parse_accepts_localhost(void **state)
{
    cp_upid_t u;
    assert_int_equal(cp_upid_parse("a@localhost:1", &u), 0);
    assert_int_equal(u.ip, 0x7f000001u);
}

static void test_upid_parse_keeps_special_characters_in_id(void **state)
{
    cp_upid_t u;
    assert_int_equal(cp_upid_parse("id(1) x%20y@10.0.0.2:65535", &u), 0);
    assert_string_equal(u.id, "id(1) x%20y");
    assert_int_equal(u.port, 65535);
}

static void test_upid_parse_rejects_malformed_text(void **state)
{
    static const char *const bad[] = {
        "",           "@1.2.3.4:5",      "noat",          "a@",           "a@1.2.3.4",
        "a@1.2.3.4:", "a@1.2.3:5",       "a@1.2.3.4.5:6", "a@256.0.0.1:1", "a@1.2.3.4:65536",
        "a@1.2.3.4:x", "a@b@1.2.3.4:5",  "a@1..3.4:5",    "a@1.2.3.4:-1", "a@host:5",
        "a@1.2.3.4:5 ", "a@ 1.2.3.4:5",  "a@1.2.3.4:123456",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cp_upid_t u = CP_UPID_NULL;
        int rc = cp_upid_parse(bad[i], &u);
        if (rc != CP_EINVAL)
            fail_msg("\"%s\" parsed with %d", bad[i], rc);
        assert_true(cp_upid_is_null(&u));
    }
    assert_int_equal(cp_upid_parse(NULL, NULL), CP_EINVAL);
}

static void test_upid_parse_rejects_too_long_id(void **state)
{
    char text[CP_UPID_ID_MAX + 32];
    memset(text, 'x', CP_UPID_ID_MAX + 1);
    strcpy(text + CP_UPID_ID_MAX + 1, "@1.2.3.4:5");
    cp_upid_t u;
    assert_int_equal(cp_upid_parse(text, &u), CP_ETOOBIG);
    strcpy(text + CP_UPID_ID_MAX, "@1.2.3.4:5");
    assert_int_equal(cp_upid_parse(text, &u), 0);
    assert_int_equal(strlen(u.id), CP_UPID_ID_MAX);
}

static void test_upid_parse_n_reads_only_len_bytes(void **state)
{
    cp_upid_t u;
    const char *text = "a@1.2.3.4:56789trailing";
    assert_int_equal(cp_upid_parse_n(text, strlen("a@1.2.3.4:56"), &u), 0);
    assert_int_equal(u.port, 56);
    assert_int_equal(cp_upid_parse_n("a@1.2\0.3.4:5", 12, &u), CP_EINVAL);
}

static void test_upid_format_round_trips(void **state)
{
    cp_upid_t u, v;
    char buf[CP_UPID_STRLEN];
    assert_int_equal(cp_upid_make("worker(7)", 0xc0a80001u, 8080, &u), 0);
    int n = cp_upid_format(&u, buf, sizeof buf);
    assert_int_equal(n, (int)strlen("worker(7)@192.168.0.1:8080"));
    assert_string_equal(buf, "worker(7)@192.168.0.1:8080");
    assert_int_equal(cp_upid_parse(buf, &v), 0);
    assert_true(cp_upid_equal(&u, &v));
}

static void test_upid_format_reports_small_buffer(void **state)
{
    cp_upid_t u;
    char buf[8];
    assert_int_equal(cp_upid_make("abcdef", 1, 2, &u), 0);
    assert_int_equal(cp_upid_format(&u, buf, sizeof buf), CP_ETOOBIG);
}

static void test_upid_make_rejects_bad_ids(void **state)
{
    cp_upid_t u;
    char longid[CP_UPID_ID_MAX + 2];
    memset(longid, 'y', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_int_equal(cp_upid_make("", 1, 1, &u), CP_EINVAL);
    assert_int_equal(cp_upid_make("a@b", 1, 1, &u), CP_EINVAL);
    assert_int_equal(cp_upid_make(longid, 1, 1, &u), CP_ETOOBIG);
}

static void test_upid_equal_ignores_hint(void **state)
{
    cp_upid_t a, b;
    cp_upid_make("p", 1, 2, &a);
    b = a;
    b.hint = 99;
    assert_true(cp_upid_equal(&a, &b));
    b.port = 3;
    assert_false(cp_upid_equal(&a, &b));
    assert_true(cp_upid_is_null(&CP_UPID_NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upid_parse_accepts_id_ip_port),
        cmocka_unit_test(test_upid_parse_accepts_localhost),
        cmocka_unit_test(test_upid_parse_keeps_special_characters_in_id),
        cmocka_unit_test(test_upid_parse_rejects_malformed_text),
        cmocka_unit_test(test_upid_parse_rejects_too_long_id),
        cmocka_unit_test(test_upid_parse_n_reads_only_len_bytes),
        cmocka_unit_test(test_upid_format_round_trips),
        cmocka_unit_test(test_upid_format_reports_small_buffer),
        cmocka_unit_test(test_upid_make_rejects_bad_ids),
        cmocka_unit_test(test_upid_equal_ignores_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
