/* cproc — child processes (libprocess's process::subprocess) on libuv's
 * process API.
 *
 * cp_subprocess_spawn() starts a program, given as an argv vector (argv[0]
 * is looked up in PATH) or as a shell command line (`/bin/sh -c`), with an
 * optional environment and working directory. Each of stdin, stdout and
 * stderr is one of:
 * - CP_IO_INHERIT: the parent's own descriptor (the default, all zeros);
 * - CP_IO_PIPE: a cp_pipe (pipe.h): stdin is a pipe writer the caller writes
 *   to (freeing or closing it gives the child end of file); stdout/stderr
 *   are pipe readers the caller reads from (end of file when the child
 *   closes its end). The child's output pipes are bounded (`pipe_bound`,
 *   0 meaning 1 MiB): when the caller does not read, the runtime stops
 *   reading from the child, which then blocks on its writes.
 * - CP_IO_PATH: a file opened for the child: stdin read-only, stdout/stderr
 *   write-only, created (mode 0644) and appended to (as libprocess's PATH);
 * - CP_IO_FD: a descriptor of the caller's, duplicated into the child (the
 *   caller keeps it and closes it when it wants).
 *
 * The future of the exit (cp_subprocess_status()) is READY with a
 * cp_subprocess_exit_t once the child has ended and been reaped; it never
 * fails after a successful spawn. The runtime reaps every child it spawned,
 * whether or not anybody holds the handle or the future: no zombie is left.
 * At cp_runtime_stop(), children still running are killed (SIGKILL) and
 * reaped, their futures completed with that exit, their pipes failed with
 * "runtime stopped".
 *
 * A timeout that kills (libprocess: `s.status().after(secs, kill)`): keep a
 * reference for the timer and kill in the after() step:
 *
 *     static cp_future_t *on_timeout(cp_future_t *status, void *arg) {
 *         cp_subprocess_kill(arg, SIGKILL);
 *         return cp_future_ref(status);           // still the real exit
 *     }
 *     cp_future_t *st = cp_subprocess_status(sp);
 *     cp_future_t *done = cp_future_after(st, 5 * CP_NS_PER_SEC, on_timeout,
 *                                         cp_subprocess_ref(sp),
 *                                         (cp_free_fn)cp_subprocess_unref);
 *
 * Ownership: cp_subprocess_spawn() returns a handle with one reference;
 * cp_subprocess_ref/unref count more. The pipe ends returned by the
 * accessors are borrowed from the handle: valid until its last reference
 * goes, which frees them (closing them: the child sees EOF on stdin, and
 * SIGPIPE/EPIPE when it writes more output: CP_IO_PIPE makes real pipes,
 * not socketpairs, so a child that keeps the default SIGPIPE action dies of
 * SIGPIPE, as under a shell). Strings in the options are
 * borrowed for the call only.
 *
 * Threads: every function is thread-safe. Spawning runs on the runtime's
 * event-loop thread; cp_subprocess_spawn() waits for it (a fork and exec),
 * so call it from a process sparingly. The exit future is completed on the
 * event-loop thread: defer work from its callbacks (dispatch.h). Needs the
 * runtime to be started.
 */
#ifndef CPROC_SUBPROCESS_H
#define CPROC_SUBPROCESS_H

#include <signal.h> /* SIGKILL, SIGTERM... for cp_subprocess_kill() */
#include <stddef.h>

#include "cproc/future.h"
#include "cproc/pipe.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_subprocess cp_subprocess_t;

typedef enum cp_io_kind {
    CP_IO_INHERIT = 0,
    CP_IO_PIPE,
    CP_IO_PATH,
    CP_IO_FD,
} cp_io_kind_t;

typedef struct cp_subprocess_io {
    cp_io_kind_t kind;
    const char *path; /* CP_IO_PATH */
    int fd;           /* CP_IO_FD */
} cp_subprocess_io_t;

typedef struct cp_subprocess_options {
    /* Exactly one of argv (NULL-terminated, argv[0] the program, looked up
     * in PATH when it has no '/') and shell (run as /bin/sh -c shell). */
    const char *const *argv;
    const char *shell;
    /* "NAME=value" strings, NULL-terminated; NULL inherits the parent's. */
    const char *const *env;
    /* Working directory; NULL keeps the parent's. */
    const char *cwd;
    cp_subprocess_io_t in, out, err;
    /* Bound of the stdout/stderr pipes in bytes; 0 means 1 MiB. */
    size_t pipe_bound;
} cp_subprocess_options_t;

/* The value of the exit future. */
typedef struct cp_subprocess_exit {
    int exit_code; /* the code passed to exit(), when signal is 0 */
    int signal;    /* the signal that ended the child, else 0 */
} cp_subprocess_exit_t;

/* Starts a child as `opts` says and writes its handle to *out. Returns 0;
 * CP_EINVAL (no or both of argv/shell, empty argv, a bad io kind, a NULL
 * path, a negative fd); CP_ENOENT (no such program, cwd or stdin file);
 * CP_EIO (another spawn, open or pipe failure: the only one logged, at
 * warn, with its reason, since the code does not say it); CP_ENOMEM;
 * CP_ESTATE (runtime not running). On error nothing is left behind. */
int cp_subprocess_spawn(const cp_subprocess_options_t *opts, cp_subprocess_t **out);

/* Adds a reference and returns s. */
cp_subprocess_t *cp_subprocess_ref(cp_subprocess_t *s);

/* Drops a reference (NULL is ignored); the last frees the handle and its
 * pipe ends. The child goes on running and is still reaped when it ends. */
void cp_subprocess_unref(cp_subprocess_t *s);

/* The child's process id. */
int cp_subprocess_pid(const cp_subprocess_t *s);

/* A new reference to the exit future (value: cp_subprocess_exit_t *). */
cp_future_t *cp_subprocess_status(cp_subprocess_t *s);

/* The caller's pipe ends (borrowed, see Ownership); NULL unless that
 * stream is CP_IO_PIPE. */
cp_pipe_writer_t *cp_subprocess_stdin(cp_subprocess_t *s);
cp_pipe_reader_t *cp_subprocess_stdout(cp_subprocess_t *s);
cp_pipe_reader_t *cp_subprocess_stderr(cp_subprocess_t *s);

/* Sends `signum` to the child if it has not ended yet (the check and the
 * kill run on the event-loop thread, so a reaped child's pid is never
 * signalled). Returns 0 (also when it had already ended), CP_EINVAL (bad
 * signal number), CP_ENOMEM or CP_ESTATE (runtime stopping). */
int cp_subprocess_kill(cp_subprocess_t *s, int signum);

#ifdef __cplusplus
}
#endif

#endif
