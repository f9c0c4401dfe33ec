/* http_decode: the request decoder alone, on the messages
 * remote_ping_pong sends (cproc's framing, chunked 100-byte body), 64
 * pipelined in each read, with the fast path and with llhttp only. Prints
 * nanoseconds per request for each (BENCH_ROUNDS reads of 64, default
 * 20,000). */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "transport/http_decoder.h"
#include "transport/wire.h"

static int count_request(void *arg, cp__http_request_t *req)
{
    *(uint64_t *)arg += req->body_len;
    return 0;
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"http_decode"};
    bench_check_args(argc, argv, names, 1);
    cp__buf_t msgs = {0};
    cp_upid_t from, to;
    cp_upid_make("ping(1)", 0x7f000001u, 40001, &from);
    cp_upid_make("echo_loop", 0x7f000001u, 5050, &to);
    char body[100];
    memset(body, 'x', sizeof body);
    for (int i = 0; i < 64; i++)
        if (cp__wire_encode_message_headers(&msgs, &from, &to, "bench.Ping", body, sizeof body,
                                            NULL, 0))
            return 1;
    long rounds = bench_env_long("BENCH_ROUNDS", 20000);
    for (int fast = 1; fast >= 0; fast--) {
        uint64_t bytes = 0;
        cp__http_decoder_t d;
        cp__http_decoder_init(&d, NULL, count_request, &bytes);
        cp__http_decoder_set_fast(&d, fast);
        /* Warm: the buffers have grown and the code is in cache. */
        for (long i = 0; i < rounds / 10 + 1; i++)
            if (cp__http_decoder_feed(&d, msgs.data, msgs.len))
                return 1;
        bytes = 0;
        uint64_t start = bench_now_ns();
        for (long i = 0; i < rounds; i++)
            if (cp__http_decoder_feed(&d, msgs.data, msgs.len))
                return 1;
        double ns = (double)(bench_now_ns() - start) / ((double)rounds * 64);
        cp__http_decoder_close(&d);
        if (bytes != (uint64_t)rounds * 64 * sizeof body)
            return 1;
        printf("{\"bench\": \"http_decode\", \"value\": %.1f, \"unit\": \"ns/request\", "
               "\"fast_path\": %s, \"request_bytes\": %zu, \"pipelined\": 64}\n",
               ns, fast ? "true" : "false", msgs.len / 64);
    }
    cp__buf_close(&msgs);
    return 0;
}
