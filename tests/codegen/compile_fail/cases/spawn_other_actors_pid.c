/* spawn's out-pid must be the spawned actor's pid type.
 * expect-gcc: '_Generic' selector of type 'Cf__Other_Pid \*' is not compatible with any association
 * expect-clang: controlling expression type 'Cf__Other_Pid \*'.* not compatible with any generic association type
 */
#include "cf.actor.h"

int use(const Cf__Store_Handlers *h);
int use(const Cf__Store_Handlers *h)
{
#ifdef CF_MISUSE
    Cf__Other_Pid pid;
#else
    Cf__Store_Pid pid;
#endif
    return cf__store__spawn(NULL, h, NULL, NULL, &pid);
}
