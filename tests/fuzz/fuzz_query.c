/* libFuzzer target for what the metrics endpoints parse from a request:
 * the query string (timeout, level, duration) and libprocess durations,
 * plus the flat JSON reader the snapshot uses for the runtime's figures.
 * Built with FUZZ_QUERY_REPLAY it is a plain program replaying the corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/format.h"
#include "metrics/metrics_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *q = (const char *)data;
    static const char *const names[] = {"timeout", "level", "duration"};
    for (size_t i = 0; i < 3; i++) {
        const char *v;
        size_t vlen;
        uint64_t ns;
        if (cp__query_get(q, size, names[i], &v, &vlen)) {
            if (v < q || v + vlen > q + size)
                abort(); /* the value must lie inside the input */
            cp__duration_parse(v, vlen, &ns);
        }
    }
    uint64_t ns;
    cp__duration_parse(q, size, &ns);
    /* The JSON reader expects a NUL after the text (strtod). */
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = 0;
    cp__fams_t f = {0};
    cp__fams_from_json(&f, copy, size);
    cp__fams_free(&f);
    free(copy);
    return 0;
}

#ifdef FUZZ_QUERY_REPLAY
#include <dirent.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        if (d == NULL) {
            fprintf(stderr, "fuzz_query_replay: cannot open %s\n", argv[i]);
            return 1;
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            FILE *f = fopen(path, "rb");
            if (f == NULL)
                continue;
            static uint8_t buf[1 << 16];
            size_t len = fread(buf, 1, sizeof buf, f);
            fclose(f);
            LLVMFuzzerTestOneInput(buf, len);
            n++;
        }
        closedir(d);
    }
    printf("fuzz_query_replay: %d inputs\n", n);
    return n > 0 ? 0 : 1;
}
#endif
