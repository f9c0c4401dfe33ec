/* Reading a future's value names its message type.
 * expect-gcc: incompatible type for argument 1 of 'cf__req__future_value'
 * expect-clang: passing 'Cf__Res_Future' .* to parameter of incompatible type 'Cf__Req_Future'
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
