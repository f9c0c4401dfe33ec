/* The per-`on` send takes that message type only.
 * expect-gcc: '_Generic' selector of type 'Cf__Pong \*' is not compatible with any association
 * expect-clang: controlling expression type 'Cf__Pong \*'.* not compatible with any generic association type
 */
#include "cf.actor.h"

int use(Cf__Store_Pid pid, Cf__Ping *ping, Cf__Pong *pong);
int use(Cf__Store_Pid pid, Cf__Ping *ping, Cf__Pong *pong)
{
#ifdef CF_MISUSE
    (void)ping;
    return cf__store__send_ping(pid, pong, NULL);
#else
    (void)pong;
    return cf__store__send_ping(pid, ping, NULL);
#endif
}
