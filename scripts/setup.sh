#!/usr/bin/env bash
# Installs what building and testing CityWallet needs on Debian. Safe to run repeatedly:
# it installs only what is missing.
set -euo pipefail

# gcc, make and perl build the vendored OpenSSL under SQLCipher; pkg-config finds libraries.
packages=(build-essential pkg-config perl make ca-certificates)
# The desktop app (Tauri 2 on WebKitGTK), and its end-to-end tests: WebKit's WebDriver and a
# virtual display.
packages+=(libwebkit2gtk-4.1-dev webkit2gtk-driver xvfb)
# A font with Simplified Chinese, so the zh-CN screens render (and their screenshots show it).
packages+=(fonts-noto-cjk)
# Node.js runs the interoperability check with an independent BBS implementation.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust is missing. Install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
for c in rustfmt clippy; do
  if ! cargo "${c/rustfmt/fmt}" --version >/dev/null 2>&1 && command -v rustup >/dev/null 2>&1; then
    rustup component add "$c"
  fi
done

# npm packages, each pinned by its lock file: the independent BBS implementation
# (tests/interop), the web UI's build tools (ui), WebdriverIO for the end-to-end tests.
root="$(cd "$(dirname "$0")/.." && pwd)"
for dir in tests/interop ui tests/e2e; do
  d="$root/$dir"
  if [ ! -f "$d/node_modules/.package-lock.json" ] \
     || [ "$d/package-lock.json" -nt "$d/node_modules/.package-lock.json" ]; then
    echo "setup: installing the npm packages of $dir"
    npm ci --prefix "$d" --no-audit --no-fund --loglevel=error
  fi
done

# cargo-fuzz builds the libFuzzer targets of fuzz/ (on stable, without a sanitizer); CI runs
# each briefly on its checked-in corpus, `cargo xtask fuzz` for longer.
fuzz_root="$HOME/.cache/citywallet/cargo-fuzz"
if [ ! -x "$fuzz_root/bin/cargo-fuzz" ]; then
  echo "setup: installing cargo-fuzz"
  env -u CARGO_TARGET_DIR cargo install cargo-fuzz --version 0.13.2 --locked --quiet --root "$fuzz_root"
fi

# CometBFT, the city chain's consensus engine (Go): the localnet tests and `cargo xtask
# localnet` run real validators of it, each beside a `citywallet-node abci`. Built once with
# `go install` into a cache outside the clone (binary, module and build caches); rebuilt
# only when missing or of another version. Its go.mod needs Go 1.22 or newer.
comet_version=v0.38.25
go_root="${CITYWALLET_GO_CACHE:-$HOME/.cache/citywallet/go}"
comet="$go_root/bin/cometbft"
if [ ! -x "$comet" ] || [ "v$("$comet" version 2>/dev/null)" != "$comet_version" ]; then
  go=go
  go_minor="$(go env GOVERSION 2>/dev/null | sed -E 's/^go1\.([0-9]+).*/\1/' || true)"
  if [ "${go_minor:-0}" -lt 22 ]; then
    # No Go, or one older than CometBFT needs (Debian 12's is 1.19): the Go toolchain from
    # the Go module proxy, pinned by its SHA-256, unpacked into the cache.
    tc=go1.22.12
    go="$go_root/toolchain/golang.org/toolchain@v0.0.1-$tc.linux-amd64/bin/go"
    if [ ! -x "$go" ]; then
      [ "$(uname -m)" = x86_64 ] || { echo "setup: no Go 1.22+ found; install one for $(uname -m) and run this again" >&2; exit 1; }
      if ! command -v unzip >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends unzip curl
      fi
      echo "setup: fetching the Go toolchain $tc from the Go module proxy"
      mkdir -p "$go_root/toolchain"
      zip="$go_root/toolchain/$tc.zip"
      curl -fsSL -o "$zip" "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-$tc.linux-amd64.zip"
      echo "d426bcf50497ae8665e741482aba04fc12782e8860857229d4005dcc480fd89b  $zip" | sha256sum -c --quiet -
      unzip -q -o "$zip" -d "$go_root/toolchain"
      rm -f "$zip"
    fi
  fi
  echo "setup: building CometBFT $comet_version with $("$go" env GOVERSION)"
  started=$SECONDS
  env GOBIN="$go_root/bin" GOMODCACHE="$go_root/mod" GOCACHE="$go_root/build" \
    GOFLAGS=-modcacherw CGO_ENABLED=0 GOTOOLCHAIN=local \
    "$go" install "github.com/cometbft/cometbft/cmd/cometbft@$comet_version"
  echo "setup: CometBFT $("$comet" version) built in $((SECONDS - started)) s: $comet"
fi

# tauri-driver puts WebKitWebDriver behind the WebDriver protocol for the end-to-end tests.
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver"
  env -u CARGO_TARGET_DIR cargo install tauri-driver --version '^2' --locked --quiet
fi
