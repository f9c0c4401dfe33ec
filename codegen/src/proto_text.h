/*
 * Internal to protoc-gen-cproc: write a FileDescriptorProto (what protoc
 * hands a plugin) back as .proto source, so the plugin runs cproc-gen's own
 * front end and emitters on exactly what protoc parsed.
 *
 * Kept: syntax, package, imports, messages (nested, map fields, oneofs,
 * proto3 `optional`), enums, services, field labels, types, numbers and
 * defaults, and the options that change generated C: optimize_for, packed,
 * deprecated, allow_alias, and protobuf-c's (pb_c_file), (pb_c_msg) and
 * (pb_c_field) options (read from the options' unknown fields, number
 * 1019), and, from source_code_info (protoc sends it for the files to
 * generate), the source order of declarations and their leading comments.
 * Dropped: trailing comments, reserved names and ranges, extension ranges,
 * extensions, and every other option.
 */
#ifndef CPGEN_PROTO_TEXT_H
#define CPGEN_PROTO_TEXT_H

#include "descriptor.pb-c.h"
#include "emit.h"

/* Append the source of `fd` to `out`. Returns 0, or -1 with a message in
 * *why (static text) for what cannot be written (groups). */
int cpgen_proto_text(const Google__Protobuf__FileDescriptorProto *fd, cpgen_out_t *out,
                     const char **why);

#endif
