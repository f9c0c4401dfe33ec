/* spawn's handlers must be the spawned actor's handler table.
 * expect-gcc: '_Generic' selector of type 'const Cf__Other_Handlers \*' is not compatible with any association
 * expect-clang: controlling expression type 'const Cf__Other_Handlers \*'.* not compatible with any generic association type
 */
#include "cf.actor.h"

int use(const Cf__Store_Handlers *store, const Cf__Other_Handlers *other);
int use(const Cf__Store_Handlers *store, const Cf__Other_Handlers *other)
{
    Cf__Store_Pid pid;
#ifdef CF_MISUSE
    (void)store;
    return cf__store__spawn(NULL, other, NULL, NULL, &pid);
#else
    (void)other;
    return cf__store__spawn(NULL, store, NULL, NULL, &pid);
#endif
}
