#!/usr/bin/env bash
# The cost of the prefix path per miss: a cold build of N generated C sources, one compiler process per source,
# J at once, four ways:
#   gcc               the bare compiler
#   distcc            `distcc gcc` against a distccd the script starts on 127.0.0.1 (no cache)
#   zccache           the zccache launcher (NativeAOT, as shipped), an empty cache: every compile a miss
#   zccache + distcc  the same with ZCCACHE_PREFIX_COMMAND=distcc: every miss compiled on the distccd
# and reports wall time and this side's CPU time (the compilers, distcc's preprocessing; not distccd's compiles)
# per source, and each way's ratio to the bare compiler's. One machine cannot show a
# speed-up (distccd competes with the client for the same cores): what is measured is the overhead; see
# bench/README.md for what a cluster gives.
# Usage: bench/distcc.sh [sources] [jobs]    (default 60 sources, 2 at once; the issue's figure: 300)
#        (needs gcc, distcc, distccd; ZCCACHE=<launcher> skips the NativeAOT publish)
set -euo pipefail
cd "$(dirname "$0")/.."
sources="${1:-60}"
jobs="${2:-2}"
work="$(mktemp -d /tmp/zccache-bench-distcc.XXXXXX)"
chmod 755 "$work"   # distccd, started as root, runs as its own user and writes its log here
distccd_pid=
trap '[ -n "$distccd_pid" ] && kill -TERM "$distccd_pid" 2>/dev/null; rm -rf "$work"' EXIT

if [ -z "${ZCCACHE:-}" ]; then
  bench/publish-launcher.sh . "$work/bin"
  ZCCACHE="$work/bin/zccache"
fi

# Each source includes three system headers (preprocessing is done here, as distcc does) and a little code.
mkdir -p "$work/src"
for i in $(seq 1 "$sources"); do
  cat > "$work/src/s$i.c" <<SRC
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct item$i { char name[32]; int weight; };
static int cmp$i(const void *a, const void *b) { return ((const struct item$i *)a)->weight - ((const struct item$i *)b)->weight; }
int sort$i(struct item$i *items, int n, char *out, size_t size) {
  qsort(items, (size_t)n, sizeof *items, cmp$i);
  size_t used = 0;
  for (int k = 0; k < n && used < size; k++) used += (size_t)snprintf(out + used, size - used, "%s=%d;", items[k].name, items[k].weight * $i);
  return (int)strlen(out);
}
SRC
done

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
: > "$work/distccd.log"; chmod 666 "$work/distccd.log"
distccd --daemon --no-detach --allow 127.0.0.1 --listen 127.0.0.1 --port "$port" --jobs "$jobs" \
  --log-file "$work/distccd.log" --log-level info &
distccd_pid=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
# Only that distccd, and no silent local compile.
export DISTCC_HOSTS="127.0.0.1:$port/$jobs" DISTCC_FALLBACK=0 DISTCC_SKIP_LOCAL_RETRY=1
unset ZCCACHE_SESSION_ID DISTCC_VERBOSE

# One way: every source compiled to its own object, `jobs` at once; prints "wall cpu" in seconds.
run() {
  local name="$1"; shift
  rm -rf "$work/obj" "$work/cache"; mkdir -p "$work/obj"
  TIMEFORMAT='%R %U %S'
  { time (cd "$work/src" && ls *.c | xargs -P "$jobs" -I{} env ZCCACHE_CACHE_DIR="$work/cache" "$@" -O2 -c {} -o "$work/obj/{}.o") ; } 2> "$work/time"
  read -r wall user sys < "$work/time"
  [ "$(ls "$work/obj" | wc -l)" -eq "$sources" ] || { echo "$name: not every object was made" >&2; exit 1; }
  echo "$name $wall $(python3 -c "print($user + $sys)")"
}

before=$(grep -c 'compile from' "$work/distccd.log" || true)
{
  run gcc gcc
  run distcc distcc gcc
  run zccache "$ZCCACHE" gcc
  run "zccache+distcc" env ZCCACHE_PREFIX_COMMAND=distcc "$ZCCACHE" gcc
} > "$work/results"
ran=$(( $(grep -c 'compile from' "$work/distccd.log") - before ))
[ "$ran" -eq $((2 * sources)) ] || { echo "distccd compiled $ran sources, not $((2 * sources))" >&2; exit 1; }

python3 - "$work/results" "$sources" "$jobs" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
n, jobs = int(sys.argv[2]), sys.argv[3]
base = {r[0]: (float(r[1]), float(r[2])) for r in rows}
bw, bc = base["gcc"]
print(f"{n} C sources, cold, {jobs} at once (every distcc compile ran on the distccd: its log)\n")
print("| way | wall | wall per source | ratio to gcc | CPU here (user + sys, without distccd's) per source | ratio to gcc |")
print("|:---|---:|---:|---:|---:|---:|")
for name, wall, cpu in rows:
    w, c = float(wall), float(cpu)
    print(f"| {name} | {w:.1f} s | {w / n * 1000:.0f} ms | {w / bw:.2f} | {c / n * 1000:.0f} ms | {c / bc:.2f} |")
per = lambda a, b: (base[a][0] - base[b][0]) / n * 1000
print(f"\nPer miss, wall: the cache on the prefix path adds {per('zccache+distcc', 'distcc'):.0f} ms to distcc's "
      f"(ratio {base['zccache+distcc'][0] / base['distcc'][0]:.2f}); the prefix adds {per('zccache+distcc', 'zccache'):.0f} ms to a local miss "
      f"and distcc {per('distcc', 'gcc'):.0f} ms to gcc.")
PY
