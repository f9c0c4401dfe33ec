/* Internal: the machine's figures, as libprocess's /system/stats.json. */
#ifndef CPROC_METRICS_SYSTEM_H
#define CPROC_METRICS_SYSTEM_H

typedef struct cp__system {
    double cpus_total;
    double load_1min, load_5min, load_15min;
    double mem_total_bytes, mem_free_bytes;
} cp__system_t;

/* Reads them now. Returns 0 or CP_EIO. Any thread. */
int cp__system_read(cp__system_t *out);

#endif
