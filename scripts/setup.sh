#!/usr/bin/env bash
# Installs what building and testing CityWallet needs on Debian. Safe to run repeatedly:
# it installs only what is missing.
set -euo pipefail

# gcc, make and perl build the vendored OpenSSL under SQLCipher; pkg-config finds libraries.
packages=(build-essential pkg-config perl make ca-certificates)
# The desktop app (Tauri 2 on WebKitGTK), and its end-to-end tests: WebKit's WebDriver and a
# virtual display.
packages+=(libwebkit2gtk-4.1-dev webkit2gtk-driver xvfb)
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

# tauri-driver puts WebKitWebDriver behind the WebDriver protocol for the end-to-end tests.
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver"
  env -u CARGO_TARGET_DIR cargo install tauri-driver --version '^2' --locked --quiet
fi
