/* libFuzzer target for the IDL front end: lexer, parser, name resolution
 * and checks over one in-memory file. Imports never touch the disk
 * (no_disk); a second in-memory file, "dep.proto", is importable so the
 * loader's import path runs too. Built twice: with -fsanitize=fuzzer, and
 * with FUZZ_IDL_REPLAY as a plain program that replays the corpus (a test
 * in every sanitizer build). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpidl/cpidl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char dep_proto[] = "syntax = \"proto3\";\n"
                                "package dep;\n"
                                "message Imported { int32 a = 1; }\n"
                                "enum Kind { KIND_NONE = 0; KIND_ONE = 1; }\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cpidl_source_t sources[] = {{"dep.proto", dep_proto, sizeof dep_proto - 1}};
    cpidl_diags_t diags = {0};
    cpidl_options_t opts = {
        .sources = sources,
        .n_sources = 1,
        .no_disk = true,
        .diags = &diags,
        /* Odd first byte: werror, to run the promotion path too. */
        .werror = size > 0 && (data[0] & 1),
    };
    cpidl_program_t *prog = NULL;
    int rc = cpidl_load_buffer(&opts, "fuzz.actor", (const char *)data, size, &prog);
    if (rc == CPIDL_OK) {
        /* Walk what a code generator would read. */
        for (size_t i = 0; i < prog->n_files; i++) {
            const cpidl_file_t *f = prog->files[i];
            for (size_t j = 0; j < f->n_all_messages; j++) {
                const cpidl_message_t *m = f->all_messages[j];
                if (cpidl_program_find_message(prog, m->full_name) == NULL)
                    abort();
                for (size_t k = 0; k < m->n_fields; k++) {
                    const cpidl_field_t *fl = m->fields[k];
                    if ((fl->type == CPIDL_TYPE_MESSAGE && fl->message == NULL) ||
                        (fl->type == CPIDL_TYPE_ENUM && fl->enumeration == NULL))
                        abort();
                }
            }
        }
    } else if (rc == CPIDL_EFAIL && diags.n_errors == 0) {
        abort(); /* a failed load must say why */
    }
    cpidl_program_free(prog);
    cpidl_diags_close(&diags);
    return 0;
}

#ifdef FUZZ_IDL_REPLAY
#include <dirent.h>

/* Run every file of the corpus directories given as arguments once. */
int main(int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        if (d == NULL) {
            fprintf(stderr, "fuzz_idl_replay: cannot open %s\n", argv[i]);
            return 1;
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            FILE *fp = fopen(path, "rb");
            if (fp == NULL)
                continue;
            size_t cap = 1 << 16, len = 0;
            char *buf = malloc(cap);
            size_t got;
            while (buf != NULL && (got = fread(buf + len, 1, cap - len, fp)) > 0) {
                len += got;
                if (len == cap) {
                    char *nb = realloc(buf, cap * 2);
                    if (nb == NULL)
                        break;
                    buf = nb;
                    cap *= 2;
                }
            }
            fclose(fp);
            if (buf == NULL)
                return 1;
            LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
            free(buf);
            n++;
        }
        closedir(d);
    }
    printf("replayed %d inputs\n", n);
    return n > 0 ? 0 : 1;
}
#endif
