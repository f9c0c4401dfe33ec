/* process::subprocess in C on libuv's process API.
 *
 * Everything that touches libuv runs on the event-loop thread: the spawn
 * (the caller waits for it), the pumps between the child's pipes and the
 * cproc pipes, kill, and the exit callback that reaps the child. The handle
 * the user holds (user_refs) only owns the user's pipe ends; the memory is
 * counted separately (refs): one for the user, one for each libuv handle
 * until its close callback, one for each callback in flight. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "async/async_internal.h"
#include "core/node.h"
#include "cproc/error.h"
#include "cproc/log.h"
#include "cproc/runtime.h"
#include "cproc/subprocess.h"

#define READ_BUF (64 * 1024)
#define DEFAULT_BOUND (1024 * 1024)

typedef struct stream {
    uv_pipe_t pipe;
    cp_subprocess_t *sp;
    const char *name; /* "stdin", "stdout", "stderr" */
    bool used;        /* CP_IO_PIPE */
    bool open;        /* the uv handle is open (loop thread) */
    cp_pipe_writer_t *w; /* stdout/stderr: the loop writes the child's output */
    cp_pipe_reader_t *r; /* stdin: the loop reads what the user wrote */
    cp_future_t *chunk;  /* stdin: the chunk being written */
    uv_write_t wreq;
    char *buf; /* stdout/stderr: READ_BUF bytes */
} stream_t;

struct cp_subprocess {
    atomic_uint refs;
    atomic_uint user_refs;
    uv_process_t proc;
    int pid;
    bool exited; /* loop thread */
    cp_promise_t *status;
    cp_pipe_writer_t *user_in;
    cp_pipe_reader_t *user_out, *user_err;
    stream_t io[3];
};

static void sp_hold(cp_subprocess_t *s)
{
    atomic_fetch_add(&s->refs, 1);
}

static void sp_drop(cp_subprocess_t *s)
{
    if (atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    for (int i = 0; i < 3; i++) {
        cp_pipe_writer_free(s->io[i].w);
        cp_pipe_reader_free(s->io[i].r);
        free(s->io[i].buf);
    }
    cp_promise_free(s->status);
    free(s);
}

/* ---- closing ----------------------------------------------------------- */

static void stream_closed(uv_handle_t *h)
{
    stream_t *st = h->data;
    cp_subprocess_t *s = st->sp;
    cp_pipe_writer_free(st->w);
    st->w = NULL;
    cp_pipe_reader_free(st->r);
    st->r = NULL;
    sp_drop(s);
}

static void stream_close(stream_t *st)
{
    if (!st->open)
        return;
    st->open = false;
    uv_close((uv_handle_t *)&st->pipe, stream_closed);
}

static void proc_closed(uv_handle_t *h)
{
    sp_drop(h->data);
}

static void complete(cp_subprocess_t *s, int code, int sig)
{
    s->exited = true;
    cp_subprocess_exit_t *e = malloc(sizeof *e);
    if (!e) {
        cp_promise_fail(s->status, "out of memory");
        return;
    }
    e->exit_code = code;
    e->signal = sig;
    if (cp_promise_set(s->status, e) != 0)
        free(e);
}

static void on_exit_cb(uv_process_t *p, int64_t exit_status, int term_signal)
{
    cp_subprocess_t *s = p->data;
    complete(s, (int)exit_status, term_signal);
    uv_close((uv_handle_t *)p, proc_closed);
}

/* ---- stdout / stderr: child → cproc pipe ------------------------------- */

static void out_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    stream_t *st = h->data;
    *b = uv_buf_init(st->buf, READ_BUF);
}

static void out_read(uv_stream_t *h, ssize_t n, const uv_buf_t *b);

static void out_resume(void *arg)
{
    stream_t *st = arg;
    if (st->open) {
        if (cp_pipe_reader_closed(st->w))
            stream_close(st);
        else if (uv_read_start((uv_stream_t *)&st->pipe, out_alloc, out_read) != 0)
            stream_close(st);
    }
    sp_drop(st->sp);
}

static void out_room(cp_future_t *f, void *arg)
{
    stream_t *st = arg;
    if (cp__loop_post(out_resume, st) != 0)
        sp_drop(st->sp); /* stopping: the shutdown closes the stream */
}

static void out_read(uv_stream_t *h, ssize_t n, const uv_buf_t *b)
{
    stream_t *st = h->data;
    if (n > 0) {
        cp_future_t *f = cp_pipe_write(st->w, b->base, (size_t)n);
        if (!f) {
            cp_pipe_writer_fail(st->w, "out of memory");
            stream_close(st);
        } else if (cp_future_is_failed(f)) {
            stream_close(st); /* the user closed the read end */
        } else if (cp_future_is_pending(f)) {
            /* Backpressure: read more once the user has taken enough. */
            uv_read_stop(h);
            sp_hold(st->sp);
            cp_future_on_any(f, out_room, st, NULL);
        }
        cp_future_unref(f);
        return;
    }
    if (n == 0)
        return;
    if (n == UV_EOF)
        cp_pipe_writer_close(st->w);
    else
        cp_pipe_writer_fail(st->w, "reading the child's %s: %s", st->name, uv_strerror((int)n));
    stream_close(st);
}

/* ---- stdin: cproc pipe → child ----------------------------------------- */

static void in_next(stream_t *st);

static void drain_sigpipe(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&set, NULL, &zero) > 0)
        ;
}

static void in_written(uv_write_t *req, int status)
{
    stream_t *st = req->data;
    cp_future_unref(st->chunk);
    st->chunk = NULL;
    if (status < 0) {
        if (status == UV_EPIPE)
            drain_sigpipe();
        cp_pipe_reader_close(st->r); /* the user's writes now fail */
        stream_close(st);
    } else if (st->open) {
        in_next(st);
    }
    sp_drop(st->sp);
}

static void in_write(void *arg)
{
    stream_t *st = arg;
    cp_future_t *f = st->chunk;
    const cp_pipe_data_t *d = cp_future_is_ready(f) ? cp_future_value(f) : NULL;
    if (st->open && d && d->len > 0) {
        uv_buf_t b = uv_buf_init((char *)d->bytes, (unsigned)d->len);
        st->wreq.data = st;
        /* The write's own reference on sp replaces the post's. */
        if (uv_write(&st->wreq, (uv_stream_t *)&st->pipe, &b, 1, in_written) == 0)
            return;
        cp_pipe_reader_close(st->r);
    }
    /* End of file, the user's failure, or a write error: the child sees EOF. */
    cp_future_unref(f);
    st->chunk = NULL;
    stream_close(st);
    sp_drop(st->sp);
}

static void in_ready(cp_future_t *f, void *arg)
{
    stream_t *st = arg;
    st->chunk = cp_future_ref(f);
    if (cp__loop_post(in_write, st) != 0) {
        cp_future_unref(st->chunk);
        st->chunk = NULL;
        sp_drop(st->sp);
    }
}

static void in_next(stream_t *st)
{
    cp_future_t *f = cp_pipe_read(st->r);
    if (!f) {
        stream_close(st);
        return;
    }
    sp_hold(st->sp);
    cp_future_on_any(f, in_ready, st, NULL);
    cp_future_unref(f);
}

/* ---- spawning ---------------------------------------------------------- */

typedef struct spawn_req {
    const cp_subprocess_options_t *opts;
    cp_subprocess_t *sp;
    int rc;
    bool done;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} spawn_req_t;

static int map_uv(int e)
{
    switch (e) {
    case UV_ENOENT:
    case UV_ENOTDIR:
        return CP_ENOENT;
    case UV_ENOMEM:
        return CP_ENOMEM;
    default:
        return CP_EIO;
    }
}

static void block_sigpipe(void)
{
    /* Writes to a child's stdin must report EPIPE, not kill the program:
     * SIGPIPE stays blocked on the loop thread (libuv resets the mask in
     * the child before exec). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int do_spawn(const cp_subprocess_options_t *o, cp_subprocess_t *s)
{
    uv_loop_t *loop = cp__loop();
    block_sigpipe();
    const char *shell_argv[] = {"/bin/sh", "-c", o->shell, NULL};
    const char *const *argv = o->shell ? shell_argv : o->argv;
    const cp_subprocess_io_t *ios[3] = {&o->in, &o->out, &o->err};
    uv_stdio_container_t stdio[3];
    int opened[3] = {-1, -1, -1}; /* files and the child's pipe ends */
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        stream_t *st = &s->io[i];
        switch (ios[i]->kind) {
        case CP_IO_INHERIT:
            stdio[i].flags = UV_INHERIT_FD;
            stdio[i].data.fd = i;
            break;
        case CP_IO_FD:
            stdio[i].flags = UV_INHERIT_FD;
            stdio[i].data.fd = ios[i]->fd;
            break;
        case CP_IO_PATH: {
            int flags = i == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_APPEND;
            opened[i] = open(ios[i]->path, flags | O_CLOEXEC, 0644);
            if (opened[i] < 0) {
                int err = errno;
                rc = err == ENOENT || err == ENOTDIR ? CP_ENOENT : err == ENOMEM ? CP_ENOMEM : CP_EIO;
                /* Only CP_EIO hides its reason from the caller. */
                if (rc == CP_EIO)
                    cp_log(CP_LOG_WARN, "subprocess: cannot open %s for %s: %s", ios[i]->path,
                           st->name, uv_strerror(uv_translate_sys_error(err)));
                stdio[i].flags = UV_IGNORE;
                break;
            }
            stdio[i].flags = UV_INHERIT_FD;
            stdio[i].data.fd = opened[i];
            break;
        }
        case CP_IO_PIPE: {
            /* A real pipe, not libuv's UV_CREATE_PIPE (a socketpair): a
             * child writing to a closed pipe gets SIGPIPE/EPIPE, as a
             * shell's child does, not ECONNRESET. The child's end is
             * inherited (its O_CLOEXEC original closes at exec), the
             * parent's end, non-blocking, goes to a libuv pipe handle. */
            uv_file fds[2];
            int e = uv_pipe(fds, i == 0 ? 0 : UV_NONBLOCK_PIPE, i == 0 ? UV_NONBLOCK_PIPE : 0);
            if (e != 0) {
                rc = e == UV_ENOMEM ? CP_ENOMEM : CP_EIO;
                if (rc == CP_EIO)
                    cp_log(CP_LOG_WARN, "subprocess: cannot make a pipe for %s: %s", st->name,
                           uv_strerror(e));
                stdio[i].flags = UV_IGNORE;
                break;
            }
            int mine = i == 0 ? fds[1] : fds[0];
            opened[i] = i == 0 ? fds[0] : fds[1];
            uv_pipe_init(loop, &st->pipe, 0);
            st->pipe.data = st;
            st->open = true;
            sp_hold(s);
            if ((e = uv_pipe_open(&st->pipe, mine)) != 0) {
                close(mine);
                rc = CP_EIO;
                cp_log(CP_LOG_WARN, "subprocess: cannot open a pipe for %s: %s", st->name,
                       uv_strerror(e));
                stdio[i].flags = UV_IGNORE;
                break;
            }
            stdio[i].flags = UV_INHERIT_FD;
            stdio[i].data.fd = opened[i];
            break;
        }
        }
    }
    if (rc == 0) {
        uv_process_options_t po;
        memset(&po, 0, sizeof po);
        po.exit_cb = on_exit_cb;
        po.file = argv[0];
        po.args = (char **)argv;
        po.env = (char **)o->env;
        po.cwd = o->cwd;
        po.stdio_count = 3;
        po.stdio = stdio;
        s->proc.data = s;
        int e = uv_spawn(loop, &s->proc, &po);
        sp_hold(s); /* the process handle's, released in proc_closed */
        if (e != 0) {
            rc = map_uv(e);
            /* Only CP_EIO hides its reason from the caller. */
            if (rc == CP_EIO)
                cp_log(CP_LOG_WARN, "subprocess: cannot spawn %s%s%s: %s", argv[0],
                       o->cwd ? " in " : "", o->cwd ? o->cwd : "", uv_strerror(e));
            s->exited = true;
            uv_close((uv_handle_t *)&s->proc, proc_closed);
        } else {
            s->pid = s->proc.pid;
        }
    }
    for (int i = 0; i < 3; i++)
        if (opened[i] >= 0)
            close(opened[i]);
    for (int i = 0; i < 3; i++) {
        stream_t *st = &s->io[i];
        if (!st->open)
            continue;
        if (rc != 0) {
            stream_close(st);
        } else if (i == 0) {
            in_next(st);
        } else if (uv_read_start((uv_stream_t *)&st->pipe, out_alloc, out_read) != 0) {
            cp_pipe_writer_fail(st->w, "cannot read the child's %s", st->name);
            stream_close(st);
        }
    }
    return rc;
}

static void spawn_on_loop(void *arg)
{
    spawn_req_t *r = arg;
    int rc = do_spawn(r->opts, r->sp);
    pthread_mutex_lock(&r->mu);
    r->rc = rc;
    r->done = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static int check_options(const cp_subprocess_options_t *o)
{
    if (!o || (!o->argv == !o->shell))
        return CP_EINVAL;
    if (o->argv && (!o->argv[0] || !o->argv[0][0]))
        return CP_EINVAL;
    const cp_subprocess_io_t *ios[3] = {&o->in, &o->out, &o->err};
    for (int i = 0; i < 3; i++) {
        switch (ios[i]->kind) {
        case CP_IO_INHERIT:
        case CP_IO_PIPE:
            break;
        case CP_IO_PATH:
            if (!ios[i]->path)
                return CP_EINVAL;
            break;
        case CP_IO_FD:
            if (ios[i]->fd < 0)
                return CP_EINVAL;
            break;
        default:
            return CP_EINVAL;
        }
    }
    return 0;
}

int cp_subprocess_spawn(const cp_subprocess_options_t *opts, cp_subprocess_t **out)
{
    int rc = check_options(opts);
    if (rc || !out)
        return rc ? rc : CP_EINVAL;
    if (!cp_runtime_running())
        return CP_ESTATE; /* no loop thread to spawn on */
    cp_subprocess_t *s = calloc(1, sizeof *s);
    if (!s)
        return CP_ENOMEM;
    atomic_init(&s->refs, 1);
    atomic_init(&s->user_refs, 1);
    static const char *const names[3] = {"stdin", "stdout", "stderr"};
    const cp_subprocess_io_t *ios[3] = {&opts->in, &opts->out, &opts->err};
    size_t bound = opts->pipe_bound ? opts->pipe_bound : DEFAULT_BOUND;
    s->status = cp_promise_new(free);
    rc = s->status ? 0 : CP_ENOMEM;
    for (int i = 0; i < 3; i++) {
        stream_t *st = &s->io[i];
        st->sp = s;
        st->name = names[i];
        if (rc || ios[i]->kind != CP_IO_PIPE)
            continue;
        st->used = true;
        if (i == 0) {
            rc = cp_pipe_new(bound, &st->r, &s->user_in);
        } else {
            rc = cp_pipe_new(bound, i == 1 ? &s->user_out : &s->user_err, &st->w);
            if (!rc && !(st->buf = malloc(READ_BUF)))
                rc = CP_ENOMEM;
        }
    }
    if (rc == 0) {
        spawn_req_t req = {.opts = opts, .sp = s, .mu = PTHREAD_MUTEX_INITIALIZER,
                           .cv = PTHREAD_COND_INITIALIZER};
        if (cp__on_loop_thread()) {
            req.rc = do_spawn(opts, s);
        } else if ((rc = cp__loop_post(spawn_on_loop, &req)) == 0) {
            pthread_mutex_lock(&req.mu);
            while (!req.done)
                pthread_cond_wait(&req.cv, &req.mu);
            pthread_mutex_unlock(&req.mu);
        }
        if (rc == 0)
            rc = req.rc;
        pthread_mutex_destroy(&req.mu);
        pthread_cond_destroy(&req.cv);
    }
    if (rc != 0) {
        cp_subprocess_unref(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* ---- the handle -------------------------------------------------------- */

cp_subprocess_t *cp_subprocess_ref(cp_subprocess_t *s)
{
    if (s)
        atomic_fetch_add(&s->user_refs, 1);
    return s;
}

void cp_subprocess_unref(cp_subprocess_t *s)
{
    if (!s || atomic_fetch_sub(&s->user_refs, 1) != 1)
        return;
    cp_pipe_writer_free(s->user_in);
    cp_pipe_reader_free(s->user_out);
    cp_pipe_reader_free(s->user_err);
    s->user_in = NULL;
    s->user_out = s->user_err = NULL;
    sp_drop(s);
}

int cp_subprocess_pid(const cp_subprocess_t *s)
{
    return s ? s->pid : 0;
}

cp_future_t *cp_subprocess_status(cp_subprocess_t *s)
{
    return s ? cp_promise_future(s->status) : NULL;
}

cp_pipe_writer_t *cp_subprocess_stdin(cp_subprocess_t *s)
{
    return s ? s->user_in : NULL;
}

cp_pipe_reader_t *cp_subprocess_stdout(cp_subprocess_t *s)
{
    return s ? s->user_out : NULL;
}

cp_pipe_reader_t *cp_subprocess_stderr(cp_subprocess_t *s)
{
    return s ? s->user_err : NULL;
}

typedef struct kill_req {
    cp_subprocess_t *s;
    int signum;
} kill_req_t;

static void kill_on_loop(void *arg)
{
    kill_req_t *k = arg;
    if (!k->s->exited)
        uv_process_kill(&k->s->proc, k->signum);
    sp_drop(k->s);
    free(k);
}

int cp_subprocess_kill(cp_subprocess_t *s, int signum)
{
    if (!s || signum <= 0 || signum >= NSIG)
        return CP_EINVAL;
    if (!cp_runtime_running())
        return CP_ESTATE;
    kill_req_t *k = malloc(sizeof *k);
    if (!k)
        return CP_ENOMEM;
    k->s = s;
    k->signum = signum;
    sp_hold(s);
    int rc = cp__loop_post(kill_on_loop, k);
    if (rc != 0) {
        sp_drop(s);
        free(k);
    }
    return rc;
}

/* ---- runtime stop ------------------------------------------------------ */

static void shutdown_one(uv_handle_t *h, void *arg)
{
    if (h->type != UV_PROCESS || uv_is_closing(h))
        return;
    uv_process_t *p = (uv_process_t *)h;
    if (p->exit_cb != on_exit_cb)
        return;
    cp_subprocess_t *s = p->data;
    if (!s->exited) {
        kill(s->pid, SIGKILL);
        int status = 0;
        pid_t r;
        while ((r = waitpid(s->pid, &status, 0)) < 0 && errno == EINTR)
            ;
        if (r == s->pid && WIFEXITED(status))
            complete(s, WEXITSTATUS(status), 0);
        else
            complete(s, 0, r == s->pid && WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL);
    }
    for (int i = 0; i < 3; i++) {
        stream_t *st = &s->io[i];
        if (!st->open)
            continue;
        if (st->w)
            cp_pipe_writer_fail(st->w, "runtime stopped");
        stream_close(st);
    }
    uv_close(h, proc_closed);
}

void cp__subprocess_loop_shutdown(void)
{
    uv_walk(cp__loop(), shutdown_one, NULL);
}
