#!/usr/bin/env bash
# Runs the tests of the JavaScript SDK: installs its dev dependencies (the "ws"
# package, used by the tests only) from package-lock.json when they are missing or
# stale, then runs every test with Node's test runner. The end-to-end test builds and
# starts the Go relay (the repository's cmd/relayfixture); it is skipped when Go is
# not installed.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null; then
  echo "relay/client/js/test.sh: node (20 or later) is required" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node --test "$@" test/*.test.js
