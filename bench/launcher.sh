#!/usr/bin/env bash
# The launcher's cost per hit against ccache's: the same warm compile through `zccache` (the
# NativeAOT build shipped in the package), through ccache, and gcc alone, with hyperfine.
# With a baseline revision, that revision's launcher runs beside this one (before/after a change).
# Usage: bench/launcher.sh [runs] [baseline-rev]      (needs gcc, g++, ccache, hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-60}"
baseline="${2:-}"
work="$(mktemp -d /tmp/zccache-bench-launcher.XXXXXX)"
repo="$(pwd)"
trap 'for d in "$work"/zccache*/; do ZCCACHE_CACHE_DIR="$d" "$work/bin/zccache" server-stop >/dev/null 2>&1 || true; done
      git -C "$repo" worktree remove --force "$work/baseline-src" 2>/dev/null || true; rm -rf "$work"' EXIT

bench/publish-launcher.sh . "$work/bin"
zccache="$work/bin/zccache"
if [ -n "$baseline" ]; then
  git worktree add -q --detach "$work/baseline-src" "$baseline"
  bench/publish-launcher.sh "$work/baseline-src" "$work/baseline-bin"
  before="$work/baseline-bin/zccache"
fi

mkdir -p "$work/src"
cat > "$work/src/small.c" <<'SRC'
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
int small(const char *s) { char buf[64]; snprintf(buf, sizeof buf, "%s", s); return (int)strlen(buf) + abs(-1); }
SRC
cat > "$work/src/stl.cpp" <<'SRC'
#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>
std::string stl(const std::vector<std::string> &v) {
  std::map<std::string, int> m; for (auto &s : v) m[s]++;
  std::ostringstream o; for (auto &[k, n] : m) o << k << n; return o.str();
}
SRC

unset ZCCACHE_SESSION_ID
cd "$work/src"
# Each launcher gets a cache of its own (a format change between revisions would otherwise be a miss),
# through env(1); every row, the bare compiler's too, starts through env, so each pays the same exec.
zc="env ZCCACHE_CACHE_DIR=$work/zccache $zccache"
zc_before="${before:+env ZCCACHE_CACHE_DIR=$work/zccache-baseline $before}"
cc="env CCACHE_DIR=$work/ccache ccache"
for cmd in "$zc" "$cc" ${zc_before:+"$zc_before"}; do $cmd gcc -c small.c -o small.o; $cmd g++ -c stl.cpp -o stl.o; done   # fill the caches
$zc server-start >/dev/null   # the resident server serves the hits (started by the first call anyway; this waits until it answers)
zc_inproc="env ZCCACHE_SERVER=0 ZCCACHE_CACHE_DIR=$work/zccache $zccache"

out="$work/results.md"
for case in "gcc small.c small.o c" "g++ stl.cpp stl.o cpp"; do
  set -- $case
  rows=(-n "zccache (hit, served by the server)" "$zc $1 -c $2 -o $3" -n "zccache (hit, in the launcher: ZCCACHE_SERVER=0)" "$zc_inproc $1 -c $2 -o $3")
  [ -n "$zc_before" ] && rows+=(-n "zccache $baseline (hit)" "$zc_before $1 -c $2 -o $3")
  hyperfine -N -w 5 -r "$runs" --export-markdown "$work/$4.md" --export-json "$work/$4.json" "${rows[@]}" \
    -n "ccache (hit)" "$cc $1 -c $2 -o $3" \
    -n "$1 (no cache)" "env $1 -c $2 -o $3" >/dev/null
done
hyperfine -N -w 5 -r "$runs" --export-markdown "$work/start.md" \
  -n "zccache, no compiler (start-up and usage message)" "$zccache" -i >/dev/null
# CPU time (user + system) moves far less than wall time on a busy machine: shown beside it.
cpu() { python3 -c 'import json,sys
print("| command | CPU time (user + sys), mean |\n|:---|---:|")
for r in json.load(open(sys.argv[1]))["results"]: print("| %s | %.2f ms |" % (r["command"], (r["user"] + r["system"]) * 1000))' "$1"; }
{
  echo "C source with 3 system headers:"; echo; cat "$work/c.md"; echo; cpu "$work/c.json"; echo
  echo "C++ source with 5 standard headers:"; echo; cat "$work/cpp.md"; echo; cpu "$work/cpp.json"; echo
  echo "Process start-up alone:"; echo; cat "$work/start.md"
} | tee "$out"
