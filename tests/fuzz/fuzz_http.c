/* libFuzzer target for the HTTP request decoder and the reading of
 * requests as libprocess messages. The input is fed in two pieces split at
 * a point chosen by its first byte, so partial reads are exercised too.
 * Built with FUZZ_HTTP_REPLAY it is a plain program replaying the corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "transport/http_decoder.h"
#include "transport/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_request(void *arg, cp__http_request_t *req)
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
    if (req->body_len & 1) {
        size_t len;
        free(cp__http_request_take_body(req, &len));
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    cp__http_limits_t lim = {.max_header = 4096, .max_body = 65536};
    cp__http_decoder_t d;
    cp__http_decoder_init(&d, &lim, on_request, NULL);
    size_t split = size > 1 ? data[0] % size : 0;
    const char *p = (const char *)data + 1;
    size_t len = size - 1;
    if (split > len)
        split = len;
    if (cp__http_decoder_feed(&d, p, split) == 0)
        cp__http_decoder_feed(&d, p + split, len - split);
    cp__http_decoder_close(&d);
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
