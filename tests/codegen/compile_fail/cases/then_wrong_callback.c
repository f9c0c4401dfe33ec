/* A then callback takes the value of the future's own message type.
 * expect-gcc: '_Generic' selector of type 'cp_future_t \* ?\(\*\)\(const Cf__Req \*, void \*\)'.* is not compatible with any association
 * expect-clang: controlling expression type 'cp_future_t \* ?\(\*\)\(const Cf__Req \*, void \*\)'.* not compatible with any generic association type
 */
#include "cf.actor.h"

cp_future_t *on_res(const Cf__Res *value, void *arg);
cp_future_t *on_req(const Cf__Req *value, void *arg);

cp_future_t *use(Cf__Res_Future f);
cp_future_t *use(Cf__Res_Future f)
{
#ifdef CF_MISUSE
    return cf__res__future_then(f, on_req, NULL, NULL);
#else
    return cf__res__future_then(f, on_res, NULL, NULL);
#endif
}
