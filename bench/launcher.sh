#!/usr/bin/env bash
# The launcher's cost per hit against ccache's: the same warm compile through `zccache` (the
# NativeAOT build shipped in the package), through ccache, and gcc alone, with hyperfine.
# Usage: bench/launcher.sh [runs]      (needs gcc, g++, ccache, hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-60}"
work="$(mktemp -d /tmp/zccache-bench-launcher.XXXXXX)"
trap 'rm -rf "$work"' EXIT

dotnet publish src/Zccache.Cli -c Release -p:ZccacheNativeLauncher=true -o "$work/bin" -nologo -v:q >/dev/null
zccache="$work/bin/zccache"

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

export ZCCACHE_CACHE_DIR="$work/zccache" CCACHE_DIR="$work/ccache"
unset ZCCACHE_SESSION_ID
cd "$work/src"
for cmd in "$zccache gcc" "ccache gcc"; do $cmd -c small.c -o small.o; done   # fill both caches
for cmd in "$zccache g++" "ccache g++"; do $cmd -c stl.cpp -o stl.o; done

out="$work/results.md"
hyperfine -N -w 5 -r "$runs" --export-markdown "$work/c.md" \
  -n "zccache (hit)" "$zccache gcc -c small.c -o small.o" \
  -n "ccache (hit)" "ccache gcc -c small.c -o small.o" \
  -n "gcc (no cache)" "gcc -c small.c -o small.o" >/dev/null
hyperfine -N -w 5 -r "$runs" --export-markdown "$work/cpp.md" \
  -n "zccache (hit)" "$zccache g++ -c stl.cpp -o stl.o" \
  -n "ccache (hit)" "ccache g++ -c stl.cpp -o stl.o" \
  -n "g++ (no cache)" "g++ -c stl.cpp -o stl.o" >/dev/null
hyperfine -N -w 5 -r "$runs" --export-markdown "$work/start.md" \
  -n "zccache, no compiler (start-up and usage message)" "$zccache" -i >/dev/null
{
  echo "C source with 3 system headers:"; echo; cat "$work/c.md"; echo
  echo "C++ source with 5 standard headers:"; echo; cat "$work/cpp.md"; echo
  echo "Process start-up alone:"; echo; cat "$work/start.md"
} | tee "$out"
