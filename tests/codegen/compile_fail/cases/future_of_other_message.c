/* A future of one message is not a future of another.
 * expect-gcc: incompatible types when assigning to type 'Cf__Res_Future' from type 'Cf__Req_Future'
 * expect-clang: assigning to 'Cf__Res_Future' .*from incompatible type 'Cf__Req_Future'
 */
#include "cf.actor.h"

Cf__Res_Future use(void);
Cf__Res_Future use(void)
{
#ifdef CF_MISUSE
    Cf__Res_Future f;
    f = cf__req__future_failed("no");
#else
    Cf__Res_Future f;
    f = cf__res__future_failed("no");
#endif
    return f;
}
