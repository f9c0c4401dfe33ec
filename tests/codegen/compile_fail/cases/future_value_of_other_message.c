/* Reading a future's value names its message type.
 * expect-gcc: '_Generic' selector of type '(struct )?Cf__Res_Future' is not compatible with any association
 * expect-clang: controlling expression type 'Cf__Res_Future'.* not compatible with any generic association type
 */
#include "cf.actor.h"

const void *use(Cf__Res_Future f);
const void *use(Cf__Res_Future f)
{
#ifdef CF_MISUSE
    return cf__req__future_value(f);
#else
    return cf__res__future_value(f);
#endif
}
