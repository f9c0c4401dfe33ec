#!/usr/bin/env bash
# Builds tests/consumers/demo from a scratch directory the way a downstream
# project would consume cproc, and runs the result.
#
# usage: consumer.sh MODE SRCROOT BUILDDIR
#   meson   cproc as a meson subproject: dependency('cproc') and
#           find_program('cproc-gen') (meson.override_dependency/_find_program)
#           (also protoc with the subproject's protoc-gen-cproc), built
#           with buildtype=debug and werror=true
#   installed  the cproc sources (SRCROOT) configured with a --prefix and
#           meson install'ed, then a plain Makefile with pkg-config (and a
#           messages-only program with libprotobuf-c alone), then CMake with
#           pkg_check_modules + add_custom_command: docs/codegen.md's
#           "Installed" recipe, word for word
#   protoc  protoc --plugin=protoc-gen-cproc --cproc_out=DIR, then cc
#
# CONSUMER_CFLAGS (e.g. -fsanitize=address,undefined) is added when
# compiling against BUILDDIR's libcproc (protoc mode), which may be
# sanitized; the other modes build their own, unsanitized, cproc.
set -euo pipefail
mode=$1 src=$(cd "$2" && pwd) build=$(cd "$3" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cproc-consumer-$mode.XXXXXX")
trap 'rm -rf "$work"' EXIT
demo=$src/tests/consumers/demo
extra=${CONSUMER_CFLAGS:-}

fail() { echo "consumer.sh $mode: $*" >&2; exit 1; }

# docs/codegen.md's "Installed" recipe: configure the cproc sources with a
# prefix, meson install, and point PATH, PKG_CONFIG_PATH and LD_LIBRARY_PATH
# at it. Sets prefix.
install_cproc() {
  prefix=$work/prefix
  meson setup "$work/cproc-build" "$src" --prefix="$prefix" --libdir=lib -Dtests=false \
    >"$work/cproc-setup.log" 2>&1 || { cat "$work/cproc-setup.log" >&2; fail "meson setup of cproc failed"; }
  # -Dtests=false: cmocka is not even looked up.
  ! grep -qi cmocka "$work/cproc-setup.log" || fail "-Dtests=false looked up cmocka"
  meson install -C "$work/cproc-build" --quiet >/dev/null || fail "meson install failed"
  export PATH=$prefix/bin:$PATH
  export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
  export LD_LIBRARY_PATH=$prefix/lib
  [ "$(command -v cproc-gen)" = "$prefix/bin/cproc-gen" ] || fail "meson install wrote no cproc-gen"
  local pc=$prefix/lib/pkgconfig/cproc.pc
  [ -f "$pc" ] || fail "meson install wrote no $pc"
  grep -q '^Requires:.*libprotobuf-c' "$pc" || fail "cproc.pc does not require libprotobuf-c"
  case " $(pkg-config --cflags cproc) " in *" -I$prefix/include "*) ;;
    *) fail "pkg-config --cflags cproc lacks -I$prefix/include" ;; esac
  local static
  static=$(pkg-config --static --libs cproc)
  for lib in -lcproc -lprotobuf-c -luv -lssl -lcrypto -pthread; do
    case " $static " in *" $lib "*) ;; *) fail "pkg-config --static --libs cproc lacks $lib: $static" ;; esac
  done
  case " $(pkg-config --libs cproc) " in *" -luv "*) fail "shared linking should not list -luv" ;; esac
}

# FILE (less its opening comment, its project() line, and anything from a
# "(docs/codegen.md shows" line on) must appear word for word in
# docs/codegen.md: the tests run what the docs show.
in_docs() {
  /usr/bin/python3 - "$1" "$src/docs/codegen.md" <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
while lines and (lines[0].startswith("#") or lines[0].startswith("project(") or not lines[0]):
    lines.pop(0)
for i, line in enumerate(lines):
    if line.startswith("# (docs/codegen.md shows"):
        lines = lines[:i]
        break
text = "\n".join(lines).strip() + "\n"
if text not in open(sys.argv[2]).read():
    sys.exit("%s is not what docs/codegen.md shows" % sys.argv[1])
EOF
}

copy_demo() {
  mkdir -p "$1"
  cp "$demo"/hello.proto "$demo"/app.c "$demo"/messages_only.c "$1"/
}

expect_ok() {
  local out
  out=$("$@") || fail "$* exited non-zero: $out"
  case "$out" in *" ok") ;; *) fail "$*: unexpected output: $out" ;; esac
  echo "$out"
}

case $mode in
meson)
  proj=$work/proj
  copy_demo "$proj"
  in_docs "$src/tests/consumers/meson/meson.build" || fail "docs differ"
  cp "$src/tests/consumers/meson/meson.build" "$proj/"
  # The plugin part needs what protoc-gen-cproc needs (libprotoc-dev).
  with_plugin=false
  [ -x "$build/codegen/protoc-gen-cproc" ] && with_plugin=true
  if $with_plugin; then
    in_docs "$src/tests/consumers/meson/plugin/meson.build" || fail "docs differ"
    mkdir -p "$proj/plugin"
    cp "$src/tests/consumers/meson/plugin/meson.build" "$demo/hello.proto" "$demo/messages_only.c" \
      "$proj/plugin/"
  else
    sed -i "/^subdir('plugin')/d" "$proj/meson.build"
  fi
  mkdir -p "$proj/subprojects/cproc"
  # The cproc sources as a fresh checkout has them (no build directories).
  if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$src" && git ls-files -co --exclude-standard -z | grep -zv '^build' |
       xargs -0 tar cf - 2>/dev/null) | tar xf - -C "$proj/subprojects/cproc"
  else
    tar cf - -C "$src" --exclude='./build*' --exclude=./.git . | tar xf - -C "$proj/subprojects/cproc"
  fi
  # meson's default build (debug, -O0), with every warning an error in the
  # subproject too: cproc must build cleanly the way a consumer builds it.
  meson setup "$work/b" "$proj" --force-fallback-for=cproc -Dbuildtype=debug -Dwerror=true \
    >"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; fail "meson setup failed"; }
  # A plain ninja: everything of the consumer's, and of cproc only what it
  # uses (no examples, tests or benchmarks).
  ninja -C "$work/b" -j2 >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "ninja failed"; }
  ! grep -qi cmocka "$work/setup.log" || fail "the subproject looked up cmocka"
  for t in examples bench tests; do
    [ ! -e "$work/b/subprojects/cproc/$t" ] || fail "the subproject built cproc's $t"
  done
  # The programs run with their own (unsanitized) libcproc from the
  # subproject, never the one a test harness may put on LD_LIBRARY_PATH.
  expect_ok env -u LD_LIBRARY_PATH "$work/b/app"
  if $with_plugin; then expect_ok env -u LD_LIBRARY_PATH "$work/b/plugin/messages_only"; fi
  ;;
installed)
  # The uninstalled .pc (meson-uninstalled/) names the public headers.
  uninstalled=$(PKG_CONFIG_PATH=$build/meson-uninstalled pkg-config --cflags cproc)
  case " $uninstalled " in *" -I$src/runtime/include "*) ;;
    *) fail "cproc-uninstalled.pc lacks -I$src/runtime/include: $uninstalled" ;; esac
  install_cproc
  # Make: a plain `make`, as docs/codegen.md shows.
  copy_demo "$work/make"
  in_docs "$src/tests/consumers/make/Makefile" || fail "docs differ"
  cp "$src/tests/consumers/make/Makefile" "$work/make/"
  make -s -C "$work/make" >"$work/make.log" 2>&1 || { cat "$work/make.log" >&2; fail "make failed"; }
  expect_ok "$work/make/app"
  # The messages-only program must not need libcproc at all.
  if ldd "$work/make/messages_only" | grep -q libcproc; then fail "messages_only links libcproc"; fi
  expect_ok "$work/make/messages_only"
  # CMake: pkg_check_modules' imported target links libcproc by its full
  # path, so CMake gives the program an rpath: it runs without
  # LD_LIBRARY_PATH.
  copy_demo "$work/cmake"
  in_docs "$src/tests/consumers/cmake/CMakeLists.txt" || fail "docs differ"
  cp "$src/tests/consumers/cmake/CMakeLists.txt" "$work/cmake/"
  cmake -S "$work/cmake" -B "$work/cmake/build" >"$work/cmake.log" 2>&1 \
    || { cat "$work/cmake.log" >&2; fail "cmake failed"; }
  cmake --build "$work/cmake/build" -j 2 >"$work/cmake.log" 2>&1 \
    || { cat "$work/cmake.log" >&2; fail "cmake --build failed"; }
  expect_ok env -u LD_LIBRARY_PATH "$work/cmake/build/app"
  ;;
protoc)
  plugin=$build/codegen/protoc-gen-cproc
  [ -x "$plugin" ] || fail "no $plugin"
  copy_demo "$work/proj"
  mkdir -p "$work/out"
  (cd "$work/proj" && protoc --plugin=protoc-gen-cproc="$plugin" --cproc_out="$work/out" hello.proto) \
    || fail "protoc --cproc_out failed"
  cc -std=c11 -Wall -Wextra -Werror $extra -I"$work/out" -I"$src/runtime/include" \
    -o "$work/app" "$work/proj/app.c" "$work/out/hello.pb-c.c" "$work/out/hello.pb-cproc.c" \
    -L"$build/runtime" -Wl,-rpath,"$build/runtime" -lcproc -lprotobuf-c || fail "cc failed"
  expect_ok "$work/app"
  ;;
*)
  fail "unknown mode (meson, make, cmake, protoc)"
  ;;
esac
