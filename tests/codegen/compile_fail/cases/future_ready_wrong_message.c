/* A future of Res holds only a Res.
 * expect-gcc: '_Generic' selector of type 'Cf__Req \*' is not compatible with any association
 * expect-clang: controlling expression type 'Cf__Req \*'.* not compatible with any generic association type
 */
#include "cf.actor.h"

Cf__Res_Future use(Cf__Req *req, Cf__Res *res);
Cf__Res_Future use(Cf__Req *req, Cf__Res *res)
{
#ifdef CF_MISUSE
    (void)res;
    return cf__res__future_ready(req, NULL);
#else
    (void)req;
    return cf__res__future_ready(res, NULL);
#endif
}
