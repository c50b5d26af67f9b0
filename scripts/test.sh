#!/usr/bin/env bash
# Every check: installs what it needs, then format, lints, benchmark build and all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "${CI:-}" = "true" ] && [ -z "${CARGO_TARGET_DIR:-}" ]; then
  # One build cache outside the clone, so the next CI run is incremental.
  export CARGO_TARGET_DIR="$HOME/.cache/citywallet/target"
fi
if [ "${CI:-}" = "true" ]; then
  # Incremental caches only help edit-compile loops; in CI they grew the cache by gigabytes
  # a run (one run failed for lack of disk space).
  export CARGO_INCREMENTAL=0
fi
exec cargo xtask ci
