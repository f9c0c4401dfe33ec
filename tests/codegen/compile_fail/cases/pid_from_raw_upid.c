/* A raw cp_upid_t becomes a typed pid only through <actor>__pid().
 * expect-gcc: incompatible types when assigning to type 'Cf__Store_Pid' from type 'cp_upid_t'
 * expect-clang: assigning to 'Cf__Store_Pid' .*from incompatible type 'cp_upid_t'
 */
#include "cf.actor.h"

Cf__Store_Pid use(cp_upid_t upid);
Cf__Store_Pid use(cp_upid_t upid)
{
#ifdef CF_MISUSE
    Cf__Store_Pid pid;
    pid = upid;
#else
    Cf__Store_Pid pid;
    pid = cf__store__pid(upid);
#endif
    return pid;
}
