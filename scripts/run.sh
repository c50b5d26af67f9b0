#!/usr/bin/env bash
# The main job: installs what it needs, builds CityWallet and walks through it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec cargo xtask demo
