/* Compiler-style diagnostics: path:line:col: severity: message, the source
 * line and a caret under the column. */
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const cpidl_file_t *diag_file(cpidl_ctx_t *ctx, const char *path)
{
    for (size_t i = 0; i < ctx->all.n; i++) {
        const cpidl_file_t *f = ctx->all.items[i];
        if (f->path == path)
            return f;
    }
    return NULL;
}

/* Print the source line of `pos` and a caret. Printable ASCII, tabs and
 * the bytes of well-formed UTF-8 sequences are echoed as they are; any other
 * byte (control characters, stray or truncated UTF-8) is shown as \xHH so a
 * binary input cannot garble the terminal. The caret line repeats tabs and
 * gives every character (a UTF-8 sequence, an escape) its width in columns,
 * so the caret lines up under the column reported. */
/* The length of the character at p if it is printable ASCII, a tab or a
 * well-formed UTF-8 sequence (no overlongs or surrogates), else 0. */
static size_t utf8_len(const char *p, size_t avail)
{
    const unsigned char *u = (const unsigned char *)p;
    if (u[0] == '\t' || (u[0] >= 0x20 && u[0] < 0x7f))
        return 1;
    size_t len = u[0] >= 0xc2 && u[0] <= 0xdf   ? 2
                 : u[0] >= 0xe0 && u[0] <= 0xef ? 3
                 : u[0] >= 0xf0 && u[0] <= 0xf4 ? 4
                                                : 0;
    if (len == 0 || len > avail)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((u[i] & 0xc0) != 0x80)
            return 0;
    if ((u[0] == 0xe0 && u[1] < 0xa0) || (u[0] == 0xed && u[1] > 0x9f) ||
        (u[0] == 0xf0 && u[1] < 0x90) || (u[0] == 0xf4 && u[1] > 0x8f))
        return 0;
    return len;
}

static void diag_print_line(FILE *out, const cpidl_file_t *f, cpidl_pos_t pos);

struct cpidl_pending {
    char *path;       /* a copy; NULL (no position) sorts first */
    uint32_t line, col;
    size_t seq;       /* report order: ties keep it */
    char *text;       /* the rendered diagnostic and its notes */
    size_t len;
};

/* Render one diagnostic into the pending list: a new entry, or appended to
 * the last entry for a note (a note belongs to the diagnostic before it). */
static void diag_render(cpidl_ctx_t *ctx, cpidl_severity_t sev, cpidl_pos_t pos, const char *head,
                        const char *msg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m == NULL) {
        ctx->oom = true;
        return;
    }
    if (pos.path != NULL)
        fprintf(m, "%s:%u:%u: %s: %s\n", pos.path, pos.line, pos.col, head, msg);
    else
        fprintf(m, "%s: %s\n", head, msg);
    diag_print_line(m, diag_file(ctx, pos.path), pos);
    if (fclose(m) != 0 || text == NULL) {
        free(text);
        ctx->oom = true;
        return;
    }
    if (sev == CPIDL_SEV_NOTE && ctx->n_pending > 0) {
        struct cpidl_pending *last = &ctx->pending[ctx->n_pending - 1];
        char *joined = realloc(last->text, last->len + len + 1);
        if (joined == NULL) {
            free(text);
            ctx->oom = true;
            return;
        }
        memcpy(joined + last->len, text, len + 1);
        last->text = joined;
        last->len += len;
        free(text);
        return;
    }
    char *path = NULL;
    if (pos.path != NULL && (path = strdup(pos.path)) == NULL) {
        free(text);
        ctx->oom = true;
        return;
    }
    if (ctx->n_pending == ctx->cap_pending) {
        size_t cap = ctx->cap_pending ? ctx->cap_pending * 2 : 8;
        struct cpidl_pending *items = realloc(ctx->pending, cap * sizeof *items);
        if (items == NULL) {
            free(text);
            free(path);
            ctx->oom = true;
            return;
        }
        ctx->pending = items;
        ctx->cap_pending = cap;
    }
    ctx->pending[ctx->n_pending] =
        (struct cpidl_pending){path, pos.line, pos.col, ctx->n_pending, text, len};
    ctx->n_pending++;
}

static int pending_cmp(const void *a, const void *b)
{
    const struct cpidl_pending *x = a, *y = b;
    if (x->path != y->path) {
        if (x->path == NULL || y->path == NULL)
            return x->path == NULL ? -1 : 1;
        int c = strcmp(x->path, y->path);
        if (c != 0)
            return c;
    }
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void cpidl_diag_flush(cpidl_ctx_t *ctx)
{
    if (ctx->n_pending > 1)
        qsort(ctx->pending, ctx->n_pending, sizeof *ctx->pending, pending_cmp);
    for (size_t i = 0; i < ctx->n_pending; i++) {
        if (ctx->out != NULL)
            fwrite(ctx->pending[i].text, 1, ctx->pending[i].len, ctx->out);
        free(ctx->pending[i].text);
        free(ctx->pending[i].path);
    }
    free(ctx->pending);
    ctx->pending = NULL;
    ctx->n_pending = ctx->cap_pending = 0;
}

static void diag_print_line(FILE *out, const cpidl_file_t *f, cpidl_pos_t pos)
{
    if (f == NULL || pos.line == 0)
        return;
    const char *p = f->source, *end = f->source + f->source_len;
    for (uint32_t l = 1; l < pos.line && p < end; p++) {
        if (*p == '\n')
            l++;
    }
    const char *eol = p;
    while (eol < end && *eol != '\n')
        eol++;
    size_t n = (size_t)(eol - p);
    if (n > 4096)
        n = 4096; /* a minified one-line file: the caret is still right */
    fputc(' ', out);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_len(p + i, n - i);
        if (len > 0) {
            fwrite(p + i, 1, len, out);
            i += len;
        } else {
            fprintf(out, "\\x%02x", (unsigned char)p[i++]);
        }
    }
    fputs("\n ", out);
    for (size_t i = 0; i + 1 < pos.col && i < n;) {
        size_t len = utf8_len(p + i, n - i);
        if (len == 1 && p[i] == '\t')
            fputc('\t', out);
        else
            fputs(len > 0 ? " " : "    ", out);
        i += len > 0 ? len : 1;
    }
    fputs("^\n", out);
}

void cpidl_diag(cpidl_ctx_t *ctx, cpidl_severity_t sev, cpidl_pos_t pos, const char *fmt, ...)
{
    if (ctx->too_many)
        return;
    bool promoted = false;
    if (sev == CPIDL_SEV_WARNING && ctx->opts->werror) {
        sev = CPIDL_SEV_ERROR;
        promoted = true;
    }
    if (sev == CPIDL_SEV_ERROR) {
        if (ctx->n_errors >= CPIDL_MAX_ERRORS) {
            ctx->too_many = true;
            cpidl_diag_flush(ctx);
            if (ctx->out != NULL)
                fprintf(ctx->out, "error: too many errors (%d); stopping\n", CPIDL_MAX_ERRORS);
            return;
        }
        ctx->n_errors++;
    } else if (sev == CPIDL_SEV_WARNING) {
        ctx->n_warnings++;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *msg = malloc((size_t)n + sizeof " [-Werror]");
    if (msg == NULL) {
        ctx->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (promoted)
        strcat(msg, " [-Werror]");
    static const char *const names[] = {"error", "warning", "note"};
    if (ctx->out != NULL)
        diag_render(ctx, sev, pos, names[sev], msg);
    cpidl_diags_t *d = ctx->diags;
    if (d == NULL) {
        free(msg);
        return;
    }
    if (sev == CPIDL_SEV_ERROR)
        d->n_errors++;
    else if (sev == CPIDL_SEV_WARNING)
        d->n_warnings++;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        cpidl_diag_t *items = realloc(d->items, cap * sizeof *items);
        if (items == NULL) {
            free(msg);
            ctx->oom = true;
            return;
        }
        d->items = items;
        d->cap = cap;
    }
    char *path = NULL;
    if (pos.path != NULL && (path = strdup(pos.path)) == NULL) {
        free(msg);
        ctx->oom = true;
        return;
    }
    d->items[d->n++] = (cpidl_diag_t){sev, path, pos.line, pos.col, msg};
}

void cpidl_program_vdiag(const cpidl_program_t *program, FILE *out, cpidl_severity_t sev,
                         cpidl_pos_t pos, const char *fmt, va_list ap)
{
    static const char *const names[] = {"error", "warning", "note"};
    if (out == NULL || fmt == NULL || (unsigned)sev > CPIDL_SEV_NOTE)
        return;
    if (pos.path != NULL)
        fprintf(out, "%s:%u:%u: %s: ", pos.path, pos.line, pos.col, names[sev]);
    else
        fprintf(out, "%s: ", names[sev]);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    const cpidl_file_t *f = NULL;
    for (size_t i = 0; program != NULL && pos.path != NULL && i < program->n_files; i++)
        if (strcmp(program->files[i]->path, pos.path) == 0)
            f = program->files[i];
    diag_print_line(out, f, pos);
}

void cpidl_program_diag(const cpidl_program_t *program, FILE *out, cpidl_severity_t sev,
                        cpidl_pos_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cpidl_program_vdiag(program, out, sev, pos, fmt, ap);
    va_end(ap);
}

void cpidl_diags_close(cpidl_diags_t *diags)
{
    if (diags == NULL)
        return;
    for (size_t i = 0; i < diags->n; i++) {
        free(diags->items[i].path);
        free(diags->items[i].message);
    }
    free(diags->items);
    *diags = (cpidl_diags_t){0};
}

size_t cpidl_edit_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return limit + 1;
    if ((la > lb ? la - lb : lb - la) > limit)
        return limit + 1;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb] > limit ? limit + 1 : row[lb];
}
