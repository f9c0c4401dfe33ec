#!/usr/bin/env bash
# Builds tests/consumers/demo from a scratch directory the way a downstream
# project would consume cproc, and runs the result.
#
# usage: consumer.sh MODE SRCROOT BUILDDIR
#   meson   cproc as a meson subproject: dependency('cproc') and
#           find_program('cproc-gen') (meson.override_dependency/_find_program)
#   make    `meson install --destdir` of BUILDDIR, then a plain Makefile with
#           pkg-config --cflags --libs cproc (and a messages-only program
#           with libprotobuf-c alone)
#   cmake   the same install, from CMake: pkg_check_modules + add_custom_command
#   protoc  protoc --plugin=protoc-gen-cproc --cproc_out=DIR, then cc
#
# CONSUMER_CFLAGS (e.g. -fsanitize=address,undefined) is added when
# compiling against BUILDDIR's libcproc, which may be sanitized.
set -euo pipefail
mode=$1 src=$(cd "$2" && pwd) build=$(cd "$3" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cproc-consumer-$mode.XXXXXX")
trap 'rm -rf "$work"' EXIT
demo=$src/tests/consumers/demo
extra=${CONSUMER_CFLAGS:-}

fail() { echo "consumer.sh $mode: $*" >&2; exit 1; }

# Install BUILDDIR into $work/root; sets root, libdir, bindir, pcdir.
install_cproc() {
  meson install -C "$build" --no-rebuild --quiet --destdir "$work/root" >/dev/null
  local pc
  pc=$(find "$work/root" -name cproc.pc -path '*/pkgconfig/*' | head -1)
  [ -n "$pc" ] || fail "meson install wrote no cproc.pc"
  pcdir=$(dirname "$pc")
  libdir=$(dirname "$pcdir")
  bindir=$(dirname "$(find "$work/root" -name cproc-gen -type f | head -1)")
  [ -x "$bindir/cproc-gen" ] || fail "meson install wrote no cproc-gen"
  root=$work/root
  # A staged install: pkg-config rewrites the .pc's paths into the stage.
  export PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$root
  export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  grep -q '^Requires:.*libprotobuf-c' "$pc" || fail "cproc.pc does not require libprotobuf-c"
  local static
  static=$(pkg-config --static --libs cproc)
  for lib in -lcproc -lprotobuf-c -luv -lssl -lcrypto -pthread; do
    case " $static " in *" $lib "*) ;; *) fail "pkg-config --static --libs cproc lacks $lib: $static" ;; esac
  done
  case " $(pkg-config --libs cproc) " in *" -luv "*) fail "shared linking should not list -luv" ;; esac
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
  cp "$src/tests/consumers/meson/meson.build" "$proj/"
  mkdir -p "$proj/subprojects/cproc"
  # The cproc sources as a fresh checkout has them (no build directories).
  if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$src" && git ls-files -co --exclude-standard -z | grep -zv '^build' |
       xargs -0 tar cf - 2>/dev/null) | tar xf - -C "$proj/subprojects/cproc"
  else
    tar cf - -C "$src" --exclude='./build*' --exclude=./.git . | tar xf - -C "$proj/subprojects/cproc"
  fi
  meson setup "$work/b" "$proj" --force-fallback-for=cproc -Dbuildtype=plain >/dev/null \
    || fail "meson setup failed"
  ninja -C "$work/b" -j2 app >"$work/ninja.log" 2>&1 || { tail -30 "$work/ninja.log"; fail "ninja failed"; }
  # The app runs with its own (unsanitized) libcproc from the subproject,
  # never the one a test harness may put on LD_LIBRARY_PATH.
  expect_ok env -u LD_LIBRARY_PATH "$work/b/app"
  ;;
make)
  # The uninstalled .pc (meson-uninstalled/) names the public headers.
  uninstalled=$(PKG_CONFIG_PATH=$build/meson-uninstalled pkg-config --cflags cproc)
  case " $uninstalled " in *" -I$src/runtime/include "*) ;;
    *) fail "cproc-uninstalled.pc lacks -I$src/runtime/include: $uninstalled" ;; esac
  install_cproc
  copy_demo "$work/proj"
  cp "$src/tests/consumers/make/Makefile" "$work/proj/"
  make -s -C "$work/proj" CPROC_GEN="$bindir/cproc-gen" CFLAGS="$extra" LDFLAGS="$extra" \
    || fail "make failed"
  expect_ok "$work/proj/app"
  # The messages-only program must not need libcproc at all.
  if ldd "$work/proj/messages_only" | grep -q libcproc; then fail "messages_only links libcproc"; fi
  expect_ok "$work/proj/messages_only"
  ;;
cmake)
  # The uninstalled .pc (meson-uninstalled/) names the public headers.
  uninstalled=$(PKG_CONFIG_PATH=$build/meson-uninstalled pkg-config --cflags cproc)
  case " $uninstalled " in *" -I$src/runtime/include "*) ;;
    *) fail "cproc-uninstalled.pc lacks -I$src/runtime/include: $uninstalled" ;; esac
  install_cproc
  copy_demo "$work/proj"
  cp "$src/tests/consumers/cmake/CMakeLists.txt" "$work/proj/"
  # Under PKG_CONFIG_SYSROOT_DIR every package's paths get the stage
  # prefix, libprotobuf-c's /usr/include too; CMake's imported target
  # insists its include directories exist, so give it the empty ones (a
  # real install, without a sysroot, needs nothing of this).
  for d in $(pkg-config --cflags-only-I cproc | sed 's/-I//g'); do mkdir -p "$d"; done
  cmake -S "$work/proj" -B "$work/b" -DCMAKE_PROGRAM_PATH="$bindir" \
    -DCMAKE_C_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" >/dev/null || fail "cmake failed"
  cmake --build "$work/b" -j 2 >/dev/null || fail "cmake --build failed"
  expect_ok "$work/b/app"
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
