/* An rpc's future is of its response type.
 * expect-gcc: incompatible types when assigning to type 'Cf__Req_Future' from type 'Cf__Res_Future'
 * expect-clang: assigning to 'Cf__Req_Future' .*from incompatible type 'Cf__Res_Future'
 */
#include "cf.actor.h"

void use(Cf__Store_Pid pid, const Cf__Req *req);
void use(Cf__Store_Pid pid, const Cf__Req *req)
{
#ifdef CF_MISUSE
    Cf__Req_Future f;
    f = cf__store__get(pid, req, NULL, NULL);
    cf__req__future_unref(f);
#else
    Cf__Res_Future f;
    f = cf__store__get(pid, req, NULL, NULL);
    cf__res__future_unref(f);
#endif
}
