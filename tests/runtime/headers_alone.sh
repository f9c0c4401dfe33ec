#!/bin/sh
# Every public header compiles on its own, first in a file, with strict
# C11 flags: a user includes only the header the docs name.
#   headers_alone.sh CC INCLUDE_DIR
set -eu
cc=$1
inc=$2
status=0
for h in "$inc"/cproc/*.h; do
  name=cproc/$(basename "$h")
  if ! printf '#include "%s"\nint cproc_header_alone_check;\n' "$name" |
      "$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I "$inc" -x c - ; then
    echo "$name does not compile on its own" >&2
    status=1
  fi
done
exit $status
