/* Tests' throw-away PKI: a CA, a server and a client certificate signed by
 * it (SAN IP:127.0.0.1, DNS:localhost), a self-signed "bad" certificate,
 * and a CA directory laid out as c_rehash does, as PEM files in a fresh
 * temporary directory. EC P-256 keys, made with OpenSSL at test time. */
#ifndef CPROC_TEST_PKI_H
#define CPROC_TEST_PKI_H

typedef struct test_pki {
    char dir[64];
    char ca_dir[96]; /* holds <subject hash>.0 for the CA */
    char ca_link[160];
    char ca_pem[128];
    char server_cert[128], server_key[128];
    char client_cert[128], client_key[128];
    char bad_cert[128], bad_key[128]; /* self-signed, same names as server */
} test_pki_t;

/* Makes the files; returns 0, or -1 if the directory cannot be made.
 * Fails the running cmocka test on OpenSSL errors. */
int test_pki_make(test_pki_t *pki);

/* Removes every file and directory test_pki_make() made. */
void test_pki_remove(test_pki_t *pki);

#endif
