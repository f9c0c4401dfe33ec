/* reply takes only its own message, not a message of another type.
 * expect-gcc: '_Generic' selector of type 'Cf__Req \*' is not compatible with any association
 * expect-clang: controlling expression type 'Cf__Req \*'.* not compatible with any generic association type
 */
#include "cf.actor.h"

int use(cp_process_t *self, const cp_upid_t *from, Cf__Req *req, Cf__Res *res);
int use(cp_process_t *self, const cp_upid_t *from, Cf__Req *req, Cf__Res *res)
{
#ifdef CF_MISUSE
    (void)res;
    return cf__res__reply(self, from, req);
#else
    (void)req;
    return cf__res__reply(self, from, res);
#endif
}
