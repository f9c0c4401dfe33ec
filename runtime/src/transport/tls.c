/* TLS sessions over OpenSSL memory BIOs, configured as libprocess is. */
#include "transport/tls.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/env.h"
#include "core/transport_ops.h"
#include "cproc/error.h"
#include "cproc/log.h"
#include "transport/stream.h"
#include "transport/transport_internal.h"

struct cp__tls_context {
    SSL_CTX *ssl_ctx;
    bool support_downgrade;
    bool verify_cert;
    bool require_cert;
    bool verify_ipaddr;
};

struct cp__tls_session {
    SSL *ssl;
    BIO *rbio; /* ciphertext from the peer, read by OpenSSL */
    BIO *wbio; /* ciphertext for the peer, written by OpenSSL */
    cp__buf_t plain; /* decrypted, not yet read */
    cp__buf_t held;  /* written before the handshake completed */
    cp__buf_t out;   /* ciphertext not yet taken, from out_off */
    size_t out_off;
    bool done;
    bool peer_closed;
    bool failed;
    bool closed;
    bool may_downgrade; /* server with SUPPORT_DOWNGRADE, no byte seen yet */
    bool downgraded;    /* the peer spoke plaintext: bytes pass through */
    bool server;
    bool verify; /* the peer's certificate is verified when presented */
    char peer[48]; /* for the log: the peer's IP, or "peer" */
    char err[CP__TLS_ERRLEN];
};

static void set_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(char *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, CP__TLS_ERRLEN, fmt, ap);
    va_end(ap);
}

/* OpenSSL's reason for the oldest error on this thread's queue (the root
 * cause; later entries are consequences), then the queue is cleared. */
static const char *ossl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0)
        return "no further detail from OpenSSL";
    const char *r = ERR_reason_error_string(e);
    if (r)
        return r;
    ERR_error_string_n(e, buf, len);
    return buf;
}

/* ---- configuration ---- */

void cp__tls_config_init(cp__tls_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->verification_depth = 4;
    cfg->enable_tls_v1_2 = true;
}

static const char *env_get(const char *name, void *arg)
{
    (void)arg;
    return getenv(name);
}

typedef struct {
    cp__tls_getenv_fn get;
    void *arg;
    char *err;
} loader_t;

/* The value of LIBPROCESS_SSL_<suffix>, else CPROC_SSL_<suffix>; `name`
 * (64 bytes, may be NULL) gets the name that was read. */
static const char *lookup_named(const loader_t *l, const char *suffix, char *name)
{
    char buf[64];
    if (!name)
        name = buf;
    snprintf(name, 64, "LIBPROCESS_SSL_%s", suffix);
    const char *v = l->get(name, l->arg);
    if (v)
        return v;
    snprintf(name, 64, "CPROC_SSL_%s", suffix);
    return l->get(name, l->arg);
}

static const char *lookup(const loader_t *l, const char *suffix)
{
    return lookup_named(l, suffix, NULL);
}

/* Booleans and numbers go through the runtime's one parser (core/env.h),
 * so they read and fail as every other variable. */
static int load_bool(const loader_t *l, const char *suffix, bool *out)
{
    char name[64];
    const char *v = lookup_named(l, suffix, name);
    char err[CP__START_ERRLEN];
    if (!v || cp__env_parse_bool(name, v, out, err) == 0)
        return 0;
    set_err(l->err, "%s", err);
    return CP_EINVAL;
}

static void load_str(const loader_t *l, const char *suffix, const char **out)
{
    const char *v = lookup(l, suffix);
    if (v)
        *out = v;
}

static int load_depth(const loader_t *l, int *out)
{
    char name[64];
    const char *v = lookup_named(l, "VERIFICATION_DEPTH", name);
    char err[CP__START_ERRLEN];
    uint64_t n;
    if (!v)
        return 0;
    if (cp__env_parse_u64(name, v, 0, INT_MAX, &n, err) != 0) {
        set_err(l->err, "%s", err);
        return CP_EINVAL;
    }
    *out = (int)n;
    return 0;
}

int cp__tls_config_load(cp__tls_config_t *cfg, cp__tls_getenv_fn get, void *arg, char *err)
{
    if (!cfg) {
        set_err(err, "no configuration to load into");
        return CP_EINVAL;
    }
    cp__tls_config_init(cfg);
    loader_t l = {get ? get : env_get, arg, err};
    static const struct {
        const char *suffix;
        size_t offset;
    } bools[] = {
        {"ENABLED", offsetof(cp__tls_config_t, enabled)},
        {"SUPPORT_DOWNGRADE", offsetof(cp__tls_config_t, support_downgrade)},
        {"VERIFY_CERT", offsetof(cp__tls_config_t, verify_cert)},
        {"REQUIRE_CERT", offsetof(cp__tls_config_t, require_cert)},
        {"VERIFY_IPADD", offsetof(cp__tls_config_t, verify_ipaddr)},
        {"ENABLE_TLS_V1_0", offsetof(cp__tls_config_t, enable_tls_v1_0)},
        {"ENABLE_TLS_V1_1", offsetof(cp__tls_config_t, enable_tls_v1_1)},
        {"ENABLE_TLS_V1_2", offsetof(cp__tls_config_t, enable_tls_v1_2)},
        {"ENABLE_TLS_V1_3", offsetof(cp__tls_config_t, enable_tls_v1_3)},
    };
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        int rc = load_bool(&l, bools[i].suffix, (bool *)((char *)cfg + bools[i].offset));
        if (rc)
            return rc;
    }
    load_str(&l, "CERT_FILE", &cfg->cert_file);
    load_str(&l, "KEY_FILE", &cfg->key_file);
    load_str(&l, "CA_FILE", &cfg->ca_file);
    load_str(&l, "CA_DIR", &cfg->ca_dir);
    load_str(&l, "CIPHERS", &cfg->ciphers);
    load_str(&l, "ECDH_CURVES", &cfg->ecdh_curves);
    return load_depth(&l, &cfg->verification_depth);
}

/* ---- context ---- */

/* A file named by a setting that cannot be read: say which setting, which
 * file and why, before OpenSSL's vaguer "system lib". */
static int check_readable(const char *path, const char *what, const char *var, char *err)
{
    if (access(path, R_OK) == 0)
        return 0;
    set_err(err, "cannot read the TLS %s '%s' (%s): %s", what, path, var, strerror(errno));
    return CP_EINVAL;
}

static int context_setup(SSL_CTX *c, const cp__tls_config_t *cfg, bool verify, char *err)
{
    char rbuf[256];
    if (!cfg->cert_file || !*cfg->cert_file) {
        set_err(err, "TLS requires a certificate: set LIBPROCESS_SSL_CERT_FILE");
        return CP_EINVAL;
    }
    if (!cfg->key_file || !*cfg->key_file) {
        set_err(err, "TLS requires a private key: set LIBPROCESS_SSL_KEY_FILE");
        return CP_EINVAL;
    }
    if (check_readable(cfg->cert_file, "certificate", "LIBPROCESS_SSL_CERT_FILE", err) ||
        check_readable(cfg->key_file, "private key", "LIBPROCESS_SSL_KEY_FILE", err))
        return CP_EINVAL;
    if (verify && cfg->ca_file && *cfg->ca_file &&
        check_readable(cfg->ca_file, "CA file", "LIBPROCESS_SSL_CA_FILE", err))
        return CP_EINVAL;
    if (SSL_CTX_use_certificate_chain_file(c, cfg->cert_file) != 1) {
        set_err(err, "cannot load the TLS certificate '%s' (LIBPROCESS_SSL_CERT_FILE): %s",
                cfg->cert_file,
                ossl_reason(rbuf, sizeof rbuf));
        return CP_EINVAL;
    }
    if (SSL_CTX_use_PrivateKey_file(c, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
        set_err(err, "cannot load the TLS private key '%s' (LIBPROCESS_SSL_KEY_FILE, for '%s'): %s",
                cfg->key_file, cfg->cert_file,
                ossl_reason(rbuf, sizeof rbuf));
        return CP_EINVAL;
    }
    if (SSL_CTX_check_private_key(c) != 1) {
        set_err(err, "the TLS private key '%s' does not match the certificate '%s': %s",
                cfg->key_file, cfg->cert_file, ossl_reason(rbuf, sizeof rbuf));
        return CP_EINVAL;
    }
    if (verify) {
        const char *file = cfg->ca_file && *cfg->ca_file ? cfg->ca_file : NULL;
        const char *dir = cfg->ca_dir && *cfg->ca_dir ? cfg->ca_dir : NULL;
        int ok = file || dir ? SSL_CTX_load_verify_locations(c, file, dir)
                             : SSL_CTX_set_default_verify_paths(c);
        if (ok != 1) {
            set_err(err, "cannot load the TLS CA file '%s' / directory '%s': %s",
                    file ? file : "(default)", dir ? dir : "(default)",
                    ossl_reason(rbuf, sizeof rbuf));
            return CP_EINVAL;
        }
        SSL_CTX_set_verify_depth(c, cfg->verification_depth);
    }
    if (cfg->ciphers && SSL_CTX_set_cipher_list(c, cfg->ciphers) != 1) {
        set_err(err, "invalid LIBPROCESS_SSL_CIPHERS '%s': %s", cfg->ciphers,
                ossl_reason(rbuf, sizeof rbuf));
        return CP_EINVAL;
    }
    if (cfg->ecdh_curves && strcmp(cfg->ecdh_curves, "auto") != 0 &&
        SSL_CTX_set1_groups_list(c, cfg->ecdh_curves) != 1) {
        set_err(err, "invalid LIBPROCESS_SSL_ECDH_CURVES '%s': %s", cfg->ecdh_curves,
                ossl_reason(rbuf, sizeof rbuf));
        return CP_EINVAL;
    }
    if (!cfg->enable_tls_v1_0 && !cfg->enable_tls_v1_1 && !cfg->enable_tls_v1_2 &&
        !cfg->enable_tls_v1_3) {
        set_err(err, "no TLS protocol version is enabled (LIBPROCESS_SSL_ENABLE_TLS_V1_*)");
        return CP_EINVAL;
    }
    /* As libprocess: each version is switched off on its own; SSLv3 never. */
    uint64_t off = SSL_OP_NO_SSLv3;
    if (!cfg->enable_tls_v1_0)
        off |= SSL_OP_NO_TLSv1;
    if (!cfg->enable_tls_v1_1)
        off |= SSL_OP_NO_TLSv1_1;
    if (!cfg->enable_tls_v1_2)
        off |= SSL_OP_NO_TLSv1_2;
    if (!cfg->enable_tls_v1_3)
        off |= SSL_OP_NO_TLSv1_3;
    SSL_CTX_set_options(c, off | SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* libprocess keeps no session cache; the id context is still needed
     * for servers that verify client certificates. */
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    static const unsigned char sid[] = "cproc";
    SSL_CTX_set_session_id_context(c, sid, sizeof sid - 1);
    return 0;
}

int cp__tls_context_new(const cp__tls_config_t *cfg, cp__tls_context_t **out, char *err)
{
    if (!cfg || !out) {
        set_err(err, "no configuration or no place for the context");
        return CP_EINVAL;
    }
    *out = NULL;
    if (!cfg->enabled)
        return 0;
    if (cfg->verification_depth < 0) {
        set_err(err, "invalid TLS verification depth %d", cfg->verification_depth);
        return CP_EINVAL;
    }
    cp__tls_context_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        set_err(err, "out of memory");
        return CP_ENOMEM;
    }
    ctx->support_downgrade = cfg->support_downgrade;
    ctx->require_cert = cfg->require_cert;
    /* As libprocess: requiring client certificates implies verifying. */
    ctx->verify_cert = cfg->verify_cert || cfg->require_cert;
    ctx->verify_ipaddr = cfg->verify_ipaddr;
    ERR_clear_error();
    ctx->ssl_ctx = SSL_CTX_new(TLS_method());
    if (!ctx->ssl_ctx) {
        char rbuf[256];
        set_err(err, "cannot create a TLS context: %s", ossl_reason(rbuf, sizeof rbuf));
        free(ctx);
        return CP_ENOMEM;
    }
    int rc = context_setup(ctx->ssl_ctx, cfg, ctx->verify_cert, err);
    if (rc) {
        cp__tls_context_free(ctx);
        return rc;
    }
    *out = ctx;
    return 0;
}

int cp__tls_context_new_from_env(cp__tls_context_t **out, char *err)
{
    cp__tls_config_t cfg;
    int rc = cp__tls_config_load(&cfg, NULL, NULL, err);
    if (rc) {
        if (out)
            *out = NULL;
        return rc;
    }
    return cp__tls_context_new(&cfg, out, err);
}

void cp__tls_context_free(cp__tls_context_t *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl_ctx);
    free(ctx);
}

bool cp__tls_context_support_downgrade(const cp__tls_context_t *ctx)
{
    return ctx && ctx->support_downgrade;
}

bool cp__tls_context_verify_cert(const cp__tls_context_t *ctx)
{
    return ctx && ctx->verify_cert;
}

bool cp__tls_context_require_cert(const cp__tls_context_t *ctx)
{
    return ctx && ctx->require_cert;
}

bool cp__tls_looks_like_handshake(const void *data, size_t len)
{
    /* TLS record content type 22 = handshake; nothing plaintext the
     * transport speaks (HTTP) starts with it. */
    return data && len > 0 && ((const unsigned char *)data)[0] == 0x16;
}

/* ---- sessions ---- */

/* Moves whatever OpenSSL wrote for the peer into s->out. */
static int drain_out(cp__tls_session_t *s)
{
    size_t avail;
    while ((avail = BIO_ctrl_pending(s->wbio)) > 0) {
        if (s->out_off > 0) {
            memmove(s->out.data, s->out.data + s->out_off, s->out.len - s->out_off);
            s->out.len -= s->out_off;
            s->out_off = 0;
        }
        if (avail > INT_MAX)
            avail = INT_MAX;
        if (cp__buf_reserve(&s->out, avail))
            return CP_ENOMEM;
        int n = BIO_read(s->wbio, s->out.data + s->out.len, (int)avail);
        if (n <= 0)
            break;
        s->out.len += (size_t)n;
    }
    return 0;
}

static int fail(cp__tls_session_t *s, const char *what, int ssl_err)
{
    char rbuf[256];
    const char *reason;
    if (ssl_err == SSL_ERROR_SSL || ERR_peek_error() != 0)
        reason = ossl_reason(rbuf, sizeof rbuf);
    else if (ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN)
        reason = "the peer ended the TLS stream unexpectedly";
    else {
        snprintf(rbuf, sizeof rbuf, "OpenSSL error code %d", ssl_err);
        reason = rbuf;
    }
    long v = s->verify ? SSL_get_verify_result(s->ssl) : X509_V_OK;
    if (v != X509_V_OK)
        snprintf(s->err, sizeof s->err, "%s: %s (%s)", what, reason,
                 X509_verify_cert_error_string(v));
    else
        snprintf(s->err, sizeof s->err, "%s: %s", what, reason);
    s->failed = true;
    ERR_clear_error();
    /* The connection is closed by the caller; the reason would otherwise
     * be lost with it. */
    cp__transport_warn("TLS connection %s %s: %s", s->server ? "from" : "to", s->peer, s->err);
    /* An alert for the peer may be waiting: keep it for the caller. */
    drain_out(s);
    return CP_ETLS;
}

int cp__tls_session_new(cp__tls_context_t *ctx, cp__tls_role_t role, const char *peer_ip,
                        cp__tls_session_t **out)
{
    if (!out)
        return CP_EINVAL;
    *out = NULL;
    if (!ctx || (role != CP__TLS_CLIENT && role != CP__TLS_SERVER))
        return CP_EINVAL;
    cp__tls_session_t *s = calloc(1, sizeof *s);
    if (!s)
        return CP_ENOMEM;
    ERR_clear_error();
    s->ssl = SSL_new(ctx->ssl_ctx);
    s->rbio = BIO_new(BIO_s_mem());
    s->wbio = BIO_new(BIO_s_mem());
    if (!s->ssl || !s->rbio || !s->wbio) {
        BIO_free(s->rbio);
        BIO_free(s->wbio);
        SSL_free(s->ssl);
        free(s);
        ERR_clear_error();
        return CP_ENOMEM;
    }
    /* An empty input BIO means "wait for more", not end of stream. */
    BIO_set_mem_eof_return(s->rbio, -1);
    SSL_set_bio(s->ssl, s->rbio, s->wbio);

    s->server = role == CP__TLS_SERVER;
    snprintf(s->peer, sizeof s->peer, "%s", peer_ip ? peer_ip : "peer");
    /* As libprocess: VERIFY_CERT verifies a certificate when one is
     * presented (a server asks its clients for one), REQUIRE_CERT also
     * makes a server refuse clients that present none. */
    bool verify = s->verify = ctx->verify_cert;
    int mode = SSL_VERIFY_NONE;
    if (verify)
        mode = SSL_VERIFY_PEER;
    if (verify && s->server && ctx->require_cert)
        mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_set_verify(s->ssl, mode, NULL);
    if (verify && ctx->verify_ipaddr && peer_ip &&
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), peer_ip) != 1) {
        ERR_clear_error();
        cp__tls_session_free(s);
        return CP_EINVAL;
    }

    if (role == CP__TLS_CLIENT) {
        SSL_set_connect_state(s->ssl);
        /* Produces the ClientHello; the answer is needed before anything
         * else can happen, so WANT_READ is the expected outcome. */
        int r = SSL_do_handshake(s->ssl);
        int e = SSL_get_error(s->ssl, r);
        if (r != 1 && e != SSL_ERROR_WANT_READ) {
            fail(s, "TLS handshake failed", e);
        } else if (drain_out(s)) {
            cp__tls_session_free(s);
            return CP_ENOMEM;
        }
    } else {
        SSL_set_accept_state(s->ssl);
        s->may_downgrade = ctx->support_downgrade;
    }
    *out = s;
    return 0;
}

void cp__tls_session_free(cp__tls_session_t *s)
{
    if (!s)
        return;
    SSL_free(s->ssl); /* frees both BIOs */
    cp__buf_close(&s->plain);
    cp__buf_close(&s->held);
    cp__buf_close(&s->out);
    free(s);
}

static int encrypt(cp__tls_session_t *s, const char *p, size_t len)
{
    while (len > 0) {
        int chunk = len > (size_t)INT_MAX ? INT_MAX : (int)len;
        int n = SSL_write(s->ssl, p, chunk);
        if (n <= 0)
            return fail(s, "TLS write failed", SSL_get_error(s->ssl, n));
        p += n;
        len -= (size_t)n;
        /* Keep the BIO small: a large payload is moved out as it goes. */
        if (drain_out(s))
            return CP_ENOMEM;
    }
    return 0;
}

/* Runs the handshake and decryption as far as the input allows. */
static int advance(cp__tls_session_t *s)
{
    if (!s->done) {
        int r = SSL_do_handshake(s->ssl);
        if (r != 1) {
            int e = SSL_get_error(s->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return drain_out(s);
            return fail(s, "TLS handshake failed", e);
        }
        s->done = true;
        if (s->held.len) {
            int rc = encrypt(s, s->held.data, s->held.len);
            cp__buf_close(&s->held);
            if (rc)
                return rc;
        }
    }
    for (;;) {
        if (cp__buf_reserve(&s->plain, 16384))
            return CP_ENOMEM;
        size_t room = s->plain.cap - s->plain.len;
        int n = SSL_read(s->ssl, s->plain.data + s->plain.len, room > INT_MAX ? INT_MAX : (int)room);
        if (n > 0) {
            s->plain.len += (size_t)n;
            continue;
        }
        int e = SSL_get_error(s->ssl, n);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            break;
        if (e == SSL_ERROR_ZERO_RETURN) {
            s->peer_closed = true;
            break;
        }
        return fail(s, "TLS read failed", e);
    }
    return drain_out(s);
}

int cp__tls_session_feed(cp__tls_session_t *s, const void *cipher, size_t len)
{
    if (!s || (!cipher && len))
        return CP_EINVAL;
    if (s->failed)
        return CP_ESTATE;
    if (s->peer_closed || len == 0)
        return 0;
    if (s->may_downgrade) {
        s->may_downgrade = false;
        if (!cp__tls_looks_like_handshake(cipher, len)) {
            /* Whatever was written while undecided goes out as it is. */
            s->downgraded = true;
            cp_log(CP_LOG_INFO, "TLS: plaintext connection from %s accepted (SSL_SUPPORT_DOWNGRADE)",
                   s->peer);
            cp__buf_swap(&s->held, &s->out);
            cp__buf_close(&s->held);
        }
    }
    if (s->downgraded)
        return cp__buf_append(&s->plain, cipher, len);
    ERR_clear_error();
    const char *p = cipher;
    while (len > 0) {
        int chunk = len > (size_t)INT_MAX ? INT_MAX : (int)len;
        int n = BIO_write(s->rbio, p, chunk);
        if (n <= 0) {
            ERR_clear_error();
            return CP_ENOMEM;
        }
        p += n;
        len -= (size_t)n;
    }
    return advance(s);
}

int cp__tls_session_read(cp__tls_session_t *s, cp__buf_t *plain)
{
    if (!s || !plain)
        return CP_EINVAL;
    if (s->plain.len == 0)
        return 0;
    if (plain->len == 0) {
        cp__buf_swap(&s->plain, plain);
        return 0;
    }
    int rc = cp__buf_append(plain, s->plain.data, s->plain.len);
    if (rc == 0)
        s->plain.len = 0;
    return rc;
}

int cp__tls_session_write(cp__tls_session_t *s, const void *plain, size_t len)
{
    if (!s || (!plain && len))
        return CP_EINVAL;
    if (s->failed || s->closed)
        return CP_ESTATE;
    if (len == 0)
        return 0;
    if (s->downgraded)
        return cp__buf_append(&s->out, plain, len);
    if (!s->done)
        return cp__buf_append(&s->held, plain, len);
    ERR_clear_error();
    return encrypt(s, plain, len);
}

size_t cp__tls_session_pending(const cp__tls_session_t *s, const char **data)
{
    if (!s) {
        if (data)
            *data = NULL;
        return 0;
    }
    if (data)
        *data = s->out.data ? s->out.data + s->out_off : NULL;
    return s->out.len - s->out_off;
}

void cp__tls_session_consume(cp__tls_session_t *s, size_t n)
{
    if (!s)
        return;
    size_t avail = s->out.len - s->out_off;
    s->out_off += n < avail ? n : avail;
    if (s->out_off == s->out.len)
        s->out.len = s->out_off = 0;
}

int cp__tls_session_take(cp__tls_session_t *s, cp__buf_t *wire)
{
    if (!s || !wire)
        return CP_EINVAL;
    size_t avail = s->out.len - s->out_off;
    if (avail == 0)
        return 0;
    if (wire->len == 0 && s->out_off == 0) {
        cp__buf_swap(&s->out, wire);
        s->out.len = 0;
        return 0;
    }
    int rc = cp__buf_append(wire, s->out.data + s->out_off, avail);
    if (rc == 0)
        s->out.len = s->out_off = 0;
    return rc;
}

bool cp__tls_session_handshake_done(const cp__tls_session_t *s)
{
    return s && s->done && !s->failed;
}

bool cp__tls_session_peer_closed(const cp__tls_session_t *s)
{
    return s && s->peer_closed;
}

bool cp__tls_session_downgraded(const cp__tls_session_t *s)
{
    return s && s->downgraded;
}

bool cp__tls_session_failed(const cp__tls_session_t *s)
{
    return s && s->failed;
}

int cp__tls_session_close(cp__tls_session_t *s)
{
    if (!s)
        return CP_EINVAL;
    if (s->closed)
        return 0;
    if (s->downgraded) {
        s->closed = true;
        return 0;
    }
    if (!s->done || s->failed)
        return CP_ESTATE;
    s->closed = true;
    ERR_clear_error();
    /* 0 means "sent ours, theirs not yet seen": all we need. */
    if (SSL_shutdown(s->ssl) < 0)
        ERR_clear_error();
    return drain_out(s);
}

const char *cp__tls_session_error(const cp__tls_session_t *s)
{
    return s ? s->err : "";
}

/* ---- stream filter ---- */

static int filter_start(void *ctx, cp__buf_t *wire)
{
    return cp__tls_session_take(ctx, wire);
}

static int filter_input(void *ctx, const char *in, size_t len, cp__buf_t *plain, cp__buf_t *wire)
{
    cp__tls_session_t *s = ctx;
    int rc = cp__tls_session_feed(s, in, len);
    /* Plaintext decrypted before a failure is still good, and the alert
     * explaining the failure should reach the peer. */
    int rc_read = cp__tls_session_read(s, plain);
    int rc_take = cp__tls_session_take(s, wire);
    return rc ? rc : rc_read ? rc_read : rc_take;
}

static int filter_output(void *ctx, const char *plain, size_t len, cp__buf_t *wire)
{
    cp__tls_session_t *s = ctx;
    int rc = cp__tls_session_write(s, plain, len);
    int rc_take = cp__tls_session_take(s, wire);
    return rc ? rc : rc_take;
}

static void filter_free(void *ctx)
{
    cp__tls_session_free(ctx);
}

const cp__stream_filter_t cp__tls_stream_filter = {
    .start = filter_start,
    .input = filter_input,
    .output = filter_output,
    .free = filter_free,
};
