/* A downstream program built from an `.actor` file with make: a typed
 * future of the generated message, failed printf-style. Prints
 * "greeter ok" and exits 0. */
#include <stdio.h>
#include <string.h>

#include "greeter.actor.h"

int main(void)
{
    Greet__Greeting_Future f = greet__greeting__future_failed("no %s", "greeter");
    const char *why = greet__greeting__future_failure(f);
    int ok = why != NULL && strcmp(why, "no greeter") == 0;
    greet__greeting__future_unref(f);
    puts(ok ? "greeter ok" : "greeter FAILED");
    return ok ? 0 : 1;
}
