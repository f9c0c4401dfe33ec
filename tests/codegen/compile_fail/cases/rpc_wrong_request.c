/* An rpc takes its own request type only.
 * expect-gcc: '_Generic' selector of type 'const Cf__Res \*' is not compatible with any association
 * expect-clang: controlling expression type 'const Cf__Res \*'.* not compatible with any generic association type
 */
#include "cf.actor.h"

Cf__Res_Future use(Cf__Store_Pid pid, const Cf__Req *req, const Cf__Res *res);
Cf__Res_Future use(Cf__Store_Pid pid, const Cf__Req *req, const Cf__Res *res)
{
#ifdef CF_MISUSE
    (void)req;
    return cf__store__get(pid, res, NULL, NULL);
#else
    (void)res;
    return cf__store__get(pid, req, NULL, NULL);
#endif
}
