#!/usr/bin/env bash
# The test suite: set up (Debian packages, dataset) and run `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift test "$@"
