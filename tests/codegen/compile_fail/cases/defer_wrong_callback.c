/* A defer callback receives the value of the future's own message type.
 * expect-gcc: '_Generic' selector of type 'void \(\*\)\(cp_process_t \*, void \*, const Cf__Req \*, cp_future_t \*, void \*\)'.* is not compatible with any association
 * expect-clang: controlling expression type 'void \(\*\)\(cp_process_t \*, void \*, const Cf__Req \*, cp_future_t \*, void \*\)'.* not compatible with any generic association type
 */
#include "cf.actor.h"

void on_res(cp_process_t *self, void *state, const Cf__Res *value, cp_future_t *f, void *arg);
void on_req(cp_process_t *self, void *state, const Cf__Req *value, cp_future_t *f, void *arg);

int use(Cf__Res_Future f, cp_upid_t me);
int use(Cf__Res_Future f, cp_upid_t me)
{
#ifdef CF_MISUSE
    return cf__res__future_defer(f, me, on_req, NULL, NULL);
#else
    return cf__res__future_defer(f, me, on_res, NULL, NULL);
#endif
}
