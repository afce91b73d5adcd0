#!/usr/bin/env bash
# A warm `cargo build` after `cargo clean`: bare, through zccache (RUSTC_WRAPPER, the NativeAOT
# launcher from the package), and through sccache when it is installed, in one run with hyperfine.
# Workloads (built offline from /usr/share/cargo/registry):
#   graph  (default) a cdylib crate with a build script using Debian's regex, serde, serde_derive,
#          serde_json and anyhow: build scripts, a proc-macro and a cdylib, all through cached links.
#          Dev profile with cargo's default incremental (on for the crate), and release.
#   chain  24 generated library crates (a chain of dependencies, ~300 lines each) plus Debian's itoa,
#          cfg-if and memchr; CARGO_INCREMENTAL=0.
# Usage: bench/cargo.sh [runs] [graph|chain]
#   (needs cargo, hyperfine and the librust-*-dev packages of the workload; sccache optional)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
workload="${2:-graph}"
work="$(mktemp -d /tmp/zccache-bench-cargo.XXXXXX)"
trap 'rm -rf "$work"' EXIT

bench/publish-launcher.sh . "$work/bin"
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

graph() {
  mkdir -p "$ws/src"
  cat > "$ws/Cargo.toml" <<'TOML'
[package]
name = "wrap"
version = "0.1.0"
edition = "2021"
[lib]
crate-type = ["cdylib"]
[dependencies]
serde = { version = "1", features = ["derive"] }
serde_json = "1"
anyhow = "1"
regex = "1"
TOML
  cat > "$ws/build.rs" <<'RS'
fn main() {
    let out = std::env::var("OUT_DIR").unwrap();
    std::fs::write(format!("{out}/generated.rs"), "pub const GENERATED: i32 = 40;\n").unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}
RS
  cat > "$ws/src/lib.rs" <<'RS'
include!(concat!(env!("OUT_DIR"), "/generated.rs"));
#[derive(serde::Serialize, serde::Deserialize)]
struct Point { x: i32, y: i32 }
fn parse(text: &str) -> anyhow::Result<i32> {
    let p: Point = serde_json::from_str(text)?;
    let re = regex::Regex::new(r"^\d+$")?;
    Ok(p.x + p.y + if re.is_match("42") { GENERATED } else { 0 })
}
#[unsafe(no_mangle)]
pub extern "C" fn wrap_value() -> i32 { parse(r#"{"x":1,"y":1}"#).unwrap_or(-1) }
RS
}

chain() {
  local crates=24 members=""
  export CARGO_INCREMENTAL=0
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
}

case "$workload" in
  graph) graph ;;
  chain) chain ;;
  *) echo "unknown workload: $workload (graph or chain)" >&2; exit 2 ;;
esac

export ZCCACHE_CACHE_DIR="$work/zccache" SCCACHE_DIR="$work/sccache"
unset ZCCACHE_SESSION_ID RUSTC_WRAPPER
have_sccache=false
if command -v sccache >/dev/null; then have_sccache=true; else echo "sccache is not installed: bare and zccache only."; fi
cd "$ws"
cargo build -q                                       # fetch nothing, warm the file cache
for profile in "" "--release"; do
  cargo clean -q
  RUSTC_WRAPPER="$zccache" cargo build -q $profile; cargo clean -q   # fill zccache
  commands=(-n "bare cargo build $profile" "cargo build -q $profile"
            -n "zccache (warm) $profile" "RUSTC_WRAPPER=$zccache cargo build -q $profile")
  if $have_sccache; then
    RUSTC_WRAPPER=sccache cargo build -q $profile; cargo clean -q    # fill sccache
    commands+=(-n "sccache (warm) $profile" "RUSTC_WRAPPER=sccache cargo build -q $profile")
  fi
  hyperfine -w 1 -r "$runs" --prepare "cargo clean -q" --export-markdown "$work/cargo$profile.md" "${commands[@]}" >/dev/null
done
$have_sccache && { sccache --stop-server >/dev/null 2>&1 || true; }
# What a warm build still runs: 0 non-cacheable (queries are not compiles), 1 miss (anyhow's probe, a failing compile, never stored).
id=$("$zccache" session-start)
cargo clean -q; ZCCACHE_SESSION_ID=$id RUSTC_WRAPPER="$zccache" cargo build -q --release
echo "warm release build through zccache, counted:"; "$zccache" session-end "$id"; echo
echo "dev profile:"; echo; cat "$work/cargo.md"; echo
echo "release profile:"; echo; cat "$work/cargo--release.md"
