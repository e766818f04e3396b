#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine with Node 20: installs what the tests need, builds,
# type-checks and runs every package's tests. Servers the tests need are started by the tests
# themselves on 127.0.0.1 and stopped when they end.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci
npm run build
npm run typecheck
npx jest --ci
