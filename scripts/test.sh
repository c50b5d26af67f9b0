#!/usr/bin/env bash
# Every check: installs what it needs, then format, lints, benchmark build and all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "${CI:-}" = "true" ] && [ -z "${CARGO_TARGET_DIR:-}" ]; then
  # One build cache outside the clone, so the next CI run is incremental.
  export CARGO_TARGET_DIR="$HOME/.cache/citywallet/target"
fi
exec cargo xtask ci
