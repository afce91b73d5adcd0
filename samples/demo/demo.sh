#!/usr/bin/env bash
# The main job: pack Zccache.MSBuild, build the demo project twice (cold, then with obj/ deleted)
# and show the cached compiles and the session summary.
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
echo
echo "== cold build: every native compile is a miss"
dotnet build -p:ZccacheDemoVersion="$version" -v:n | grep -E "zccache: |Build succeeded| error "
echo
echo "== rm -rf obj bin; warm build: every native compile is a hit"
rm -rf obj bin
dotnet build -p:ZccacheDemoVersion="$version" -v:n | grep -E "zccache: |Build succeeded| error "
echo
echo "== the session's finalized statistics (ZccacheStatsFile)"
cat zccache-stats.json
echo
echo "(work folder: $work)"
