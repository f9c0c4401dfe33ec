/* How a node starts: where it listens by default, what it advertises, the
 * sentence a failed start gives, and the rate limit on warnings a peer
 * can cause. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "core/transport_ops.h"
#include "cproc/cproc.h"
#include "node.h"
#include "transport/warn_limit.h"

#define BOUND_MS 60000

/* Every variable a test here sets, cleared before and after each. */
static const char *const vars[] = {
    "LIBPROCESS_IP", "LIBPROCESS_PORT", "LIBPROCESS_ADVERTISE_IP", "LIBPROCESS_ADVERTISE_PORT",
    "CPROC_IP", "CPROC_PORT", "CPROC_MAX_CONNECTIONS", "LIBPROCESS_MAX_CONNECTIONS",
    "LIBPROCESS_REQUIRE_PEER_ADDRESS_IP_MATCH", "LIBPROCESS_NUM_WORKER_THREADS",
    "LIBPROCESS_SSL_ENABLED", "LIBPROCESS_SSL_CERT_FILE", "LIBPROCESS_SSL_KEY_FILE",
    "CPROC_PEER_WARNINGS", "CPROC_PEER_WARNINGS_INTERVAL", "CPROC_LOG",
    "LIBPROCESS_SSL_VERIFY_CERT", "LIBPROCESS_SSL_VERIFICATION_DEPTH", "CPROC_IDLE_TIMEOUT_MS",
    "CPROC_SEND_TIMEOUT_MS", "CPROC_MAX_INBOUND_BYTES", "CPROC_MAX_HEADER_SIZE",
    "CPROC_MAX_BODY_SIZE",
};

static int clear_env(void **state)
{
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    setenv("LIBPROCESS_NUM_WORKER_THREADS", "2", 1);
    return 0;
}

static int stop_and_clear(void **state)
{
    cp_runtime_stop();
    return clear_env(state);
}

/* Starts with the current environment and expects a failure whose
 * sentence is exactly `want`. */
static void expect_start_error(int code, const char *want)
{
    assert_int_equal(cp_runtime_start(NULL), code);
    assert_false(cp_runtime_running());
    assert_string_equal(cp_runtime_start_error(), want);
}

/* ---- where the node listens -------------------------------------------- */

static uint32_t first_external_ipv4(void)
{
    uv_interface_address_t *ifs;
    int n;
    uint32_t ip = 0;
    if (uv_interface_addresses(&ifs, &n) != 0)
        return 0;
    for (int i = 0; i < n && !ip; i++)
        if (!ifs[i].is_internal && ifs[i].address.address4.sin_family == AF_INET)
            ip = ntohl(ifs[i].address.address4.sin_addr.s_addr);
    uv_free_interface_addresses(ifs, n);
    return ip;
}

/* 0 when a TCP connect to ip:port succeeds, else the errno. */
static int try_connect(uint32_t ip, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(ip);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

static void test_node_listens_on_loopback_by_default(void **state)
{
    assert_int_equal(cp_runtime_start(NULL), 0);
    assert_string_equal(cp_runtime_start_error(), "");
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    assert_int_equal(ip, 0x7f000001);
    assert_int_equal(try_connect(0x7f000001, port), 0);
    /* Not reachable on the host's other addresses (when it has any). */
    uint32_t ext = first_external_ipv4();
    if (ext)
        assert_int_equal(try_connect(ext, port), ECONNREFUSED);
}

static void test_wildcard_ip_listens_everywhere_and_advertises_the_host_address(void **state)
{
    setenv("LIBPROCESS_IP", "0.0.0.0", 1);
    assert_int_equal(cp_runtime_start(NULL), 0);
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    /* As libprocess: what the host's name resolves to, never 0.0.0.0. */
    char host[256];
    assert_int_equal(gethostname(host, sizeof host), 0);
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    assert_int_equal(getaddrinfo(host, NULL, &hints, &res), 0);
    assert_int_equal(ip, ntohl(((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr));
    freeaddrinfo(res);
    assert_int_equal(try_connect(0x7f000001, port), 0);
    uint32_t ext = first_external_ipv4();
    if (ext)
        assert_int_equal(try_connect(ext, port), 0);
}

static void test_advertise_ip_overrides_the_bound_address(void **state)
{
    setenv("LIBPROCESS_ADVERTISE_IP", "10.9.8.7", 1);
    setenv("LIBPROCESS_ADVERTISE_PORT", "4242", 1);
    assert_int_equal(cp_runtime_start(NULL), 0);
    uint32_t ip;
    uint16_t port;
    cp_runtime_address(&ip, &port);
    assert_int_equal(ip, 0x0a090807);
    assert_int_equal(port, 4242);
}

/* ---- start errors -------------------------------------------------------- */

static void test_port_in_use_names_the_address(void **state)
{
    uint16_t taken;
    int fd = test_node_listen(&taken);
    char port[16], want[128];
    snprintf(port, sizeof port, "%u", taken);
    setenv("LIBPROCESS_PORT", port, 1);
    snprintf(want, sizeof want, "cannot listen on 127.0.0.1:%s: address already in use", port);
    expect_start_error(CP_EIO, want);
    close(fd);
}

static void test_address_of_no_interface_is_named(void **state)
{
    setenv("LIBPROCESS_IP", "192.0.2.1", 1); /* TEST-NET-1: on no interface */
    setenv("LIBPROCESS_PORT", "0", 1);
    expect_start_error(CP_EIO, "cannot listen on 192.0.2.1:0: no local interface has this address");
}

static void test_bad_port_value_names_variable_and_value(void **state)
{
    setenv("LIBPROCESS_PORT", "http", 1);
    expect_start_error(CP_EINVAL, "LIBPROCESS_PORT=\"http\" is not a whole number from 0 to 65535");
    setenv("LIBPROCESS_PORT", "70000", 1);
    expect_start_error(CP_EINVAL, "LIBPROCESS_PORT=\"70000\" is not a whole number from 0 to 65535");
}

static void test_bad_ip_value_names_variable_and_value(void **state)
{
    setenv("CPROC_IP", "localhost", 1);
    expect_start_error(CP_EINVAL,
                       "CPROC_IP=\"localhost\" is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)");
}

static void test_bad_limits_and_flags_name_variable_and_value(void **state)
{
    setenv("CPROC_MAX_CONNECTIONS", "0", 1);
    expect_start_error(CP_EINVAL,
                       "CPROC_MAX_CONNECTIONS=\"0\" is not a whole number from 1 to 1000000");
    unsetenv("CPROC_MAX_CONNECTIONS");
    setenv("LIBPROCESS_REQUIRE_PEER_ADDRESS_IP_MATCH", "maybe", 1);
    expect_start_error(CP_EINVAL, "LIBPROCESS_REQUIRE_PEER_ADDRESS_IP_MATCH=\"maybe\" is not a "
                                  "boolean (true/false, yes/no, on/off, 1/0)");
    unsetenv("LIBPROCESS_REQUIRE_PEER_ADDRESS_IP_MATCH");
    setenv("LIBPROCESS_ADVERTISE_PORT", "0", 1);
    expect_start_error(CP_EINVAL,
                       "LIBPROCESS_ADVERTISE_PORT=\"0\" is not a whole number from 1 to 65535");
    unsetenv("LIBPROCESS_ADVERTISE_PORT");
    setenv("CPROC_PEER_WARNINGS_INTERVAL", "0", 1);
    expect_start_error(CP_EINVAL,
                       "CPROC_PEER_WARNINGS_INTERVAL=\"0\" is not a whole number from 1 to 86400");
}

static void test_bad_worker_count_names_variable_and_value(void **state)
{
    setenv("LIBPROCESS_NUM_WORKER_THREADS", "lots", 1);
    expect_start_error(CP_EINVAL, "LIBPROCESS_NUM_WORKER_THREADS=\"lots\" is not a whole number "
                                  "from 1 to 1024");
    setenv("LIBPROCESS_NUM_WORKER_THREADS", " 3", 1);
    expect_start_error(CP_EINVAL, "LIBPROCESS_NUM_WORKER_THREADS=\" 3\" is not a whole number "
                                  "from 1 to 1024");
}

/* One number parser for every variable: digits only, no sign or space. */
static void test_numbers_parse_the_same_everywhere(void **state)
{
    static const struct {
        const char *var, *value, *want;
    } cases[] = {
        {"LIBPROCESS_PORT", " 5", "LIBPROCESS_PORT=\" 5\" is not a whole number from 0 to 65535"},
        {"LIBPROCESS_PORT", "+45301",
         "LIBPROCESS_PORT=\"+45301\" is not a whole number from 0 to 65535"},
        {"LIBPROCESS_PORT", "5 ", "LIBPROCESS_PORT=\"5 \" is not a whole number from 0 to 65535"},
        {"LIBPROCESS_PORT", "", "LIBPROCESS_PORT=\"\" is not a whole number from 0 to 65535"},
        {"CPROC_MAX_CONNECTIONS", "0x10",
         "CPROC_MAX_CONNECTIONS=\"0x10\" is not a whole number from 1 to 1000000"},
        {"CPROC_IDLE_TIMEOUT_MS", "-1",
         "CPROC_IDLE_TIMEOUT_MS=\"-1\" is not a whole number from 0 to 86400000"},
        {"CPROC_SEND_TIMEOUT_MS", " 1",
         "CPROC_SEND_TIMEOUT_MS=\" 1\" is not a whole number from 0 to 86400000"},
        {"CPROC_MAX_INBOUND_BYTES", "99999999999999999999999",
         "CPROC_MAX_INBOUND_BYTES=\"99999999999999999999999\" is not a whole number from 1 "
         "to 1099511627776"},
        {"LIBPROCESS_SSL_VERIFICATION_DEPTH", "+2",
         "LIBPROCESS_SSL_VERIFICATION_DEPTH=\"+2\" is not a whole number from 0 to 2147483647"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv(cases[i].var, cases[i].value, 1);
        expect_start_error(CP_EINVAL, cases[i].want);
        unsetenv(cases[i].var);
    }
}

/* One boolean parser: 1/true/yes/on, 0/false/no/off, any case; TLS's
 * variables the same as the others. */
static void test_booleans_parse_the_same_everywhere(void **state)
{
    static const char *const ok[] = {"1", "true", "YES", "On", "0", "False", "no", "OFF"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        setenv("LIBPROCESS_REQUIRE_PEER_ADDRESS_IP_MATCH", ok[i], 1);
        setenv("LIBPROCESS_SSL_VERIFY_CERT", ok[i], 1);
        assert_int_equal(cp_runtime_start(NULL), 0);
        cp_runtime_stop();
    }
    setenv("LIBPROCESS_REQUIRE_PEER_ADDRESS_IP_MATCH", "1", 1);
    setenv("LIBPROCESS_SSL_ENABLED", "y", 1);
    expect_start_error(CP_EINVAL, "LIBPROCESS_SSL_ENABLED=\"y\" is not a boolean (true/false, "
                                  "yes/no, on/off, 1/0)");
    unsetenv("LIBPROCESS_SSL_ENABLED");
    setenv("LIBPROCESS_SSL_VERIFY_CERT", "", 1);
    expect_start_error(CP_EINVAL, "LIBPROCESS_SSL_VERIFY_CERT=\"\" is not a boolean (true/false, "
                                  "yes/no, on/off, 1/0)");
}

/* Header and body bounds have minimums: below them every ordinary
 * message would be refused. */
static void test_header_and_body_sizes_have_minimums(void **state)
{
    setenv("CPROC_MAX_HEADER_SIZE", "10", 1);
    expect_start_error(CP_EINVAL,
                       "CPROC_MAX_HEADER_SIZE=\"10\" is not a whole number from 1024 to 1073741824");
    setenv("CPROC_MAX_HEADER_SIZE", "1024", 1);
    setenv("CPROC_MAX_BODY_SIZE", "1023", 1);
    expect_start_error(CP_EINVAL, "CPROC_MAX_BODY_SIZE=\"1023\" is not a whole number from 1024 "
                                  "to 1099511627776");
    setenv("CPROC_MAX_BODY_SIZE", "1024", 1);
    assert_int_equal(cp_runtime_start(NULL), 0);
    cp_runtime_stop();
}

/* CPROC_LOG: any case; a bad value stops the start with a sentence. */
static void test_log_level_is_checked_like_every_variable(void **state)
{
    setenv("CPROC_LOG", "verbose", 1);
    expect_start_error(CP_EINVAL,
                       "CPROC_LOG=\"verbose\" is not a log level (off, error, warn, info or debug)");
    setenv("CPROC_LOG", "WARN", 1);
    assert_int_equal(cp_runtime_start(NULL), 0);
    assert_int_equal(cp_log_get_level(), CP_LOG_WARN);
    cp_runtime_stop();
    setenv("CPROC_LOG", "Off", 1);
    assert_int_equal(cp_runtime_start(NULL), 0);
    assert_int_equal(cp_log_get_level(), CP_LOG_OFF);
    cp_runtime_stop();
}

/* The examples print a start error once: the runtime logs it at error
 * level, and the program prints it only when that log is off. */
static size_t start_error_lines(const char *log_level)
{
    const char *bin = getenv("PONG_BIN");
    assert_non_null(bin);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "CPROC_LOG=%s LIBPROCESS_PORT=x '%s' 2>&1", log_level, bin);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char line[512];
    size_t n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, "LIBPROCESS_PORT=\"x\" is not a whole number from 0 to 65535"))
            n++;
    assert_int_not_equal(pclose(f), 0);
    return n;
}

static void test_example_prints_a_start_error_once(void **state)
{
    assert_int_equal(start_error_lines("error"), 1);
    assert_int_equal(start_error_lines("off"), 1);
}

/* A second start says why it fails. */
static void test_second_start_says_the_runtime_is_running(void **state)
{
    assert_int_equal(cp_runtime_start(NULL), 0);
    assert_int_equal(cp_runtime_start(NULL), CP_ESTATE);
    assert_string_equal(cp_runtime_start_error(), "the runtime is already running");
    assert_true(cp_runtime_running());
    cp_runtime_stop();
}

static void test_missing_certificate_names_the_file(void **state)
{
    setenv("LIBPROCESS_SSL_ENABLED", "true", 1);
    setenv("LIBPROCESS_SSL_CERT_FILE", "/nonexistent/cproc-cert.pem", 1);
    setenv("LIBPROCESS_SSL_KEY_FILE", "/nonexistent/cproc-key.pem", 1);
    expect_start_error(CP_EINVAL, "cannot read the TLS certificate "
                                  "'/nonexistent/cproc-cert.pem' (LIBPROCESS_SSL_CERT_FILE): "
                                  "No such file or directory");
}

static void test_start_after_a_failed_start_works_and_clears_the_error(void **state)
{
    setenv("LIBPROCESS_PORT", "-1", 1);
    assert_int_equal(cp_runtime_start(NULL), CP_EINVAL);
    assert_string_not_equal(cp_runtime_start_error(), "");
    unsetenv("LIBPROCESS_PORT");
    assert_int_equal(cp_runtime_start(NULL), 0);
    assert_string_equal(cp_runtime_start_error(), "");
}

/* ---- warnings a peer can cause ------------------------------------------- */

static void test_warn_limit_lets_a_burst_through_then_counts(void **state)
{
    cp__warn_limit_t w;
    cp__warn_limit_init(&w, 3, 1000);
    int logged = 0;
    for (int i = 0; i < 100; i++)
        logged += cp__warn_limit_take(&w, 5000 + (uint64_t)i);
    assert_int_equal(logged, 3);
    assert_int_equal(cp__warn_limit_flush(&w), 97);
    assert_int_equal(cp__warn_limit_flush(&w), 0);
}

static void test_warn_limit_opens_a_new_burst_each_interval(void **state)
{
    cp__warn_limit_t w;
    cp__warn_limit_init(&w, 2, 1000);
    assert_true(cp__warn_limit_take(&w, 10));
    assert_true(cp__warn_limit_take(&w, 20));
    assert_false(cp__warn_limit_take(&w, 1009));
    assert_true(cp__warn_limit_take(&w, 1010));
    assert_true(cp__warn_limit_take(&w, 1011));
    assert_false(cp__warn_limit_take(&w, 1012));
    assert_int_equal(cp__warn_limit_flush(&w), 2);
}

static void test_warn_limit_unconfigured_lets_everything_through(void **state)
{
    cp__warn_limit_t w;
    cp__warn_limit_init(&w, 0, 0);
    for (int i = 0; i < 10; i++)
        assert_true(cp__warn_limit_take(&w, 0));
    assert_int_equal(cp__warn_limit_flush(&w), 0);
}

/* Counts the lines of `path` that contain `what`. */
static int count_lines(const char *path, const char *what, char *last, size_t last_size)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, what)) {
            n++;
            if (last)
                snprintf(last, last_size, "%s", line);
        }
    }
    fclose(f);
    return n;
}

/* 300 malformed requests: 5 warning lines, then one summary with the
 * count (written when the transport stops at the latest). */
static void test_malformed_requests_give_a_bounded_number_of_warnings(void **state)
{
    char path[] = "/tmp/cproc-warn-XXXXXX";
    int log = mkstemp(path);
    assert_true(log >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(log, 2);
    setenv("CPROC_LOG", "warn", 1);
    setenv("CPROC_PEER_WARNINGS", "5", 1);
    setenv("CPROC_PEER_WARNINGS_INTERVAL", "86400", 1);
    assert_int_equal(cp_runtime_start(NULL), 0);
    uint16_t port;
    cp_runtime_address(NULL, &port);
    for (int i = 0; i < 300; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
        sa.sin_addr.s_addr = htonl(0x7f000001);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        static const char junk[] = "NOT HTTP AT ALL\r\n\r\n";
        assert_int_equal(write(fd, junk, sizeof junk - 1), (ssize_t)(sizeof junk - 1));
        char b[256];
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, BOUND_MS), 1);
        assert_true(read(fd, b, sizeof b) > 0); /* the 400 */
        close(fd);
    }
    cp_runtime_stop();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(log);
    assert_int_equal(count_lines(path, "bad HTTP request from 127.0.0.1", NULL, 0), 5);
    char summary[1024] = "";
    assert_int_equal(count_lines(path, "more warnings about peers suppressed", summary,
                                 sizeof summary),
                     1);
    assert_non_null(strstr(summary, "295 more warnings"));
    /* Written at stop: the time since the interval began, not the
     * configured day. */
    char *at = strstr(summary, "in the last ");
    assert_non_null(at);
    assert_true(strtod(at + 12, NULL) < 86400.0);
    assert_null(strstr(summary, "in the last 86400"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_node_listens_on_loopback_by_default, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(
            test_wildcard_ip_listens_everywhere_and_advertises_the_host_address, clear_env,
            stop_and_clear),
        cmocka_unit_test_setup_teardown(test_advertise_ip_overrides_the_bound_address, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(test_port_in_use_names_the_address, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(test_address_of_no_interface_is_named, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(test_bad_port_value_names_variable_and_value, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(test_bad_ip_value_names_variable_and_value, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(test_bad_limits_and_flags_name_variable_and_value,
                                        clear_env, stop_and_clear),
        cmocka_unit_test_setup_teardown(test_bad_worker_count_names_variable_and_value, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(test_numbers_parse_the_same_everywhere, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(test_booleans_parse_the_same_everywhere, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(test_header_and_body_sizes_have_minimums, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(test_log_level_is_checked_like_every_variable, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(test_example_prints_a_start_error_once, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(test_second_start_says_the_runtime_is_running, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(test_missing_certificate_names_the_file, clear_env,
                                        stop_and_clear),
        cmocka_unit_test_setup_teardown(test_start_after_a_failed_start_works_and_clears_the_error,
                                        clear_env, stop_and_clear),
        cmocka_unit_test(test_warn_limit_lets_a_burst_through_then_counts),
        cmocka_unit_test(test_warn_limit_opens_a_new_burst_each_interval),
        cmocka_unit_test(test_warn_limit_unconfigured_lets_everything_through),
        cmocka_unit_test_setup_teardown(test_malformed_requests_give_a_bounded_number_of_warnings,
                                        clear_env, stop_and_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
