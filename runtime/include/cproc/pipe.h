/* cproc — an in-memory asynchronous pipe (libprocess's http::Pipe), with
 * an optional bound that gives the writer backpressure.
 *
 * A pipe has a write end and a read end. Each cp_pipe_write() is one chunk
 * (its bytes copied); cp_pipe_read() returns a future of the next chunk,
 * in write order, or of an empty chunk (len 0) for end of file. Reads
 * waiting together are served first come, first served; a discard on a
 * waiting read removes it (it becomes DISCARDED, no data is lost), and a
 * waiting read whose future is dropped (its last reference unref'd, no
 * callback registered on it) is skipped: its chunk goes to the next read.
 *
 * Ends:
 * - cp_pipe_writer_close(): end of file, after the data already written.
 * - cp_pipe_writer_fail(): after the data already written, reads FAIL with
 *   the given reason.
 * - cp_pipe_reader_close(): buffered data is dropped, later writes (and
 *   bounded writes still waiting) FAIL with "pipe: read end closed", later
 *   reads FAIL, waiting reads are DISCARDED.
 * Freeing an end closes it first if it was not closed.
 *
 * Bounded mode (`bound` > 0): a write is always accepted (copied), and its
 * future is READY once at most `bound` bytes, counting up to the end of
 * that write, are left unread: at once while the reader keeps up, later
 * when the reader has taken enough. A writer that awaits each write's
 * future before the next never has more than `bound` + one write buffered.
 * Unbounded (`bound` 0): every accepted write is READY at once.
 *
 * Ownership: a read's value is a cp_pipe_data_t owned by the future's state
 * (borrowed while you hold a reference; copy what must outlive it). A
 * write's future has no value (NULL). Every returned future is a new
 * reference.
 *
 * Threads: all functions are thread-safe and never block. A waiting read is
 * completed on the thread of the write or close that serves it, a waiting
 * write on the thread of the read that makes room (callbacks run there with
 * no pipe lock held). No runtime is needed.
 */
#ifndef CPROC_PIPE_H
#define CPROC_PIPE_H

#include <stdbool.h>
#include <stddef.h>

#include "cproc/future.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cp_pipe_reader cp_pipe_reader_t;
typedef struct cp_pipe_writer cp_pipe_writer_t;

/* A chunk read from a pipe; len 0 means end of file. */
typedef struct cp_pipe_data {
    size_t len;
    const unsigned char *bytes; /* len bytes (NUL-terminated for convenience) */
} cp_pipe_data_t;

/* Makes a pipe; writes both ends (each freed with its *_free). `bound` 0
 * means unbounded. Returns 0, CP_EINVAL (NULL out pointer) or CP_ENOMEM. */
int cp_pipe_new(size_t bound, cp_pipe_reader_t **reader, cp_pipe_writer_t **writer);

/* ---- read end ---------------------------------------------------------- */

/* A future of the next chunk (cp_pipe_data_t *): READY with data, READY
 * with len 0 at end of file, FAILED with the writer's reason after
 * cp_pipe_writer_fail() or once the read end is closed. NULL only when out
 * of memory or r is NULL. */
cp_future_t *cp_pipe_read(cp_pipe_reader_t *r);

/* Closes the read end (see above). Returns 0, CP_EINVAL or CP_ESTATE
 * (already closed). */
int cp_pipe_reader_close(cp_pipe_reader_t *r);

/* Bytes written and not read yet. */
size_t cp_pipe_buffered(cp_pipe_reader_t *r);

/* Closes the read end if open, and frees the handle (NULL is ignored).
 * Futures already returned stay valid. */
void cp_pipe_reader_free(cp_pipe_reader_t *r);

/* ---- write end --------------------------------------------------------- */

/* Writes a copy of `len` bytes of `data` (len 0 is a no-op, READY). Returns
 * the write's future: READY as described above; FAILED with "pipe: write end
 * closed" or "pipe: read end closed" (nothing written). The data stays
 * written if the write's future is discarded (it then ends DISCARDED).
 * NULL only when out of memory (nothing written) or w is NULL. */
cp_future_t *cp_pipe_write(cp_pipe_writer_t *w, const void *data, size_t len);

/* End of file after the data written. Returns 0, CP_EINVAL or CP_ESTATE
 * (already closed or failed). */
int cp_pipe_writer_close(cp_pipe_writer_t *w);

/* Reads fail with this printf-style reason once the data written is read.
 * Returns 0, CP_EINVAL, CP_ENOMEM or CP_ESTATE (already closed or failed). */
int cp_pipe_writer_fail(cp_pipe_writer_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* True once the read end is closed: writing is pointless. */
bool cp_pipe_reader_closed(cp_pipe_writer_t *w);

/* Closes the write end (EOF) if open, and frees the handle (NULL is
 * ignored). Futures already returned stay valid. */
void cp_pipe_writer_free(cp_pipe_writer_t *w);

#ifdef __cplusplus
}
#endif

#endif
