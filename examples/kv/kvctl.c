/* kvctl: puts and gets against one kvnode, with typed calls that end.
 *
 *   kvctl --node store@ip:port [--timeout-ms N] put KEY VALUE
 *   kvctl --node store@ip:port [--timeout-ms N] get KEY
 *
 * Prints the version (put) or the value (get) and exits 0; a key that is
 * not there exits 3. Any failure (the node is down, not a kvnode, too
 * slow...) is one line on stderr naming the reason, exit 1, never later
 * than the deadline (--timeout-ms, default the runtime's call deadline,
 * CPROC_CALL_TIMEOUT_MS).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.actor.h"

static void usage(void)
{
    fprintf(stderr, "usage: kvctl --node store@ip:port [--timeout-ms N] put KEY VALUE\n"
                    "       kvctl --node store@ip:port [--timeout-ms N] get KEY\n");
    exit(2);
}

static int do_put(Kv__Store_Pid node, const cp_call_opts_t *opts, const char *key,
                  const char *value)
{
    Kv__PutRequest req = KV__PUT_REQUEST__INIT;
    req.key = (char *)key;
    req.value.data = (uint8_t *)value;
    req.value.len = strlen(value);
    Kv__PutReply_Future f = kv__store__put(node, &req, NULL, opts);
    kv__put_reply__future_wait(f, CP_WAIT_FOREVER); /* the call's deadline bounds it */
    const Kv__PutReply *reply = kv__put_reply__future_value(f);
    int status = 0;
    if (reply != NULL) {
        printf("%llu\n", (unsigned long long)reply->version);
    } else {
        const char *why = kv__put_reply__future_failure(f);
        fprintf(stderr, "kvctl: put %s: %s\n", key, why != NULL ? why : "discarded");
        status = 1;
    }
    kv__put_reply__future_unref(f);
    return status;
}

static int do_get(Kv__Store_Pid node, const cp_call_opts_t *opts, const char *key)
{
    Kv__GetRequest req = KV__GET_REQUEST__INIT;
    req.key = (char *)key;
    Kv__GetReply_Future f = kv__store__get(node, &req, NULL, opts);
    kv__get_reply__future_wait(f, CP_WAIT_FOREVER);
    const Kv__GetReply *reply = kv__get_reply__future_value(f);
    int status = 0;
    if (reply == NULL) {
        const char *why = kv__get_reply__future_failure(f);
        fprintf(stderr, "kvctl: get %s: %s\n", key, why != NULL ? why : "discarded");
        status = 1;
    } else if (!reply->found) {
        fprintf(stderr, "kvctl: get %s: no such key\n", key);
        status = 3;
    } else {
        printf("%.*s\n", (int)reply->value.len, (const char *)reply->value.data);
    }
    kv__get_reply__future_unref(f);
    return status;
}

int main(int argc, char **argv)
{
    const char *node_text = NULL;
    cp_call_opts_t opts = {0};
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--node") == 0)
            node_text = argv[i + 1];
        else if (strcmp(argv[i], "--timeout-ms") == 0)
            opts.timeout_ns = strtoull(argv[i + 1], NULL, 10) * CP_NS_PER_MS;
        else
            usage();
    }
    if (node_text == NULL || i >= argc)
        usage();
    const char *cmd = argv[i];
    if (!((strcmp(cmd, "put") == 0 && argc - i == 3) || (strcmp(cmd, "get") == 0 && argc - i == 2)))
        usage();
    cp_upid_t upid;
    if (cp_upid_parse(node_text, &upid) != 0) {
        fprintf(stderr, "kvctl: '%s' is not a UPID (store@ip:port)\n", node_text);
        return 2;
    }
    if (getenv("LIBPROCESS_IP") == NULL)
        setenv("LIBPROCESS_IP", "127.0.0.1", 1);
    if (getenv("LIBPROCESS_PORT") == NULL)
        setenv("LIBPROCESS_PORT", "0", 1);
    int rc = cp_runtime_start(NULL);
    if (rc != 0) {
        /* The runtime logged the sentence already, unless its log is off. */
        if (!cp_log_enabled(CP_LOG_ERROR))
            fprintf(stderr, "kvctl: cannot start: %s\n", cp_runtime_start_error());
        return 1;
    }
    Kv__Store_Pid node = kv__store__pid(upid);
    int status = strcmp(cmd, "put") == 0 ? do_put(node, &opts, argv[i + 1], argv[i + 2])
                                         : do_get(node, &opts, argv[i + 1]);
    cp_runtime_stop();
    return status;
}
