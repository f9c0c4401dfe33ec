/*
 * Internal to cproc-gen: the output writer the emitters share, and the
 * emitter entry points the driver (main.c) calls.
 *
 * An emitter appends C text to a cpgen_out_t (a growable buffer); the driver
 * writes the buffer to disk only when the whole file was generated, so a
 * failed run never leaves half a file behind. Output must be deterministic:
 * emitters walk the model in its stored (source) order and never print
 * pointers, times or host-specific values.
 *
 * Memory: cpgen_xmalloc/cpgen_xstrdup/cpgen_xasprintf print "cproc-gen: out
 * of memory" and exit(1) on allocation failure; the generator is a
 * short-lived command, so there is nothing to roll back.
 */
#ifndef CPGEN_EMIT_H
#define CPGEN_EMIT_H

#include <stdarg.h>
#include <stddef.h>

#include "model.h"

typedef struct cpgen_out {
    char *data;
    size_t len;
    size_t cap;
} cpgen_out_t;

void *cpgen_xmalloc(size_t size);
void *cpgen_xcalloc(size_t n, size_t size);
void *cpgen_xrealloc(void *ptr, size_t size);
char *cpgen_xstrdup(const char *s);
/* printf into a fresh heap string the caller frees. */
char *cpgen_xasprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* An empty buffer; release with cpgen_out_close(). */
void cpgen_out_init(cpgen_out_t *out);
void cpgen_out_close(cpgen_out_t *out);

/* Append text. */
void cpgen_out_puts(cpgen_out_t *out, const char *s);
void cpgen_out_printf(cpgen_out_t *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cpgen_out_vprintf(cpgen_out_t *out, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Append `len` bytes as the inside of a C string literal (no quotes):
 * printable ASCII as is, \" \\ \n \t, and everything else (including ?,
 * so no trigraph can form) as three-digit octal, which never swallows a
 * following digit the way hex escapes do. */
void cpgen_out_c_bytes(cpgen_out_t *out, const unsigned char *bytes, size_t len);

/* Append `text` (a source comment, possibly several lines) as a C block
 * comment, each line prefixed by `indent`. A "*" followed by "/" inside the
 * text is broken up so the comment cannot end early. */
void cpgen_out_comment(cpgen_out_t *out, const char *indent, const char *text);

/* Write the buffer to `path` atomically (temporary file + rename).
 * Returns 0, or -1 after printing "cproc-gen: <path>: <reason>" to stderr. */
int cpgen_out_write_file(const cpgen_out_t *out, const char *path);

/* Emitters. Each appends to the header (`h`) and source (`c`) buffers.
 * The driver calls, in this order: the file prologue (main.c), then
 * cpgen_emit_enums, cpgen_emit_messages, cpgen_emit_actors, then the
 * epilogue. Actor stubs may use every message's C names from the model. */
void cpgen_emit_enums(const cpgen_file_t *file, cpgen_out_t *h, cpgen_out_t *c);
void cpgen_emit_messages(const cpgen_file_t *file, cpgen_out_t *h, cpgen_out_t *c);
void cpgen_emit_actors(const cpgen_file_t *file, cpgen_out_t *h, cpgen_out_t *c);
/* protoc-c's ProtobufCService API for the file's .proto services. */
void cpgen_emit_services(const cpgen_file_t *file, cpgen_out_t *h, cpgen_out_t *c);
/* The typed pack/unpack/free helpers of `m`, each definition prefixed by
 * `storage` ("" or "static inline "). */
void cpgen_emit_pack_functions(const cpgen_message_t *m, const char *storage, cpgen_out_t *c);

#endif
