/* The timeout-that-kills example of docs/toolkit.md and subprocess.h,
 * compiled as written: only cproc/cproc.h is included (SIGKILL comes with
 * cproc/subprocess.h), no <signal.h>. Keep the example and this in step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cproc/cproc.h"

/* ---- the example, verbatim --------------------------------------------- */

static cp_future_t *on_timeout(cp_future_t *status, void *arg)
{
    cp_subprocess_kill(arg, SIGKILL);   /* the check and kill run on the loop */
    return cp_future_ref(status);       /* still the real exit */
}

static cp_future_t *example(cp_subprocess_t *sp, cp_future_t **status)
{
    cp_future_t *st = cp_subprocess_status(sp);
    cp_future_t *done = cp_future_after(st, 5 * CP_NS_PER_SEC, on_timeout,
                                        cp_subprocess_ref(sp),
                                        (cp_free_fn)cp_subprocess_unref);
    *status = st;
    return done;
}

/* ---- the check ------------------------------------------------------------ */

static void test_timeout_example_kills(void **state)
{
    assert_int_equal(cp_runtime_start(NULL), 0);
    cp_clock_pause();
    const char *argv[] = {"sleep", "100", NULL};
    cp_subprocess_options_t o = {.argv = argv};
    cp_subprocess_t *sp;
    assert_int_equal(cp_subprocess_spawn(&o, &sp), 0);
    cp_future_t *st;
    cp_future_t *done = example(sp, &st);
    cp_subprocess_unref(sp);
    cp_clock_advance(5 * CP_NS_PER_SEC);
    CP_AWAIT_READY(done);
    assert_int_equal(((const cp_subprocess_exit_t *)cp_future_value(done))->signal, SIGKILL);
    cp_future_unref(done);
    cp_future_unref(st);
    cp_clock_resume();
    cp_runtime_stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeout_example_kills),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
