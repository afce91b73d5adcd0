#!/usr/bin/env bash
# A warm link hit against the bare link of the same library: `zccache g++ -shared -o libbench.so <objects>` (the
# NativeAOT launcher, answered by its resident server) against `g++ -shared …` alone, with hyperfine, for a small C
# library and a larger C++ one. The hit verifies every file the link read (objects, libstdc++, crt files) by its
# recorded stamp and delivers the library.
# Usage: bench/link.sh [runs]      (needs gcc, g++, hyperfine; ZCCACHE=<launcher> skips the NativeAOT publish)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-40}"
work="$(mktemp -d /tmp/zccache-bench-link.XXXXXX)"
trap 'rm -rf "$work"' EXIT

if [ -z "${ZCCACHE:-}" ]; then
  bench/publish-launcher.sh . "$work/bin"
  ZCCACHE="$work/bin/zccache"
fi

# small: 10 C objects; large: 200 C++ objects using the standard library (libstdc++ is linked).
mkdir -p "$work/small" "$work/large"
for i in $(seq 1 10); do
  printf 'int f%d(int x) { return x * %d + 1; }\n' "$i" "$i" > "$work/small/s$i.c"
  gcc -c -fPIC -O2 "$work/small/s$i.c" -o "$work/small/s$i.o"
done
for i in $(seq 1 200); do
  cat > "$work/large/l$i.cpp" <<SRC
#include <map>
#include <string>
#include <vector>
#include <sstream>
std::string l$i(const std::vector<std::string> &v) {
  std::map<std::string, int> m; for (auto &s : v) m[s] += $i;
  std::ostringstream o; for (auto &[k, n] : m) o << k << n; return o.str();
}
SRC
done
(cd "$work/large" && printf '%s\n' l*.cpp | xargs -P "$(nproc)" -I{} sh -c 'g++ -c -fPIC -O2 "$1" -o "${1%.cpp}.o"' _ {})
# Objects a minute old, as after a build: their stamps are trusted (a file written within 2 s is hashed).
find "$work" -name '*.o' -exec touch -d '1 minute ago' {} +

export ZCCACHE_CACHE_DIR="$work/cache"
unset ZCCACHE_SESSION_ID
"$ZCCACHE" gcc -shared -o "$work/small/libbench.so" "$work"/small/*.o   # fill the cache (a link miss)
"$ZCCACHE" g++ -shared -o "$work/large/libbench.so" "$work"/large/*.o

hyperfine -N -w 5 -r "$runs" --export-markdown "$work/small.md" \
  -n "zccache (link hit)" "$ZCCACHE gcc -shared -o $work/small/libbench.so $(echo "$work"/small/*.o)" \
  -n "gcc (bare link)" "gcc -shared -o $work/small/libbench.so $(echo "$work"/small/*.o)" >/dev/null
hyperfine -N -w 5 -r "$runs" --export-markdown "$work/large.md" \
  -n "zccache (link hit)" "$ZCCACHE g++ -shared -o $work/large/libbench.so $(echo "$work"/large/*.o)" \
  -n "g++ (bare link)" "g++ -shared -o $work/large/libbench.so $(echo "$work"/large/*.o)" >/dev/null
{
  echo "Shared library from 10 C objects:"; echo; cat "$work/small.md"; echo
  echo "Shared library from 200 C++ objects (libstdc++):"; echo; cat "$work/large.md"
} | tee "$work/results.md"
