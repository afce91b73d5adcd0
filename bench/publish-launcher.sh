#!/usr/bin/env bash
# Publishes the native launcher as the package ships it: `zccache` (the thin launcher, src/Zccache.Client) with
# `zccache-engine` (src/Zccache.Cli) beside it. A tree without the thin launcher (an older revision) gets the engine as `zccache`.
# Usage: bench/publish-launcher.sh <source-root> <output-dir>
set -euo pipefail
src="$1"; out="$2"
mkdir -p "$out"
# The engine's NativeAOT build is its net10.0 one where the project has several target frameworks.
framework=(); grep -q '<TargetFrameworks>' "$src/src/Zccache.Cli/Zccache.Cli.csproj" && framework=(-f net10.0)
if [ -d "$src/src/Zccache.Client" ]; then
  dotnet publish "$src/src/Zccache.Cli" "${framework[@]}" -c Release -p:ZccacheNativeLauncher=true -o "$out/engine" -nologo -v:q
  cp "$out/engine/zccache" "$out/zccache-engine"
  dotnet publish "$src/src/Zccache.Client" -c Release -p:ZccacheNativeLauncher=true -o "$out" -nologo -v:q
else
  dotnet publish "$src/src/Zccache.Cli" "${framework[@]}" -c Release -p:ZccacheNativeLauncher=true -o "$out" -nologo -v:q
fi
