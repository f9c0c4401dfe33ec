/* A program that wants messages only (as with protoc-c): it includes
 * hello.pb-c.h and links libprotobuf-c, nothing of cproc. */
#include <stdio.h>
#include <string.h>

#include "hello.pb-c.h"

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
    int ok = back != NULL && back->n == 7 && strcmp(back->text, "hi") == 0 &&
             strcmp(demo__hello__descriptor.name, "demo.Hello") == 0 &&
             demo__greeter__descriptor.n_methods == 1;
    demo__hello__free_unpacked(back, NULL);
    puts(ok ? "messages ok" : "messages FAILED");
    return ok ? 0 : 1;
}
