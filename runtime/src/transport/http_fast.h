/* Internal to the request decoder: its fast path, and what that path
 * shares with the llhttp one.
 *
 * Nearly every request on a busy connection is a message as cproc or
 * libprocess encodes it (docs/wire.md): `POST /<id>/<name> HTTP/1.1`, a few
 * plain headers, a Content-Length body or a chunked one. When such a
 * request is whole in the bytes read, the fast path decodes it in one pass
 * and copies its head once, instead of llhttp's state machine and a copy
 * per field. It takes only what it is sure llhttp would take the same way
 * and hand out the same; on anything else it declines, and llhttp reads
 * the request from its first byte, so every refusal and every odd case
 * stays llhttp's. One thread, like the decoder.
 */
#ifndef CPROC_TRANSPORT_HTTP_FAST_H
#define CPROC_TRANSPORT_HTTP_FAST_H

#include "transport/http_decoder.h"

/* Decodes one whole request at the start of data[0, len) and hands it to
 * d->on_request. Call only while llhttp is between requests (d->between).
 * Returns the bytes the request took; 0 when it declines (the request is
 * incomplete or not of the simple shape: let llhttp read it), or -1 when
 * the decoder failed (the callback asked to stop, or out of memory; see
 * d->error_status). */
long cp__http_fast_take(cp__http_decoder_t *d, const char *data, size_t len);

/* Both paths: splits r's url in place, hands r to d->on_request, and
 * readies the decoder's buffers for the next request (a body the callback
 * took is the callback's). Returns 0, or -1 when the callback asked to
 * stop (the decoder is failed). */
int cp__http_decoder_deliver(cp__http_decoder_t *d, cp__http_request_t *r);

/* Both paths: fails the decoder, the first time, with the HTTP status to
 * answer (0 when the callback stopped it) and why. Returns -1. */
int cp__http_decoder_fail(cp__http_decoder_t *d, int status, const char *reason);

#endif
