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

/* Print the source line of `pos` and a caret. Bytes that are not printable
 * ASCII are shown as '?' so a binary input cannot garble the terminal; tabs
 * are kept so the caret lines up. */
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
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        fputc((c == '\t' || (c >= 0x20 && c < 0x7f)) ? c : '?', out);
    }
    fputs("\n ", out);
    for (size_t i = 0; i + 1 < pos.col && i < n; i++)
        fputc(p[i] == '\t' ? '\t' : ' ', out);
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
    if (ctx->out != NULL) {
        if (pos.path != NULL)
            fprintf(ctx->out, "%s:%u:%u: %s: %s\n", pos.path, pos.line, pos.col, names[sev], msg);
        else
            fprintf(ctx->out, "%s: %s\n", names[sev], msg);
        diag_print_line(ctx->out, diag_file(ctx, pos.path), pos);
    }
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
