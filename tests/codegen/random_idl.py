"""Property test: cproc-gen never writes C that fails to compile.

usage: random_idl.py CPROC_GEN OUTDIR [--count N] [--seed S] CC [CFLAGS...]

Generates N (default 200) random .actor files from a fixed seed: proto2 and
proto3, packages or none, enums, nested messages and enums, every scalar
type, repeated, optional, maps, oneofs, proto2 defaults, imports of other
generated files (same package or another), and actors with `on`, `rpc`,
`route` and `option loop_turns`. Names are drawn from pools of tricky
ones: C and C23 keywords, macros of the included headers, the generator's
own suffixes (spawn, initialize, get + get_remote, ...), names that differ
only by case or underscores, reserved shapes (_x), runtime prefixes (cp_).

For each case cproc-gen must either succeed, and then every generated .c
must compile with CC and the given flags (-Wall -Wextra -Wpedantic -Werror
from meson) and declare no file-scope name, and no member of a message
struct or Handlers table, that `cproc-gen --print-names` (the table in
codegen/src/gen_names.c) does not list; or fail with status 1 and at least
one compiler-style `file:line:col: error:` diagnostic. Anything else (a
crash, a sanitizer report, C that does not compile) is a failure, printed
with the input.

Deterministic: the same seed gives the same files. Two compiler processes
run at once; the whole run stays around a minute on a loaded 2-core box.
"""
import concurrent.futures
import os
import random
import re
import shutil
import subprocess
import sys

SCALARS = ["int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
           "fixed64", "sfixed32", "sfixed64", "float", "double", "bool", "string",
           "bytes"]
MAP_KEYS = ["int32", "int64", "uint32", "string", "bool", "sint64", "fixed32"]

# C keywords (C11, C23, GNU), header macros, generator suffixes, case games.
TRICKY_LOWER = [
    "int", "default", "register", "auto", "char", "case", "void", "union", "struct",
    "typedef", "static", "extern", "const", "volatile", "restrict", "inline", "signed",
    "sizeof", "goto", "bool", "true", "false", "typeof", "constexpr", "nullptr", "alignas",
    "alignof", "static_assert", "thread_local", "typeof_unqual", "asm", "fortran", "errno",
    "linux", "unix", "i386", "assert", "offsetof", "isnan", "signbit", "base", "init",
    "spawn", "initialize", "finalize", "exited", "pid", "send", "reply", "free", "decode",
    "future", "descriptor", "pack", "unpack", "name", "value", "key", "self", "state",
    "from", "msg", "handlers", "ops", "malformed", "main", "x_", "foo", "foo_bar",
    "foobar", "fooBar", "n_foo", "has_foo", "foo_case", "a1", "get_remote", "remote",
    "on_ping", "send_ping", "route_a", "_x", "__y", "cp_x", "stdin", "NULL", "INIT",
    "data", "len", "n", "has", "_", "x__y", "_Bool", "_Generic",
]
TRICKY_TYPES = [
    "Foo", "FOO", "Foo_", "FooBar", "Foo_Bar", "Foobar", "FOOBAR", "foo_bar", "HTTPThing",
    "Http_Thing", "A1", "a1", "Int", "Default", "Bool", "True", "NULL", "INFINITY", "NAN",
    "EINVAL", "ProtobufCMessage", "CpThing", "cp_thing", "_Hidden", "Entry",
    "MapEntry", "Init", "Name", "Spawn", "Pid", "Handlers", "Future", "Case", "Ping",
    "Pong", "Get", "Remote", "GetRemote", "Send", "Reply", "Decode", "Descriptor",
    "Request", "Response", "Message", "Value", "Key", "State", "Self", "X", "Y", "Z",
    "Tap", "Sink", "Node", "Store", "Stats", "Empty", "Ping_", "PingPong", "Ping_pong",
    "Atomic", "Generic", "Complex", "Pragma", "BitInt", "Noreturn", "Alignas", "Decimal32",
    "B", "C",
]
TRICKY_RPCS = [
    "Get", "GetRemote", "Spawn", "Initialize", "Finalize", "Exited", "Pid", "Send",
    "SendPing", "OnPing", "Int", "Default", "Assert", "Isnan", "Errno", "Linux", "Put",
    "Remote", "MalformedCount", "Ops", "Self", "Destroy", "Serve", "Dispatch", "RpcGet",
    "Receive", "Route", "RouteA", "Init", "Free", "Get_", "GET", "get", "Do", "Static",
    "DropMalformed", "Future", "FutureValue", "Handlers", "State", "Call", "Answer",
]
ROUTES = ["/", "/a", "/a-b", "/a_b", "/A", "/a/b", "/stats", "/int", "/x.y", "/1",
          "/init", "/route", "/a--b", "/a/", "/%41", "/ab", "/a?b", "/a b", r"/\x01",
          r"/caf\xc3\xa9", r"/q\"uote", r"/back\\slash", "/*/", "/a*/b"]
PACKAGES = ["", "", "p", "kv", "a.b", "a", "Foo_bar", "int", "cp", "cp_x", "x1.y2", "_p",
            "pkg.sub", "P", "a_b"]
KEYWORD_NAMES = {"message", "enum", "option", "map", "optional", "repeated", "required",
                 "oneof", "reserved", "extensions", "extend", "group", "syntax",
                 "package", "import", "service", "actor", "rpc", "returns", "stream",
                 "on", "route", "to", "max", "public", "weak", "inf", "nan"} | set(SCALARS)


class Gen:
    def __init__(self, rnd):
        self.r = rnd

    def pick(self, pool):
        return self.r.choice(pool)

    def fresh(self, pool, used, fallback, tricky=0.12):
        """A name not in `used` (which it joins): from `pool` with
        probability `tricky`, else fallback + a number."""
        if self.r.random() < tricky:
            for _ in range(6):
                n = self.pick(pool)
                if n not in used and n not in KEYWORD_NAMES:
                    used.add(n)
                    return n
        n = "%s%d" % (fallback, self.r.randint(0, 99))
        while n in used:
            n += "x"
        used.add(n)
        return n


def gen_enum(g, name, indent, proto3, scope_names):
    lines = ["%senum %s {" % (indent, name)]
    n = g.r.randint(1, 4)
    base = re.sub(r"[^A-Za-z0-9_]", "", name).upper() or "E"
    values = []
    for i in range(n):
        if g.r.random() < 0.25:
            v = g.fresh(TRICKY_TYPES + [x.upper() for x in TRICKY_LOWER], scope_names, base + "_V")
        else:
            v = "%s_%d" % (base, i)
            if v in scope_names:
                v = "%s_%d_%d" % (base, i, len(scope_names))
            scope_names.add(v)
        values.append(v)
        num = i if (i == 0 or g.r.random() < 0.8) else -i
        lines.append("%s  %s = %d;" % (indent, v, num))
    lines.append("%s}" % indent)
    return lines, values


class FileGen:
    """One file: declares types, remembers their names for references."""

    def __init__(self, g, proto3, package):
        self.g = g
        self.proto3 = proto3
        self.package = package
        self.messages = []   # scoped names usable from the file: "A", "A.B"
        self.enums = []      # (scoped name, [values])
        self.scope_names = set()
        self.entries = []    # map entry types: never valid for on/rpc

    def field_type(self, extra_msgs, extra_enums):
        r = self.g.r.random()
        if r < 0.55 or not (self.messages or extra_msgs or self.enums or extra_enums):
            return "scalar", self.g.pick(SCALARS), None
        if r < 0.8 and (self.messages or extra_msgs):
            return "message", self.g.pick(self.messages + extra_msgs), None
        if self.enums or extra_enums:
            name, values = self.g.pick(self.enums + extra_enums)
            return "enum", name, values
        return "scalar", self.g.pick(SCALARS), None

    def default_for(self, kind, t, values):
        if kind == "enum":
            return values[0] if values else None
        if kind == "message":
            return None
        return {"bool": "true", "string": '"a\\"b\\n"', "bytes": '"\\000\\377"',
                "float": "-inf", "double": "1.5e3"}.get(t, "-7" if t[0] in "is" else "7")

    def message(self, name, indent, depth, extra_msgs, extra_enums, prefix):
        g = self.g
        lines = ["%smessage %s {" % (indent, name)]
        inner = indent + "  "
        scoped = prefix + name
        local = set()
        nested_names = set()
        if depth < 2 and g.r.random() < 0.35:
            en = g.fresh(TRICKY_TYPES, nested_names, "E")
            el, values = gen_enum(g, en, inner, self.proto3, local)
            lines += el
            self.enums.append((scoped + "." + en, values))
        if depth < 2 and g.r.random() < 0.4:
            nn = g.fresh(TRICKY_TYPES, nested_names, "N")
            lines += self.message(nn, inner, depth + 1, extra_msgs, extra_enums, scoped + ".")
        fields = local  # fields, oneofs and nested enum values share one scope
        num = 1
        for _ in range(g.r.randint(0, 6)):
            fname = g.fresh(TRICKY_LOWER, fields, "f")
            kind, t, values = self.field_type(extra_msgs, extra_enums)
            label = ""
            opts = ""
            roll = g.r.random()
            if self.proto3:
                label = "repeated " if roll < 0.2 else ("optional " if roll < 0.35 else "")
            else:
                label = ("repeated " if roll < 0.2 else
                         "required " if roll < 0.3 else "optional ")
                if label == "optional " and g.r.random() < 0.4:
                    d = self.default_for(kind, t, values)
                    if d is not None:
                        opts = " [default = %s]" % d
            lines.append("%s%s%s %s = %d%s;" % (inner, label, t, fname, num, opts))
            num += 1
        if g.r.random() < 0.3:
            fname = g.fresh(TRICKY_LOWER, fields, "m")
            vkind, vt, _ = self.field_type(extra_msgs, extra_enums)
            lines.append("%smap<%s, %s> %s = %d;" % (inner, g.pick(MAP_KEYS), vt, fname, num))
            camel = "".join(p[:1].upper() + p[1:] for p in fname.split("_"))
            self.entries.append("%s.%sEntry" % (scoped, camel))
            num += 1
        if g.r.random() < 0.35:
            oname = g.fresh(TRICKY_LOWER, fields, "o")
            lines.append("%soneof %s {" % (inner, oname))
            for _ in range(g.r.randint(1, 3)):
                fname = g.fresh(TRICKY_LOWER, fields, "c")
                kind, t, _ = self.field_type(extra_msgs, extra_enums)
                lines.append("%s  %s %s = %d;" % (inner, t, fname, num))
                num += 1
            lines.append("%s}" % inner)
        lines.append("%s}" % indent)
        self.messages.append(scoped)
        return lines

    def actor(self, name, msgs):
        g = self.g
        if self.entries and g.r.random() < 0.05:
            msgs = msgs + [g.pick(self.entries)]
        lines = ["actor %s {" % name]
        if g.r.random() < 0.3:
            lines.append("  option loop_turns = %s;" % g.pick(["true", "false"]))
        for m in g.r.sample(msgs, min(len(msgs), g.r.randint(0, 3))):
            lines.append("  on %s;" % m)
        rpcs = set()
        for _ in range(g.r.randint(0, 4)):
            rn = g.fresh(TRICKY_RPCS, rpcs, "Rpc")
            lines.append("  rpc %s(%s) returns (%s);" % (rn, g.pick(msgs), g.pick(msgs)))
        routes = set()
        for _ in range(g.r.randint(0, 3)):
            p = g.pick(ROUTES) if g.r.random() < 0.3 else "/r%d" % g.r.randint(0, 9)
            if p not in routes:
                routes.add(p)
                lines.append('  route "%s";' % p)
        lines.append("}")
        return lines


def gen_file(g, name, imports, imported):
    """imported: list of (package, FileGen) this file imports."""
    proto3 = g.r.random() < 0.5
    package = g.pick(PACKAGES)
    if imported and g.r.random() < 0.5:
        package = imported[0][0]  # same package as an import: cross-file clashes
    fg = FileGen(g, proto3, package)
    extra_msgs, extra_enums = [], []
    for pkg, other in imported:
        qual = ("." + pkg + ".") if pkg else "."
        extra_msgs += [qual + m for m in other.messages]
        extra_enums += [(qual + e, v) for e, v in other.enums
                        if other.proto3 == proto3 or not proto3]
    # A proto2 enum (first value may be non-zero) cannot be used in proto3.
    if proto3:
        extra_enums = [(e, v) for e, v in extra_enums]
    lines = ["// random_idl.py: %s" % name,
             'syntax = "%s";' % ("proto3" if proto3 else "proto2")]
    if package:
        lines.append("package %s;" % package)
    for imp in imports:
        lines.append('import %s"%s";' % ("public " if g.r.random() < 0.3 else "", imp))
    top = set()
    for pkg, other in imported:
        if pkg == package:
            top |= {m.split(".")[0] for m in other.messages}
            top |= {e.split(".")[0] for e, _ in other.enums}
            top |= other.scope_names
    if g.r.random() < 0.5:
        en = g.fresh(TRICKY_TYPES, top, "E")
        el, values = gen_enum(g, en, "", proto3, top)
        lines += el
        fg.enums.append((en, values))
    fg.scope_names = top
    for _ in range(g.r.randint(1, 4)):
        mn = g.fresh(TRICKY_TYPES, top, "M")
        lines += fg.message(mn, "", 0, extra_msgs, extra_enums, "")
    msgs = fg.messages + extra_msgs
    for _ in range(g.r.randint(0, 2)):
        an = g.fresh(TRICKY_TYPES, top, "A")
        lines += fg.actor(an, msgs)
    return fg, package, "\n".join(lines) + "\n"


def write_case(rnd, casedir, index):
    """Writes a case's files; returns their names, imports first."""
    g = Gen(rnd)
    os.makedirs(casedir, exist_ok=True)
    names, imported = [], []
    n_deps = rnd.choice([0, 0, 1, 1, 2])
    for d in range(n_deps):
        ext = rnd.choice([".proto", ".actor"])
        dname = "dep%d_%d%s" % (index, d, ext)
        fg, pkg, text = gen_file(g, dname, [n for n in names], imported)
        if ext == ".proto":
            # A .proto has services (rpcs only), not actors.
            text = re.sub(r"(?m)^actor ", "service ", text)
            text = re.sub(r"(?m)^  (on|route|option loop_turns) .*\n", "", text)
        with open(os.path.join(casedir, dname), "w") as f:
            f.write(text)
        names.append(dname)
        imported.append((pkg, fg))
    mname = "case%d.actor" % index
    _, _, text = gen_file(g, mname, names, imported)
    with open(os.path.join(casedir, mname), "w") as f:
        f.write(text)
    return names + [mname]


DIAG = re.compile(r"^[^:\n]+:\d+:\d+: error: ", re.M)
IDENT = re.compile(r"[A-Za-z_]\w*")


def declared_names(text):
    """The file-scope names a generated .h or .c declares: macros, typedef
    names, tags, enum constants, functions and objects. Generated code is
    regular enough for line patterns: bodies and continuation lines are
    indented, declarations start in column 0."""
    names = set()
    in_enum = False
    for line in text.splitlines():
        # Attributes are the compiler's words, not declared names.
        line = re.sub(r"__attribute__\(\(\w+\)\) ", "", line)
        if in_enum:
            m = re.match(r"\}\s*(\w+);", line)
            if m:
                names.add(m.group(1))
                in_enum = False
                continue
            m = re.match(r"\s+(\w+)\s*(=|,|$)", line)
            if m:
                names.add(m.group(1))
            continue
        m = re.match(r"#define (\w+)", line)
        if m:
            names.add(m.group(1))
            continue
        m = re.match(r"typedef (struct|enum) (\w+)? ?\{", line)
        if m:
            if m.group(2):
                names.add(m.group(2))
            in_enum = m.group(1) == "enum"
            continue
        m = re.match(r"typedef struct (\w+) (\w+);", line)
        if m:
            names.update(m.groups())
            continue
        m = re.match(r"\}\s*(\w+);", line)
        if m:
            names.add(m.group(1))
            continue
        m = re.match(r"struct (\w+) \{", line)
        if m:
            names.add(m.group(1))
            continue
        if not line or line[0] in " \t#/*{}" or line.startswith("typedef"):
            continue
        m = re.search(r"\((\w+)\)\(", line)  # int (name)(...): a guarded function
        if m:
            names.add(m.group(1))
            continue
        head = re.split(r"[(\[=;]", line, 1)[0]
        idents = IDENT.findall(head)
        if idents:
            names.add(idents[-1])
    return names


def struct_members(text):
    """{struct name: member names} for the structs a generated header
    defines (`struct X {` or `typedef struct X {`), anonymous unions
    included."""
    members = {}
    cur = None
    for line in text.splitlines():
        m = re.match(r"(?:typedef )?struct (\w+) \{", line)
        if m:
            cur = members.setdefault(m.group(1), set())
            continue
        if cur is None:
            continue
        if re.match(r"\}", line):
            cur = None
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith(("/*", "*", "union", "}")):
            continue
        m = re.search(r"\(\*(\w+)\)\(", line)
        if m:
            cur.add(m.group(1))
            continue
        m = re.search(r"(\w+)(\[\d*\])?;\s*(/\*.*)?$", line)
        if m and line.startswith("    "):
            cur.add(m.group(1))
    return members


def unlisted_names(printed, outdir, name, base):
    """Names the generated files of `name` declare that --print-names (the
    table in gen_names.c; its output is `printed`) does not list."""
    listed = {line.split()[-1] for line in printed.splitlines()}
    listed_members = {}
    for line in printed.splitlines():
        parts = line.split()
        if parts[0] == "member":
            listed_members.setdefault(parts[1], set()).add(parts[2])
    suffix = ".actor" if name.endswith(".actor") else ".pb-cproc"
    guard = "CPGEN_" + re.sub(r"[^A-Za-z0-9]", "_", base + suffix + ".h").upper()
    declared = set()
    unlisted = []
    for ext in (".h", ".c"):
        with open(os.path.join(outdir, base + suffix + ext)) as f:
            text = f.read()
        declared |= declared_names(text)
        # Members of the structs the table knows (messages, Handlers).
        for struct, have in struct_members(text).items():
            if struct in listed_members:
                unlisted += ["%s.%s" % (struct, n) for n in sorted(have - listed_members[struct])]
    # PROTOBUF_C__BEGIN_DECLS and friends are protobuf-c's macros, used
    # (not declared) in column 0.
    return unlisted + sorted(n for n in declared - listed - {guard, "CPGEN_ARG", "CPGEN_OUT", "CPGEN_IS"}
                             if not n.startswith("PROTOBUF_C__"))


def run_case(gen, cc, outroot, seed, index):
    rnd = random.Random("%d/%d" % (seed, index))
    casedir = os.path.join(outroot, "case%03d" % index)
    shutil.rmtree(casedir, ignore_errors=True)
    files = write_case(rnd, casedir, index)
    outdir = os.path.join(casedir, "out")
    os.makedirs(outdir)
    sources = []
    for name in files:
        p = subprocess.run([gen, "--print-names", "-I", casedir, "-o", outdir,
                            os.path.join(casedir, name)], capture_output=True, text=True)
        if p.returncode == 1 and DIAG.search(p.stderr) and "Sanitizer" not in p.stderr:
            return index, "refused", None
        if p.returncode != 0 or p.stderr:
            return index, "bad", "cproc-gen on %s: status %d\n%s" % (name, p.returncode,
                                                                      p.stderr)
        base = name.rsplit(".", 1)[0]
        missing = unlisted_names(p.stdout, outdir, name, base)
        if missing:
            return index, "bad", ("%s: generated names without a row in gen_names.c: %s"
                                  % (name, ", ".join(missing)))
        sources.append(os.path.join(outdir, base + (".actor.c" if name.endswith(".actor")
                                                     else ".pb-cproc.c")))
    p = subprocess.run(cc + ["-fsyntax-only", "-I", outdir] + sources,
                       capture_output=True, text=True)
    if p.returncode != 0:
        return index, "bad", "generated C does not compile:\n" + p.stderr[:6000]
    return index, "compiled", None


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        sys.exit(__doc__)
    gen, outroot = args[0], args[1]
    args = args[2:]
    count, seed = 200, 20261126
    while args and args[0].startswith("--"):
        if args[0] == "--count":
            count = int(args[1])
        elif args[0] == "--seed":
            seed = int(args[1])
        else:
            sys.exit("unknown option " + args[0])
        args = args[2:]
    cc = args
    os.makedirs(outroot, exist_ok=True)
    results = {"compiled": 0, "refused": 0, "bad": 0}
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(run_case, gen, cc, outroot, seed, i) for i in range(count)]
        for job in jobs:
            index, verdict, detail = job.result()
            results[verdict] += 1
            if detail:
                failures.append((index, detail))
    for index, detail in failures[:10]:
        casedir = os.path.join(outroot, "case%03d" % index)
        print("=== case %d (%s) ===" % (index, casedir))
        for name in sorted(os.listdir(casedir)):
            path = os.path.join(casedir, name)
            if os.path.isfile(path):
                print("--- %s" % name)
                print(open(path).read())
        print(detail)
    print("seed %d: %d cases, %d compiled, %d refused with a diagnostic, %d failures"
          % (seed, count, results["compiled"], results["refused"], results["bad"]))
    if failures:
        sys.exit(1)
    # The test means something only if most inputs get through.
    if results["compiled"] < count // 3:
        sys.exit("too few inputs were accepted: the generator of inputs needs fixing")


if __name__ == "__main__":
    main()
