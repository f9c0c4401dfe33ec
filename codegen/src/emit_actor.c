/*
 * Actor-stub emitter (issue 3, "Actor stubs"). This is the seam where the
 * typed handler tables, spawn, dispatch, defer, remote request, send and
 * reply functions are generated; it runs after the message emitter, so
 * every message struct, INIT macro and descriptor of the file (and the
 * #includes of imported files) is already in the header.
 *
 * Inputs: file->actors (names computed with protoc-c's rules, plus the
 * cpidl actor node in ->ast) and file->messages for C names of the request
 * and response types. Output: append to `h` and `c` with the helpers of
 * emit.h. Until the stubs exist it emits nothing, so .actor files with
 * actors generate their messages only.
 */
#include "emit.h"

void cpgen_emit_actors(const cpgen_file_t *file, cpgen_out_t *h, cpgen_out_t *c)
{
    (void)file;
    (void)h;
    (void)c;
}
