/* The machine's figures: CPUs, load averages, memory. */
#include <stdlib.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "cproc/error.h"
#include "metrics/system.h"

int cp__system_read(cp__system_t *out)
{
    struct sysinfo si;
    double load[3];
    if (sysinfo(&si) != 0 || getloadavg(load, 3) != 3)
        return CP_EIO;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    out->cpus_total = cpus > 0 ? (double)cpus : 1;
    out->load_1min = load[0];
    out->load_5min = load[1];
    out->load_15min = load[2];
    out->mem_total_bytes = (double)si.totalram * si.mem_unit;
    /* As libprocess: free plus what the kernel would give back at once. */
    out->mem_free_bytes = (double)(si.freeram + si.bufferram) * si.mem_unit;
    return 0;
}
