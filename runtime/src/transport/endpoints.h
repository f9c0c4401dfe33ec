/* Internal: JSON bodies of the built-in endpoints. */
#ifndef CPROC_TRANSPORT_ENDPOINTS_H
#define CPROC_TRANSPORT_ENDPOINTS_H

#include "transport/buf.h"

/* Appends [{"id":..,"state":..,"events":..},...] sorted by id. */
int cp__processes_json(cp__buf_t *out);

#endif
