/* A downstream program using cproc and cproc-gen's output for hello.proto:
 * the protobuf-c messages (hello.pb-c.h) and cproc's typed future of a
 * message (hello.pb-cproc.h, libcproc). Prints "consumer ok" and exits 0
 * when a message survives pack, unpack and a trip through a future. */
#include <stdio.h>
#include <string.h>

#include "hello.pb-cproc.h"

int main(void)
{
    Demo__Hello msg = DEMO__HELLO__INIT;
    msg.text = "hi";
    msg.n = 7;
    uint8_t buf[64];
    size_t len = demo__hello__get_packed_size(&msg);
    if (len > sizeof buf || demo__hello__pack(&msg, buf) != len)
        return 1;
    Demo__Hello *back = demo__hello__unpack(NULL, len, buf);
    if (back == NULL)
        return 1;
    Demo__Hello_Future f = demo__hello__future_ready(back, demo__hello__free);
    const Demo__Hello *v = demo__hello__future_value(f);
    int ok = v != NULL && v->n == 7 && strcmp(v->text, "hi") == 0;
    demo__hello__future_unref(f);
    puts(ok ? "consumer ok" : "consumer FAILED");
    return ok ? 0 : 1;
}
