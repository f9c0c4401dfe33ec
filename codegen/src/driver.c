/*
 * cproc-gen's driver: from one input path to its generated files on disk
 * (driver.h), for the command and the protoc plugin.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "driver.h"
#include "emit.h"
#include "emit_file.h"
#include "gen_names.h"
#include "names.h"

typedef struct output_names {
    char *base;   /* "ping" */
    char *suffix; /* ".actor" */
} output_names_t;

static int split_input(const char *path, output_names_t *out)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    size_t len = strlen(name);
    const char *suffix;
    size_t ext;
    if (len > 6 && strcmp(name + len - 6, ".actor") == 0) {
        suffix = ".actor";
        ext = 6;
    } else if (len > 6 && strcmp(name + len - 6, ".proto") == 0) {
        suffix = ".pb-cproc";
        ext = 6;
    } else {
        fprintf(stderr, "cproc-gen: %s: input file names must end in .actor or .proto\n", path);
        return -1;
    }
    out->base = cpgen_xasprintf("%.*s", (int)(len - ext), name);
    out->suffix = cpgen_xstrdup(suffix);
    return 0;
}

static void deps_add(cpgen_deps_t *deps, char *path)
{
    deps->paths = cpgen_xrealloc(deps->paths, (deps->n + 1) * sizeof *deps->paths);
    deps->paths[deps->n++] = path;
}

/* `path` relative to `dir` if it lies inside it, else NULL. Both are
 * compared as written and, failing that, as real paths (so "-I ./src"
 * finds "src/x.proto"). */
static char *relative_to(const char *dir, const char *path)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (strcmp(dir, ".") == 0 && path[0] != '/' && strncmp(path, "../", 3) != 0)
        return cpgen_xstrdup(strncmp(path, "./", 2) == 0 ? path + 2 : path);
    if (strncmp(path, dir, len) == 0 && path[len] == '/')
        return cpgen_xstrdup(path + len + 1);
    char *rdir = realpath(dir, NULL), *rpath = realpath(path, NULL), *rel = NULL;
    if (rdir && rpath) {
        size_t rlen = strlen(rdir);
        if (strncmp(rpath, rdir, rlen) == 0 && rpath[rlen] == '/')
            rel = cpgen_xstrdup(rpath + rlen + 1);
    }
    free(rdir);
    free(rpath);
    return rel;
}

/* protoc's name of an input file: its path relative to the first -I
 * directory that holds it, else its base name. */
static char *proto_name(const cpgen_options_t *opts, const char *input)
{
    for (size_t i = 0; i < opts->n_include_dirs; i++) {
        char *rel = relative_to(opts->include_dirs[i], input);
        if (rel)
            return rel;
    }
    const char *slash = strrchr(input, '/');
    return cpgen_xstrdup(slash ? slash + 1 : input);
}

/* protoc-c's include guard: PROTOBUF_C_ + the name with every byte but
 * letters and digits written as _xx (hex) + __INCLUDED. */
static char *pbc_guard(const char *name)
{
    cpgen_out_t out;
    cpgen_out_init(&out);
    cpgen_out_puts(&out, "PROTOBUF_C_");
    for (const char *p = name; *p; p++) {
        if (isalnum((unsigned char)*p))
            cpgen_out_printf(&out, "%c", *p);
        else
            cpgen_out_printf(&out, "_%x", (unsigned)(unsigned char)*p);
    }
    cpgen_out_puts(&out, "__INCLUDED");
    return out.data;
}

/* mkdir -p of the directories in `path` (not its last component). */
static int make_parents(const char *path)
{
    char *copy = cpgen_xstrdup(path);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "cproc-gen: %s: %s\n", copy, strerror(errno));
            free(copy);
            return -1;
        }
        *p = '/';
    }
    free(copy);
    return 0;
}

/* Write one header/source pair `stem`.h and `stem`.c under outdir. */
static int write_pair(const char *outdir, const char *stem, cpgen_out_t *h, cpgen_out_t *c,
                      bool mkdirs, cpgen_deps_t *outputs)
{
    char *hpath = cpgen_xasprintf("%s/%s.h", outdir, stem);
    char *cpath = cpgen_xasprintf("%s/%s.c", outdir, stem);
    int rc = 0;
    if ((mkdirs && make_parents(hpath) != 0) || cpgen_out_write_file(h, hpath) != 0 ||
        cpgen_out_write_file(c, cpath) != 0)
        rc = -1;
    deps_add(outputs, hpath);
    deps_add(outputs, cpath);
    return rc;
}

int cpgen_generate(const cpgen_options_t *opts, const char *input, const char *outdir,
                   const cpgen_layout_t *layout, cpgen_deps_t *deps, cpgen_deps_t *outputs)
{
    output_names_t names;
    if (split_input(input, &names) != 0)
        return -1;
    cpgen_file_t *file = NULL;
    if (cpgen_frontend_load(opts, input, &file, deps) != 0) {
        free(names.base);
        free(names.suffix);
        return -1;
    }
    bool is_proto = strcmp(names.suffix, ".pb-cproc") == 0;
    file->base = names.base;
    file->suffix = names.suffix;
    file->header_name = cpgen_xasprintf("%s%s.h", file->base, file->suffix);
    file->guard = cpgen_name_guard(file->header_name);

    const char *slash = strrchr(input, '/');
    const char *source_name = slash ? slash + 1 : input;
    int rc = 0;
    cpgen_out_t h, c;
    if (!is_proto) {
        if (opts->print_names)
            cpgen_names_print(file, stdout);
        cpgen_out_init(&h);
        cpgen_out_init(&c);
        cpgen_emit_file(file, source_name, &h, &c);
        char *stem = cpgen_xasprintf("%s%s", file->base, file->suffix);
        rc = write_pair(outdir, stem, &h, &c, false, outputs);
        free(stem);
        cpgen_out_close(&h);
        cpgen_out_close(&c);
    } else if (!file->no_generate) {
        /* option (pb_c_file).no_generate: nothing at all, as protoc-c. */
        bool paths = layout->proto_paths;
        char *name = paths ? proto_name(opts, input) : cpgen_xasprintf("%s.proto", file->base);
        int stem_len = (int)(strlen(name) - 6);
        char *pbc_stem = cpgen_xasprintf("%.*s.pb-c", stem_len, name);
        char *cproc_stem = cpgen_xasprintf("%.*s.pb-cproc", stem_len, name);
        file->import_paths = paths;
        file->pbc_header = cpgen_xasprintf("%s.h", pbc_stem);
        file->pbc_guard = pbc_guard(name);
        free(file->header_name);
        free(file->guard);
        file->header_name = cpgen_xasprintf("%s.h", cproc_stem);
        file->guard = cpgen_name_guard(file->header_name);
        if (paths)
            source_name = name;
        if (opts->print_names)
            cpgen_names_print(file, stdout);

        cpgen_out_init(&h);
        cpgen_out_init(&c);
        cpgen_emit_pbc_file(file, source_name, &h, &c);
        rc = write_pair(outdir, pbc_stem, &h, &c, paths, outputs);
        cpgen_out_close(&h);
        cpgen_out_close(&c);
        if (layout->cproc_files && rc == 0) {
            cpgen_out_init(&h);
            cpgen_out_init(&c);
            cpgen_emit_cproc_file(file, source_name, &h, &c);
            rc = write_pair(outdir, cproc_stem, &h, &c, paths, outputs);
            cpgen_out_close(&h);
            cpgen_out_close(&c);
        }
        free(pbc_stem);
        free(cproc_stem);
        free(name);
    }
    cpgen_file_free(file);
    return rc;
}

