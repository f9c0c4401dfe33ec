/*
 * Internal to cproc-gen: generate the output files of one input, shared by
 * the command (main.c) and the protoc plugin (protoc_plugin.c).
 */
#ifndef CPGEN_DRIVER_H
#define CPGEN_DRIVER_H

#include <stdbool.h>

#include "frontend.h"

/* Where and which files a .proto input gives (.actor inputs always give
 * OUTDIR/NAME.actor.h and .c). */
typedef struct cpgen_layout {
    /* Name outputs by the input's path under its -I directory and include
     * imports by their import path, as protoc-c (OUTDIR/dir/x.pb-c.h);
     * otherwise flat: OUTDIR/x.pb-c.h, imports by base name. */
    bool proto_paths;
    /* Also write NAME.pb-cproc.h/.c (cproc's helpers). */
    bool cproc_files;
} cpgen_layout_t;

/* Parse, check and generate `input` into `outdir` (which must exist;
 * subdirectories are made as needed). Appends every file read to `deps`
 * and every file written to `outputs` (both released with
 * cpgen_deps_close()). Returns 0, or -1 after printing diagnostics. */
int cpgen_generate(const cpgen_options_t *opts, const char *input, const char *outdir,
                   const cpgen_layout_t *layout, cpgen_deps_t *deps, cpgen_deps_t *outputs);

#endif
