/* Internal: JSON bodies of the built-in endpoints. */
#ifndef CPROC_TRANSPORT_ENDPOINTS_H
#define CPROC_TRANSPORT_ENDPOINTS_H

#include <stdbool.h>

#include "transport/buf.h"

/* Appends, for each type of live process (its id without a "(N)"
 * suffix), "processes/<type>/count" and "processes/<type>/events" (events
 * run) as JSON members in key order; *first says whether a member came
 * before. Returns 0 or CP_ENOMEM. */
int cp__process_metrics_json(cp__buf_t *out, bool *first);

#endif
