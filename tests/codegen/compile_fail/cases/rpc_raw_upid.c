/* An rpc does not take an untyped cp_upid_t.
 * expect-gcc: incompatible type for argument 1 of 'cf__store__get'
 * expect-clang: passing 'cp_upid_t' .* to parameter of incompatible type 'Cf__Store_Pid'
 */
#include "cf.actor.h"

Cf__Res_Future use(cp_upid_t upid, const Cf__Req *req);
Cf__Res_Future use(cp_upid_t upid, const Cf__Req *req)
{
#ifdef CF_MISUSE
    return cf__store__get(upid, req, NULL, NULL);
#else
    return cf__store__get(cf__store__pid(upid), req, NULL, NULL);
#endif
}
