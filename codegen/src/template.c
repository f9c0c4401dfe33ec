/* ${name} templates for the stub emitters. */
#include "template.h"

#include <string.h>

void cpgen_template(cpgen_out_t *out, const char *tmpl, const cpgen_var_t *vars)
{
    const char *p = tmpl;
    while (*p != '\0') {
        const char *open = strstr(p, "${");
        if (open == NULL) {
            cpgen_out_puts(out, p);
            return;
        }
        cpgen_out_printf(out, "%.*s", (int)(open - p), p);
        const char *close = strchr(open, '}');
        size_t len = (size_t)(close - open - 2);
        const cpgen_var_t *v = vars;
        while (v->name != NULL && (strlen(v->name) != len || memcmp(v->name, open + 2, len) != 0))
            v++;
        cpgen_out_puts(out, v->name != NULL ? v->value : "<unknown placeholder>");
        p = close + 1;
    }
}
