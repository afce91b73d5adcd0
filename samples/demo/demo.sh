#!/usr/bin/env bash
# The main job: pack Zccache.MSBuild, build the demo project three times (cold, with obj/ deleted, and
# with nothing changed) and show the cached compiles and link and the session summary: ClCompile items
# linked into libdemo.so that the C# program calls, a ZccacheExec command, and (when cargo and
# Debian's crates are installed) a Rust static library built by cargo.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/zccache-demo.XXXXXX")"
version="0.1.0-demo.$(date +%Y%m%d%H%M%S)"
export ZCCACHE_CACHE_DIR="$work/cache" NUGET_PACKAGES="$work/packages" DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

echo "== packing Zccache.MSBuild $version"
dotnet pack "$repo/src/Zccache.MSBuild" -c Release -o "$work/feed" -p:Version="$version" -nologo -v:q

cp -r "$repo/samples/demo" "$work/demo"
cat > "$work/demo/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><add key="demo" value="$work/feed" /></packageSources></configuration>
CONFIG

cd "$work/demo"
rust=false
if command -v cargo >/dev/null && ls -d /usr/share/cargo/registry/itoa-* /usr/share/cargo/registry/memchr-* >/dev/null 2>&1; then
  rust=true
else
  echo "(cargo or Debian's librust-itoa-dev/librust-memchr-dev missing: the demo's Rust part is skipped)"
fi
echo
echo "== cold build: every native compile is a miss"
dotnet build -p:ZccacheDemoVersion="$version" -p:ZccacheDemoRust=$rust -v:n | grep -E "zccache: |Compiling |Build succeeded| error "
echo
echo "== rm -rf obj bin (the cargo target folder is in obj); warm build: every cacheable compile is a hit"
rm -rf obj bin
dotnet build -p:ZccacheDemoVersion="$version" -p:ZccacheDemoRust=$rust -v:n | grep -E "zccache: |Compiling |Build succeeded| error "
echo
echo "== no change: the objects are up to date (not looked up, not compiled, not hits); the link, whose objects were"
echo "   just written, is looked up once more (a hit that leaves the library untouched), as is the ZccacheExec compile"
dotnet build -p:ZccacheDemoVersion="$version" -p:ZccacheDemoRust=$rust | grep -E "zccache: |Build succeeded| error "
echo
echo "== the program calls the library it links, through P/Invoke"
dotnet run --no-build
echo
echo "== the session's finalized statistics (ZccacheStatsFile)"
cat zccache-stats.json
echo
echo "(work folder: $work)"
