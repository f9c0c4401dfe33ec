#!/usr/bin/env python3
"""protoc-c conformance: cproc-gen --protoc-c against protoc-c 1.4.1.

usage: conformance.py CPROC_GEN PLUGIN|- CORPUS_DIR WORK_DIR CC [CFLAGS...]

For every .proto in CORPUS_DIR and every Debian google/protobuf/*.proto:
  - protoc --c_out (protoc-c) and cproc-gen --protoc-c write the same set
    of files (none for no_generate);
  - the global symbols of each compiled .c are the same, with the same nm
    type, except for the documented extras in ALLOWED_EXTRA;
  - conformance/walk.c, linked once with each output, prints every field of
    every message, enum and service descriptor (and each message's INIT
    state): the two printouts must be equal;
  - conformance/api_use.c, a program written against protoc-c's generated
    API for the corpus, builds and passes with each output;
  - with PLUGIN, protoc --cproc_out=protoc-c:DIR writes the same files as
    cproc-gen (banner line and comments aside).
CFLAGS are the strict flags cproc-gen's output must compile with.
"""
import difflib
import filecmp
import glob
import os
import re
import shutil
import subprocess
import sys

# Global symbols cproc-gen may define that protoc-c does not (docs/codegen.md,
# "protoc-c compatibility"). None today.
ALLOWED_EXTRA = []

# Inputs not run through the plugin (none today).
PLUGIN_SKIP = set()

HERE = os.path.dirname(os.path.abspath(__file__))
DESCRIPTOR_RE = re.compile(r"extern\s+const\s+(ProtobufC(?:Message|Enum|Service)Descriptor)\s+(\w+)\s*;")


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("FAIL: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return r.stdout


def inputs(corpus):
    """(include dir, name under it) of every input."""
    items = [(corpus, os.path.basename(p)) for p in sorted(glob.glob(os.path.join(corpus, "*.proto")))]
    items += [("/usr/include", os.path.relpath(p, "/usr/include"))
              for p in sorted(glob.glob("/usr/include/google/protobuf/*.proto"))]
    return items


def uncommented(text):
    """The C text without its first (banner) line and without comments
    (the plugin keeps leading comments only)."""
    return re.sub(r"[ \t]*/\*.*?\*/\n?", "", text.split("\n", 1)[1], flags=re.S)


def tree(root):
    out = set()
    for d, _, files in os.walk(root):
        for f in files:
            out.add(os.path.relpath(os.path.join(d, f), root))
    return out


def symbols(obj):
    text = run(["nm", "-g", "--defined-only", "--format=posix", obj])
    return {tuple(line.split()[:2]) for line in text.splitlines() if line.strip()}


def compile_all(root, cc, flags, objdir):
    os.makedirs(objdir, exist_ok=True)
    objs = {}
    for rel in sorted(tree(root)):
        if not rel.endswith(".c"):
            continue
        obj = os.path.join(objdir, rel.replace("/", "_") + ".o")
        run(cc + flags + ["-I", root, "-c", os.path.join(root, rel), "-o", obj])
        objs[rel] = obj
    return objs


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    gen, plugin, corpus, work = sys.argv[1:5]
    cc = sys.argv[5:6]
    strict = sys.argv[6:]
    corpus = os.path.abspath(corpus)
    shutil.rmtree(work, ignore_errors=True)
    a, b, c = (os.path.join(work, x) for x in ("protoc-c", "cproc-gen", "plugin"))
    for d in (a, b, c):
        os.makedirs(d)
    failures = []

    for inc, name in inputs(corpus):
        run(["protoc", "-I", corpus, "-I", "/usr/include", "--c_out=" + a, os.path.join(inc, name)])
        run([gen, "--protoc-c", "--werror", "-I", corpus, "-I", "/usr/include", "-o", b,
             os.path.join(inc, name)])
        if plugin != "-" and name not in PLUGIN_SKIP:
            run(["protoc", "-I", corpus, "-I", "/usr/include", "--plugin=protoc-gen-cproc=" + plugin,
                 "--cproc_out=protoc-c:" + c, os.path.join(inc, name)])

    if tree(a) != tree(b):
        failures.append("different files: protoc-c only %s, cproc-gen only %s"
                        % (sorted(tree(a) - tree(b)), sorted(tree(b) - tree(a))))
    if plugin != "-":
        for rel in sorted(tree(b)):
            if rel.split(".")[0] + ".proto" in PLUGIN_SKIP:
                continue
            with open(os.path.join(b, rel)) as x, open(os.path.join(c, rel)) as y:
                # The plugin sees no source comments: compare without them.
                if uncommented(x.read()) != uncommented(y.read()):
                    failures.append("plugin output differs from cproc-gen's: " + rel)
        if {r for r in tree(b) if r.split(".")[0] + ".proto" not in PLUGIN_SKIP} != tree(c):
            failures.append("plugin wrote other files than cproc-gen")

    objs_a = compile_all(a, cc, ["-std=gnu11", "-w"], os.path.join(work, "obj-a"))
    objs_b = compile_all(b, cc, strict, os.path.join(work, "obj-b"))

    for rel in sorted(set(objs_a) & set(objs_b)):
        sa, sb = symbols(objs_a[rel]), symbols(objs_b[rel])
        missing = sa - sb
        extra = {s for s in sb - sa if not any(re.fullmatch(p, s[0]) for p in ALLOWED_EXTRA)}
        if missing:
            failures.append("%s: protoc-c symbols missing or of another kind: %s" % (rel, sorted(missing)))
        if extra:
            failures.append("%s: undocumented extra symbols: %s" % (rel, sorted(extra)))

    # Every descriptor protoc-c's headers declare, walked in both builds.
    decls = []
    for rel in sorted(tree(a)):
        if rel.endswith(".h"):
            with open(os.path.join(a, rel)) as f:
                decls += DESCRIPTOR_RE.findall(f.read())
    list_c = os.path.join(work, "list.c")
    with open(list_c, "w") as f:
        f.write("#include <protobuf-c/protobuf-c.h>\n")
        for t, n in decls:
            f.write("extern const %s %s;\n" % (t, n))
        f.write("const void *const walk_list[] = {\n%s    NULL\n};\n"
                % "".join("    &%s,\n" % n for _, n in decls))
        f.write("const char *const walk_names[] = {\n%s    NULL\n};\n"
                % "".join('    "%s",\n' % n for _, n in decls))
    dumps = []
    for tag, objs in (("a", objs_a), ("b", objs_b)):
        exe = os.path.join(work, "walk-" + tag)
        run(cc + ["-std=gnu11", "-o", exe, os.path.join(HERE, "conformance", "walk.c"), list_c]
            + sorted(objs.values()) + ["-lprotobuf-c"])
        dumps.append(run([exe]))
    if dumps[0] != dumps[1]:
        diff = list(difflib.unified_diff(dumps[0].splitlines(), dumps[1].splitlines(),
                                         "protoc-c", "cproc-gen", lineterm="", n=2))
        failures.append("descriptors differ:\n" + "\n".join(diff[:200]))

    # The same user program, written for protoc-c's API, against both (for
    # the committed corpus; another corpus gets the comparisons above only).
    api_roots = (("a", a, objs_a), ("b", b, objs_b))
    if not os.path.exists(os.path.join(a, "p2_all.pb-c.h")):
        api_roots = ()
    for tag, root, objs in api_roots:
        exe = os.path.join(work, "api-" + tag)
        run(cc + ["-std=gnu11", "-w", "-I", root, "-o", exe,
                  os.path.join(HERE, "conformance", "api_use.c")]
            + sorted(objs.values()) + ["-lprotobuf-c"])
        out = subprocess.run([exe], capture_output=True, text=True)
        if out.returncode != 0:
            failures.append("api_use.c against %s: %s" % (root, out.stdout.strip()))

    print("%d inputs, %d descriptors walked, %d lines compared"
          % (len(inputs(corpus)), len(decls), len(dumps[0].splitlines())))
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
