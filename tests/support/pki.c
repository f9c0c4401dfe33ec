/* Tests' throw-away PKI (see pki.h). */
#include "pki.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static EVP_PKEY *make_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    return k;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(cert, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

/* A certificate for `key` named `cn`, signed by issuer/issuer_key (or by
 * itself when issuer is NULL). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, bool ca,
                       const char *san)
{
    static long serial = 1;
    X509 *c = X509_new();
    assert_non_null(c);
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
    X509_gmtime_adj(X509_getm_notBefore(c), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c), 24 * 3600);
    X509_set_pubkey(c, key);
    X509_NAME *name = X509_get_subject_name(c);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
    add_ext(c, issuer ? issuer : c, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (ca)
        add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign");
    if (san)
        add_ext(c, issuer ? issuer : c, NID_subject_alt_name, san);
    assert_true(X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return c;
}

static void write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    if (cert)
        assert_int_equal(PEM_write_X509(f, cert), 1);
    if (key)
        assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
}

int test_pki_make(test_pki_t *pki)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(pki->dir, sizeof pki->dir, "%s/cproc-tls-XXXXXX",
             tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(pki->dir))
        return -1;
#define PATH(var, name) snprintf(pki->var, sizeof pki->var, "%s/%s", pki->dir, name)
    PATH(ca_pem, "ca.pem");
    PATH(server_cert, "server.pem");
    PATH(server_key, "server.key");
    PATH(client_cert, "client.pem");
    PATH(client_key, "client.key");
    PATH(bad_cert, "bad.pem");
    PATH(bad_key, "bad.key");
    PATH(ca_dir, "cas");
#undef PATH
    EVP_PKEY *cak = make_key(), *sk = make_key(), *ck = make_key(), *bk = make_key();
    X509 *ca = make_cert(cak, "cproc test CA", NULL, NULL, true, NULL);
    X509 *sc = make_cert(sk, "localhost", ca, cak, false, "IP:127.0.0.1,DNS:localhost");
    X509 *cc = make_cert(ck, "client", ca, cak, false, "IP:127.0.0.1");
    X509 *bc = make_cert(bk, "localhost", NULL, NULL, false, "IP:127.0.0.1,DNS:localhost");
    write_pem(pki->ca_pem, ca, NULL);
    if (mkdir(pki->ca_dir, 0700) != 0)
        return -1;
    snprintf(pki->ca_link, sizeof pki->ca_link, "%s/%08lx.0", pki->ca_dir,
             X509_subject_name_hash(ca));
    write_pem(pki->ca_link, ca, NULL);
    write_pem(pki->server_cert, sc, NULL);
    write_pem(pki->server_key, NULL, sk);
    write_pem(pki->client_cert, cc, NULL);
    write_pem(pki->client_key, NULL, ck);
    write_pem(pki->bad_cert, bc, NULL);
    write_pem(pki->bad_key, NULL, bk);
    X509_free(ca);
    X509_free(sc);
    X509_free(cc);
    X509_free(bc);
    EVP_PKEY_free(cak);
    EVP_PKEY_free(sk);
    EVP_PKEY_free(ck);
    EVP_PKEY_free(bk);
    return 0;
}

void test_pki_remove(test_pki_t *pki)
{
    const char *files[] = {pki->ca_pem,      pki->server_cert, pki->server_key, pki->client_cert,
                           pki->client_key,  pki->bad_cert,    pki->bad_key,    pki->ca_link};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(files[i]);
    rmdir(pki->ca_dir);
    rmdir(pki->dir);
}
