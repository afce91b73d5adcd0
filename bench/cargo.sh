#!/usr/bin/env bash
# A warm `cargo build` after `cargo clean`: bare, through zccache (RUSTC_WRAPPER, the NativeAOT
# launcher from the package), and through sccache (Debian's), in one run with hyperfine.
# The workspace: 24 generated library crates (a chain of dependencies, ~300 lines each) plus
# Debian's itoa, cfg-if and memchr, built offline from /usr/share/cargo/registry.
# Usage: bench/cargo.sh [runs]      (needs cargo, sccache, hyperfine, librust-{itoa,cfg-if,memchr}-dev)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
crates=24
work="$(mktemp -d /tmp/zccache-bench-cargo.XXXXXX)"
trap 'rm -rf "$work"' EXIT

dotnet publish src/Zccache.Cli -c Release -p:ZccacheNativeLauncher=true -o "$work/bin" -nologo -v:q >/dev/null
zccache="$work/bin/zccache"

ws="$work/ws"
mkdir -p "$ws/.cargo"
cat > "$ws/.cargo/config.toml" <<'CFG'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
CFG
members=""
for i in $(seq 1 $crates); do
  members="$members\"c$i\", "
  mkdir -p "$ws/c$i/src"
  dep=""; [ "$i" -gt 1 ] && dep="c$((i-1)) = { path = \"../c$((i-1))\" }"
  printf '[package]\nname = "c%s"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nitoa = "1"\ncfg-if = "1"\nmemchr = "2"\n%s\n' "$i" "$dep" > "$ws/c$i/Cargo.toml"
  {
    echo "use std::collections::HashMap;"
    for f in $(seq 1 40); do
      cat <<RS
pub fn f$f<T: Clone + std::fmt::Debug + std::hash::Hash + Eq>(items: &[T]) -> HashMap<T, usize> {
    let mut m = HashMap::new();
    for (i, it) in items.iter().enumerate() { *m.entry(it.clone()).or_insert(0) += i * $f; }
    let mut b = itoa::Buffer::new();
    let _ = b.format(m.len() as u64 + $f);
    let _ = memchr::memchr(b'x', format!("{:?}", m.len()).as_bytes());
    m
}
RS
    done
    echo "pub fn all() -> usize { f1(&[1, 2, 3]).len() + f40(&[\"a\", \"b\"]).len() }"
  } > "$ws/c$i/src/lib.rs"
done
printf '[workspace]\nmembers = [%s]\nresolver = "2"\n' "$members" > "$ws/Cargo.toml"

export CARGO_INCREMENTAL=0 ZCCACHE_CACHE_DIR="$work/zccache" SCCACHE_DIR="$work/sccache"
unset ZCCACHE_SESSION_ID RUSTC_WRAPPER
cd "$ws"
cargo build -q                                       # fetch nothing, warm the file cache
for profile in "" "--release"; do
  RUSTC_WRAPPER="$zccache" cargo build -q $profile; cargo clean -q   # fill zccache
  RUSTC_WRAPPER=sccache cargo build -q $profile; cargo clean -q      # fill sccache
  hyperfine -w 1 -r "$runs" --prepare "cargo clean -q" --export-markdown "$work/cargo$profile.md" \
    -n "bare cargo build $profile" "cargo build -q $profile" \
    -n "zccache (warm) $profile" "RUSTC_WRAPPER=$zccache cargo build -q $profile" \
    -n "sccache (warm) $profile" "RUSTC_WRAPPER=sccache cargo build -q $profile" >/dev/null
done
sccache --stop-server >/dev/null 2>&1 || true
echo "dev profile:"; echo; cat "$work/cargo.md"; echo
echo "release profile:"; echo; cat "$work/cargo--release.md"
