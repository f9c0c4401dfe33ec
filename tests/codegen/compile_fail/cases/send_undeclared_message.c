/* Sending an actor a message it has no `on` for (Store has `on Ping`
 * only).
 * expect-gcc: '_Generic' selector of type 'Cf__Pong \*' is not compatible with any association
 * expect-clang: controlling expression type 'Cf__Pong \*'.* not compatible with any generic association type
 */
#include "cf.actor.h"

int use(Cf__Store_Pid pid, Cf__Ping *ping, Cf__Pong *pong);
int use(Cf__Store_Pid pid, Cf__Ping *ping, Cf__Pong *pong)
{
#ifdef CF_MISUSE
    (void)ping;
    return cf__store__send(pid, pong, NULL);
#else
    (void)pong;
    return cf__store__send(pid, ping, NULL);
#endif
}
