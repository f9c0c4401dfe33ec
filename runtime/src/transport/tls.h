/* Internal: TLS for the transport, OpenSSL over memory BIOs.
 *
 * The module never touches a socket. A session is a pure byte transformer:
 * the caller feeds it the ciphertext it read from the wire, collects the
 * plaintext that comes out, hands it plaintext to send and takes out the
 * ciphertext to write. The handshake is driven by feeding (a client
 * session has its ClientHello ready to take as soon as it is created).
 *
 * Configuration follows libprocess (LIBPROCESS_SSL_* variables, same
 * meanings; CPROC_SSL_* twins, the LIBPROCESS_ name wins) and is loaded
 * once into a context shared by every session. docs/tls.md describes the
 * variables and the behaviour.
 *
 * Threads: a context is immutable once made and may be used to create
 * sessions from any thread; a session belongs to one thread at a time
 * (the event-loop thread in the transport).
 */
#ifndef CPROC_TRANSPORT_TLS_H
#define CPROC_TRANSPORT_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "transport/buf.h"

/* Size of the error buffers the functions below fill (enough for an
 * OpenSSL reason string and a file name). */
#define CP__TLS_ERRLEN 512

/* The settings, libprocess's flags by another name. Strings are borrowed
 * (they must outlive cp__tls_context_new, not the context). */
typedef struct cp__tls_config {
    bool enabled;           /* SSL_ENABLED, default false */
    bool support_downgrade; /* SSL_SUPPORT_DOWNGRADE: servers also accept plaintext */
    const char *cert_file;  /* SSL_CERT_FILE: PEM certificate chain (required) */
    const char *key_file;   /* SSL_KEY_FILE: PEM private key (required) */
    const char *ca_file;    /* SSL_CA_FILE */
    const char *ca_dir;     /* SSL_CA_DIR (hashed, as c_rehash makes) */
    bool verify_cert;       /* SSL_VERIFY_CERT: a certificate the peer
                             * presents is verified (clients always get
                             * one; servers ask clients for one) */
    bool require_cert;      /* SSL_REQUIRE_CERT: servers also refuse
                             * clients without one; implies verify_cert */
    bool verify_ipaddr;     /* SSL_VERIFY_IPADD: the peer's IP must be in
                             * the certificate's subjectAltName */
    int verification_depth; /* SSL_VERIFICATION_DEPTH, default 4 */
    const char *ciphers;    /* SSL_CIPHERS (TLS <= 1.2); NULL: OpenSSL's default */
    const char *ecdh_curves;/* SSL_ECDH_CURVES; NULL or "auto": OpenSSL's choice */
    bool enable_tls_v1_0;   /* SSL_ENABLE_TLS_V1_0, default false */
    bool enable_tls_v1_1;   /* SSL_ENABLE_TLS_V1_1, default false */
    bool enable_tls_v1_2;   /* SSL_ENABLE_TLS_V1_2, default true */
    bool enable_tls_v1_3;   /* SSL_ENABLE_TLS_V1_3, default false */
} cp__tls_config_t;

/* Looks up one variable by its full name (e.g. "LIBPROCESS_SSL_ENABLED");
 * returns NULL when unset. */
typedef const char *(*cp__tls_getenv_fn)(const char *name, void *arg);

/* Fills *cfg with libprocess's defaults. Never fails. */
void cp__tls_config_init(cp__tls_config_t *cfg);

/* Loads *cfg (first reset to the defaults) from variables looked up with
 * `get` (NULL: the process environment, getenv). Booleans take true/false/
 * 1/0 (any case), the depth a non-negative integer. The strings in *cfg
 * point at what `get` returned. Returns 0, or CP_EINVAL with a sentence
 * naming the variable in err (CP__TLS_ERRLEN bytes, may be NULL). */
int cp__tls_config_load(cp__tls_config_t *cfg, cp__tls_getenv_fn get, void *arg, char *err);

typedef struct cp__tls_context cp__tls_context_t;

/* Makes a context from *cfg: loads the certificate, key and CA locations
 * and checks that the key matches the certificate. *out is the caller's
 * (cp__tls_context_free). When cfg->enabled is false, *out is NULL and 0 is
 * returned: TLS is off. Errors: CP_EINVAL (missing cert/key, unreadable or
 * mismatched files, bad cipher or curve list, no protocol version
 * enabled), CP_ENOMEM; err says which, with OpenSSL's reason. */
int cp__tls_context_new(const cp__tls_config_t *cfg, cp__tls_context_t **out, char *err);

/* cp__tls_config_load from the environment, then cp__tls_context_new. */
int cp__tls_context_new_from_env(cp__tls_context_t **out, char *err);

/* Frees the context. Sessions made from it may outlive it. NULL is fine. */
void cp__tls_context_free(cp__tls_context_t *ctx);

/* What the context was made with (the strings are not kept: NULL). */
bool cp__tls_context_support_downgrade(const cp__tls_context_t *ctx);
bool cp__tls_context_verify_cert(const cp__tls_context_t *ctx);
bool cp__tls_context_require_cert(const cp__tls_context_t *ctx);

/* For SUPPORT_DOWNGRADE on a server (sessions already apply it, see
 * cp__tls_session_downgraded; this is for callers that sniff themselves): true when the first byte a peer sent
 * opens a TLS handshake record (0x16), false otherwise (an HTTP request
 * starts with a letter) or when len is 0. One byte is enough to decide. */
bool cp__tls_looks_like_handshake(const void *data, size_t len);

typedef enum cp__tls_role {
    CP__TLS_CLIENT, /* we connected */
    CP__TLS_SERVER, /* we accepted */
} cp__tls_role_t;

typedef struct cp__tls_session cp__tls_session_t;

/* Makes a session for one connection. peer_ip (dotted IPv4 or IPv6 text,
 * NULL: no IP check) is checked against the peer certificate's
 * subjectAltName when the context has verify_ipaddr and the peer's
 * certificate is verified. A client session starts its handshake at once:
 * take its pending ciphertext and write it. *out is the caller's.
 * Returns 0, CP_EINVAL (NULL ctx/out, unparsable peer_ip), CP_ENOMEM. */
int cp__tls_session_new(cp__tls_context_t *ctx, cp__tls_role_t role, const char *peer_ip,
                        cp__tls_session_t **out);

/* Frees the session and anything buffered in it. NULL is fine. */
void cp__tls_session_free(cp__tls_session_t *s);

/* Hands the session `len` bytes read from the socket (copied). Advances
 * the handshake, decrypts what it can into the session's plaintext (take
 * it with cp__tls_session_read) and may leave ciphertext to send
 * (handshake replies, alerts). Returns 0, or CP_ETLS when the peer broke
 * the protocol or failed verification (cp__tls_session_error says why;
 * take and send the pending alert, then close), CP_ENOMEM, or CP_ESTATE
 * after an earlier failure. Bytes arriving after the peer's close_notify
 * are ignored. */
int cp__tls_session_feed(cp__tls_session_t *s, const void *cipher, size_t len);

/* Moves all decrypted plaintext into *plain (appended). Returns 0 or
 * CP_ENOMEM (then nothing is moved). */
int cp__tls_session_read(cp__tls_session_t *s, cp__buf_t *plain);

/* Gives the session `len` bytes of plaintext to send (copied). Before the
 * handshake completes they are held and encrypted when it does. Returns 0,
 * CP_ENOMEM, CP_ESTATE (failed, or closed with cp__tls_session_close), or
 * CP_ETLS. */
int cp__tls_session_write(cp__tls_session_t *s, const void *plain, size_t len);

/* The ciphertext waiting to be written: *data points at it (valid until
 * the next call on the session), the length is returned (0: nothing). */
size_t cp__tls_session_pending(const cp__tls_session_t *s, const char **data);

/* Drops the first n bytes of the pending ciphertext (n <= pending). */
void cp__tls_session_consume(cp__tls_session_t *s, size_t n);

/* Appends all pending ciphertext to *wire and drops it from the session.
 * Returns 0 or CP_ENOMEM (then nothing is moved). */
int cp__tls_session_take(cp__tls_session_t *s, cp__buf_t *wire);

/* True once the handshake has completed (and the peer passed verification). */
bool cp__tls_session_handshake_done(const cp__tls_session_t *s);

/* True once the peer sent close_notify: no more plaintext will come. */
bool cp__tls_session_peer_closed(const cp__tls_session_t *s);

/* True when a server session whose context has support_downgrade saw a
 * first byte that does not open a TLS handshake: from then on it passes
 * bytes through unchanged (feed -> read, write -> pending), close is a
 * no-op and handshake_done stays false. Decided on the first non-empty
 * feed; plaintext written before that is sent as it is. */
bool cp__tls_session_downgraded(const cp__tls_session_t *s);

/* True after a failure (feed/write returned CP_ETLS). */
bool cp__tls_session_failed(const cp__tls_session_t *s);

/* Queues a close_notify alert (take it and write it before closing the
 * socket). Later writes fail with CP_ESTATE. Idempotent; returns 0 or
 * CP_ESTATE when the handshake has not completed (nothing to close). */
int cp__tls_session_close(cp__tls_session_t *s);

/* Why the session failed ("" when it has not; the failure is also logged
 * at warn level with the peer's IP): a sentence with OpenSSL's
 * reason, e.g. "TLS handshake failed: certificate verify failed
 * (self-signed certificate)". Valid while the session lives. */
const char *cp__tls_session_error(const cp__tls_session_t *s);

/* The session as a transport stream filter (transport/stream.h): ctx is
 * the cp__tls_session_t, which the stream then owns and frees. input feeds
 * and collects plaintext and replies; output writes and collects
 * ciphertext; both return the session's CP_E* code on failure. */
struct cp__stream_filter;
extern const struct cp__stream_filter cp__tls_stream_filter;

#endif
