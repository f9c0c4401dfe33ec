/*
 * The C half of the wire-identity test (driven by wire_check.py).
 *
 *   wire_prog write DIR   pack every case built from cproc-gen's output and
 *                         write DIR/<case>.c.bin
 *   wire_prog check DIR   unpack every DIR/<case>.py.bin written by python,
 *                         check the values, pack it again and require the
 *                         same bytes (exact round trip, unknown fields too)
 *
 * Exit status 0 when everything matched; otherwise a line per mismatch on
 * stderr and status 1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire2.pb-c.h"
#include "wire3.pb-c.h"

static int failures;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
            failures++;                                                                   \
        }                                                                                 \
    } while (0)

static const char utf8[] = "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80";
static const uint8_t zeros[] = { 0, 1, 0, 0xff, 0 };

static void fill_scalars_positive(Cproc__Wire__Scalars *m)
{
    m->i32 = 150;
    m->i64 = 1234567890123LL;
    m->u32 = 3000000000u;
    m->u64 = 12345678901234567890ULL;
    m->s32 = 63;
    m->s64 = 1LL << 40;
    m->f32 = 0xdeadbeefu;
    m->f64 = 0x0123456789abcdefULL;
    m->sf32 = 7;
    m->sf64 = 8;
    m->fl = 3.25f;
    m->db = 2.718281828459045;
    m->b = 1;
    m->str = (char *)utf8;
    m->by.data = (uint8_t *)zeros;
    m->by.len = sizeof zeros;
    m->color = CPROC__WIRE__COLOR__GREEN;
}

static void fill_scalars_negative(Cproc__Wire__Scalars *m)
{
    m->i32 = -1;
    m->i64 = INT64_MIN;
    m->u32 = UINT32_MAX;
    m->u64 = UINT64_MAX;
    m->s32 = -1;
    m->s64 = INT64_MIN;
    m->f32 = UINT32_MAX;
    m->f64 = UINT64_MAX;
    m->sf32 = INT32_MIN;
    m->sf64 = -6;
    m->fl = -0.5f;
    m->db = -1e300;
    m->color = CPROC__WIRE__COLOR__NEGATIVE;
}

typedef ProtobufCMessage *(*build_fn)(void *storage);

static ProtobufCMessage *build_scalars_zero(void *s)
{
    Cproc__Wire__Scalars *m = s;
    cproc__wire__scalars__init(m);
    return &m->base;
}

static ProtobufCMessage *build_scalars_positive(void *s)
{
    Cproc__Wire__Scalars *m = s;
    cproc__wire__scalars__init(m);
    fill_scalars_positive(m);
    return &m->base;
}

static ProtobufCMessage *build_scalars_negative(void *s)
{
    Cproc__Wire__Scalars *m = s;
    cproc__wire__scalars__init(m);
    fill_scalars_negative(m);
    return &m->base;
}

static ProtobufCMessage *build_repeated(void *s)
{
    static int32_t i32[] = { 1, -1, 300, INT32_MAX, INT32_MIN };
    static int64_t s64[] = { 0, -1, 1, INT64_MIN, INT64_MAX };
    static double db[] = { 0.0, -0.0, 1.5, 1e-300 };
    static protobuf_c_boolean b[] = { 1, 0, 1 };
    static Cproc__Wire__Color colors[] = { CPROC__WIRE__COLOR__RED, CPROC__WIRE__COLOR__NEGATIVE,
                                           CPROC__WIRE__COLOR__COLOR_UNSPECIFIED };
    static uint32_t f32[] = { 0, 1, UINT32_MAX };
    static int32_t unpacked[] = { 5, -5, 0 };
    static char *strs[] = { "", "a", (char *)utf8 };
    static ProtobufCBinaryData bys[2];
    static Cproc__Wire__Scalars msgs[2];
    static Cproc__Wire__Scalars *msg_ptrs[] = { &msgs[0], &msgs[1] };
    static uint64_t u64[] = { UINT64_MAX, 0, 42 };
    Cproc__Wire__Repeated *m = s;
    cproc__wire__repeated__init(m);
    bys[0].len = 0;
    bys[0].data = NULL;
    bys[1].len = sizeof zeros;
    bys[1].data = (uint8_t *)zeros;
    cproc__wire__scalars__init(&msgs[0]);
    cproc__wire__scalars__init(&msgs[1]);
    fill_scalars_negative(&msgs[1]);
#define SET(field, arr)                                                                   \
    m->n_##field = sizeof arr / sizeof arr[0];                                            \
    m->field = arr
    SET(packed_i32, i32);
    SET(packed_s64, s64);
    SET(packed_db, db);
    SET(packed_b, b);
    SET(packed_color, colors);
    SET(packed_f32, f32);
    SET(unpacked_i32, unpacked);
    SET(strs, strs);
    SET(bys, bys);
    SET(msgs, msg_ptrs);
    SET(unpacked_u64, u64);
#undef SET
    return &m->base;
}

static Cproc__Wire__Outer__Inner inner_a, inner_b;
static Cproc__Wire__Outer__Inner__Deep deep;

static void fill_inners(void)
{
    cproc__wire__outer__inner__init(&inner_a);
    cproc__wire__outer__inner__init(&inner_b);
    cproc__wire__outer__inner__deep__init(&deep);
    deep.flag = 1;
    inner_a.x = -20;
    inner_a.name = "inner a";
    inner_a.deep = &deep;
    inner_a.kind = CPROC__WIRE__OUTER__INNER__KIND__KIND_A;
    inner_b.x = 7;
}

static ProtobufCMessage *build_outer_nested(void *s)
{
    static Cproc__Wire__Outer__Inner *list[2];
    Cproc__Wire__Outer *m = s;
    cproc__wire__outer__init(m);
    fill_inners();
    list[0] = &inner_b;
    list[1] = &inner_a;
    m->inner = &inner_a;
    m->n_inners = 2;
    m->inners = list;
    m->kind = CPROC__WIRE__OUTER__INNER__KIND__KIND_A;
    m->after_oneof = 536870911;
    return &m->base;
}

static ProtobufCMessage *build_outer_oneof_int(void *s)
{
    Cproc__Wire__Outer *m = s;
    cproc__wire__outer__init(m);
    m->choice_case = CPROC__WIRE__OUTER__CHOICE_CHOICE_INT;
    m->choice_int = 0; /* set to zero: still on the wire */
    return &m->base;
}

static ProtobufCMessage *build_outer_oneof_str(void *s)
{
    Cproc__Wire__Outer *m = s;
    cproc__wire__outer__init(m);
    m->choice_case = CPROC__WIRE__OUTER__CHOICE_CHOICE_STR;
    m->choice_str = (char *)utf8;
    return &m->base;
}

static ProtobufCMessage *build_outer_oneof_msg(void *s)
{
    Cproc__Wire__Outer *m = s;
    cproc__wire__outer__init(m);
    fill_inners();
    m->choice_case = CPROC__WIRE__OUTER__CHOICE_CHOICE_MSG;
    m->choice_msg = &inner_a;
    return &m->base;
}

static ProtobufCMessage *build_outer_oneof_bytes(void *s)
{
    Cproc__Wire__Outer *m = s;
    cproc__wire__outer__init(m);
    m->choice_case = CPROC__WIRE__OUTER__CHOICE_CHOICE_BYTES;
    m->choice_bytes.len = sizeof zeros;
    m->choice_bytes.data = (uint8_t *)zeros;
    return &m->base;
}

/* Keys in sorted order: python serializes maps deterministically sorted. */
static ProtobufCMessage *build_outer_maps(void *s)
{
    static Cproc__Wire__Outer__CountsEntry counts[3];
    static Cproc__Wire__Outer__CountsEntry *count_ptrs[3];
    static Cproc__Wire__Outer__ByIdEntry by_id[2];
    static Cproc__Wire__Outer__ByIdEntry *by_id_ptrs[2];
    static Cproc__Wire__Outer__ColorsEntry colors[2];
    static Cproc__Wire__Outer__ColorsEntry *color_ptrs[2];
    static const char *keys[] = { "alpha", "beta", "\xc3\xa9t\xc3\xa9" };
    Cproc__Wire__Outer *m = s;
    cproc__wire__outer__init(m);
    fill_inners();
    for (int i = 0; i < 3; i++) {
        cproc__wire__outer__counts_entry__init(&counts[i]);
        counts[i].key = (char *)keys[i];
        counts[i].value = (i + 1) * -100;
        count_ptrs[i] = &counts[i];
    }
    for (int i = 0; i < 2; i++) {
        cproc__wire__outer__by_id_entry__init(&by_id[i]);
        by_id[i].key = i == 0 ? -5 : 1LL << 50;
        by_id[i].value = i == 0 ? &inner_a : &inner_b;
        by_id_ptrs[i] = &by_id[i];
        cproc__wire__outer__colors_entry__init(&colors[i]);
        colors[i].key = (uint32_t)i + 1;
        colors[i].value = i == 0 ? CPROC__WIRE__COLOR__RED : CPROC__WIRE__COLOR__NEGATIVE;
        color_ptrs[i] = &colors[i];
    }
    m->n_counts = 3;
    m->counts = count_ptrs;
    m->n_by_id = 2;
    m->by_id = by_id_ptrs;
    m->n_colors = 2;
    m->colors = color_ptrs;
    return &m->base;
}

static ProtobufCMessage *build_outer_optional_zero(void *s)
{
    Cproc__Wire__Outer *m = s;
    cproc__wire__outer__init(m);
    m->has_opt_i32 = 1;
    m->opt_i32 = 0;
    m->opt_str = "";
    return &m->base;
}

static ProtobufCMessage *build_outer_optional_set(void *s)
{
    Cproc__Wire__Outer *m = s;
    cproc__wire__outer__init(m);
    m->has_opt_i32 = 1;
    m->opt_i32 = -9;
    m->opt_str = (char *)utf8;
    return &m->base;
}

static ProtobufCMessage *build_defaults_min(void *s)
{
    Cproc__Wire2__Defaults *m = s;
    cproc__wire2__defaults__init(m);
    m->req = 0;
    return &m->base;
}

/* Every optional field set, each to its default: explicit presence puts
 * them all on the wire. */
static ProtobufCMessage *build_defaults_explicit(void *s)
{
    static int32_t packed[] = { -1, 2 };
    static int32_t unpacked[] = { 3, -4 };
    static Cproc__Wire2__Defaults child;
    Cproc__Wire2__Defaults *m = s;
    cproc__wire2__defaults__init(m);
    cproc__wire2__defaults__init(&child);
    child.req = 77;
    m->has_i32 = m->has_i64 = m->has_u32 = m->has_u64 = m->has_fl = m->has_db = 1;
    m->has_inf = m->has_b = m->has_by = m->has_level = m->has_s32 = 1;
    m->has_neg_inf = 1;
    m->str = "explicit";
    m->req = -1;
    m->n_packed = 2;
    m->packed = packed;
    m->n_unpacked = 2;
    m->unpacked = unpacked;
    m->child = &child;
    m->has_no_default_level = 1;
    m->no_default_level = CPROC__WIRE2__LEVEL__LOW;
    m->no_default_str = "";
    return &m->base;
}

static ProtobufCMessage *build_small(void *s)
{
    Cproc__Wire__Small *m = s;
    cproc__wire__small__init(m);
    m->a = 99;
    return &m->base;
}

typedef struct wire_case {
    const char *name;
    const ProtobufCMessageDescriptor *descriptor;
    build_fn build; /* NULL: python-only case (check mode only) */
} wire_case_t;

static const wire_case_t cases[] = {
    { "scalars_zero", &cproc__wire__scalars__descriptor, build_scalars_zero },
    { "scalars_positive", &cproc__wire__scalars__descriptor, build_scalars_positive },
    { "scalars_negative", &cproc__wire__scalars__descriptor, build_scalars_negative },
    { "repeated", &cproc__wire__repeated__descriptor, build_repeated },
    { "outer_nested", &cproc__wire__outer__descriptor, build_outer_nested },
    { "outer_oneof_int", &cproc__wire__outer__descriptor, build_outer_oneof_int },
    { "outer_oneof_str", &cproc__wire__outer__descriptor, build_outer_oneof_str },
    { "outer_oneof_msg", &cproc__wire__outer__descriptor, build_outer_oneof_msg },
    { "outer_oneof_bytes", &cproc__wire__outer__descriptor, build_outer_oneof_bytes },
    { "outer_maps", &cproc__wire__outer__descriptor, build_outer_maps },
    { "outer_optional_zero", &cproc__wire__outer__descriptor, build_outer_optional_zero },
    { "outer_optional_set", &cproc__wire__outer__descriptor, build_outer_optional_set },
    { "defaults_min", &cproc__wire2__defaults__descriptor, build_defaults_min },
    { "defaults_explicit", &cproc__wire2__defaults__descriptor, build_defaults_explicit },
    { "small", &cproc__wire__small__descriptor, build_small },
    /* Python-only: a Big read as Small (unknown fields kept). */
    { "unknown_fields", &cproc__wire__small__descriptor, NULL },
};

static int write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len)) {
        perror(path);
        if (f)
            fclose(f);
        return -1;
    }
    return fclose(f);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 256;
            buf = realloc(buf, cap);
            if (!buf)
                break;
        }
        size_t n = fread(buf + *len, 1, cap - *len, f);
        if (n == 0)
            break;
        *len += n;
    }
    fclose(f);
    return buf;
}

static int do_write(const char *dir)
{
    union {
        Cproc__Wire__Scalars a;
        Cproc__Wire__Repeated b;
        Cproc__Wire__Outer c;
        Cproc__Wire2__Defaults d;
        Cproc__Wire__Small e;
    } storage;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!cases[i].build)
            continue;
        ProtobufCMessage *m = cases[i].build(&storage);
        CHECK(protobuf_c_message_check(m));
        size_t len = protobuf_c_message_get_packed_size(m);
        uint8_t *buf = malloc(len ? len : 1);
        CHECK(protobuf_c_message_pack(m, buf) == len);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.c.bin", dir, cases[i].name);
        if (write_file(path, buf, len) != 0)
            failures++;
        free(buf);
    }
    return failures ? 1 : 0;
}

/* Value checks on what python sent, beyond the byte round trip. */
static void check_values(const char *name, const ProtobufCMessage *msg)
{
    if (strcmp(name, "defaults_min") == 0) {
        const Cproc__Wire2__Defaults *m = (const Cproc__Wire2__Defaults *)msg;
        CHECK(!m->has_i32 && m->i32 == -42);
        CHECK(m->i64 == -9000000000LL);
        CHECK(m->u32 == 4000000000u);
        CHECK(m->u64 == 18000000000000000000ULL);
        CHECK(m->fl == 1.5f);
        CHECK(m->db == -2.25e10);
        CHECK(isinf(m->inf) && m->inf > 0);
        CHECK(isnan(m->nan));
        CHECK(isinf(m->neg_inf) && m->neg_inf < 0);
        CHECK(m->b == 1);
        CHECK(strcmp(m->str, "h\"i\n\xc3\xa9") == 0);
        CHECK(m->by.len == 3 && memcmp(m->by.data, "a\0b", 3) == 0);
        CHECK(m->level == CPROC__WIRE2__LEVEL__HIGH);
        CHECK(m->s32 == -7);
        CHECK(m->no_default_level == CPROC__WIRE2__LEVEL__LOW);
        CHECK(m->no_default_str == NULL);
    } else if (strcmp(name, "scalars_negative") == 0) {
        const Cproc__Wire__Scalars *m = (const Cproc__Wire__Scalars *)msg;
        CHECK(m->i32 == -1 && m->i64 == INT64_MIN && m->s64 == INT64_MIN);
        CHECK(m->sf32 == INT32_MIN && m->u64 == UINT64_MAX);
        CHECK(m->color == CPROC__WIRE__COLOR__NEGATIVE);
    } else if (strcmp(name, "outer_maps") == 0) {
        const Cproc__Wire__Outer *m = (const Cproc__Wire__Outer *)msg;
        CHECK(m->n_counts == 3 && strcmp(m->counts[2]->key, "\xc3\xa9t\xc3\xa9") == 0);
        CHECK(m->n_by_id == 2 && m->by_id[0]->key == -5 && m->by_id[0]->value->x == -20);
    } else if (strcmp(name, "unknown_fields") == 0) {
        const Cproc__Wire__Small *m = (const Cproc__Wire__Small *)msg;
        CHECK(m->a == 1);
        CHECK(m->base.n_unknown_fields == 4);
    }
}

static int do_check(const char *dir)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.py.bin", dir, cases[i].name);
        size_t len;
        uint8_t *data = read_file(path, &len);
        if (!data) {
            failures++;
            continue;
        }
        ProtobufCMessage *m = protobuf_c_message_unpack(cases[i].descriptor, NULL, len, data);
        if (!m) {
            fprintf(stderr, "%s: protobuf-c could not unpack python's bytes\n", cases[i].name);
            failures++;
            free(data);
            continue;
        }
        check_values(cases[i].name, m);
        size_t plen = protobuf_c_message_get_packed_size(m);
        uint8_t *again = malloc(plen ? plen : 1);
        protobuf_c_message_pack(m, again);
        if (plen != len || memcmp(again, data, len) != 0) {
            fprintf(stderr, "%s: unpack + pack changed the bytes (%zu -> %zu)\n",
                    cases[i].name, len, plen);
            failures++;
        }
        free(again);
        protobuf_c_message_free_unpacked(m, NULL);
        free(data);
    }
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "write") == 0)
        return do_write(argv[2]);
    if (argc == 3 && strcmp(argv[1], "check") == 0)
        return do_check(argv[2]);
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            printf("%s %s\n", cases[i].name, cases[i].build ? "both" : "python");
        return 0;
    }
    fprintf(stderr, "usage: %s write|check DIR | list\n", argv[0]);
    return 2;
}
