/* Internal to cproc-gen: emit a whole generated header and source. */
#ifndef CPGEN_EMIT_FILE_H
#define CPGEN_EMIT_FILE_H

#include "emit.h"

/* Append the complete header to `h` and source to `c`. `source_name` is
 * the name printed in the banner (the input's base name, so the output does
 * not depend on the build directory). */
void cpgen_emit_file(const cpgen_file_t *file, const char *source_name, cpgen_out_t *h,
                     cpgen_out_t *c);

#endif
