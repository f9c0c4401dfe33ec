/* cproc — process identifiers (UPIDs).
 *
 * A UPID names a process anywhere: its id and the ip:port of the node it
 * lives on, written `id@ip:port` as libprocess does ("pong@127.0.0.1:5050").
 * cp_upid_t is a plain value: copy it with `=`, compare it with
 * cp_upid_equal(); it owns no memory, so nothing needs freeing.
 * Addresses are IPv4.
 */
#ifndef CPROC_PID_H
#define CPROC_PID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest id a UPID can carry, in bytes, not counting the NUL. Longer
 * ids are rejected with CP_ETOOBIG wherever they come from. */
#define CP_UPID_ID_MAX 255

/* Enough room for any UPID in text form, with its NUL. */
#define CP_UPID_STRLEN (CP_UPID_ID_MAX + sizeof("@255.255.255.255:65535"))

typedef struct cp_upid {
    char id[CP_UPID_ID_MAX + 1]; /* NUL-terminated; "" for the null UPID */
    uint32_t ip;                 /* IPv4 address in host byte order */
    uint16_t port;               /* host byte order */
    /* A hint the runtime uses to find a local process without a lookup by
     * name. Opaque: zero for a parsed UPID; never read it. */
    uint64_t hint;
} cp_upid_t;

/* The null UPID: empty id, address 0.0.0.0:0. */
#define CP_UPID_NULL ((cp_upid_t){.id = "", .ip = 0, .port = 0, .hint = 0})

/* Parses `text` ("id@ip:port", NUL-terminated) into *out. The id must be
 * non-empty and may not contain '@'; ip is dotted-quad IPv4 (or
 * "localhost"), port 0..65535. Returns 0, CP_EINVAL for malformed text
 * (out untouched), or CP_ETOOBIG for an id over CP_UPID_ID_MAX. */
int cp_upid_parse(const char *text, cp_upid_t *out);

/* Like cp_upid_parse() on the `len` bytes at `text` (not NUL-terminated). */
int cp_upid_parse_n(const char *text, size_t len, cp_upid_t *out);

/* Writes "id@ip:port" into buf (size bytes, NUL-terminated). Returns the
 * length written not counting the NUL, or CP_ETOOBIG if size is too small
 * (CP_UPID_STRLEN always suffices). */
int cp_upid_format(const cp_upid_t *pid, char *buf, size_t size);

/* True when both name the same process: ids and addresses equal (the hint
 * is ignored). */
bool cp_upid_equal(const cp_upid_t *a, const cp_upid_t *b);

/* True for the null UPID (empty id). */
bool cp_upid_is_null(const cp_upid_t *pid);

/* Builds a UPID from parts; returns CP_EINVAL for an empty id or one with
 * '@', CP_ETOOBIG for an id that is too long. */
int cp_upid_make(const char *id, uint32_t ip, uint16_t port, cp_upid_t *out);

#ifdef __cplusplus
}
#endif

#endif
