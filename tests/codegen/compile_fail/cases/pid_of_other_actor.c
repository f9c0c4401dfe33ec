/* A pid of one actor is not a pid of another.
 * expect-gcc: incompatible types when assigning to type 'Cf__Store_Pid' from type 'Cf__Other_Pid'
 * expect-clang: assigning to 'Cf__Store_Pid' .*from incompatible type 'Cf__Other_Pid'
 */
#include "cf.actor.h"

Cf__Store_Pid use(cp_upid_t upid);
Cf__Store_Pid use(cp_upid_t upid)
{
#ifdef CF_MISUSE
    Cf__Store_Pid pid;
    pid = cf__other__pid(upid);
#else
    Cf__Store_Pid pid;
    pid = cf__store__pid(upid);
#endif
    return pid;
}
