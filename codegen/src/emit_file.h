/* Internal to cproc-gen: emit whole generated headers and sources. */
#ifndef CPGEN_EMIT_FILE_H
#define CPGEN_EMIT_FILE_H

#include "emit.h"

/* Each appends a complete header to `h` and source to `c`. `source_name`
 * is the name printed in the banner (the input's base name, so the output
 * does not depend on the build directory). */

/* .actor input: messages and actor stubs in one pair, file->header_name. */
void cpgen_emit_file(const cpgen_file_t *file, const char *source_name, cpgen_out_t *h,
                     cpgen_out_t *c);
/* .proto input: the protobuf-c-only pair, file->pbc_header (what protoc-c
 * writes: needs libprotobuf-c alone). */
void cpgen_emit_pbc_file(const cpgen_file_t *file, const char *source_name, cpgen_out_t *h,
                         cpgen_out_t *c);
/* .proto input: cproc's helpers and service actor stubs, file->header_name;
 * the header includes file->pbc_header. */
void cpgen_emit_cproc_file(const cpgen_file_t *file, const char *source_name, cpgen_out_t *h,
                           cpgen_out_t *c);

#endif
