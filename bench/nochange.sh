#!/usr/bin/env bash
# The package's own cost in a no-change `dotnet build` (issue 18): a small project with a few ClCompile items, built
# again with nothing changed, with the package, with the package and ZccacheEnabled=false, and without the package,
# with hyperfine; and the same sources in a library project that a console app references, the app built with and without
# the package in the library. With a baseline revision, that revision's package runs beside this one (before/after a change).
# Usage: bench/nochange.sh [rounds] [baseline-rev]      (needs gcc, hyperfine, python3; ~1 minute per round)
# ZC_NOCHANGE_MODE=reuse keeps MSBuild's worker nodes between builds (users' default), =server builds through the MSBuild
# server (DOTNET_CLI_USE_MSBUILD_SERVER=1); default: a new build process and no node reuse, as CI builds. In the two
# warm modes part of the work runs in processes hyperfine does not wait for: compare the wall times there, not the CPU.
# ZC_NOCHANGE_RESTORE=1 times plain `dotnet build`, the restore included, as a user types it (default: --no-restore).
# Each round runs every command 3 times, in a rotated order, so a slow stretch of a shared machine is spread over all.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
rounds="${1:-5}"
baseline="${2:-}"
work="$(mktemp -d /tmp/zccache-bench-nochange.XXXXXX)"
trap 'git -C "$repo" worktree remove --force "$work/baseline-src" 2>/dev/null || true; rm -rf "$work"' EXIT
stamp="$(date -u +%Y%m%d%H%M%S)"

dotnet pack src/Zccache.MSBuild -c Release -o "$work/feed" -p:Version="0.0.0-nochange.$stamp" -nologo -v:q >/dev/null
if [ -n "$baseline" ]; then
  git worktree add -q --detach "$work/baseline-src" "$baseline"
  dotnet pack "$work/baseline-src/src/Zccache.MSBuild" -c Release -o "$work/feed" -p:Version="0.0.0-nochange-baseline.$stamp" -nologo -v:q >/dev/null
fi

cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="bench" value="$work/feed" />
  </packageSources>
</configuration>
XML
# project <folder> [package version] [output type]: a console app (or a library) with five C sources
# (ZccacheBenchNoSources=true leaves them out).
project() {
  mkdir -p "$work/$1/native"
  for i in 1 2 3 4 5; do printf '#include <string.h>\nint f%d(const char *s) { return (int)strlen(s) * %d; }\n' "$i" "$i" > "$work/$1/native/s$i.c"; done
  echo 'static class P { static void Main() { } }' > "$work/$1/P.cs"
  cat > "$work/$1/$1.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>${3:-Exe}</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <NuGetAudit>false</NuGetAudit>
  </PropertyGroup>
  <ItemGroup Condition="'$2' != ''">
    <PackageReference Include="Zccache.MSBuild" Version="$2" PrivateAssets="all" />
  </ItemGroup>
  <ItemGroup>
    <ClCompile Condition="'\$(ZccacheBenchNoSources)' != 'true'" Include="native/*.c" />
  </ItemGroup>
</Project>
XML
}
# app <folder> <library>: a console app without native code that references the library project, as an app or its tests
# reference the project that builds their native library.
app() {
  mkdir -p "$work/$1"
  echo 'static class P { static void Main() { } }' > "$work/$1/P.cs"
  cat > "$work/$1/$1.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <NuGetAudit>false</NuGetAudit>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="../$2/$2.csproj" />
  </ItemGroup>
</Project>
XML
}
project nopkg ""
project pkg "0.0.0-nochange.$stamp"
[ -n "$baseline" ] && project baseline "0.0.0-nochange-baseline.$stamp"
project lib-nopkg "" Library
project lib-pkg "0.0.0-nochange.$stamp" Library
app app-nopkg lib-nopkg
app app-pkg lib-pkg

export NUGET_PACKAGES="$work/packages" ZCCACHE_CACHE_DIR="$work/cache" MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 \
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mode="${ZC_NOCHANGE_MODE:-cold}"
case "$mode" in
  cold) ;;
  reuse) export MSBUILDDISABLENODEREUSE=0 ;;
  server) export MSBUILDDISABLENODEREUSE=0 DOTNET_CLI_USE_MSBUILD_SERVER=1 ;;
  *) echo "ZC_NOCHANGE_MODE is cold, reuse or server, not '$mode'" >&2; exit 2 ;;
esac
# The warm modes leave nodes or a server behind: shut down with the bench (they hold the packages' files open).
trap 'if [ "$mode" != cold ]; then dotnet build-server shutdown --msbuild >/dev/null 2>&1 || true; fi
      git -C "$repo" worktree remove --force "$work/baseline-src" 2>/dev/null || true; rm -rf "$work"' EXIT
unset ZCCACHE_SESSION_ID ZCCACHE_DISABLE
cd "$work"
build="dotnet build --no-restore -p:UseSharedCompilation=false"
[ "${ZC_NOCHANGE_RESTORE:-0}" = 1 ] && build="dotnet build -p:UseSharedCompilation=false"
names=("no package" "package, ZccacheEnabled=false, no native sources" "package, no native sources" "package, 5 sources up to date")
cmds=("$build nopkg" "$build pkg -p:ZccacheEnabled=false -p:ZccacheBenchNoSources=true" "$build pkg -p:ZccacheBenchNoSources=true" "$build pkg")
bases=(0 0 0 0) # the row each one is compared with
if [ -n "$baseline" ]; then
  names+=("$baseline: package, no native sources" "$baseline: package, 5 sources up to date")
  cmds+=("$build baseline -p:ZccacheBenchNoSources=true" "$build baseline")
  bases+=(0 0)
fi
# The same five sources in a library that a console app references, the app built: MSBuild then makes its first call
# into another project for the reference, with or without the package, and the package's call into its session project
# is not the process's first (the project alone above pays MSBuild's first use of that machinery for it).
names+=("app -> library, no package" "app -> library with the package, 5 sources up to date")
cmds+=("$build app-nopkg" "$build app-pkg")
bases+=("${#bases[@]}" "${#bases[@]}")
# ZccacheEnabled=false compiles every ClCompile item again on every build (no up-to-date check without the cache): a
# no-change build with sources is no baseline, so the disabled row has none.
for p in nopkg pkg ${baseline:+baseline} app-nopkg app-pkg; do
  dotnet restore "$p" -v:q >/dev/null
  $build "$p" -v:q >/dev/null
done
for cmd in "${cmds[@]}"; do $cmd -v:q >/dev/null; done   # every shape built once before it is timed
# What is timed is a no-change build: nothing compiled, the five objects up to date.
for p in pkg app-pkg; do
  $build $p | grep -q "0 compilations, 0 hits, 0 misses, 0 non-cacheable, 5 up to date" || { echo "$p is not a no-change build" >&2; exit 1; }
done

n=${#cmds[@]}
for round in $(seq 1 "$rounds"); do
  args=()
  for k in $(seq 0 $((n - 1))); do
    i=$(( (k + round) % n ))
    args+=(-n "${names[$i]}" "${cmds[$i]}")
  done
  hyperfine -N -w 1 -r 3 --export-json "$work/round$round.json" "${args[@]}" >/dev/null
  echo "round $round of $rounds done" >&2
done

python3 - "$work" "$rounds" "$mode" "${bases[*]}" "${build% -p:*}" "${names[@]}" <<'PY'
import glob, json, statistics, sys
work, rounds, mode, build, names = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[5], sys.argv[6:]
base = {n: names[int(i)] for n, i in zip(names, sys.argv[4].split())}
wall = {n: [] for n in names}
cpu = {n: [] for n in names}      # per round: the mean CPU (user + sys) of its 3 runs
for f in sorted(glob.glob(work + "/round*.json")):
    for r in json.load(open(f))["results"]:
        wall[r["command"]] += r["times"]
        cpu[r["command"]].append(r["user"] + r["system"])
# Each round's own ratio to the same shape without the package: a slow stretch of the machine moves both alike.
share = {n: statistics.median(c / b for c, b in zip(cpu[n], cpu[base[n]])) - 1 for n in names}
print(f"No-change `{build}`, {rounds} rounds x 3 runs, interleaved, mode {mode}:\n")
wall_share = {n: statistics.median(wall[n]) / statistics.median(wall[base[n]]) - 1 for n in names}
print("| build | wall, median (s) | wall, min (s) | wall beyond no package | CPU user + sys, median (s) | CPU beyond no package (median of rounds) |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for n in names:
    print(f"| {n} | {statistics.median(wall[n]):.3f} | {min(wall[n]):.3f} | {wall_share[n] * 100:+.1f}% | {statistics.median(cpu[n]):.3f} "
          f"| {share[n] * 100:+.1f}% |")
PY
