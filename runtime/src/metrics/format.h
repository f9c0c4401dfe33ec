/* Internal: a snapshot's families and their two text formats. */
#ifndef CPROC_METRICS_FORMAT_H
#define CPROC_METRICS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics/metrics_internal.h"
#include "transport/buf.h"

typedef enum cp__fam_type {
    CP__FAM_UNTYPED = 0, /* the runtime's own figures */
    CP__FAM_COUNTER,
    CP__FAM_GAUGE,
    CP__FAM_SUMMARY, /* timers and histograms */
} cp__fam_type_t;

/* One metric in a snapshot. Strings are owned by the family. */
typedef struct cp__fam {
    char *name; /* the JSON key */
    char *help; /* NULL: a generic line */
    /* Prometheus: the family's name when it is not derived from `name`,
     * and its labels (`peer="127.0.0.1:5051"`, escaped already); NULL:
     * none. Samples of one family with different labels share its HELP
     * and TYPE lines. */
    char *prom;
    char *labels;
    cp__fam_type_t type;
    bool has_value;
    double value;
    bool has_stats;   /* st.count >= 1 */
    bool keeps_stats; /* a metric with statistics: always shows its count */
    cp__stats_t st;
} cp__fam_t;

typedef struct cp__fams {
    cp__fam_t *v;
    size_t n, cap;
    bool oom;
} cp__fams_t;

/* Appends a family (name and help copied); sets oom on failure. */
cp__fam_t *cp__fams_add(cp__fams_t *f, const char *name, size_t name_len, const char *help,
                        cp__fam_type_t type);
void cp__fams_free(cp__fams_t *f);

/* cp__fams_add() with a Prometheus family name and labels (copied;
 * counters, gauges and untyped figures only). */
cp__fam_t *cp__fams_add_labelled(cp__fams_t *f, const char *name, const char *prom,
                                 const char *labels, const char *help, cp__fam_type_t type);

/* Appends `s` as a Prometheus label value (quotes not included):
 * backslash, double quote and newline escaped. 0 or CP_ENOMEM. */


/* Appends the families parsed from a flat JSON object {"key":number,...}
 * (the runtime's figures) as untyped; json[len] must be a NUL. Returns 0
 * or CP_EPROTO/CP_ENOMEM. */
int cp__fams_from_json(cp__fams_t *f, const char *json, size_t len);

/* Adds processes/<type>/waiting and runtime/processes (process table;
 * any thread, the runtime running). */
void cp__runtime_figures(cp__fams_t *f);

/* Adds a gauge processes/<type>/<what> per process type among the n
 * processes of `list` (cp__processes_list()), valued the sum of value[i]
 * over that type's processes. Both are borrowed. Out of memory: f->oom. */
struct cp__proc_info;
void cp__per_type_gauges(cp__fams_t *f, const struct cp__proc_info *list, const double *value,
                         size_t n, const char *what, const char *help);

/* Adds transport/peers/<ip:port>/{messages,bytes}_{sent,received}
 * (Prometheus: transport_peer_<x>_total{peer="ip:port"}). Loop thread. */
void cp__peer_figures(cp__fams_t *f);

/* libprocess's JSON: one sorted object of "name" and "name/<stat>" keys. */
int cp__fams_json(cp__fams_t *f, cp__buf_t *out);

/* Prometheus text format 0.0.4. */
int cp__fams_prometheus(cp__fams_t *f, cp__buf_t *out);

/* Appends `len` bytes of s as a JSON string. 0 or CP_ENOMEM. */
int cp__json_string(cp__buf_t *out, const char *s, size_t len);

/* A double as JSON/Prometheus text (shortest form that reads back). */
int cp__fmt_double(char *buf, size_t size, double v);

#endif
