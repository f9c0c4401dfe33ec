/* The re2c lexer: token kinds, text and positions; and the diagnostics the
 * parser reports for lexical errors. */
#include <stdlib.h>

#include "idl_test.h"
#include "lexer.h"

static cpidl_token_t lex_nth(const char *src, size_t len, int n)
{
    cpidl_lexer_t lx;
    cpidl_lexer_init(&lx, src, len);
    cpidl_token_t t = cpidl_lexer_next(&lx);
    for (int i = 0; i < n; i++)
        t = cpidl_lexer_next(&lx);
    return t;
}

static void assert_tok(cpidl_token_t t, cpidl_tok_kind_t kind, const char *text, unsigned line,
                       unsigned col)
{
    assert_int_equal(t.kind, kind);
    assert_int_equal(t.len, strlen(text));
    assert_memory_equal(t.text, text, t.len);
    assert_int_equal(t.line, line);
    assert_int_equal(t.col, col);
}

static void test_lexer_identifiers_and_symbols_carry_line_and_column(void **state)
{
    const char *s = "message Foo_1 {\n  int32 x = 1;\n}";
    size_t n = strlen(s);
    assert_tok(lex_nth(s, n, 0), CPIDL_TOK_IDENT, "message", 1, 1);
    assert_tok(lex_nth(s, n, 1), CPIDL_TOK_IDENT, "Foo_1", 1, 9);
    assert_tok(lex_nth(s, n, 2), CPIDL_TOK_SYMBOL, "{", 1, 15);
    assert_tok(lex_nth(s, n, 3), CPIDL_TOK_IDENT, "int32", 2, 3);
    assert_tok(lex_nth(s, n, 5), CPIDL_TOK_SYMBOL, "=", 2, 11);
    assert_tok(lex_nth(s, n, 6), CPIDL_TOK_INT, "1", 2, 13);
    assert_tok(lex_nth(s, n, 8), CPIDL_TOK_SYMBOL, "}", 3, 1);
    assert_int_equal(lex_nth(s, n, 9).kind, CPIDL_TOK_EOF);
    assert_int_equal(lex_nth(s, n, 10).kind, CPIDL_TOK_EOF);
}

static void test_lexer_numbers_in_every_base_and_floats(void **state)
{
    const char *s = "0x1F 0777 42 1.5 1e10 .5e-3 0 09";
    size_t n = strlen(s);
    assert_tok(lex_nth(s, n, 0), CPIDL_TOK_INT, "0x1F", 1, 1);
    assert_tok(lex_nth(s, n, 1), CPIDL_TOK_INT, "0777", 1, 6);
    assert_tok(lex_nth(s, n, 2), CPIDL_TOK_INT, "42", 1, 11);
    assert_tok(lex_nth(s, n, 3), CPIDL_TOK_FLOAT, "1.5", 1, 14);
    assert_tok(lex_nth(s, n, 4), CPIDL_TOK_FLOAT, "1e10", 1, 18);
    assert_tok(lex_nth(s, n, 5), CPIDL_TOK_FLOAT, ".5e-3", 1, 23);
    assert_tok(lex_nth(s, n, 6), CPIDL_TOK_INT, "0", 1, 29);
    /* Malformed numbers stay one token so the parser can name them. */
    assert_tok(lex_nth(s, n, 7), CPIDL_TOK_INT, "09", 1, 31);
}

static void test_lexer_strings_keep_escapes_and_both_quotes(void **state)
{
    const char *s = "\"a\\\"b\" 'c\\n'";
    size_t n = strlen(s);
    assert_tok(lex_nth(s, n, 0), CPIDL_TOK_STRING, "\"a\\\"b\"", 1, 1);
    assert_tok(lex_nth(s, n, 1), CPIDL_TOK_STRING, "'c\\n'", 1, 8);
}

static void test_lexer_comments_are_tokens_spanning_lines(void **state)
{
    const char *s = "// one\n/* two\n three */ x";
    size_t n = strlen(s);
    assert_tok(lex_nth(s, n, 0), CPIDL_TOK_COMMENT, "// one", 1, 1);
    cpidl_token_t t = lex_nth(s, n, 1);
    assert_int_equal(t.kind, CPIDL_TOK_COMMENT);
    assert_int_equal(t.line, 2);
    assert_int_equal(t.end_line, 3);
    assert_tok(lex_nth(s, n, 2), CPIDL_TOK_IDENT, "x", 3, 11);
}

static void test_lexer_embedded_nul_is_an_error_token_not_the_end(void **state)
{
    const char s[] = "a\0b";
    assert_tok(lex_nth(s, 3, 0), CPIDL_TOK_IDENT, "a", 1, 1);
    assert_int_equal(lex_nth(s, 3, 1).kind, CPIDL_TOK_ERROR);
    assert_tok(lex_nth(s, 3, 2), CPIDL_TOK_IDENT, "b", 1, 3);
    assert_int_equal(lex_nth(s, 3, 3).kind, CPIDL_TOK_EOF);
}

static void test_lexer_unterminated_comment_ends_the_input(void **state)
{
    const char *s = "x /* never closed";
    size_t n = strlen(s);
    assert_int_equal(lex_nth(s, n, 1).kind, CPIDL_TOK_ERROR);
    assert_int_equal(lex_nth(s, n, 2).kind, CPIDL_TOK_EOF);
}

static const diag_case_t lexer_cases[] = {
    {"test_diag_unterminated_string", "syntax = \"proto3\";\npackage \"abc;\n", CPIDL_SEV_ERROR, 2,
     9, "missing terminating \" character"},
    {"test_diag_unterminated_comment", "message A {}\n/* open\n", CPIDL_SEV_ERROR, 2, 1,
     "unterminated comment"},
    {"test_diag_unexpected_character", "message A { @ }\n", CPIDL_SEV_ERROR, 1, 13,
     "unexpected character '@'"},
    {"test_diag_unexpected_byte", "message A\x01 {}\n", CPIDL_SEV_ERROR, 1, 10,
     "unexpected byte 0x01"},
};

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lexer_identifiers_and_symbols_carry_line_and_column),
        cmocka_unit_test(test_lexer_numbers_in_every_base_and_floats),
        cmocka_unit_test(test_lexer_strings_keep_escapes_and_both_quotes),
        cmocka_unit_test(test_lexer_comments_are_tokens_spanning_lines),
        cmocka_unit_test(test_lexer_embedded_nul_is_an_error_token_not_the_end),
        cmocka_unit_test(test_lexer_unterminated_comment_ends_the_input),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    return rc + run_diag_cases("lexer diagnostics", lexer_cases,
                               sizeof lexer_cases / sizeof lexer_cases[0]);
}
