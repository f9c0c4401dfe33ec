/* Loading: find each file (in-memory sources, then the file system and the
 * include dirs), parse it, load its imports depth-first (each file once,
 * cycles reported with the chain), then check the whole program. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Bigger inputs are refused rather than parsed: positions are 32-bit and
 * no IDL file is legitimately this large. */
enum { MAX_FILE_SIZE = 64 * 1024 * 1024 };

typedef struct prog_impl {
    cpidl_program_t pub; /* first: the public handle points here */
    cpidl_arena_t arena;
} prog_impl_t;

static const cpidl_source_t *find_source(cpidl_ctx_t *ctx, const char *name)
{
    for (size_t i = 0; i < ctx->opts->n_sources; i++) {
        const cpidl_source_t *s = &ctx->opts->sources[i];
        if (s->name != NULL && strcmp(s->name, name) == 0)
            return s;
    }
    return NULL;
}

/* Read a whole file into the arena with a NUL sentinel. Returns 0, or
 * ENOENT when absent, or another errno (reported by the caller). */
static int read_file(cpidl_ctx_t *ctx, const char *path, char **data, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return errno ? errno : ENOENT;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int err = 0;
    while (buf != NULL) {
        if (n == cap) {
            if (cap >= MAX_FILE_SIZE) {
                err = EFBIG;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0) {
            if (ferror(fp))
                err = EIO;
            break;
        }
    }
    fclose(fp);
    if (buf == NULL) {
        ctx->oom = true;
        return ENOMEM;
    }
    if (err == 0 && (*data = cpidl_arena_strndup(&ctx->arena, buf, n)) == NULL) {
        ctx->oom = true;
        err = ENOMEM;
    }
    *len = n;
    free(buf);
    return err;
}

static bool is_dir_of(const char *path, size_t *dirlen)
{
    const char *slash = strrchr(path, '/');
    *dirlen = slash ? (size_t)(slash - path) : 0;
    return slash != NULL;
}

static cpidl_file_t *load(cpidl_ctx_t *ctx, const char *name, const cpidl_file_t *importer,
                          cpidl_pos_t at, const char *data, size_t len);

static cpidl_file_t *new_file(cpidl_ctx_t *ctx, const char *name, const char *path, char *src,
                              size_t len)
{
    cpidl_file_t *f = cpidl_arena_alloc(&ctx->arena, sizeof *f);
    if (f == NULL || (f->name = cpidl_arena_strdup(&ctx->arena, name)) == NULL ||
        (f->path = cpidl_arena_strdup(&ctx->arena, path)) == NULL) {
        ctx->oom = true;
        return NULL;
    }
    f->source = src;
    f->source_len = len;
    f->package = "";
    return f;
}

static void report_cycle(cpidl_ctx_t *ctx, const cpidl_file_t *again, cpidl_pos_t at)
{
    size_t start = 0;
    while (start < ctx->loading.n && ctx->loading.items[start] != again)
        start++;
    size_t need = 1;
    for (size_t i = start; i < ctx->loading.n; i++)
        need += strlen(((cpidl_file_t *)ctx->loading.items[i])->name) + 4;
    need += strlen(again->name);
    char *chain = malloc(need);
    if (chain == NULL) {
        ctx->oom = true;
        return;
    }
    chain[0] = '\0';
    for (size_t i = start; i < ctx->loading.n; i++) {
        strcat(chain, ((cpidl_file_t *)ctx->loading.items[i])->name);
        strcat(chain, " -> ");
    }
    strcat(chain, again->name);
    cpidl_error(ctx, at, "import cycle: %s", chain);
    free(chain);
}

/* Locate and read `name` (not yet loaded); NULL after reporting when it
 * cannot be found or read. */
static cpidl_file_t *open_file(cpidl_ctx_t *ctx, const char *name, const cpidl_file_t *importer,
                               cpidl_pos_t at)
{
    const cpidl_source_t *mem = find_source(ctx, name);
    if (mem != NULL) {
        char *src =
            cpidl_arena_strndup(&ctx->arena, mem->data ? mem->data : "", mem->data ? mem->len : 0);
        if (src == NULL) {
            ctx->oom = true;
            return NULL;
        }
        return new_file(ctx, name, name, src, mem->data ? mem->len : 0);
    }
    if (ctx->opts->no_disk) {
        cpidl_error(ctx, at, "cannot find '%s' (only in-memory sources are searched)", name);
        return NULL;
    }
    /* Candidates: the name as given (main file only, or absolute), each
     * include dir, then the importing file's directory. */
    size_t ncand = ctx->opts->n_include_dirs + 2, tried_len = 0;
    char **cand = calloc(ncand, sizeof *cand);
    if (cand == NULL) {
        ctx->oom = true;
        return NULL;
    }
    size_t k = 0;
    if (importer == NULL || name[0] == '/')
        cand[k++] = strdup(name);
    if (name[0] != '/') {
        for (size_t i = 0; i < ctx->opts->n_include_dirs; i++) {
            const char *dir = ctx->opts->include_dirs[i];
            if (dir != NULL && asprintf(&cand[k], "%s/%s", dir, name) >= 0)
                k++;
        }
        size_t dirlen;
        if (importer != NULL && is_dir_of(importer->path, &dirlen)) {
            if (asprintf(&cand[k], "%.*s/%s", (int)dirlen, importer->path, name) >= 0)
                k++;
        } else if (importer != NULL) {
            cand[k++] = strdup(name);
        }
    }
    cpidl_file_t *f = NULL;
    bool reported = false;
    for (size_t i = 0; i < k && f == NULL && !reported; i++) {
        if (cand[i] == NULL)
            continue;
        tried_len += strlen(cand[i]) + 2;
        char *src = NULL;
        size_t len = 0;
        int err = read_file(ctx, cand[i], &src, &len);
        if (err == 0) {
            f = new_file(ctx, name, cand[i], src, len);
            reported = f == NULL;
        } else if (err != ENOENT && err != ENOTDIR) {
            cpidl_error(ctx, at, "cannot read '%s': %s", cand[i],
                        err == EFBIG ? "file is larger than 64 MiB" : strerror(err));
            reported = true;
        }
    }
    if (f == NULL && !reported) {
        char *tried = malloc(tried_len + 1);
        if (tried != NULL) {
            tried[0] = '\0';
            for (size_t i = 0; i < k; i++) {
                if (cand[i] == NULL)
                    continue;
                if (tried[0] != '\0')
                    strcat(tried, ", ");
                strcat(tried, cand[i]);
            }
            if (importer != NULL && ctx->opts->n_include_dirs == 0)
                cpidl_error(ctx, at,
                            "cannot find import '%s' (tried: %s); add its directory with -I", name,
                            tried);
            else if (importer != NULL)
                cpidl_error(ctx, at, "cannot find import '%s' (tried: %s)", name, tried);
            else
                cpidl_error(ctx, at, "cannot find '%s' (tried: %s)", name, tried);
            free(tried);
        } else {
            ctx->oom = true;
        }
    }
    for (size_t i = 0; i < k; i++)
        free(cand[i]);
    free(cand);
    return f;
}

static cpidl_file_t *load(cpidl_ctx_t *ctx, const char *name, const cpidl_file_t *importer,
                          cpidl_pos_t at, const char *data, size_t len)
{
    for (size_t i = 0; i < ctx->all.n; i++) {
        cpidl_file_t *f = ctx->all.items[i];
        if (strcmp(f->name, name) != 0)
            continue;
        for (size_t j = 0; j < ctx->loading.n; j++) {
            if (ctx->loading.items[j] == f) {
                report_cycle(ctx, f, at);
                return NULL;
            }
        }
        return f;
    }
    if (ctx->loading.n >= ctx->max_depth) {
        cpidl_error(ctx, at, "imports are nested too deeply (more than %u levels)", ctx->max_depth);
        return NULL;
    }
    cpidl_file_t *f;
    if (data != NULL || importer == NULL) {
        if (data != NULL) {
            char *src = cpidl_arena_strndup(&ctx->arena, data, len);
            f = src ? new_file(ctx, name, name, src, len) : NULL;
            if (f == NULL)
                ctx->oom = true;
        } else {
            f = open_file(ctx, name, NULL, at);
        }
    } else {
        f = open_file(ctx, name, importer, at);
    }
    if (f == NULL)
        return NULL;
    if (!cpidl_vec_push(&ctx->arena, &ctx->all, f) ||
        !cpidl_vec_push(&ctx->arena, &ctx->loading, f)) {
        ctx->oom = true;
        return NULL;
    }
    cpidl_parse(ctx, f);
    for (size_t i = 0; i < f->n_imports && !ctx->oom && !ctx->too_many; i++) {
        cpidl_import_t *im = f->imports[i];
        im->file = load(ctx, im->name, f, im->pos, NULL, 0);
    }
    ctx->loading.n--;
    if (!cpidl_vec_push(&ctx->arena, &ctx->files, f))
        ctx->oom = true;
    return f;
}

static void print_count(cpidl_ctx_t *ctx)
{
    cpidl_diag_flush(ctx);
    if (ctx->out == NULL || (ctx->n_errors == 0 && ctx->n_warnings == 0))
        return;
    if (ctx->n_errors > 0 && ctx->n_warnings > 0)
        fprintf(ctx->out, "%u error%s and %u warning%s generated.\n", ctx->n_errors,
                ctx->n_errors == 1 ? "" : "s", ctx->n_warnings, ctx->n_warnings == 1 ? "" : "s");
    else if (ctx->n_errors > 0)
        fprintf(ctx->out, "%u error%s generated.\n", ctx->n_errors, ctx->n_errors == 1 ? "" : "s");
    else
        fprintf(ctx->out, "%u warning%s generated.\n", ctx->n_warnings,
                ctx->n_warnings == 1 ? "" : "s");
}

static int load_main(const cpidl_options_t *opts, const char *name, const char *data, size_t len,
                     bool from_memory, cpidl_program_t **out)
{
    if (out != NULL)
        *out = NULL;
    if (out == NULL || name == NULL || (from_memory && data == NULL && len > 0))
        return CPIDL_EINVAL;
    static const cpidl_options_t defaults = {0};
    cpidl_ctx_t ctx = {0};
    ctx.opts = opts != NULL ? opts : &defaults;
    ctx.out = opts != NULL ? opts->diag_out : stderr;
    ctx.diags = ctx.opts->diags;
    ctx.max_depth = ctx.opts->max_depth ? ctx.opts->max_depth : CPIDL_DEFAULT_DEPTH;
    /* The parser and checker recurse once per level: keep the stack safe. */
    if (ctx.max_depth > CPIDL_MAX_DEPTH)
        ctx.max_depth = CPIDL_MAX_DEPTH;
    if (from_memory && len > MAX_FILE_SIZE) {
        cpidl_error(&ctx, (cpidl_pos_t){0}, "cannot read '%s': file is larger than 64 MiB", name);
        print_count(&ctx);
        return CPIDL_EFAIL;
    }
    cpidl_pos_t nowhere = {0};
    cpidl_file_t *main = load(&ctx, name, NULL, nowhere, from_memory ? (data ? data : "") : NULL,
                              from_memory ? len : 0);
    if (main != NULL && !ctx.oom && !ctx.too_many)
        cpidl_check(&ctx);
    if (ctx.arena.failed)
        ctx.oom = true;
    print_count(&ctx);
    if (ctx.oom || ctx.n_errors > 0 || main == NULL) {
        cpidl_arena_free(&ctx.arena);
        return ctx.oom ? CPIDL_ENOMEM : CPIDL_EFAIL;
    }
    prog_impl_t *p = malloc(sizeof *p);
    if (p == NULL) {
        cpidl_arena_free(&ctx.arena);
        return CPIDL_ENOMEM;
    }
    p->arena = ctx.arena;
    p->pub.main = main;
    p->pub.files = (cpidl_file_t **)ctx.files.items;
    p->pub.n_files = ctx.files.n;
    p->pub.n_warnings = ctx.n_warnings;
    *out = &p->pub;
    return CPIDL_OK;
}

int cpidl_load(const cpidl_options_t *opts, const char *path, cpidl_program_t **out)
{
    return load_main(opts, path, NULL, 0, false, out);
}

int cpidl_load_buffer(const cpidl_options_t *opts, const char *name, const char *data, size_t len,
                      cpidl_program_t **out)
{
    return load_main(opts, name, data, len, true, out);
}

void cpidl_program_free(cpidl_program_t *program)
{
    if (program == NULL)
        return;
    prog_impl_t *p = (prog_impl_t *)program;
    cpidl_arena_free(&p->arena);
    free(p);
}
