/* A recover callback gets the typed future and returns one of the same type.
 * expect-gcc: '_Generic' selector of type 'Cf__Res_Future \(\*\)\(cp_future_t \*, void \*\)'.* is not compatible with any association
 * expect-clang: controlling expression type 'Cf__Res_Future \(\*\)\(cp_future_t \*, void \*\)'.* not compatible with any generic association type
 */
#include "cf.actor.h"

Cf__Res_Future typed(Cf__Res_Future failed, void *arg);
Cf__Res_Future untyped(cp_future_t *failed, void *arg);

Cf__Res_Future use(Cf__Res_Future f);
Cf__Res_Future use(Cf__Res_Future f)
{
#ifdef CF_MISUSE
    return cf__res__future_recover(f, untyped, NULL, NULL);
#else
    return cf__res__future_recover(f, typed, NULL, NULL);
#endif
}
