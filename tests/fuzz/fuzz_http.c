/* libFuzzer target for the HTTP request decoder and the reading of
 * requests as libprocess messages. The first byte chooses where the rest
 * is cut into two reads, and (its top bits) the limits, whether the
 * callback stops at the first or second request, and whether bodies are
 * taken. The rest goes into a decoder with its fast path and one without
 * (tests/fuzz/http_diff.h), whole and in the two reads; any difference in
 * what they hand out or refuse aborts.
 * Built with FUZZ_HTTP_REPLAY it is a plain program replaying the corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "http_diff.h"
#include "transport/http_decoder.h"
#include "transport/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The message readers run on every request too, for their own bugs. */
static void read_as_message(cp__http_request_t *req)
{
    if (cp__wire_is_message(req)) {
        const char *id, *name;
        size_t il, nl;
        cp_upid_t from;
        cp__wire_parse_message(req, &id, &il, &name, &nl, &from);
        cp__callmeta_t meta;
        cp__wire_parse_call(req, &meta);
    }
    size_t n;
    cp__http_request_header(req, "Content-Type", &n);
}

/* Roomy limits, and tight ones that requests of the corpus's size meet
 * and cross. */
static const cp__http_limits_t LIMITS[4] = {
    {.max_header = 4096, .max_body = 65536},
    {.max_header = 120, .max_body = 8},
    {.max_header = 200, .max_body = 3},
    {.max_header = 64, .max_body = 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned mode = data[0] >> 4;
    const cp__http_limits_t *lim = &LIMITS[mode & 3];
    int stop_after = (mode & 4) ? 1 + (data[0] & 1) : 0;
    bool take_odd = (mode & 8) != 0;
    const char *p = (const char *)data + 1;
    size_t len = size - 1;
    size_t split = size > 1 ? data[0] % size : 0;
    if (split > len)
        split = len;
    if (!http_diff_same(lim, p, len, NULL, 0, stop_after, take_odd, read_as_message, NULL) ||
        !http_diff_same(lim, p, len, &split, 1, stop_after, take_odd, read_as_message, NULL))
        abort();
    return 0;
}

#ifdef FUZZ_HTTP_REPLAY
#include <dirent.h>
#include <stdio.h>

/* Runs every file of the corpus directories given as arguments once, so
 * the corpus is a regression test under every sanitizer. */
int main(int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        if (d == NULL) {
            fprintf(stderr, "fuzz_http_replay: cannot open %s\n", argv[i]);
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
            uint8_t buf[1 << 16];
            size_t len = fread(buf, 1, sizeof buf, f);
            fclose(f);
            LLVMFuzzerTestOneInput(buf, len);
            n++;
        }
        closedir(d);
    }
    printf("fuzz_http_replay: %d inputs\n", n);
    return n > 0 ? 0 : 1;
}
#endif
