/* Internal: what the runtime core asks of the async primitives. */
#ifndef CPROC_ASYNC_INTERNAL_H
#define CPROC_ASYNC_INTERNAL_H

/* On the event-loop thread at shutdown, before every handle is closed:
 * kills and reaps the children still running, completes their futures and
 * closes their handles with the callbacks that free them. */
void cp__subprocess_loop_shutdown(void);

#endif
