/* The timeouts of inbound connections: which phase a connection is in and
 * whether its clock ran out (see timeouts.h). */
#include "transport/timeouts.h"

#include "transport/stream.h"
#include "transport/tls.h"

void cp__conn_clock_init(cp__conn_clock_t *k, uint64_t now)
{
    *k = (cp__conn_clock_t){.active = now, .req_since = now};
}

void cp__conn_clock_activity(cp__conn_clock_t *k, uint64_t now, bool mid_request)
{
    k->active = now;
    if (mid_request && !k->in_req) {
        k->req_since = now;
        k->body_since = now;
        k->body_seen = 0;
    }
    k->in_req = mid_request;
}

static bool expired(uint64_t since, uint64_t now, uint64_t ms)
{
    return ms && now >= since && now - since >= ms;
}

cp__conn_verdict_t cp__conn_clock_check(cp__conn_clock_t *k, const cp__conn_view_t *v,
                                        const cp__limits_t *l, uint64_t now)
{
    if (v->handshaking)
        return expired(k->req_since, now, l->tls_ms) ? CP__CONN_TIMEOUT_TLS : CP__CONN_OK;
    if (k->paused)
        return expired(k->paused_since, now, l->idle_ms) ? CP__CONN_TIMEOUT_IDLE : CP__CONN_OK;
    if (v->mid_request) {
        if (v->body_len == 0)
            return expired(k->req_since, now, l->header_ms) ? CP__CONN_TIMEOUT_HEADER : CP__CONN_OK;
        if (v->body_len != k->body_seen) {
            k->body_seen = v->body_len;
            k->body_since = now;
        }
        return expired(k->body_since, now, l->body_ms) ? CP__CONN_TIMEOUT_BODY : CP__CONN_OK;
    }
    if (v->waiting || k->carried_message || (!k->carried_request && !v->crowded))
        return CP__CONN_OK;
    return expired(k->active, now, l->idle_ms) ? CP__CONN_TIMEOUT_IDLE : CP__CONN_OK;
}

void cp__conn_clock_count(cp__conn_verdict_t v)
{
    cp__limits_stats_t *s = &cp__limits_stats;
    switch (v) {
    case CP__CONN_TIMEOUT_IDLE:
        atomic_fetch_add(&s->timeouts_idle, 1);
        break;
    case CP__CONN_TIMEOUT_HEADER:
        atomic_fetch_add(&s->timeouts_header, 1);
        break;
    case CP__CONN_TIMEOUT_BODY:
        atomic_fetch_add(&s->timeouts_body, 1);
        break;
    case CP__CONN_TIMEOUT_TLS:
        atomic_fetch_add(&s->timeouts_tls, 1);
        break;
    case CP__CONN_OK:
        break;
    }
}

bool cp__stream_handshaking(const cp__stream_t *s)
{
    if (s->filter != &cp__tls_stream_filter)
        return false;
    const cp__tls_session_t *t = s->filter_ctx;
    return !cp__tls_session_handshake_done(t) && !cp__tls_session_downgraded(t) &&
           !cp__tls_session_failed(t);
}
