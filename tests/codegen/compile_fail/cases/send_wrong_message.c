/* A message helper takes only its own message.
 * expect-gcc: '_Generic' selector of type 'Cf__Pong \*' is not compatible with any association
 * expect-clang: controlling expression type 'Cf__Pong \*'.* not compatible with any generic association type
 */
#include "cf.actor.h"

int use(cp_process_t *self, const cp_upid_t *to);
int use(cp_process_t *self, const cp_upid_t *to)
{
    Cf__Ping ping = CF__PING__INIT;
    Cf__Pong pong = CF__PONG__INIT;
#ifdef CF_MISUSE
    (void)ping;
    return cf__ping__send(self, to, &pong);
#else
    (void)pong;
    return cf__ping__send(self, to, &ping);
#endif
}
