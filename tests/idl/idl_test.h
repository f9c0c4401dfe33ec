/* Helpers shared by the IDL suites: load a source from memory with the
 * diagnostics collected, and table-driven diagnostic cases (each case a
 * named cmocka test). */
#ifndef IDL_TEST_H
#define IDL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cpidl/cpidl.h"

/* One expected diagnostic: the first error/warning of the load, and the
 * note that follows it when `note` is set. */
typedef struct diag_case {
    const char *name;
    const char *source;
    cpidl_severity_t sev;
    unsigned line, col;
    const char *message;
    unsigned note_line, note_col;
    const char *note;
    unsigned max_depth; /* 0: the default */
} diag_case_t;

/* Load `src` as "t.actor" (and `n_extra` more in-memory files). */
static inline int load_src(const char *src, cpidl_diags_t *diags, cpidl_program_t **out,
                           const cpidl_source_t *extra, size_t n_extra, bool werror)
{
    cpidl_options_t o = {
        .diags = diags, .sources = extra, .n_sources = n_extra, .no_disk = true, .werror = werror};
    return cpidl_load_buffer(&o, "t.actor", src, strlen(src), out);
}

static inline void run_diag_case(void **state)
{
    const diag_case_t *c = *state;
    cpidl_diags_t d = {0};
    cpidl_program_t *p = NULL;
    cpidl_options_t o = {.diags = &d, .no_disk = true, .max_depth = c->max_depth};
    int rc = cpidl_load_buffer(&o, "t.actor", c->source, strlen(c->source), &p);
    if (c->sev == CPIDL_SEV_ERROR)
        assert_int_equal(rc, CPIDL_EFAIL);
    assert_true(d.n >= 1);
    size_t i = 0;
    while (i < d.n && d.items[i].severity == CPIDL_SEV_NOTE)
        i++;
    assert_true(i < d.n);
    if (strcmp(d.items[i].message, c->message) != 0)
        fail_msg("case %s: got \"%s\" at %u:%u, want \"%s\"", c->name, d.items[i].message,
                 d.items[i].line, d.items[i].col, c->message);
    assert_int_equal(d.items[i].severity, c->sev);
    assert_int_equal(d.items[i].line, c->line);
    assert_int_equal(d.items[i].col, c->col);
    assert_string_equal(d.items[i].path, "t.actor");
    if (c->note != NULL) {
        assert_true(i + 1 < d.n);
        assert_int_equal(d.items[i + 1].severity, CPIDL_SEV_NOTE);
        assert_string_equal(d.items[i + 1].message, c->note);
        assert_int_equal(d.items[i + 1].line, c->note_line);
        assert_int_equal(d.items[i + 1].col, c->note_col);
    }
    cpidl_program_free(p);
    cpidl_diags_close(&d);
}

/* Run a table of cases as cmocka tests named after each case. */
static inline int run_diag_cases(const char *group, const diag_case_t *cases, size_t n)
{
    struct CMUnitTest *tests = calloc(n, sizeof *tests);
    if (tests == NULL)
        return 1;
    for (size_t i = 0; i < n; i++) {
        tests[i].name = cases[i].name;
        tests[i].test_func = run_diag_case;
        tests[i].initial_state = (void *)&cases[i];
    }
    int rc = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    free(tests);
    return rc;
}

#endif
