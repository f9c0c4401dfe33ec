/*
 * cproc-gen: turn .actor / .proto files into protobuf-c messages and typed
 * cproc actor stubs. See docs/codegen.md.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emit.h"
#include "emit_file.h"
#include "frontend.h"

static const char usage_text[] =
    "usage: cproc-gen [-I DIR]... [-o OUTDIR] [--protoc-c] [--werror] [--depfile FILE]\n"
    "                 FILE.actor|FILE.proto...\n";

static const char help_text[] =
    "\n"
    "Generate C for the messages and actors described in each input file,\n"
    "written into OUTDIR: NAME.actor -> NAME.actor.h and NAME.actor.c;\n"
    "NAME.proto -> NAME.pb-c.h and NAME.pb-c.c (protobuf-c code, as protoc-c\n"
    "writes it) and NAME.pb-cproc.h and NAME.pb-cproc.c (cproc's helpers).\n"
    "\n"
    "options:\n"
    "  -I DIR, --include DIR  search DIR for imported files (repeatable, in order)\n"
    "  -o DIR, --output DIR   write the generated files into DIR (default: .)\n"
    "  --protoc-c             for .proto inputs write only NAME.pb-c.h/.c, named and\n"
    "                         placed as protoc-c --c_out does (OUTDIR/DIR/NAME.pb-c.h\n"
    "                         for an input DIR/NAME.proto found under an -I dir)\n"
    "  --werror               treat warnings as errors\n"
    "  --depfile FILE         write a Makefile-style depfile listing every file read\n"
    "  -h, --help             show this help and exit\n"
    "  --version              show the version and exit\n"
    "\n"
    "exit status: 0 on success, 1 on any error.\n";

enum { OPT_WERROR = 256, OPT_DEPFILE, OPT_VERSION, OPT_PROTOC_C };

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

static char *make_guard(const char *header_name)
{
    char *g = cpgen_xasprintf("CPGEN_%s", header_name);
    for (char *p = g; *p; p++)
        *p = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
    return g;
}

static void put_escaped(FILE *f, const char *path)
{
    for (const char *p = path; *p; p++) {
        if (*p == ' ' || *p == '#' || *p == '\\')
            fputc('\\', f);
        if (*p == '$')
            fputc('$', f);
        fputc(*p, f);
    }
}

static int write_depfile(const char *path, const cpgen_deps_t *outputs, const cpgen_deps_t *deps)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    for (size_t i = 0; i < outputs->n; i++) {
        if (i)
            fputc(' ', f);
        put_escaped(f, outputs->paths[i]);
    }
    fputc(':', f);
    for (size_t i = 0; i < deps->n; i++) {
        fputs(" \\\n  ", f);
        put_escaped(f, deps->paths[i]);
    }
    fputc('\n', f);
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

static void deps_add(cpgen_deps_t *deps, char *path)
{
    deps->paths = cpgen_xrealloc(deps->paths, (deps->n + 1) * sizeof *deps->paths);
    deps->paths[deps->n++] = path;
}

/* protoc's name of an input file: its path relative to the first -I
 * directory that holds it, else its base name. */
static char *proto_name(const cpgen_options_t *opts, const char *input)
{
    for (size_t i = 0; i < opts->n_include_dirs; i++) {
        const char *dir = opts->include_dirs[i];
        size_t len = strlen(dir);
        while (len > 1 && dir[len - 1] == '/')
            len--;
        if (strcmp(dir, ".") == 0 && input[0] != '/' && strncmp(input, "../", 3) != 0)
            return cpgen_xstrdup(strncmp(input, "./", 2) == 0 ? input + 2 : input);
        if (strncmp(input, dir, len) == 0 && input[len] == '/')
            return cpgen_xstrdup(input + len + 1);
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

static int generate(const cpgen_options_t *opts, const char *input, const char *outdir,
                    bool protoc_c, cpgen_deps_t *deps, cpgen_deps_t *outputs)
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
    file->guard = make_guard(file->header_name);

    const char *slash = strrchr(input, '/');
    const char *source_name = slash ? slash + 1 : input;
    int rc = 0;
    cpgen_out_t h, c;
    if (!is_proto) {
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
        char *name = protoc_c ? proto_name(opts, input) : cpgen_xasprintf("%s.proto", file->base);
        char *pbc_stem = cpgen_xasprintf("%.*s.pb-c", (int)(strlen(name) - 6), name);
        file->import_paths = protoc_c;
        file->pbc_header = cpgen_xasprintf("%s.h", pbc_stem);
        file->pbc_guard = pbc_guard(name);
        if (protoc_c)
            source_name = name;

        cpgen_out_init(&h);
        cpgen_out_init(&c);
        cpgen_emit_pbc_file(file, source_name, &h, &c);
        rc = write_pair(outdir, pbc_stem, &h, &c, protoc_c, outputs);
        cpgen_out_close(&h);
        cpgen_out_close(&c);
        if (!protoc_c && rc == 0) {
            cpgen_out_init(&h);
            cpgen_out_init(&c);
            cpgen_emit_cproc_file(file, source_name, &h, &c);
            char *stem = cpgen_xasprintf("%s%s", file->base, file->suffix);
            rc = write_pair(outdir, stem, &h, &c, false, outputs);
            free(stem);
            cpgen_out_close(&h);
            cpgen_out_close(&c);
        }
        free(pbc_stem);
        free(name);
    }
    cpgen_file_free(file);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "include", required_argument, NULL, 'I' },
        { "output", required_argument, NULL, 'o' },
        { "werror", no_argument, NULL, OPT_WERROR },
        { "depfile", required_argument, NULL, OPT_DEPFILE },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { "protoc-c", no_argument, NULL, OPT_PROTOC_C },
        { NULL, 0, NULL, 0 },
    };
    cpgen_options_t opts = { NULL, 0, false };
    const char *outdir = ".";
    const char *depfile = NULL;
    bool protoc_c = false;
    int opt;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+I:o:h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'I':
            opts.include_dirs = cpgen_xrealloc((void *)opts.include_dirs,
                                               (opts.n_include_dirs + 1) * sizeof(char *));
            opts.include_dirs[opts.n_include_dirs++] = optarg;
            break;
        case 'o':
            outdir = optarg;
            break;
        case OPT_WERROR:
            opts.werror = true;
            break;
        case OPT_DEPFILE:
            depfile = optarg;
            break;
        case OPT_PROTOC_C:
            protoc_c = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            fputs(help_text, stdout);
            free((void *)opts.include_dirs);
            return 0;
        case OPT_VERSION:
            printf("cproc-gen %s\n", CPGEN_VERSION);
            free((void *)opts.include_dirs);
            return 0;
        default:
            if (optopt && optopt < 256 && strchr("Io", optopt))
                fprintf(stderr, "cproc-gen: option -%c needs an argument\n", optopt);
            else
                fprintf(stderr, "cproc-gen: unknown option '%s'\n", argv[optind - 1]);
            fputs(usage_text, stderr);
            free((void *)opts.include_dirs);
            return 1;
        }
    }
    if (optind >= argc) {
        fputs("cproc-gen: no input files\n", stderr);
        fputs(usage_text, stderr);
        free((void *)opts.include_dirs);
        return 1;
    }

    cpgen_deps_t deps = { NULL, 0 }, outputs = { NULL, 0 };
    int status = 0;
    for (int i = optind; i < argc; i++)
        if (generate(&opts, argv[i], outdir, protoc_c, &deps, &outputs) != 0)
            status = 1;
    if (status == 0 && depfile && write_depfile(depfile, &outputs, &deps) != 0)
        status = 1;
    cpgen_deps_close(&deps);
    cpgen_deps_close(&outputs);
    free((void *)opts.include_dirs);
    return status;
}
