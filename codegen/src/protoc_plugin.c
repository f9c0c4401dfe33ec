/*
 * protoc-gen-cproc: cproc-gen as a protoc plugin.
 *
 *   protoc --plugin=protoc-gen-cproc=PATH --cproc_out=DIR [--cproc_opt=protoc-c] FILE.proto
 *
 * protoc sends a CodeGeneratorRequest (google/protobuf/compiler/
 * plugin.proto) on stdin. Every file in it is written back as .proto source
 * (proto_text.c) into a private temporary directory, the files to generate
 * go through cproc-gen's own front end and emitters (driver.c) with
 * protoc's layout (DIR/path/NAME.pb-c.h ...), and the outputs return in a
 * CodeGeneratorResponse on stdout. The parameter `protoc-c` writes only the
 * .pb-c files, as cproc-gen --protoc-c.
 *
 * Diagnostics of the front end go to stderr (protoc shows them); the
 * response's error field then names the file that failed.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "emit.h"
#include "plugin.pb-c.h"
#include "proto_text.h"

typedef Google__Protobuf__Compiler__CodeGeneratorRequest request_t;
typedef Google__Protobuf__Compiler__CodeGeneratorResponse response_t;
typedef Google__Protobuf__Compiler__CodeGeneratorResponse__File response_file_t;

static int read_all(FILE *f, cpgen_out_t *out)
{
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        while (out->len + n + 1 > out->cap) {
            out->cap = out->cap ? out->cap * 2 : sizeof buf;
            out->data = cpgen_xrealloc(out->data, out->cap);
        }
        memcpy(out->data + out->len, buf, n);
        out->len += n;
        out->data[out->len] = '\0';
    }
    return ferror(f) ? -1 : 0;
}

static int write_text(const char *path, const cpgen_out_t *text)
{
    char *copy = cpgen_xstrdup(path);
    for (char *p = copy + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
                free(copy);
                return -1;
            }
            *p = '/';
        }
    }
    free(copy);
    return cpgen_out_write_file(text, path);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A name protoc could have made: relative, no "..", not empty. */
static bool safe_name(const char *name)
{
    return name[0] != '\0' && name[0] != '/' && strstr(name, "..") == NULL;
}

/* Run the request; fills `res` (files or error). Returns 0 unless the
 * plugin itself failed (then nothing useful can be sent). */
static int run(const request_t *req, const char *tmp, response_t *res, cpgen_out_t *err)
{
    char *src = cpgen_xasprintf("%s/src", tmp);
    char *out = cpgen_xasprintf("%s/out", tmp);
    int rc = 0;
    if (mkdir(src, 0700) != 0 || mkdir(out, 0700) != 0) {
        cpgen_out_printf(err, "protoc-gen-cproc: %s: %s", tmp, strerror(errno));
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < req->n_proto_file; i++) {
        const Google__Protobuf__FileDescriptorProto *fd = req->proto_file[i];
        cpgen_out_t text;
        cpgen_out_init(&text);
        const char *why = NULL;
        if (fd->name == NULL || !safe_name(fd->name)) {
            cpgen_out_printf(err, "%s: file name outside the proto path",
                             fd->name ? fd->name : "(no name)");
            rc = -1;
            break;
        }
        char *path = cpgen_xasprintf("%s/%s", src, fd->name);
        if (cpgen_proto_text(fd, &text, &why) != 0) {
            cpgen_out_printf(err, "%s: %s", fd->name, why);
            rc = -1;
        } else if (write_text(path, &text) != 0) {
            cpgen_out_printf(err, "protoc-gen-cproc: cannot write %s", path);
            rc = -1;
        }
        free(path);
        cpgen_out_close(&text);
    }

    const char *inc[1] = { src };
    cpgen_options_t opts = { inc, 1, false, false };
    bool messages_only = req->parameter && strstr(req->parameter, "protoc-c") != NULL;
    cpgen_layout_t layout = { true, !messages_only };
    cpgen_deps_t deps = { NULL, 0 }, outputs = { NULL, 0 };
    for (size_t i = 0; rc == 0 && i < req->n_file_to_generate; i++) {
        if (!safe_name(req->file_to_generate[i])) {
            cpgen_out_printf(err, "%s: file name outside the proto path",
                             req->file_to_generate[i]);
            rc = -1;
            break;
        }
        char *input = cpgen_xasprintf("%s/%s", src, req->file_to_generate[i]);
        if (cpgen_generate(&opts, input, out, &layout, &deps, &outputs) != 0) {
            cpgen_out_printf(err, "%s: cproc-gen failed (see the messages above)",
                             req->file_to_generate[i]);
            rc = -1;
        }
        free(input);
    }

    size_t prefix = strlen(out) + 1;
    res->file = cpgen_xcalloc(outputs.n, sizeof *res->file);
    for (size_t i = 0; rc == 0 && i < outputs.n; i++) {
        FILE *f = fopen(outputs.paths[i], "rb");
        cpgen_out_t content;
        cpgen_out_init(&content);
        if (f == NULL || read_all(f, &content) != 0) {
            cpgen_out_printf(err, "protoc-gen-cproc: cannot read %s", outputs.paths[i]);
            rc = -1;
        }
        if (f != NULL)
            fclose(f);
        response_file_t *rf = cpgen_xmalloc(sizeof *rf);
        google__protobuf__compiler__code_generator_response__file__init(rf);
        rf->name = cpgen_xstrdup(outputs.paths[i] + prefix);
        rf->content = content.data ? content.data : cpgen_xstrdup("");
        res->file[res->n_file++] = rf;
    }
    cpgen_deps_close(&deps);
    cpgen_deps_close(&outputs);
    free(src);
    free(out);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: protoc --plugin=protoc-gen-cproc=%s --cproc_out=DIR FILE.proto\n"
                        "(protoc-gen-cproc reads a CodeGeneratorRequest on stdin)\n",
                argv[0]);
        return 1;
    }
    cpgen_out_t in;
    cpgen_out_init(&in);
    if (read_all(stdin, &in) != 0) {
        fputs("protoc-gen-cproc: cannot read the request from stdin\n", stderr);
        return 1;
    }
    request_t *req = google__protobuf__compiler__code_generator_request__unpack(
        NULL, in.len, (const uint8_t *)in.data);
    cpgen_out_close(&in);
    if (req == NULL) {
        fputs("protoc-gen-cproc: stdin is not a CodeGeneratorRequest (run it from protoc)\n",
              stderr);
        return 1;
    }

    const char *tmpdir = getenv("TMPDIR");
    char *tmp = cpgen_xasprintf("%s/protoc-gen-cproc.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    response_t res;
    google__protobuf__compiler__code_generator_response__init(&res);
    /* cproc-gen handles proto3 `optional`. */
    res.has_supported_features = 1;
    res.supported_features =
        GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__FEATURE__FEATURE_PROTO3_OPTIONAL;
    cpgen_out_t err;
    cpgen_out_init(&err);
    if (mkdtemp(tmp) == NULL)
        cpgen_out_printf(&err, "protoc-gen-cproc: mkdtemp %s: %s", tmp, strerror(errno));
    else {
        run(req, tmp, &res, &err);
        nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    if (err.data != NULL) {
        /* An error response carries no files. */
        res.error = err.data;
        for (size_t i = 0; i < res.n_file; i++) {
            free(res.file[i]->name);
            free(res.file[i]->content);
            free(res.file[i]);
        }
        res.n_file = 0;
    }

    size_t len = google__protobuf__compiler__code_generator_response__get_packed_size(&res);
    uint8_t *bytes = cpgen_xmalloc(len);
    google__protobuf__compiler__code_generator_response__pack(&res, bytes);
    int status = fwrite(bytes, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : 1;

    free(bytes);
    for (size_t i = 0; i < res.n_file; i++) {
        free(res.file[i]->name);
        free(res.file[i]->content);
        free(res.file[i]);
    }
    free(res.file);
    cpgen_out_close(&err);
    free(tmp);
    google__protobuf__compiler__code_generator_request__free_unpacked(req, NULL);
    return status;
}
