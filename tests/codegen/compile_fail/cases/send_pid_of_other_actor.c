/* A typed send goes to a pid of the actor that declares the message.
 * expect-gcc: incompatible type for argument 1 of 'cf__store__send_ping'
 * expect-clang: passing 'Cf__Other_Pid' .* to parameter of incompatible type 'Cf__Store_Pid'
 */
#include "cf.actor.h"

int use(Cf__Store_Pid store, Cf__Other_Pid other, Cf__Ping *ping);
int use(Cf__Store_Pid store, Cf__Other_Pid other, Cf__Ping *ping)
{
#ifdef CF_MISUSE
    (void)store;
    return cf__store__send(other, ping, NULL);
#else
    (void)other;
    return cf__store__send(store, ping, NULL);
#endif
}
