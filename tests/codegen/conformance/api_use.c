/*
 * A program written against protoc-c's generated API for the corpus; the
 * conformance test builds and runs it once with protoc-c's output and once
 * with cproc-gen's, so header-level names (INIT macros, oneof case enums,
 * closures, service structs and macros, option-dependent member types)
 * must agree too. Exits 0 and prints "api ok" when every check holds.
 */
#include <stdio.h>
#include <string.h>

#include "code_size.pb-c.h"
#include "opt_deep.pb-c.h"
#include "opt_file.pb-c.h"
#include "opt_msg.pb-c.h"
#include "opt_oneof.pb-c.h"
#include "p2_all.pb-c.h"
#include "p3_all.pb-c.h"
#include "services.pb-c.h"

static int failures;
#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
            failures++;                                                      \
        }                                                                    \
    } while (0)

/* protoc-c's service API: a server implemented through the INIT macro. */
static int by_name_calls;
static void my_by_name(Conf__Svc__DirLookup_Service *service, const Conf__Svc__Req *input,
                       Conf__Svc__Res_Closure closure, void *closure_data)
{
    (void)service;
    Conf__Svc__Res res = CONF__SVC__RES__INIT;
    by_name_calls += input->q != NULL && strcmp(input->q, "x") == 0;
    closure(&res, closure_data);
}
static void my_by_number(Conf__Svc__DirLookup_Service *service, const Conf__Svc__NsThing *input,
                         Conf__Svc__Res_Closure closure, void *closure_data)
{
    (void)service;
    (void)input;
    closure(NULL, closure_data);
}
static void my_alpha(Conf__Svc__DirLookup_Service *service, const Conf__Svc__Req *input,
                     Conf__Svc__NsThing_Closure closure, void *closure_data)
{
    (void)service;
    (void)input;
    closure(NULL, closure_data);
}
static void got_res(const Conf__Svc__Res *res, void *data)
{
    *(int *)data += res != NULL;
}

int main(void)
{
    /* proto2 defaults, oneof case names, deprecated and keyword members. */
    Conf__P2__Defaults d = CONF__P2__DEFAULTS__INIT;
    CHECK(d.i32 == INT32_MIN && d.u64 == UINT64_MAX && d.color == CONF__P2__COLOR__GREEN);
    CHECK(strcmp(d.text, "hello world\n\t\177\303\251") == 0);
    CHECK(d.raw.len == 6 && d.raw.data[2] == 0xff);
    d.class_ = 1;
    d.new_ = 2;
    d.camelcasename = 3;
    Conf__P2__TwoOneofs t = CONF__P2__TWO_ONEOFS__INIT;
    CHECK(t.first_case == CONF__P2__TWO_ONEOFS__FIRST__NOT_SET);
    t.first_case = CONF__P2__TWO_ONEOFS__FIRST_I;
    t.second_choice_case = CONF__P2__TWO_ONEOFS__SECOND_CHOICE_C;
    Conf__P2__Defaults__Nested__Inner inner = CONF__P2__DEFAULTS__NESTED__INNER__B;
    CHECK(inner == 2);

    /* proto3 maps and oneofs. */
    Conf__P3__WithMaps__CountsEntry e = CONF__P3__WITH_MAPS__COUNTS_ENTRY__INIT;
    CHECK(strcmp(e.key, "") == 0);
    Conf__P3__Choice c = CONF__P3__CHOICE__INIT;
    CHECK(c.pick_case == CONF__P3__CHOICE__PICK__NOT_SET);
    c.pick_case = CONF__P3__CHOICE__PICK_NAME;
    c.name = "n";
    uint8_t buf[64];
    CHECK(conf__p3__choice__pack(&c, buf) == 3);

    /* c_package renames C names; const_strings; gen_init_helpers = false. */
    Cpk__Renamed__Item item = CPK__RENAMED__ITEM__INIT;
    const char *name = item.name;
    CHECK(strcmp(name, "n") == 0);
    item.value_case = CPK__RENAMED__ITEM__VALUE_TEXT;
    item.text = "const is fine";
    CHECK(cpk__renamed__item__get_packed_size(&item) > 0);
    CHECK(cpk__renamed__item__descriptor.message_init == NULL);
    CHECK(strcmp(cpk__renamed__item__descriptor.package_name, "conf.opt.file") == 0);

    /* base_field_name, string_as_bytes, nested pack helpers. */
    Conf__Opt__Msg__Renamed r = CONF__OPT__MSG__RENAMED__INIT;
    CHECK(r.header.descriptor == &conf__opt__msg__renamed__descriptor);
    r.base = 4;
    CHECK(r.raw.len == 12 && memcmp(r.raw.data, "hello world\n", 12) == 0);
    ProtobufCBinaryData *raws = r.raws;
    CHECK(raws == NULL);
    Conf__Opt__Msg__Outer__Packable p = CONF__OPT__MSG__OUTER__PACKABLE__INIT;
    CHECK(conf__opt__msg__outer__packable__get_packed_size(&p) == 0);
    Conf__Opt__Deep__Top__Mid__Low low = CONF__OPT__DEEP__TOP__MID__LOW__INIT;
    CHECK(conf__opt__deep__top__mid__low__get_packed_size(&low) == 0);

    /* use_oneof_field_name: fields are found by their oneof's name. */
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(&conf__opt__oneof__shape__descriptor, "shape");
    CHECK(f != NULL && f->id == 1);

    /* CODE_SIZE: no names, lookups by number still work. */
    CHECK(conf__small__reading__descriptor.name == NULL);
    CHECK(protobuf_c_message_descriptor_get_field(&conf__small__reading__descriptor, 2) != NULL);

    /* protoc-c's generic service API. */
    Conf__Svc__DirLookup_Service svc = CONF__SVC__DIR_LOOKUP__INIT(my_);
    Conf__Svc__Req req = CONF__SVC__REQ__INIT;
    req.q = "x";
    int got = 0;
    conf__svc__dir_lookup__by_name(&svc.base, &req, got_res, &got);
    CHECK(by_name_calls == 1 && got == 1);
    CHECK(strcmp(conf__svc__dir_lookup__descriptor.methods[1].name, "ByNumber") == 0);
    const ProtobufCMethodDescriptor *m =
        protobuf_c_service_descriptor_get_method_by_name(&conf__svc__dir_lookup__descriptor, "Alpha");
    CHECK(m != NULL && m->output == &conf__svc__ns_thing__descriptor);

    puts(failures ? "api FAILED" : "api ok");
    return failures != 0;
}
