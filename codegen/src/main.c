/*
 * cproc-gen: turn .actor / .proto files into protobuf-c messages and typed
 * cproc actor stubs. See docs/codegen.md.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "emit_file.h"
#include "frontend.h"
#include "gen_names.h"
#include "names.h"

static const char usage_text[] =
    "usage: cproc-gen [-I DIR]... [-o OUTDIR] [--werror] [--depfile FILE] FILE.actor|FILE.proto...\n";

static const char help_text[] =
    "\n"
    "Generate C for the messages and actors described in each input file:\n"
    "NAME.actor -> NAME.actor.h and NAME.actor.c, NAME.proto -> NAME.pb-cproc.h\n"
    "and NAME.pb-cproc.c, written into OUTDIR.\n"
    "\n"
    "options:\n"
    "  -I DIR, --include DIR  search DIR for imported files (repeatable, in order)\n"
    "  -o DIR, --output DIR   write the generated files into DIR (default: .)\n"
    "  --werror               treat warnings as errors\n"
    "  --depfile FILE         write a Makefile-style depfile listing every file read\n"
    "  --print-names          also print, to stdout, every C name the input's own\n"
    "                         declarations get (\"global|static NAME\", \"member STRUCT NAME\")\n"
    "  -h, --help             show this help and exit\n"
    "  --version              show the version and exit\n"
    "\n"
    "exit status: 0 on success, 1 on any error.\n";

enum { OPT_WERROR = 256, OPT_DEPFILE, OPT_VERSION, OPT_PRINT_NAMES };

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

static int generate(const cpgen_options_t *opts, const char *input, const char *outdir,
                    cpgen_deps_t *deps, cpgen_deps_t *outputs)
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
    file->base = names.base;
    file->suffix = names.suffix;
    file->header_name = cpgen_xasprintf("%s%s.h", file->base, file->suffix);
    file->guard = cpgen_name_guard(file->header_name);
    if (opts->print_names)
        cpgen_names_print(file, stdout);

    const char *slash = strrchr(input, '/');
    cpgen_out_t h, c;
    cpgen_out_init(&h);
    cpgen_out_init(&c);
    cpgen_emit_file(file, slash ? slash + 1 : input, &h, &c);

    char *hpath = cpgen_xasprintf("%s/%s", outdir, file->header_name);
    char *cpath = cpgen_xasprintf("%s/%s%s.c", outdir, file->base, file->suffix);
    int rc = 0;
    if (cpgen_out_write_file(&h, hpath) != 0 || cpgen_out_write_file(&c, cpath) != 0)
        rc = -1;
    deps_add(outputs, hpath);
    deps_add(outputs, cpath);
    cpgen_out_close(&h);
    cpgen_out_close(&c);
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
        { "print-names", no_argument, NULL, OPT_PRINT_NAMES },
        { NULL, 0, NULL, 0 },
    };
    cpgen_options_t opts = { NULL, 0, false, false };
    const char *outdir = ".";
    const char *depfile = NULL;
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
        case OPT_PRINT_NAMES:
            opts.print_names = true;
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
        if (generate(&opts, argv[i], outdir, &deps, &outputs) != 0)
            status = 1;
    if (status == 0 && depfile && write_depfile(depfile, &outputs, &deps) != 0)
        status = 1;
    cpgen_deps_close(&deps);
    cpgen_deps_close(&outputs);
    free((void *)opts.include_dirs);
    return status;
}
