/* cproc — test helpers for users of the library (works with cmocka).
 *
 * Await a future with a real-time bound and assert how it ended, and
 * expect or drop dispatches, messages and exited events on their way to a
 * process (built on filter.h), as libprocess's gtest.hpp does with
 * AWAIT_READY, FUTURE_MESSAGE, DROP_MESSAGE and friends.
 *
 * The CP_AWAIT_* macros call cmocka's fail_msg(): include <cmocka.h>
 * before using them. The functions do not need cmocka.
 */
#ifndef CPROC_TESTING_H
#define CPROC_TESTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cproc/dispatch.h"
#include "cproc/future.h"
#include "cproc/message.h"
#include "cproc/pid.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How long the CP_AWAIT_* macros wait, in real nanoseconds. */
#define CP_TEST_TIMEOUT_NS (UINT64_C(15) * 1000000000u)

typedef enum cp_test_outcome {
    CP_TEST_READY = 1,
    CP_TEST_FAILED,
    CP_TEST_DISCARDED,
    CP_TEST_ABANDONED,
} cp_test_outcome_t;

/* Waits up to `timeout_ns` of real time for f to complete or be abandoned.
 * Returns true if it did. Call from a non-process thread. */
bool cp_test_await(cp_future_t *f, uint64_t timeout_ns);

/* Waits like cp_test_await() and checks that f ended as `want`. On a
 * mismatch or a timeout returns false and writes a sentence saying what
 * happened ("expected READY, got FAILED: boom") into msg (size bytes). */
bool cp_test_await_outcome(cp_future_t *f, cp_test_outcome_t want, uint64_t timeout_ns,
                           char *msg, size_t size);

#define CP_TEST_AWAIT_(f, want)                                                             \
    do {                                                                                    \
        char cp_test_msg_[512];                                                             \
        if (!cp_test_await_outcome((f), (want), CP_TEST_TIMEOUT_NS, cp_test_msg_,           \
                                   sizeof cp_test_msg_))                                    \
            fail_msg("%s: %s", #f, cp_test_msg_);                                           \
    } while (0)

#define CP_AWAIT_READY(f) CP_TEST_AWAIT_(f, CP_TEST_READY)
#define CP_AWAIT_FAILED(f) CP_TEST_AWAIT_(f, CP_TEST_FAILED)
#define CP_AWAIT_DISCARDED(f) CP_TEST_AWAIT_(f, CP_TEST_DISCARDED)
#define CP_AWAIT_ABANDONED(f) CP_TEST_AWAIT_(f, CP_TEST_ABANDONED)

/* A future READY with a copy of the next message named `name` going from
 * `from` to `to` (either may be NULL: any). The value is a cp_message_t *
 * whose strings and body live in the same allocation (freed with the
 * future). With `drop` the message is also dropped, otherwise delivered.
 * Only the first match counts. Returns NULL when out of memory or not
 * running. Pending expectations are abandoned at cp_runtime_stop(). */
cp_future_t *cp_test_expect_message(const char *name, const cp_upid_t *from,
                                    const cp_upid_t *to, bool drop);

/* A future READY (value NULL) when the next dispatch of `fn` (plain or
 * future-returning, cast to void (*)(void)) to `to` (NULL: any) is seen. */
cp_future_t *cp_test_expect_dispatch(const cp_upid_t *to, void (*fn)(void), bool drop);

/* A future READY (value NULL) when the next exited event about `exited`
 * (NULL: any) to `to` (NULL: any) is seen. */
cp_future_t *cp_test_expect_exited(const cp_upid_t *exited, const cp_upid_t *to, bool drop);

/* Queues an exited event about `exited` to the local process `to`, as if
 * a process it linked to had ended (libprocess's inject::exited): its
 * exited hook runs with `exited`. Returns 0, CP_ENOENT (no such local
 * process) or CP_ENOMEM. Thread-safe. */
int cp_test_inject_exited(const cp_upid_t *exited, const cp_upid_t *to);

/* Drops every message named `name` (NULL: any) from `from` to `to` (NULL:
 * any) until cp_test_drop_stop(*id) or runtime stop. Returns 0 or CP_E*. */
int cp_test_drop_messages(const char *name, const cp_upid_t *from, const cp_upid_t *to,
                          uint64_t *id);

/* Ends a cp_test_drop_messages(). 0 or CP_ENOENT. */
int cp_test_drop_stop(uint64_t id);

#ifdef __cplusplus
}
#endif

#endif
