/* cp_subprocess: argv and shell, env, cwd, every stdio kind, exit status,
 * kill, the timeout-that-kills pattern, and no zombie in any case. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cproc/cproc.h"

static int start(void **state)
{
    return cp_runtime_start(NULL);
}

static int stop(void **state)
{
    cp_runtime_stop();
    return 0;
}

static const cp_subprocess_exit_t *await_exit(cp_subprocess_t *sp, cp_future_t **keep)
{
    cp_future_t *f = cp_subprocess_status(sp);
    CP_AWAIT_READY(f);
    *keep = f;
    return cp_future_value(f);
}

/* Reads a pipe to its end into a malloc'd string. */
static char *read_all(cp_pipe_reader_t *r, size_t *len_out)
{
    size_t len = 0;
    char *out = malloc(1);
    for (;;) {
        cp_future_t *f = cp_pipe_read(r);
        CP_AWAIT_READY(f);
        const cp_pipe_data_t *d = cp_future_value(f);
        if (d->len == 0) {
            cp_future_unref(f);
            break;
        }
        out = realloc(out, len + d->len + 1);
        memcpy(out + len, d->bytes, d->len);
        len += d->len;
        cp_future_unref(f);
    }
    out[len] = 0;
    if (len_out)
        *len_out = len;
    return out;
}

/* True once no process `pid` exists any more (reaped), polled with a bound. */
static bool gone(int pid)
{
    for (int i = 0; i < 15000; i++) {
        if (kill(pid, 0) != 0 && errno == ESRCH)
            return true;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    return false;
}

static void test_argv_with_stdout_pipe(void **state)
{
    const char *argv[] = {"echo", "hello", "world", NULL};
    cp_subprocess_options_t o = {.argv = argv, .out = {.kind = CP_IO_PIPE}};
    cp_subprocess_t *sp;
    assert_int_equal(cp_subprocess_spawn(&o, &sp), 0);
    assert_true(cp_subprocess_pid(sp) > 0);
    assert_null(cp_subprocess_stdin(sp));
    assert_null(cp_subprocess_stderr(sp));
    char *text = read_all(cp_subprocess_stdout(sp), NULL);
    assert_string_equal(text, "hello world\n");
    free(text);
    cp_future_t *f;
    const cp_subprocess_exit_t *e = await_exit(sp, &f);
    assert_int_equal(e->exit_code, 0);
    assert_int_equal(e->signal, 0);
    cp_future_unref(f);
    cp_subprocess_unref(sp);
}

static void test_shell_exit_code_env_and_cwd(void **state)
{
    const char *env[] = {"GREETING=bonjour", NULL};
    cp_subprocess_options_t o = {
        .shell = "printf '%s:%s' \"$GREETING\" \"$(pwd)\" >&2; exit 3",
        .env = env,
        .cwd = "/",
        .err = {.kind = CP_IO_PIPE},
    };
    cp_subprocess_t *sp;
    assert_int_equal(cp_subprocess_spawn(&o, &sp), 0);
    char *text = read_all(cp_subprocess_stderr(sp), NULL);
    assert_string_equal(text, "bonjour:/");
    free(text);
    cp_future_t *f;
    assert_int_equal(await_exit(sp, &f)->exit_code, 3);
    cp_future_unref(f);
    cp_subprocess_unref(sp);
}

static void test_stdin_pipe_reaches_the_child(void **state)
{
    const char *argv[] = {"cat", NULL};
    cp_subprocess_options_t o = {.argv = argv, .in = {.kind = CP_IO_PIPE},
                                 .out = {.kind = CP_IO_PIPE}};
    cp_subprocess_t *sp;
    assert_int_equal(cp_subprocess_spawn(&o, &sp), 0);
    cp_pipe_writer_t *in = cp_subprocess_stdin(sp);
    for (int i = 0; i < 3; i++) {
        cp_future_t *w = cp_pipe_write(in, "abc", 3);
        CP_AWAIT_READY(w);
        cp_future_unref(w);
    }
    assert_int_equal(cp_pipe_writer_close(in), 0); /* the child sees EOF */
    char *text = read_all(cp_subprocess_stdout(sp), NULL);
    assert_string_equal(text, "abcabcabc");
    free(text);
    cp_future_t *f;
    assert_int_equal(await_exit(sp, &f)->exit_code, 0);
    cp_future_unref(f);
    cp_subprocess_unref(sp);
}

static void test_path_and_fd(void **state)
{
    char in_path[] = "/tmp/cproc-sp-in-XXXXXX";
    char out_path[] = "/tmp/cproc-sp-out-XXXXXX";
    int in_fd = mkstemp(in_path), out_fd = mkstemp(out_path);
    assert_true(in_fd >= 0 && out_fd >= 0);
    assert_int_equal(write(in_fd, "from a file\n", 12), 12);
    close(in_fd);
    close(out_fd);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    cp_subprocess_options_t o = {
        .shell = "cat; echo to-fd >&2",
        .in = {.kind = CP_IO_PATH, .path = in_path},
        .out = {.kind = CP_IO_PATH, .path = out_path},
        .err = {.kind = CP_IO_FD, .fd = fds[1]},
    };
    cp_subprocess_t *sp;
    assert_int_equal(cp_subprocess_spawn(&o, &sp), 0);
    close(fds[1]); /* the child has its copy */
    cp_future_t *f;
    assert_int_equal(await_exit(sp, &f)->exit_code, 0);
    cp_future_unref(f);
    char buf[64] = {0};
    assert_int_equal(read(fds[0], buf, sizeof buf - 1), 6);
    assert_string_equal(buf, "to-fd\n");
    close(fds[0]);
    FILE *fp = fopen(out_path, "r");
    memset(buf, 0, sizeof buf);
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    assert_string_equal(buf, "from a file\n");
    unlink(in_path);
    unlink(out_path);
    cp_subprocess_unref(sp);
}

static void test_bad_spawns_are_refused(void **state)
{
    cp_subprocess_t *sp = NULL;
    const char *missing[] = {"/nonexistent/cproc-no-such-program", NULL};
    cp_subprocess_options_t o = {.argv = missing, .out = {.kind = CP_IO_PIPE}};
    assert_int_equal(cp_subprocess_spawn(&o, &sp), CP_ENOENT);
    assert_null(sp);
    const char *tru[] = {"true", NULL};
    cp_subprocess_options_t cwd = {.argv = tru, .cwd = "/nonexistent/cproc-dir"};
    assert_int_equal(cp_subprocess_spawn(&cwd, &sp), CP_ENOENT);
    cp_subprocess_options_t nofile = {.argv = tru,
                                      .in = {.kind = CP_IO_PATH, .path = "/nonexistent/x"}};
    assert_int_equal(cp_subprocess_spawn(&nofile, &sp), CP_ENOENT);
    cp_subprocess_options_t both = {.argv = tru, .shell = "true"};
    assert_int_equal(cp_subprocess_spawn(&both, &sp), CP_EINVAL);
    cp_subprocess_options_t none = {0};
    assert_int_equal(cp_subprocess_spawn(&none, &sp), CP_EINVAL);
    cp_subprocess_options_t badfd = {.argv = tru, .out = {.kind = CP_IO_FD, .fd = -1}};
    assert_int_equal(cp_subprocess_spawn(&badfd, &sp), CP_EINVAL);
    cp_subprocess_options_t badkind = {.argv = tru, .out = {.kind = (cp_io_kind_t)42}};
    assert_int_equal(cp_subprocess_spawn(&badkind, &sp), CP_EINVAL);
    assert_int_equal(cp_subprocess_spawn(NULL, &sp), CP_EINVAL);
    assert_null(sp);
}

static void test_kill_gives_the_signal(void **state)
{
    const char *argv[] = {"sleep", "100", NULL};
    cp_subprocess_options_t o = {.argv = argv};
    cp_subprocess_t *sp;
    assert_int_equal(cp_subprocess_spawn(&o, &sp), 0);
    assert_int_equal(cp_subprocess_kill(sp, 0), CP_EINVAL);
    assert_int_equal(cp_subprocess_kill(sp, SIGTERM), 0);
    cp_future_t *f;
    const cp_subprocess_exit_t *e = await_exit(sp, &f);
    assert_int_equal(e->signal, SIGTERM);
    assert_int_equal(cp_subprocess_kill(sp, SIGTERM), 0); /* ended: no effect */
    cp_future_unref(f);
    cp_subprocess_unref(sp);
}

static cp_future_t *on_timeout(cp_future_t *status, void *arg)
{
    cp_subprocess_kill(arg, SIGKILL);
    return cp_future_ref(status);
}

static void test_timeout_kills(void **state)
{
    cp_clock_pause();
    const char *argv[] = {"sleep", "100", NULL};
    cp_subprocess_options_t o = {.argv = argv};
    cp_subprocess_t *sp;
    assert_int_equal(cp_subprocess_spawn(&o, &sp), 0);
    cp_future_t *st = cp_subprocess_status(sp);
    cp_future_t *done = cp_future_after(st, 5 * CP_NS_PER_SEC, on_timeout, cp_subprocess_ref(sp),
                                        (cp_free_fn)cp_subprocess_unref);
    cp_subprocess_unref(sp); /* the timer keeps its own reference */
    assert_true(cp_future_is_pending(done));
    cp_clock_advance(5 * CP_NS_PER_SEC);
    CP_AWAIT_READY(done);
    const cp_subprocess_exit_t *e = cp_future_value(done);
    assert_int_equal(e->signal, SIGKILL);
    cp_future_unref(done);
    cp_future_unref(st);
    cp_clock_resume();
}

static void test_dropped_handle_leaves_no_zombie(void **state)
{
    const char *argv[] = {"true", NULL};
    cp_subprocess_options_t o = {.argv = argv, .out = {.kind = CP_IO_PIPE}};
    cp_subprocess_t *sp;
    assert_int_equal(cp_subprocess_spawn(&o, &sp), 0);
    int pid = cp_subprocess_pid(sp);
    cp_subprocess_unref(sp); /* nobody waits for it */
    assert_true(gone(pid));
}

static void test_unread_output_then_drop_ends_the_child(void **state)
{
    /* `yes` writes forever; the bounded pipe stops reading from it; dropping
     * the handle closes our end of a real pipe: the child dies of SIGPIPE
     * (a socketpair would give it ECONNRESET and exit 1) and is reaped. */
    const char *argv[] = {"yes", NULL};
    cp_subprocess_options_t o = {.argv = argv, .out = {.kind = CP_IO_PIPE}, .pipe_bound = 4096};
    cp_subprocess_t *sp;
    assert_int_equal(cp_subprocess_spawn(&o, &sp), 0);
    cp_future_t *first = cp_pipe_read(cp_subprocess_stdout(sp));
    CP_AWAIT_READY(first);
    assert_int_equal(((const cp_pipe_data_t *)cp_future_value(first))->bytes[0], 'y');
    cp_future_unref(first);
    int pid = cp_subprocess_pid(sp);
    cp_future_t *f = cp_subprocess_status(sp);
    cp_subprocess_unref(sp);
    CP_AWAIT_READY(f);
    const cp_subprocess_exit_t *e = cp_future_value(f);
    assert_int_equal(e->signal, SIGPIPE);
    cp_future_unref(f);
    assert_true(gone(pid));
}

static void test_large_output_through_a_small_bound(void **state)
{
    cp_subprocess_options_t o = {.shell = "head -c 1000000 /dev/zero",
                                 .out = {.kind = CP_IO_PIPE}, .pipe_bound = 4096};
    cp_subprocess_t *sp;
    assert_int_equal(cp_subprocess_spawn(&o, &sp), 0);
    size_t len;
    free(read_all(cp_subprocess_stdout(sp), &len));
    assert_int_equal(len, 1000000);
    cp_future_t *f;
    assert_int_equal(await_exit(sp, &f)->exit_code, 0);
    cp_future_unref(f);
    cp_subprocess_unref(sp);
}

static void test_runtime_stop_kills_and_reaps(void **state)
{
    const char *argv[] = {"sleep", "100", NULL};
    cp_subprocess_options_t o = {.argv = argv, .out = {.kind = CP_IO_PIPE},
                                 .in = {.kind = CP_IO_PIPE}};
    cp_subprocess_t *sp;
    assert_int_equal(cp_subprocess_spawn(&o, &sp), 0);
    int pid = cp_subprocess_pid(sp);
    cp_future_t *f = cp_subprocess_status(sp);
    cp_future_t *r = cp_pipe_read(cp_subprocess_stdout(sp));
    cp_runtime_stop();
    assert_true(cp_future_is_ready(f));
    assert_int_equal(((const cp_subprocess_exit_t *)cp_future_value(f))->signal, SIGKILL);
    assert_true(cp_future_is_failed(r));
    assert_string_equal(cp_future_failure(r), "runtime stopped");
    assert_true(gone(pid));
    cp_future_unref(r);
    cp_future_unref(f);
    cp_subprocess_unref(sp);
    assert_int_equal(cp_runtime_start(NULL), 0); /* for the teardown */
    assert_int_equal(cp_subprocess_spawn(&o, &sp), 0);
    cp_subprocess_unref(sp); /* dropped and still running at stop */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, start, stop)
    const struct CMUnitTest tests[] = {
        T(test_argv_with_stdout_pipe),
        T(test_shell_exit_code_env_and_cwd),
        T(test_stdin_pipe_reaches_the_child),
        T(test_path_and_fd),
        T(test_bad_spawns_are_refused),
        T(test_kill_gives_the_signal),
        T(test_timeout_kills),
        T(test_dropped_handle_leaves_no_zombie),
        T(test_unread_output_then_drop_ends_the_child),
        T(test_large_output_through_a_small_bound),
        T(test_runtime_stop_kills_and_reaps),
    };
    cp_subprocess_options_t o = {0};
    assert_int_equal(cp_subprocess_spawn(&o, NULL), CP_EINVAL);
    const char *tru[] = {"true", NULL};
    cp_subprocess_options_t early = {.argv = tru};
    cp_subprocess_t *sp = NULL;
    assert_int_equal(cp_subprocess_spawn(&early, &sp), CP_ESTATE); /* runtime not started */
    assert_null(sp);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
