/* An rpc takes the pid of its own actor only.
 * expect-gcc: incompatible type for argument 1 of 'cf__store__get'
 * expect-clang: passing 'Cf__Other_Pid' .* to parameter of incompatible type 'Cf__Store_Pid'
 */
#include "cf.actor.h"

Cf__Res_Future use(Cf__Store_Pid store, Cf__Other_Pid other, const Cf__Req *req);
Cf__Res_Future use(Cf__Store_Pid store, Cf__Other_Pid other, const Cf__Req *req)
{
#ifdef CF_MISUSE
    (void)store;
    return cf__store__get(other, req, NULL, NULL);
#else
    (void)other;
    return cf__store__get(store, req, NULL, NULL);
#endif
}
