/* A snapshot's families as libprocess's JSON or Prometheus text. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cproc/error.h"
#include "metrics/format.h"

cp__fam_t *cp__fams_add(cp__fams_t *f, const char *name, size_t name_len, const char *help,
                        cp__fam_type_t type)
{
    if (f->oom)
        return NULL;
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 64;
        cp__fam_t *v = realloc(f->v, cap * sizeof *v);
        if (!v) {
            f->oom = true;
            return NULL;
        }
        f->v = v;
        f->cap = cap;
    }
    cp__fam_t *x = &f->v[f->n];
    memset(x, 0, sizeof *x);
    x->name = strndup(name, name_len);
    x->help = help ? strdup(help) : NULL;
    x->type = type;
    if (!x->name || (help && !x->help)) {
        free(x->name);
        free(x->help);
        f->oom = true;
        return NULL;
    }
    f->n++;
    return x;
}

cp__fam_t *cp__fams_add_labelled(cp__fams_t *f, const char *name, const char *prom,
                                 const char *labels, const char *help, cp__fam_type_t type)
{
    cp__fam_t *x = cp__fams_add(f, name, strlen(name), help, type);
    if (!x)
        return NULL;
    x->prom = prom ? strdup(prom) : NULL;
    x->labels = labels ? strdup(labels) : NULL;
    if ((prom && !x->prom) || (labels && !x->labels)) {
        f->oom = true;
        return NULL; /* freed with the others */
    }
    return x;
}

void cp__fams_free(cp__fams_t *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].help);
        free(f->v[i].prom);
        free(f->v[i].labels);
    }
    free(f->v);
    memset(f, 0, sizeof *f);
}

int cp__fmt_double(char *buf, size_t size, double v)
{
    if (isnan(v))
        return snprintf(buf, size, "NaN");
    if (isinf(v))
        return snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
    if (v == floor(v) && fabs(v) < 1e15)
        return snprintf(buf, size, "%.0f", v);
    int n = snprintf(buf, size, "%.15g", v);
    if (strtod(buf, NULL) != v)
        n = snprintf(buf, size, "%.17g", v);
    return n;
}

/* ---- the runtime's figures, read back from its JSON -------------------- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* Parses a JSON string at p (after the quote) into a malloc'd copy. */
static const char *parse_string(const char *p, const char *end, char **out, size_t *out_len)
{
    char *s = malloc((size_t)(end - p) + 1);
    size_t n = 0;
    if (!s)
        return NULL;
    while (p < end && *p != '"') {
        char c = *p++;
        if (c == '\\' && p < end) {
            c = *p++;
            switch (c) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 0; i < 4 && p < end; i++, p++) {
                    char h = *p;
                    v = v * 16 + (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
                }
                c = (char)(v & 0xff);
                break;
            }
            default: break; /* '"', '\\', '/' stand for themselves */
            }
        }
        s[n++] = c;
    }
    if (p >= end) {
        free(s);
        return NULL;
    }
    s[n] = 0;
    *out = s;
    *out_len = n;
    return p + 1;
}

int cp__fams_from_json(cp__fams_t *f, const char *json, size_t len)
{
    const char *p = json, *end = json + len;
    p = skip_ws(p, end);
    if (p >= end || *p++ != '{')
        return CP_EPROTO;
    for (;;) {
        p = skip_ws(p, end);
        if (p < end && *p == '}')
            return 0;
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
        if (p >= end || *p++ != '"')
            return CP_EPROTO;
        char *key;
        size_t key_len;
        if (!(p = parse_string(p, end, &key, &key_len)))
            return CP_EPROTO;
        p = skip_ws(p, end);
        if (p >= end || *p++ != ':') {
            free(key);
            return CP_EPROTO;
        }
        char *num_end;
        double v = strtod(p, &num_end);
        if (num_end == p || num_end > end) {
            free(key);
            return CP_EPROTO;
        }
        p = num_end;
        cp__fam_t *x = cp__fams_add(f, key, key_len, NULL, CP__FAM_UNTYPED);
        free(key);
        if (!x)
            return CP_ENOMEM;
        x->has_value = true;
        x->value = v;
    }
}

/* ---- JSON ---------------------------------------------------------------- */

int cp__json_string(cp__buf_t *out, const char *s, size_t len)
{
    int rc = cp__buf_append(out, "\"", 1);
    for (size_t i = 0; !rc && i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            char e[2] = {'\\', (char)ch};
            rc = cp__buf_append(out, e, 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", ch);
            rc = cp__buf_append(out, e, 6);
        } else {
            rc = cp__buf_append(out, s + i, 1);
        }
    }
    return rc ? rc : cp__buf_append(out, "\"", 1);
}


typedef struct kv {
    char *key; /* owned when `owned` */
    double v;
    bool owned;
} kv_t;

static int by_key(const void *a, const void *b)
{
    return strcmp(((const kv_t *)a)->key, ((const kv_t *)b)->key);
}

static const char *const stat_names[] = {"count", "max", "min", "p50", "p90",
                                         "p95", "p99", "p999"};

static double stat_value(const cp__stats_t *st, int i)
{
    const double v[] = {(double)st->count, st->max, st->min, st->p50,
                        st->p90, st->p95, st->p99, st->p999};
    return v[i];
}

int cp__fams_json(cp__fams_t *f, cp__buf_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += (f->v[i].has_value ? 1 : 0) +
             (f->v[i].has_stats && f->v[i].st.count >= 2 ? 8 : f->v[i].keeps_stats ? 1 : 0);
    kv_t *kv = n ? malloc(n * sizeof *kv) : NULL;
    if (n && !kv)
        return CP_ENOMEM;
    size_t k = 0;
    int rc = 0;
    for (size_t i = 0; i < f->n && !rc; i++) {
        cp__fam_t *x = &f->v[i];
        if (x->has_value)
            kv[k++] = (kv_t){x->name, x->value, false};
        if (!x->has_stats || x->st.count < 2) {
            if (!x->keeps_stats)
                continue;
            /* Fewer than two samples in the window: only the count. */
            char *key = NULL;
            if (asprintf(&key, "%s/count", x->name) < 0) {
                rc = CP_ENOMEM;
                break;
            }
            kv[k++] = (kv_t){key, x->has_stats ? (double)x->st.count : 0, true};
            continue;
        }
        for (int s = 0; s < 8; s++) {
            char *key = NULL;
            if (asprintf(&key, "%s/%s", x->name, stat_names[s]) < 0) {
                rc = CP_ENOMEM;
                break;
            }
            kv[k++] = (kv_t){key, stat_value(&x->st, s), true};
        }
    }
    if (k)
        qsort(kv, k, sizeof *kv, by_key);
    if (!rc)
        rc = cp__buf_append(out, "{", 1);
    char num[64];
    for (size_t i = 0; i < k && !rc; i++) {
        /* Runtime figures carry process ids, which may hold any byte. */
        rc = i ? cp__buf_append(out, ",", 1) : 0;
        if (!rc)
            rc = cp__json_string(out, kv[i].key, strlen(kv[i].key));
        if (!rc)
            rc = cp__buf_append(out, ":", 1);
        if (!rc) {
            /* JSON has no NaN or infinities. */
            if (isfinite(kv[i].v))
                rc = cp__buf_append(out, num, (size_t)cp__fmt_double(num, sizeof num, kv[i].v));
            else
                rc = cp__buf_append_str(out, "null");
        }
    }
    if (!rc)
        rc = cp__buf_append(out, "}", 1);
    for (size_t i = 0; i < k; i++)
        if (kv[i].owned)
            free(kv[i].key);
    free(kv);
    return rc;
}

/* ---- Prometheus ------------------------------------------------------------ */

typedef struct pfam {
    char *pname;
    const cp__fam_t *fam;
} pfam_t;

/* The Prometheus name: illegal characters become '_', a leading digit gets
 * a '_' prefix, and a counter ends in "_total" (the OpenMetrics and
 * client libraries' convention; added unless the name has it already). */
static char *prom_name(const char *name, bool counter)
{
    size_t n = strlen(name);
    char *s = malloc(n + 2 + sizeof "_total"), *d = s;
    if (!s)
        return NULL;
    if (name[0] >= '0' && name[0] <= '9')
        *d++ = '_';
    for (const char *c = name; *c; c++) {
        char ch = *c;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == ':';
        *d++ = ok ? ch : '_';
    }
    *d = 0;
    if (counter && (d - s < 6 || strcmp(d - 6, "_total") != 0))
        memcpy(d, "_total", sizeof "_total");
    return s;
}

static int labels_cmp(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) : (a != NULL) - (b != NULL);
}

/* By family name, then labels (none first): a family's samples adjacent. */
static int by_pname(const void *a, const void *b)
{
    const pfam_t *x = a, *y = b;
    int c = strcmp(x->pname, y->pname);
    return c ? c : labels_cmp(x->fam->labels, y->fam->labels);
}

static int append_help(cp__buf_t *out, const char *text)
{
    if (!strpbrk(text, "\\\n"))
        return cp__buf_append_str(out, text); /* the usual case: nothing to escape */
    int rc = 0;
    for (const char *c = text; *c && !rc; c++) {
        if (*c == '\\')
            rc = cp__buf_append(out, "\\\\", 2);
        else if (*c == '\n')
            rc = cp__buf_append(out, "\\n", 2);
        else
            rc = cp__buf_append(out, c, 1);
    }
    return rc;
}

static int sample(cp__buf_t *out, const char *pname, const char *suffix, const char *labels,
                  double v)
{
    char num[64];
    int n = cp__fmt_double(num, sizeof num, v);
    int rc = cp__buf_append_str(out, pname);
    if (!rc)
        rc = cp__buf_append_str(out, suffix);
    if (!rc)
        rc = cp__buf_append_str(out, labels);
    if (!rc)
        rc = cp__buf_append(out, " ", 1);
    if (!rc)
        rc = cp__buf_append(out, num, (size_t)n);
    return rc ? rc : cp__buf_append(out, "\n", 1);
}

static const char *const type_names[] = {"untyped", "counter", "gauge", "summary"};

int cp__fams_prometheus(cp__fams_t *f, cp__buf_t *out)
{
    pfam_t *pf = f->n ? calloc(f->n, sizeof *pf) : NULL;
    if (f->n && !pf)
        return CP_ENOMEM;
    size_t k = 0;
    int rc = 0;
    for (size_t i = 0; i < f->n; i++) {
        const cp__fam_t *x = &f->v[i];
        if (!x->has_value && !x->has_stats && !x->keeps_stats)
            continue;
        if (x->type != CP__FAM_SUMMARY && !x->has_value)
            continue;
        if (!(pf[k].pname = prom_name(x->prom ? x->prom : x->name, x->type == CP__FAM_COUNTER))) {
            rc = CP_ENOMEM;
            break;
        }
        pf[k++].fam = x;
    }
    if (k)
        qsort(pf, k, sizeof *pf, by_pname);
    const pfam_t *head = NULL; /* the family whose HELP and TYPE were written last */
    char lab[320];
    for (size_t i = 0; i < k && !rc; i++) {
        const cp__fam_t *x = pf[i].fam;
        const char *p = pf[i].pname;
        /* Two names that differ only in illegal characters: the first wins;
         * so does the first family of a name, its type for the others. */
        if (head && strcmp(p, head->pname) == 0) {
            if (!x->labels || x->type != head->fam->type || x->type == CP__FAM_SUMMARY ||
                labels_cmp(x->labels, pf[i - 1].fam->labels) == 0)
                continue;
            /* Another sample of the same family, with other labels. */
            snprintf(lab, sizeof lab, "{%s}", x->labels);
            rc = sample(out, p, "", lab, x->value);
            continue;
        }
        head = &pf[i];
        rc = cp__buf_append_str(out, "# HELP ");
        if (!rc)
            rc = cp__buf_append_str(out, p);
        if (!rc)
            rc = cp__buf_append(out, " ", 1);
        if (!rc && x->help)
            rc = append_help(out, x->help);
        else if (!rc) {
            rc = cp__buf_append_str(out, x->type == CP__FAM_UNTYPED ? "cproc runtime figure "
                                                                    : "cproc metric ");
            if (!rc)
                rc = append_help(out, x->name);
        }
        if (!rc)
            rc = cp__buf_append_str(out, "\n# TYPE ");
        if (!rc)
            rc = cp__buf_append_str(out, p);
        if (!rc)
            rc = cp__buf_append(out, " ", 1);
        if (!rc)
            rc = cp__buf_append_str(out, type_names[x->type]);
        if (!rc)
            rc = cp__buf_append(out, "\n", 1);
        if (rc)
            break;
        if (x->type != CP__FAM_SUMMARY) {
            if (x->labels)
                snprintf(lab, sizeof lab, "{%s}", x->labels);
            rc = sample(out, p, "", x->labels ? lab : "", x->value);
            continue;
        }
        if (x->has_stats) {
            static const char *const q[] = {"0.5", "0.9", "0.95", "0.99", "0.999"};
            const double qv[] = {x->st.p50, x->st.p90, x->st.p95, x->st.p99, x->st.p999};
            char labels[32];
            for (int j = 0; j < 5 && !rc; j++) {
                snprintf(labels, sizeof labels, "{quantile=\"%s\"}", q[j]);
                rc = sample(out, p, "", labels, qv[j]);
            }
        }
        if (!rc)
            rc = sample(out, p, "_sum", "", x->has_stats ? x->st.sum : 0);
        if (!rc)
            rc = sample(out, p, "_count", "", x->has_stats ? (double)x->st.count : 0);
    }
    for (size_t i = 0; i < k; i++)
        free(pf[i].pname);
    free(pf);
    return rc;
}
