/*
 * cproc-gen: turn .actor / .proto files into protobuf-c messages and typed
 * cproc actor stubs. See docs/codegen.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emit.h"
#include "driver.h"
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
    "  -I DIR, --include DIR  search DIR for imported files (repeatable, in order;\n"
    "                         then, as protoc, the system's protobuf include dir)\n"
    "  -o DIR, --output DIR   write the generated files into DIR (default: .), which\n"
    "                         must exist (as with protoc)\n"
    "  --protoc-c             for .proto inputs write only NAME.pb-c.h/.c, named and\n"
    "                         placed as protoc-c --c_out does (OUTDIR/DIR/NAME.pb-c.h\n"
    "                         for an input DIR/NAME.proto found under an -I dir)\n"
    "  --werror               treat warnings as errors\n"
    "  --depfile FILE         write a Makefile-style depfile listing every file read\n"
    "  --print-names          also print, to stdout, every C name the input's own\n"
    "                         declarations get (\"global|static NAME\", \"member STRUCT NAME\")\n"
    "  -h, --help             show this help and exit\n"
    "  --version              show the version and exit\n"
    "\n"
    "exit status: 0 on success, 1 on any error.\n";

enum { OPT_WERROR = 256, OPT_DEPFILE, OPT_VERSION, OPT_PROTOC_C, OPT_PRINT_NAMES };

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
        { "print-names", no_argument, NULL, OPT_PRINT_NAMES },
        { NULL, 0, NULL, 0 },
    };
    cpgen_options_t opts = { NULL, 0, false, false };
    const char *outdir = ".";
    const char *depfile = NULL;
    cpgen_layout_t layout = { false, true };
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
            layout.proto_paths = true;
            layout.cproc_files = false;
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

    /* As protoc's --c_out: the output directory must exist (subdirectories
     * of the --protoc-c layout below it are made); say so before any work. */
    struct stat st;
    const char *why = NULL;
    if (stat(outdir, &st) != 0)
        why = strerror(errno);
    else if (!S_ISDIR(st.st_mode))
        why = strerror(ENOTDIR);
    if (why != NULL) {
        fprintf(stderr, "cproc-gen: output directory '%s': %s\n", outdir, why);
        free((void *)opts.include_dirs);
        return 1;
    }

    cpgen_deps_t deps = { NULL, 0 }, outputs = { NULL, 0 };
    int status = 0;
    for (int i = optind; i < argc; i++)
        if (cpgen_generate(&opts, argv[i], outdir, &layout, &deps, &outputs) != 0)
            status = 1;
    if (status == 0 && depfile && write_depfile(depfile, &outputs, &deps) != 0)
        status = 1;
    cpgen_deps_close(&deps);
    cpgen_deps_close(&outputs);
    free((void *)opts.include_dirs);
    return status;
}
